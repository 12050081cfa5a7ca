//! Sender authentication for mail servers.
//!
//! This crate will own SPF (RFC 7208), DKIM verification and signing
//! (RFC 6376, RFC 8463), DMARC (RFC 7489 and DMARCbis), ARC validation and
//! sealing (RFC 8617), `Authentication-Results` writing and parsing
//! (RFC 8601), `Received-SPF` and DMARC aggregate reports. It does no I/O:
//! every DNS question goes through [`mailsec_dns::Resolver`].
//!
//! Status: the checks arrive with their own issues; this release holds the
//! crate skeleton only.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod arc;
pub mod dkim;
