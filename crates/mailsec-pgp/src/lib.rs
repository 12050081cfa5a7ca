//! OpenPGP end-to-end encrypted mail over sequoia-openpgp.
//!
//! - **PGP/MIME** (RFC 3156): [`Encrypt`] builds `multipart/encrypted`
//!   (optionally signed, in one OpenPGP message), [`Sign`] builds
//!   `multipart/signed`; [`Open`] decrypts and verifies both, and nested
//!   signed-then-encrypted messages. The signed or encrypted MIME part comes
//!   back byte for byte.
//! - **Inline PGP**: [`Open::inline`] decrypts armored blocks and verifies
//!   cleartext signatures in text parts.
//! - **Sender verification**: every signature is a typed
//!   [`SignatureResult`] (`Good { fingerprint, signer_user_id, created }`,
//!   `Bad`, `UnknownKey`, `ExpiredKey`, `RevokedKey`, `NotSigned`), with
//!   whether the signer's certificate carries the From address. Decryption
//!   failures are opaque ([`Error::DecryptionFailed`]).
//! - **Header protection** (RFC 9788 `hp="cipher"`/`hp="clear"`, `HP-Outer`,
//!   and the older `protected-headers="v1"` draft form): written on request,
//!   always read, with outer headers that differ reported.
//! - **Zero-access storage**: [`StorageProtector`] encrypts a received
//!   message to the mailbox owner, leaving routing headers readable.
//! - **Keys**: [`read_certs`], [`SecretKey`], [`KeyGen`] (v4 Ed25519/X25519
//!   by default, v6 on request), [`cert_status`].
//! - **Autocrypt** headers ([`AutocryptHeader`]), **WKD** URLs
//!   ([`wkd_urls`]) and **encrypted contacts** ([`encrypt_contact`]).
//!
//! The crate picks no sequoia crypto backend: the application does, by
//! enabling one of sequoia-openpgp's `crypto-*` features (the `mailsec`
//! binary uses `crypto-openssl`).
//!
//! # Example
//!
//! ```
//! use std::time::SystemTime;
//! use mailsec_pgp::{Encrypt, KeyGen, Open, SignatureResult};
//!
//! # fn main() -> Result<(), mailsec_pgp::Error> {
//! let now = SystemTime::now();
//! let alice = KeyGen::new("Alice <alice@example.org>").generate()?.into_key();
//! let bob = KeyGen::new("Bob <bob@example.net>").generate()?.into_key();
//!
//! let message = b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\n\
//!     Subject: lunch\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nAt noon?\r\n";
//! let bob_cert = bob.public_cert();
//! let encrypted = Encrypt::new(now)
//!     .recipient(&bob_cert)
//!     .sign_with(&alice)
//!     .encrypt(message)?;
//!
//! let alice_cert = alice.public_cert();
//! let opened = Open::new(now).key(&bob).cert(&alice_cert).decrypt(&encrypted)?;
//! assert_eq!(opened.message(), message);
//! let sig = &opened.signatures()[0];
//! assert!(matches!(sig.result(), SignatureResult::Good { .. }));
//! assert!(sig.signer_matches_from());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod armor;
mod autocrypt;
mod contacts;
mod error;
mod inline;
mod keys;
mod mime;
mod pgpmime;
mod protect;
mod storage;
mod verify;
mod wkd;

pub use autocrypt::{AutocryptHeader, PreferEncrypt};
pub use contacts::{
    CardKind, ContactCard, OpenedContact, check_vcard, encrypt_contact, open_contact, sign_contact,
};
pub use error::{Error, KeyProblem, Result};
pub use inline::{InlineBlock, InlineKind};
pub use keys::{
    CertStatus, GeneratedKey, KeyGen, KeyVersion, SecretKey, cert_addresses, cert_status,
    fingerprint, read_cert, read_certs,
};
pub use pgpmime::{Decrypted, Encrypt, Limits, Open, Sign, Verified};
pub use protect::{
    HeaderMismatch, HeaderProtection, PROTECTED_HEADERS, ProtectedHeaders, ProtectionForm,
    STORAGE_CLEAR_HEADERS,
};
pub use storage::StorageProtector;
pub use verify::{DEFAULT_CLOCK_SKEW, SignatureCheck, SignatureResult};
pub use wkd::{WkdFetcher, WkdUrls, wkd_lookup, wkd_urls, zbase32};

/// The sequoia-openpgp crate this one is built on (for `Cert` and friends).
pub use sequoia_openpgp as openpgp;
