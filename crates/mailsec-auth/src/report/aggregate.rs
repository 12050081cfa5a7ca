//! DMARC aggregate reports (RFC 9990, and the RFC 7489 appendix C form).

use super::ReportError;
use super::xml::{self, Element, Writer};
use crate::dmarc::{Alignment, DmarcRecord, DomainVerdict, Policy};
use std::fmt;
use std::net::IpAddr;

/// The XML namespace of RFC 9990 reports.
pub const RFC9990_NAMESPACE: &str = "urn:ietf:params:xml:ns:dmarc-2.0";

/// Which schema [`AggregateReport::to_xml`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ReportFormat {
    /// RFC 9990 (DMARCbis aggregate reporting): namespaced, `np`, `testing`,
    /// `discovery_method`, `generator`, `envelope_from`.
    #[default]
    Rfc9990,
    /// RFC 7489 appendix C: no namespace, `pct`, no `np`/`testing`, and
    /// only the RFC 7489 words.
    Rfc7489,
}

/// An authentication result word in a report (`none`, `pass`, `fail`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthWord {
    /// `none`
    None,
    /// `pass`
    Pass,
    /// `fail`
    Fail,
    /// `softfail` (SPF)
    SoftFail,
    /// `neutral`
    Neutral,
    /// `policy`
    Policy,
    /// `temperror`
    TempError,
    /// `permerror`
    PermError,
    /// A word outside the schema, kept lower-cased.
    Other(String),
}

impl AuthWord {
    /// Parses a word, case-insensitively (`temperror` also as `temperr`/`error`).
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => AuthWord::None,
            "pass" => AuthWord::Pass,
            "fail" | "hardfail" => AuthWord::Fail,
            "softfail" => AuthWord::SoftFail,
            "neutral" => AuthWord::Neutral,
            "policy" => AuthWord::Policy,
            "temperror" | "temperr" => AuthWord::TempError,
            "permerror" | "permerr" => AuthWord::PermError,
            other => AuthWord::Other(other.to_string()),
        }
    }

    /// The schema word.
    pub fn as_str(&self) -> &str {
        match self {
            AuthWord::None => "none",
            AuthWord::Pass => "pass",
            AuthWord::Fail => "fail",
            AuthWord::SoftFail => "softfail",
            AuthWord::Neutral => "neutral",
            AuthWord::Policy => "policy",
            AuthWord::TempError => "temperror",
            AuthWord::PermError => "permerror",
            AuthWord::Other(s) => s,
        }
    }
}

impl fmt::Display for AuthWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The action the receiver took (`policy_evaluated/disposition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Disposition {
    /// `none`
    #[default]
    None,
    /// `pass` (RFC 9990: DMARC passed)
    Pass,
    /// `quarantine`
    Quarantine,
    /// `reject`
    Reject,
}

impl Disposition {
    fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Some(Disposition::None),
            "pass" => Some(Disposition::Pass),
            "quarantine" => Some(Disposition::Quarantine),
            "reject" => Some(Disposition::Reject),
            _ => None,
        }
    }

    /// The schema word.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::None => "none",
            Disposition::Pass => "pass",
            Disposition::Quarantine => "quarantine",
            Disposition::Reject => "reject",
        }
    }
}

impl From<Policy> for Disposition {
    fn from(p: Policy) -> Self {
        match p {
            Policy::None => Disposition::None,
            Policy::Quarantine => Disposition::Quarantine,
            Policy::Reject => Disposition::Reject,
        }
    }
}

/// Why the receiver's action differs from the domain's policy.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OverrideType {
    /// `local_policy`
    LocalPolicy,
    /// `mailing_list`
    MailingList,
    /// `other`
    Other,
    /// `policy_test_mode` (RFC 9990, `t=y`)
    PolicyTestMode,
    /// `trusted_forwarder`
    TrustedForwarder,
    /// `forwarded` (RFC 7489)
    Forwarded,
    /// `sampled_out` (RFC 7489, `pct`)
    SampledOut,
    /// A type outside both schemas, lower-cased.
    Unknown(String),
}

impl OverrideType {
    fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "local_policy" => OverrideType::LocalPolicy,
            "mailing_list" => OverrideType::MailingList,
            "other" => OverrideType::Other,
            "policy_test_mode" => OverrideType::PolicyTestMode,
            "trusted_forwarder" => OverrideType::TrustedForwarder,
            "forwarded" => OverrideType::Forwarded,
            "sampled_out" => OverrideType::SampledOut,
            o => OverrideType::Unknown(o.to_string()),
        }
    }

    /// The schema word.
    pub fn as_str(&self) -> &str {
        match self {
            OverrideType::LocalPolicy => "local_policy",
            OverrideType::MailingList => "mailing_list",
            OverrideType::Other => "other",
            OverrideType::PolicyTestMode => "policy_test_mode",
            OverrideType::TrustedForwarder => "trusted_forwarder",
            OverrideType::Forwarded => "forwarded",
            OverrideType::SampledOut => "sampled_out",
            OverrideType::Unknown(s) => s,
        }
    }
}

/// How the Organizational Domain was found (RFC 9990 `discovery_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DiscoveryMethod {
    /// `psl`: the public suffix list (RFC 7489).
    Psl,
    /// `treewalk`: the DNS tree walk (RFC 9989).
    TreeWalk,
}

/// `report_metadata`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ReportMetadata {
    /// The reporting organisation.
    pub org_name: String,
    /// Its contact address.
    pub email: String,
    /// More contact information.
    pub extra_contact_info: Option<String>,
    /// The report's unique id.
    pub report_id: String,
    /// Start of the period, seconds since the Unix epoch.
    pub begin: u64,
    /// End of the period, seconds since the Unix epoch.
    pub end: u64,
    /// Errors the reporter met.
    pub errors: Vec<String>,
    /// The generating software (RFC 9990).
    pub generator: Option<String>,
}

/// `policy_published`: the record the reporter found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PolicyPublished {
    /// The domain the record was found at.
    pub domain: String,
    /// `p=`
    pub p: Option<Policy>,
    /// `sp=`
    pub sp: Option<Policy>,
    /// `np=` (RFC 9990)
    pub np: Option<Policy>,
    /// `adkim=`
    pub adkim: Option<Alignment>,
    /// `aspf=`
    pub aspf: Option<Alignment>,
    /// `pct=` (RFC 7489)
    pub pct: Option<u8>,
    /// `fo=` as written.
    pub fo: Option<String>,
    /// `t=` (RFC 9990 `testing`).
    pub testing: Option<bool>,
    /// RFC 9990 `discovery_method`.
    pub discovery_method: Option<DiscoveryMethod>,
}

impl PolicyPublished {
    /// The `policy_published` block for a record found at `domain`.
    pub fn from_record(domain: &str, record: &DmarcRecord, discovery: DiscoveryMethod) -> Self {
        let fo: Vec<&str> = record.fo().iter().map(|o| o.as_str()).collect();
        PolicyPublished {
            domain: domain.to_string(),
            p: Some(record.policy()),
            sp: record.sp(),
            np: record.np(),
            adkim: Some(record.adkim()),
            aspf: Some(record.aspf()),
            pct: record.pct(),
            fo: Some(fo.join(":")),
            testing: Some(record.testing()),
            discovery_method: Some(discovery),
        }
    }
}

/// One `reason` of `policy_evaluated`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct OverrideReason {
    /// The kind of override.
    pub kind: OverrideType,
    /// A free-text comment.
    pub comment: Option<String>,
}

impl OverrideReason {
    /// A reason with an optional comment.
    pub fn new(kind: OverrideType, comment: Option<String>) -> Self {
        OverrideReason { kind, comment }
    }
}

/// One DKIM result of `auth_results`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DkimAuthResult {
    /// `d=`
    pub domain: String,
    /// `s=`
    pub selector: Option<String>,
    /// The verification result.
    pub result: AuthWord,
    /// Free text.
    pub human_result: Option<String>,
}

impl DkimAuthResult {
    /// A DKIM result.
    pub fn new(domain: impl Into<String>, selector: Option<String>, result: AuthWord) -> Self {
        DkimAuthResult {
            domain: domain.into(),
            selector,
            result,
            human_result: None,
        }
    }
}

/// One SPF result of `auth_results`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SpfAuthResult {
    /// The checked domain.
    pub domain: String,
    /// `mfrom` or `helo`.
    pub scope: Option<String>,
    /// The SPF result.
    pub result: AuthWord,
    /// Free text.
    pub human_result: Option<String>,
}

impl SpfAuthResult {
    /// An SPF result for the `mfrom` scope.
    pub fn new(domain: impl Into<String>, result: AuthWord) -> Self {
        SpfAuthResult {
            domain: domain.into(),
            scope: Some("mfrom".into()),
            result,
            human_result: None,
        }
    }
}

/// One `record`: a group of messages from one source with the same outcome.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ReportRecord {
    /// The connecting IP.
    pub source_ip: IpAddr,
    /// How many messages.
    pub count: u64,
    /// What the receiver did.
    pub disposition: Disposition,
    /// DMARC-aligned DKIM result (`pass`/`fail`).
    pub dkim: AuthWord,
    /// DMARC-aligned SPF result (`pass`/`fail`).
    pub spf: AuthWord,
    /// Override reasons.
    pub reasons: Vec<OverrideReason>,
    /// RFC5322.From domain.
    pub header_from: String,
    /// RFC5321.MailFrom domain.
    pub envelope_from: Option<String>,
    /// RFC5321.RcptTo domain.
    pub envelope_to: Option<String>,
    /// Raw DKIM results.
    pub dkim_results: Vec<DkimAuthResult>,
    /// Raw SPF results.
    pub spf_results: Vec<SpfAuthResult>,
}

impl ReportRecord {
    /// A record of one message from `source_ip` with `header_from`, DMARC
    /// results `fail`, disposition `none`.
    pub fn new(source_ip: IpAddr, header_from: impl Into<String>) -> Self {
        ReportRecord {
            source_ip,
            count: 1,
            disposition: Disposition::None,
            dkim: AuthWord::Fail,
            spf: AuthWord::Fail,
            reasons: Vec::new(),
            header_from: header_from.into(),
            envelope_from: None,
            envelope_to: None,
            dkim_results: Vec::new(),
            spf_results: Vec::new(),
        }
    }

    /// A record of one message from a DMARC verdict: disposition, the aligned
    /// DKIM/SPF results and the `policy_test_mode` / `sampled_out` reasons.
    /// Add the raw results to `dkim_results` / `spf_results`.
    pub fn from_verdict(source_ip: IpAddr, verdict: &DomainVerdict) -> Self {
        let mut r = ReportRecord::new(source_ip, verdict.from_domain());
        r.dkim = if verdict.dkim_aligned().is_some() {
            AuthWord::Pass
        } else {
            AuthWord::Fail
        };
        r.spf = if verdict.spf_aligned() {
            AuthWord::Pass
        } else {
            AuthWord::Fail
        };
        r.disposition = verdict.disposition().into();
        if verdict.testing() && verdict.policy().is_some_and(|p| p != Policy::None) {
            r.reasons
                .push(OverrideReason::new(OverrideType::PolicyTestMode, None));
        }
        if verdict.sampled_out() {
            r.reasons
                .push(OverrideReason::new(OverrideType::SampledOut, None));
        }
        r
    }

    fn same_group(&self, other: &ReportRecord) -> bool {
        self.source_ip == other.source_ip
            && self.disposition == other.disposition
            && self.dkim == other.dkim
            && self.spf == other.spf
            && self.reasons == other.reasons
            && self.header_from == other.header_from
            && self.envelope_from == other.envelope_from
            && self.envelope_to == other.envelope_to
            && self.dkim_results == other.dkim_results
            && self.spf_results == other.spf_results
    }
}

/// A DMARC aggregate report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct AggregateReport {
    /// `version` as written (`1.0`, `2.0`, ...).
    pub version: Option<String>,
    /// `report_metadata`.
    pub metadata: ReportMetadata,
    /// `policy_published`.
    pub policy_published: PolicyPublished,
    /// The records.
    pub records: Vec<ReportRecord>,
}

impl AggregateReport {
    /// An empty report.
    pub fn new(metadata: ReportMetadata, policy_published: PolicyPublished) -> Self {
        AggregateReport {
            version: None,
            metadata,
            policy_published,
            records: Vec::new(),
        }
    }

    /// Adds a record, merging it into an existing one with the same source,
    /// identifiers and results (their counts add up).
    pub fn add_record(&mut self, record: ReportRecord) {
        match self.records.iter_mut().find(|r| r.same_group(&record)) {
            Some(r) => r.count = r.count.saturating_add(record.count),
            None => self.records.push(record),
        }
    }

    /// The number of messages the report covers.
    pub fn message_count(&self) -> u64 {
        self.records
            .iter()
            .fold(0u64, |a, r| a.saturating_add(r.count))
    }

    /// Writes the report as XML in the given form.
    pub fn to_xml(&self, format: ReportFormat) -> String {
        let bis = format == ReportFormat::Rfc9990;
        let mut w = Writer::new();
        if bis {
            w.open("feedback", &format!(" xmlns=\"{RFC9990_NAMESPACE}\""));
        } else {
            w.open("feedback", "");
        }
        w.leaf("version", self.version.as_deref().unwrap_or("1.0"));
        let m = &self.metadata;
        w.open("report_metadata", "");
        w.leaf("org_name", &m.org_name);
        w.leaf("email", &m.email);
        w.opt("extra_contact_info", m.extra_contact_info.as_deref());
        w.leaf("report_id", &m.report_id);
        w.open("date_range", "");
        w.leaf("begin", &m.begin.to_string());
        w.leaf("end", &m.end.to_string());
        w.close("date_range");
        for e in &m.errors {
            w.leaf("error", e);
        }
        if bis {
            w.opt("generator", m.generator.as_deref());
        }
        w.close("report_metadata");

        let p = &self.policy_published;
        w.open("policy_published", "");
        w.leaf("domain", &p.domain);
        if bis {
            w.leaf("p", p.p.unwrap_or(Policy::None).as_str());
            w.opt("sp", p.sp.map(Policy::as_str));
            w.opt("np", p.np.map(Policy::as_str));
            w.opt("adkim", p.adkim.map(Alignment::as_str));
            w.opt("aspf", p.aspf.map(Alignment::as_str));
            w.opt(
                "discovery_method",
                p.discovery_method.map(|d| match d {
                    DiscoveryMethod::Psl => "psl",
                    DiscoveryMethod::TreeWalk => "treewalk",
                }),
            );
            w.opt("fo", p.fo.as_deref());
            w.opt("testing", p.testing.map(|t| if t { "y" } else { "n" }));
        } else {
            w.opt("adkim", p.adkim.map(Alignment::as_str));
            w.opt("aspf", p.aspf.map(Alignment::as_str));
            w.leaf("p", p.p.unwrap_or(Policy::None).as_str());
            w.opt("sp", p.sp.map(Policy::as_str));
            w.leaf("pct", &p.pct.unwrap_or(100).to_string());
            w.opt("fo", p.fo.as_deref());
        }
        w.close("policy_published");

        for r in &self.records {
            w.open("record", "");
            w.open("row", "");
            w.leaf("source_ip", &r.source_ip.to_string());
            w.leaf("count", &r.count.to_string());
            w.open("policy_evaluated", "");
            let disposition = match (bis, r.disposition) {
                (false, Disposition::Pass) => Disposition::None,
                (_, d) => d,
            };
            w.leaf("disposition", disposition.as_str());
            w.leaf("dkim", dmarc_word(&r.dkim));
            w.leaf("spf", dmarc_word(&r.spf));
            for reason in &r.reasons {
                w.open("reason", "");
                let kind = match (bis, &reason.kind) {
                    (false, OverrideType::PolicyTestMode) => "other",
                    (true, OverrideType::Forwarded | OverrideType::SampledOut) => "other",
                    (_, OverrideType::Unknown(_)) => "other",
                    (_, k) => k.as_str(),
                };
                w.leaf("type", kind);
                w.opt("comment", reason.comment.as_deref());
                w.close("reason");
            }
            w.close("policy_evaluated");
            w.close("row");
            w.open("identifiers", "");
            if bis {
                w.leaf("header_from", &r.header_from);
                w.opt("envelope_from", r.envelope_from.as_deref());
                w.opt("envelope_to", r.envelope_to.as_deref());
            } else {
                w.opt("envelope_to", r.envelope_to.as_deref());
                w.leaf("header_from", &r.header_from);
            }
            w.close("identifiers");
            w.open("auth_results", "");
            for d in &r.dkim_results {
                w.open("dkim", "");
                w.leaf("domain", &d.domain);
                w.opt("selector", d.selector.as_deref());
                w.leaf("result", schema_word(&d.result));
                w.opt("human_result", d.human_result.as_deref());
                w.close("dkim");
            }
            for s in &r.spf_results {
                w.open("spf", "");
                w.leaf("domain", &s.domain);
                if bis {
                    w.opt("scope", s.scope.as_deref());
                } else {
                    w.leaf("scope", s.scope.as_deref().unwrap_or("mfrom"));
                }
                w.leaf("result", schema_word(&s.result));
                w.opt("human_result", s.human_result.as_deref());
                w.close("spf");
            }
            w.close("auth_results");
            w.close("record");
        }
        w.close("feedback");
        w.out
    }

    /// The report as gzip-compressed XML, ready to attach (`application/gzip`).
    pub fn to_gzip(&self, format: ReportFormat) -> Vec<u8> {
        use std::io::Write;
        let xml = self.to_xml(format);
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        // Writing to a Vec cannot fail.
        enc.write_all(xml.as_bytes())
            .and_then(|()| enc.finish())
            .unwrap_or_default()
    }

    /// The attachment file name RFC 9990 section 2.1 / RFC 7489 section 7.2.1.1
    /// give: `receiver!policy-domain!begin!end[!unique-id].xml.gz`.
    pub fn file_name(&self, receiver_domain: &str, unique_id: Option<&str>) -> String {
        let clean = |s: &str| -> String {
            s.chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
                .collect()
        };
        let mut name = format!(
            "{}!{}!{}!{}",
            clean(receiver_domain),
            clean(&self.policy_published.domain),
            self.metadata.begin,
            self.metadata.end
        );
        if let Some(u) = unique_id {
            name.push('!');
            name.push_str(&clean(u));
        }
        name.push_str(".xml.gz");
        name
    }

    /// Parses an aggregate report from XML. Both schemas (and the older
    /// drafts seen in the wild) are accepted; element names are matched
    /// without namespace prefix, words case-insensitively; invalid UTF-8 is
    /// replaced. Broken XML gives [`ReportError::Xml`] with its position.
    pub fn from_xml(bytes: &[u8]) -> Result<Self, ReportError> {
        let text = String::from_utf8_lossy(bytes);
        let root = xml::parse(text.trim_start_matches('\u{feff}'))?;
        if root.name != "feedback" {
            return Err(ReportError::NotAReport(format!(
                "root element is <{}>, not <feedback>",
                root.name
            )));
        }
        let meta = root
            .child("report_metadata")
            .ok_or(ReportError::Missing("report_metadata"))?;
        let range = meta
            .child("date_range")
            .ok_or(ReportError::Missing("date_range"))?;
        let metadata = ReportMetadata {
            org_name: meta.text_of("org_name").unwrap_or_default(),
            email: meta.text_of("email").unwrap_or_default(),
            extra_contact_info: meta.text_of("extra_contact_info"),
            report_id: meta
                .child("report_id")
                .map(|e| e.text.trim().to_string())
                .ok_or(ReportError::Missing("report_id"))?,
            begin: number(range, "begin")?,
            end: number(range, "end")?,
            errors: meta
                .children_named("error")
                .map(|e| e.text.trim().to_string())
                .filter(|e| !e.is_empty())
                .collect(),
            generator: meta.text_of("generator"),
        };
        let pp = root
            .child("policy_published")
            .ok_or(ReportError::Missing("policy_published"))?;
        let policy_published = PolicyPublished {
            domain: pp
                .child("domain")
                .map(|e| e.text.trim().to_string())
                .ok_or(ReportError::Missing("policy_published/domain"))?,
            p: opt_policy(pp, "p")?,
            sp: opt_policy(pp, "sp")?,
            np: opt_policy(pp, "np")?,
            adkim: opt_alignment(pp, "adkim")?,
            aspf: opt_alignment(pp, "aspf")?,
            pct: match pp.text_of("pct") {
                None => None,
                Some(t) => Some(
                    t.parse::<u8>()
                        .ok()
                        .filter(|n| *n <= 100)
                        .ok_or_else(|| invalid("pct", &t))?,
                ),
            },
            fo: pp.text_of("fo"),
            testing: match pp.text_of("testing").map(|t| t.to_ascii_lowercase()) {
                None => None,
                Some(t) if t == "y" => Some(true),
                Some(t) if t == "n" => Some(false),
                Some(t) => return Err(invalid("testing", &t)),
            },
            discovery_method: match pp
                .text_of("discovery_method")
                .map(|t| t.to_ascii_lowercase())
            {
                None => None,
                Some(t) if t == "psl" => Some(DiscoveryMethod::Psl),
                Some(t) if t == "treewalk" => Some(DiscoveryMethod::TreeWalk),
                Some(t) => return Err(invalid("discovery_method", &t)),
            },
        };
        let mut records = Vec::new();
        for rec in root.children_named("record") {
            records.push(parse_record(rec)?);
        }
        Ok(AggregateReport {
            version: root.text_of("version"),
            metadata,
            policy_published,
            records,
        })
    }
}

/// `pass`/`fail` for `policy_evaluated`.
fn dmarc_word(w: &AuthWord) -> &'static str {
    if *w == AuthWord::Pass { "pass" } else { "fail" }
}

/// A schema word; words outside the schema are written as `none`... except
/// that they are kept when they are plain lower-case letters.
fn schema_word(w: &AuthWord) -> &str {
    match w {
        AuthWord::Other(s) if s.is_empty() || !s.chars().all(|c| c.is_ascii_lowercase()) => "none",
        w => w.as_str(),
    }
}

fn invalid(field: &'static str, value: &str) -> ReportError {
    ReportError::Invalid {
        field,
        value: value.chars().take(64).collect(),
    }
}

fn number(e: &Element, name: &'static str) -> Result<u64, ReportError> {
    let t = e.text_of(name).ok_or(ReportError::Missing(name))?;
    // some reporters write decimals ("1538204542.0")
    let int = t.split('.').next().unwrap_or("");
    int.parse::<u64>().map_err(|_| invalid(name, &t))
}

fn opt_policy(e: &Element, name: &'static str) -> Result<Option<Policy>, ReportError> {
    match e.text_of(name) {
        None => Ok(None),
        Some(t) => Policy::parse(&t).map(Some).ok_or_else(|| invalid(name, &t)),
    }
}

fn opt_alignment(e: &Element, name: &'static str) -> Result<Option<Alignment>, ReportError> {
    match e.text_of(name).map(|t| t.to_ascii_lowercase()) {
        None => Ok(None),
        Some(t) if t == "r" || t == "relaxed" => Ok(Some(Alignment::Relaxed)),
        Some(t) if t == "s" || t == "strict" => Ok(Some(Alignment::Strict)),
        Some(t) => Err(invalid(name, &t)),
    }
}

fn parse_record(rec: &Element) -> Result<ReportRecord, ReportError> {
    let row = rec.child("row").ok_or(ReportError::Missing("record/row"))?;
    let ip_text = row
        .text_of("source_ip")
        .ok_or(ReportError::Missing("source_ip"))?;
    let source_ip: IpAddr = ip_text
        .parse()
        .map_err(|_| invalid("source_ip", &ip_text))?;
    let count = number(row, "count")?;
    let pe = row
        .child("policy_evaluated")
        .ok_or(ReportError::Missing("policy_evaluated"))?;
    let disposition = match pe.text_of("disposition") {
        None => Disposition::None,
        Some(t) => Disposition::parse(&t).ok_or_else(|| invalid("disposition", &t))?,
    };
    let reasons = pe
        .children_named("reason")
        .map(|r| OverrideReason {
            kind: OverrideType::parse(&r.text_of("type").unwrap_or_default()),
            comment: r.text_of("comment"),
        })
        .collect();
    let ids = rec.child("identifiers");
    let header_from = ids
        .and_then(|i| i.text_of("header_from"))
        .unwrap_or_default();
    let mut out = ReportRecord {
        source_ip,
        count,
        disposition,
        dkim: AuthWord::parse(&pe.text_of("dkim").unwrap_or_default()),
        spf: AuthWord::parse(&pe.text_of("spf").unwrap_or_default()),
        reasons,
        header_from,
        envelope_from: ids.and_then(|i| i.text_of("envelope_from")),
        envelope_to: ids.and_then(|i| i.text_of("envelope_to")),
        dkim_results: Vec::new(),
        spf_results: Vec::new(),
    };
    if let Some(ar) = rec.child("auth_results") {
        for d in ar.children_named("dkim") {
            out.dkim_results.push(DkimAuthResult {
                domain: d.text_of("domain").unwrap_or_default(),
                selector: d.text_of("selector"),
                result: AuthWord::parse(&d.text_of("result").unwrap_or_default()),
                human_result: d.text_of("human_result"),
            });
        }
        for s in ar.children_named("spf") {
            out.spf_results.push(SpfAuthResult {
                domain: s.text_of("domain").unwrap_or_default(),
                scope: s.text_of("scope"),
                result: AuthWord::parse(&s.text_of("result").unwrap_or_default()),
                human_result: s.text_of("human_result"),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> AggregateReport {
        let mut r = AggregateReport::new(
            ReportMetadata {
                org_name: "Receiver & Co <x>".into(),
                email: "dmarc@receiver.example".into(),
                report_id: "id-1".into(),
                begin: 1_700_000_000,
                end: 1_700_086_399,
                generator: Some("mailsec".into()),
                ..Default::default()
            },
            PolicyPublished {
                domain: "example.com".into(),
                p: Some(Policy::Reject),
                np: Some(Policy::Quarantine),
                testing: Some(false),
                discovery_method: Some(DiscoveryMethod::TreeWalk),
                ..Default::default()
            },
        );
        let mut rec = ReportRecord::new("192.0.2.1".parse().unwrap(), "example.com");
        rec.dkim = AuthWord::Pass;
        rec.disposition = Disposition::Pass;
        rec.envelope_from = Some("example.com".into());
        rec.dkim_results.push(DkimAuthResult::new(
            "example.com",
            Some("s1".into()),
            AuthWord::Pass,
        ));
        rec.spf_results
            .push(SpfAuthResult::new("example.com", AuthWord::SoftFail));
        r.add_record(rec.clone());
        r.add_record(rec);
        r
    }

    #[test]
    fn merge_and_round_trip() {
        let r = sample();
        assert_eq!(r.records.len(), 1);
        assert_eq!(r.message_count(), 2);
        let xml = r.to_xml(ReportFormat::Rfc9990);
        assert!(
            xml.contains("<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">"),
            "{xml}"
        );
        assert!(xml.contains("Receiver &amp; Co &lt;x&gt;"));
        let mut back = AggregateReport::from_xml(xml.as_bytes()).unwrap();
        assert_eq!(back.version.take().as_deref(), Some("1.0"));
        assert_eq!(back, r);
    }

    #[test]
    fn from_record_and_verdict() {
        let rec = DmarcRecord::parse("v=DMARC1; p=reject; np=quarantine; t=y; fo=1:d").unwrap();
        let pp = PolicyPublished::from_record("example.com", &rec, DiscoveryMethod::TreeWalk);
        assert_eq!(pp.p, Some(Policy::Reject));
        assert_eq!(pp.np, Some(Policy::Quarantine));
        assert_eq!(pp.fo.as_deref(), Some("1:d"));
        assert_eq!(pp.testing, Some(true));
        let xml = AggregateReport::new(ReportMetadata::default(), pp.clone())
            .to_xml(ReportFormat::Rfc9990);
        assert!(
            xml.contains("<testing>y</testing>")
                && xml.contains("<discovery_method>treewalk</discovery_method>")
        );
    }

    #[test]
    fn gzip_and_file_name() {
        let r = sample();
        let gz = r.to_gzip(ReportFormat::Rfc9990);
        assert_eq!(gz.get(..2), Some(&[0x1f, 0x8b][..]));
        assert_eq!(
            crate::report::parse_aggregate(&gz).unwrap().records,
            r.records
        );
        assert_eq!(
            r.file_name("mx.example.org", Some("a/b")),
            "mx.example.org!example.com!1700000000!1700086399!ab.xml.gz"
        );
    }

    #[test]
    fn rfc7489_form() {
        let r = sample();
        let xml = r.to_xml(ReportFormat::Rfc7489);
        assert!(xml.contains("<feedback>\n"));
        assert!(xml.contains("<pct>100</pct>"));
        assert!(
            !xml.contains("<np>") && !xml.contains("<testing>") && !xml.contains("envelope_from")
        );
        assert!(xml.contains("<disposition>none</disposition>"));
        let back = AggregateReport::from_xml(xml.as_bytes()).unwrap();
        assert_eq!(back.records[0].count, 2);
        assert_eq!(back.policy_published.pct, Some(100));
    }
}
