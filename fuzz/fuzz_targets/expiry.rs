//! Expiry metadata: dates (RFC 5322, RFC 3339), durations, Expires headers of
//! whole messages and their rewriting.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsec_expiry as expiry;
use std::time::{Duration, SystemTime};

fuzz_target!(|data: &[u8]| mailsec_fuzz::guard(|| {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(t) = expiry::parse_rfc5322(text) {
            let _ = expiry::format_rfc5322(t);
        }
        if let Ok(t) = expiry::parse_rfc3339(text) {
            let _ = expiry::format_rfc3339(t);
        }
        if let Ok(d) = expiry::parse_duration(text) {
            let _ = expiry::format_duration(d);
        }
    }
    let report = expiry::ExpiryReport::from_message(data, now);
    let _ = (report.state(), report.expires_at(), report.is_protected());
    let _ = expiry::header_fields(data);
    let _ = expiry::set_expiry(data, now);
    let _ = expiry::remove_expiry(data);
}));
