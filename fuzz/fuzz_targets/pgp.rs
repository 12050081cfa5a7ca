//! PGP/MIME structure parsing, decryption and verification of arbitrary input
//! (mailsec-pgp), holding a real secret key and certificate: `Open::decrypt`,
//! `verify`, `inline`, `decrypt_mime_payload`, `decrypt_openpgp_message`, certificate and
//! Autocrypt parsing. Inputs that are messages are also encrypted and signed with
//! `Encrypt` and must open again with a good signature.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsec_pgp::{AutocryptHeader, Encrypt, KeyGen, Open, SecretKey, read_certs};
use sequoia_openpgp::Cert;
use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

fn fixture() -> Option<&'static (SecretKey, Cert)> {
    static FIXTURE: OnceLock<Option<(SecretKey, Cert)>> = OnceLock::new();
    FIXTURE
        .get_or_init(|| {
            let created = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
            let key = KeyGen::new("Fuzz <fuzz@example.org>")
                .created(created)
                .generate()
                .ok()?
                .into_key();
            let cert = key.public_cert();
            Some((key, cert))
        })
        .as_ref()
}

fuzz_target!(|data: &[u8]| mailsec_fuzz::guard(|| {
    let Some((key, cert)) = fixture() else { return };
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let open = Open::new(now).key(key).cert(cert);
    if let Ok(d) = open.decrypt(data) {
        let _ = (
            d.message().len(),
            d.payload().len(),
            d.signatures().len(),
            d.protected_headers().is_some(),
            d.gossip().len(),
        );
        for s in d.signatures() {
            let _ = (
                s.result().word(),
                s.result().fingerprint(),
                s.signer_matches_from(),
            );
        }
    }
    if let Ok(v) = open.verify(data) {
        let _ = (
            v.payload().len(),
            v.signatures().len(),
            v.protected_headers().is_some(),
        );
    }
    if let Ok(blocks) = open.inline(data) {
        for b in &blocks {
            let _ = (b.kind(), b.text().len(), b.signatures().len());
        }
    }
    let _ = open.decrypt_mime_payload(data);
    let _ = open.decrypt_openpgp_message(data);
    let _ = read_certs(data);
    let _ = AutocryptHeader::from_message(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = AutocryptHeader::parse(text);
        let _ = AutocryptHeader::parse_gossip(text);
    }
    // Round trip for small inputs: what we encrypt and sign must open with a good signature.
    if data.len() <= 2048 {
        if let Ok(encrypted) = Encrypt::new(now)
            .recipient(cert)
            .sign_with(key)
            .encrypt(data)
        {
            match open.decrypt(&encrypted) {
                Ok(d) => assert!(
                    d.signatures().iter().any(|s| s.result().is_good()),
                    "our own signature was not good"
                ),
                Err(e) => panic!("could not open our own encryption: {e}"),
            }
        }
    }
}));
