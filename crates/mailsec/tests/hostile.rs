//! Hostile messages against `ParseLimits::parse`: each case finishes well under
//! a second with a clear `LimitError`, or a parse within the limits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use mailsec::{LimitError, ParseLimits};
use mailsec_testkit::within_a_second;

#[test]
fn a_hundred_thousand_headers() {
    let mut raw = Vec::new();
    for i in 0..100_000 {
        raw.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    raw.extend_from_slice(b"\r\nbody\r\n");
    let err = within_a_second("100k headers", || ParseLimits::default().parse(&raw)).unwrap_err();
    assert!(
        matches!(err, LimitError::TooManyHeaders { limit: 1000 }),
        "{err}"
    );
}

#[test]
fn a_hundred_thousand_tiny_headers_fit_the_byte_limit_but_not_the_count() {
    // 2.5 bytes a field on average: under max_header_bytes, over max_header_count.
    let raw = "a:\n".repeat(80_000);
    let err = within_a_second("tiny headers", || {
        ParseLimits::default().parse(raw.as_bytes())
    })
    .unwrap_err();
    assert!(matches!(err, LimitError::TooManyHeaders { .. }), "{err}");
}

#[test]
fn one_huge_folded_header() {
    let mut raw = b"Subject: x".to_vec();
    for _ in 0..200_000 {
        raw.extend_from_slice(b"\r\n y");
    }
    raw.extend_from_slice(b"\r\n\r\nbody");
    let err = within_a_second("folded header", || ParseLimits::default().parse(&raw)).unwrap_err();
    assert!(matches!(err, LimitError::HeaderTooLarge { .. }), "{err}");
}

fn nested_multiparts(depth: usize) -> Vec<u8> {
    let mut raw = b"From: a@example.com\r\nMIME-Version: 1.0\r\n".to_vec();
    for i in 0..depth {
        raw.extend_from_slice(
            format!("Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n")
                .as_bytes(),
        );
    }
    raw.extend_from_slice(b"Content-Type: text/plain\r\n\r\ndeep\r\n");
    for i in (0..depth).rev() {
        raw.extend_from_slice(format!("--b{i}--\r\n").as_bytes());
    }
    raw
}

#[test]
fn deep_multipart_nesting() {
    for depth in [25, 1_000, 5_000] {
        let raw = nested_multiparts(depth);
        let err =
            within_a_second("deep multipart", || ParseLimits::default().parse(&raw)).unwrap_err();
        assert!(
            matches!(err, LimitError::TooDeep { limit: 20 }),
            "depth {depth}: {err}"
        );
    }
    // Within the limit it parses.
    assert!(ParseLimits::default().parse(&nested_multiparts(10)).is_ok());
}

#[test]
fn deep_attached_message_nesting() {
    let depth = 2_000;
    let mut raw = Vec::new();
    for i in 0..depth {
        raw.extend_from_slice(
            format!(
                "From: a{i}@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"m{i}\"\r\n\r\n\
                 --m{i}\r\nContent-Type: message/rfc822\r\n\r\n"
            )
            .as_bytes(),
        );
    }
    raw.extend_from_slice(b"Subject: innermost\r\n\r\nhi\r\n");
    for i in (0..depth).rev() {
        raw.extend_from_slice(format!("--m{i}--\r\n").as_bytes());
    }
    let res = within_a_second("deep message/rfc822", || ParseLimits::default().parse(&raw));
    assert!(
        matches!(res, Err(LimitError::TooDeep { .. })),
        "{:?}",
        res.map(|m| m.parts.len())
    );
}

#[test]
fn a_hundred_thousand_parts() {
    let mut raw = b"From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n".to_vec();
    for _ in 0..100_000 {
        raw.extend_from_slice(b"--p\r\n\r\nx\r\n");
    }
    raw.extend_from_slice(b"--p--\r\n");
    let err = within_a_second("100k parts", || ParseLimits::default().parse(&raw)).unwrap_err();
    assert!(
        matches!(err, LimitError::TooManyParts { limit: 1000 }),
        "{err}"
    );
}

#[test]
fn oversized_message_is_refused_before_parsing() {
    let raw = vec![b'a'; 51 * 1024 * 1024];
    let err = within_a_second("51 MiB", || ParseLimits::default().parse(&raw)).unwrap_err();
    assert!(matches!(err, LimitError::MessageTooLarge { .. }), "{err}");
}

/// Fuzzing (`parse_limits`) found a MIME tree that reaches a `debug_assert!` in
/// mail-parser 0.11.9 ("Invalid part ID"). Release builds (and our test profile, which
/// turns that crate's debug assertions off) parse it: a result, never a panic.
#[test]
fn regression_fuzz_mail_parser_part_id() {
    let input = include_bytes!("data/fuzz-mail-parser-part-id.eml");
    let parsed = within_a_second("fuzz input", || ParseLimits::default().parse(input));
    if let Ok(message) = parsed {
        let _ = message.parts.len();
    }
}
