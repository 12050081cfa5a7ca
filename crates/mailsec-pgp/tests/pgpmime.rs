//! PGP/MIME round trips, signature verdicts, header protection, zero-access
//! storage, limits, contacts, WKD, with generated keys.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use mailsec_pgp::openpgp::Cert;
use mailsec_pgp::{
    CardKind, Encrypt, Error, HeaderProtection, KeyGen, KeyVersion, Limits, Open, ProtectionForm,
    SecretKey, Sign, SignatureResult, StorageProtector, encrypt_contact, open_contact,
    sign_contact, wkd_urls, zbase32,
};

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000)
}

struct Keys {
    alice: SecretKey,
    bob: SecretKey,
    carol: SecretKey,
    bob6: SecretKey,
}

fn keys() -> &'static Keys {
    static K: OnceLock<Keys> = OnceLock::new();
    K.get_or_init(|| {
        let g = |uid: &str, v| {
            KeyGen::new(uid)
                .version(v)
                .created(t0() - Duration::from_secs(3600))
                .generate()
                .unwrap()
                .into_key()
        };
        Keys {
            alice: g("Alice <alice@example.org>", KeyVersion::V4),
            bob: g("Bob <bob@example.net>", KeyVersion::V4),
            carol: g("Carol <carol@example.com>", KeyVersion::V4),
            bob6: g("Bob Six <bob6@example.net>", KeyVersion::V6),
        }
    })
}

const MIXED: &str = "From: Alice <alice@example.org>\r\n\
To: Bob <bob@example.net>, carol@example.com\r\n\
Cc: =?utf-8?q?J=C3=BCrgen?= <j@example.de>\r\n\
Subject: =?utf-8?b?w4RwZmVs?= and pears\r\n\
Date: Fri, 27 Nov 2026 10:00:00 +0000\r\n\
Message-ID: <m1@example.org>\r\n\
Expires: Sat, 28 Nov 2026 10:00:00 +0000\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"outer\"\r\n\
\r\n\
preamble\r\n\
--outer\r\n\
Content-Type: multipart/alternative; boundary=\"alt\"\r\n\
\r\n\
--alt\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: 8bit\r\n\
\r\n\
Grüße, Bob! Trailing spaces   \r\n\
From the start of a line.\r\n\
--alt\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>Grüße</p>\r\n\
--alt--\r\n\
--outer\r\n\
Content-Type: application/octet-stream; name=\"x.bin\"\r\n\
Content-Transfer-Encoding: base64\r\n\
Content-Disposition: attachment; filename=\"x.bin\"\r\n\
\r\n\
AAECAwQFBgcICQ==\r\n\
--outer--\r\n";

fn cert(k: &SecretKey) -> Cert {
    k.public_cert()
}

#[test]
fn encrypt_decrypt_is_byte_identical() {
    let k = keys();
    let bob = cert(&k.bob);
    let out = Encrypt::new(t0())
        .recipient(&bob)
        .encrypt(MIXED.as_bytes())
        .unwrap();
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(
        text.contains(
            "Content-Type: multipart/encrypted;\r\n protocol=\"application/pgp-encrypted\""
        )
    );
    assert!(text.contains("Version: 1\r\n"));
    assert!(text.contains("-----BEGIN PGP MESSAGE-----\r\n"));
    assert!(!text.contains("Grüße"));
    assert!(
        text.contains("Subject: =?utf-8?b?w4RwZmVs?= and pears\r\n"),
        "no header protection asked"
    );
    let d = Open::new(t0()).key(&k.bob).decrypt(&out).unwrap();
    assert!(d.message() == MIXED.as_bytes());
    assert_eq!(d.signatures()[0].result(), &SignatureResult::NotSigned);
    assert!(d.protected_headers().is_none());
    // Someone else cannot decrypt, and the error says nothing more.
    let e = Open::new(t0()).key(&k.carol).decrypt(&out).unwrap_err();
    assert!(matches!(e, Error::DecryptionFailed));
    assert_eq!(e.to_string(), "the message cannot be decrypted");
}

#[test]
fn lf_input_comes_back_crlf() {
    let k = keys();
    let bob = cert(&k.bob);
    let lf = MIXED.replace("\r\n", "\n");
    let out = Encrypt::new(t0())
        .recipient(&bob)
        .encrypt(lf.as_bytes())
        .unwrap();
    let d = Open::new(t0()).key(&k.bob).decrypt(&out).unwrap();
    assert!(d.message() == MIXED.as_bytes());
}

#[test]
fn encrypt_sign_several_recipients_and_self() {
    let k = keys();
    let (alice, bob, carol) = (cert(&k.alice), cert(&k.bob), cert(&k.carol));
    let out = Encrypt::new(t0())
        .recipient(&bob)
        .recipient(&carol)
        .sign_with(&k.alice)
        .encrypt_to_self(true)
        .encrypt(MIXED.as_bytes())
        .unwrap();
    for reader in [&k.alice, &k.bob, &k.carol] {
        let d = Open::new(t0())
            .key(reader)
            .cert(&alice)
            .decrypt(&out)
            .unwrap();
        assert!(d.message() == MIXED.as_bytes());
        let s = &d.signatures()[0];
        match s.result() {
            SignatureResult::Good {
                fingerprint,
                signer_user_id,
                created,
            } => {
                assert_eq!(fingerprint, &k.alice.fingerprint());
                assert_eq!(signer_user_id.as_deref(), Some("Alice <alice@example.org>"));
                assert_eq!(*created, t0());
            }
            other => panic!("{other:?}"),
        }
        assert!(s.signer_matches_from());
    }
    // Without the signer's certificate: unknown key; with the wrong one: unknown too.
    let d = Open::new(t0()).key(&k.bob).decrypt(&out).unwrap();
    assert!(matches!(
        d.signatures()[0].result(),
        SignatureResult::UnknownKey { issuer: Some(_) }
    ));
    let d = Open::new(t0())
        .key(&k.bob)
        .cert(&carol)
        .decrypt(&out)
        .unwrap();
    assert!(matches!(
        d.signatures()[0].result(),
        SignatureResult::UnknownKey { .. }
    ));
}

#[test]
fn signer_not_matching_from() {
    let k = keys();
    let (carol, bob) = (cert(&k.carol), cert(&k.bob));
    let out = Encrypt::new(t0())
        .recipient(&bob)
        .sign_with(&k.carol)
        .encrypt(MIXED.as_bytes())
        .unwrap();
    let d = Open::new(t0())
        .key(&k.bob)
        .cert(&carol)
        .decrypt(&out)
        .unwrap();
    assert!(d.signatures()[0].result().is_good());
    assert!(!d.signatures()[0].signer_matches_from());
}

#[test]
fn hidden_recipients_decrypt() {
    let k = keys();
    let bob = cert(&k.bob);
    let out = Encrypt::new(t0())
        .recipient(&bob)
        .hidden_recipients(true)
        .encrypt(MIXED.as_bytes())
        .unwrap();
    let d = Open::new(t0()).key(&k.bob).decrypt(&out).unwrap();
    assert!(d.message() == MIXED.as_bytes());
}

#[test]
fn v6_keys_round_trip() {
    let k = keys();
    let (bob6, alice) = (cert(&k.bob6), cert(&k.alice));
    let out = Encrypt::new(t0())
        .recipient(&bob6)
        .sign_with(&k.alice)
        .encrypt(MIXED.as_bytes())
        .unwrap();
    let d = Open::new(t0())
        .key(&k.bob6)
        .cert(&alice)
        .decrypt(&out)
        .unwrap();
    assert!(d.message() == MIXED.as_bytes());
    assert!(d.signatures()[0].result().is_good());
    // A v6 signer.
    let signed = Sign::new(&k.bob6, t0()).sign(MIXED.as_bytes()).unwrap();
    let v = Open::new(t0()).cert(&bob6).verify(&signed).unwrap();
    assert!(v.signatures()[0].result().is_good());
}

#[test]
fn sign_verify_and_tamper() {
    let k = keys();
    let alice = cert(&k.alice);
    let signed = Sign::new(&k.alice, t0()).sign(MIXED.as_bytes()).unwrap();
    let text = String::from_utf8(signed.clone()).unwrap();
    assert!(text.contains(
        "multipart/signed; micalg=pgp-sha512;\r\n protocol=\"application/pgp-signature\""
    ));
    let v = Open::new(t0()).cert(&alice).verify(&signed).unwrap();
    assert!(v.signatures()[0].result().is_good());
    assert!(v.signatures()[0].signer_matches_from());
    // The signed part is the original body part, byte for byte.
    let body_start = MIXED.find("Content-Type: multipart/mixed").unwrap();
    assert!(v.payload() == MIXED.as_bytes()[body_start..].to_vec().as_slice());
    // Flip one byte inside the signed part: bad.
    let pos = text.find("Grüße, Bob").unwrap();
    let mut tampered = signed.clone();
    tampered[pos] ^= 0x01;
    let v = Open::new(t0()).cert(&alice).verify(&tampered).unwrap();
    assert_eq!(v.signatures()[0].result().word(), "bad");
    // Not a signed message at all.
    assert!(matches!(
        Open::new(t0()).cert(&alice).verify(MIXED.as_bytes()),
        Err(Error::NotPgpMime { .. })
    ));
}

#[test]
fn expired_and_revoked_signers() {
    let k = keys();
    let short = KeyGen::new("Dave <dave@example.org>")
        .created(t0())
        .validity(Some(Duration::from_secs(600)))
        .generate()
        .unwrap()
        .into_key();
    let dave = short.public_cert();
    let signed = Sign::new(&short, t0() + Duration::from_secs(60))
        .sign(MIXED.as_bytes())
        .unwrap();
    let good = Open::new(t0() + Duration::from_secs(120))
        .cert(&dave)
        .verify(&signed)
        .unwrap();
    assert!(good.signatures()[0].result().is_good());
    let later = Open::new(t0() + Duration::from_secs(7200))
        .cert(&dave)
        .verify(&signed)
        .unwrap();
    assert_eq!(later.signatures()[0].result().word(), "expired_key");
    // Cannot sign once expired.
    assert!(matches!(
        Sign::new(&short, t0() + Duration::from_secs(7200)).sign(MIXED.as_bytes()),
        Err(Error::UnusableKey { .. })
    ));

    // Revoked: apply the revocation certificate generated with the key.
    let generated = KeyGen::new("Eve <eve@example.org>")
        .created(t0())
        .generate()
        .unwrap();
    let signed = Sign::new(generated.key(), t0() + Duration::from_secs(10))
        .sign(MIXED.as_bytes())
        .unwrap();
    use mailsec_pgp::openpgp::parse::Parse;
    let rev = mailsec_pgp::openpgp::PacketPile::from_bytes(generated.armored_revocation())
        .unwrap()
        .into_children()
        .next()
        .unwrap();
    let revoked = generated
        .key()
        .public_cert()
        .insert_packets(vec![rev])
        .unwrap()
        .0;
    assert_eq!(
        mailsec_pgp::cert_status(&revoked, t0() + Duration::from_secs(20)),
        mailsec_pgp::CertStatus::Revoked
    );
    let v = Open::new(t0() + Duration::from_secs(20))
        .cert(&revoked)
        .verify(&signed)
        .unwrap();
    assert_eq!(v.signatures()[0].result().word(), "revoked_key");
    // Cannot encrypt to a revoked certificate.
    assert!(matches!(
        Encrypt::new(t0() + Duration::from_secs(20))
            .recipient(&revoked)
            .encrypt(MIXED.as_bytes()),
        Err(Error::UnusableKey {
            problem: mailsec_pgp::KeyProblem::Revoked,
            ..
        })
    ));
    let _ = k;
}

#[test]
fn header_protection_rfc9788_round_trip() {
    let k = keys();
    let (alice, bob) = (cert(&k.alice), cert(&k.bob));
    let out = Encrypt::new(t0())
        .recipient(&bob)
        .sign_with(&k.alice)
        .protect_headers(HeaderProtection::Rfc9788)
        .encrypt(MIXED.as_bytes())
        .unwrap();
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(text.contains("Subject: [...]\r\n"));
    assert!(!text.contains("pears"));
    let d = Open::new(t0())
        .key(&k.bob)
        .cert(&alice)
        .decrypt(&out)
        .unwrap();
    assert!(
        d.message() == MIXED.as_bytes(),
        "restored:\n{}",
        String::from_utf8_lossy(d.message())
    );
    let payload = String::from_utf8_lossy(d.payload()).into_owned();
    assert!(payload.contains("HP-Outer: Subject: [...]\r\n"));
    assert!(payload.contains("hp=\"cipher\""));
    assert!(payload.contains("Expires: Sat, 28 Nov 2026 10:00:00 +0000\r\n"));
    let p = d.protected_headers().unwrap();
    assert_eq!(p.form(), ProtectionForm::Cipher);
    assert_eq!(p.get("Subject"), Some("=?utf-8?b?w4RwZmVs?= and pears"));
    assert_eq!(p.get("Expires"), Some("Sat, 28 Nov 2026 10:00:00 +0000"));
    assert_eq!(p.mismatches().len(), 1);
    assert!(p.mismatches()[0].expected);
    assert!(d.signatures()[0].signer_matches_from());

    // Someone rewrites the outer From: reported as an unexpected mismatch.
    let forged = text.replacen(
        "From: Alice <alice@example.org>",
        "From: Mallory <m@evil.example>",
        1,
    );
    let d = Open::new(t0())
        .key(&k.bob)
        .cert(&alice)
        .decrypt(forged.as_bytes())
        .unwrap();
    let p = d.protected_headers().unwrap();
    let m: Vec<_> = p.unexpected_mismatches().collect();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].name, "From");
    assert_eq!(m[0].outer.as_deref(), Some("Mallory <m@evil.example>"));
    // The restored message shows the protected From, and the signer matches it.
    assert!(String::from_utf8_lossy(d.message()).contains("From: Alice <alice@example.org>\r\n"));
    assert!(d.signatures()[0].signer_matches_from());
}

#[test]
fn header_protection_legacy_and_signed_clear() {
    let k = keys();
    let (alice, bob) = (cert(&k.alice), cert(&k.bob));
    let out = Encrypt::new(t0())
        .recipient(&bob)
        .protect_headers(HeaderProtection::LegacyV1)
        .encrypt(MIXED.as_bytes())
        .unwrap();
    assert!(String::from_utf8_lossy(&out).contains("Subject: ...\r\n"));
    let d = Open::new(t0()).key(&k.bob).decrypt(&out).unwrap();
    assert_eq!(
        d.protected_headers().unwrap().form(),
        ProtectionForm::LegacyV1
    );
    assert!(d.message() == MIXED.as_bytes());

    let signed = Sign::new(&k.alice, t0())
        .protect_headers(HeaderProtection::Rfc9788)
        .sign(MIXED.as_bytes())
        .unwrap();
    assert!(String::from_utf8_lossy(&signed).contains("and pears"));
    let v = Open::new(t0()).cert(&alice).verify(&signed).unwrap();
    assert!(v.signatures()[0].result().is_good());
    let p = v.protected_headers().unwrap();
    assert_eq!(p.form(), ProtectionForm::Clear);
    assert!(p.mismatches().is_empty());
}

#[test]
fn zero_access_storage() {
    let k = keys();
    let bob = cert(&k.bob);
    let received = format!(
        "Received: from mx.example.org by mx.example.net; Fri, 27 Nov 2026 10:00:01 +0000\r\n\
         Authentication-Results: mx.example.net; dkim=pass header.d=example.org\r\n\
         Return-Path: <alice@example.org>\r\n{MIXED}"
    );
    let stored = StorageProtector::new(&bob, t0())
        .protect(received.as_bytes())
        .unwrap();
    let text = String::from_utf8(stored.clone()).unwrap();
    let outer_headers = text.split("\r\n\r\n").next().unwrap();
    assert!(outer_headers.contains("Received: from mx.example.org"));
    assert!(outer_headers.contains("Authentication-Results: mx.example.net; dkim=pass"));
    assert!(outer_headers.contains("Date: Fri, 27 Nov 2026 10:00:00 +0000"));
    assert!(outer_headers.contains("Subject: [...]"));
    assert!(
        !outer_headers.contains("alice@example.org>\r\nTo"),
        "From must be hidden"
    );
    assert!(!outer_headers.contains("To: Bob"));
    assert!(!text.contains("Grüße"));
    let d = Open::new(t0()).key(&k.bob).decrypt(&stored).unwrap();
    assert!(
        d.message() == received.as_bytes(),
        "restored:\n{}",
        String::from_utf8_lossy(d.message())
    );
    assert_eq!(
        d.protected_headers()
            .unwrap()
            .unexpected_mismatches()
            .count(),
        0
    );
}

#[test]
fn limits_stop_bombs_and_deep_nesting() {
    let k = keys();
    let bob = cert(&k.bob);
    // 4 MiB of zeros compresses to a few KiB; build a compressed message by hand.
    let big = vec![b'a'; 4 << 20];
    let mut msg = b"Content-Type: text/plain\r\n\r\n".to_vec();
    msg.extend_from_slice(&big);
    let armored = {
        use mailsec_pgp::openpgp::serialize::stream::{
            Armorer, Compressor, Encryptor, LiteralWriter, Message,
        };
        use mailsec_pgp::openpgp::types::CompressionAlgorithm;
        use std::io::Write;
        let p = mailsec_pgp::openpgp::policy::StandardPolicy::new();
        let recipients: Vec<_> = bob
            .keys()
            .with_policy(&p, t0())
            .for_transport_encryption()
            .collect();
        let mut out = Vec::new();
        let m = Message::new(&mut out);
        let m = Armorer::new(m).build().unwrap();
        let m = Encryptor::for_recipients(m, recipients).build().unwrap();
        let m = Compressor::new(m)
            .algo(CompressionAlgorithm::Zip)
            .build()
            .unwrap();
        let mut w = LiteralWriter::new(m).build().unwrap();
        w.write_all(&msg).unwrap();
        w.finalize().unwrap();
        out
    };
    assert!(armored.len() < 64 << 10, "compressed to {}", armored.len());
    let limits = Limits {
        max_decompressed_size: 1 << 20,
        ..Limits::default()
    };
    let e = Open::new(t0())
        .key(&k.bob)
        .limits(limits)
        .decrypt_mime_payload(&armored)
        .unwrap_err();
    assert!(
        matches!(e, Error::TooLarge { limit } if limit == 1 << 20),
        "{e:?}"
    );
    // Within a higher limit it decrypts.
    let d = Open::new(t0())
        .key(&k.bob)
        .decrypt_mime_payload(&armored)
        .unwrap();
    assert_eq!(d.payload().len(), msg.len());

    // 40 nested multiparts.
    let mut nested = String::from("Content-Type: text/plain\r\n\r\nleaf\r\n");
    for i in 0..40 {
        nested = format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n{nested}\r\n--b{i}--\r\n"
        );
    }
    let msg = format!("From: a@example.org\r\n{nested}");
    let out = Encrypt::new(t0())
        .recipient(&bob)
        .encrypt(msg.as_bytes())
        .unwrap();
    let e = Open::new(t0()).key(&k.bob).decrypt(&out).unwrap_err();
    assert!(matches!(e, Error::TooDeep { limit: 32 }), "{e:?}");
    let limits = Limits {
        max_mime_depth: 64,
        ..Limits::default()
    };
    assert!(
        Open::new(t0())
            .key(&k.bob)
            .limits(limits)
            .decrypt(&out)
            .is_ok()
    );
}

#[test]
fn contacts_round_trip() {
    let k = keys();
    let alice = cert(&k.alice);
    let vcard =
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Bob Babbage\r\nEMAIL:bob@example.net\r\nEND:VCARD\r\n";
    let signed = sign_contact(vcard, &k.alice, t0()).unwrap();
    assert_eq!(signed.kind, CardKind::Signed);
    let open = Open::new(t0()).key(&k.alice).cert(&alice);
    let o = open_contact(&signed, &open).unwrap();
    assert_eq!(o.vcard, vcard);
    assert!(o.signature.is_good());
    let mut tampered = signed.clone();
    tampered.data = tampered.data.replace("Babbage", "Babage");
    assert_eq!(
        open_contact(&tampered, &open).unwrap().signature.word(),
        "bad"
    );

    let enc = encrypt_contact(vcard, &alice, Some(&k.alice), t0()).unwrap();
    assert_eq!(enc.kind, CardKind::EncryptedSigned);
    assert!(!enc.data.contains("Babbage"));
    let o = open_contact(&enc, &open).unwrap();
    assert_eq!(o.vcard, vcard);
    assert!(o.signature.is_good());
    let enc = encrypt_contact(vcard, &alice, None, t0()).unwrap();
    assert_eq!(
        open_contact(&enc, &open).unwrap().signature,
        SignatureResult::NotSigned
    );
    // Somebody else's key cannot open it.
    let other = Open::new(t0()).key(&k.bob);
    assert!(matches!(
        open_contact(&enc, &other),
        Err(Error::DecryptionFailed)
    ));
    assert!(
        sign_contact(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nEND:VCARD\r\n",
            &k.alice,
            t0()
        )
        .is_err()
    );
}

#[test]
fn wkd_known_values() {
    // The example of draft-koch-openpgp-webkey-service §3.1.
    let u = wkd_urls("Joe.Doe@Example.ORG").unwrap();
    assert_eq!(u.hash, "iy9q119eutrkn8s1mk4r39qejnbu3n5q");
    assert_eq!(
        u.advanced,
        "https://openpgpkey.example.org/.well-known/openpgpkey/example.org/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe"
    );
    assert_eq!(
        u.direct,
        "https://example.org/.well-known/openpgpkey/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe"
    );
    assert_eq!(zbase32(&[0xf0, 0xbf, 0xc7]), "6n9hq");
    assert!(wkd_urls("no-at-sign").is_err());
}

#[test]
fn wkd_lookup_uses_the_fetcher() {
    struct Fake(Vec<u8>, std::cell::RefCell<Vec<String>>);
    impl mailsec_pgp::WkdFetcher for Fake {
        fn fetch(&self, url: &str) -> std::io::Result<Option<Vec<u8>>> {
            self.1.borrow_mut().push(url.to_owned());
            Ok(url.contains("://example.net/").then(|| self.0.clone()))
        }
    }
    let k = keys();
    use mailsec_pgp::openpgp::serialize::SerializeInto;
    let fake = Fake(cert(&k.bob).to_vec().unwrap(), Default::default());
    let certs = mailsec_pgp::wkd_lookup(&fake, "bob@example.net").unwrap();
    assert_eq!(certs.len(), 1);
    assert_eq!(fake.1.borrow().len(), 2, "advanced first, then direct");
}

#[test]
fn inline_pgp_encrypted_and_clearsigned() {
    let k = keys();
    let (alice, bob) = (cert(&k.alice), cert(&k.bob));
    let armored = Encrypt::new(t0())
        .recipient(&bob)
        .sign_with(&k.alice)
        .encrypt_payload("secret text\r\n".as_bytes())
        .unwrap();
    let msg = format!(
        "From: Alice <alice@example.org>\r\nContent-Type: text/plain\r\n\r\nHi,\r\n{}\r\nbye\r\n",
        String::from_utf8(armored).unwrap()
    );
    let blocks = Open::new(t0())
        .key(&k.bob)
        .cert(&alice)
        .inline(msg.as_bytes())
        .unwrap();
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].kind(), mailsec_pgp::InlineKind::Encrypted);
    assert_eq!(blocks[0].text(), b"secret text\r\n");
    assert!(blocks[0].signatures()[0].result().is_good());
    assert!(blocks[0].signatures()[0].signer_matches_from());
    // Without the key: opaque failure.
    assert!(matches!(
        Open::new(t0()).key(&k.carol).inline(msg.as_bytes()),
        Err(Error::DecryptionFailed)
    ));
    // A plain message has no blocks.
    assert!(Open::new(t0()).inline(MIXED.as_bytes()).unwrap().is_empty());
}

/// A sender whose clock runs ahead of ours: a signature made a little
/// after the verification time is checked (and still caught when tampered
/// with); one made later than the tolerance is `NotYetValid`, word `bad`.
#[test]
fn signer_clock_ahead() {
    let k = keys();
    let (alice, bob) = (cert(&k.alice), cert(&k.bob));
    let ahead = t0() + Duration::from_secs(90);
    // Detached (multipart/signed).
    let signed = Sign::new(&k.alice, ahead).sign(MIXED.as_bytes()).unwrap();
    let v = Open::new(t0()).cert(&alice).verify(&signed).unwrap();
    match v.signatures()[0].result() {
        SignatureResult::Good { created, .. } => assert_eq!(*created, ahead),
        other => panic!("expected good, got {other:?}"),
    }
    let text = String::from_utf8(signed.clone()).unwrap();
    let mut tampered = signed.clone();
    tampered[text.find("Grüße, Bob").unwrap()] ^= 0x01;
    let v = Open::new(t0()).cert(&alice).verify(&tampered).unwrap();
    assert!(matches!(
        v.signatures()[0].result(),
        SignatureResult::Bad { .. }
    ));
    // An exact check (no tolerance) refuses the future signature.
    let v = Open::new(t0())
        .clock_skew(Duration::ZERO)
        .cert(&alice)
        .verify(&signed)
        .unwrap();
    let r = v.signatures()[0].result();
    assert!(matches!(r, SignatureResult::NotYetValid { created, .. } if *created == ahead));
    assert_eq!(r.word(), "bad");
    assert_eq!(r.fingerprint(), Some(alice.fingerprint().to_hex().as_str()));
    // Far in the future: beyond the default tolerance.
    let far = Sign::new(&k.alice, t0() + Duration::from_secs(2 * 3600))
        .sign(MIXED.as_bytes())
        .unwrap();
    let v = Open::new(t0()).cert(&alice).verify(&far).unwrap();
    assert!(matches!(
        v.signatures()[0].result(),
        SignatureResult::NotYetValid { .. }
    ));
    // Signed inside the encryption, and inline.
    let encrypted = Encrypt::new(ahead)
        .recipient(&bob)
        .sign_with(&k.alice)
        .encrypt(MIXED.as_bytes())
        .unwrap();
    let d = Open::new(t0())
        .key(&k.bob)
        .cert(&alice)
        .decrypt(&encrypted)
        .unwrap();
    assert!(d.signatures()[0].result().is_good());
    let d = Open::new(t0())
        .clock_skew(Duration::from_secs(30))
        .key(&k.bob)
        .cert(&alice)
        .decrypt(&encrypted)
        .unwrap();
    assert_eq!(d.signatures()[0].result().word(), "bad");
    let armored = Encrypt::new(ahead)
        .recipient(&bob)
        .sign_with(&k.alice)
        .encrypt_payload(b"secret text\r\n")
        .unwrap();
    let msg = format!(
        "From: Alice <alice@example.org>\r\nContent-Type: text/plain\r\n\r\n{}\r\n",
        String::from_utf8(armored).unwrap()
    );
    let blocks = Open::new(t0())
        .key(&k.bob)
        .cert(&alice)
        .inline(msg.as_bytes())
        .unwrap();
    assert!(blocks[0].signatures()[0].result().is_good());
}
