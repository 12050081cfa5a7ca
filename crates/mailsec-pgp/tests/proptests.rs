//! Property tests: any MIME message survives encrypt → decrypt and
//! sign → verify byte for byte; a flipped byte is Bad; no parser panics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use mailsec_pgp::openpgp::Cert;
use mailsec_pgp::{
    AutocryptHeader, Encrypt, HeaderProtection, KeyGen, Open, SecretKey, Sign, wkd_urls,
};
use proptest::prelude::*;

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000)
}

fn keys() -> &'static (SecretKey, Cert, SecretKey, Cert) {
    static K: OnceLock<(SecretKey, Cert, SecretKey, Cert)> = OnceLock::new();
    K.get_or_init(|| {
        let a = KeyGen::new("Alice <alice@example.org>")
            .created(now() - Duration::from_secs(60))
            .generate()
            .unwrap()
            .into_key();
        let b = KeyGen::new("Bob <bob@example.net>")
            .created(now() - Duration::from_secs(60))
            .generate()
            .unwrap()
            .into_key();
        let (ac, bc) = (a.public_cert(), b.public_cert());
        (a, ac, b, bc)
    })
}

/// Header values: printable text, non-ASCII included, some folded.
fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~&&[^\r\n]]{0,60}",
        "[a-zA-Zäöüß€ ]{1,40}",
        ("[ -~]{1,30}", "[ -~]{1,30}").prop_map(|(a, b)| format!("{a}\r\n {b}")),
    ]
    .prop_map(|v| v.trim().to_owned())
}

/// A body line: anything but CR/LF (non-ASCII included).
fn line() -> impl Strategy<Value = String> {
    "[^\r\n]{0,80}"
}

fn leaf() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just("text/plain; charset=utf-8"),
            Just("text/html; charset=utf-8"),
            Just("application/octet-stream")
        ],
        prop::collection::vec(line(), 0..8),
        any::<bool>(),
    )
        .prop_map(|(ct, lines, final_crlf)| {
            let mut body = lines.join("\r\n");
            if final_crlf {
                body.push_str("\r\n");
            }
            format!("Content-Type: {ct}\r\n\r\n{body}")
        })
}

fn entity() -> impl Strategy<Value = String> {
    leaf().prop_recursive(3, 12, 4, |inner| {
        (prop::collection::vec(inner, 1..4), 0u32..1000).prop_map(|(parts, n)| {
            let b = format!("b{n}-=_x");
            let mut s = format!("Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n");
            for p in parts {
                s.push_str(&format!("--{b}\r\n{p}\r\n"));
            }
            s.push_str(&format!("--{b}--\r\n"));
            s
        })
    })
}

fn message() -> impl Strategy<Value = String> {
    (header_value(), header_value(), entity()).prop_map(|(subject, extra, body)| {
        format!(
            "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: {subject}\r\n\
             X-Extra: {extra}\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n{body}"
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn encrypt_decrypt_same_bytes(msg in message(), protect in any::<bool>()) {
        let (a, ac, b, bc) = keys();
        let mut e = Encrypt::new(now()).recipient(bc).sign_with(a);
        if protect {
            e = e.protect_headers(HeaderProtection::Rfc9788);
        }
        let out = e.encrypt(msg.as_bytes()).unwrap();
        let d = Open::new(now()).key(b).cert(ac).decrypt(&out).unwrap();
        prop_assert!(d.message() == msg.as_bytes());
        prop_assert!(d.signatures()[0].result().is_good());
    }

    #[test]
    fn sign_verify_good_and_flip_bad(msg in message(), pick in any::<prop::sample::Index>()) {
        let (a, ac, _, _) = keys();
        let signed = Sign::new(a, now()).sign(msg.as_bytes()).unwrap();
        let v = Open::new(now()).cert(ac).verify(&signed).unwrap();
        prop_assert!(v.signatures()[0].result().is_good());
        // Flip one byte of the signed part (not a line end: those change the
        // MIME framing, which is checked separately).
        let payload = v.payload().to_vec();
        let start = signed.windows(payload.len().max(1)).position(|w| w == payload.as_slice()).unwrap();
        let candidates: Vec<usize> = (0..payload.len()).filter(|&i| !matches!(payload[i], b'\r' | b'\n')).collect();
        prop_assume!(!candidates.is_empty());
        let i = start + candidates[pick.index(candidates.len())];
        let mut tampered = signed.clone();
        tampered[i] ^= 0x20;
        if let Ok(v) = Open::new(now()).cert(ac).verify(&tampered) {
            prop_assert_eq!(v.signatures()[0].result().word(), "bad");
        }
    }

    #[test]
    fn parsers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let (_, ac, b, _) = keys();
        let open = Open::new(now()).key(b).cert(ac);
        let _ = open.decrypt(&bytes);
        let _ = open.verify(&bytes);
        let _ = open.inline(&bytes);
        let _ = open.decrypt_mime_payload(&bytes);
        let _ = AutocryptHeader::from_message(&bytes);
        let s = String::from_utf8_lossy(&bytes);
        let _ = AutocryptHeader::parse(&s);
        let _ = wkd_urls(&s);
        let _ = mailsec_pgp::read_certs(&bytes);
        let _ = SecretKey::from_bytes(&bytes, Some(b"x"));
        let _ = mailsec_pgp::check_vcard(&s);
    }

    #[test]
    fn mime_shaped_garbage_never_panics(
        ct in prop_oneof![Just("multipart/encrypted"), Just("multipart/signed"), Just("text/plain")],
        parts in prop::collection::vec("[ -~\r\n]{0,200}", 0..5),
        close in any::<bool>(),
    ) {
        let (_, ac, b, _) = keys();
        let mut m = format!("From: x@y\r\nContent-Type: {ct}; boundary=\"zz\"; protocol=\"application/pgp-signature\"\r\n\r\n");
        for p in parts {
            m.push_str(&format!("--zz\r\n{p}\r\n"));
        }
        if close {
            m.push_str("--zz--\r\n");
        }
        let open = Open::new(now()).key(b).cert(ac);
        let _ = open.decrypt(m.as_bytes());
        let _ = open.verify(m.as_bytes());
        let _ = open.inline(m.as_bytes());
    }
}
