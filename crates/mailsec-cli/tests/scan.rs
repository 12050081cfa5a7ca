//! `mailsec scan` through the built binary, on the shipped sample messages and zone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::process::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn scan(name: &str, extra: &[&str]) -> (Vec<serde_json::Value>, std::process::Output) {
    // One store per test: redb files are locked while open.
    let db = std::env::temp_dir().join(format!(
        "mailsec-cli-scan-{}-{name}.redb",
        std::process::id()
    ));
    let out = Command::new(env!("CARGO_BIN_EXE_mailsec"))
        .current_dir(ROOT)
        .args([
            "--dns",
            "examples/dns/zone.txt",
            "--authserv-id",
            "mx.example.net",
        ])
        .args(["scan", "--json", "--db", db.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap();
    let lines = String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (lines, out)
}

#[test]
fn every_sample_gets_one_json_line_with_the_contract_fields() {
    let (lines, out) = scan(
        "samples",
        &[
            "--ip",
            "192.0.2.25",
            "--mail-from",
            "alice@example.org",
            "examples/messages/",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines.len(), 4);
    for v in &lines {
        for field in [
            "path",
            "score",
            "action",
            "spam",
            "phishing",
            "symbols",
            "auth",
            "links",
            "authentication_results",
        ] {
            assert!(v.get(field).is_some(), "{field} missing in {v}");
        }
        assert!(
            ["reject", "add_header", "greylist", "no_action"]
                .contains(&v["action"].as_str().unwrap())
        );
        assert_eq!(
            v["spam"].as_bool().unwrap(),
            matches!(v["action"].as_str().unwrap(), "reject" | "add_header")
        );
    }
    let by_name = |name: &str| {
        lines
            .iter()
            .find(|v| v["path"].as_str().unwrap().ends_with(name))
            .unwrap()
    };
    let signed = by_name("signed-invoice.eml");
    assert_eq!(signed["auth"]["dkim"][0]["result"], "pass");
    assert_eq!(signed["auth"]["spf"], "pass");
    assert_eq!(signed["auth"]["dmarc"], "pass");
    let phishing = by_name("phishing-bank.eml");
    assert_eq!(phishing["phishing"], true);
    assert!(
        phishing["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["verdict"] == "phishing" && l["shown"] == "https://www.paypal.com/signin")
    );
    let ham = by_name("ham-newsletter.eml");
    assert_eq!(ham["phishing"], false);
    assert_eq!(ham["auth"]["dkim"].as_array().unwrap().len(), 0);
}

#[test]
fn unreadable_message_is_an_error_field_not_a_failure() {
    let (lines, out) = scan("stdin", &["examples/messages/ham-newsletter.eml", "-"]);
    // stdin is empty: not a message, reported in the output; the command still did its job.
    assert!(out.status.success());
    assert_eq!(lines.len(), 2);
    assert!(lines[1].get("error").is_some(), "{}", lines[1]);
}

#[test]
fn signed_mail_from_a_keyring_sender_gets_a_signature_field() {
    let dir = tempfile::tempdir().unwrap();
    let now = std::time::SystemTime::now();
    let alice = mailsec_pgp::KeyGen::new("Alice <alice@example.org>")
        .created(now - std::time::Duration::from_secs(3600))
        .generate()
        .unwrap();
    let cert = dir.path().join("alice.asc");
    std::fs::write(&cert, alice.armored_cert().unwrap()).unwrap();
    let config = dir.path().join("mailsec.toml");
    std::fs::write(
        &config,
        format!("[pipeline]\nkeyring = [{:?}]\n", cert.display().to_string()),
    )
    .unwrap();
    let plain = b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: signed\r\n\
MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nReally me.\r\n";
    let signed = mailsec_pgp::Sign::new(alice.key(), now)
        .sign(plain)
        .unwrap();
    std::fs::write(dir.path().join("a-signed.eml"), &signed).unwrap();
    let tampered = String::from_utf8(signed)
        .unwrap()
        .replace("Really me.", "Really you.");
    std::fs::write(dir.path().join("b-tampered.eml"), tampered).unwrap();
    std::fs::write(dir.path().join("c-plain.eml"), plain).unwrap();

    let (lines, out) = scan(
        "signature",
        &[
            "--config",
            config.to_str().unwrap(),
            dir.path().to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<_> = lines
        .iter()
        .filter(|v| v["path"].as_str().unwrap().ends_with(".eml"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["signature"]["result"], "good", "{}", lines[0]);
    assert_eq!(lines[0]["signature"]["from"], "alice@example.org");
    assert_eq!(
        lines[0]["signature"]["signatures"][0]["fingerprint"],
        mailsec_pgp::fingerprint(alice.key().cert())
    );
    assert_eq!(lines[1]["signature"]["result"], "bad", "{}", lines[1]);
    assert!(lines[2]["signature"].is_null(), "{}", lines[2]);
    // The contract's fields are still there.
    assert!(lines[0]["authentication_results"].is_string());

    // Without a keyring: null.
    let (lines, _) = scan(
        "signature-none",
        &[dir.path().join("a-signed.eml").to_str().unwrap()],
    );
    assert!(lines[0]["signature"].is_null());
}
