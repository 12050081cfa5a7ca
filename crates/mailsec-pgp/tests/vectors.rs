//! Data-driven tests over the shared public vectors (rPGP RFC 9580 keys and
//! messages, Proton's PGP/MIME fixtures, the protected-headers draft
//! samples, the Autocrypt spec examples).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use mailsec_pgp::{
    AutocryptHeader, InlineKind, Open, PreferEncrypt, ProtectionForm, SecretKey, SignatureResult,
    read_cert, read_certs,
};

fn data(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/pgp/"
    ))
    .join(rel)
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(data(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn at(unix: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(unix)
}

fn wrap_text(body: &[u8]) -> Vec<u8> {
    let mut m = b"From: someone@example.org\r\nSubject: inline\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        .to_vec();
    m.extend_from_slice(body);
    m
}

#[test]
fn rfc9580_vectors_decrypt_and_verify() {
    let root = data("rpgp/tests/rfc9580");
    let mut decrypted = 0;
    let mut verified = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let tsk = std::fs::read(dir.join("tsk.asc")).unwrap();
        let illegal = name.contains("illegal");
        let key = match SecretKey::from_bytes(&tsk, None) {
            Ok(k) => k,
            Err(e) if illegal => {
                eprintln!("{name}: rejected as expected: {e}");
                continue;
            }
            Err(e) => panic!("{name}: {e}"),
        };
        let cert = key.public_cert();
        let now = SystemTime::now();
        for msg in ["enc-seipdv1.msg", "enc-seipdv2.msg"] {
            let path = dir.join(msg);
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let result = Open::new(now).key(&key).decrypt_openpgp_message(&bytes);
            if illegal {
                // v6 keys with legacy curve algorithms: RFC 9580 forbids them;
                // whatever sequoia does, it must not panic.
                continue;
            }
            let (plain, _) = result.unwrap_or_else(|e| panic!("{name}/{msg}: {e}"));
            assert_eq!(plain, b"hello world\n", "{name}/{msg}");
            decrypted += 1;
        }
        if let Ok(csf) = std::fs::read(dir.join("csf.msg")) {
            let blocks = Open::new(now).cert(&cert).inline(&wrap_text(&csf));
            if illegal {
                continue;
            }
            let blocks = blocks.unwrap_or_else(|e| panic!("{name}/csf: {e}"));
            assert_eq!(blocks.len(), 1, "{name}");
            assert_eq!(blocks[0].kind(), InlineKind::ClearSigned);
            assert!(
                blocks[0].signatures()[0].result().is_good(),
                "{name}: {:?}",
                blocks[0].signatures()
            );
            assert!(String::from_utf8_lossy(blocks[0].text()).starts_with("hello world"));
            verified += 1;
        }
    }
    assert!(decrypted >= 14, "decrypted {decrypted}");
    assert!(verified >= 6, "verified {verified}");
}

#[test]
fn protected_headers_draft_sign_enc() {
    let bob = SecretKey::from_bytes(
        &read("protected-headers-draft/bob@openpgp.example.sec.asc"),
        None,
    )
    .unwrap();
    let alice = read_cert(&read(
        "protected-headers-draft/alice@openpgp.example.pub.asc",
    ))
    .unwrap();
    let now = at(1_571_700_000);
    let msg = read("protected-headers-draft/pgpmime-sign+enc.eml");
    let d = Open::new(now).key(&bob).cert(&alice).decrypt(&msg).unwrap();
    let sig = &d.signatures()[0];
    match sig.result() {
        SignatureResult::Good { signer_user_id, .. } => {
            assert_eq!(
                signer_user_id.as_deref(),
                Some("Alice Lovelace <alice@openpgp.example>")
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(sig.signer_matches_from());
    let p = d.protected_headers().unwrap();
    assert_eq!(p.form(), ProtectionForm::LegacyV1);
    assert_eq!(p.get("Subject"), Some("BarCorp contract signed, let's go!"));
    let subj = p.mismatches().iter().find(|m| m.name == "Subject").unwrap();
    assert_eq!(subj.outer.as_deref(), Some("..."));
    assert!(subj.expected);
    assert_eq!(p.unexpected_mismatches().count(), 0);
    // The payload is the .inner file (in CRLF form).
    let inner = read("protected-headers-draft/pgpmime-sign+enc.inner");
    let inner_crlf = String::from_utf8(inner)
        .unwrap()
        .replace("\r\n", "\n")
        .replace('\n', "\r\n");
    assert!(
        d.payload() == inner_crlf.as_bytes(),
        "payload differs from the .inner file"
    );
    // The restored message carries the real subject.
    let restored = String::from_utf8(d.message().to_vec()).unwrap();
    assert!(restored.contains("Subject: BarCorp contract signed, let's go!\r\n"));
    assert!(!restored.contains("Subject: ...\r\n"));
}

#[test]
fn protected_headers_draft_all_pgp_samples() {
    let bob = SecretKey::from_bytes(
        &read("protected-headers-draft/bob@openpgp.example.sec.asc"),
        None,
    )
    .unwrap();
    let alice = read_cert(&read(
        "protected-headers-draft/alice@openpgp.example.pub.asc",
    ))
    .unwrap();
    let now = at(1_571_700_000);
    for name in [
        "pgpmime-enc+legacy-disp",
        "pgpmime-layered",
        "pgpmime-layered+legacy-disp",
        "pgpmime-sign+enc+legacy-disp",
        "pgpmime-sign+enc",
    ] {
        let msg = read(&format!("protected-headers-draft/{name}.eml"));
        let d = Open::new(now)
            .key(&bob)
            .cert(&alice)
            .decrypt(&msg)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let p = d
            .protected_headers()
            .unwrap_or_else(|| panic!("{name}: no protected headers"));
        assert!(p.get("Subject").is_some_and(|s| s != "..."), "{name}");
        if name != "pgpmime-enc+legacy-disp" {
            assert!(
                d.signatures()[0].result().is_good(),
                "{name}: {:?}",
                d.signatures()
            );
        } else {
            assert_eq!(d.signatures()[0].result(), &SignatureResult::NotSigned);
        }
    }
    let signed = read("protected-headers-draft/pgpmime-signed.eml");
    let v = Open::new(now).cert(&alice).verify(&signed).unwrap();
    assert!(v.signatures()[0].result().is_good(), "{:?}", v.signatures());
    assert!(v.signatures()[0].signer_matches_from());
    assert_eq!(
        v.protected_headers().unwrap().form(),
        ProtectionForm::LegacyV1
    );
    // Without Alice's certificate: unknown key.
    let v = Open::new(now).verify(&signed).unwrap();
    assert!(matches!(
        v.signatures()[0].result(),
        SignatureResult::UnknownKey { .. }
    ));
}

#[test]
fn gopenpgp_mime_scenarios() {
    // Scenario XY: X is the state of the signature inside the OpenPGP
    // message, Y the state of the multipart/signed inside the plaintext:
    // 0 good, 1 not signed, 2 no verification key, 3 failed.
    let key = SecretKey::from_bytes(
        &read("gopenpgp/mime/testdata/mime/decryption-key.asc"),
        Some(b"test_passphrase"),
    )
    .unwrap();
    let ver = read_certs(&read("gopenpgp/mime/testdata/mime/verification-key.asc")).unwrap();
    let now = SystemTime::now();
    let word = |s: char| match s {
        '0' => Some("good"),
        '1' => None,
        '2' => Some("unknown_key"),
        _ => Some("bad"),
    };
    for n in [
        "00", "01", "02", "03", "10", "11", "12", "13", "20", "21", "22", "23",
    ] {
        let armored = read(&format!("gopenpgp/mime/testdata/mime/scenario_{n}.asc"));
        let d = Open::new(now)
            .key(&key)
            .certs(&ver)
            .decrypt_mime_payload(&armored)
            .unwrap_or_else(|e| panic!("scenario {n}: {e}"));
        let mut got: Vec<&str> = d.signatures().iter().map(|s| s.result().word()).collect();
        let mut want: Vec<&str> = n.chars().filter_map(word).collect();
        if want.is_empty() {
            want.push("not_signed");
        }
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "scenario {n}");
    }
}

#[test]
fn autocrypt_examples() {
    let now = at(1_548_200_000);
    let simple = read("autocrypt-spec/doc/appendix/example-simple-autocrypt.eml");
    let hs = AutocryptHeader::from_message(&simple);
    assert_eq!(hs.len(), 1);
    assert_eq!(hs[0].addr(), "alice@autocrypt.example");
    assert_eq!(hs[0].prefer_encrypt(), PreferEncrypt::Mutual);
    let cert = hs[0].cert().unwrap();
    let alice = read_cert(&read(
        "autocrypt-spec/doc/appendix/alice@autocrypt.example.pub.asc",
    ))
    .unwrap();
    assert_eq!(cert.fingerprint(), alice.fingerprint());
    // Writing and reading back gives the same header.
    let line = hs[0].to_header();
    let value = line.split_once(':').unwrap().1;
    assert_eq!(&AutocryptHeader::parse(value).unwrap(), &hs[0]);

    let bob = SecretKey::from_bytes(
        &read("autocrypt-spec/doc/appendix/bob@autocrypt.example.sec.asc"),
        None,
    )
    .unwrap();
    let gossip = read("autocrypt-spec/doc/appendix/example-gossip.eml");
    let d = Open::new(now)
        .key(&bob)
        .cert(&alice)
        .decrypt(&gossip)
        .unwrap();
    let addrs: Vec<&str> = d.gossip().iter().map(|g| g.addr()).collect();
    assert_eq!(addrs, ["bob@autocrypt.example", "carol@autocrypt.example"]);
    let cleartext = read("autocrypt-spec/doc/appendix/example-gossip-cleartext.eml");
    let clear = String::from_utf8(cleartext)
        .unwrap()
        .replace("\r\n", "\n")
        .replace('\n', "\r\n");
    assert!(
        d.payload() == clear.as_bytes(),
        "payload differs from the cleartext file"
    );
}

#[test]
fn gopenpgp_key_states() {
    use mailsec_pgp::{CertStatus, cert_status};
    let now = SystemTime::now();
    let revoked = read_cert(&read("gopenpgp/crypto/testdata/key_revoked")).unwrap();
    assert_eq!(cert_status(&revoked, now), CertStatus::Revoked);
    // An RSA-512 key whose self-signature expired in 1970: unusable either way
    // (the standard policy rejects RSA-512 outright).
    let expired = read_cert(&read("gopenpgp/crypto/testdata/key_expiredKey")).unwrap();
    assert_ne!(cert_status(&expired, now), CertStatus::Valid);
}
