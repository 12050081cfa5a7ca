//! Any input: no panic in the parsers and matchers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use mailsec_transport::bimi::BimiRecord;
use mailsec_transport::cert::{Certificate, dns_name_matches, pem_chain_to_der};
use mailsec_transport::dane::{TlsaRecord, verify_chain};
use mailsec_transport::mta_sts::{PkixStatus, StsPolicy, StsRecord, evaluate};
use mailsec_transport::tlsrpt::{Report, TlsRptRecord};
use proptest::prelude::*;

proptest! {
    #[test]
    fn policy_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = StsPolicy::parse(&bytes);
        let _ = Report::from_json(&bytes);
    }

    #[test]
    fn policy_like_text(lines in proptest::collection::vec("(version|mode|mx|max_age|x)[:]? ?[a-zA-Z0-9*.: -]{0,20}", 0..8)) {
        let text = lines.join("\r\n");
        if let Ok(p) = StsPolicy::parse(text.as_bytes()) {
            let again = StsPolicy::parse(p.to_lines().join("\n").as_bytes()).unwrap();
            prop_assert_eq!(again, p.clone());
            let _ = evaluate(&p, "mx.example.com", &[b"x".to_vec()], PkixStatus::NotChecked, common::now());
        }
    }

    #[test]
    fn records_any_text(s in "\\PC{0,80}") {
        let _ = StsRecord::parse(&s);
        let _ = TlsRptRecord::parse(&s);
        let _ = BimiRecord::parse(&s);
        let _ = TlsaRecord::parse(&s);
        let _ = dns_name_matches(&s, "mx.example.com");
        let _ = dns_name_matches("*.example.com", &s);
    }

    #[test]
    fn tlsa_and_certificate_any_bytes(
        u in any::<u8>(), sel in any::<u8>(), m in any::<u8>(),
        data in proptest::collection::vec(any::<u8>(), 0..80),
        chain in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..4),
    ) {
        let r = TlsaRecord::new(u, sel, m, data);
        let _ = verify_chain(std::slice::from_ref(&r), &chain, &["mx.example.com"], common::now());
        prop_assert_eq!(TlsaRecord::parse(&r.to_presentation()).ok().filter(|_| !r.data().is_empty()), (!r.data().is_empty()).then_some(r));
        for c in &chain {
            let _ = Certificate::from_der(c);
            let _ = pem_chain_to_der(c);
        }
    }

    #[test]
    fn mutated_certificate(flip in 0usize..2000, byte in any::<u8>()) {
        thread_local! {
            static DER: Vec<u8> = {
                let ca = common::root("Root");
                common::leaf(common::LeafOpts::default(), &ca).der
            };
        }
        let mut der = DER.with(|d| d.clone());
        let i = flip % der.len();
        der[i] = byte;
        if let Ok(c) = Certificate::from_der(&der) {
            let _ = c.check_server("mx.example.com", common::now());
        }
        let _ = verify_chain(&[TlsaRecord::new(2, 0, 0, der.clone())], &[&der, &der], &["mx.example.com"], common::now());
    }
}

proptest! {
    #[test]
    fn report_round_trip(
        org in "\\PC{0,20}", id in "[a-z0-9@._-]{1,30}", start in 0u64..4_000_000_000,
        sessions in proptest::collection::vec((0u64..1_000_000, any::<bool>(), 0usize..4, "[a-z.]{1,12}"), 0..12),
    ) {
        use mailsec_transport::tlsrpt::{FailureDetail, PolicyDetails, ReportBuilder, ResultType};
        use std::time::{Duration, SystemTime};
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(start);
        let mut b = ReportBuilder::new(&org, &id, "mailto:a@b.example", t, t + Duration::from_secs(86_399));
        let mut total = 0u64;
        for (n, ok, kind, host) in sessions {
            let policy = PolicyDetails::no_policy(&host);
            if ok {
                b.add_success(&policy, n);
            } else {
                let rt = [ResultType::DaneRequired, ResultType::StsPolicyInvalid, ResultType::CertificateHostMismatch, ResultType::Other("x-y".into())][kind].clone();
                let mut f = FailureDetail::new(rt, n);
                f.receiving_mx_hostname = Some(host.clone());
                b.add_failure(&policy, f);
                total += n;
            }
        }
        let report = b.build();
        prop_assert_eq!(report.total_failed(), total);
        let again = Report::from_json(report.to_json().as_bytes()).unwrap();
        prop_assert_eq!(again, report);
    }
}
