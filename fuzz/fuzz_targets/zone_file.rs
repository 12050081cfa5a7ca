//! The zone-file loader on arbitrary text: an error or a resolver, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mailsec_fuzz::guard(|| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = mailsec_dns::StaticResolver::from_zone_str(text, Some("example.org."));
    }
}));
