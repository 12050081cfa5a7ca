//! Sender authentication for mail servers.
//!
//! This crate will own SPF (RFC 7208), DKIM verification and signing
//! (RFC 6376, RFC 8463), DMARC (RFC 7489 and DMARCbis), ARC validation and
//! sealing (RFC 8617), `Authentication-Results` writing and parsing
//! (RFC 8601), `Received-SPF` and DMARC aggregate reports. It does no I/O:
//! every DNS question goes through [`mailsec_dns::Resolver`].
//!
//! # SPF and iprev
//!
//! [`spf::check_host`] checks a MAIL FROM identity (or `postmaster@HELO`
//! for a bounce) and [`spf::check_helo`] the HELO identity, with every
//! mechanism, modifier and macro of RFC 7208 and its processing limits
//! ([`spf::SpfConfig`]). The result is an [`spf::SpfResult`] with the RFC's
//! words and, on `fail`, the domain's explanation; the output writes the
//! `Received-SPF` header. [`iprev::check`] is RFC 8601's iprev.
//!
//! ```
//! use mailsec_auth::spf::{self, SpfConfig, SpfResult};
//! use mailsec_dns::{Record, StaticResolver};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let mut dns = StaticResolver::new();
//! dns.add("example.org", Record::txt("v=spf1 mx -all"));
//! dns.add("example.org", Record::mx(10, "mx.example.org"));
//! dns.add("mx.example.org", Record::A("192.0.2.25".parse().unwrap()));
//!
//! let ip = "192.0.2.25".parse().unwrap();
//! let now = std::time::SystemTime::now();
//! let out = spf::check_host(&dns, ip, "mx.example.org", "bob@example.org", &SpfConfig::default(), now).await;
//! assert_eq!(out.result(), SpfResult::Pass);
//! println!("Received-SPF: {}", out.received_spf("mx.example.net"));
//! # });
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod iprev;
pub mod spf;
