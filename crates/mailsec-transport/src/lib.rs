//! Transport security for mail servers: MTA-STS (RFC 8461), DANE for SMTP
//! (RFC 7672 / RFC 6698), SMTP TLS Reporting (RFC 8460) and BIMI Verified
//! Mark Certificates.
//!
//! The crate does no I/O of its own. DNS comes through the
//! [`mailsec_dns::Resolver`] trait (whose answers say whether they were
//! DNSSEC-authenticated), the MTA-STS policy file through a
//! [`PolicyFetcher`](mta_sts::PolicyFetcher) the caller implements over its
//! HTTPS client, and time as a `SystemTime` value. Certificates are DER
//! (or PEM for BIMI) and parsed with `x509-parser`; digests are `ring`'s.
//!
//! | module | what |
//! |---|---|
//! | [`mta_sts`] | `_mta-sts` record, policy file, [`PolicyCache`](mta_sts::PolicyCache), discovery and the delivery decision |
//! | [`dane`] | TLSA records and matching a presented chain (DANE-EE, DANE-TA) |
//! | [`cert`] | name matching (SAN, wildcards), validity, key usage, chain links |
//! | [`tlsrpt`] | `_smtp._tls` record, aggregate JSON reports (build and parse) |
//! | [`bimi`] | `default._bimi` record, VMC check under DMARC enforcement |
//!
//! Verdicts are values (`pass`, `fail`, `none`, `not_applicable`, with
//! reasons); `Err` means a check could not run (e.g. a temporary DNS failure).
//!
//! # Example: DANE for an MX
//!
//! ```
//! use std::time::SystemTime;
//! use mailsec_dns::{Record, StaticResolver, Tlsa};
//! use mailsec_transport::dane::{check_dane, DaneResult};
//!
//! # tokio_test_block_on(async {
//! let leaf_der: Vec<u8> = b"any bytes: DANE-EE 3 0 0 matches the whole DER".to_vec();
//! let mut dns = StaticResolver::new();
//! dns.add("_25._tcp.mx.example.com", Record::Tlsa(Tlsa {
//!     usage: 3, selector: 0, matching: 0, data: leaf_der.clone(),
//! }));
//!
//! // Without DNSSEC, DANE does not apply.
//! let r = check_dane(&dns, "mx.example.com", &[&leaf_der], &[], SystemTime::now()).await?;
//! assert_eq!(r.as_str(), "not_applicable");
//!
//! // A chain that does not parse as certificates fails once DNSSEC is there.
//! dns.set_secure("_25._tcp.mx.example.com", true);
//! let r = check_dane(&dns, "mx.example.com", &[&leaf_der], &[], SystemTime::now()).await?;
//! assert!(matches!(r, DaneResult::Fail(_)));
//! # Ok::<(), mailsec_transport::TransportError>(())
//! # });
//! # fn tokio_test_block_on<F: std::future::Future<Output = Result<(), mailsec_transport::TransportError>>>(f: F) {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f).unwrap()
//! # }
//! ```
//!
//! # Example: an MTA-STS policy
//!
//! ```
//! use mailsec_transport::mta_sts::{Mode, StsPolicy};
//!
//! let policy = StsPolicy::parse(
//!     b"version: STSv1\r\nmode: enforce\r\nmx: *.mail.example.com\r\nmax_age: 86400\r\n",
//! ).unwrap();
//! assert_eq!(policy.mode(), Mode::Enforce);
//! assert!(policy.mx_matches("mx1.mail.example.com"));
//! assert!(!policy.mx_matches("mail.example.com"));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bimi;
pub mod cert;
pub mod dane;
pub mod mta_sts;
pub mod tlsrpt;

/// Why a check could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// A DNS lookup failed temporarily (or the name was invalid).
    #[error("DNS lookup failed")]
    Dns(#[from] mailsec_dns::DnsError),
    /// Bytes are not a DER X.509 certificate.
    #[error("not a DER X.509 certificate")]
    Certificate,
    /// Text holds no readable PEM `CERTIFICATE` block (or too many).
    #[error("no readable PEM certificate")]
    Pem,
    /// A TLS-RPT report is not valid JSON of the report's shape.
    #[error("invalid TLS-RPT report")]
    Report(#[from] serde_json::Error),
    /// A TLS-RPT report is larger than [`tlsrpt::MAX_REPORT_LEN`].
    #[error("TLS-RPT report too large")]
    ReportTooLarge,
}
