//! Sender authentication for mail servers.
//!
//! This crate will own SPF (RFC 7208), DKIM verification and signing
//! (RFC 6376, RFC 8463), DMARC (RFC 7489 and DMARCbis), ARC validation and
//! sealing (RFC 8617), `Authentication-Results` writing and parsing
//! (RFC 8601), `Received-SPF` and DMARC aggregate reports. It does no I/O:
//! every DNS question goes through [`mailsec_dns::Resolver`].
//!
//! # DKIM and ARC
//!
//! [`dkim`] verifies and signs DKIM signatures (RFC 6376; Ed25519 per RFC
//! 8463; RFC 8301's algorithm and key-size rules), with streaming body
//! hashing for milters; [`arc`] validates and seals ARC chains (RFC 8617).
//! Cryptography is `ring` (RSA keys under 2048 bits sign through the `rsa`
//! crate); key records come through the [`mailsec_dns::Resolver`].
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use mailsec_auth::dkim::{DkimResult, Signer, SigningKey, Verifier};
//! use mailsec_dns::{Record, StaticResolver};
//! use std::time::SystemTime;
//!
//! let key = SigningKey::generate_ed25519()?;
//! let mut dns = StaticResolver::new();
//! dns.add("s1._domainkey.example.org", Record::txt(&key.dns_record()));
//! let signer = Signer::builder().domain("example.org").selector("s1").key(key).build();
//! let message = b"From: a@example.org\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nHello\r\n";
//! let signed = signer.sign_message(message, SystemTime::now())?;
//!
//! let results = Verifier::new().verify(&signed, &dns, SystemTime::now()).await;
//! assert_eq!(results[0].result(), &DkimResult::Pass);
//! assert_eq!(results[0].domain(), "example.org");
//! # Ok::<(), mailsec_auth::dkim::DkimError>(())
//! # }).unwrap();
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod arc;
pub mod dkim;
