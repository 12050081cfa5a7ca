//! DMARC (RFC 9989, "DMARCbis", with an opt-in RFC 7489 mode).
//!
//! DMARC takes the results of SPF and DKIM as plain data ([`DmarcInput`]):
//! the RFC5322.From domain(s), the domain SPF authenticated (MAIL FROM, or
//! HELO for a null reverse path) and whether SPF passed, and the `d=` domain
//! of each DKIM signature with whether it verified. [`DmarcVerifier::verify`]
//! discovers the policy through the [`Resolver`], checks identifier
//! alignment and returns a [`DmarcOutput`]: the result word and the
//! disposition to apply.
//!
//! * **RFC 9989 mode** (default): the Organizational Domain comes from the
//!   DNS tree walk (at most 8 queries, honouring `psd=y` / `psd=n`); the policy
//!   is the author domain's record, else the Organizational Domain's, else the
//!   Public Suffix Domain's; `np=` applies to non-existent subdomains; `t=y`
//!   means the policy is not applied.
//! * **RFC 7489 mode** ([`DmarcVerifier::rfc7489`]): the Organizational
//!   Domain is the registrable domain by the public suffix list (`psl`
//!   crate); `pct=` is applied with a caller-supplied random source.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use mailsec_auth::dmarc::{DmarcInput, DmarcResult, DmarcVerifier, Policy};
//! use mailsec_dns::{Record, StaticResolver};
//!
//! let mut dns = StaticResolver::new();
//! dns.add("_dmarc.example.com", Record::txt("v=DMARC1; p=reject; rua=mailto:d@example.com"));
//!
//! // DKIM passed for a subdomain of the From domain: relaxed alignment passes.
//! let input = DmarcInput::new()
//!     .with_from_domain("example.com")
//!     .with_spf("bounces.other.example", true)
//!     .with_dkim("mail.example.com", true);
//! let out = DmarcVerifier::new().verify(&dns, &input).await;
//! assert_eq!(out.result(), DmarcResult::Pass);
//! assert_eq!(out.disposition(), Policy::None);
//!
//! // Nothing aligned: fail, and the domain asks for reject.
//! let input = DmarcInput::new().with_from_domain("example.com").with_spf("evil.example", true);
//! let out = DmarcVerifier::new().verify(&dns, &input).await;
//! assert_eq!(out.result(), DmarcResult::Fail);
//! assert_eq!(out.disposition(), Policy::Reject);
//! assert_eq!(
//!     out.to_method_result().to_string(),
//!     "dmarc=fail header.from=example.com policy.dmarc=reject"
//! );
//! # });
//! ```

mod record;

pub use record::{Alignment, DmarcRecord, DmarcRecordError, FailureOption, Policy, Psd, ReportUri};

use crate::authres::MethodResult;
use mailsec_dns::{DnsError, RecordType, Resolver};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// The most DNS queries one tree walk makes (RFC 9989 section 4.10).
pub const MAX_TREE_WALK_QUERIES: usize = 8;

/// The most `_dmarc` queries one evaluation makes before further
/// identifiers needing a tree walk are taken as not aligned.
pub const MAX_ALIGNMENT_QUERIES: usize = 40;

/// The most distinct RFC5322.From domains evaluated; the others get
/// `permerror` (a receiver may well reject such a message outright).
pub const MAX_FROM_DOMAINS: usize = 8;

/// Why a DMARC lookup could not be answered.
///
/// [`DmarcVerifier::verify`] never returns it (such failures are the
/// `temperror` and `permerror` verdicts); [`DmarcVerifier::organizational_domain`] does.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum DmarcError {
    /// The name is not a usable domain name.
    #[error("invalid domain name {0:?}")]
    InvalidDomain(String),
    /// A DNS query failed temporarily.
    #[error("DNS error for {name}: {source}")]
    Dns {
        /// The name asked.
        name: String,
        /// The resolver's error.
        #[source]
        source: Arc<DnsError>,
    },
}

/// The DMARC result words (RFC 8601 / RFC 9989).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DmarcResult {
    /// An aligned identifier passed.
    Pass,
    /// A policy was found and no aligned identifier passed.
    Fail,
    /// No DMARC policy applies.
    None,
    /// A transient error (DNS) stopped the evaluation.
    TempError,
    /// A permanent error: a malformed policy record or an unusable From domain.
    PermError,
}

impl DmarcResult {
    /// The RFC word.
    pub fn as_str(self) -> &'static str {
        match self {
            DmarcResult::Pass => "pass",
            DmarcResult::Fail => "fail",
            DmarcResult::None => "none",
            DmarcResult::TempError => "temperror",
            DmarcResult::PermError => "permerror",
        }
    }
}

impl fmt::Display for DmarcResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The domain SPF evaluated (MAIL FROM, or HELO when MAIL FROM was null)
/// and whether SPF passed for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpfIdentity<'a> {
    /// The domain.
    pub domain: &'a str,
    /// SPF result was `pass`.
    pub passed: bool,
}

/// The `d=` domain of one DKIM signature and whether it verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DkimIdentity<'a> {
    /// The signing domain.
    pub domain: &'a str,
    /// The signature verified (`pass`).
    pub passed: bool,
}

/// What DMARC needs to know about a message; plain data, so any SPF or DKIM
/// implementation can feed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DmarcInput<'a> {
    /// The RFC5322.From domains (one per From address; usually one).
    pub from_domains: Vec<&'a str>,
    /// The SPF-checked identity, when SPF was run.
    pub spf: Option<SpfIdentity<'a>>,
    /// Every DKIM signature's domain and verdict.
    pub dkim: Vec<DkimIdentity<'a>>,
}

impl<'a> DmarcInput<'a> {
    /// An empty input.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an RFC5322.From domain.
    #[must_use]
    pub fn with_from_domain(mut self, domain: &'a str) -> Self {
        self.from_domains.push(domain);
        self
    }

    /// Adds the domain of an RFC5322.From address (`user@example.com`, with
    /// or without angle brackets). Text without `@` is taken as a domain; an
    /// empty domain (`user@`) gives `permerror`.
    #[must_use]
    pub fn with_from_address(self, address: &'a str) -> Self {
        let a = address.trim().trim_start_matches('<').trim_end_matches('>');
        let domain = a.rsplit_once('@').map_or(a, |(_, d)| d);
        self.with_from_domain(domain)
    }

    /// Sets the SPF identity and whether SPF passed.
    #[must_use]
    pub fn with_spf(mut self, domain: &'a str, passed: bool) -> Self {
        self.spf = Some(SpfIdentity { domain, passed });
        self
    }

    /// Adds a DKIM signature's `d=` domain and whether it verified.
    #[must_use]
    pub fn with_dkim(mut self, domain: &'a str, passed: bool) -> Self {
        self.dkim.push(DkimIdentity { domain, passed });
        self
    }
}

/// Which rules the verifier follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DmarcMode {
    /// RFC 9989: DNS tree walk, `psd`, `np`, `t`; `pct` ignored.
    #[default]
    Rfc9989,
    /// RFC 7489: public suffix list, `pct` sampling; `psd`, `np` ignored.
    Rfc7489,
}

/// Which tag of the record gave the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PolicySource {
    /// `p=` (the record is the author domain's own, or `sp`/`np` were absent).
    P,
    /// `sp=` (the author domain is a subdomain of the policy domain).
    Sp,
    /// `np=` (the author domain does not exist).
    Np,
}

/// A caller-supplied random source for `pct=`: each call returns a number
/// in `0..100` (larger values are taken modulo 100).
pub type PercentSource = Arc<dyn Fn() -> u8 + Send + Sync>;

/// The DMARC evaluator. Cheap to build; holds only configuration.
#[derive(Clone, Default)]
pub struct DmarcVerifier {
    mode: DmarcMode,
    random: Option<PercentSource>,
}

impl fmt::Debug for DmarcVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DmarcVerifier")
            .field("mode", &self.mode)
            .field("random", &self.random.is_some())
            .finish()
    }
}

/// The verdict for one RFC5322.From domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainVerdict {
    from_domain: String,
    result: DmarcResult,
    record: Option<DmarcRecord>,
    policy_domain: Option<String>,
    organizational_domain: Option<String>,
    policy: Option<Policy>,
    policy_source: Option<PolicySource>,
    disposition: Policy,
    testing: bool,
    sampled_out: bool,
    spf_aligned: bool,
    dkim_aligned: Option<String>,
    reason: Option<String>,
}

impl DomainVerdict {
    fn new(from_domain: &str, result: DmarcResult, reason: Option<String>) -> Self {
        DomainVerdict {
            from_domain: from_domain.to_string(),
            result,
            record: None,
            policy_domain: None,
            organizational_domain: None,
            policy: None,
            policy_source: None,
            disposition: Policy::None,
            testing: false,
            sampled_out: false,
            spf_aligned: false,
            dkim_aligned: None,
            reason,
        }
    }

    /// The RFC5322.From domain (lower case).
    pub fn from_domain(&self) -> &str {
        &self.from_domain
    }

    /// The result for this domain.
    pub fn result(&self) -> DmarcResult {
        self.result
    }

    /// The policy record that applied.
    pub fn record(&self) -> Option<&DmarcRecord> {
        self.record.as_ref()
    }

    /// Where the record was found (the author, Organizational or Public Suffix Domain).
    pub fn policy_domain(&self) -> Option<&str> {
        self.policy_domain.as_deref()
    }

    /// The Organizational Domain of the From domain, when determined.
    pub fn organizational_domain(&self) -> Option<&str> {
        self.organizational_domain.as_deref()
    }

    /// The policy the domain owner requests for this message (`p`, `sp` or `np`).
    pub fn policy(&self) -> Option<Policy> {
        self.policy
    }

    /// Which tag [`DomainVerdict::policy`] came from.
    pub fn policy_source(&self) -> Option<PolicySource> {
        self.policy_source
    }

    /// What to do with the message: the policy on `fail`, unless `t=y` or
    /// `pct` sampling lowered it; `none` otherwise.
    pub fn disposition(&self) -> Policy {
        self.disposition
    }

    /// The record had `t=y`.
    pub fn testing(&self) -> bool {
        self.testing
    }

    /// RFC 7489 mode: `pct` sampling left this message out, so the policy was lowered one step.
    pub fn sampled_out(&self) -> bool {
        self.sampled_out
    }

    /// SPF passed for an aligned domain.
    pub fn spf_aligned(&self) -> bool {
        self.spf_aligned
    }

    /// The first passing DKIM domain that aligned, if any.
    pub fn dkim_aligned(&self) -> Option<&str> {
        self.dkim_aligned.as_deref()
    }

    /// Why the result is `none`, `temperror` or `permerror`, when there is a reason.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// Whether the domain asks for a failure report about this message: the
    /// record has a `ruf=` address and one of its `fo=` options matches
    /// (`0`: DMARC failed; `1`: SPF or DKIM gave no aligned pass; `d`: a DKIM
    /// signature failed; `s`: SPF failed). Only `pass` and `fail` verdicts
    /// can ask.
    pub fn wants_failure_report(&self, input: &DmarcInput<'_>) -> bool {
        let Some(record) = &self.record else {
            return false;
        };
        if record.ruf().is_empty() || !matches!(self.result, DmarcResult::Pass | DmarcResult::Fail)
        {
            return false;
        }
        record.fo().iter().any(|o| match o {
            FailureOption::All => self.result == DmarcResult::Fail,
            FailureOption::Any => !self.spf_aligned || self.dkim_aligned.is_none(),
            FailureOption::Dkim => input.dkim.iter().any(|d| !d.passed),
            FailureOption::Spf => input.spf.is_some_and(|s| !s.passed),
        })
    }
}

/// The DMARC outcome for a message (all its From domains).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcOutput {
    result: DmarcResult,
    disposition: Policy,
    verdicts: Vec<DomainVerdict>,
    reason: Option<String>,
}

impl DmarcOutput {
    /// The message's result: `fail` if any From domain failed, then
    /// `temperror`, `permerror`, `pass`, and `none` when no policy applied.
    pub fn result(&self) -> DmarcResult {
        self.result
    }

    /// The strictest disposition over all From domains.
    pub fn disposition(&self) -> Policy {
        self.disposition
    }

    /// One verdict per distinct From domain.
    pub fn verdicts(&self) -> &[DomainVerdict] {
        &self.verdicts
    }

    /// The verdict that decided the result (the first with the message's result).
    pub fn decisive(&self) -> Option<&DomainVerdict> {
        self.verdicts.iter().find(|v| v.result == self.result)
    }

    /// The requested policy of the decisive verdict.
    pub fn policy(&self) -> Option<Policy> {
        self.decisive().and_then(|v| v.policy)
    }

    /// Whether the decisive verdict's record had `t=y`.
    pub fn testing(&self) -> bool {
        self.decisive().is_some_and(|v| v.testing)
    }

    /// The result as an Authentication-Results entry:
    /// `dmarc=<result> header.from=<domain> policy.dmarc=<disposition>`.
    pub fn to_method_result(&self) -> MethodResult {
        let mut m = MethodResult::new("dmarc", self.result.as_str());
        let reason = self
            .reason
            .as_deref()
            .or_else(|| self.decisive().and_then(|v| v.reason.as_deref()));
        if let Some(r) = reason {
            m = m.with_reason(r);
        }
        if let Some(v) = self.decisive() {
            m = m.with_property("header", "from", v.from_domain.as_str());
            if v.policy.is_some() {
                m = m.with_property("policy", "dmarc", v.disposition.as_str());
            }
        }
        m
    }
}

/// Outcome of fetching `_dmarc.<domain>`.
#[derive(Debug, Clone)]
enum Fetched {
    Record(Box<DmarcRecord>),
    /// No record (no answer, no DMARC string, several DMARC strings).
    Absent(Option<&'static str>),
    Invalid(String),
    TempFail(DmarcError),
}

/// One evaluation's DNS state: each `_dmarc` name is asked at most once.
struct Session<'r> {
    resolver: &'r dyn Resolver,
    cache: HashMap<String, Fetched>,
    orgs: HashMap<String, Result<String, DmarcError>>,
    queries: usize,
}

impl<'r> Session<'r> {
    async fn fetch(&mut self, domain: &str) -> Fetched {
        if let Some(f) = self.cache.get(domain) {
            return f.clone();
        }
        let name = format!("_dmarc.{domain}");
        self.queries += 1;
        let fetched = match self.resolver.txt(&name).await {
            Err(e) if e.is_temporary() => Fetched::TempFail(DmarcError::Dns {
                name: name.clone(),
                source: Arc::new(e),
            }),
            Err(_) => Fetched::Absent(None),
            Ok(answer) => {
                let texts: Vec<String> = answer
                    .records()
                    .iter()
                    .map(|t| t.to_string_lossy())
                    .filter(|t| record::looks_like_dmarc(t))
                    .collect();
                match texts.as_slice() {
                    [] => Fetched::Absent(None),
                    [one] => match DmarcRecord::parse(one) {
                        Ok(r) => Fetched::Record(Box::new(r)),
                        Err(e) => Fetched::Invalid(format!("{name}: {e}")),
                    },
                    _ => Fetched::Absent(Some("multiple DMARC records")),
                }
            }
        };
        self.cache.insert(domain.to_string(), fetched.clone());
        fetched
    }

    /// RFC 9989 section 4.10: the DNS tree walk for the Organizational Domain.
    /// `Ok(None)` when no DMARC record exists anywhere on the path.
    async fn tree_walk(&mut self, domain: &str) -> Result<WalkOutcome, DmarcError> {
        let labels: Vec<&str> = domain.split('.').collect();
        let total = labels.len();
        let mut count = total;
        let mut last_found: Option<(String, DmarcRecord)> = None;
        let mut queries = 0;
        while count >= 1 && queries < MAX_TREE_WALK_QUERIES {
            let target = labels.get(total - count..).unwrap_or(&[]).join(".");
            queries += 1;
            match self.fetch(&target).await {
                Fetched::TempFail(e) => return Err(e),
                Fetched::Record(r) => match r.psd() {
                    Psd::No => {
                        return Ok(WalkOutcome {
                            org: Some(target.clone()),
                            org_record: Some((target, *r)),
                            psd_record: None,
                        });
                    }
                    Psd::Yes if count < total => {
                        let org = labels.get(total - count - 1..).unwrap_or(&[]).join(".");
                        let org_record = match self.fetch(&org).await {
                            Fetched::Record(o) => Some((org.clone(), *o)),
                            _ => None,
                        };
                        return Ok(WalkOutcome {
                            org: Some(org),
                            org_record,
                            psd_record: Some((target, *r)),
                        });
                    }
                    _ => last_found = Some((target, *r)),
                },
                Fetched::Absent(_) | Fetched::Invalid(_) => {}
            }
            count = if count >= 8 { 7 } else { count - 1 };
        }
        Ok(WalkOutcome {
            org: last_found.as_ref().map(|(d, _)| d.clone()),
            org_record: last_found,
            psd_record: None,
        })
    }

    async fn org_domain(&mut self, mode: DmarcMode, domain: &str) -> Result<String, DmarcError> {
        if let Some(o) = self.orgs.get(domain) {
            return o.clone();
        }
        let org = match mode {
            DmarcMode::Rfc7489 => Ok(psl_org_domain(domain)),
            DmarcMode::Rfc9989 => self
                .tree_walk(domain)
                .await
                .map(|w| w.org.unwrap_or_else(|| domain.to_string())),
        };
        self.orgs.insert(domain.to_string(), org.clone());
        org
    }

    /// Is `other` aligned with `from` under `mode`? `Err` on a DNS failure.
    async fn aligned(
        &mut self,
        mode: DmarcMode,
        alignment: Alignment,
        from: &str,
        other: &str,
    ) -> Result<bool, DmarcError> {
        if from == other {
            return Ok(true);
        }
        if alignment == Alignment::Strict {
            return Ok(false);
        }
        // Two Organizational Domains can only be equal if the names share a suffix.
        if from.rsplit('.').next() != other.rsplit('.').next() {
            return Ok(false);
        }
        // A message can carry any number of passing signatures from domains
        // of the sender's choosing: past the budget, an identifier whose
        // Organizational Domain is not known yet does not align (a `fail`,
        // never a `temperror` the sender could use to dodge the policy).
        if mode == DmarcMode::Rfc9989
            && !self.orgs.contains_key(other)
            && self.queries >= MAX_ALIGNMENT_QUERIES
        {
            return Ok(false);
        }
        let a = self.org_domain(mode, from).await?;
        let b = self.org_domain(mode, other).await?;
        Ok(a == b)
    }

    /// RFC 9989 `np`: a domain is non-existent when A, AAAA and MX all answer NXDOMAIN.
    async fn nonexistent(&self, domain: &str) -> bool {
        for t in [RecordType::A, RecordType::Aaaa, RecordType::Mx] {
            match self.resolver.lookup(domain, t).await {
                Err(DnsError::NxDomain { .. }) => {}
                _ => return false,
            }
        }
        true
    }
}

struct WalkOutcome {
    org: Option<String>,
    org_record: Option<(String, DmarcRecord)>,
    psd_record: Option<(String, DmarcRecord)>,
}

/// The RFC 7489 Organizational Domain: the registrable domain by the public
/// suffix list, or the name itself when it is a public suffix.
pub fn psl_org_domain(domain: &str) -> String {
    let d = normalize_domain(domain).unwrap_or_else(|| domain.to_ascii_lowercase());
    psl::domain_str(&d).map(str::to_string).unwrap_or(d)
}

/// Lower-cases a domain, drops one trailing dot, checks label syntax loosely
/// (non-empty labels of at most 63 bytes, no white space or control characters).
fn normalize_domain(domain: &str) -> Option<String> {
    let d = domain.trim();
    let d = d.strip_suffix('.').unwrap_or(d).to_lowercase();
    if d.is_empty() || d.len() > 253 {
        return None;
    }
    let ok = d.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "@;,\"\\()<>[]".contains(c))
    });
    ok.then_some(d)
}

impl DmarcVerifier {
    /// An RFC 9989 verifier.
    pub fn new() -> Self {
        Self::default()
    }

    /// An RFC 7489 verifier: PSL Organizational Domains and `pct` sampling.
    pub fn rfc7489() -> Self {
        DmarcVerifier {
            mode: DmarcMode::Rfc7489,
            random: None,
        }
    }

    /// Sets the mode.
    #[must_use]
    pub fn with_mode(mut self, mode: DmarcMode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the random source for `pct` (RFC 7489 mode). Without one, every
    /// message is taken as sampled in (as if the source returned 0), so
    /// `pct=0` lowers the policy and any other `pct` applies it.
    #[must_use]
    pub fn with_random(mut self, random: impl Fn() -> u8 + Send + Sync + 'static) -> Self {
        self.random = Some(Arc::new(random));
        self
    }

    /// The mode.
    pub fn mode(&self) -> DmarcMode {
        self.mode
    }

    /// The Organizational Domain of `domain` by this verifier's rules
    /// (the tree walk or the public suffix list). `Err` carries the DNS
    /// failure that stopped the tree walk.
    pub async fn organizational_domain(
        &self,
        resolver: &dyn Resolver,
        domain: &str,
    ) -> Result<String, DmarcError> {
        let Some(d) = normalize_domain(domain) else {
            return Err(DmarcError::InvalidDomain(domain.to_string()));
        };
        let mut s = Session {
            resolver,
            cache: HashMap::new(),
            orgs: HashMap::new(),
            queries: 0,
        };
        s.org_domain(self.mode, &d).await
    }

    /// Evaluates DMARC for a message.
    pub async fn verify(&self, resolver: &dyn Resolver, input: &DmarcInput<'_>) -> DmarcOutput {
        let mut session = Session {
            resolver,
            cache: HashMap::new(),
            orgs: HashMap::new(),
            queries: 0,
        };
        let mut domains: Vec<String> = Vec::new();
        let mut verdicts = Vec::new();
        for raw in &input.from_domains {
            match normalize_domain(raw) {
                Some(d) => {
                    if !domains.contains(&d) {
                        domains.push(d);
                    }
                }
                None => verdicts.push(DomainVerdict::new(
                    raw,
                    DmarcResult::PermError,
                    Some("invalid RFC5322.From domain".into()),
                )),
            }
        }
        if domains.is_empty() && verdicts.is_empty() {
            return DmarcOutput {
                result: DmarcResult::PermError,
                disposition: Policy::None,
                verdicts,
                reason: Some("no RFC5322.From domain".into()),
            };
        }
        for (i, d) in domains.iter().enumerate() {
            if i < MAX_FROM_DOMAINS {
                verdicts.push(self.verify_domain(&mut session, d, input).await);
            } else {
                verdicts.push(DomainVerdict::new(
                    d,
                    DmarcResult::PermError,
                    Some(format!("more than {MAX_FROM_DOMAINS} From domains")),
                ));
            }
        }
        let rank = |r: DmarcResult| match r {
            DmarcResult::Fail => 0,
            DmarcResult::TempError => 1,
            DmarcResult::PermError => 2,
            DmarcResult::Pass => 3,
            DmarcResult::None => 4,
        };
        let result = verdicts
            .iter()
            .map(|v| v.result)
            .min_by_key(|r| rank(*r))
            .unwrap_or(DmarcResult::None);
        let disposition = verdicts
            .iter()
            .map(|v| v.disposition)
            .max()
            .unwrap_or(Policy::None);
        DmarcOutput {
            result,
            disposition,
            verdicts,
            reason: None,
        }
    }

    async fn verify_domain(
        &self,
        s: &mut Session<'_>,
        from: &str,
        input: &DmarcInput<'_>,
    ) -> DomainVerdict {
        // 1. Policy discovery.
        let (policy_domain, record, org) = match s.fetch(from).await {
            Fetched::TempFail(e) => {
                return DomainVerdict::new(from, DmarcResult::TempError, Some(e.to_string()));
            }
            Fetched::Invalid(e) => {
                return DomainVerdict::new(from, DmarcResult::PermError, Some(e));
            }
            Fetched::Record(r) => (from.to_string(), *r, None),
            Fetched::Absent(why) => {
                let found = match self.mode {
                    DmarcMode::Rfc7489 => {
                        let org = psl_org_domain(from);
                        if org == from {
                            None
                        } else {
                            match s.fetch(&org).await {
                                Fetched::TempFail(e) => {
                                    return DomainVerdict::new(
                                        from,
                                        DmarcResult::TempError,
                                        Some(e.to_string()),
                                    );
                                }
                                Fetched::Invalid(e) => {
                                    return DomainVerdict::new(
                                        from,
                                        DmarcResult::PermError,
                                        Some(e),
                                    );
                                }
                                Fetched::Record(r) => Some((org.clone(), *r, Some(org))),
                                Fetched::Absent(_) => None,
                            }
                        }
                    }
                    DmarcMode::Rfc9989 => match s.tree_walk(from).await {
                        Err(e) => {
                            return DomainVerdict::new(
                                from,
                                DmarcResult::TempError,
                                Some(e.to_string()),
                            );
                        }
                        Ok(w) => match (w.org_record, w.psd_record) {
                            (Some((d, r)), _) => Some((d, r, w.org)),
                            (None, Some((d, r))) => Some((d, r, w.org)),
                            (None, None) => None,
                        },
                    },
                };
                match found {
                    Some(f) => f,
                    None => {
                        return DomainVerdict::new(
                            from,
                            DmarcResult::None,
                            Some(why.unwrap_or("no DMARC record").to_string()),
                        );
                    }
                }
            }
        };
        if let Some(o) = &org {
            s.orgs.insert(from.to_string(), Ok(o.clone()));
        }

        let mut v = DomainVerdict::new(from, DmarcResult::Fail, None);
        // RFC 7489 section 6.6.3: an absent or invalid p= counts as none only
        // when there is a usable rua=; otherwise no DMARC processing.
        if self.mode == DmarcMode::Rfc7489 && record.p().is_none() && record.rua().is_empty() {
            v.result = DmarcResult::None;
            v.reason = Some("record without a valid p= or rua=".into());
            v.policy_domain = Some(policy_domain);
            v.record = Some(record);
            return v;
        }

        // 2. The policy requested for this domain.
        let (policy, source) = if policy_domain == from {
            (record.policy(), PolicySource::P)
        } else if self.mode == DmarcMode::Rfc9989
            && record.np().is_some()
            && s.nonexistent(from).await
        {
            (record.nonexistent_policy(), PolicySource::Np)
        } else if record.sp().is_some() {
            (record.subdomain_policy(), PolicySource::Sp)
        } else {
            (record.policy(), PolicySource::P)
        };
        v.policy = Some(policy);
        v.policy_source = Some(source);
        v.testing = record.testing();

        // 3. Identifier alignment.
        let mut temp: Option<String> = None;
        let mut pending = |r: Result<bool, DmarcError>| match r {
            Ok(b) => b,
            Err(e) => {
                temp.get_or_insert(e.to_string());
                false
            }
        };
        // SPF first: one identifier, so the DKIM list cannot use up the query budget before it.
        if let Some(spf) = input.spf.filter(|s| s.passed)
            && let Some(d) = normalize_domain(spf.domain)
        {
            v.spf_aligned = pending(s.aligned(self.mode, record.aspf(), from, &d).await);
        }
        for dk in input.dkim.iter().filter(|d| d.passed) {
            let Some(d) = normalize_domain(dk.domain) else {
                continue;
            };
            if pending(s.aligned(self.mode, record.adkim(), from, &d).await) {
                v.dkim_aligned = Some(d);
                break;
            }
        }
        v.organizational_domain = s.orgs.get(from).and_then(|o| o.clone().ok());
        if v.organizational_domain.is_none() && self.mode == DmarcMode::Rfc7489 {
            v.organizational_domain = Some(psl_org_domain(from));
        }

        v.result = if v.dkim_aligned.is_some() || v.spf_aligned {
            DmarcResult::Pass
        } else if let Some(e) = temp {
            v.reason = Some(e);
            DmarcResult::TempError
        } else {
            DmarcResult::Fail
        };

        // 4. The disposition.
        if v.result == DmarcResult::Fail {
            let mut d = policy;
            if self.mode == DmarcMode::Rfc7489
                && let Some(pct) = record.pct().filter(|p| *p < 100)
                && self.random.as_ref().map_or(0, |r| r() % 100) >= pct
            {
                v.sampled_out = true;
                d = d.downgrade();
            }
            if record.testing() {
                d = Policy::None;
            }
            v.disposition = d;
        }
        v.policy_domain = Some(policy_domain);
        v.record = Some(record);
        v
    }
}
