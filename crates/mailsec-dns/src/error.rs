//! The error type of DNS lookups.

use std::fmt;

/// Why a lookup gave no records.
///
/// The first two variants are definite answers from the DNS (they may be
/// cached); [`DnsError::TempFail`] means no answer could be had now, and a
/// check that meets it must report a temporary error, never a pass or fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// The name does not exist (NXDOMAIN).
    #[error("no such domain")]
    NxDomain {
        /// How long the negative answer may be cached, when the server said.
        negative_ttl: Option<u32>,
    },
    /// The name exists but has no record of the asked type (NODATA).
    #[error("no records of the requested type")]
    NoData {
        /// How long the negative answer may be cached, when the server said.
        negative_ttl: Option<u32>,
    },
    /// No answer could be had now: a timeout, SERVFAIL, REFUSED or an I/O error.
    #[error("temporary DNS failure ({kind})")]
    TempFail {
        /// What kind of failure it was.
        kind: TempFailKind,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    /// The name asked for is not a valid domain name.
    #[error("invalid domain name: {0:?}")]
    InvalidName(String),
}

impl DnsError {
    /// An NXDOMAIN answer without a negative TTL.
    pub fn nx_domain() -> Self {
        DnsError::NxDomain { negative_ttl: None }
    }

    /// A NODATA answer without a negative TTL.
    pub fn no_data() -> Self {
        DnsError::NoData { negative_ttl: None }
    }

    /// A temporary failure of the given kind, without a source error.
    pub fn temp_fail(kind: TempFailKind) -> Self {
        DnsError::TempFail { kind, source: None }
    }

    /// True for NXDOMAIN and NODATA: the DNS answered, with nothing.
    ///
    /// SPF counts these as "void lookups" (RFC 7208 section 4.6.4).
    pub fn is_void(&self) -> bool {
        matches!(self, DnsError::NxDomain { .. } | DnsError::NoData { .. })
    }

    /// True when no answer could be had now.
    pub fn is_temporary(&self) -> bool {
        matches!(self, DnsError::TempFail { .. })
    }
}

/// The kind of a temporary DNS failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TempFailKind {
    /// The server did not answer in time.
    Timeout,
    /// The server answered SERVFAIL (for example a DNSSEC validation failure).
    ServFail,
    /// The server refused the query.
    Refused,
    /// A network or socket error.
    Io,
    /// Any other failure (malformed answer, resolver misconfiguration).
    Other,
}

impl fmt::Display for TempFailKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TempFailKind::Timeout => "timeout",
            TempFailKind::ServFail => "SERVFAIL",
            TempFailKind::Refused => "REFUSED",
            TempFailKind::Io => "I/O error",
            TempFailKind::Other => "other",
        })
    }
}
