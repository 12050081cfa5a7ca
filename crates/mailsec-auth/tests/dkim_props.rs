//! Property tests: no panic on any input; sign then verify passes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::{Duration, UNIX_EPOCH};

use mailsec_auth::arc::ArcValidator;
use mailsec_auth::dkim::{Canonicalization, KeyRecord, Signature, Signer, SigningKey, Verifier};
use mailsec_dns::{Record, StaticResolver};
use proptest::prelude::*;

fn tag_list() -> impl Strategy<Value = String> {
    let names = prop::sample::select(vec![
        "v", "a", "b", "bh", "c", "d", "h", "i", "l", "q", "s", "t", "x", "z", "k", "p", "n", "cv",
    ]);
    let values = prop::sample::select(vec![
        "1",
        "rsa-sha256",
        "ed25519-sha256",
        "rsa-sha1",
        "relaxed/simple",
        "simple",
        "foo/bar",
        "example.org",
        "@example.org",
        "from:to",
        "",
        "AAAA",
        "=",
        "99999999999999999999999",
        "dns/txt",
        "y:s",
        "DKIM1",
        "rsa",
        "ed25519",
        "none",
        "pass",
        " \r\n ",
        "é",
    ]);
    prop::collection::vec((names, values), 0..16).prop_map(|tags| {
        tags.iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

proptest! {
    #[test]
    fn parsers_never_panic_on_bytes(value in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = Signature::parse(&value);
        let _ = KeyRecord::parse(&value);
    }

    #[test]
    fn parsers_never_panic_on_tag_lists(list in tag_list()) {
        let _ = Signature::parse(list.as_bytes());
        if let Ok(k) = KeyRecord::parse(list.as_bytes()) {
            let _ = (k.allows_email(), k.is_testing());
        }
    }

    #[test]
    fn verify_never_panics(
        headers in prop::collection::vec(("[A-Za-z-]{1,12}", tag_list()), 0..6),
        body in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut dns = StaticResolver::new();
        dns.add("s._domainkey.example.org", Record::txt("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="));
        let mut message = Vec::new();
        for (i, (name, value)) in headers.iter().enumerate() {
            let name = match i % 4 { 0 => "DKIM-Signature", 1 => "ARC-Seal", 2 => "ARC-Message-Signature", _ => name.as_str() };
            message.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        message.extend_from_slice(b"\r\n");
        message.extend_from_slice(&body);
        let rt = runtime();
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let _ = rt.block_on(Verifier::new().verify(&message, &dns, now));
        let _ = rt.block_on(ArcValidator::new().validate(&message, &dns, now));
        let _ = rt.block_on(Verifier::new().verify(&body, &dns, now));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn sign_then_verify_passes(
        body in prop::collection::vec(prop::sample::select(vec![b'a', b' ', b'\t', b'\r', b'\n', b'.', 0xc3]), 0..300),
        subject in "[ -~]{0,40}",
        relaxed_header in any::<bool>(),
        relaxed_body in any::<bool>(),
    ) {
        let canon = |r: bool| if r { Canonicalization::Relaxed } else { Canonicalization::Simple };
        let key = SigningKey::generate_ed25519().unwrap();
        let mut dns = StaticResolver::new();
        dns.add("s._domainkey.example.org", Record::txt(&key.dns_record()));
        let signer = Signer::builder()
            .domain("example.org")
            .selector("s")
            .key(key)
            .canonicalization(canon(relaxed_header), canon(relaxed_body))
            .build();
        let mut message = format!("From: a@example.org\r\nSubject: {subject}\r\n\r\n").into_bytes();
        message.extend_from_slice(&body);
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let signed = signer.sign_message(&message, now).unwrap();
        let r = runtime().block_on(Verifier::new().verify(&signed, &dns, now));
        prop_assert!(r[0].result().is_pass(), "{}", r[0].result());
    }
}
