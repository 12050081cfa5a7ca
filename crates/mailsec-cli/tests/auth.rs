//! `mailsec auth` through the built binary, on the shipped sample messages and zone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::process::{Command, Output};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn mailsec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailsec"))
        .current_dir(ROOT)
        .args([
            "--dns",
            "examples/dns/zone.txt",
            "--authserv-id",
            "mx.example.net",
        ])
        .args(args)
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

const SENDER: [&str; 6] = [
    "--ip",
    "192.0.2.25",
    "--helo",
    "mail.example.org",
    "--mail-from",
    "alice@example.org",
];

#[test]
fn signed_message_passes_everything() {
    let mut args = vec!["auth", "--json"];
    args.extend(SENDER);
    args.push("examples/messages/signed-invoice.eml");
    let v = json(&mailsec(&args));
    assert_eq!(v["auth"]["spf"], "pass");
    assert_eq!(v["auth"]["dkim"][0]["result"], "pass");
    assert_eq!(v["auth"]["dkim"][0]["domain"], "example.org");
    assert_eq!(v["auth"]["dkim"][0]["selector"], "sel1");
    assert_eq!(v["auth"]["dmarc"], "pass");
    assert_eq!(v["auth"]["arc"], "none");
    let ar = v["authentication_results"].as_str().unwrap();
    assert!(ar.starts_with("mx.example.net; spf=pass"), "{ar}");
    assert!(ar.contains("dkim=pass header.d=example.org"), "{ar}");
}

#[test]
fn tampered_body_fails_dkim_and_forged_ip_fails_dmarc() {
    let original = std::fs::read(format!("{ROOT}/examples/messages/signed-invoice.eml")).unwrap();
    let tampered = String::from_utf8(original)
        .unwrap()
        .replace("November", "December");
    let dir = std::env::temp_dir().join(format!("mailsec-cli-auth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tampered.eml");
    std::fs::write(&path, tampered).unwrap();

    let out = mailsec(&[
        "auth",
        "--json",
        "--ip",
        "203.0.113.9",
        "--mail-from",
        "alice@example.org",
        path.to_str().unwrap(),
    ]);
    let v = json(&out);
    assert_eq!(v["auth"]["spf"], "fail");
    assert_eq!(v["auth"]["dkim"][0]["result"], "fail");
    assert_eq!(v["auth"]["dmarc"], "fail");
}

#[test]
fn plain_output_is_the_header_value_and_no_ip_means_spf_none() {
    let out = mailsec(&["auth", "examples/messages/ham-newsletter.eml"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("mx.example.net; spf=none; dkim=none"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1);
}

#[test]
fn unreadable_file_exits_1_with_one_line() {
    let out = mailsec(&["auth", "no/such/file.eml"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
}
