//! Errors of DKIM signing and key handling, and of ARC sealing.

/// Why a key could not be read or made, or a message could not be signed
/// or sealed. Verification never returns it: its verdicts are values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DkimError {
    /// The key text is not PEM, or holds no private key.
    #[error("not a PEM private key: {0}")]
    Pem(String),
    /// The key is encrypted (a passphrase would be needed).
    #[error("the private key is encrypted")]
    EncryptedKey,
    /// The key's algorithm is not RSA or Ed25519.
    #[error("unsupported key algorithm")]
    UnsupportedKey,
    /// The key is malformed or rejected by ring.
    #[error("invalid private key: {0}")]
    InvalidKey(String),
    /// The RSA key is shorter than 1024 bits (RFC 8301).
    #[error("RSA key of {bits} bits is too small (at least 1024)")]
    KeyTooSmall {
        /// The key size.
        bits: usize,
    },
    /// The `rsa` crate failed (small-key signing, key generation).
    #[error("RSA operation failed")]
    Rsa(#[source] rsa::Error),
    /// ring failed to sign or to make a key.
    #[error("cryptographic operation failed")]
    Crypto,
    /// The algorithm asked for does not fit the key.
    #[error("algorithm {0} does not fit the key")]
    AlgorithmMismatch(super::Algorithm),
    /// The message has no From header field.
    #[error("the message has no From header field")]
    NoFrom,
    /// The message cannot be sealed (ARC): bad chain or too many instances.
    #[error("cannot seal: {0}")]
    Seal(String),
    /// The header block starts with a folded (white-space) line that belongs to no
    /// field: a field prepended to the message would absorb it and then fail to verify.
    #[error("the message starts with a folded line outside any header field")]
    FoldedFirstLine,
}
