//! DKIM verification and signing: mailsec beside mail-auth and the floor.
//!
//! `floor` is what no implementation can beat: one ring SHA-256 pass over the
//! already-canonical body, the header hash, and one ring signature
//! verification (or signature, for the sign group).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dkim::DkimSigner;
use mail_auth::{AuthenticatedMessage, MessageAuthenticator, Parameters, ResolverCache, Txt};
use mailsec_auth::dkim::{Canonicalization, Signer, SigningKey, Verifier, canonical_body};
use mailsec_benches::ThreadCpuTime;
use mailsec_dns::{Record, StaticResolver};
use ring::signature::{self as sig, KeyPair, UnparsedPublicKey};

const HEADERS: [&str; 5] = ["From", "To", "Subject", "Date", "Message-ID"];

fn message(size: usize) -> Vec<u8> {
    let mut m = String::from(
        "From: Alice Example <alice@example.org>\r\nTo: Bob <bob@example.net>\r\n\
         Subject: quarterly report and the figures you asked for\r\n\
         Date: Fri, 27 Nov 2026 10:00:00 +0000\r\nMessage-ID: <20261127100000.1234@example.org>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
    );
    let words = [
        "the",
        "quarterly",
        "figures",
        "show",
        "a",
        "steady",
        "rise",
        "in",
        "revenue,",
        "while",
        "costs",
        "stayed",
        "flat;",
        "see",
        "table",
        "3",
        "for",
        "details.",
    ];
    let start = m.len();
    let mut line = String::new();
    let mut n = 0usize;
    while m.len() - start < size {
        let w = words[n % words.len()];
        n += 1;
        if line.len() + w.len() + 1 > 72 {
            m.push_str(&line);
            m.push_str("\r\n");
            line.clear();
            if n.is_multiple_of(97) {
                m.push_str("\r\n");
            }
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    m.push_str(&line);
    m.push_str("\r\n");
    m.into_bytes()
}

/// mail-auth's TXT cache, answered from memory.
struct MemoryTxt(HashMap<Box<str>, Txt>);

impl ResolverCache<Box<str>, Txt> for MemoryTxt {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.get(name).cloned()
    }
    fn remove<Q>(&self, _: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }
    fn insert(&self, _: Box<str>, _: Txt, _: std::time::Instant) {}
}

/// The relaxed header hash input, computed naively (for the floor only).
fn relaxed_header_data(signed: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(signed);
    let head = text
        .split("\r\n\r\n")
        .next()
        .unwrap()
        .replace("\r\n\t", " ")
        .replace("\r\n ", " ");
    let fields: Vec<(String, String)> = head
        .split("\r\n")
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
            (n.trim().to_ascii_lowercase(), v)
        })
        .collect();
    let mut data = String::new();
    for h in HEADERS {
        let (n, v) = fields
            .iter()
            .rev()
            .find(|(n, _)| n == &h.to_ascii_lowercase())
            .unwrap();
        data.push_str(&format!("{n}:{v}\r\n"));
    }
    let (n, v) = fields.iter().find(|(n, _)| n == "dkim-signature").unwrap();
    let b = v.find(" b=").unwrap();
    let end = v[b + 3..].find(';').map_or(v.len(), |e| b + 3 + e);
    data.push_str(&format!("{n}:{}{}", &v[..b + 3], &v[end..]));
    data.into_bytes()
}

fn signature_value(signed: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(signed);
    let head = text.split("\r\n\r\n").next().unwrap();
    let sig_field: String = head
        .split("\r\n")
        .skip_while(|l| !l.starts_with("DKIM-Signature:"))
        .enumerate()
        .take_while(|(i, l)| *i == 0 || l.starts_with('\t') || l.starts_with(' '))
        .map(|(_, l)| l.to_owned())
        .collect();
    let b = sig_field.find(" b=").unwrap();
    let value = sig_field[b + 3..].split(';').next().unwrap();
    let folded: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(folded)
        .unwrap()
}

struct Setup {
    signed: Vec<u8>,
    dns: StaticResolver,
    cache: MemoryTxt,
    canonical: Vec<u8>,
    header_data: Vec<u8>,
    signature: Vec<u8>,
}

fn setup(key: SigningKey, size: usize, now: SystemTime) -> Setup {
    let record = key.dns_record();
    let signer = Signer::builder()
        .domain("example.org")
        .selector("bench")
        .key(key)
        .headers(HEADERS)
        .canonicalization(Canonicalization::Relaxed, Canonicalization::Relaxed)
        .build();
    let raw = message(size);
    let signed = signer.sign_message(&raw, now).unwrap();
    let mut dns = StaticResolver::new();
    dns.add("bench._domainkey.example.org", Record::txt(&record));
    let dk = Txt::DomainKey(Arc::new(DomainKey::parse(record.as_bytes()).unwrap()));
    let mut map = HashMap::new();
    map.insert(Box::from("bench._domainkey.example.org."), dk.clone());
    map.insert(Box::from("bench._domainkey.example.org"), dk);
    let body = &raw[raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..];
    Setup {
        canonical: canonical_body(Canonicalization::Relaxed, body),
        header_data: relaxed_header_data(&signed),
        signature: signature_value(&signed),
        signed,
        dns,
        cache: MemoryTxt(map),
    }
}

fn verify_group(
    c: &mut Criterion<ThreadCpuTime>,
    name: &str,
    key: SigningKey,
    size: usize,
    public: Vec<u8>,
) {
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let ed = key.bits().is_none();
    let s = setup(key, size, now);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let verifier = Verifier::new();
    let authenticator = MessageAuthenticator::new_system_conf()
        .or_else(|_| MessageAuthenticator::new_cloudflare())
        .unwrap();
    let floor_alg: &dyn sig::VerificationAlgorithm = if ed {
        &sig::ED25519
    } else {
        &sig::RSA_PKCS1_2048_8192_SHA256
    };
    let floor = || {
        let bh = ring::digest::digest(&ring::digest::SHA256, black_box(&s.canonical));
        let ok = if ed {
            let h = ring::digest::digest(&ring::digest::SHA256, &s.header_data);
            UnparsedPublicKey::new(floor_alg, &public).verify(h.as_ref(), &s.signature)
        } else {
            UnparsedPublicKey::new(floor_alg, &public).verify(&s.header_data, &s.signature)
        };
        (bh, ok.is_ok())
    };
    // Every contender must really verify.
    assert!(floor().1, "{name}: floor does not verify");
    let ours = rt.block_on(verifier.verify(&s.signed, &s.dns, now));
    assert!(ours[0].result().is_pass(), "{name}: {}", ours[0].result());
    let theirs = rt.block_on(async {
        let m = AuthenticatedMessage::parse(&s.signed).unwrap();
        let r = authenticator
            .verify_dkim(Parameters::new(&m).with_txt_cache(&s.cache))
            .await;
        r.iter().all(|o| o.result() == &mail_auth::DkimResult::Pass) && !r.is_empty()
    });
    assert!(theirs, "{name}: mail-auth does not verify");

    let mut group = c.benchmark_group(name);
    group.bench_function("mailsec", |b| {
        b.iter(|| rt.block_on(verifier.verify(black_box(&s.signed), &s.dns, now)))
    });
    group.bench_function("mail_auth", |b| {
        b.iter(|| {
            rt.block_on(async {
                let m = AuthenticatedMessage::parse(black_box(&s.signed)).unwrap();
                authenticator
                    .verify_dkim(Parameters::new(&m).with_txt_cache(&s.cache))
                    .await
                    .len()
            })
        })
    });
    group.bench_function("floor", |b| b.iter(floor));
    group.finish();
}

fn rsa_key() -> SigningKey {
    SigningKey::generate_rsa(2048).unwrap()
}

fn rsa_public(key: &SigningKey) -> Vec<u8> {
    sig::RsaKeyPair::from_pkcs8(key.to_pkcs8_der())
        .unwrap()
        .public_key()
        .as_ref()
        .to_vec()
}

fn dkim(c: &mut Criterion<ThreadCpuTime>) {
    let rsa = rsa_key();
    let pkcs8 = rsa.to_pkcs8_der().to_vec();
    let public = rsa_public(&rsa);
    for (name, size) in [
        ("dkim_verify_rsa2048/4KiB", 4 << 10),
        ("dkim_verify_rsa2048/64KiB", 64 << 10),
        ("dkim_verify_rsa2048/1MiB", 1 << 20),
    ] {
        let key = SigningKey::from_pkcs8_der(&pkcs8).unwrap();
        verify_group(c, name, key, size, public.clone());
    }

    let rng = ring::rand::SystemRandom::new();
    let ed_doc = sig::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let ed_pair = sig::Ed25519KeyPair::from_pkcs8(ed_doc.as_ref()).unwrap();
    let ed = SigningKey::from_pkcs8_der(ed_doc.as_ref()).unwrap();
    verify_group(
        c,
        "dkim_verify_ed25519/64KiB",
        ed,
        64 << 10,
        ed_pair.public_key().as_ref().to_vec(),
    );
    let _ = Ed25519Key::from_pkcs8_maybe_unchecked_der(ed_doc.as_ref()).unwrap();

    // Signing.
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let raw = message(64 << 10);
    let signer = Signer::builder()
        .domain("example.org")
        .selector("bench")
        .key(SigningKey::from_pkcs8_der(&pkcs8).unwrap())
        .headers(HEADERS)
        .build();
    let pem = rsa.to_pkcs8_pem();
    #[allow(deprecated)]
    let theirs = DkimSigner::from_key(RsaKey::<Sha256>::from_pkcs8_pem(&pem).unwrap())
        .domain("example.org")
        .selector("bench")
        .headers(HEADERS)
        .header_canonicalization(mail_auth::dkim::Canonicalization::Relaxed)
        .body_canonicalization(mail_auth::dkim::Canonicalization::Relaxed);
    let pair = sig::RsaKeyPair::from_pkcs8(&pkcs8).unwrap();
    let s = setup(SigningKey::from_pkcs8_der(&pkcs8).unwrap(), 64 << 10, now);
    let mut group = c.benchmark_group("dkim_sign_rsa2048/64KiB");
    group.bench_function("mailsec", |b| {
        b.iter(|| signer.sign(black_box(&raw), now).unwrap())
    });
    group.bench_function("mail_auth", |b| {
        b.iter(|| theirs.sign(black_box(&raw)).unwrap().to_header())
    });
    group.bench_function("floor", |b| {
        b.iter(|| {
            let bh = ring::digest::digest(&ring::digest::SHA256, black_box(&s.canonical));
            let mut out = vec![0u8; pair.public().modulus_len()];
            pair.sign(&sig::RSA_PKCS1_SHA256, &rng, &s.header_data, &mut out)
                .unwrap();
            (bh, out)
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // Thread CPU time, not wall time: see `mailsec_benches::ThreadCpuTime`.
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = dkim
}
criterion_main!(benches);
