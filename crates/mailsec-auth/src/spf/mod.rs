//! SPF, the Sender Policy Framework (RFC 7208).
//!
//! [`check_host`] checks the MAIL FROM identity of a message (or
//! `postmaster@<HELO>` for a bounce), [`check_helo`] the HELO identity, and
//! [`check_domain`] is the RFC's `check_host()` function itself. Every DNS
//! question goes through a [`Resolver`]; the limits of RFC 7208 section
//! 4.6.4 are in [`SpfConfig`]. The outcome is an [`SpfOutput`] whose
//! [`SpfResult`] is one of the RFC's result words, and which can write the
//! `Received-SPF` header ([`SpfOutput::received_spf`]).
//!
//! ```
//! use mailsec_auth::spf::{self, SpfConfig, SpfResult};
//! use mailsec_dns::{Record, StaticResolver};
//! use std::time::SystemTime;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let mut dns = StaticResolver::new();
//! dns.add("example.org", Record::txt("v=spf1 ip4:192.0.2.0/24 -all exp=why.example.org"));
//! dns.add("why.example.org", Record::txt("%{i} is not one of %{d}'s servers"));
//!
//! let config = SpfConfig::default();
//! let ip = "192.0.2.7".parse().unwrap();
//! let out = spf::check_host(&dns, ip, "mx.example.org", "alice@example.org", &config, SystemTime::now()).await;
//! assert_eq!(out.result(), SpfResult::Pass);
//!
//! let ip = "198.51.100.1".parse().unwrap();
//! let out = spf::check_host(&dns, ip, "mx.example.org", "alice@example.org", &config, SystemTime::now()).await;
//! assert_eq!(out.result().as_str(), "fail");
//! assert_eq!(out.explanation(), Some("198.51.100.1 is not one of example.org's servers"));
//! assert!(out.received_spf("mx.example.net").starts_with("fail (mx.example.net: domain of alice@example.org"));
//! # });
//! ```

mod cache;
mod eval;
mod macros;
mod received;
mod record;

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use mailsec_dns::Resolver;

pub use cache::SpfRecordCache;
pub use record::{Directive, DomainSpec, Mechanism, Qualifier, SpfRecord};

/// The result of an SPF check (RFC 7208 section 2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpfResult {
    /// The client is authorized to use the identity.
    Pass,
    /// The client is not authorized to use the identity.
    Fail,
    /// The client is probably not authorized (a weak fail).
    SoftFail,
    /// The domain makes no assertion about the client.
    Neutral,
    /// No SPF record, or no valid domain to check.
    None,
    /// A transient (usually DNS) error; checking later may succeed.
    TempError,
    /// The domain's records could not be interpreted.
    PermError,
}

impl SpfResult {
    /// The RFC's result word: `pass`, `fail`, `softfail`, `neutral`,
    /// `none`, `temperror` or `permerror`.
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::Neutral => "neutral",
            SpfResult::None => "none",
            SpfResult::TempError => "temperror",
            SpfResult::PermError => "permerror",
        }
    }

    /// Parses a result word (any case); RFC 4408's `error` and `unknown`
    /// are read as `temperror` and `permerror`.
    pub fn from_word(word: &str) -> Option<SpfResult> {
        Some(match word.to_ascii_lowercase().as_str() {
            "pass" => SpfResult::Pass,
            "fail" => SpfResult::Fail,
            "softfail" => SpfResult::SoftFail,
            "neutral" => SpfResult::Neutral,
            "none" => SpfResult::None,
            "temperror" | "error" => SpfResult::TempError,
            "permerror" | "unknown" => SpfResult::PermError,
            _ => return None,
        })
    }

    fn from_qualifier(q: Qualifier) -> SpfResult {
        match q {
            Qualifier::Pass => SpfResult::Pass,
            Qualifier::Fail => SpfResult::Fail,
            Qualifier::SoftFail => SpfResult::SoftFail,
            Qualifier::Neutral => SpfResult::Neutral,
        }
    }
}

impl fmt::Display for SpfResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identity an SPF check was about (RFC 7208 section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpfIdentity {
    /// The MAIL FROM reverse-path (or `postmaster@<HELO>` when it is null).
    MailFrom,
    /// The HELO/EHLO domain.
    Helo,
}

impl SpfIdentity {
    /// The word `Received-SPF` uses: `mailfrom` or `helo`.
    pub fn as_str(self) -> &'static str {
        match self {
            SpfIdentity::MailFrom => "mailfrom",
            SpfIdentity::Helo => "helo",
        }
    }
}

/// Why an SPF record could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpfError {
    /// The text does not start with `v=spf1`.
    #[error("not an SPF version 1 record")]
    NotSpf,
    /// The record holds non-ASCII bytes (RFC 7208 section 3.1).
    #[error("SPF record contains non-ASCII characters")]
    NonAscii,
    /// A term is malformed.
    #[error("invalid SPF term {term:?}: {reason}")]
    Syntax {
        /// The term (or part of it) that was rejected.
        term: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A macro string is malformed (RFC 7208 section 7.1).
    #[error("invalid macro string {text:?}: {reason}")]
    Macro {
        /// The macro string.
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl SpfError {
    fn syntax(term: &str, reason: &'static str) -> SpfError {
        SpfError::Syntax {
            term: term.chars().take(256).collect(),
            reason,
        }
    }

    fn macro_syntax(text: &str, reason: &'static str) -> SpfError {
        SpfError::Macro {
            text: text.chars().take(256).collect(),
            reason,
        }
    }
}

/// Limits and local settings of SPF evaluation. The defaults are RFC 7208's.
///
/// ```
/// use mailsec_auth::spf::SpfConfig;
/// let config = SpfConfig::default()
///     .with_receiver("mx.example.net")
///     .with_max_dns_mechanisms(20);
/// assert_eq!(config.max_void_lookups(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfConfig {
    max_dns_mechanisms: usize,
    max_void_lookups: usize,
    max_mx_addresses: usize,
    max_ptr_names: usize,
    receiver: String,
    default_explanation: Option<String>,
    record_cache: Option<Arc<SpfRecordCache>>,
}

impl Default for SpfConfig {
    fn default() -> Self {
        SpfConfig {
            max_dns_mechanisms: 10,
            max_void_lookups: 2,
            max_mx_addresses: 10,
            max_ptr_names: 10,
            receiver: "unknown".to_owned(),
            default_explanation: None,
            record_cache: None,
        }
    }
}

impl SpfConfig {
    /// Most terms that query DNS (`include`, `a`, `mx`, `ptr`, `exists`,
    /// `redirect`) one check may evaluate; more is `permerror`. RFC: 10.
    pub fn with_max_dns_mechanisms(mut self, n: usize) -> Self {
        self.max_dns_mechanisms = n;
        self
    }

    /// Most DNS lookups answering NXDOMAIN or no records; more is
    /// `permerror`. RFC: 2.
    pub fn with_max_void_lookups(mut self, n: usize) -> Self {
        self.max_void_lookups = n;
        self
    }

    /// Most MX names one `mx` mechanism resolves; more is `permerror`. RFC: 10.
    pub fn with_max_mx_addresses(mut self, n: usize) -> Self {
        self.max_mx_addresses = n;
        self
    }

    /// Most PTR names one `ptr` mechanism (or `%{p}`) resolves; the others
    /// are ignored. RFC: 10.
    pub fn with_max_ptr_names(mut self, n: usize) -> Self {
        self.max_ptr_names = n;
        self
    }

    /// This receiver's domain name, for the `%{r}` macro (default `unknown`).
    pub fn with_receiver(mut self, name: impl Into<String>) -> Self {
        self.receiver = name.into();
        self
    }

    /// The explanation given on `fail` when the domain publishes none (or
    /// its `exp=` cannot be used). Default: none.
    pub fn with_default_explanation(mut self, text: impl Into<String>) -> Self {
        self.default_explanation = Some(text.into());
        self
    }

    /// Takes parsed records from `cache` (and keeps new ones there) instead
    /// of parsing each record on every check. Default: no cache. Results
    /// are the same either way; see [`SpfRecordCache`].
    pub fn with_record_cache(mut self, cache: Arc<SpfRecordCache>) -> Self {
        self.record_cache = Some(cache);
        self
    }

    /// See [`SpfConfig::with_max_dns_mechanisms`].
    pub fn max_dns_mechanisms(&self) -> usize {
        self.max_dns_mechanisms
    }

    /// See [`SpfConfig::with_max_void_lookups`].
    pub fn max_void_lookups(&self) -> usize {
        self.max_void_lookups
    }

    /// See [`SpfConfig::with_max_mx_addresses`].
    pub fn max_mx_addresses(&self) -> usize {
        self.max_mx_addresses
    }

    /// See [`SpfConfig::with_max_ptr_names`].
    pub fn max_ptr_names(&self) -> usize {
        self.max_ptr_names
    }

    /// See [`SpfConfig::with_receiver`].
    pub fn receiver(&self) -> &str {
        &self.receiver
    }

    /// See [`SpfConfig::with_default_explanation`].
    pub fn default_explanation(&self) -> Option<&str> {
        self.default_explanation.as_deref()
    }

    /// See [`SpfConfig::with_record_cache`].
    pub fn record_cache(&self) -> Option<&Arc<SpfRecordCache>> {
        self.record_cache.as_ref()
    }
}

/// The outcome of one SPF check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfOutput {
    result: SpfResult,
    explanation: Option<String>,
    identity: SpfIdentity,
    domain: String,
    sender: String,
    ip: IpAddr,
    helo: String,
    mechanism: Option<String>,
    problem: Option<String>,
    dns_lookups: usize,
    void_lookups: usize,
}

impl SpfOutput {
    /// The result.
    pub fn result(&self) -> SpfResult {
        self.result
    }

    /// On `fail`, the explanation: the domain's `exp=` text, macros
    /// expanded, or the configured default.
    pub fn explanation(&self) -> Option<&str> {
        self.explanation.as_deref()
    }

    /// The identity checked.
    pub fn identity(&self) -> SpfIdentity {
        self.identity
    }

    /// The domain whose policy was checked (the identity's domain).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The sender mailbox used for macros (`postmaster@<domain>` when the
    /// identity had no local-part).
    pub fn sender(&self) -> &str {
        &self.sender
    }

    /// The client IP checked.
    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// The HELO name given.
    pub fn helo(&self) -> &str {
        &self.helo
    }

    /// The mechanism that decided the result, as written (with qualifier),
    /// or `default` when none matched; `None` for `none` and errors.
    pub fn mechanism(&self) -> Option<&str> {
        self.mechanism.as_deref()
    }

    /// For `temperror` and `permerror`, what went wrong.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// How many DNS-querying terms were evaluated.
    pub fn dns_lookups(&self) -> usize {
        self.dns_lookups
    }

    /// How many lookups answered NXDOMAIN or no records.
    pub fn void_lookups(&self) -> usize {
        self.void_lookups
    }
}

/// Checks the MAIL FROM identity: `mail_from` (angle brackets allowed), or
/// `postmaster@<helo>` when it is empty or `<>` (RFC 7208 section 2.4).
pub async fn check_host(
    resolver: &dyn Resolver,
    ip: IpAddr,
    helo: &str,
    mail_from: &str,
    config: &SpfConfig,
    now: SystemTime,
) -> SpfOutput {
    let trimmed = mail_from.trim();
    let trimmed = trimmed
        .strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or(trimmed);
    let (local, domain) = if trimmed.is_empty() {
        ("postmaster", helo)
    } else {
        match trimmed.rsplit_once('@') {
            Some(("", domain)) => ("postmaster", domain),
            Some((local, domain)) => (local, domain),
            None => ("postmaster", trimmed),
        }
    };
    eval::run(
        resolver,
        config,
        eval::Request::mail_from(ip, helo, local, domain, now),
    )
    .await
}

/// Checks the HELO identity (RFC 7208 section 2.3) with `postmaster@<helo>`
/// as the sender.
pub async fn check_helo(
    resolver: &dyn Resolver,
    ip: IpAddr,
    helo: &str,
    config: &SpfConfig,
    now: SystemTime,
) -> SpfOutput {
    eval::run(
        resolver,
        config,
        eval::Request {
            ip,
            helo,
            local: "postmaster",
            domain: helo,
            identity: SpfIdentity::Helo,
            now,
        },
    )
    .await
}

/// The RFC's `check_host(<ip>, <domain>, <sender>)` (section 4), with the
/// HELO name for the `%{h}` macro. `sender` is `local-part@domain`; a
/// missing or empty local-part becomes `postmaster`.
pub async fn check_domain(
    resolver: &dyn Resolver,
    ip: IpAddr,
    domain: &str,
    sender: &str,
    helo: &str,
    config: &SpfConfig,
    now: SystemTime,
) -> SpfOutput {
    let local = match sender.rsplit_once('@') {
        Some((local, _)) if !local.is_empty() => local,
        _ => "postmaster",
    };
    let sender_domain = sender.rsplit_once('@').map_or(domain, |(_, d)| d);
    eval::run_with_sender(
        resolver,
        config,
        eval::Request::mail_from(ip, helo, local, domain, now),
        sender_domain,
    )
    .await
}

/// An SPF checker bound to a resolver and a configuration.
///
/// ```
/// use mailsec_auth::spf::{SpfConfig, SpfResult, SpfVerifier};
/// use mailsec_dns::{Record, StaticResolver};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut dns = StaticResolver::new();
/// dns.add("mx.example.org", Record::txt("v=spf1 a -all"));
/// dns.add("mx.example.org", Record::A("192.0.2.25".parse().unwrap()));
/// let config = SpfConfig::default();
/// let spf = SpfVerifier::new(&dns, &config);
/// let now = std::time::SystemTime::now();
/// let helo = spf.helo("192.0.2.25".parse().unwrap(), "mx.example.org", now).await;
/// assert_eq!(helo.result(), SpfResult::Pass);
/// let bounce = spf.mail_from("192.0.2.25".parse().unwrap(), "mx.example.org", "<>", now).await;
/// assert_eq!(bounce.sender(), "postmaster@mx.example.org");
/// # });
/// ```
#[derive(Clone, Copy)]
pub struct SpfVerifier<'a> {
    resolver: &'a dyn Resolver,
    config: &'a SpfConfig,
}

impl fmt::Debug for SpfVerifier<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpfVerifier")
            .field("config", self.config)
            .finish_non_exhaustive()
    }
}

impl<'a> SpfVerifier<'a> {
    /// A checker asking `resolver`, with the limits of `config`.
    pub fn new(resolver: &'a dyn Resolver, config: &'a SpfConfig) -> Self {
        SpfVerifier { resolver, config }
    }

    /// See [`check_host`].
    pub async fn mail_from(
        &self,
        ip: IpAddr,
        helo: &str,
        mail_from: &str,
        now: SystemTime,
    ) -> SpfOutput {
        check_host(self.resolver, ip, helo, mail_from, self.config, now).await
    }

    /// See [`check_helo`].
    pub async fn helo(&self, ip: IpAddr, helo: &str, now: SystemTime) -> SpfOutput {
        check_helo(self.resolver, ip, helo, self.config, now).await
    }
}
