//! DKIM: verify and sign (RFC 6376, RFC 8463 Ed25519, RFC 8301 algorithm
//! and key-size rules).
//!
//! # Verifying
//!
//! [`Verifier::verify`] checks every DKIM-Signature of a message and returns
//! one [`DkimOutput`] per signature, each with a [`DkimResult`] in the RFC
//! 8601 words (`pass`, `fail`, `neutral`, `policy`, `temperror`,
//! `permerror`; `none` when the message is unsigned) and the reason. Key
//! records come through a [`mailsec_dns::Resolver`]; the time the signatures
//! are judged at (`x=`) is passed in. For a milter that receives the body in
//! pieces, [`Verifier::start`] takes the header block and returns a
//! [`Verification`] that hashes body chunks as they arrive.
//!
//! By default, following RFC 8301: `rsa-sha1` signatures are `permerror`
//! (opt in with [`Verifier::allow_rsa_sha1`]); RSA keys under 1024 bits are
//! `permerror`; a signature whose `l=` leaves part of the body unsigned is
//! reported as `policy` so a caller can reject it (opt in to accepting it
//! with [`Verifier::honour_body_length`]). At most 10 signatures are checked
//! ([`Verifier::max_signatures`]); later ones are `neutral`.
//!
//! # Signing
//!
//! A [`Signer`] is built with a typestate builder: it does not compile
//! without a domain, a selector and a key.
//!
//! ```
//! use mailsec_auth::dkim::{Signer, SigningKey};
//! use std::time::{Duration, UNIX_EPOCH};
//!
//! let key = SigningKey::generate_ed25519()?;
//! let signer = Signer::builder()
//!     .domain("example.org")
//!     .selector("s1")
//!     .key(key)
//!     .expiry(Duration::from_secs(7 * 86400))
//!     .build();
//! let message = b"From: a@example.org\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nHello\r\n";
//! let header = signer.sign(message, UNIX_EPOCH + Duration::from_secs(1_800_000_000))?;
//! assert!(header.starts_with("DKIM-Signature: v=1; a=ed25519-sha256;"));
//! # Ok::<(), mailsec_auth::dkim::DkimError>(())
//! ```
//!
//! RSA keys of 2048 bits and more, and Ed25519 keys, sign through `ring`.
//! ring refuses RSA keys under 2048 bits, which RFC 8301 still allows (1024
//! and up) and which the ARC signing test suite uses: those sign through the
//! RustCrypto `rsa` crate (PKCS#1 v1.5 with blinding), behind the same
//! [`SigningKey`]. Keys are read from PEM as openssl writes them (PKCS#8,
//! PKCS#1 for RSA, and OpenSSL's v1 PKCS#8 Ed25519 keys).

pub(crate) mod base64;
mod body;
pub(crate) mod der;
mod error;
pub(crate) mod header;
mod key;
pub(crate) mod sign;
pub(crate) mod signature;
pub(crate) mod tags;
pub(crate) mod verify;

pub use body::{BodyHash, BodyHasher, canonical_body};
pub use error::DkimError;
pub use header::split_message;
pub use key::KeyRecord;
pub use sign::{DEFAULT_HEADERS, NoDomain, NoKey, NoSelector, Signer, SignerBuilder, SigningKey};
pub use signature::Signature;
pub use verify::{DkimOutput, Verification, Verifier};

use std::fmt;

/// Header or body canonicalization (RFC 6376 section 3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Canonicalization {
    /// `simple`: (almost) no change.
    Simple,
    /// `relaxed`: white space and case normalized.
    Relaxed,
}

impl Canonicalization {
    /// The name used in `c=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Canonicalization::Simple => "simple",
            Canonicalization::Relaxed => "relaxed",
        }
    }
}

/// A hash algorithm of DKIM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-1 (RFC 8301: verifiers must not accept it by default).
    Sha1,
}

impl HashAlgorithm {
    /// The name used in key records' `h=`.
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Sha1 => "sha1",
        }
    }

    pub(crate) fn ring(self) -> &'static ring::digest::Algorithm {
        match self {
            HashAlgorithm::Sha256 => &ring::digest::SHA256,
            HashAlgorithm::Sha1 => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        }
    }
}

/// A public key type (`k=` of a key record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyType {
    /// RSA.
    Rsa,
    /// Ed25519 (RFC 8463).
    Ed25519,
}

/// A DKIM signing algorithm (`a=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// `rsa-sha256`.
    RsaSha256,
    /// `rsa-sha1` (historic; RFC 8301).
    RsaSha1,
    /// `ed25519-sha256` (RFC 8463).
    Ed25519Sha256,
}

impl Algorithm {
    /// The name used in `a=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::RsaSha256 => "rsa-sha256",
            Algorithm::RsaSha1 => "rsa-sha1",
            Algorithm::Ed25519Sha256 => "ed25519-sha256",
        }
    }

    /// Parses an `a=` value (case-insensitive).
    pub fn parse(name: &[u8]) -> Result<Algorithm, DkimReason> {
        if name.eq_ignore_ascii_case(b"rsa-sha256") {
            Ok(Algorithm::RsaSha256)
        } else if name.eq_ignore_ascii_case(b"rsa-sha1") {
            Ok(Algorithm::RsaSha1)
        } else if name.eq_ignore_ascii_case(b"ed25519-sha256") {
            Ok(Algorithm::Ed25519Sha256)
        } else {
            Err(DkimReason::UnsupportedAlgorithm(
                String::from_utf8_lossy(name).into_owned(),
            ))
        }
    }

    /// The hash algorithm.
    pub fn hash(self) -> HashAlgorithm {
        match self {
            Algorithm::RsaSha1 => HashAlgorithm::Sha1,
            Algorithm::RsaSha256 | Algorithm::Ed25519Sha256 => HashAlgorithm::Sha256,
        }
    }

    /// The key type.
    pub fn key_type(self) -> KeyType {
        match self {
            Algorithm::RsaSha256 | Algorithm::RsaSha1 => KeyType::Rsa,
            Algorithm::Ed25519Sha256 => KeyType::Ed25519,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verdict on one signature, in the words of RFC 8601 section 2.7.1.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DkimResult {
    /// The signature verified.
    Pass,
    /// The signature did not verify (body hash mismatch, bad signature).
    Fail(DkimReason),
    /// The signature was not judged (over the signature limit, or a failure
    /// of a key in testing mode, `t=y`).
    Neutral(DkimReason),
    /// The signature verified but is not acceptable by policy (its `l=`
    /// leaves part of the body unsigned).
    Policy(DkimReason),
    /// A temporary failure (DNS); a later try may succeed.
    TempError(DkimReason),
    /// A permanent error: syntax, missing or revoked key, unacceptable
    /// algorithm or key size, expired signature.
    PermError(DkimReason),
    /// The message has no DKIM signature.
    None,
}

impl DkimResult {
    /// The RFC 8601 result word.
    pub fn as_str(&self) -> &'static str {
        match self {
            DkimResult::Pass => "pass",
            DkimResult::Fail(_) => "fail",
            DkimResult::Neutral(_) => "neutral",
            DkimResult::Policy(_) => "policy",
            DkimResult::TempError(_) => "temperror",
            DkimResult::PermError(_) => "permerror",
            DkimResult::None => "none",
        }
    }

    /// Why, for every result but `pass` and `none`.
    pub fn reason(&self) -> Option<&DkimReason> {
        match self {
            DkimResult::Fail(r)
            | DkimResult::Neutral(r)
            | DkimResult::Policy(r)
            | DkimResult::TempError(r)
            | DkimResult::PermError(r) => Some(r),
            DkimResult::Pass | DkimResult::None => None,
        }
    }

    /// True for `pass`.
    pub fn is_pass(&self) -> bool {
        matches!(self, DkimResult::Pass)
    }
}

impl fmt::Display for DkimResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason() {
            Some(r) => write!(f, "{} ({r})", self.as_str()),
            None => f.write_str(self.as_str()),
        }
    }
}

/// Why a signature did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DkimReason {
    /// The body hash does not match `bh=`.
    BodyHashMismatch,
    /// The signature does not verify with the key.
    BadSignature,
    /// The signature header is malformed.
    SignatureSyntax(String),
    /// A required tag is missing.
    MissingTag(&'static str),
    /// `v=` is not `1`.
    UnsupportedVersion,
    /// `a=` names an unknown algorithm.
    UnsupportedAlgorithm(String),
    /// `c=` names an unknown canonicalization.
    UnsupportedCanonicalization(String),
    /// `q=` does not include `dns/txt`.
    UnsupportedQueryMethod(String),
    /// `h=` does not include From.
    FromNotSigned,
    /// The `i=` domain is not `d=` or a subdomain of it.
    IdentityMismatch,
    /// `x=` has passed.
    Expired {
        /// The `x=` value.
        expired_at: u64,
    },
    /// `rsa-sha1` is not accepted (RFC 8301).
    RsaSha1NotAccepted,
    /// `l=` is longer than the body.
    BodyLengthTooLong {
        /// The `l=` value.
        signed: u64,
        /// The length of the canonical body.
        actual: u64,
    },
    /// `l=` leaves part of the body unsigned.
    UnsignedBodyContent {
        /// The `l=` value.
        signed: u64,
        /// The length of the canonical body.
        actual: u64,
    },
    /// No key record at the selector.
    KeyNotFound,
    /// The key record has an empty `p=`.
    KeyRevoked,
    /// The key record is malformed.
    KeySyntax(String),
    /// The key record's `k=` is unknown.
    UnsupportedKeyType(String),
    /// The key type does not match the signature algorithm.
    KeyTypeMismatch,
    /// The key record's `h=` does not allow the signature's hash.
    KeyHashNotAllowed,
    /// The key record's `s=` does not allow email.
    KeyServiceNotEmail,
    /// The key record has `t=s` and the `i=` domain is a subdomain of `d=`.
    StrictIdentity,
    /// The RSA key is shorter than accepted (RFC 8301: 1024 bits).
    KeyTooSmall {
        /// The key size.
        bits: usize,
    },
    /// The key lookup failed temporarily.
    DnsTempFail(String),
    /// The key is in testing mode (`t=y`) and the signature did not pass for
    /// the inner reason.
    Testing(Box<DkimReason>),
    /// More signatures than the verifier checks.
    SignatureLimit,
}

impl fmt::Display for DkimReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DkimReason::BodyHashMismatch => f.write_str("body hash did not verify"),
            DkimReason::BadSignature => f.write_str("signature did not verify"),
            DkimReason::SignatureSyntax(m) => write!(f, "signature syntax error: {m}"),
            DkimReason::MissingTag(t) => write!(f, "signature has no {t}= tag"),
            DkimReason::UnsupportedVersion => f.write_str("unsupported signature version"),
            DkimReason::UnsupportedAlgorithm(a) => write!(f, "unsupported algorithm {a}"),
            DkimReason::UnsupportedCanonicalization(c) => {
                write!(f, "unsupported canonicalization {c}")
            }
            DkimReason::UnsupportedQueryMethod(q) => write!(f, "unsupported query method {q}"),
            DkimReason::FromNotSigned => f.write_str("From is not signed"),
            DkimReason::IdentityMismatch => f.write_str("i= is not within d="),
            DkimReason::Expired { expired_at } => write!(f, "signature expired at {expired_at}"),
            DkimReason::RsaSha1NotAccepted => f.write_str("rsa-sha1 is not accepted (RFC 8301)"),
            DkimReason::BodyLengthTooLong { signed, actual } => {
                write!(f, "l={signed} is longer than the body ({actual})")
            }
            DkimReason::UnsignedBodyContent { signed, actual } => {
                write!(
                    f,
                    "l={signed} leaves {} body bytes unsigned",
                    actual - signed.min(actual)
                )
            }
            DkimReason::KeyNotFound => f.write_str("no key for signature"),
            DkimReason::KeyRevoked => f.write_str("key revoked"),
            DkimReason::KeySyntax(m) => write!(f, "key syntax error: {m}"),
            DkimReason::UnsupportedKeyType(k) => write!(f, "unsupported key type {k}"),
            DkimReason::KeyTypeMismatch => f.write_str("key type does not match algorithm"),
            DkimReason::KeyHashNotAllowed => f.write_str("key does not allow the hash algorithm"),
            DkimReason::KeyServiceNotEmail => f.write_str("key is not for email"),
            DkimReason::StrictIdentity => f.write_str("key requires i= in d= exactly (t=s)"),
            DkimReason::KeyTooSmall { bits } => write!(f, "RSA key of {bits} bits is too small"),
            DkimReason::DnsTempFail(m) => write!(f, "key lookup failed: {m}"),
            DkimReason::Testing(inner) => write!(f, "testing mode: {inner}"),
            DkimReason::SignatureLimit => f.write_str("over the limit of signatures checked"),
        }
    }
}
