//! Parsing any bytes within the default limits: an error or a message, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mailsec_fuzz::guard(|| {
    let _ = mailsec::ParseLimits::default().parse(data);
}));
