//! mailsec: composable mail-security libraries for Rust mail servers.
//!
//! Each concern is its own crate, usable alone; this facade re-exports them
//! as modules, each behind a cargo feature (all on by default), so a server
//! takes only what it needs:
//!
//! | module | crate | feature |
//! |---|---|---|
//! | [`dns`] | `mailsec-dns`: the `Resolver` trait, real and static resolvers, a cache | always |
//! | `auth` | `mailsec-auth`: SPF, DKIM, DMARC, ARC, Authentication-Results | `auth` |
//! | `pgp` | `mailsec-pgp`: PGP/MIME, header protection, zero-access storage | `pgp` |
//! | `password` | `mailsec-password`: password-protected messages | `password` |
//! | `expiry` | `mailsec-expiry`: expiration metadata | `expiry` |
//! | `links` | `mailsec-links`: link checking and phishing detection | `links` |
//! | `spam` | `mailsec-spam`: spam scoring | `spam` |
//! | `transport` | `mailsec-transport`: MTA-STS, DANE, TLS-RPT, BIMI | `transport` |
//!
//! Messages are parsed once, within [`ParseLimits`] that bound the work any
//! message can cause:
//!
//! ```
//! use mailsec::ParseLimits;
//!
//! let limits = ParseLimits::default();
//! let raw = b"From: a@example.org\r\nSubject: hi\r\n\r\nhello\r\n";
//! let message = limits.parse(raw).expect("within limits");
//! assert_eq!(message.subject(), Some("hi"));
//!
//! let strict = ParseLimits { max_header_count: 1, ..ParseLimits::default() };
//! assert!(strict.parse(raw).is_err());
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "auth")]
mod authenticate;
mod envelope;
mod limits;
#[cfg(all(
    feature = "auth",
    feature = "links",
    feature = "spam",
    feature = "expiry"
))]
mod pipeline;

#[cfg(feature = "auth")]
pub use authenticate::{AuthReport, Authenticator};
pub use envelope::Envelope;
pub use limits::{LimitError, ParseLimits};
#[cfg(all(
    feature = "auth",
    feature = "links",
    feature = "spam",
    feature = "expiry"
))]
pub use pipeline::{Pipeline, PipelineBuilder, Report};

/// DNS: the [`Resolver`](dns::Resolver) trait and its implementations.
pub use mailsec_dns as dns;

/// Sender authentication: SPF, DKIM, DMARC, ARC.
#[cfg(feature = "auth")]
pub use mailsec_auth as auth;

/// OpenPGP end-to-end encrypted envelopes.
#[cfg(feature = "pgp")]
pub use mailsec_pgp as pgp;

/// Password-protected messages.
#[cfg(feature = "password")]
pub use mailsec_password as password;

/// Expiration metadata.
#[cfg(feature = "expiry")]
pub use mailsec_expiry as expiry;

/// Link checking and phishing detection.
#[cfg(feature = "links")]
pub use mailsec_links as links;

/// Spam scoring.
#[cfg(feature = "spam")]
pub use mailsec_spam as spam;

/// Transport security: MTA-STS, DANE, TLS-RPT, BIMI certificates.
#[cfg(feature = "transport")]
pub use mailsec_transport as transport;

/// The README's example, compiled as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
