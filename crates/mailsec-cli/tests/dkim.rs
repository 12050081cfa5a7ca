//! `mailsec dkim sign|verify|keygen`, run as the built binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, UNIX_EPOCH};

use mailsec_auth::dkim::{DkimResult, Verifier};
use mailsec_dns::{Record, StaticResolver};

const MESSAGE: &str = "From: Alice <alice@example.org>\nTo: bob@example.net\nSubject: hello\nDate: Fri, 27 Nov 2026 10:00:00 +0000\nMessage-ID: <1@example.org>\n\nHello  Bob,\n\nsee you.\n";

fn mailsec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailsec"))
        .args(args)
        .output()
        .expect("run mailsec")
}

/// `mailsec GLOBALS... dkim sign --key KEY --domain D --selector S OPTIONS... MSG`.
fn sign(
    globals: &[&str],
    key: &Path,
    domain: &str,
    selector: &str,
    options: &[&str],
    msg: &Path,
) -> Output {
    let key = key.to_str().unwrap();
    let head = [
        "dkim",
        "sign",
        "--key",
        key,
        "--domain",
        domain,
        "--selector",
        selector,
    ];
    let msg = [msg.to_str().unwrap()];
    mailsec(&[globals, &head[..], options, &msg[..]].concat())
}

fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mailsec-cli-dkim-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn keygen(dir: &Path, alg: &str) -> (PathBuf, String) {
    let key = dir.join(format!("{alg}.pem"));
    let out = mailsec(&[
        "dkim",
        "keygen",
        "--domain",
        "example.org",
        "--selector",
        "s1",
        "--algorithm",
        alg,
        "--out",
        key.to_str().unwrap(),
    ]);
    assert_success(&out);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("s1._domainkey.example.org. IN TXT ( \"v=DKIM1; k="),
        "{stdout}"
    );
    // The record, as its strings joined.
    let record: String = stdout.split('"').skip(1).step_by(2).collect();
    (key, record)
}

async fn verify_with_library(signed: &[u8], record: &str) -> DkimResult {
    let mut dns = StaticResolver::new();
    dns.add("s1._domainkey.example.org", Record::txt(record));
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let r = Verifier::new().verify(signed, &dns, now).await;
    assert_eq!(r.len(), 1);
    r[0].result().clone()
}

#[tokio::test]
async fn keygen_then_sign_verifies() {
    let dir = tempdir("sign");
    let msg = dir.join("msg.eml");
    std::fs::write(&msg, MESSAGE).unwrap();
    for (alg, k) in [("ed25519-sha256", "ed25519"), ("rsa-sha256", "rsa")] {
        let (key, record) = keygen(&dir, alg);
        assert!(
            record.starts_with(&format!("v=DKIM1; k={k}; p=")),
            "{record}"
        );
        let pem = std::fs::read_to_string(&key).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let out = sign(
            &["--now", "2026-11-27T12:00:00Z"],
            &key,
            "example.org",
            "s1",
            &[],
            &msg,
        );
        assert_success(&out);
        let signed = out.stdout;
        assert!(signed.starts_with(format!("DKIM-Signature: v=1; a={alg};").as_bytes()));
        // Written CRLF throughout.
        assert!(!signed.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'));
        assert_eq!(
            verify_with_library(&signed, &record).await,
            DkimResult::Pass,
            "{alg}"
        );
        let text = String::from_utf8(signed).unwrap();
        assert!(text.contains("t=1795780800;"), "{text}");
    }
}

#[test]
fn sign_refuses_bad_keys_and_mismatched_algorithms() {
    let dir = tempdir("bad");
    let msg = dir.join("msg.eml");
    std::fs::write(&msg, MESSAGE).unwrap();
    let bad = dir.join("bad.pem");
    std::fs::write(&bad, "not a key").unwrap();
    let out = sign(&[], &bad, "d", "s", &[], &msg);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    let (key, _) = keygen(&dir, "ed25519-sha256");
    let out = sign(&[], &key, "d", "s", &["--algorithm", "rsa-sha256"], &msg);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not fit"));
    let out = sign(&[], &key, "d", "s", &[], &dir.join("missing"));
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn verify_json_with_zone() {
    let dir = tempdir("verify");
    let msg = dir.join("msg.eml");
    std::fs::write(&msg, MESSAGE).unwrap();
    let (key, record) = keygen(&dir, "ed25519-sha256");
    let out = sign(&[], &key, "example.org", "s1", &[], &msg);
    assert!(out.status.success());
    let signed = dir.join("signed.eml");
    std::fs::write(&signed, &out.stdout).unwrap();
    let zone = dir.join("zone");
    std::fs::write(
        &zone,
        format!("s1._domainkey.example.org. 300 IN TXT \"{record}\"\n"),
    )
    .unwrap();
    let out = mailsec(&[
        "--dns",
        zone.to_str().unwrap(),
        "dkim",
        "verify",
        "--json",
        signed.to_str().unwrap(),
    ]);
    assert_success(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["signatures"][0]["result"], "pass");
    assert_eq!(v["signatures"][0]["domain"], "example.org");
    assert_eq!(v["signatures"][0]["selector"], "s1");
    assert_eq!(v["signatures"][0]["algorithm"], "ed25519-sha256");
    assert!(v["signatures"][0]["reason"].is_null());
    // A changed body fails, with a reason.
    let mut tampered = out_of(&signed);
    tampered.extend_from_slice(b"P.S.\r\n");
    std::fs::write(&signed, &tampered).unwrap();
    let out = mailsec(&[
        "--dns",
        zone.to_str().unwrap(),
        "dkim",
        "verify",
        "--json",
        signed.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["signatures"][0]["result"], "fail");
    assert_eq!(v["signatures"][0]["reason"], "body hash did not verify");
    // Unsigned: an empty list.
    let out = mailsec(&[
        "--dns",
        zone.to_str().unwrap(),
        "dkim",
        "verify",
        "--json",
        msg.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v, serde_json::json!({"signatures": []}));
}

fn out_of(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}
