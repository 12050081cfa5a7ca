//! Interop with `sqop` (the Stateless OpenPGP CLI over sequoia), both
//! directions. Run with `cargo test -p mailsec-pgp --test interop_sqop --
//! --ignored`; the tests fail (not skip) when `sqop` is missing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

use mailsec_pgp::{Encrypt, KeyGen, KeyVersion, Open, SecretKey, Sign, read_cert};

const MESSAGE: &str = "From: Alice <alice@example.org>\r\nTo: Sam <sam@example.org>\r\n\
Subject: interop\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
Grüße aus dem Test.\r\nSecond line.\r\n";

fn inner_part() -> &'static str {
    &MESSAGE[MESSAGE.find("Content-Type:").unwrap()..]
}

fn sqop(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let mut child = Command::new("sqop")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sqop is not installed (apt-get install sqop)");
    // sqop may exit before reading everything; its status says why.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "sqop {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn file(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
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

#[test]
#[ignore = "interop: needs sqop; run by scripts/test --interop"]
fn ours_to_sqop() {
    let dir = tempfile::tempdir().unwrap();
    let sam_key = sqop(&["generate-key", "Sam <sam@example.org>"], b"");
    let sam_cert = sqop(&["extract-cert"], &sam_key);
    let sam_key_f = file(dir.path(), "sam.key", &sam_key);
    let sam = read_cert(&sam_cert).unwrap();
    let now = SystemTime::now();
    // Debian's sqop 0.27 is built on sequoia-openpgp 1.x, which cannot read
    // v6 (RFC 9580) certificates; v6 is covered by the rPGP vectors.
    {
        let version = KeyVersion::V4;
        let alice = KeyGen::new("Alice <alice@example.org>")
            .version(version)
            .generate()
            .unwrap();
        let alice_cert = file(dir.path(), "alice.cert", &alice.armored_cert().unwrap());
        let out = Encrypt::new(now)
            .recipient(&sam)
            .sign_with(alice.key())
            .encrypt(MESSAGE.as_bytes())
            .unwrap();
        let armored = armored_block(
            &out,
            "-----BEGIN PGP MESSAGE-----",
            "-----END PGP MESSAGE-----",
        );
        let ver = dir.path().join(format!("ver-{version:?}.txt"));
        let plain = sqop(
            &[
                "decrypt",
                "--verify-with",
                p(&alice_cert),
                "--verifications-out",
                p(&ver),
                p(&sam_key_f),
            ],
            &armored,
        );
        assert!(
            plain == inner_part().as_bytes(),
            "{version:?}: {}",
            String::from_utf8_lossy(&plain)
        );
        let verifications = std::fs::read_to_string(&ver).unwrap();
        assert!(
            verifications.contains(&alice.key().fingerprint()),
            "{version:?}: {verifications:?}"
        );

        let signed = Sign::new(alice.key(), now)
            .sign(MESSAGE.as_bytes())
            .unwrap();
        let v = Open::new(now)
            .cert(&alice.key().public_cert())
            .verify(&signed)
            .unwrap();
        let sig = file(
            dir.path(),
            "sig.asc",
            &armored_block(
                &signed,
                "-----BEGIN PGP SIGNATURE-----",
                "-----END PGP SIGNATURE-----",
            ),
        );
        let out = sqop(&["verify", p(&sig), p(&alice_cert)], v.payload());
        assert!(
            String::from_utf8_lossy(&out).contains(&alice.key().fingerprint()),
            "{version:?}"
        );
    }
}

#[test]
#[ignore = "interop: needs sqop; run by scripts/test --interop"]
fn sqop_to_ours() {
    let dir = tempfile::tempdir().unwrap();
    let sam_key = sqop(&["generate-key", "Sam <sam@example.org>"], b"");
    let sam_cert = sqop(&["extract-cert"], &sam_key);
    let sam_key_f = file(dir.path(), "sam.key", &sam_key);
    let sam = read_cert(&sam_cert).unwrap();
    let _ = SecretKey::from_bytes(&sam_key, None).unwrap();
    let alice = KeyGen::new("Alice <alice@example.org>").generate().unwrap();
    let alice_cert = file(dir.path(), "alice.cert", &alice.armored_cert().unwrap());
    // Verification time is read after each sqop call: sqop stamps its
    // signatures with the current second, and a signature made after the
    // verification time does not verify (this test was flaky when `now` was
    // read once before the sqop calls and a second boundary fell between).

    let armored = sqop(
        &["encrypt", "--sign-with", p(&sam_key_f), p(&alice_cert)],
        inner_part().as_bytes(),
    );
    let wrapped = format!(
        "From: Sam <sam@example.org>\r\nTo: alice@example.org\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"e\"\r\n\r\n\
         --e\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--e\r\n\
         Content-Type: application/octet-stream\r\n\r\n{}\r\n--e--\r\n",
        String::from_utf8_lossy(&armored).replace('\n', "\r\n")
    );
    let d = Open::new(SystemTime::now())
        .key(alice.key())
        .cert(&sam)
        .decrypt(wrapped.as_bytes())
        .unwrap();
    assert!(d.payload() == inner_part().as_bytes());
    assert!(d.signatures()[0].result().is_good(), "{:?}", d.signatures());
    assert!(d.signatures()[0].signer_matches_from());

    let sig = sqop(&["sign", p(&sam_key_f)], inner_part().as_bytes());
    let signed = format!(
        "From: Sam <sam@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; micalg=pgp-sha512; \
         protocol=\"application/pgp-signature\"; boundary=\"s\"\r\n\r\n--s\r\n{}\r\n--s\r\n\
         Content-Type: application/pgp-signature\r\n\r\n{}\r\n--s--\r\n",
        inner_part(),
        String::from_utf8_lossy(&sig).replace('\n', "\r\n")
    );
    let v = Open::new(SystemTime::now())
        .cert(&sam)
        .verify(signed.as_bytes())
        .unwrap();
    assert!(v.signatures()[0].result().is_good(), "{:?}", v.signatures());
    // And a flipped byte is Bad.
    let tampered = signed.replacen("Second line", "Second lime", 1);
    let v = Open::new(SystemTime::now())
        .cert(&sam)
        .verify(tampered.as_bytes())
        .unwrap();
    assert_eq!(v.signatures()[0].result().word(), "bad");
}
