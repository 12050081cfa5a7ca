//! `mailsec password encrypt|decrypt`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::Path;
use std::process::{Command, Output};

use mail_parser::MessageParser;

const MESSAGE: &str = "From: Alice <alice@example.org>\nTo: Bob <bob@example.net>\nSubject: contract\nMessage-ID: <c-1@example.org>\n\nThe signed contract.\n";
const PASSWORD: &str = "Lantern-Sequoia-93-velvet";

fn mailsec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailsec"))
        .args(args)
        .output()
        .unwrap()
}

/// `mailsec password encrypt --password-file PW OPTIONS... --out-dir OUT MSG`.
fn encrypt(password_file: &str, options: &[&str], out_dir: &Path, msg: &str) -> Output {
    let head = ["password", "encrypt", "--password-file", password_file];
    let tail = ["--out-dir", out_dir.to_str().unwrap(), msg];
    mailsec(&[&head[..], options, &tail[..]].concat())
}

fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn setup(dir: &Path) -> (String, String) {
    let msg = dir.join("in.eml");
    std::fs::write(&msg, MESSAGE).unwrap();
    let pw = dir.join("pw");
    std::fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
    (
        msg.to_str().unwrap().to_owned(),
        pw.to_str().unwrap().to_owned(),
    )
}

#[test]
fn encrypt_writes_message_and_notification_and_decrypt_prints_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let (msg, pw) = setup(dir.path());
    let out_dir = dir.path().join("out");
    let out = mailsec(&[
        "--now",
        "2026-11-27T12:00:00Z",
        "password",
        "encrypt",
        "--password-file",
        &pw,
        "--hint",
        "the usual, plus the year",
        "--expires",
        "7d",
        "--unlock-url",
        "https://mail.example.org/unlock/{id}",
        "--out-dir",
        out_dir.to_str().unwrap(),
        &msg,
    ]);
    assert_success(&out);
    let message_eml = out_dir.join("message.eml");
    let note_eml = out_dir.join("notification.eml");
    let note = std::fs::read(&note_eml).unwrap();
    assert!(
        !note
            .windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes())
    );
    let parsed = MessageParser::default().parse(&note).unwrap();
    assert_eq!(
        parsed.to().unwrap().first().unwrap().address(),
        Some("bob@example.net")
    );
    assert_eq!(
        parsed.from().unwrap().first().unwrap().address(),
        Some("alice@example.org")
    );
    let text = parsed.body_text(0).unwrap();
    assert!(text.contains("the usual, plus the year"));
    assert!(text.contains("https://mail.example.org/unlock/"));
    assert!(text.contains("Fri, 04 Dec 2026 12:00:00 +0000"));
    assert_eq!(parsed.attachments().count(), 1);
    assert!(String::from_utf8_lossy(&out.stdout).contains("expires_at=2026-12-04T12:00:00Z"));

    // Expiry of the protected message, judged by `expiry check`.
    let check = mailsec(&[
        "--now",
        "2026-12-05T00:00:00Z",
        "expiry",
        "check",
        "--json",
        message_eml.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(v["state"], "expired");
    assert_eq!(v["expires_at"], "2026-12-04T12:00:00Z");

    // Decrypt: the original, CRLF, byte for byte; from the envelope or the notification.
    let crlf = MESSAGE.replace('\n', "\r\n");
    for file in [&message_eml, &note_eml] {
        let out = mailsec(&[
            "password",
            "decrypt",
            "--password-file",
            &pw,
            file.to_str().unwrap(),
        ]);
        assert_success(&out);
        assert_eq!(String::from_utf8(out.stdout).unwrap(), crlf);
    }

    // Wrong password: exit 1, one line, no plaintext.
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, "nope\n").unwrap();
    let out = mailsec(&[
        "password",
        "decrypt",
        "--password-file",
        wrong.to_str().unwrap(),
        message_eml.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1);
    assert!(err.contains("could not be decrypted"), "{err}");
}

#[test]
fn link_mode_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let (msg, pw) = setup(dir.path());
    let out_dir = dir.path().join("link");
    let out = encrypt(
        &pw,
        &["--mode", "link", "--unlock-url", "https://x.example/u/{id}"],
        &out_dir,
        &msg,
    );
    assert_success(&out);
    let note = std::fs::read(out_dir.join("notification.eml")).unwrap();
    let parsed = MessageParser::default().parse(&note).unwrap();
    assert_eq!(parsed.attachments().count(), 0);
    assert!(
        parsed
            .body_text(0)
            .unwrap()
            .contains("https://x.example/u/")
    );

    // Link mode without a URL, an empty password: exit 1 with one line.
    let out = encrypt(&pw, &["--mode", "link"], &out_dir, &msg);
    assert_eq!(out.status.code(), Some(1));
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let out = encrypt(empty.to_str().unwrap(), &[], &out_dir, &msg);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));
    // A weak password works but warns.
    let weak = dir.path().join("weak");
    std::fs::write(&weak, "password1\n").unwrap();
    let out = encrypt(weak.to_str().unwrap(), &[], &out_dir, &msg);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("weak password"));
}

#[test]
fn also_to_certificate_opens_the_message_with_the_key() {
    use sequoia_openpgp::cert::prelude::*;
    use sequoia_openpgp::serialize::SerializeInto;
    let dir = tempfile::tempdir().unwrap();
    let (msg, pw) = setup(dir.path());
    let (alice, _) = CertBuilder::general_purpose(Some("<alice@example.org>"))
        .generate()
        .unwrap();
    let cert_path = dir.path().join("alice.asc");
    std::fs::write(&cert_path, alice.armored().to_vec().unwrap()).unwrap();
    let out_dir = dir.path().join("o");
    let out = encrypt(
        &pw,
        &[
            "--also-to",
            cert_path.to_str().unwrap(),
            "--to-addr",
            "carol@example.com",
        ],
        &out_dir,
        &msg,
    );
    assert_success(&out);
    let envelope = std::fs::read(out_dir.join("message.eml")).unwrap();
    let parsed = MessageParser::default().parse(&envelope).unwrap();
    assert_eq!(
        parsed.to().unwrap().first().unwrap().address(),
        Some("carol@example.com")
    );
    let armored = parsed.part(2).unwrap().contents();
    let plain = mailsec_password::decrypt_with_keys(armored, &[alice]).unwrap();
    assert_eq!(plain, MESSAGE.replace('\n', "\r\n").as_bytes());

    // An unreadable certificate is an error.
    let bad = dir.path().join("bad.asc");
    std::fs::write(&bad, "not a cert").unwrap();
    let out = encrypt(&pw, &["--also-to", bad.to_str().unwrap()], &out_dir, &msg);
    assert_eq!(out.status.code(), Some(1));
}
