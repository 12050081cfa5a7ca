//! Expiration metadata for mail: self-destructing messages.
//!
//! - **Metadata**: [`set_expiry`] writes the `Expires:` header (RFC 4021)
//!   with an RFC 5322 date; [`DeclaredExpiry`] reads it back (and the legacy
//!   `Expiry-Date:`). APIs take durations such as `7d` ([`parse_duration`]).
//! - **Tamper resistance**: [`ExpiryReport`] judges a message as
//!   [`ExpiryState::Live`], [`ExpiryState::Expired`] or [`ExpiryState::None`],
//!   preferring the expiry inside protected headers (a clear-signed message's
//!   signed part, or the inner headers an OpenPGP layer hands over through
//!   [`ExpiryReport::with_protected`]) and reporting a clear-text expiry that
//!   disagrees with it.
//! - **Policy**: [`ExpiryPolicy`] caps lifetimes (28 days by default) and can
//!   limit expiry to end-to-end encrypted messages; password-protected
//!   messages take their unlock-link expiry from it.
//! - **Enforcement**: time comes from a [`Clock`] ([`SystemClock`],
//!   [`FixedClock`]); [`sweep`] deletes what has expired from any
//!   [`MessageStore`] ([`MemoryStore`], [`MaildirStore`]), idempotently and
//!   safely under interruption.
//!
//! This crate does no cryptography and does not depend on sequoia-openpgp.
//!
//! ```
//! use std::time::Duration;
//! use mailsec_expiry::{
//!     ExpiryPolicy, ExpiryReport, ExpiryState, FixedClock, MemoryStore, Clock,
//!     parse_duration, parse_rfc3339, set_expiry, sweep,
//! };
//!
//! let clock = FixedClock::new(parse_rfc3339("2026-11-27T12:00:00Z")?);
//! let raw = b"From: alice@example.org\r\nSubject: burn after reading\r\n\r\nhi\r\n";
//! let expiring = set_expiry(raw, clock.now() + parse_duration("7d")?)?;
//! assert!(expiring.starts_with(b"From: alice@example.org\r\nSubject: burn after reading\r\nExpires: Fri, 04 Dec 2026 12:00:00 +0000\r\n"));
//!
//! let report = ExpiryReport::from_message(&expiring, clock.now());
//! assert_eq!(report.state(), ExpiryState::Live);
//!
//! let mut store = MemoryStore::new();
//! let id = store.insert(expiring);
//! let keep = store.insert(raw.to_vec());
//! clock.advance(Duration::from_secs(8 * 86_400));
//! let swept = sweep(&mut store, &clock, &ExpiryPolicy::default())?;
//! assert_eq!(swept.removed(), &[id]);
//! assert_eq!(store.ids(), vec![keep]);
//! # Ok::<(), mailsec_expiry::ExpiryError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod clock;
mod date;
mod duration;
mod error;
mod headers;
mod policy;
mod report;
mod store;
mod sweep;

pub use clock::{Clock, FixedClock, SystemClock};
pub use date::{format_rfc3339, format_rfc5322, parse_rfc3339, parse_rfc5322, truncate_to_seconds};
pub use duration::{format_duration, parse_duration};
pub use error::ExpiryError;
pub use headers::{
    DeclaredExpiry, EXPIRES, EXPIRY_DATE, ExpiryField, expires_value, header_fields, remove_expiry,
    set_expiry,
};
pub use policy::{DEFAULT_MAX_LIFETIME, ExpiryPolicy};
pub use report::{ExpiryReport, ExpiryState, is_expired, signed_protected_headers};
pub use store::{
    Listed, MaildirId, MaildirStore, MemoryStore, MessageStore, is_end_to_end_encrypted,
};
pub use sweep::{SweepReport, sweep};
