//! `mailsec expiry set|check`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::process::{Command, Output};

fn mailsec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailsec"))
        .args(args)
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    serde_json::from_str(text.trim()).unwrap()
}

#[test]
fn set_then_check_with_a_fixed_clock() {
    let dir = tempfile::tempdir().unwrap();
    let msg = dir.path().join("m.eml");
    // LF line endings in, CRLF out.
    std::fs::write(&msg, "From: a@example.org\nSubject: hi\n\nbody\n").unwrap();
    let out = mailsec(&[
        "--now",
        "2026-11-27T12:00:00Z",
        "expiry",
        "set",
        "--in",
        "7d",
        msg.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.stdout,
        b"From: a@example.org\r\nSubject: hi\r\nExpires: Fri, 04 Dec 2026 12:00:00 +0000\r\n\r\nbody\r\n"
    );
    let set = dir.path().join("set.eml");
    std::fs::write(&set, &out.stdout).unwrap();

    let v = json(&mailsec(&[
        "--now",
        "2026-12-01T00:00:00Z",
        "expiry",
        "check",
        "--json",
        set.to_str().unwrap(),
    ]));
    assert_eq!(
        v,
        serde_json::json!({"state": "live", "expires_at": "2026-12-04T12:00:00Z", "protected": false, "mismatch": false})
    );
    let v = json(&mailsec(&[
        "--now",
        "2026-12-04T12:00:00Z",
        "expiry",
        "check",
        "--json",
        set.to_str().unwrap(),
    ]));
    assert_eq!(v["state"], "expired");
    let v = json(&mailsec(&[
        "expiry",
        "check",
        "--json",
        msg.to_str().unwrap(),
    ]));
    assert_eq!(
        v,
        serde_json::json!({"state": "none", "expires_at": null, "protected": false, "mismatch": false})
    );
    // Plain output.
    let out = mailsec(&[
        "--now",
        "2026-12-01T00:00:00Z",
        "expiry",
        "check",
        set.to_str().unwrap(),
    ]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "live expires_at=2026-12-04T12:00:00Z protected=false mismatch=false\n"
    );
}

#[test]
fn set_at_replaces_an_existing_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let msg = dir.path().join("m.eml");
    std::fs::write(
        &msg,
        "Expiry-Date: Tue, 01 Dec 2026 00:00:00 +0000\r\nSubject: x\r\n\r\nb\r\n",
    )
    .unwrap();
    let out = mailsec(&[
        "expiry",
        "set",
        "--at",
        "2027-01-02T03:04:05+01:00",
        msg.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_eq!(
        out.stdout,
        b"Subject: x\r\nExpires: Sat, 02 Jan 2027 02:04:05 +0000\r\n\r\nb\r\n"
    );
}

#[test]
fn clear_signed_protected_expiry_and_mismatch_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let msg = dir.path().join("signed.eml");
    std::fs::write(
        &msg,
        "From: a@example.org\r\nExpires: Wed, 02 Dec 2026 00:00:00 +0000\r\nContent-Type: multipart/signed; protocol=\"application/pgp-signature\"; micalg=pgp-sha256; boundary=\"s\"\r\n\r\n\
--s\r\nContent-Type: text/plain; protected-headers=\"v1\"\r\nFrom: a@example.org\r\nExpires: Tue, 01 Dec 2026 00:00:00 +0000\r\n\r\nhello\r\n\
--s\r\nContent-Type: application/pgp-signature\r\n\r\nsig\r\n--s--\r\n",
    )
    .unwrap();
    let v = json(&mailsec(&[
        "--now",
        "2026-12-01T12:00:00Z",
        "expiry",
        "check",
        "--json",
        msg.to_str().unwrap(),
    ]));
    assert_eq!(
        v,
        serde_json::json!({"state": "expired", "expires_at": "2026-12-01T00:00:00Z", "protected": true, "mismatch": true})
    );
}

#[test]
fn errors_and_usage() {
    let dir = tempfile::tempdir().unwrap();
    let msg = dir.path().join("m.eml");
    std::fs::write(&msg, "Subject: x\r\n\r\n").unwrap();
    let out = mailsec(&["expiry", "set", "--in", "7y", msg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    let out = mailsec(&["expiry", "check", "/nonexistent/file.eml"]);
    assert_eq!(out.status.code(), Some(1));
    let out = mailsec(&["expiry", "set", msg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let out = mailsec(&[
        "expiry",
        "set",
        "--in",
        "1d",
        "--at",
        "2026-01-01T00:00:00Z",
        msg.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
}
