//! Interop with GnuPG 2.2, both directions. Run with
//! `cargo test -p mailsec-pgp --test interop_gpg -- --ignored`; the tests
//! fail (not skip) when `gpg` is missing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

use mailsec_pgp::{Encrypt, KeyGen, Open, SecretKey, Sign, read_cert};

const MESSAGE: &str = "From: Alice <alice@example.org>\r\nTo: Gus <gus@example.org>\r\n\
Subject: interop\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
Grüße aus dem Test.\r\n--b1\r\nContent-Type: application/octet-stream\r\n\
Content-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n--b1--\r\n";

/// The MIME entity PGP/MIME puts inside (the content headers and body).
fn inner_part() -> &'static str {
    &MESSAGE[MESSAGE.find("Content-Type: multipart/mixed").unwrap()..]
}

struct Gpg {
    home: tempfile::TempDir,
}

impl Gpg {
    fn new() -> Self {
        let home = tempfile::tempdir().unwrap();
        let g = Gpg { home };
        // Fails loudly when gpg is not installed.
        let out = g
            .cmd(&["--version"])
            .output()
            .expect("gpg is not installed (apt-get install gnupg)");
        assert!(out.status.success());
        g
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", self.home.path())
            .args([
                "--batch",
                "--no-tty",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "pw",
            ])
            .args(args)
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> (Vec<u8>, String) {
        let out = self.cmd(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "gpg {args:?} failed: {err}");
        (out.stdout, err)
    }

    fn file(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.home.path().join(name);
        std::fs::write(&p, data).unwrap();
        p
    }

    fn fingerprint(&self) -> String {
        let (out, _) = self.run(&["--with-colons", "--list-keys"]);
        let text = String::from_utf8(out).unwrap();
        text.lines()
            .find(|l| l.starts_with("fpr:"))
            .and_then(|l| l.split(':').nth(9))
            .unwrap()
            .to_owned()
    }

    /// A new Ed25519/Cv25519 key "Gus", passphrase "pw".
    fn generate(&self) -> String {
        self.run(&[
            "--quick-gen-key",
            "Gus <gus@example.org>",
            "ed25519",
            "sign",
            "0",
        ]);
        let fpr = self.fingerprint();
        self.run(&["--quick-add-key", &fpr, "cv25519", "encr", "0"]);
        fpr
    }
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn armored_block(message: &[u8], begin: &str, end: &str) -> Vec<u8> {
    let t = String::from_utf8_lossy(message);
    let s = t.find(begin).unwrap();
    let e = t[s..].find(end).unwrap() + s + end.len();
    format!("{}\n", &t[s..e]).into_bytes()
}

fn pgp_mime_wrap(armored: &[u8]) -> Vec<u8> {
    let mut m = String::from(
        "From: Gus <gus@example.org>\r\nTo: Alice <alice@example.org>\r\nSubject: from gpg\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";\r\n \
         boundary=\"enc\"\r\n\r\n--enc\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n\
         --enc\r\nContent-Type: application/octet-stream\r\n\r\n",
    );
    m.push_str(
        &String::from_utf8_lossy(armored)
            .replace("\r\n", "\n")
            .replace('\n', "\r\n"),
    );
    m.push_str("\r\n--enc--\r\n");
    m.into_bytes()
}

#[test]
#[ignore = "interop: needs gpg (gnupg); run by scripts/test --interop"]
fn ours_encrypt_sign_gpg_decrypts_and_verifies() {
    let gpg = Gpg::new();
    let fpr = gpg.generate();
    let (gus_pub, _) = gpg.run(&["--armor", "--export", &fpr]);
    let gus = read_cert(&gus_pub).unwrap();
    let alice = KeyGen::new("Alice <alice@example.org>").generate().unwrap();
    let alice_pub = gpg.file("alice.asc", &alice.armored_cert().unwrap());
    gpg.run(&["--import", p(&alice_pub)]);

    let now = SystemTime::now();
    let out = Encrypt::new(now)
        .recipient(&gus)
        .sign_with(alice.key())
        .encrypt(MESSAGE.as_bytes())
        .unwrap();
    let armored = gpg.file(
        "msg.asc",
        &armored_block(
            &out,
            "-----BEGIN PGP MESSAGE-----",
            "-----END PGP MESSAGE-----",
        ),
    );
    let (plain, status) = gpg.run(&["--status-fd", "2", "--decrypt", p(&armored)]);
    assert!(
        plain == inner_part().as_bytes(),
        "gpg plaintext:\n{}",
        String::from_utf8_lossy(&plain)
    );
    assert!(status.contains("[GNUPG:] DECRYPTION_OKAY"), "{status}");
    assert!(
        status.contains("[GNUPG:] VALIDSIG ") && status.contains("[GNUPG:] GOODSIG"),
        "{status}"
    );
    assert!(status.contains(&alice.key().fingerprint()), "{status}");

    // gpg holding one of our generated (v4) keys decrypts what we encrypt to it.
    let bob = KeyGen::new("Bob <bob@example.net>").generate().unwrap();
    let bob_sec = gpg.file("bob.sec", &bob.key().to_armored().unwrap());
    gpg.run(&["--import", p(&bob_sec)]);
    let out = Encrypt::new(now)
        .recipient(&bob.key().public_cert())
        .sign_with(alice.key())
        .encrypt(MESSAGE.as_bytes())
        .unwrap();
    let armored = gpg.file(
        "msg2.asc",
        &armored_block(
            &out,
            "-----BEGIN PGP MESSAGE-----",
            "-----END PGP MESSAGE-----",
        ),
    );
    let (plain, status) = gpg.run(&["--status-fd", "2", "--decrypt", p(&armored)]);
    assert!(plain == inner_part().as_bytes());
    assert!(status.contains("[GNUPG:] GOODSIG"), "{status}");

    // multipart/signed: gpg checks our detached signature over the part.
    let signed = Sign::new(alice.key(), now)
        .sign(MESSAGE.as_bytes())
        .unwrap();
    let v = Open::new(now)
        .cert(&alice.key().public_cert())
        .verify(&signed)
        .unwrap();
    let data = gpg.file("data", v.payload());
    let sig = gpg.file(
        "sig.asc",
        &armored_block(
            &signed,
            "-----BEGIN PGP SIGNATURE-----",
            "-----END PGP SIGNATURE-----",
        ),
    );
    let (_, status) = gpg.run(&["--status-fd", "2", "--verify", p(&sig), p(&data)]);
    assert!(status.contains("[GNUPG:] GOODSIG"), "{status}");
}

#[test]
#[ignore = "interop: needs gpg (gnupg); run by scripts/test --interop"]
fn gpg_encrypt_sign_ours_decrypts_and_verifies() {
    let gpg = Gpg::new();
    let fpr = gpg.generate();
    // Import what gpg exports: the protected secret key and the public cert.
    let (gus_sec, _) = gpg.run(&["--armor", "--export-secret-keys", &fpr]);
    let (gus_pub_bin, _) = gpg.run(&["--export", &fpr]);
    assert!(matches!(
        SecretKey::from_bytes(&gus_sec, None),
        Err(mailsec_pgp::Error::PassphraseRequired)
    ));
    let _gus_key = SecretKey::from_bytes(&gus_sec, Some(b"pw")).unwrap();
    let gus = read_cert(&gus_pub_bin).unwrap();

    let alice = KeyGen::new("Alice <alice@example.org>").generate().unwrap();
    let alice_pub = gpg.file("alice.asc", &alice.armored_cert().unwrap());
    gpg.run(&["--import", p(&alice_pub)]);
    let alice_fpr = alice.key().fingerprint();

    // gpg encrypts+signs the MIME entity to Alice.
    let inner = gpg.file("inner.eml", inner_part().as_bytes());
    let (armored, _) = gpg.run(&[
        "--armor",
        "--trust-model",
        "always",
        "--recipient",
        &alice_fpr,
        "--local-user",
        &fpr,
        "--sign",
        "--encrypt",
        "--output",
        "-",
        p(&inner),
    ]);
    let now = SystemTime::now();
    let d = Open::new(now)
        .key(alice.key())
        .cert(&gus)
        .decrypt(&pgp_mime_wrap(&armored))
        .unwrap();
    assert!(d.payload() == inner_part().as_bytes());
    let s = &d.signatures()[0];
    assert!(s.result().is_good(), "{s:?}");
    assert_eq!(s.result().fingerprint(), Some(fpr.as_str()));
    assert!(s.signer_matches_from());

    // gpg makes a detached signature over the part; ours verifies the multipart/signed.
    let (sig, _) = gpg.run(&[
        "--armor",
        "--local-user",
        &fpr,
        "--digest-algo",
        "SHA256",
        "--detach-sign",
        "--output",
        "-",
        p(&inner),
    ]);
    let signed = format!(
        "From: Gus <gus@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; micalg=pgp-sha256;\r\n \
         protocol=\"application/pgp-signature\"; boundary=\"sig\"\r\n\r\n--sig\r\n{}\r\n--sig\r\n\
         Content-Type: application/pgp-signature\r\n\r\n{}\r\n--sig--\r\n",
        inner_part(),
        String::from_utf8_lossy(&sig).replace('\n', "\r\n")
    );
    // Read the time after gpg signed: gpg stamps the signature with the current second.
    let v = Open::new(SystemTime::now())
        .cert(&gus)
        .verify(signed.as_bytes())
        .unwrap();
    assert!(v.signatures()[0].result().is_good(), "{:?}", v.signatures());
    assert!(v.signatures()[0].signer_matches_from());
}
