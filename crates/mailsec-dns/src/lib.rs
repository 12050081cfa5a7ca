//! DNS for mail-security checks.
//!
//! Every check in mailsec that needs DNS (SPF, DKIM, DMARC, ARC, DANE, DNS
//! blocklists) asks through the [`Resolver`] trait of this crate and never
//! opens a socket itself. The trait keeps apart the three outcomes the mail
//! RFCs care about:
//!
//! * the name does not exist ([`DnsError::NxDomain`]),
//! * the name exists but has no record of the asked type ([`DnsError::NoData`]),
//! * the question could not be answered now ([`DnsError::TempFail`]: a
//!   timeout, SERVFAIL, a network error),
//!
//! and every [`Answer`] carries its TTL and whether it was DNSSEC-authenticated.
//!
//! Implementations:
//!
//! * [`StaticResolver`]: answers from memory, filled in code or from a zone
//!   file in RFC 1035 master-file syntax ([`zone`] describes the syntax,
//!   including the `;@timeout` / `;@servfail` / `;@nxdomain` / `;@secure`
//!   pragmas); it can also inject failures and mark names as DNSSEC-secure.
//!   For tests, examples and offline runs.
//! * `HickoryResolver` (feature `hickory`, on by default): real DNS through
//!   the system's or given recursive resolvers, with timeouts and attempts;
//!   reports the resolver's AD bit (see the `hickory` module).
//! * [`CachingResolver`]: wraps any resolver with a bounded LRU cache that
//!   honours TTLs and caches NXDOMAIN/NODATA, never temporary failures;
//!   time comes from a [`Clock`].
//!
//! # Example
//!
//! ```
//! use mailsec_dns::{Record, Resolver, StaticResolver, DnsError};
//!
//! # tokio_test_block_on(async {
//! let mut dns = StaticResolver::new();
//! dns.add("example.org", Record::txt("v=spf1 -all"));
//! dns.add("mx.example.org", Record::A("192.0.2.1".parse().unwrap()));
//!
//! let txt = dns.txt("example.org").await.unwrap();
//! assert_eq!(txt.records()[0].to_string_lossy(), "v=spf1 -all");
//!
//! // The name exists but has no MX record: NODATA, not NXDOMAIN.
//! assert!(matches!(dns.mx("example.org").await, Err(DnsError::NoData { .. })));
//! assert!(matches!(dns.a("nowhere.example.org").await, Err(DnsError::NxDomain { .. })));
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! ```
//!
//! # Zone files and caching
//!
//! ```
//! use mailsec_dns::{CachingResolver, DnsError, Resolver, StaticResolver, TempFailKind};
//!
//! let zone = r#"
//! $ORIGIN example.org.
//! $TTL 1h
//! @        IN MX  10 mail
//!          IN TXT "v=spf1 ip4:192.0.2.0/24 " "-all"   ; two strings, one record
//! mail     IN A   192.0.2.25
//! ;@timeout slow
//! "#;
//! let dns = CachingResolver::new(StaticResolver::from_zone_str(zone, None)?);
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let spf = dns.txt("example.org").await.unwrap();
//! assert_eq!(spf.records()[0].to_string_lossy(), "v=spf1 ip4:192.0.2.0/24 -all");
//! assert_eq!(spf.ttl(), 3600);
//! assert!(matches!(
//!     dns.a("slow.example.org").await,
//!     Err(DnsError::TempFail { kind: TempFailKind::Timeout, .. })
//! ));
//! # });
//! # Ok::<(), mailsec_dns::ZoneError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod name;
mod record;
mod resolver;
mod static_resolver;

pub use error::{DnsError, TempFailKind};
pub use name::{normalize_name, reverse_name};
pub use record::{Answer, Mx, Record, RecordType, Tlsa, Txt};
pub use resolver::Resolver;
pub use static_resolver::{Failure, StaticResolver};
pub mod cache;
pub use cache::{CachingResolver, Clock, ManualClock, SystemClock};
pub mod zone;
pub use zone::ZoneError;
#[cfg(feature = "hickory")]
pub mod hickory;
#[cfg(feature = "hickory")]
pub use hickory::{HickoryResolver, HickoryResolverBuilder};
