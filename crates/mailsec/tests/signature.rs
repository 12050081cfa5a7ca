//! The pipeline verifies PGP/MIME signatures of known senders (its keyring).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use mailsec::dns::StaticResolver;
use mailsec::pgp::{KeyGen, SecretKey, Sign, SignatureResult};
use mailsec::{Envelope, Keyring, Pipeline};

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000)
}

fn key(uid: &str) -> SecretKey {
    KeyGen::new(uid)
        .created(now() - Duration::from_secs(3600))
        .generate()
        .unwrap()
        .into_key()
}

const PLAIN: &[u8] = b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\n\
Subject: signed\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\nMessage-ID: <s1@example.org>\r\n\
MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nI really wrote this.\r\n";

fn pipeline(keyring: Option<Keyring>) -> Pipeline {
    let mut b = Pipeline::builder(Arc::new(StaticResolver::new())).authserv_id("mx.test");
    if let Some(k) = keyring {
        b = b.keyring(k);
    }
    b.build().unwrap()
}

async fn check(p: &Pipeline, raw: &[u8]) -> mailsec::Report {
    p.check(&Envelope::new(None, None, None), raw, now())
        .await
        .unwrap()
}

#[tokio::test]
async fn known_sender_signature_is_verified() {
    let alice = key("Alice <alice@example.org>");
    let signed = Sign::new(&alice, now()).sign(PLAIN).unwrap();
    let mut keyring = Keyring::new();
    assert!(keyring.add(alice.public_cert()));
    let p = pipeline(Some(keyring));

    let report = check(&p, &signed).await;
    let sig = report.signature().expect("verified");
    assert_eq!(sig.result(), "good");
    assert!(sig.is_good());
    assert_eq!(sig.from(), "alice@example.org");
    assert!(matches!(
        sig.checks()[0].result(),
        SignatureResult::Good { fingerprint, .. } if *fingerprint == mailsec::pgp::fingerprint(alice.cert())
    ));

    // The signed text changed in transit: bad.
    let text = String::from_utf8(signed.clone()).unwrap();
    let tampered = text.replace("I really wrote this.", "I really wrote that.");
    assert_ne!(tampered, text);
    let report = check(&p, tampered.as_bytes()).await;
    assert_eq!(report.signature().unwrap().result(), "bad");

    // Signed by someone else claiming to be Alice: her certificate cannot check it.
    let mallory = key("Alice <alice@example.org>");
    let forged = Sign::new(&mallory, now()).sign(PLAIN).unwrap();
    let report = check(&p, &forged).await;
    assert_eq!(report.signature().unwrap().result(), "unknown_key");
}

#[tokio::test]
async fn nothing_is_verified_without_a_known_sender() {
    let alice = key("Alice <alice@example.org>");
    let signed = Sign::new(&alice, now()).sign(PLAIN).unwrap();
    // No keyring.
    assert!(check(&pipeline(None), &signed).await.signature().is_none());
    // A keyring without Alice.
    let mut keyring = Keyring::new();
    keyring.add(key("Carol <carol@example.net>").public_cert());
    let p = pipeline(Some(keyring));
    assert!(check(&p, &signed).await.signature().is_none());
    // Alice known, but the message is not signed.
    let mut keyring = Keyring::new();
    keyring.add(alice.public_cert());
    let p = pipeline(Some(keyring));
    assert!(check(&p, PLAIN).await.signature().is_none());
}

#[tokio::test]
async fn a_broken_signed_structure_is_bad_not_an_error() {
    let alice = key("Alice <alice@example.org>");
    let mut keyring = Keyring::new();
    keyring.add_for("alice@example.org", alice.public_cert());
    assert_eq!(keyring.len(), 1);
    let p = pipeline(Some(keyring));
    let broken = b"From: alice@example.org\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; micalg=pgp-sha256\r\n\r\n\
no boundary at all\r\n";
    let report = check(&p, broken).await;
    assert_eq!(report.signature().unwrap().result(), "bad");
}
