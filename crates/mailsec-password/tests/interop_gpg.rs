//! Interop with GnuPG and sqop: they open our v4 output, we open theirs.
//! Run by `scripts/test --interop` (CI installs gnupg and sqop).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::Write;
use std::process::{Command, Stdio};

use mailsec_password::{KdfCost, Password, PasswordEncryptor, Profile, decrypt};

const MESSAGE: &[u8] = b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\nSubject: the plan\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMeet at n\xc3\xa0on.\r\n--b\r\nContent-Type: application/octet-stream; name=\"x.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECAwQFBgcICQ==\r\n--b--\r\n";
const PASSWORD: &str = "Correct-Horse-Battery-Staple-\u{e9}t\u{e9} 2026";

fn write(dir: &std::path::Path, name: &str, data: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

fn gpg(home: &std::path::Path) -> Command {
    let mut c = Command::new("gpg");
    c.arg("--homedir")
        .arg(home)
        .args(["--batch", "--no-tty", "--pinentry-mode", "loopback"]);
    c
}

fn gpg_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let mut perms = std::fs::metadata(home.path()).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o700);
    std::fs::set_permissions(home.path(), perms).unwrap();
    home
}

#[test]
#[ignore = "interop: needs gpg; run by scripts/test --interop"]
fn gpg_decrypts_our_v4_output_with_default_cost() {
    let home = gpg_home();
    let pw = Password::new(PASSWORD).unwrap();
    let sealed = PasswordEncryptor::new(pw).encrypt(MESSAGE).unwrap();
    let msg = write(home.path(), "m.asc", &sealed);
    let pwf = write(home.path(), "pw", format!("{PASSWORD}\n").as_bytes());
    let out = gpg(home.path())
        .arg("--passphrase-file")
        .arg(&pwf)
        .arg("--decrypt")
        .arg(&msg)
        .output()
        .expect("gpg must be installed for interop tests");
    assert!(
        out.status.success(),
        "gpg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, MESSAGE);
    // gpg reports the S2K it used: iterated+salted, SHA-256, the maximum count.
    let packets = gpg(home.path())
        .arg("--list-packets")
        .arg("--passphrase-file")
        .arg(&pwf)
        .arg(&msg)
        .output()
        .unwrap();
    let dump = String::from_utf8_lossy(&packets.stdout);
    assert!(
        dump.contains("symkey enc packet: version 4, cipher 9") && dump.contains("s2k 3, hash 8"),
        "{dump}"
    );
    assert!(dump.contains("count 65011712"), "{dump}");
}

#[test]
#[ignore = "interop: needs gpg; run by scripts/test --interop"]
fn gpg_refuses_a_wrong_password() {
    let home = gpg_home();
    let sealed = PasswordEncryptor::new(Password::new(PASSWORD).unwrap())
        .cost(KdfCost::insecure_for_tests())
        .encrypt(MESSAGE)
        .unwrap();
    let msg = write(home.path(), "m.asc", &sealed);
    let pwf = write(home.path(), "pw", b"not it\n");
    let out = gpg(home.path())
        .arg("--passphrase-file")
        .arg(&pwf)
        .arg("--decrypt")
        .arg(&msg)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
}

#[test]
#[ignore = "interop: needs gpg; run by scripts/test --interop"]
fn we_decrypt_gpg_symmetric_output() {
    let home = gpg_home();
    let plain = write(home.path(), "plain.eml", MESSAGE);
    let pwf = write(home.path(), "pw", format!("{PASSWORD}\n").as_bytes());
    // gpg's defaults (SHA-1 S2K, calibrated count, compression), then cheaper
    // SHA-256 variants. SHA-1 with collision detection is slow in debug builds.
    for extra in [
        &[][..],
        &[
            "--armor",
            "--s2k-digest-algo",
            "SHA256",
            "--s2k-count",
            "65536",
        ][..],
        &[
            "--cipher-algo",
            "AES128",
            "--compress-algo",
            "none",
            "--s2k-digest-algo",
            "SHA512",
            "--s2k-count",
            "65536",
        ][..],
    ] {
        let out_path = home.path().join("out.gpg");
        let _ = std::fs::remove_file(&out_path);
        let status = gpg(home.path())
            .arg("--passphrase-file")
            .arg(&pwf)
            .args(extra)
            .arg("--output")
            .arg(&out_path)
            .arg("--symmetric")
            .arg(&plain)
            .status()
            .expect("gpg must be installed for interop tests");
        assert!(status.success());
        let sealed = std::fs::read(&out_path).unwrap();
        assert_eq!(
            decrypt(&sealed, &Password::new(PASSWORD).unwrap()).unwrap(),
            MESSAGE,
            "{extra:?}"
        );
        if !extra.is_empty() {
            assert!(decrypt(&sealed, &Password::new("wrong").unwrap()).is_err());
        }
    }
}

fn sqop(args: &[&str], stdin: &[u8]) -> std::process::Output {
    let mut child = Command::new("sqop")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sqop must be installed for interop tests");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
#[ignore = "interop: needs sqop; run by scripts/test --interop"]
fn sqop_decrypts_our_v4_output() {
    let dir = tempfile::tempdir().unwrap();
    let pwf = write(dir.path(), "pw", PASSWORD.as_bytes());
    let sealed = PasswordEncryptor::new(Password::new(PASSWORD).unwrap())
        .cost(KdfCost::insecure_for_tests())
        .encrypt(MESSAGE)
        .unwrap();
    let out = sqop(
        &["decrypt", "--with-password", pwf.to_str().unwrap()],
        &sealed,
    );
    assert!(
        out.status.success(),
        "sqop failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, MESSAGE);
}

#[test]
#[ignore = "interop: needs sqop; run by scripts/test --interop"]
fn we_decrypt_sqop_password_output() {
    let dir = tempfile::tempdir().unwrap();
    let pwf = write(dir.path(), "pw", PASSWORD.as_bytes());
    let out = sqop(
        &[
            "encrypt",
            "--as",
            "binary",
            "--with-password",
            pwf.to_str().unwrap(),
        ],
        MESSAGE,
    );
    assert!(
        out.status.success(),
        "sqop failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        decrypt(&out.stdout, &Password::new(PASSWORD).unwrap()).unwrap(),
        MESSAGE
    );
}

#[test]
#[ignore = "interop: needs gpg; run by scripts/test --interop"]
fn v6_default_argon2_round_trips_and_gnupg_2_2_does_not_read_it() {
    // v6 output is for RFC 9580 readers; GnuPG 2.2 does not read it, which is
    // why v4 is the default. Our own round trip works with the default
    // Argon2 parameters (t=3, p=4, 64 MiB), written as such in the packet.
    use sequoia_openpgp::crypto::S2K;
    use sequoia_openpgp::packet::SKESK;
    use sequoia_openpgp::parse::Parse;
    let pw = Password::new(PASSWORD).unwrap();
    let sealed = PasswordEncryptor::new(pw.clone())
        .profile(Profile::V6)
        .encrypt(MESSAGE)
        .unwrap();
    let pile = sequoia_openpgp::PacketPile::from_bytes(&sealed).unwrap();
    match pile.children().next().unwrap() {
        sequoia_openpgp::Packet::SKESK(SKESK::V6(s)) => {
            assert!(
                matches!(
                    s.s2k(),
                    S2K::Argon2 {
                        t: 3,
                        p: 4,
                        m: 16,
                        ..
                    }
                ),
                "{:?}",
                s.s2k()
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(decrypt(&sealed, &pw).unwrap(), MESSAGE);

    let home = gpg_home();
    let msg = write(home.path(), "v6.asc", &sealed);
    let pwf = write(home.path(), "pw", format!("{PASSWORD}\n").as_bytes());
    let out = gpg(home.path())
        .arg("--passphrase-file")
        .arg(&pwf)
        .arg("--decrypt")
        .arg(&msg)
        .output()
        .expect("gpg must be installed for interop tests");
    let version = gpg(home.path()).arg("--version").output().unwrap();
    if String::from_utf8_lossy(&version.stdout).starts_with("gpg (GnuPG) 2.2.") {
        assert!(!out.status.success());
        assert!(out.stdout.is_empty());
    }
}

#[test]
#[ignore = "interop: needs gpg; run by scripts/test --interop"]
fn gpg_decrypts_the_pgp_mime_envelope_as_it_is() {
    use mailsec_password::PasswordMail;
    let home = gpg_home();
    let pw = Password::new(PASSWORD).unwrap();
    let sealed = PasswordMail::new(
        PasswordEncryptor::new(pw).cost(KdfCost::insecure_for_tests()),
        "alice@example.org",
        "bob@example.net",
    )
    .unwrap()
    .seal(MESSAGE, std::time::SystemTime::now())
    .unwrap();
    let eml = write(home.path(), "message.eml", sealed.envelope());
    let pwf = write(home.path(), "pw", format!("{PASSWORD}\n").as_bytes());
    let out = gpg(home.path())
        .arg("--passphrase-file")
        .arg(&pwf)
        .arg("--decrypt")
        .arg(&eml)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gpg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, MESSAGE);
}

#[test]
#[ignore = "interop: needs gpg; run by scripts/test --interop"]
fn mixed_password_and_key_interoperate_with_gpg_both_ways() {
    use sequoia_openpgp::cert::prelude::*;
    use sequoia_openpgp::serialize::SerializeInto;
    let home = gpg_home();
    let (alice, _) = CertBuilder::general_purpose(Some("Alice <alice@example.org>"))
        .generate()
        .unwrap();
    let tsk = alice.as_tsk().armored().to_vec().unwrap();
    let key_file = write(home.path(), "alice.sec.asc", &tsk);
    let st = gpg(home.path())
        .arg("--import")
        .arg(&key_file)
        .status()
        .unwrap();
    assert!(st.success());
    let pwf = write(home.path(), "pw", format!("{PASSWORD}\n").as_bytes());

    // Ours, opened by gpg with Alice's key (no password given).
    let sealed = PasswordEncryptor::new(Password::new(PASSWORD).unwrap())
        .cost(KdfCost::insecure_for_tests())
        .add_recipient(alice.clone())
        .encrypt(MESSAGE)
        .unwrap();
    let msg = write(home.path(), "mixed.asc", &sealed);
    let out = gpg(home.path())
        .arg("--decrypt")
        .arg(&msg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gpg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, MESSAGE);

    // gpg's, to Alice's key and a password, opened by us both ways.
    let plain = write(home.path(), "plain.eml", MESSAGE);
    let out_path = home.path().join("gpg-mixed.gpg");
    let st = gpg(home.path())
        .arg("--passphrase-file")
        .arg(&pwf)
        .args([
            "--s2k-digest-algo",
            "SHA256",
            "--trust-model",
            "always",
            "--recipient",
            "alice@example.org",
        ])
        .arg("--output")
        .arg(&out_path)
        .args(["--symmetric", "--encrypt"])
        .arg(&plain)
        .status()
        .unwrap();
    assert!(st.success());
    let theirs = std::fs::read(&out_path).unwrap();
    assert_eq!(
        decrypt(&theirs, &Password::new(PASSWORD).unwrap()).unwrap(),
        MESSAGE
    );
    assert_eq!(
        mailsec_password::decrypt_with_keys(&theirs, &[alice]).unwrap(),
        MESSAGE
    );
}
