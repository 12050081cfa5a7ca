//! The crate's error type.

use std::path::PathBuf;

/// Why an expiry operation could not run.
///
/// A message that has expired is a verdict ([`crate::ExpiryState::Expired`]),
/// not an error: `Err` means the work itself could not be done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExpiryError {
    /// A duration was not an integer followed by `s`, `m`, `h`, `d` or `w`.
    #[error("invalid duration {text:?}: expected an integer and a unit s, m, h, d or w (e.g. 7d)")]
    InvalidDuration {
        /// The text that was given.
        text: String,
    },
    /// A time cannot be represented (too far from the epoch).
    #[error("time out of range")]
    OutOfRange,
    /// A date was not in RFC 5322 or RFC 3339 syntax.
    #[error("invalid date {text:?}")]
    InvalidDate {
        /// The text that was given.
        text: String,
    },
    /// A store could not be read or written.
    #[error("store I/O on {path}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A store refused an operation for its own reason.
    #[error("store error: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}
