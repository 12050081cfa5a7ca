//! Sender authentication for mail servers.
//!
//! This crate will own SPF (RFC 7208), DKIM verification and signing
//! (RFC 6376, RFC 8463), DMARC (RFC 7489 and DMARCbis), ARC validation and
//! sealing (RFC 8617), `Authentication-Results` writing and parsing
//! (RFC 8601), `Received-SPF` and DMARC aggregate reports. It does no I/O:
//! every DNS question goes through [`mailsec_dns::Resolver`].
//!
//! # DMARC
//!
//! [`dmarc::DmarcVerifier`] evaluates DMARC as RFC 9989 (DMARCbis) defines it
//! (DNS tree walk, `psd`, `np`, `t`), or as RFC 7489 with
//! [`dmarc::DmarcVerifier::rfc7489`] (public suffix list, `pct` with a
//! caller-supplied random source). Its input is plain data, so any SPF or
//! DKIM implementation can feed it: the RFC5322.From domain(s), the domain
//! SPF checked and whether it passed, and each DKIM signature's `d=` with
//! whether it verified.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use mailsec_auth::dmarc::{DmarcInput, DmarcResult, DmarcVerifier, Policy};
//! use mailsec_dns::{Record, StaticResolver};
//!
//! let mut dns = StaticResolver::new();
//! dns.add("_dmarc.example.com", Record::txt("v=DMARC1; p=reject; sp=quarantine"));
//!
//! let input = DmarcInput::new()
//!     .with_from_domain("news.example.com")        // RFC5322.From
//!     .with_spf("bounce.example.net", true)         // SPF passed, not aligned
//!     .with_dkim("example.com", false);             // aligned, but did not verify
//! let out = DmarcVerifier::new().verify(&dns, &input).await;
//! assert_eq!(out.result(), DmarcResult::Fail);
//! assert_eq!(out.disposition(), Policy::Quarantine); // sp= for a subdomain
//! assert_eq!(out.verdicts()[0].organizational_domain(), Some("example.com"));
//! # });
//! ```
//!
//! # Authentication-Results
//!
//! [`authres::AuthenticationResults`] is the RFC 8601 header: each check
//! gives a [`authres::MethodResult`], the writer quotes every value so that
//! no message content can add a header line or a result, and the parser
//! (comments, folding, quoted strings, `none`, ARC's `i=` prefix) reads
//! headers written by other servers.
//!
//! ```
//! use mailsec_auth::authres::{AuthenticationResults, MethodResult};
//!
//! let mut ar = AuthenticationResults::new("mx.example.org");
//! ar.push(MethodResult::new("spf", "pass").with_property("smtp", "mailfrom", "sender@example.com"));
//! ar.push(MethodResult::new("dmarc", "fail").with_property("header", "from", "example.com\r\nX-Evil: 1"));
//! let value = ar.to_header_value();
//! assert_eq!(
//!     value,
//!     "mx.example.org; spf=pass smtp.mailfrom=sender@example.com; dmarc=fail header.from=\"example.com  X-Evil: 1\""
//! );
//!
//! let parsed = AuthenticationResults::parse(&value)?;
//! assert_eq!(parsed.results()[1].property("header", "from"), Some("example.com  X-Evil: 1"));
//! # Ok::<(), mailsec_auth::authres::AuthResError>(())
//! ```
//!
//! # DMARC reports
//!
//! [`report::AggregateReport`] writes aggregate reports in the RFC 9990 or
//! the RFC 7489 appendix C form ([`report::ReportFormat`]) and parses both,
//! from XML, gzip, zip ([`report::parse_aggregate`]) or a whole report mail
//! ([`report::parse_aggregate_message`]). [`report::FailureReport`] reads
//! ARF failure reports (RFC 5965, RFC 6591).
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
//!
//! # DKIM and ARC
//!
//! [`dkim`] verifies and signs DKIM signatures (RFC 6376; Ed25519 per RFC
//! 8463; RFC 8301's algorithm and key-size rules), with streaming body
//! hashing for milters; [`arc`] validates and seals ARC chains (RFC 8617).
//! Cryptography is `ring` (RSA keys under 2048 bits sign through the `rsa`
//! crate); key records come through the [`mailsec_dns::Resolver`].
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use mailsec_auth::dkim::{DkimResult, Signer, SigningKey, Verifier};
//! use mailsec_dns::{Record, StaticResolver};
//! use std::time::SystemTime;
//!
//! let key = SigningKey::generate_ed25519()?;
//! let mut dns = StaticResolver::new();
//! dns.add("s1._domainkey.example.org", Record::txt(&key.dns_record()));
//! let signer = Signer::builder().domain("example.org").selector("s1").key(key).build();
//! let message = b"From: a@example.org\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nHello\r\n";
//! let signed = signer.sign_message(message, SystemTime::now())?;
//!
//! let results = Verifier::new().verify(&signed, &dns, SystemTime::now()).await;
//! assert_eq!(results[0].result(), &DkimResult::Pass);
//! assert_eq!(results[0].domain(), "example.org");
//! # Ok::<(), mailsec_auth::dkim::DkimError>(())
//! # }).unwrap();
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod arc;
pub mod authres;
pub mod dkim;
pub mod dmarc;
pub mod iprev;
pub mod report;
pub mod spf;
