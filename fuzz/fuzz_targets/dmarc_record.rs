//! DMARC TXT records (RFC 7489 / DMARCbis tag lists): an error or a record, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsec_auth::dmarc::DmarcRecord;

fuzz_target!(|data: &[u8]| mailsec_fuzz::guard(|| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(record) = DmarcRecord::parse(text) {
        // Every accessor on a parsed record must be total.
        let _ = (
            record.policy(),
            record.subdomain_policy(),
            record.nonexistent_policy(),
        );
        let _ = (
            record.psd(),
            record.testing(),
            record.adkim(),
            record.aspf(),
        );
        for uri in record.rua().iter().chain(record.ruf()) {
            let _ = (uri.uri(), uri.max_size(), uri.mailto());
        }
        let _ = (
            record.fo(),
            record.pct(),
            record.rf(),
            record.ri(),
            record.warnings(),
        );
    }
    let _ = mailsec_auth::dmarc::psl_org_domain(text);
}));
