//! Hostile zone files: each case finishes well under a second with a clear
//! error (naming its line) or a resolver holding what was written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use mailsec_dns::{RecordType, Resolver, StaticResolver};
use mailsec_testkit::{unoptimised, within_cpu};
use std::time::Duration;

/// A second of CPU time in an optimised build, three in a debug build: the
/// test profile does not optimise this crate, and 100,000 zone lines take
/// 0.5-0.7 s of CPU there. A quadratic parse of 100,000 lines would take
/// minutes either way.
fn within_a_second<T>(what: &str, f: impl FnOnce() -> T) -> T {
    within_cpu(what, unoptimised(Duration::from_secs(1)), f)
}

#[test]
fn a_hundred_thousand_records() {
    let mut zone = String::from("$ORIGIN example.org.\n$TTL 300\n");
    for i in 0..100_000u32 {
        let [_, a, b, c] = i.to_be_bytes();
        zone.push_str(&format!("h{i} IN A 10.{a}.{b}.{c}\n"));
    }
    let dns = within_a_second("100k lines", || StaticResolver::from_zone_str(&zone, None)).unwrap();
    assert_eq!(dns.records().count(), 100_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let answer = rt
        .block_on(dns.lookup("h99999.example.org", RecordType::A))
        .unwrap();
    assert_eq!(answer.records().len(), 1);
}

#[test]
fn a_hundred_thousand_records_on_one_name() {
    let mut zone = String::from("$ORIGIN example.org.\n");
    for i in 0..100_000 {
        zone.push_str(&format!(
            "@ IN TXT \"v=spf1 include:{i}.example.net -all\"\n"
        ));
    }
    let dns = within_a_second("100k TXT", || StaticResolver::from_zone_str(&zone, None)).unwrap();
    assert_eq!(dns.records().count(), 100_000);
}

#[test]
fn error_on_the_last_of_a_hundred_thousand_lines() {
    let mut zone = String::from("$ORIGIN example.org.\n");
    for i in 0..99_999 {
        zone.push_str(&format!("h{i} IN MX 10 mx\n"));
    }
    zone.push_str("bad IN A 999.0.0.1\n");
    let err =
        within_a_second("late error", || StaticResolver::from_zone_str(&zone, None)).unwrap_err();
    assert_eq!(err.line(), Some(100_001)); // after the $ORIGIN line
}

#[test]
fn unclosed_parenthesis_and_quote_over_a_hundred_thousand_lines() {
    let zone = format!(
        "$ORIGIN example.org.\n@ IN TXT (\n{}",
        "\"a\"\n".repeat(100_000)
    );
    let res = within_a_second("open paren", || StaticResolver::from_zone_str(&zone, None));
    assert!(res.is_err());
    let zone = format!("$ORIGIN example.org.\n@ IN TXT \"{}", "a\n".repeat(100_000));
    let res = within_a_second("open quote", || StaticResolver::from_zone_str(&zone, None));
    assert!(res.is_err());
    let zone = format!("$ORIGIN example.org.\n@ IN TXT {}\n", "(".repeat(100_000));
    let res = within_a_second("nested parens", || {
        StaticResolver::from_zone_str(&zone, None)
    });
    assert!(res.is_err());
}

#[test]
fn very_long_lines_and_names() {
    let long_label = "a".repeat(1 << 20);
    let zone = format!("{long_label}.example.org. IN A 192.0.2.1\n");
    assert!(within_a_second("1 MiB label", || StaticResolver::from_zone_str(&zone, None)).is_err());
    let many_labels = "a.".repeat(500_000);
    let zone = format!("{many_labels} IN A 192.0.2.1\n");
    assert!(within_a_second("500k labels", || StaticResolver::from_zone_str(&zone, None)).is_err());
    let zone = format!(
        "$ORIGIN example.org.\n@ IN TXT \"{}\"\n",
        "x".repeat(1 << 20)
    );
    assert!(
        within_a_second("1 MiB string", || StaticResolver::from_zone_str(
            &zone, None
        ))
        .is_err()
    );
}
