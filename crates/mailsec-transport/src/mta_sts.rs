//! MTA-STS (RFC 8461): the `_mta-sts` TXT record, the policy file, a policy
//! cache, and the decision whether a TLS session to an MX satisfies the policy.
//!
//! Fetching the policy over HTTPS is the caller's: implement
//! [`PolicyFetcher`] over an HTTPS client that validates the server
//! certificate against the Web PKI, follows no redirects and accepts only a
//! `200` answer (RFC 8461 section 3.3). `examples/mta_sts_fetch.rs` does it
//! with `ureq`.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use mailsec_dns::Resolver;

use crate::cert::{CertCheck, CertProblem, check_chain_links, dns_name_matches, parse_chain};
use crate::tlsrpt::ResultType;

/// Largest policy file accepted (bytes), as RFC 8461 section 3.3 suggests.
pub const MAX_POLICY_LEN: usize = 64 * 1024;
/// Largest `max_age` (one year, RFC 8461 section 3.2); larger values are capped.
pub const MAX_MAX_AGE: u32 = 31_557_600;

/// The `_mta-sts.<domain>` TXT record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsRecord {
    id: String,
}

/// Why an MTA-STS TXT record is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StsRecordError {
    /// The record does not start with `v=STSv1`.
    #[error("not an MTA-STS record (must start with v=STSv1)")]
    NotSts,
    /// The `id` field is missing or not 1 to 32 letters and digits.
    #[error("MTA-STS record has no valid id (1-32 letters and digits)")]
    Id,
    /// A field is not `name=value`.
    #[error("MTA-STS record field is not name=value")]
    Syntax,
}

impl StsRecord {
    /// Parses a record such as `v=STSv1; id=20160831085700Z;`.
    pub fn parse(text: &str) -> Result<Self, StsRecordError> {
        let mut fields = text.split(';').map(|f| f.trim_matches([' ', '\t']));
        match fields.next() {
            Some("v=STSv1") => {}
            _ => return Err(StsRecordError::NotSts),
        }
        let mut id = None;
        for field in fields {
            if field.is_empty() {
                continue;
            }
            let (name, value) = field.split_once('=').ok_or(StsRecordError::Syntax)?;
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
            {
                return Err(StsRecordError::Syntax);
            }
            if name == "id" {
                if id.is_some()
                    || value.is_empty()
                    || value.len() > 32
                    || !value.bytes().all(|b| b.is_ascii_alphanumeric())
                {
                    return Err(StsRecordError::Id);
                }
                id = Some(value.to_owned());
            }
        }
        Ok(StsRecord {
            id: id.ok_or(StsRecordError::Id)?,
        })
    }

    /// The policy id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The policy mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mode {
    /// `enforce`: do not deliver to an MX that fails the policy.
    Enforce,
    /// `testing`: deliver anyway, report failures (TLS-RPT).
    Testing,
    /// `none`: no policy in force.
    None,
}

impl Mode {
    /// The policy word: `enforce`, `testing` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Testing => "testing",
            Mode::None => "none",
        }
    }
}

/// An `mx` pattern of a policy: a host name, or `*.` and a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MxPattern(String);

impl MxPattern {
    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `host` matches: exactly, or for `*.d` any one label followed by `.d`
    /// (the wildcard only as the whole left-most label; RFC 8461 section 4.1).
    pub fn matches(&self, host: &str) -> bool {
        dns_name_matches(&self.0, host)
    }
}

/// A parsed policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsPolicy {
    mode: Mode,
    mx: Vec<MxPattern>,
    max_age: u32,
}

/// Why a policy file is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StsPolicyError {
    /// Larger than [`MAX_POLICY_LEN`].
    #[error("policy file is too large")]
    TooLarge,
    /// Not UTF-8.
    #[error("policy file is not UTF-8")]
    Encoding,
    /// A line is not `name: value`.
    #[error("policy line {0} is not 'name: value'")]
    Syntax(usize),
    /// `version` is missing or not `STSv1`.
    #[error("policy version is missing or not STSv1")]
    Version,
    /// `mode` is missing or not enforce/testing/none.
    #[error("policy mode is missing or invalid")]
    Mode,
    /// `max_age` is missing or not a number.
    #[error("policy max_age is missing or invalid")]
    MaxAge,
    /// A mode other than `none` without any `mx`, or an invalid `mx` pattern.
    #[error("policy mx patterns are missing or invalid")]
    Mx,
    /// A field other than `mx` appears twice.
    #[error("policy field '{0}' appears twice")]
    Duplicate(String),
}

fn valid_pattern(p: &str) -> bool {
    let host = p.strip_prefix("*.").unwrap_or(p);
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

impl StsPolicy {
    /// Parses a policy file (`version: STSv1`, `mode`, `mx` lines, `max_age`;
    /// CRLF or LF line ends; unknown fields ignored).
    pub fn parse(body: &[u8]) -> Result<Self, StsPolicyError> {
        if body.len() > MAX_POLICY_LEN {
            return Err(StsPolicyError::TooLarge);
        }
        let text = std::str::from_utf8(body).map_err(|_| StsPolicyError::Encoding)?;
        let (mut version, mut mode, mut max_age) = (None, None, None);
        let mut mx = Vec::new();
        for (i, line) in text.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() {
                continue;
            }
            let (name, value) = line.split_once(':').ok_or(StsPolicyError::Syntax(i + 1))?;
            let name = name.trim();
            let value = value.trim_matches([' ', '\t']);
            let dup = || StsPolicyError::Duplicate(name.to_owned());
            match name {
                // The guard records the value; a second one is an error.
                "version" if version.replace(value).is_some() => return Err(dup()),
                "mode" => {
                    let m = match value {
                        "enforce" => Mode::Enforce,
                        "testing" => Mode::Testing,
                        "none" => Mode::None,
                        _ => return Err(StsPolicyError::Mode),
                    };
                    if mode.replace(m).is_some() {
                        return Err(dup());
                    }
                }
                "max_age" => {
                    if value.is_empty()
                        || value.len() > 10
                        || !value.bytes().all(|b| b.is_ascii_digit())
                    {
                        return Err(StsPolicyError::MaxAge);
                    }
                    let n: u64 = value.parse().map_err(|_| StsPolicyError::MaxAge)?;
                    let n = u32::try_from(n.min(u64::from(MAX_MAX_AGE))).unwrap_or(MAX_MAX_AGE);
                    if max_age.replace(n).is_some() {
                        return Err(dup());
                    }
                }
                "mx" => {
                    if !valid_pattern(value) {
                        return Err(StsPolicyError::Mx);
                    }
                    mx.push(MxPattern(value.to_ascii_lowercase()));
                }
                _ => {}
            }
        }
        if version != Some("STSv1") {
            return Err(StsPolicyError::Version);
        }
        let mode = mode.ok_or(StsPolicyError::Mode)?;
        let max_age = max_age.ok_or(StsPolicyError::MaxAge)?;
        if mx.is_empty() && mode != Mode::None {
            return Err(StsPolicyError::Mx);
        }
        Ok(StsPolicy { mode, mx, max_age })
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The `mx` patterns.
    pub fn mx(&self) -> &[MxPattern] {
        &self.mx
    }

    /// `max_age`, seconds (capped at [`MAX_MAX_AGE`]).
    pub fn max_age(&self) -> u32 {
        self.max_age
    }

    /// Whether an MX host name matches one of the patterns.
    pub fn mx_matches(&self, host: &str) -> bool {
        self.mx.iter().any(|p| p.matches(host))
    }

    /// The policy file text (`version`, `mode`, `mx`..., `max_age`, CRLF),
    /// also the TLS-RPT `policy-string` lines.
    pub fn to_lines(&self) -> Vec<String> {
        let mut lines = vec![
            "version: STSv1".to_owned(),
            format!("mode: {}", self.mode.as_str()),
        ];
        lines.extend(self.mx.iter().map(|p| format!("mx: {}", p.0)));
        lines.push(format!("max_age: {}", self.max_age));
        lines
    }
}

/// The policy URL for a domain: `https://mta-sts.<domain>/.well-known/mta-sts.txt`.
pub fn policy_url(domain: &str) -> String {
    format!(
        "https://mta-sts.{}/.well-known/mta-sts.txt",
        domain.strip_suffix('.').unwrap_or(domain)
    )
}

/// A policy fetch failed (the caller's HTTPS client error, kept as the source).
#[derive(Debug, thiserror::Error)]
#[error("MTA-STS policy fetch failed: {message}")]
pub struct FetchError {
    message: String,
    /// Whether the failure was a certificate (Web PKI) failure of the policy host.
    webpki: bool,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl FetchError {
    /// A failure with a message.
    pub fn new(message: impl Into<String>) -> Self {
        FetchError {
            message: message.into(),
            webpki: false,
            source: None,
        }
    }

    /// A failure caused by `source`.
    pub fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        FetchError {
            message: message.into(),
            webpki: false,
            source: Some(Box::new(source)),
        }
    }

    /// Marks the failure as the policy host's certificate failing Web PKI validation.
    pub fn webpki(mut self) -> Self {
        self.webpki = true;
        self
    }

    /// Whether the failure was a Web PKI certificate failure.
    pub fn is_webpki(&self) -> bool {
        self.webpki
    }
}

/// Fetches policy files over HTTPS (the caller's I/O).
///
/// Implementations must validate the server certificate against the Web
/// PKI for the `mta-sts.<domain>` host, follow no redirects, treat any
/// status but 200 as a failure, and read at most [`MAX_POLICY_LEN`] bytes.
#[async_trait]
pub trait PolicyFetcher: Send + Sync {
    /// Fetches `url` (from [`policy_url`]) and returns the body.
    async fn fetch(&self, url: &str) -> Result<Vec<u8>, FetchError>;
}

/// A cached policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedPolicy {
    id: String,
    policy: StsPolicy,
    expires: SystemTime,
}

impl CachedPolicy {
    /// The policy id it was fetched under.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The policy.
    pub fn policy(&self) -> &StsPolicy {
        &self.policy
    }

    /// When it expires (fetch time + `max_age`).
    pub fn expires(&self) -> SystemTime {
        self.expires
    }
}

/// Policies by domain, each with its id and expiry (RFC 8461 section 5.1).
#[derive(Debug, Default)]
pub struct PolicyCache {
    entries: Mutex<HashMap<String, CachedPolicy>>,
}

impl PolicyCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, CachedPolicy>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The unexpired policy for `domain` at `now`; expired entries are dropped.
    pub fn get(&self, domain: &str, now: SystemTime) -> Option<CachedPolicy> {
        let key = domain.to_ascii_lowercase();
        let mut entries = self.lock();
        match entries.get(&key) {
            Some(c) if now < c.expires => Some(c.clone()),
            Some(_) => {
                entries.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Stores a policy fetched at `now` under `id`; it expires `max_age` later.
    pub fn insert(&self, domain: &str, id: &str, policy: StsPolicy, now: SystemTime) {
        let expires = now
            .checked_add(Duration::from_secs(u64::from(policy.max_age)))
            .unwrap_or(now);
        self.lock().insert(
            domain.to_ascii_lowercase(),
            CachedPolicy {
                id: id.to_owned(),
                policy,
                expires,
            },
        );
    }

    /// Removes the policy for `domain`.
    pub fn remove(&self, domain: &str) {
        self.lock().remove(&domain.to_ascii_lowercase());
    }

    /// Number of entries (expired ones included until looked up).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why a policy could not be had (each maps to a TLS-RPT result type).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyProblem {
    /// The TXT record says there is a policy, but no fetcher was given.
    NoFetcher,
    /// The HTTPS fetch failed.
    Fetch(String),
    /// The policy host's certificate failed Web PKI validation.
    WebPki(String),
    /// The policy file is invalid.
    Invalid(StsPolicyError),
    /// The TXT lookup failed temporarily.
    Dns(String),
}

impl PolicyProblem {
    /// The TLS-RPT result type for this problem.
    pub fn result_type(&self) -> ResultType {
        match self {
            PolicyProblem::WebPki(_) => ResultType::StsWebpkiInvalid,
            PolicyProblem::Invalid(_) => ResultType::StsPolicyInvalid,
            _ => ResultType::StsPolicyFetchError,
        }
    }
}

impl fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyProblem::NoFetcher => f.write_str("policy announced but no HTTPS fetcher"),
            PolicyProblem::Fetch(m) | PolicyProblem::WebPki(m) | PolicyProblem::Dns(m) => {
                f.write_str(m)
            }
            PolicyProblem::Invalid(e) => e.fmt(f),
        }
    }
}

/// The outcome of policy discovery for a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyLookup {
    /// A policy is in force.
    Found {
        /// Its id.
        id: String,
        /// The policy.
        policy: StsPolicy,
        /// Whether it came from the cache.
        cached: bool,
    },
    /// The domain publishes no MTA-STS policy (and none is cached).
    NoPolicy,
    /// A policy is announced but could not be had, and none is cached:
    /// deliver as if there were none, and report the problem (RFC 8461 section 5).
    Unavailable(PolicyProblem),
}

fn txt_record(texts: impl Iterator<Item = String>) -> Option<StsRecord> {
    let candidates: Vec<String> = texts.filter(|t| t.starts_with("v=STSv1")).collect();
    match candidates.as_slice() {
        [one] => StsRecord::parse(one).ok(),
        _ => None,
    }
}

/// Discovers the policy of `domain` (RFC 8461 sections 3 and 5.1): the TXT
/// record, then the cache when its id is unchanged, else a fetch; a fetch or
/// parse failure falls back on an unexpired cached policy.
pub async fn discover(
    resolver: &dyn Resolver,
    fetcher: Option<&dyn PolicyFetcher>,
    cache: &PolicyCache,
    domain: &str,
    now: SystemTime,
) -> PolicyLookup {
    let domain = domain
        .strip_suffix('.')
        .unwrap_or(domain)
        .to_ascii_lowercase();
    let cached = cache.get(&domain, now);
    let from_cache = |c: CachedPolicy| PolicyLookup::Found {
        id: c.id,
        policy: c.policy,
        cached: true,
    };
    let record = match resolver.txt(&format!("_mta-sts.{domain}")).await {
        Ok(answer) => txt_record(answer.records().iter().map(|t| t.to_string_lossy())),
        Err(e) if e.is_void() => None,
        Err(e) => {
            return match cached {
                Some(c) => from_cache(c),
                None => PolicyLookup::Unavailable(PolicyProblem::Dns(e.to_string())),
            };
        }
    };
    let Some(record) = record else {
        return match cached {
            Some(c) => from_cache(c),
            None => PolicyLookup::NoPolicy,
        };
    };
    if let Some(c) = &cached
        && c.id == record.id()
    {
        return from_cache(c.clone());
    }
    let problem = match fetcher {
        None => PolicyProblem::NoFetcher,
        Some(f) => match f.fetch(&policy_url(&domain)).await {
            Ok(body) => match StsPolicy::parse(&body) {
                Ok(policy) => {
                    cache.insert(&domain, record.id(), policy.clone(), now);
                    return PolicyLookup::Found {
                        id: record.id().to_owned(),
                        policy,
                        cached: false,
                    };
                }
                Err(e) => PolicyProblem::Invalid(e),
            },
            Err(e) if e.is_webpki() => PolicyProblem::WebPki(e.to_string()),
            Err(e) => PolicyProblem::Fetch(e.to_string()),
        },
    };
    match cached {
        Some(c) => from_cache(c),
        None => PolicyLookup::Unavailable(problem),
    }
}

/// Whether the TLS library validated the presented chain against trusted roots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PkixStatus {
    /// The chain ends in a trusted root (e.g. rustls/webpki accepted it).
    Trusted,
    /// The chain does not end in a trusted root.
    Untrusted,
    /// Not checked by the caller: only the checks made here count (name,
    /// dates, key usage, chain links).
    NotChecked,
}

/// Why a TLS session fails an MTA-STS policy.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StsFailure {
    /// The MX host matches none of the policy's `mx` patterns.
    MxMismatch {
        /// The MX host.
        mx: String,
    },
    /// The certificate is not valid for the MX host.
    CertificateHostMismatch(CertProblem),
    /// The certificate is expired or not yet valid.
    CertificateExpired(CertProblem),
    /// The chain does not end in a trusted root.
    CertificateNotTrusted,
    /// Another certificate problem (key usage, broken chain, unparsable).
    ValidationFailure(CertProblem),
}

impl StsFailure {
    /// The TLS-RPT result type for this failure.
    pub fn result_type(&self) -> ResultType {
        match self {
            StsFailure::CertificateHostMismatch(_) => ResultType::CertificateHostMismatch,
            StsFailure::CertificateExpired(_) => ResultType::CertificateExpired,
            StsFailure::CertificateNotTrusted => ResultType::CertificateNotTrusted,
            StsFailure::MxMismatch { .. } | StsFailure::ValidationFailure(_) => {
                ResultType::ValidationFailure
            }
        }
    }
}

impl fmt::Display for StsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StsFailure::MxMismatch { mx } => write!(f, "MX {mx} matches no policy mx pattern"),
            StsFailure::CertificateHostMismatch(p)
            | StsFailure::CertificateExpired(p)
            | StsFailure::ValidationFailure(p) => p.fmt(f),
            StsFailure::CertificateNotTrusted => f.write_str("certificate chain is not trusted"),
        }
    }
}

/// The result of checking a TLS session against a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StsResult {
    /// The MX and its certificate satisfy the policy.
    Pass,
    /// They do not.
    Fail(StsFailure),
    /// No policy in force (none published, `mode: none`, or unavailable).
    None,
}

impl StsResult {
    /// The result word: `pass`, `fail` or `none`.
    pub fn as_str(&self) -> &'static str {
        match self {
            StsResult::Pass => "pass",
            StsResult::Fail(_) => "fail",
            StsResult::None => "none",
        }
    }
}

/// The delivery decision for one MX and TLS session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsDecision {
    mode: Option<Mode>,
    result: StsResult,
}

impl StsDecision {
    /// The policy mode (`None` when there is no policy).
    pub fn mode(&self) -> Option<Mode> {
        self.mode
    }

    /// The result.
    pub fn result(&self) -> &StsResult {
        &self.result
    }

    /// Whether the message may be delivered over this session: always unless
    /// the policy is in `enforce` mode and the session failed it.
    pub fn may_deliver(&self) -> bool {
        !(self.mode == Some(Mode::Enforce) && matches!(self.result, StsResult::Fail(_)))
    }

    /// The decision when no policy is in force.
    pub fn no_policy() -> Self {
        StsDecision {
            mode: None,
            result: StsResult::None,
        }
    }
}

/// Checks a TLS session to `mx` (presented `chain`, DER, end entity first)
/// against `policy` at `now` (RFC 8461 section 4): the MX matches a pattern
/// and the end entity is valid for the MX name, in date, with server key
/// usage. `pkix` is what the TLS library found about the path to a trusted
/// root: `Untrusted` fails; with `NotChecked` every presented certificate
/// must also be in date and issued by the next one.
pub fn evaluate<B: AsRef<[u8]>>(
    policy: &StsPolicy,
    mx: &str,
    chain: &[B],
    pkix: PkixStatus,
    now: SystemTime,
) -> StsDecision {
    let decision = |result| StsDecision {
        mode: Some(policy.mode),
        result,
    };
    if policy.mode == Mode::None {
        return decision(StsResult::None);
    }
    let mx = mx.strip_suffix('.').unwrap_or(mx);
    if !policy.mx_matches(mx) {
        return decision(StsResult::Fail(StsFailure::MxMismatch {
            mx: mx.to_owned(),
        }));
    }
    let certs = match parse_chain(chain) {
        Ok(c) => c,
        Err(p) => return decision(StsResult::Fail(StsFailure::ValidationFailure(p))),
    };
    let Some(leaf) = certs.first() else {
        return decision(StsResult::Fail(StsFailure::ValidationFailure(
            CertProblem::EmptyChain,
        )));
    };
    if let CertCheck::Invalid(p) = leaf.check_name(mx) {
        return decision(StsResult::Fail(StsFailure::CertificateHostMismatch(p)));
    }
    // When the TLS library built a trusted path, the rest of the presented
    // chain is its business (servers send extra or misordered certificates).
    let checked = if pkix == PkixStatus::Trusted {
        1
    } else {
        certs.len()
    };
    for cert in certs.iter().take(checked) {
        if let CertCheck::Invalid(p) = cert.check_validity(now) {
            return decision(StsResult::Fail(StsFailure::CertificateExpired(p)));
        }
    }
    if let CertCheck::Invalid(p) = leaf.check_server_key_usage() {
        return decision(StsResult::Fail(StsFailure::ValidationFailure(p)));
    }
    if pkix != PkixStatus::Trusted
        && let CertCheck::Invalid(p) = check_chain_links(&certs, certs.len())
    {
        return decision(StsResult::Fail(StsFailure::ValidationFailure(p)));
    }
    if pkix == PkixStatus::Untrusted {
        return decision(StsResult::Fail(StsFailure::CertificateNotTrusted));
    }
    decision(StsResult::Pass)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_POLICY: &str = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n";

    #[test]
    fn record() {
        assert_eq!(
            StsRecord::parse("v=STSv1; id=20160831085700Z;")
                .unwrap()
                .id(),
            "20160831085700Z"
        );
        assert_eq!(StsRecord::parse("v=STSv1;id=abc").unwrap().id(), "abc");
        assert_eq!(StsRecord::parse("v=STSv1; id=a-b"), Err(StsRecordError::Id));
        assert_eq!(StsRecord::parse("v=STSv1;"), Err(StsRecordError::Id));
        assert_eq!(
            StsRecord::parse("v=STSv2; id=1"),
            Err(StsRecordError::NotSts)
        );
        assert_eq!(
            StsRecord::parse(&format!("v=STSv1; id={}", "a".repeat(33))),
            Err(StsRecordError::Id)
        );
    }

    #[test]
    fn rfc_policy() {
        let p = StsPolicy::parse(RFC_POLICY.as_bytes()).unwrap();
        assert_eq!(p.mode(), Mode::Enforce);
        assert_eq!(p.max_age(), 604_800);
        assert!(p.mx_matches("mail.example.com"));
        assert!(p.mx_matches("mx1.example.net"));
        assert!(!p.mx_matches("a.b.example.net"));
        assert!(!p.mx_matches("example.net"));
        assert!(!p.mx_matches("evil.example.com"));
        assert_eq!(
            StsPolicy::parse(p.to_lines().join("\n").as_bytes()).unwrap(),
            p
        );
    }

    #[test]
    fn bad_policies() {
        let e = |s: &str| StsPolicy::parse(s.as_bytes()).unwrap_err();
        assert_eq!(
            e("mode: enforce\nmx: a.b\nmax_age: 1\n"),
            StsPolicyError::Version
        );
        assert_eq!(
            e("version: STSv1\nmode: strict\nmx: a.b\nmax_age: 1"),
            StsPolicyError::Mode
        );
        assert_eq!(
            e("version: STSv1\nmode: enforce\nmax_age: 1"),
            StsPolicyError::Mx
        );
        assert_eq!(
            e("version: STSv1\nmode: enforce\nmx: a.b\nmax_age: -1"),
            StsPolicyError::MaxAge
        );
        assert_eq!(
            e("version: STSv1\nmode: enforce\nmx: a.*.b\nmax_age: 1"),
            StsPolicyError::Mx
        );
        assert_eq!(e("version STSv1"), StsPolicyError::Syntax(1));
        assert!(StsPolicy::parse(b"version: STSv1\nmode: none\nmax_age: 99999999999").is_err());
        let capped = StsPolicy::parse(b"version: STSv1\nmode: none\nmax_age: 9999999999").unwrap();
        assert_eq!(capped.max_age(), MAX_MAX_AGE);
    }

    #[test]
    fn cache_expiry() {
        let cache = PolicyCache::new();
        let p = StsPolicy::parse(RFC_POLICY.as_bytes()).unwrap();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        cache.insert("Example.com", "id1", p, t0);
        assert_eq!(
            cache
                .get("example.com", t0 + Duration::from_secs(604_799))
                .unwrap()
                .id(),
            "id1"
        );
        assert!(
            cache
                .get("example.com", t0 + Duration::from_secs(604_800))
                .is_none()
        );
        assert!(cache.is_empty());
    }
}
