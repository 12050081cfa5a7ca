//! DKIM tag lists: any bytes as a DKIM-Signature value, a DKIM key record, an ARC-Seal,
//! an ARC-Message-Signature and an ARC-Authentication-Results value. Each parse is an
//! error or a value whose accessors work, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsec_auth::arc;
use mailsec_auth::dkim::{KeyRecord, Signature};

fn touch(sig: &Signature) {
    let _ = (
        sig.algorithm(),
        sig.signature().len(),
        sig.b_text().len(),
        sig.body_hash().len(),
    );
    let _ = (sig.header_canonicalization(), sig.body_canonicalization());
    let _ = (
        sig.domain(),
        sig.selector(),
        sig.signed_headers().len(),
        sig.identity(),
    );
    let _ = (
        sig.body_length(),
        sig.timestamp(),
        sig.expiration(),
        sig.arc_instance(),
    );
}

fuzz_target!(|data: &[u8]| mailsec_fuzz::guard(|| {
    if let Ok(sig) = Signature::parse(data) {
        touch(&sig);
        assert!(!sig.domain().is_empty() && !sig.selector().is_empty());
    }
    if let Ok(key) = KeyRecord::parse(data) {
        let _ = (
            key.key_type(),
            key.public_key().len(),
            key.hashes(),
            key.services(),
        );
        let _ = (key.is_testing(), key.is_strict(), key.allows_email());
    }
    if let Ok(seal) = arc::Seal::parse(data) {
        let _ = (
            seal.instance(),
            seal.algorithm(),
            seal.cv(),
            seal.domain(),
            seal.selector(),
            seal.timestamp(),
        );
    }
    if let Ok(sig) = arc::parse_message_signature(data) {
        touch(&sig);
    }
    if let Ok((instance, rest)) = arc::parse_aar(data) {
        assert!(rest.len() <= data.len());
        let _ = instance;
    }
}));
