//! DMARC aggregate reports: XML, gzip or zip bytes, and whole report mails.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsec_auth::report::{ReportFormat, parse_aggregate, parse_aggregate_message};

fuzz_target!(|data: &[u8]| mailsec_fuzz::guard(|| {
    if let Ok(report) = parse_aggregate(data) {
        let _ = report.message_count();
        let xml = report.to_xml(ReportFormat::Rfc9990);
        let _ = report.to_xml(ReportFormat::Rfc7489);
        // What we write must be readable again.
        assert!(
            parse_aggregate(xml.as_bytes()).is_ok(),
            "written report does not parse: {xml}"
        );
    }
    let _ = parse_aggregate_message(data);
}));
