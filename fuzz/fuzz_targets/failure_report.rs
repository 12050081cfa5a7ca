//! ARF failure reports (RFC 5965 / 6591): whole messages and bare field blocks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsec_auth::report::FailureReport;

fuzz_target!(|data: &[u8]| mailsec_fuzz::guard(|| {
    if let Ok(report) = FailureReport::parse_message(data) {
        let _ = report.parsed_authentication_results();
    }
    if let Ok(report) = FailureReport::parse_fields(data) {
        let _ = report.parsed_authentication_results();
    }
}));
