//! Round trips, mixed recipients, the notification mail, replies, and
//! refusal of anything that is not the right password.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::{Duration, SystemTime};

use mail_parser::{MessageParser, MimeHeaders};
use mailsec_password::{
    ATTACHMENT_NAME, Delivery, KdfCost, Password, PasswordEncryptor, PasswordError, PasswordMail,
    Profile, ReplyThread, decrypt, decrypt_with_keys,
};
use proptest::prelude::*;
use sequoia_openpgp::cert::prelude::*;
use sequoia_openpgp::parse::Parse;

const PW: &str = "Glacier-orbit-47-Tangerine";
const MESSAGE: &[u8] = b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Q3 numbers\r\nMessage-ID: <orig-1@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--x\r\nContent-Type: application/pdf; name=\"q3.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--x--\r\n";

fn cheap(pw: &Password) -> PasswordEncryptor {
    PasswordEncryptor::new(pw.clone()).cost(KdfCost::insecure_for_tests())
}

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_780_800) // 2026-11-27T12:00:00Z
}

fn cert(uid: &str) -> Cert {
    CertBuilder::general_purpose(Some(uid))
        .generate()
        .unwrap()
        .0
}

#[test]
fn v4_and_v6_round_trip_and_refuse_the_wrong_password() {
    let pw = Password::new(PW).unwrap();
    for profile in [Profile::V4, Profile::V6] {
        for armor in [true, false] {
            let sealed = cheap(&pw)
                .profile(profile)
                .armor(armor)
                .encrypt(MESSAGE)
                .unwrap();
            assert_eq!(sealed.starts_with(b"-----BEGIN PGP MESSAGE-----"), armor);
            assert_eq!(decrypt(&sealed, &pw).unwrap(), MESSAGE);
            let wrong = decrypt(
                &sealed,
                &Password::new("Glacier-orbit-47-tangerine").unwrap(),
            );
            assert!(matches!(wrong, Err(PasswordError::Decrypt)), "{profile:?}");
        }
    }
}

#[test]
fn packets_are_what_the_profile_says() {
    let pw = Password::new(PW).unwrap();
    let v4 = cheap(&pw).armor(false).encrypt(MESSAGE).unwrap();
    let v6 = cheap(&pw)
        .profile(Profile::V6)
        .armor(false)
        .encrypt(MESSAGE)
        .unwrap();
    let pile = |b: &[u8]| sequoia_openpgp::PacketPile::from_bytes(b).unwrap();
    let v4 = pile(&v4);
    let v6 = pile(&v6);
    use sequoia_openpgp::Packet;
    use sequoia_openpgp::crypto::S2K;
    use sequoia_openpgp::packet::SKESK;
    use sequoia_openpgp::types::HashAlgorithm;
    match v4.children().next().unwrap() {
        Packet::SKESK(SKESK::V4(s)) => match s.s2k() {
            S2K::Iterated { hash, .. } => assert_eq!(*hash, HashAlgorithm::SHA256),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    assert!(matches!(v4.children().nth(1), Some(Packet::SEIP(s)) if s.version() == 1));
    match v6.children().next().unwrap() {
        Packet::SKESK(SKESK::V6(s)) => assert!(matches!(
            s.s2k(),
            S2K::Argon2 {
                t: 1,
                p: 1,
                m: 6,
                ..
            }
        )),
        other => panic!("{other:?}"),
    }
    assert!(matches!(v6.children().nth(1), Some(Packet::SEIP(s)) if s.version() == 2));

    // The production default: the highest iteration count, SHA-256.
    let real = PasswordEncryptor::new(pw)
        .armor(false)
        .encrypt(b"x")
        .unwrap();
    match pile(&real).children().next().unwrap() {
        Packet::SKESK(SKESK::V4(s)) => match s.s2k() {
            S2K::Iterated {
                hash, hash_bytes, ..
            } => {
                assert_eq!(*hash, HashAlgorithm::SHA256);
                assert_eq!(*hash_bytes, 65_011_712);
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn mixed_password_and_keys_open_both_ways() {
    let pw = Password::new(PW).unwrap();
    let alice = cert("<alice@example.org>");
    let carol = cert("<carol@example.org>");
    for profile in [Profile::V4, Profile::V6] {
        let sealed = cheap(&pw)
            .profile(profile)
            .add_recipient(alice.clone())
            .add_recipient(carol.clone())
            .encrypt(MESSAGE)
            .unwrap();
        assert_eq!(decrypt(&sealed, &pw).unwrap(), MESSAGE);
        assert_eq!(
            decrypt_with_keys(&sealed, std::slice::from_ref(&alice)).unwrap(),
            MESSAGE
        );
        assert_eq!(
            decrypt_with_keys(&sealed, std::slice::from_ref(&carol)).unwrap(),
            MESSAGE
        );
        let mallory = cert("<mallory@example.org>");
        assert!(matches!(
            decrypt_with_keys(&sealed, &[mallory]),
            Err(PasswordError::Decrypt)
        ));
        // A public certificate alone (no secret) cannot open it.
        assert!(decrypt_with_keys(&sealed, &[alice.clone().strip_secret_key_material()]).is_err());
    }
}

#[test]
fn a_certificate_without_encryption_keys_is_refused() {
    let (signer, _) = CertBuilder::new()
        .add_userid("<s@example.org>")
        .add_signing_subkey()
        .generate()
        .unwrap();
    let err = cheap(&Password::new(PW).unwrap())
        .add_recipient(signer)
        .encrypt(MESSAGE);
    assert!(matches!(
        err,
        Err(PasswordError::UnusableCertificate { .. })
    ));
}

#[test]
fn proton_mixed_password_public_vector() {
    // gopenpgp's fixture: one SKESK (password "pinata") and one PKESK.
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/pgp/gopenpgp/crypto/testdata/"
    );
    let msg = std::fs::read(format!("{dir}message_mixedPasswordPublic")).unwrap();
    let expected = std::fs::read(format!("{dir}message_mixedPasswordPublicExpected")).unwrap();
    assert_eq!(
        decrypt(&msg, &Password::new("pinata").unwrap()).unwrap(),
        expected
    );
    assert!(decrypt(&msg, &Password::new("pinata!").unwrap()).is_err());
}

#[test]
fn errors_are_opaque_and_give_no_plaintext() {
    let pw = Password::new(PW).unwrap();
    let sealed = cheap(&pw)
        .armor(false)
        .encrypt(&vec![b'A'; 200_000])
        .unwrap();
    let wrong = decrypt(&sealed, &Password::new("nope").unwrap()).unwrap_err();
    // Flip one byte near the end (inside the encrypted data / MDC).
    let mut tampered = sealed.clone();
    let i = tampered.len() - 10;
    tampered[i] ^= 0x01;
    let tampered_err = decrypt(&tampered, &pw).unwrap_err();
    let truncated_err = decrypt(&sealed[..sealed.len() / 2], &pw).unwrap_err();
    let garbage_err = decrypt(b"not an OpenPGP message at all", &pw).unwrap_err();
    for e in [&wrong, &tampered_err, &truncated_err, &garbage_err] {
        assert!(matches!(e, PasswordError::Decrypt));
        assert_eq!(e.to_string(), "the message could not be decrypted");
        assert!(std::error::Error::source(e).is_none());
    }
}

#[test]
fn an_unencrypted_openpgp_message_is_refused() {
    use sequoia_openpgp::serialize::stream::{LiteralWriter, Message};
    use std::io::Write;
    let mut plain = Vec::new();
    let m = Message::new(&mut plain);
    let mut w = LiteralWriter::new(m).build().unwrap();
    w.write_all(MESSAGE).unwrap();
    w.finalize().unwrap();
    assert!(matches!(
        decrypt(&plain, &Password::new(PW).unwrap()),
        Err(PasswordError::Decrypt)
    ));
}

#[test]
fn debug_output_never_leaks_the_password() {
    let pw = Password::new("Zebra-unique-marker-9931").unwrap();
    let enc = cheap(&pw);
    let mail = PasswordMail::new(enc.clone(), "alice@example.org", "bob@example.net").unwrap();
    let shown = format!("{pw:?} {enc:?} {mail:?} {:#?}", mail);
    assert!(!shown.contains("unique-marker"), "{shown}");
}

fn sealed_mail(delivery: Delivery, pw: &Password) -> mailsec_password::Sealed {
    PasswordMail::new(cheap(pw), "Alice <alice@example.org>", "bob@example.net")
        .unwrap()
        .subject("Alice sent you a protected message")
        .unwrap()
        .text("Here are the numbers.\nCall me if anything is unclear.")
        .hint("our first dog's name + the year we met")
        .unwrap()
        .unlock_url_template("https://mail.example.org/unlock/{id}?lang=en")
        .unwrap()
        .expires_in(Duration::from_secs(7 * 86_400))
        .delivery(delivery)
        .seal(MESSAGE, now())
        .unwrap()
}

#[test]
fn notification_parses_and_carries_hint_and_link_but_never_the_password() {
    let pw = Password::new(PW).unwrap();
    for delivery in [Delivery::Attach, Delivery::Link] {
        let sealed = sealed_mail(delivery, &pw);
        let raw = sealed.notification();
        assert!(!raw.windows(PW.len()).any(|w| w == PW.as_bytes()));
        assert!(raw.windows(2).filter(|w| w == b"\r\n").count() > 5);
        assert!(
            !raw.iter()
                .enumerate()
                .any(|(i, &b)| b == b'\n' && (i == 0 || raw[i - 1] != b'\r')),
            "bare LF"
        );
        let msg = MessageParser::default().parse(raw).unwrap();
        assert_eq!(msg.subject(), Some("Alice sent you a protected message"));
        assert_eq!(
            msg.from().unwrap().first().unwrap().address(),
            Some("alice@example.org")
        );
        assert_eq!(
            msg.to().unwrap().first().unwrap().address(),
            Some("bob@example.net")
        );
        assert_eq!(
            msg.message_id(),
            Some(format!("{}@example.org", sealed.id()).as_str())
        );
        assert_eq!(msg.date().unwrap().to_timestamp(), 1_795_780_800);
        assert_eq!(
            msg.header_raw("Auto-Submitted").map(str::trim),
            Some("auto-generated")
        );
        assert_eq!(
            msg.header_raw("Expires").map(str::trim),
            Some("Fri, 04 Dec 2026 12:00:00 +0000")
        );
        let url = format!("https://mail.example.org/unlock/{}?lang=en", sealed.id());
        assert_eq!(sealed.unlock_url(), Some(url.as_str()));
        assert_eq!(sealed.id().len(), 32);
        let text = msg.body_text(0).unwrap();
        let html = msg.body_html(0).unwrap();
        for body in [&text, &html] {
            assert!(body.contains("our first dog"), "{body}");
            assert!(body.contains("Fri, 04 Dec 2026 12:00:00 +0000"), "{body}");
            assert!(!body.contains(PW));
        }
        assert!(text.contains(&url));
        assert!(text.contains("Call me if anything is unclear."));
        assert!(html.contains(&url.replace('&', "&amp;")));
        assert!(html.contains("our first dog&#39;s name + the year we met"));
        let attachments: Vec<_> = msg.attachments().collect();
        match delivery {
            Delivery::Attach => {
                assert_eq!(attachments.len(), 1);
                assert_eq!(attachments[0].attachment_name(), Some(ATTACHMENT_NAME));
                // The original, byte for byte.
                assert_eq!(decrypt(attachments[0].contents(), &pw).unwrap(), MESSAGE);
            }
            _ => {
                assert!(attachments.is_empty());
                assert!(!raw.windows(27).any(|w| w == b"-----BEGIN PGP MESSAGE-----"));
            }
        }
        // The protected payload for hosting opens with the password.
        assert!(decrypt(sealed.ciphertext(), &pw).is_ok());
    }
}

#[test]
fn envelope_is_pgp_mime_with_the_expiry() {
    let pw = Password::new(PW).unwrap();
    let sealed = sealed_mail(Delivery::Attach, &pw);
    let msg = MessageParser::default().parse(sealed.envelope()).unwrap();
    let ct = msg.content_type().unwrap();
    assert_eq!(ct.ctype(), "multipart");
    assert_eq!(ct.subtype(), Some("encrypted"));
    assert_eq!(ct.attribute("protocol"), Some("application/pgp-encrypted"));
    let report = mailsec_expiry::ExpiryReport::from_message(sealed.envelope(), now());
    assert_eq!(report.state(), mailsec_expiry::ExpiryState::Live);
    assert_eq!(report.expires_at(), Some(sealed.expires_at()));
    let report = mailsec_expiry::ExpiryReport::from_message(
        sealed.envelope(),
        now() + Duration::from_secs(8 * 86_400),
    );
    assert!(report.is_expired());
    let part = msg.part(2).unwrap();
    assert_eq!(decrypt(part.contents(), &pw).unwrap(), MESSAGE);
    assert_eq!(
        mailsec_password::decrypt_mail(sealed.envelope(), &pw).unwrap(),
        MESSAGE
    );
    assert_eq!(
        mailsec_password::decrypt_mail(sealed.notification(), &pw).unwrap(),
        MESSAGE
    );
    assert!(
        mailsec_password::decrypt_mail(sealed.notification(), &Password::new("no").unwrap())
            .is_err()
    );
}

#[test]
fn protected_expiry_goes_inside_when_asked() {
    let pw = Password::new(PW).unwrap();
    let sealed = PasswordMail::new(cheap(&pw), "alice@example.org", "bob@example.net")
        .unwrap()
        .expires_in(Duration::from_secs(86_400))
        .protect_expiry(true)
        .seal(MESSAGE, now())
        .unwrap();
    let inner = decrypt(sealed.ciphertext(), &pw).unwrap();
    let outer: Vec<(String, String)> = mailsec_expiry::header_fields(sealed.envelope()).0;
    let protected = mailsec_expiry::header_fields(&inner).0;
    let report = mailsec_expiry::ExpiryReport::with_protected(outer, protected, now());
    assert!(report.is_protected() && !report.is_mismatch());
    assert_eq!(
        report.expires_at(),
        Some(now() + Duration::from_secs(86_400))
    );
}

#[test]
fn policy_caps_the_expiry_and_link_mode_needs_a_url() {
    let pw = Password::new(PW).unwrap();
    let sealed = PasswordMail::new(cheap(&pw), "alice@example.org", "bob@example.net")
        .unwrap()
        .expires_in(Duration::from_secs(365 * 86_400))
        .seal(MESSAGE, now())
        .unwrap();
    assert_eq!(
        sealed.expires_at(),
        now() + Duration::from_secs(28 * 86_400)
    );
    let link = PasswordMail::new(cheap(&pw), "alice@example.org", "bob@example.net")
        .unwrap()
        .delivery(Delivery::Link)
        .seal(MESSAGE, now());
    assert!(link.is_err());
    assert!(matches!(
        PasswordMail::new(cheap(&pw), "alice@example.org", "bob@example.net")
            .unwrap()
            .unlock_url_template("https://x.example/unlock"),
        Err(PasswordError::InvalidTemplate)
    ));
    assert!(
        PasswordMail::new(
            cheap(&pw),
            "alice@example.org",
            "bob@example.net\r\nBcc: eve@x"
        )
        .is_err()
    );
    assert!(
        PasswordMail::new(cheap(&pw), "alice@example.org", "bob@example.net")
            .unwrap()
            .hint("a\nb")
            .is_err()
    );
}

#[test]
fn replies_in_kind_are_threaded_and_bounded() {
    let pw = Password::new(PW).unwrap();
    let alice = cert("<alice@example.org>");
    let original = sealed_mail(Delivery::Attach, &pw);
    assert_eq!(original.message_id(), "orig-1@example.org");
    let mut thread = ReplyThread::for_sealed(&original);
    assert_eq!(thread.remaining(), 5);
    // Bob answers under the same password; Alice's key opens it too.
    let reply_mail = PasswordMail::new(
        cheap(&pw).add_recipient(alice.clone()),
        "bob@example.net",
        "alice@example.org",
    )
    .unwrap()
    .unlock_url_template("https://mail.example.org/unlock/{id}")
    .unwrap();
    let reply = b"From: bob@example.net\r\nTo: alice@example.org\r\nSubject: Re: Q3 numbers\r\nIn-Reply-To: <forged@x>\r\n\r\nthanks\r\n";
    for n in 1..=5u32 {
        let sealed = thread.seal_reply(&reply_mail, reply, now()).unwrap();
        assert_eq!(thread.replies_sent(), n);
        let inner = decrypt_with_keys(sealed.ciphertext(), std::slice::from_ref(&alice)).unwrap();
        let inner = String::from_utf8(inner).unwrap();
        assert!(
            inner.contains(
                "In-Reply-To: <orig-1@example.org>\r\nReferences: <orig-1@example.org>\r\n"
            ),
            "{inner}"
        );
        assert!(!inner.contains("forged"));
        assert_eq!(decrypt(sealed.ciphertext(), &pw).unwrap(), inner.as_bytes());
        let note = MessageParser::default()
            .parse(sealed.notification())
            .unwrap();
        assert_eq!(note.in_reply_to().as_text(), Some("orig-1@example.org"));
        assert_eq!(note.references().as_text(), Some("orig-1@example.org"));
    }
    assert!(matches!(
        thread.seal_reply(&reply_mail, reply, now()),
        Err(PasswordError::ReplyLimit { limit: 5 })
    ));
    // Resumed state keeps the count.
    let resumed = ReplyThread::resume("<orig-1@example.org>", vec![], 4);
    assert_eq!(resumed.remaining(), 1);
}

#[test]
fn weak_passwords_are_flagged_on_the_sealed_message() {
    let weak = Password::new("alice2026").unwrap();
    let sealed = PasswordMail::new(cheap(&weak), "alice@example.org", "bob@example.net")
        .unwrap()
        .seal(MESSAGE, now())
        .unwrap();
    assert!(sealed.password_strength().is_weak());
    let strong = Password::new(PW).unwrap();
    let sealed = PasswordMail::new(cheap(&strong), "alice@example.org", "bob@example.net")
        .unwrap()
        .seal(MESSAGE, now())
        .unwrap();
    assert!(!sealed.password_strength().is_weak());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_message_any_password_round_trips(
        message in proptest::collection::vec(any::<u8>(), 0..4096),
        password in "\\PC{1,40}",
        v6 in any::<bool>(),
    ) {
        let pw = Password::new(password.clone()).unwrap();
        let profile = if v6 { Profile::V6 } else { Profile::V4 };
        let sealed = cheap(&pw).profile(profile).encrypt(&message).unwrap();
        prop_assert_eq!(decrypt(&sealed, &pw).unwrap(), message);
        let other = Password::new(format!("{password}x")).unwrap();
        prop_assert!(decrypt(&sealed, &other).is_err());
    }

    #[test]
    fn arbitrary_input_never_panics_nor_decrypts(input in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let pw = Password::new("x").unwrap();
        prop_assert!(decrypt(&input, &pw).is_err());
        prop_assert!(decrypt_with_keys(&input, &[]).is_err());
        prop_assert!(mailsec_password::decrypt_mail(&input, &pw).is_err());
    }

    #[test]
    fn mangled_ciphertext_never_panics(flip in 0usize..4096, bit in 0u8..8) {
        let pw = Password::new("y").unwrap();
        let mut sealed = cheap(&pw).armor(false).encrypt(b"Subject: s\r\n\r\nbody\r\n").unwrap();
        let i = flip % sealed.len();
        sealed[i] ^= 1 << bit;
        // Either refused, or (if the flip hit a field that does not matter) the same plaintext.
        if let Ok(p) = decrypt(&sealed, &pw) {
            prop_assert_eq!(p, b"Subject: s\r\n\r\nbody\r\n".to_vec());
        }
    }

    #[test]
    fn any_notification_fields_never_carry_the_password(
        hint in "[^\r\n\0]{0,60}",
        text in "\\PC{0,200}",
    ) {
        let pw = Password::new("Hidden-Marker-Passw0rd-123").unwrap();
        let mut mail = PasswordMail::new(cheap(&pw), "alice@example.org", "bob@example.net").unwrap().text(&text);
        if !hint.is_empty() {
            mail = mail.hint(&hint).unwrap();
        }
        let sealed = mail.seal(b"Subject: x\r\n\r\ny\r\n", now()).unwrap();
        let note = sealed.notification();
        prop_assert!(!note.windows(26).any(|w| w == b"Hidden-Marker-Passw0rd-123"));
        prop_assert!(MessageParser::default().parse(note).is_some());
    }
}
