//! TLS-RPT reports: the shared samples parse, reports round trip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use mailsec_transport::dane::TlsaRecord;
use mailsec_transport::mta_sts::StsPolicy;
use mailsec_transport::tlsrpt::*;

fn data(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/auth/"
    ))
    .join(rel)
}

fn json_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["reports-mail-auth/tlsrpt", "reports-parsedmarc/smtp_tls"] {
        for e in std::fs::read_dir(data(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn shared_json_samples_parse_and_round_trip() {
    let files = json_files();
    assert_eq!(files.len(), 6, "{files:?}");
    for f in files {
        let raw = std::fs::read(&f).unwrap();
        let report = Report::from_json(&raw).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(!report.report_id.is_empty());
        assert!(!report.policies.is_empty());
        let again = Report::from_json(report.to_json().as_bytes()).unwrap();
        assert_eq!(again, report, "{}", f.display());
    }
}

#[test]
fn rfc8460_sample_values() {
    let report = Report::from_json(
        &std::fs::read(data("reports-parsedmarc/smtp_tls/rfc8460.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report.organization_name, "Company-X");
    assert_eq!(report.total_successful(), 5326);
    assert_eq!(report.total_failed(), 303);
    let p = &report.policies[0];
    assert_eq!(p.policy.policy_type, PolicyType::Sts);
    // A lone string mx-host is read as a list.
    assert_eq!(p.policy.mx_host, ["*.mail.company-y.example"]);
    let types: Vec<_> = p
        .failure_details
        .iter()
        .map(|f| f.result_type.clone())
        .collect();
    assert_eq!(
        types,
        [
            ResultType::CertificateExpired,
            ResultType::StarttlsNotSupported,
            ResultType::ValidationFailure
        ]
    );
    assert_eq!(
        p.failure_details[2].failure_reason_code.as_deref(),
        Some("X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED")
    );

    let rpt03 =
        Report::from_json(&std::fs::read(data("reports-mail-auth/tlsrpt/rpt03.json")).unwrap())
            .unwrap();
    assert_eq!(
        rpt03.policies[0].policy.policy_type,
        PolicyType::NoPolicyFound
    );
    assert_eq!(
        rpt03.policies[1].policy.policy_type,
        PolicyType::Other("invalid-policy-type".into())
    );
}

/// The .eml samples carry the report gzipped in base64: decode and parse it.
#[test]
fn shared_eml_samples_parse() {
    let mut files = vec![
        data("reports-mail-auth/tlsrpt/rpt01.eml"),
        data("reports-mail-auth/tlsrpt/rpt02.eml"),
        data("reports-parsedmarc/smtp_tls/google.com_smtp_tls_report.eml"),
    ];
    files.sort();
    for f in files {
        let raw = std::fs::read(&f).unwrap();
        let msg = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let mut found = 0;
        for part in msg.attachments() {
            let body = part.contents();
            let json = if body.starts_with(&[0x1f, 0x8b]) {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(body)
                    .read_to_end(&mut out)
                    .unwrap();
                out
            } else {
                body.to_vec()
            };
            let report =
                Report::from_json(&json).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            assert!(!report.policies.is_empty());
            found += 1;
        }
        assert_eq!(found, 1, "{}", f.display());
    }
}

#[test]
fn build_round_trip() {
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_272_000);
    let mut b = ReportBuilder::new(
        "Sender Inc.",
        "2026-06-01_example.com",
        "mailto:tls@sender.example",
        start,
        start + Duration::from_secs(86_399),
    );
    let policy =
        StsPolicy::parse(b"version: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: 86400\n")
            .unwrap();
    let sts = PolicyDetails::sts("example.com", &policy);
    let tlsa = PolicyDetails::tlsa(
        "mx.example.com",
        &[TlsaRecord::parse(
            "3 1 1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        )
        .unwrap()],
    );
    b.add_success(&sts, 100).add_success(&sts, 5);
    let mut f = FailureDetail::new(ResultType::CertificateHostMismatch, 2);
    f.receiving_mx_hostname = Some("mx1.example.com".into());
    f.sending_mta_ip = Some("192.0.2.1".into());
    b.add_failure(&sts, f.clone()).add_failure(&sts, f);
    b.add_failure(&tlsa, FailureDetail::new(ResultType::DaneRequired, 1));
    b.add_failure(&tlsa, FailureDetail::new(ResultType::StsPolicyInvalid, 1));
    let report = b.build();
    assert_eq!(report.date_range.start_datetime, "2026-06-01T00:00:00Z");
    assert_eq!(report.policies.len(), 2);
    assert_eq!(
        report.policies[0].summary.total_successful_session_count,
        105
    );
    assert_eq!(report.policies[0].failure_details.len(), 1);
    assert_eq!(
        report.policies[0].failure_details[0].failed_session_count,
        4
    );
    assert_eq!(report.total_failed(), 6);
    let json = report.to_json();
    assert!(json.contains("\"result-type\":\"dane-required\""), "{json}");
    assert!(json.contains("\"policy-string\":[\"version: STSv1\",\"mode: enforce\",\"mx: *.example.com\",\"max_age: 86400\"]"), "{json}");
    assert_eq!(Report::from_json(json.as_bytes()).unwrap(), report);
}

#[test]
fn bad_reports_are_errors() {
    assert!(Report::from_json(b"{}").is_err());
    assert!(Report::from_json(b"not json").is_err());
    assert!(Report::from_json(br#"{"organization-name":"x","date-range":{"start-datetime":"a","end-datetime":"b"},"report-id":"r","policies":[{"policy":{"policy-type":"sts"},"summary":{"total-successful-session-count":-1}}]}"#).is_err());
}

#[test]
fn record_lookup() {
    use mailsec_dns::{Record, StaticResolver};
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut dns = StaticResolver::new();
    dns.add(
        "_smtp._tls.example.com",
        Record::txt("v=TLSRPTv1; rua=mailto:tlsrpt@example.com"),
    );
    dns.add(
        "_smtp._tls.example.org",
        Record::txt("v=TLSRPTv1; rua=mailto:a@example.org"),
    );
    dns.add(
        "_smtp._tls.example.org",
        Record::txt("v=TLSRPTv1; rua=mailto:b@example.org"),
    );
    let rec = rt
        .block_on(lookup(&dns, "example.com"))
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(rec.rua(), ["mailto:tlsrpt@example.com"]);
    assert!(rt.block_on(lookup(&dns, "example.org")).unwrap().is_none());
    assert!(rt.block_on(lookup(&dns, "example.net")).unwrap().is_none());
}
