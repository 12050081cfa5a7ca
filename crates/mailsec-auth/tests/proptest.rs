//! Property tests: every parser of the DMARC, Authentication-Results and
//! report modules takes any input without panicking, and every writer's
//! output parses back to what was written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use mailsec_auth::authres::{AuthenticationResults, MethodResult};
use mailsec_auth::dmarc::{DmarcRecord, Policy};
use mailsec_auth::report::{
    AggregateReport, ArfEnvelope, AuthWord, Disposition, DkimAuthResult, FailureReport,
    OverrideReason, OverrideType, PolicyPublished, ReportFormat, ReportMetadata, ReportRecord,
    SpfAuthResult, decompress, parse_aggregate, parse_aggregate_message,
};
use proptest::prelude::*;
use std::net::IpAddr;

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(512)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn dmarc_record_never_panics(s in "\\PC*") {
        let _ = DmarcRecord::parse(&s);
        let _ = DmarcRecord::parse(&format!("v=DMARC1; {s}"));
    }

    #[test]
    fn dmarc_record_tag_soup(parts in proptest::collection::vec(
        ("(p|sp|np|psd|t|adkim|aspf|rua|ruf|fo|pct|rf|ri|x)", "[a-zA-Z0-9:!@.,=/ -]{0,12}"), 0..8)) {
        let text = parts.iter().map(|(t, v)| format!("{t}={v}")).collect::<Vec<_>>().join("; ");
        if let Ok(r) = DmarcRecord::parse(&format!("v=DMARC1; {text}")) {
            // What parses writes back to a record that parses to the same thing.
            let again = DmarcRecord::parse(&r.to_string()).unwrap();
            prop_assert_eq!(again.p(), r.p());
            prop_assert_eq!(again.sp(), r.sp());
            prop_assert_eq!(again.np(), r.np());
            prop_assert_eq!(again.pct(), r.pct());
            prop_assert_eq!(again.rua(), r.rua());
            prop_assert_eq!(again.fo(), r.fo());
        }
    }

    #[test]
    fn any_string_never_panics(s in any::<String>()) {
        let _ = DmarcRecord::parse(&s);
        let _ = AuthenticationResults::parse(&s);
        let _ = AuthenticationResults::parse_arc(&s);
        let _ = AggregateReport::from_xml(s.as_bytes());
        let _ = FailureReport::parse_fields(s.as_bytes());
    }

    #[test]
    fn authres_never_panics(s in "\\PC*") {
        let _ = AuthenticationResults::parse(&s);
        let _ = AuthenticationResults::parse_arc(&s);
    }

    #[test]
    fn authres_grammar_soup(s in "[a-z0-9 ;=.()\"\\\\@/\r\n\t-]{0,80}") {
        let _ = AuthenticationResults::parse(&s);
        let _ = AuthenticationResults::parse(&format!("mx; {s}"));
    }

    #[test]
    fn authres_write_then_parse(
        id in "(\\PC|\\pC){1,20}",
        results in proptest::collection::vec((
            "[a-z][a-z0-9-]{0,8}",
            "[a-z]{1,9}",
            proptest::option::of("(\\PC|\\pC){0,30}"),
            proptest::collection::vec(("(smtp|header|body|policy)", "[a-z][a-z0-9-]{0,6}", "(\\PC|\\pC){0,30}"), 0..4),
        ), 0..5),
    ) {
        let mut ar = AuthenticationResults::new(id.clone());
        for (m, r, reason, props) in &results {
            let mut mr = MethodResult::new(m.as_str(), r.as_str());
            if let Some(reason) = reason {
                mr = mr.with_reason(reason.as_str());
            }
            for (t, n, v) in props {
                mr = mr.with_property(t.as_str(), n.as_str(), v.as_str());
            }
            ar.push(mr);
        }
        let value = ar.to_header_value();
        prop_assert!(!value.contains('\r') && !value.contains('\n'));
        let back = AuthenticationResults::parse(&value);
        prop_assert!(back.is_ok(), "{value:?}: {back:?}");
        let back = back.unwrap();
        prop_assert_eq!(back.results().len(), ar.results().len(), "{}", value);
        // Values survive exactly, except control characters (written as spaces)
        // and an authserv-id made only of white space.
        let clean = |s: &str| s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>();
        prop_assert_eq!(back.authserv_id().to_string(), clean(&id));
        for (a, b) in back.results().iter().zip(ar.results()) {
            prop_assert_eq!(a.method(), b.method());
            prop_assert_eq!(a.result(), b.result());
            prop_assert_eq!(a.reason().map(clean), b.reason().map(clean));
            prop_assert_eq!(a.properties().len(), b.properties().len());
            for (p, q) in a.properties().iter().zip(b.properties()) {
                prop_assert_eq!(p.name(), q.name());
                prop_assert_eq!(p.value().to_string(), clean(q.value()), "{}", value);
            }
        }
        // The folded form parses to the same thing.
        prop_assert_eq!(AuthenticationResults::parse(&ar.to_header_field()).unwrap(), back);
    }

    #[test]
    fn report_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decompress(&bytes);
        let _ = parse_aggregate(&bytes);
        let _ = AggregateReport::from_xml(&bytes);
        let _ = parse_aggregate_message(&bytes);
        let _ = FailureReport::parse_message(&bytes);
        let _ = FailureReport::parse_fields(&bytes);
    }

    #[test]
    fn compressed_garbage_never_panics(
        magic in prop_oneof![Just(&[0x1fu8, 0x8b, 0x08][..]), Just(&b"PK\x03\x04"[..])],
        rest in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&rest);
        let _ = parse_aggregate(&bytes);
    }

    #[test]
    fn truncated_reports_never_panic(cut in 0usize..2000, gz in any::<bool>()) {
        let report = AggregateReport::from_xml(include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/testdata/auth/dmarc-report-schema-ietf/dmarc-xml-0.2.xml"
        )))
        .unwrap();
        let bytes = if gz { report.to_gzip(ReportFormat::Rfc9990) } else { report.to_xml(ReportFormat::Rfc7489).into_bytes() };
        let cut = cut.min(bytes.len());
        let _ = parse_aggregate(&bytes[..cut]);
    }

    #[test]
    fn report_xml_soup(s in "[<>/a-z_ &;#0-9\"'=!?-]{0,200}") {
        let _ = AggregateReport::from_xml(s.as_bytes());
        let _ = AggregateReport::from_xml(format!("<feedback>{s}</feedback>").as_bytes());
        let _ = AggregateReport::from_xml(format!(
            "<feedback><report_metadata><report_id>{s}</report_id><date_range><begin>1</begin><end>2</end></date_range></report_metadata><policy_published><domain>{s}</domain></policy_published><record>{s}</record></feedback>").as_bytes());
    }

    #[test]
    fn failure_report_write_then_parse(
        mail_from in "(\\PC|\\pC){0,30}",
        domains in proptest::collection::vec("(\\PC|\\pC){0,20}", 0..3),
        ar in "(\\PC|\\pC){0,40}",
        human in "(\\PC|\\pC){0,60}",
        original in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..200)),
        headers_only in any::<bool>(),
        subject in "(\\PC|\\pC){0,30}",
    ) {
        let mut r = FailureReport::default();
        r.feedback_type = "auth-failure".into();
        r.original_mail_from = Some(mail_from.clone());
        r.reported_domain = domains.clone();
        r.authentication_results = vec![ar.clone()];
        r.human_readable = Some(human);
        r.original = original;
        r.original_is_headers_only = headers_only;
        let env = ArfEnvelope::new("a@example.org", subject, "Thu, 1 Jan 2026 00:00:00 +0000", "id@example.org")
            .with_to("b@example.com");
        let msg = r.to_message(&env);
        let back = FailureReport::parse_message(&msg);
        prop_assert!(back.is_ok(), "{:?}", back);
        let back = back.unwrap();
        let line = |v: &str| v.chars().map(|c| if c.is_control() && c != '\t' { ' ' } else { c }).collect::<String>().trim().to_string();
        prop_assert_eq!(back.feedback_type, "auth-failure");
        // A value that is empty once trimmed is written as an empty field.
        prop_assert_eq!(back.original_mail_from.unwrap_or_default(), line(&mail_from).trim().to_string());
        prop_assert_eq!(back.reported_domain.len(), domains.len());
        prop_assert_eq!(back.authentication_results.len(), 1);
    }

    #[test]
    fn aggregate_generate_then_parse(report in arb_report()) {
        let xml = report.to_xml(ReportFormat::Rfc9990);
        let back = AggregateReport::from_xml(xml.as_bytes());
        prop_assert!(back.is_ok(), "{:?}\n{}", back, xml);
        let mut back = back.unwrap();
        let version = back.version.take();
        prop_assert_eq!(version.as_deref(), Some("1.0"));
        prop_assert_eq!(&back, &report);
        // gzip and the RFC 7489 form parse too, keeping counts and addresses.
        let gz = parse_aggregate(&report.to_gzip(ReportFormat::Rfc9990)).unwrap();
        prop_assert_eq!(gz.records.len(), report.records.len());
        let old = AggregateReport::from_xml(report.to_xml(ReportFormat::Rfc7489).as_bytes()).unwrap();
        prop_assert_eq!(old.message_count(), report.message_count());
        prop_assert_eq!(old.metadata, report.metadata.clone_without_generator());
    }
}

trait WithoutGenerator {
    fn clone_without_generator(&self) -> Self;
}

impl WithoutGenerator for ReportMetadata {
    fn clone_without_generator(&self) -> Self {
        let mut m = self.clone();
        m.generator = None;
        m
    }
}

/// Text that survives XML and trimming: no control characters, no leading
/// or trailing white space, not empty.
fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9<>&\"'.@_-][a-zA-Z0-9<>&\"' .@_-]{0,15}[a-zA-Z0-9<>&\"'.@_-]|[a-zA-Z0-9<>&\"'.@_-]"
}

fn word() -> impl Strategy<Value = AuthWord> {
    prop_oneof![
        Just(AuthWord::None),
        Just(AuthWord::Pass),
        Just(AuthWord::Fail),
        Just(AuthWord::SoftFail),
        Just(AuthWord::Neutral),
        Just(AuthWord::Policy),
        Just(AuthWord::TempError),
        Just(AuthWord::PermError),
    ]
}

fn policy() -> impl Strategy<Value = Policy> {
    prop_oneof![
        Just(Policy::None),
        Just(Policy::Quarantine),
        Just(Policy::Reject)
    ]
}

fn arb_record() -> impl Strategy<Value = ReportRecord> {
    (
        any::<IpAddr>(),
        1u64..1_000_000,
        prop_oneof![
            Just(Disposition::None),
            Just(Disposition::Pass),
            Just(Disposition::Quarantine),
            Just(Disposition::Reject)
        ],
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec(
            (
                prop_oneof![
                    Just(OverrideType::LocalPolicy),
                    Just(OverrideType::MailingList),
                    Just(OverrideType::Other),
                    Just(OverrideType::PolicyTestMode),
                    Just(OverrideType::TrustedForwarder)
                ],
                proptest::option::of(text()),
            ),
            0..3,
        ),
        text(),
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::collection::vec(
            (
                text(),
                proptest::option::of(text()),
                word(),
                proptest::option::of(text()),
            ),
            0..3,
        ),
        proptest::collection::vec(
            (text(), prop_oneof![Just("mfrom"), Just("helo")], word()),
            0..3,
        ),
    )
        .prop_map(
            |(ip, count, disposition, dkim, spf, reasons, hf, ef, et, dk, sp)| {
                let mut r = ReportRecord::new(ip, hf);
                r.count = count;
                r.disposition = disposition;
                r.dkim = if dkim { AuthWord::Pass } else { AuthWord::Fail };
                r.spf = if spf { AuthWord::Pass } else { AuthWord::Fail };
                r.reasons = reasons
                    .into_iter()
                    .map(|(k, c)| OverrideReason::new(k, c))
                    .collect();
                r.envelope_from = ef;
                r.envelope_to = et;
                r.dkim_results = dk
                    .into_iter()
                    .map(|(d, s, w, h)| {
                        let mut x = DkimAuthResult::new(d, s, w);
                        x.human_result = h;
                        x
                    })
                    .collect();
                r.spf_results = sp
                    .into_iter()
                    .map(|(d, scope, w)| {
                        let mut x = SpfAuthResult::new(d, w);
                        x.scope = Some(scope.to_string());
                        x
                    })
                    .collect();
                r
            },
        )
}

fn arb_report() -> impl Strategy<Value = AggregateReport> {
    (
        (
            text(),
            text(),
            proptest::option::of(text()),
            text(),
            any::<u32>(),
            any::<u32>(),
            proptest::collection::vec(text(), 0..2),
            proptest::option::of(text()),
        ),
        (
            text(),
            policy(),
            proptest::option::of(policy()),
            proptest::option::of(policy()),
            proptest::option::of(any::<bool>()),
            proptest::option::of("[01ds](:[01ds])?"),
        ),
        proptest::collection::vec(arb_record(), 0..4),
    )
        .prop_map(|(m, p, records)| {
            let mut meta = ReportMetadata::default();
            meta.org_name = m.0;
            meta.email = m.1;
            meta.extra_contact_info = m.2;
            meta.report_id = m.3;
            meta.begin = u64::from(m.4);
            meta.end = u64::from(m.5);
            meta.errors = m.6;
            meta.generator = m.7;
            let mut pp = PolicyPublished::default();
            pp.domain = p.0;
            pp.p = Some(p.1);
            pp.sp = p.2;
            pp.np = p.3;
            pp.testing = p.4;
            pp.fo = p.5;
            let mut r = AggregateReport::new(meta, pp);
            r.records = records;
            r
        })
}
