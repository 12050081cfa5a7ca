//! Hostile expiry metadata: each case finishes well under a second with a
//! clear error or a bounded result.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use mailsec_expiry::{
    DeclaredExpiry, ExpiryReport, ExpiryState, header_fields, parse_duration, parse_rfc3339,
    parse_rfc5322, remove_expiry, set_expiry,
};
use mailsec_testkit::{unoptimised, within_a_second, within_cpu};
use std::time::{Duration, SystemTime};

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

#[test]
fn a_hundred_thousand_headers() {
    let mut raw = Vec::new();
    for i in 0..100_000 {
        raw.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    raw.extend_from_slice(b"Expires: Wed, 15 Nov 2023 10:00:00 +0000\r\n\r\nbody\r\n");
    let report = within_a_second("100k headers", || ExpiryReport::from_message(&raw, now()));
    assert_eq!(report.state(), ExpiryState::Expired);
    let (fields, _) = within_a_second("header_fields", || header_fields(&raw));
    assert_eq!(fields.len(), 100_001);
    let out = within_a_second("set_expiry", || set_expiry(&raw, now())).unwrap();
    let back = within_a_second("remove_expiry", || remove_expiry(&out));
    assert!(!String::from_utf8_lossy(&back[..back.len().min(2_000_000)]).contains("\nExpires:"));
}

#[test]
fn a_hundred_thousand_expires_headers() {
    let mut raw = Vec::new();
    for i in 0..100_000 {
        raw.extend_from_slice(
            format!("Expires: Wed, 15 Nov 2023 10:{:02}:00 +0000\r\n", i % 60).as_bytes(),
        );
    }
    raw.extend_from_slice(b"\r\nbody\r\n");
    // 100,000 dates parsed: ~0.6 s of CPU in a debug build (this crate is
    // not optimised there), so three seconds in debug and one optimised;
    // quadratic work over 100,000 fields would take minutes.
    let declared = within_cpu("100k Expires", unoptimised(Duration::from_secs(1)), || {
        DeclaredExpiry::from_message(&raw)
    });
    // Conflicting duplicates: either one value is chosen or it is malformed, never a hang.
    let _ = (declared.at(), declared.is_malformed());
    let stripped = within_a_second("remove 100k Expires", || remove_expiry(&raw));
    assert!(stripped.len() < 100);
}

#[test]
fn one_header_folded_two_hundred_thousand_times() {
    let mut raw = b"Expires: Wed, 15 Nov 2023".to_vec();
    for _ in 0..200_000 {
        raw.extend_from_slice(b"\r\n ");
    }
    raw.extend_from_slice(b"10:00:00 +0000\r\n\r\n");
    let report = within_a_second("folded", || ExpiryReport::from_message(&raw, now()));
    let _ = report.state();
}

#[test]
fn absurd_dates_and_durations_are_errors() {
    for d in [
        "99999999999999999999w",
        "18446744073709551615w",
        "18446744073709551616s",
        "",
        "w",
        "-1d",
    ] {
        assert!(parse_duration(d).is_err(), "{d}");
    }
    let long = format!("{}s", "9".repeat(1 << 20));
    assert!(within_a_second("1 MiB duration", || parse_duration(&long)).is_err());
    for d in [
        "Wed, 15 Nov 99999999999 10:00:00 +0000",
        "Wed, 15 Nov -2023 10:00:00 +0000",
        "Wed, 99 Nov 2023 10:00:00 +0000",
        "Wed, 15 Nov 2023 99:99:99 +9999",
    ] {
        assert!(parse_rfc5322(d).is_err(), "{d}");
    }
    for d in [
        "99999-11-15T10:00:00Z",
        "2023-11-15T10:00:00.99999999999999999999999Z",
        "2023-02-30T10:00:00Z",
    ] {
        let _ = parse_rfc3339(d);
    }
    let long = format!("Wed, 15 Nov 2023 10:00:00 {}", " ".repeat(1 << 20));
    let _ = within_a_second("1 MiB date", || parse_rfc5322(&long));
}

/// Fuzzing (`expiry`) reached mail-parser 0.11.9's "Invalid part ID" `debug_assert!`
/// through the protected-header lookup: every entry point gives a result.
#[test]
fn regression_fuzz_mail_parser_part_id() {
    let input = include_bytes!("data/fuzz-mail-parser-part-id.eml");
    let report = within_a_second("fuzz input", || ExpiryReport::from_message(input, now()));
    let _ = report.state();
    let _ = header_fields(input);
    let _ = set_expiry(input, now());
    let _ = remove_expiry(input);
}
