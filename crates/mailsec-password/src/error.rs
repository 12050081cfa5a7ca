//! The crate's error type.

/// Why a password operation could not be done.
///
/// Decryption failures are deliberately one opaque variant,
/// [`PasswordError::Decrypt`]: a wrong password, a damaged message and a
/// message for someone else look the same.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// The password is empty.
    #[error("the password is empty")]
    EmptyPassword,
    /// The message could not be decrypted (wrong password or key, or a damaged
    /// or unsupported message). Deliberately says no more.
    #[error("the message could not be decrypted")]
    Decrypt,
    /// Key-derivation parameters outside what OpenPGP allows.
    #[error("invalid key-derivation parameters: {0}")]
    InvalidParameters(&'static str),
    /// A recipient certificate cannot be encrypted to.
    #[error("certificate {fingerprint} has no usable encryption key")]
    UnusableCertificate {
        /// The certificate's fingerprint.
        fingerprint: String,
    },
    /// The unlock URL template lacks `{id}`.
    #[error("the unlock URL template must contain {{id}}")]
    InvalidTemplate,
    /// An address or header value cannot be used (e.g. contains a line break).
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// What was given.
        what: &'static str,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The number of replies allowed in this thread has been used up.
    #[error("reply limit reached ({limit} replies)")]
    ReplyLimit {
        /// The limit.
        limit: u32,
    },
    /// OpenPGP encryption failed.
    #[error("OpenPGP encryption failed")]
    Encrypt(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// A time could not be handled.
    #[error(transparent)]
    Expiry(#[from] mailsec_expiry::ExpiryError),
    /// Writing the notification failed.
    #[error("writing the message failed")]
    Io(#[from] std::io::Error),
}

pub(crate) fn encrypt_err(e: sequoia_openpgp::anyhow::Error) -> PasswordError {
    PasswordError::Encrypt(e.into())
}
