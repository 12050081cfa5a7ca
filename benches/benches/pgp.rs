//! PGP/MIME encrypt+sign and decrypt+verify beside `sequoia_raw`: sequoia
//! encrypting, signing and armoring the same bytes with the same keys and
//! no MIME work. The MIME layer must add under 20% at 64 KiB and above.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::io::{Read, Write};
use std::time::SystemTime;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mailsec_pgp::openpgp::{self as openpgp, Cert, KeyHandle};
use mailsec_pgp::{Encrypt, KeyGen, Open, SecretKey};
use openpgp::crypto::{KeyPair, SessionKey};
use openpgp::packet::{PKESK, SKESK};
use openpgp::parse::Parse;
use openpgp::parse::stream::{
    DecryptionHelper, DecryptorBuilder, MessageLayer, MessageStructure, VerificationHelper,
};
use openpgp::policy::StandardPolicy;
use openpgp::serialize::stream::{Armorer, Encryptor, LiteralWriter, Message, Signer};
use openpgp::types::{HashAlgorithm, SymmetricAlgorithm};

/// A MIME message of about `size` bytes: headers, text part, base64 attachment.
fn message(size: usize) -> Vec<u8> {
    let mut m = String::from(
        "From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\nSubject: report\r\n\
         Date: Fri, 27 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nPlease find the report attached.\r\n--b\r\n\
         Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n",
    );
    let mut i = 0u32;
    while m.len() < size - 12 {
        let line: String = (0..76)
            .map(|j| {
                char::from(
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                        [((i as usize) * 7 + j) % 64],
                )
            })
            .collect();
        m.push_str(&line);
        m.push_str("\r\n");
        i += 1;
    }
    m.push_str("--b--\r\n");
    m.into_bytes()
}

fn raw_encrypt_sign(data: &[u8], to: &Cert, signer: KeyPair, now: SystemTime) -> Vec<u8> {
    let p = StandardPolicy::new();
    let recipients: Vec<_> = to
        .keys()
        .with_policy(&p, now)
        .supported()
        .alive()
        .revoked(false)
        .for_transport_encryption()
        .for_storage_encryption()
        .collect();
    let mut out = Vec::new();
    let m = Message::new(&mut out);
    let m = Armorer::new(m).build().unwrap();
    let m = Encryptor::for_recipients(m, recipients).build().unwrap();
    let m = Signer::new(m, signer)
        .unwrap()
        .hash_algo(HashAlgorithm::SHA512)
        .unwrap()
        .creation_time(now)
        .add_intended_recipient(to)
        .build()
        .unwrap();
    let mut w = LiteralWriter::new(m).build().unwrap();
    w.write_all(data).unwrap();
    w.finalize().unwrap();
    out
}

struct RawHelper<'a> {
    key: &'a SecretKey,
    signer: &'a Cert,
    good: usize,
}

impl VerificationHelper for RawHelper<'_> {
    fn get_certs(&mut self, _ids: &[KeyHandle]) -> openpgp::Result<Vec<Cert>> {
        Ok(vec![self.signer.clone()])
    }
    fn check(&mut self, structure: MessageStructure<'_>) -> openpgp::Result<()> {
        for layer in structure {
            if let MessageLayer::SignatureGroup { results } = layer {
                self.good += results.iter().filter(|r| r.is_ok()).count();
            }
        }
        Ok(())
    }
}

impl DecryptionHelper for RawHelper<'_> {
    fn decrypt(
        &mut self,
        pkesks: &[PKESK],
        _: &[SKESK],
        sym_algo: Option<SymmetricAlgorithm>,
        decrypt: &mut dyn FnMut(Option<SymmetricAlgorithm>, &SessionKey) -> bool,
    ) -> openpgp::Result<Option<Cert>> {
        for ka in self.key.cert().keys().unencrypted_secret().subkeys() {
            let Ok(mut pair) = ka
                .key()
                .clone()
                .parts_into_secret()
                .and_then(|k| k.into_keypair())
            else {
                continue;
            };
            for pkesk in pkesks {
                if let Some((algo, sk)) = pkesk.decrypt(&mut pair, sym_algo)
                    && decrypt(algo, &sk)
                {
                    return Ok(None);
                }
            }
        }
        Err(openpgp::anyhow::anyhow!("no key"))
    }
}

fn raw_decrypt_verify(
    armored: &[u8],
    key: &SecretKey,
    signer: &Cert,
    now: SystemTime,
) -> (Vec<u8>, usize) {
    let p = StandardPolicy::new();
    let h = RawHelper {
        key,
        signer,
        good: 0,
    };
    let mut d = DecryptorBuilder::from_bytes(armored)
        .unwrap()
        .with_policy(&p, now, h)
        .unwrap();
    let mut out = Vec::new();
    d.read_to_end(&mut out).unwrap();
    let good = d.into_helper().good;
    (out, good)
}

fn armored_body(pgp_mime: &[u8]) -> Vec<u8> {
    let t = String::from_utf8_lossy(pgp_mime);
    let s = t.find("-----BEGIN PGP MESSAGE-----").unwrap();
    let e = t.find("-----END PGP MESSAGE-----").unwrap() + 25;
    t[s..e].as_bytes().to_vec()
}

fn bench(c: &mut Criterion) {
    let now = SystemTime::now();
    let alice = KeyGen::new("Alice <alice@example.org>")
        .generate()
        .unwrap()
        .into_key();
    let bob = KeyGen::new("Bob <bob@example.net>")
        .generate()
        .unwrap()
        .into_key();
    let (alice_cert, bob_cert) = (alice.public_cert(), bob.public_cert());
    let p = StandardPolicy::new();
    let signing_pair = || {
        alice
            .cert()
            .keys()
            .with_policy(&p, now)
            .unencrypted_secret()
            .for_signing()
            .next()
            .unwrap()
            .key()
            .clone()
            .into_keypair()
            .unwrap()
    };

    for (label, size) in [("4KiB", 4 << 10), ("64KiB", 64 << 10), ("1MiB", 1 << 20)] {
        let msg = message(size);
        let body_start = msg.windows(13).position(|w| w == b"Content-Type:").unwrap();
        let inner = &msg[body_start..];

        let mut g = c.benchmark_group(format!("pgp/encrypt_sign/{label}"));
        g.throughput(Throughput::Bytes(msg.len() as u64));
        if size >= 1 << 20 {
            g.sample_size(30);
        }
        g.bench_function(BenchmarkId::from_parameter("mailsec"), |b| {
            b.iter(|| {
                Encrypt::new(now)
                    .recipient(&bob_cert)
                    .sign_with(&alice)
                    .encrypt(black_box(&msg))
                    .unwrap()
            })
        });
        g.bench_function(BenchmarkId::from_parameter("sequoia_raw"), |b| {
            b.iter(|| raw_encrypt_sign(black_box(inner), &bob_cert, signing_pair(), now))
        });
        g.finish();

        let encrypted = Encrypt::new(now)
            .recipient(&bob_cert)
            .sign_with(&alice)
            .encrypt(&msg)
            .unwrap();
        let armored = armored_body(&encrypted);
        let d = Open::new(now)
            .key(&bob)
            .cert(&alice_cert)
            .decrypt(&encrypted)
            .unwrap();
        assert!(d.message() == msg.as_slice() && d.signatures()[0].result().is_good());
        assert_eq!(
            raw_decrypt_verify(&armored, &bob, &alice_cert, now),
            (inner.to_vec(), 1)
        );

        let mut g = c.benchmark_group(format!("pgp/decrypt_verify/{label}"));
        g.throughput(Throughput::Bytes(msg.len() as u64));
        if size >= 1 << 20 {
            g.sample_size(30);
        }
        g.bench_function(BenchmarkId::from_parameter("mailsec"), |b| {
            b.iter(|| {
                Open::new(now)
                    .key(&bob)
                    .cert(&alice_cert)
                    .decrypt(black_box(&encrypted))
                    .unwrap()
            })
        });
        g.bench_function(BenchmarkId::from_parameter("sequoia_raw"), |b| {
            b.iter(|| raw_decrypt_verify(black_box(&armored), &bob, &alice_cert, now))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
