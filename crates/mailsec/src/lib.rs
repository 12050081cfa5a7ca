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
//!
//! # A message through every check
//!
//! A receiving server learns three things from the SMTP session (the
//! client's address, its HELO name and the MAIL FROM: an [`Envelope`]) and
//! then gets the message's bytes. Here a sender signs a message with DKIM,
//! publishes its key, SPF and DMARC records (a [`dns::StaticResolver`] stands
//! in for real DNS), and the message carries a link whose text names one
//! place while its target is another.
//!
//! ```
//! # #[cfg(all(feature = "auth", feature = "links", feature = "spam", feature = "expiry"))]
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use std::time::SystemTime;
//! use mailsec::auth::dkim::{Signer, SigningKey};
//! use mailsec::dns::{Record, StaticResolver};
//! use mailsec::{Envelope, Pipeline};
//!
//! // The sender's side: a key, its DNS records, a signed message.
//! let key = SigningKey::generate_ed25519()?;
//! let mut dns = StaticResolver::new();
//! dns.add("sel._domainkey.example.org", Record::txt(&key.dns_record()));
//! dns.add("example.org", Record::txt("v=spf1 ip4:192.0.2.0/24 -all"));
//! dns.add("_dmarc.example.org", Record::txt("v=DMARC1; p=reject"));
//! let signer = Signer::builder().domain("example.org").selector("sel").key(key).build();
//! let message = b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\n\
//!     Subject: your parcel\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\
//!     Message-ID: <p1@example.org>\r\nMIME-Version: 1.0\r\n\
//!     Content-Type: text/html; charset=utf-8\r\n\r\n\
//!     <p>Track it at <a href=\"http://203.0.113.9/track\">https://www.example.org/track</a></p>\r\n";
//! let signed = signer.sign_message(message, SystemTime::now())?;
//!
//! // The receiver's side: one pipeline, built once, shared by every connection.
//! let pipeline = Pipeline::builder(Arc::new(dns)).authserv_id("mx.example.net").build()?;
//! let envelope = Envelope::new(
//!     Some("192.0.2.25".parse()?), Some("mail.example.org"), Some("alice@example.org"));
//! let report = pipeline.check(&envelope, &signed, SystemTime::now()).await?;
//!
//! // 1. Sender authentication: SPF, DKIM, ARC, then DMARC from their results.
//! let auth = report.auth();
//! assert_eq!(auth.spf_word(), "pass");
//! assert!(auth.dkim()[0].result().is_pass());
//! assert_eq!(auth.dmarc().result().as_str(), "pass");
//! assert_eq!(auth.arc().cv().as_str(), "none");
//!
//! // 2. Links: the text shows example.org, the target is a bare IP address.
//! let link = &report.links().links()[0];
//! assert_eq!(link.url(), "http://203.0.113.9/track");
//! assert_ne!(link.verdict().as_str(), "safe");
//! for reason in link.reasons() {
//!     println!("{}: {reason}", reason.code());
//! }
//!
//! // 3. Spam: rules and (once trained) the classifier, fed with 1 and 2.
//! for symbol in report.spam().symbols() {
//!     println!("{:+.2} {} ({})", symbol.score(), symbol.name(), symbol.detail());
//! }
//! println!("action: {}", report.action().as_str());
//!
//! // 4. Expiry metadata, and the headers to add to the delivered message.
//! assert_eq!(report.expiry().state().as_str(), "none");
//! let headers = report.headers();
//! assert_eq!(headers[0].0, "Authentication-Results");
//! assert!(headers[0].1.contains("dkim=pass header.d=example.org"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! Each step is also available alone: [`Authenticator`] for the
//! authentication results, `links::LinkChecker::check_message` and
//! `spam::Scorer::score` on the same parse, `pgp` and `password` for
//! encrypting what is stored or sent.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "auth")]
mod authenticate;
mod crlf;
mod envelope;
#[cfg(feature = "pgp")]
mod keyring;
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
pub use crlf::to_crlf;
pub use envelope::Envelope;
#[cfg(feature = "pgp")]
pub use keyring::{Keyring, SignatureReport};
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
