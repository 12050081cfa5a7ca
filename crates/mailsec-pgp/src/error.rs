//! The crate's one error type.

use std::fmt;

/// Why a certificate cannot be used for what was asked.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProblem {
    /// The certificate (or every suitable subkey) has expired.
    Expired,
    /// The certificate (or every suitable subkey) is revoked.
    Revoked,
    /// The certificate has no key with the needed capability under the
    /// standard policy (e.g. no encryption subkey, or only weak algorithms).
    NoSuitableKey,
    /// The secret key material is missing (a public certificate, or a
    /// GnuPG stub for a key kept on a smartcard).
    NoSecret,
}

impl fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyProblem::Expired => "expired",
            KeyProblem::Revoked => "revoked",
            KeyProblem::NoSuitableKey => "has no usable key for this purpose",
            KeyProblem::NoSecret => "has no secret key material",
        })
    }
}

/// Everything that can stop this crate from doing its job.
///
/// Verdicts (a bad signature, an unknown signer) are not errors: they are
/// [`SignatureResult`](crate::SignatureResult) values. Decryption failures are
/// deliberately opaque: [`Error::DecryptionFailed`] never says which step
/// (session key, integrity check, decompression) failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The OpenPGP data (certificate, key, signature) could not be read or written.
    #[error("invalid OpenPGP data")]
    OpenPgp(#[source] sequoia_openpgp::anyhow::Error),
    /// No certificate or key was found in the input.
    #[error("no OpenPGP certificate or key found")]
    NoCertificate,
    /// A certificate cannot be used for encryption or signing.
    #[error("key {fingerprint} {problem}")]
    UnusableKey {
        /// The certificate's primary fingerprint.
        fingerprint: String,
        /// Why it cannot be used.
        problem: KeyProblem,
    },
    /// The secret key is protected and no passphrase was given.
    #[error("the secret key is protected by a passphrase")]
    PassphraseRequired,
    /// The passphrase did not unlock the secret key.
    #[error("wrong passphrase for the secret key")]
    BadPassphrase,
    /// No recipient was given to encrypt to.
    #[error("no recipient to encrypt to")]
    NoRecipient,
    /// The message is not of the expected kind (e.g. not PGP/MIME encrypted).
    #[error("not a {expected} message")]
    NotPgpMime {
        /// What was expected, e.g. `multipart/encrypted`.
        expected: &'static str,
    },
    /// The message's MIME structure is broken.
    #[error("malformed MIME structure: {0}")]
    Malformed(&'static str),
    /// The message could not be decrypted. Deliberately says nothing more.
    #[error("the message cannot be decrypted")]
    DecryptionFailed,
    /// Decrypted or decompressed data is larger than the configured limit.
    #[error("decrypted data exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// MIME parts are nested deeper than the configured limit.
    #[error("MIME nesting exceeds the limit of {limit} levels")]
    TooDeep {
        /// The limit, in levels.
        limit: usize,
    },
    /// An Autocrypt header is malformed.
    #[error("invalid Autocrypt header: {0}")]
    Autocrypt(&'static str),
    /// An e-mail address is malformed.
    #[error("invalid e-mail address {0:?}")]
    Address(String),
    /// A vCard is not a vCard 4.0.
    #[error("not a vCard 4.0: {0}")]
    Vcard(&'static str),
    /// Writing to the output failed.
    #[error("I/O error")]
    Io(#[from] std::io::Error),
}

impl From<sequoia_openpgp::anyhow::Error> for Error {
    fn from(e: sequoia_openpgp::anyhow::Error) -> Self {
        Error::OpenPgp(e)
    }
}

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
