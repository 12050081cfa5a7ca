//! `mailsec pgp encrypt|decrypt|sign|verify|protect` through the built binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mailsec_pgp::KeyGen;

const NOW: &str = "2026-11-27T12:00:00Z";

const MESSAGE: &str = "From: Alice <alice@example.org>\nTo: Bob <bob@example.net>\nSubject: Grüße\n\
Date: Fri, 27 Nov 2026 10:00:00 +0000\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n\
Hello Bob,\nsee you at noon.\n";

fn crlf(s: &str) -> String {
    s.replace('\n', "\r\n")
}

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let created =
            std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_790_000_000);
        for (name, uid, pass) in [
            ("alice", "Alice <alice@example.org>", None),
            ("bob", "Bob <bob@example.net>", Some("bob's secret")),
            ("carol", "Carol <carol@example.com>", None),
        ] {
            let mut g = KeyGen::new(uid).created(created);
            if let Some(p) = pass {
                g = g.passphrase(p.as_bytes());
            }
            let k = g.generate().unwrap();
            std::fs::write(
                dir.path().join(format!("{name}.sec.asc")),
                k.armored_secret(),
            )
            .unwrap();
            std::fs::write(
                dir.path().join(format!("{name}.asc")),
                k.armored_cert().unwrap(),
            )
            .unwrap();
            std::fs::write(
                dir.path().join(format!("{name}.fpr")),
                k.key().fingerprint(),
            )
            .unwrap();
        }
        std::fs::write(dir.path().join("bob.pass"), "bob's secret\n").unwrap();
        std::fs::write(dir.path().join("msg.eml"), MESSAGE).unwrap();
        Fixture { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn fpr(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(&format!("{name}.fpr"))).unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_mailsec"))
            .current_dir(self.dir.path())
            .arg("--now")
            .arg(NOW)
            .args(args)
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> Vec<u8> {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// `pgp decrypt` with Bob's passphrase-protected key: its output.
    fn bob_decrypts(&self, options: &[&str], file: &Path) -> Vec<u8> {
        let head = [
            "pgp",
            "decrypt",
            "--key",
            "bob.sec.asc",
            "--key-passphrase-file",
            "bob.pass",
        ];
        self.ok(&[&head[..], options, &[s(file)]].concat())
    }

    fn write(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, data).unwrap();
        p
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn json(bytes: &[u8]) -> serde_json::Value {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert_eq!(text.lines().count(), 1, "one JSON line: {text}");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn encrypt_sign_then_decrypt_json_and_plain() {
    let f = Fixture::new();
    let enc = f.ok(&[
        "pgp",
        "encrypt",
        "--to",
        "bob.asc",
        "--sign-with",
        "alice.sec.asc",
        "msg.eml",
    ]);
    let text = String::from_utf8(enc.clone()).unwrap();
    assert!(text.contains("multipart/encrypted"));
    assert!(!text.contains("see you at noon"));
    assert!(!text.replace("\r\n", "").contains('\n'), "output is CRLF");
    let enc_path = f.write("enc.eml", &enc);

    let plain = f.bob_decrypts(&[], &enc_path);
    assert_eq!(String::from_utf8(plain).unwrap(), crlf(MESSAGE));

    let v = json(&f.bob_decrypts(
        &[
            "--verify-with",
            "alice.asc",
            "--verify-with",
            "carol.asc",
            "--json",
        ],
        &enc_path,
    ));
    assert_eq!(v["signatures"][0]["result"], "good");
    assert_eq!(v["signatures"][0]["fingerprint"], f.fpr("alice"));
    assert_eq!(v["message"], crlf(MESSAGE));

    // Without the signer's certificate.
    let v = json(&f.bob_decrypts(&["--json"], &enc_path));
    assert_eq!(v["signatures"][0]["result"], "unknown_key");
}

#[test]
fn decrypt_failures_exit_1_with_one_line() {
    let f = Fixture::new();
    let enc = f.ok(&["pgp", "encrypt", "--to", "bob.asc", "msg.eml"]);
    let enc_path = f.write("enc.eml", &enc);
    // Wrong key: opaque failure.
    let out = f.run(&["pgp", "decrypt", "--key", "carol.sec.asc", s(&enc_path)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot be decrypted"), "{err}");
    // Protected key without passphrase.
    let out = f.run(&["pgp", "decrypt", "--key", "bob.sec.asc", s(&enc_path)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("passphrase"));
    // Unreadable file.
    let out = f.run(&["pgp", "decrypt", "--key", "alice.sec.asc", "nope.eml"]);
    assert_eq!(out.status.code(), Some(1));
    // Usage error.
    let out = f.run(&["pgp", "encrypt", "msg.eml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sign_verify_json_and_tamper() {
    let f = Fixture::new();
    let signed = f.ok(&["pgp", "sign", "--key", "alice.sec.asc", "msg.eml"]);
    let signed_path = f.write("signed.eml", &signed);
    let v = json(&f.ok(&[
        "pgp",
        "verify",
        "--cert",
        "alice.asc",
        "--json",
        s(&signed_path),
    ]));
    assert_eq!(
        v,
        serde_json::json!({"signatures": [{"fingerprint": f.fpr("alice"), "result": "good"}]})
    );
    let plain = String::from_utf8(f.ok(&["pgp", "verify", "--cert", "alice.asc", s(&signed_path)]))
        .unwrap();
    assert_eq!(plain, format!("good {}\n", f.fpr("alice")));
    let v = json(&f.ok(&["pgp", "verify", "--json", s(&signed_path)]));
    assert_eq!(v["signatures"][0]["result"], "unknown_key");

    let tampered = String::from_utf8(signed)
        .unwrap()
        .replace("see you at noon", "see you at nine");
    let t = f.write("tampered.eml", tampered.as_bytes());
    let out = f.run(&["pgp", "verify", "--cert", "alice.asc", "--json", s(&t)]);
    assert_eq!(out.status.code(), Some(0), "a bad signature is a verdict");
    assert_eq!(json(&out.stdout)["signatures"][0]["result"], "bad");
}

#[test]
fn protect_headers_and_storage() {
    let f = Fixture::new();
    let enc = f.ok(&[
        "pgp",
        "encrypt",
        "--to",
        "bob.asc",
        "--protect-headers",
        "msg.eml",
    ]);
    let text = String::from_utf8(enc.clone()).unwrap();
    assert!(text.contains("Subject: [...]\r\n"));
    let p = f.write("enc.eml", &enc);
    let plain = f.bob_decrypts(&[], &p);
    assert_eq!(String::from_utf8(plain).unwrap(), crlf(MESSAGE));

    let received = format!("Received: from a by b; Fri, 27 Nov 2026 10:00:01 +0000\n{MESSAGE}");
    let r = f.write("received.eml", received.as_bytes());
    let stored = f.ok(&["pgp", "protect", "--to", "bob.asc", s(&r)]);
    let head = String::from_utf8(stored.clone()).unwrap();
    let head = head.split("\r\n\r\n").next().unwrap().to_owned();
    assert!(head.contains("Received: from a by b"));
    assert!(!head.contains("Alice"));
    let sp = f.write("stored.eml", &stored);
    let plain = f.bob_decrypts(&[], &sp);
    assert_eq!(String::from_utf8(plain).unwrap(), crlf(&received));
}

#[test]
#[ignore = "interop: needs gpg (gnupg); run by scripts/test --interop"]
fn cli_output_opens_with_gpg() {
    let f = Fixture::new();
    let home = tempfile::tempdir().unwrap();
    let gpg = |args: &[&str]| {
        let out = Command::new("gpg")
            .env("GNUPGHOME", home.path())
            .args([
                "--batch",
                "--no-tty",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "bob's secret",
            ])
            .args(args)
            .output()
            .expect("gpg is not installed (apt-get install gnupg)");
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    gpg(&["--import", s(&f.path("bob.sec.asc"))]);
    gpg(&["--import", s(&f.path("alice.asc"))]);
    let enc = f.ok(&[
        "pgp",
        "encrypt",
        "--to",
        "bob.asc",
        "--sign-with",
        "alice.sec.asc",
        "msg.eml",
    ]);
    let text = String::from_utf8(enc).unwrap();
    let start = text.find("-----BEGIN PGP MESSAGE-----").unwrap();
    let end = text.find("-----END PGP MESSAGE-----").unwrap() + 25;
    let a = f.write("m.asc", &text.as_bytes()[start..end]);
    let out = gpg(&["--status-fd", "2", "--decrypt", s(&a)]);
    let status = String::from_utf8_lossy(&out.stderr);
    assert!(status.contains("[GNUPG:] GOODSIG"), "{status}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("see you at noon"));
}
