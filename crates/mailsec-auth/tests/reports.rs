//! Data-driven DMARC report tests over the shared vectors: mail-auth's
//! expected JSON, parsedmarc's real-world samples (compressed, invalid,
//! legacy), OpenDMARC's 2012 reports and the RFC 9990 schema samples.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use mailsec_auth::report::{
    AggregateReport, FailureReport, OverrideType, ReportError, ReportFormat, parse_aggregate,
    parse_aggregate_message,
};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata/auth");

fn files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(Path::new(DATA).join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn ext(p: &Path) -> String {
    p.file_name()
        .unwrap()
        .to_string_lossy()
        .to_ascii_lowercase()
}

/// Compares a parsed report with mail-auth's serde dump on the fields both agree on.
fn check_against_json(r: &AggregateReport, j: &Value, name: &str) {
    let m = &j["report_metadata"];
    assert_eq!(
        r.metadata.org_name,
        m["org_name"].as_str().unwrap(),
        "{name}"
    );
    assert_eq!(
        r.metadata.report_id,
        m["report_id"].as_str().unwrap(),
        "{name}"
    );
    assert_eq!(
        r.metadata.begin,
        m["date_range"]["begin"].as_u64().unwrap(),
        "{name}"
    );
    assert_eq!(
        r.metadata.end,
        m["date_range"]["end"].as_u64().unwrap(),
        "{name}"
    );
    assert_eq!(
        r.policy_published.domain,
        j["policy_published"]["domain"].as_str().unwrap(),
        "{name}"
    );
    let recs = j["record"].as_array().unwrap();
    assert_eq!(r.records.len(), recs.len(), "{name}");
    for (a, b) in r.records.iter().zip(recs) {
        assert_eq!(
            a.source_ip.to_string(),
            b["row"]["source_ip"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(a.count, b["row"]["count"].as_u64().unwrap(), "{name}");
        assert_eq!(
            a.disposition.as_str(),
            b["row"]["policy_evaluated"]["disposition"]
                .as_str()
                .unwrap()
                .to_ascii_lowercase(),
            "{name}"
        );
        assert_eq!(
            a.header_from,
            b["identifiers"]["header_from"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            a.dkim_results.len(),
            b["auth_results"]["dkim"].as_array().unwrap().len(),
            "{name}"
        );
        assert_eq!(
            a.spf_results.len(),
            b["auth_results"]["spf"].as_array().unwrap().len(),
            "{name}"
        );
        for (x, y) in a
            .spf_results
            .iter()
            .zip(b["auth_results"]["spf"].as_array().unwrap())
        {
            assert_eq!(x.domain, y["domain"].as_str().unwrap(), "{name}");
            assert_eq!(
                x.result.as_str(),
                y["result"].as_str().unwrap().to_ascii_lowercase(),
                "{name}"
            );
        }
    }
}

#[test]
fn mail_auth_aggregate_vectors() {
    let mut n = 0;
    for p in files("reports-mail-auth/dmarc-feedback") {
        let name = ext(&p);
        let reports = if name.ends_with(".xml") {
            vec![parse_aggregate(&fs::read(&p).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"))]
        } else if name.ends_with(".eml") {
            parse_aggregate_message(&fs::read(&p).unwrap())
                .unwrap_or_else(|e| panic!("{name}: {e}"))
        } else {
            continue;
        };
        assert_eq!(reports.len(), 1, "{name}");
        let json: Value =
            serde_json::from_slice(&fs::read(p.with_extension("json")).unwrap()).unwrap();
        check_against_json(&reports[0], &json, &name);
        // Writing it back and parsing again keeps every field (RFC 9990 form).
        let again =
            AggregateReport::from_xml(reports[0].to_xml(ReportFormat::Rfc9990).as_bytes()).unwrap();
        // RFC 9990 has no sampled_out / forwarded reason: they are written as "other".
        let mut expected = reports[0].records.clone();
        for r in &mut expected {
            for reason in &mut r.reasons {
                if matches!(
                    reason.kind,
                    OverrideType::SampledOut | OverrideType::Forwarded
                ) {
                    reason.kind = OverrideType::Other;
                }
            }
        }
        assert_eq!(again.records, expected, "{name}");
        assert_eq!(again.metadata, reports[0].metadata, "{name}");
        n += 1;
    }
    println!("mail-auth aggregate: {n}/10 matched the expected JSON");
    assert_eq!(n, 10);
}

#[test]
fn mail_auth_arf_vectors() {
    let mut n = 0;
    for p in files("reports-mail-auth/arf") {
        let name = ext(&p);
        if !name.ends_with(".eml") {
            continue;
        }
        let r = FailureReport::parse_message(&fs::read(&p).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let j: Value =
            serde_json::from_slice(&fs::read(p.with_extension("json")).unwrap()).unwrap();
        let norm = |s: &str| s.replace('-', "").to_ascii_lowercase();
        assert_eq!(
            norm(&r.feedback_type),
            norm(j["feedback_type"].as_str().unwrap()),
            "{name}"
        );
        assert_eq!(r.user_agent.as_deref(), j["user_agent"].as_str(), "{name}");
        assert_eq!(
            r.incidents.unwrap_or(1) as u64,
            j["incidents"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            r.original_mail_from.as_deref(),
            j["original_mail_from"].as_str(),
            "{name}"
        );
        assert_eq!(
            r.source_ip.map(|i| i.to_string()).as_deref(),
            j["source_ip"].as_str(),
            "{name}"
        );
        let domains: Vec<&str> = j["reported_domain"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(r.reported_domain, domains, "{name}");
        assert_eq!(
            r.authentication_results.len(),
            j["authentication_results"].as_array().unwrap().len(),
            "{name}"
        );
        let af = j["auth_failure"].as_str().unwrap().to_ascii_lowercase();
        if af != "unspecified" {
            assert_eq!(r.auth_failure, vec![af], "{name}");
        }
        if let Some(d) = j["dkim_domain"].as_str() {
            assert_eq!(r.dkim_domain.as_deref(), Some(d), "{name}");
        }
        if j["message"].is_string() || j["headers"].is_string() {
            assert!(r.original.is_some(), "{name}");
        }
        n += 1;
    }
    println!("mail-auth ARF: {n}/5 matched the expected JSON");
    assert_eq!(n, 5);
}

#[test]
fn parsedmarc_aggregate_samples() {
    let (mut ok, mut rejected, mut records, mut messages) = (0, 0, 0, 0u64);
    for p in files("reports-parsedmarc/aggregate") {
        let name = ext(&p);
        let bytes = fs::read(&p).unwrap();
        let result = if name.ends_with(".eml") {
            parse_aggregate_message(&bytes)
        } else {
            parse_aggregate(&bytes).map(|r| vec![r])
        };
        match (name.as_str(), result) {
            ("invalid_xml.xml", Err(ReportError::Xml { position, message })) => {
                println!("invalid_xml.xml rejected: invalid XML at byte {position}: {message}");
                assert!(position > 0);
                rejected += 1;
            }
            ("invalid_xml.xml", other) => {
                panic!("invalid_xml.xml must fail with an XML error: {other:?}")
            }
            (_, Ok(rs)) => {
                for r in &rs {
                    assert!(!r.metadata.report_id.is_empty(), "{name}");
                    assert!(!r.policy_published.domain.is_empty(), "{name}");
                    records += r.records.len();
                    messages += r.message_count();
                }
                ok += 1;
            }
            (_, Err(e)) => panic!("{name}: {e}"),
        }
    }
    println!(
        "parsedmarc aggregate: {ok} parsed ({records} records, {messages} messages), {rejected} rejected with a clear error"
    );
    assert_eq!(ok, 18);
    assert_eq!(rejected, 1);
}

#[test]
fn parsedmarc_large_report() {
    let p = Path::new(DATA)
        .join("reports-parsedmarc/aggregate/!large-example.com!1711897200!1711983600.xml");
    let r = parse_aggregate(&fs::read(p).unwrap()).unwrap();
    assert!(r.records.len() > 1000, "{}", r.records.len());
}

#[test]
fn parsedmarc_upper_case_words_are_accepted() {
    let p = Path::new(DATA)
        .join("reports-parsedmarc/aggregate_invalid/report_with_upper_cased_pass.xml");
    let r = parse_aggregate(&fs::read(p).unwrap()).unwrap();
    assert_eq!(r.records[0].dkim.as_str(), "pass");
    assert_eq!(r.records[0].dkim_results[0].result.as_str(), "pass");
}

#[test]
fn parsedmarc_failure_samples() {
    let (mut ok, mut not_arf) = (0, 0);
    for p in files("reports-parsedmarc/failure") {
        let name = ext(&p);
        match FailureReport::parse_message(&fs::read(&p).unwrap()) {
            Ok(r) => {
                assert_eq!(r.feedback_type, "auth-failure", "{name}");
                assert!(
                    r.source_ip.is_some() || !r.reported_domain.is_empty(),
                    "{name}"
                );
                assert!(r.original.is_some(), "{name}");
                ok += 1;
            }
            Err(ReportError::NotAReport(why)) if name.starts_with("exim_plain_text") => {
                println!("{name}: rejected: {why}");
                not_arf += 1;
            }
            Err(e) => panic!("{name}: {e}"),
        }
    }
    println!("parsedmarc failure: {ok} ARF reports parsed, {not_arf} non-ARF message rejected");
    assert_eq!((ok, not_arf), (4, 1));
}

#[test]
fn opendmarc_and_ietf_samples() {
    let mut n = 0;
    let mut messages = 0;
    for dir in ["reports-opendmarc", "dmarc-report-schema-ietf"] {
        for p in files(dir) {
            if !ext(&p).ends_with(".xml") {
                continue;
            }
            let result = parse_aggregate(&fs::read(&p).unwrap());
            if ext(&p).starts_with("bad.com") {
                // OpenDMARC's deliberately broken report: `<header_from>example.com<foo</header_from>`
                match result {
                    Err(ReportError::Xml { position, message }) => {
                        println!("bad.com rejected: invalid XML at byte {position}: {message}");
                        continue;
                    }
                    other => panic!("bad.com must fail: {other:?}"),
                }
            }
            let r = result.unwrap_or_else(|e| panic!("{p:?}: {e}"));
            messages += r.message_count();
            // both output forms parse back to the same records
            for f in [ReportFormat::Rfc9990, ReportFormat::Rfc7489] {
                let back = AggregateReport::from_xml(r.to_xml(f).as_bytes()).unwrap();
                assert_eq!(back.records.len(), r.records.len());
                assert_eq!(back.message_count(), r.message_count());
            }
            n += 1;
        }
    }
    println!("opendmarc + ietf samples: {n} parsed, {messages} messages");
    assert_eq!(n, 5);
}
