//! OpenPGP end-to-end encrypted mail over sequoia-openpgp.
//!
//! This crate will own PGP/MIME (RFC 3156) encryption, signing, decryption
//! and verification, inline PGP reading, header protection (RFC 9788),
//! sender verification as typed results, zero-access encryption of received
//! mail for storage, Autocrypt headers, WKD address hashing and encrypted
//! contacts. It picks no sequoia crypto backend: the application does
//! (the `mailsec` binary uses `crypto-openssl`).
//!
//! Status: skeleton; the envelopes arrive with their own issue.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
