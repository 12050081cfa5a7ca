//! DMARC policy records (`_dmarc.<domain>` TXT): RFC 9989 tags plus the
//! RFC 7489 ones (`pct`, `rf`, `ri`) that older records still carry.

use std::fmt;

/// A requested handling policy (`p=`, `sp=`, `np=`), also the disposition to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Policy {
    /// `none`: no special handling.
    None,
    /// `quarantine`: treat as suspicious (spam folder, hold).
    Quarantine,
    /// `reject`: refuse the message.
    Reject,
}

impl Policy {
    /// Parses `none`, `quarantine` or `reject` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Some(Policy::None),
            "quarantine" => Some(Policy::Quarantine),
            "reject" => Some(Policy::Reject),
            _ => None,
        }
    }

    /// The RFC word.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        }
    }

    /// One step less strict (RFC 7489 section 6.6.4, a message sampled out by `pct`).
    pub fn downgrade(self) -> Self {
        match self {
            Policy::Reject => Policy::Quarantine,
            Policy::Quarantine | Policy::None => Policy::None,
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identifier alignment mode (`adkim=`, `aspf=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Alignment {
    /// `r`: same Organizational Domain (the default).
    #[default]
    Relaxed,
    /// `s`: exactly the same domain.
    Strict,
}

impl Alignment {
    /// The record letter (`r` or `s`).
    pub fn as_str(self) -> &'static str {
        match self {
            Alignment::Relaxed => "r",
            Alignment::Strict => "s",
        }
    }
}

/// The `psd=` flag (RFC 9989).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Psd {
    /// `psd=y`: the domain is a Public Suffix Domain.
    Yes,
    /// `psd=n`: the domain is an Organizational Domain.
    No,
    /// `psd=u` or absent: unknown (the default).
    #[default]
    Unknown,
}

/// A failure-reporting option of `fo=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureOption {
    /// `0`: report when all mechanisms fail to produce an aligned pass.
    All,
    /// `1`: report when any mechanism fails to produce an aligned pass.
    Any,
    /// `d`: report any DKIM signature that failed, aligned or not.
    Dkim,
    /// `s`: report any SPF failure, aligned or not.
    Spf,
}

impl FailureOption {
    /// The record character.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureOption::All => "0",
            FailureOption::Any => "1",
            FailureOption::Dkim => "d",
            FailureOption::Spf => "s",
        }
    }
}

/// A reporting URI of `rua=` / `ruf=`, with its optional RFC 7489 size limit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportUri {
    uri: String,
    max_size: Option<u64>,
}

impl ReportUri {
    /// The URI, e.g. `mailto:dmarc@example.com`.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The `!size` limit in bytes (RFC 7489), when given.
    pub fn max_size(&self) -> Option<u64> {
        self.max_size
    }

    /// The mail address of a `mailto:` URI.
    pub fn mailto(&self) -> Option<&str> {
        let (scheme, rest) = self.uri.split_once(':')?;
        if !scheme.eq_ignore_ascii_case("mailto") {
            return None;
        }
        Some(rest.split('?').next().unwrap_or(rest))
    }

    fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (uri, size) = match text.rsplit_once('!') {
            Some((u, s)) if !s.is_empty() && !s.contains(['/', '@', ':']) => (u, Some(s)),
            _ => (text, None),
        };
        let (scheme, rest) = uri.split_once(':')?;
        if scheme.is_empty()
            || !scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            || rest.is_empty()
            || rest.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return None;
        }
        let max_size = match size {
            None => None,
            Some(s) => {
                let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
                    Some((i, _)) => s.split_at(i),
                    None => (s, ""),
                };
                let n: u64 = digits.parse().ok()?;
                let mult: u64 = match unit.to_ascii_lowercase().as_str() {
                    "" => 1,
                    "k" => 1 << 10,
                    "m" => 1 << 20,
                    "g" => 1 << 30,
                    "t" => 1 << 40,
                    _ => return None,
                };
                Some(n.saturating_mul(mult))
            }
        };
        Some(ReportUri {
            uri: uri.to_string(),
            max_size,
        })
    }
}

/// Why a TXT string is not a usable DMARC record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DmarcRecordError {
    /// The record does not start with `v=DMARC1` (it is not a DMARC record at all).
    #[error("not a DMARC record (must start with v=DMARC1)")]
    NotDmarc,
    /// The tag list is malformed (a part without `=`, a bad tag name, a tag twice).
    #[error("malformed DMARC record: {0}")]
    Syntax(String),
}

/// A parsed DMARC record.
///
/// Unknown tags are kept; invalid values of known tags are dropped in favour
/// of the defaults (RFC 9989 section 4.7) and listed in [`DmarcRecord::warnings`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DmarcRecord {
    p: Option<Policy>,
    sp: Option<Policy>,
    np: Option<Policy>,
    psd: Psd,
    testing: bool,
    adkim: Alignment,
    aspf: Alignment,
    rua: Vec<ReportUri>,
    ruf: Vec<ReportUri>,
    fo: Vec<FailureOption>,
    pct: Option<u8>,
    rf: Vec<String>,
    ri: Option<u32>,
    unknown: Vec<(String, String)>,
    warnings: Vec<String>,
}

/// Whether a TXT string starts with the `v=DMARC1` tag (leading white space,
/// white space around `=` and letter case are tolerated).
pub(crate) fn looks_like_dmarc(text: &str) -> bool {
    let first = text.split(';').next().unwrap_or("");
    match first.split_once('=') {
        Some((tag, value)) => tag.trim() == "v" && value.trim().eq_ignore_ascii_case("DMARC1"),
        None => false,
    }
}

impl DmarcRecord {
    /// Parses a record such as `v=DMARC1; p=reject; rua=mailto:d@example.com`.
    pub fn parse(text: &str) -> Result<Self, DmarcRecordError> {
        if !looks_like_dmarc(text) {
            return Err(DmarcRecordError::NotDmarc);
        }
        let mut rec = DmarcRecord::default();
        // A set, not a list: a record of many tags must not cost quadratic time.
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        for (i, part) in text.split(';').enumerate() {
            if i == 0 {
                seen.insert("v".into());
                continue;
            }
            let part = part.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\r' || c == '\n');
            if part.is_empty() {
                continue;
            }
            let Some((tag, value)) = part.split_once('=') else {
                return Err(DmarcRecordError::Syntax(format!("'{part}' has no '='")));
            };
            let tag = tag.trim().to_ascii_lowercase();
            let value = value.trim();
            if tag.is_empty()
                || !tag.starts_with(|c: char| c.is_ascii_alphabetic())
                || !tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(DmarcRecordError::Syntax(format!(
                    "invalid tag name '{tag}'"
                )));
            }
            if !seen.insert(tag.clone()) {
                return Err(DmarcRecordError::Syntax(format!(
                    "tag '{tag}' appears twice"
                )));
            }
            rec.apply(&tag, value);
        }
        Ok(rec)
    }

    fn warn(&mut self, tag: &str, value: &str) {
        self.warnings
            .push(format!("invalid value '{value}' for tag '{tag}' ignored"));
    }

    fn apply(&mut self, tag: &str, value: &str) {
        match tag {
            "p" | "sp" | "np" => match Policy::parse(value) {
                Some(p) => match tag {
                    "p" => self.p = Some(p),
                    "sp" => self.sp = Some(p),
                    _ => self.np = Some(p),
                },
                None => self.warn(tag, value),
            },
            "psd" => match value.to_ascii_lowercase().as_str() {
                "y" => self.psd = Psd::Yes,
                "n" => self.psd = Psd::No,
                "u" => self.psd = Psd::Unknown,
                _ => self.warn(tag, value),
            },
            "t" => match value.to_ascii_lowercase().as_str() {
                "y" => self.testing = true,
                "n" => self.testing = false,
                _ => self.warn(tag, value),
            },
            "adkim" | "aspf" => {
                let a = match value.to_ascii_lowercase().as_str() {
                    "r" => Alignment::Relaxed,
                    "s" => Alignment::Strict,
                    _ => return self.warn(tag, value),
                };
                if tag == "adkim" {
                    self.adkim = a;
                } else {
                    self.aspf = a;
                }
            }
            "rua" | "ruf" => {
                let mut uris = Vec::new();
                for u in value.split(',') {
                    match ReportUri::parse(u) {
                        Some(u) => uris.push(u),
                        None => self.warn(tag, u.trim()),
                    }
                }
                if tag == "rua" {
                    self.rua = uris;
                } else {
                    self.ruf = uris;
                }
            }
            "fo" => {
                for o in value.split(':') {
                    let o = match o.trim().to_ascii_lowercase().as_str() {
                        "0" => FailureOption::All,
                        "1" => FailureOption::Any,
                        "d" => FailureOption::Dkim,
                        "s" => FailureOption::Spf,
                        _ => {
                            self.warn(tag, o.trim());
                            continue;
                        }
                    };
                    if !self.fo.contains(&o) {
                        self.fo.push(o);
                    }
                }
            }
            "pct" => match value.parse::<u8>() {
                Ok(n) if n <= 100 => self.pct = Some(n),
                _ => self.warn(tag, value),
            },
            "rf" => {
                self.rf = value
                    .split(':')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect();
            }
            "ri" => match value.parse::<u32>() {
                Ok(n) => self.ri = Some(n),
                Err(_) => self.warn(tag, value),
            },
            _ => self.unknown.push((tag.to_string(), value.to_string())),
        }
    }

    /// `p=` as written (`None` when absent or invalid).
    pub fn p(&self) -> Option<Policy> {
        self.p
    }

    /// `sp=` as written.
    pub fn sp(&self) -> Option<Policy> {
        self.sp
    }

    /// `np=` as written.
    pub fn np(&self) -> Option<Policy> {
        self.np
    }

    /// The Domain Owner policy: `p=`, or `none` when absent (RFC 9989).
    pub fn policy(&self) -> Policy {
        self.p.unwrap_or(Policy::None)
    }

    /// The policy for subdomains: `sp=`, else `p=`.
    pub fn subdomain_policy(&self) -> Policy {
        self.sp.unwrap_or(self.policy())
    }

    /// The policy for non-existent subdomains: `np=`, else `sp=`, else `p=`.
    pub fn nonexistent_policy(&self) -> Policy {
        self.np.unwrap_or(self.subdomain_policy())
    }

    /// The `psd=` flag.
    pub fn psd(&self) -> Psd {
        self.psd
    }

    /// `t=y`: the policy is being tested and must not be applied.
    pub fn testing(&self) -> bool {
        self.testing
    }

    /// DKIM alignment mode (`adkim=`, default relaxed).
    pub fn adkim(&self) -> Alignment {
        self.adkim
    }

    /// SPF alignment mode (`aspf=`, default relaxed).
    pub fn aspf(&self) -> Alignment {
        self.aspf
    }

    /// Aggregate report URIs (`rua=`), invalid ones dropped.
    pub fn rua(&self) -> &[ReportUri] {
        &self.rua
    }

    /// Failure report URIs (`ruf=`), invalid ones dropped.
    pub fn ruf(&self) -> &[ReportUri] {
        &self.ruf
    }

    /// Failure reporting options (`fo=`); `[All]` (`0`) when absent.
    pub fn fo(&self) -> Vec<FailureOption> {
        if self.fo.is_empty() {
            vec![FailureOption::All]
        } else {
            self.fo.clone()
        }
    }

    /// RFC 7489 `pct=` (0..=100), when present.
    pub fn pct(&self) -> Option<u8> {
        self.pct
    }

    /// RFC 7489 `rf=` report formats, lower case (empty when absent; the default is `afrf`).
    pub fn rf(&self) -> &[String] {
        &self.rf
    }

    /// RFC 7489 `ri=` report interval in seconds, when present.
    pub fn ri(&self) -> Option<u32> {
        self.ri
    }

    /// Tags this implementation does not know, in record order (`(tag, value)`).
    pub fn unknown_tags(&self) -> &[(String, String)] {
        &self.unknown
    }

    /// Invalid values that were ignored.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

impl fmt::Display for DmarcRecord {
    /// Writes the record back in canonical tag order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("v=DMARC1")?;
        if let Some(p) = self.p {
            write!(f, "; p={p}")?;
        }
        if let Some(p) = self.sp {
            write!(f, "; sp={p}")?;
        }
        if let Some(p) = self.np {
            write!(f, "; np={p}")?;
        }
        match self.psd {
            Psd::Yes => f.write_str("; psd=y")?,
            Psd::No => f.write_str("; psd=n")?,
            Psd::Unknown => {}
        }
        if self.testing {
            f.write_str("; t=y")?;
        }
        if self.adkim == Alignment::Strict {
            f.write_str("; adkim=s")?;
        }
        if self.aspf == Alignment::Strict {
            f.write_str("; aspf=s")?;
        }
        for (tag, list) in [("rua", &self.rua), ("ruf", &self.ruf)] {
            if !list.is_empty() {
                write!(f, "; {tag}=")?;
                for (i, u) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    f.write_str(&u.uri)?;
                    if let Some(s) = u.max_size {
                        write!(f, "!{s}")?;
                    }
                }
            }
        }
        if !self.fo.is_empty() {
            let fo: Vec<&str> = self.fo.iter().map(|o| o.as_str()).collect();
            write!(f, "; fo={}", fo.join(":"))?;
        }
        if let Some(p) = self.pct {
            write!(f, "; pct={p}")?;
        }
        if !self.rf.is_empty() {
            write!(f, "; rf={}", self.rf.join(":"))?;
        }
        if let Some(ri) = self.ri {
            write!(f, "; ri={ri}")?;
        }
        for (t, v) in &self.unknown {
            write!(f, "; {t}={v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let r = DmarcRecord::parse("v=DMARC1").unwrap();
        assert_eq!(r.p(), None);
        assert_eq!(r.policy(), Policy::None);
        assert_eq!(r.adkim(), Alignment::Relaxed);
        assert_eq!(r.aspf(), Alignment::Relaxed);
        assert_eq!(r.psd(), Psd::Unknown);
        assert!(!r.testing());
        assert_eq!(r.fo(), vec![FailureOption::All]);
        assert_eq!(r.pct(), None);
    }

    #[test]
    fn not_dmarc() {
        for t in [
            "",
            "v=spf1 -all",
            "p=reject; v=DMARC1",
            "v=DMARC2; p=reject",
            "vv=DMARC1",
        ] {
            assert_eq!(
                DmarcRecord::parse(t),
                Err(DmarcRecordError::NotDmarc),
                "{t}"
            );
        }
        assert!(DmarcRecord::parse(" v = dmarc1 ;p=reject").is_ok());
    }

    #[test]
    fn syntax_errors() {
        for t in [
            "v=DMARC1; p=reject; p=none",
            "v=DMARC1; reject",
            "v=DMARC1; =x",
            "v=DMARC1; 1p=x",
        ] {
            assert!(
                matches!(DmarcRecord::parse(t), Err(DmarcRecordError::Syntax(_))),
                "{t}"
            );
        }
    }

    #[test]
    fn size_limits_and_uris() {
        let r = DmarcRecord::parse(
            "v=DMARC1; rua=mailto:a@example.com!10m, mailto:b@example.com!500,mailto:c@example.com; ruf=bogus",
        )
        .unwrap();
        assert_eq!(r.rua().len(), 3);
        assert_eq!(r.rua()[0].max_size(), Some(10 << 20));
        assert_eq!(r.rua()[0].mailto(), Some("a@example.com"));
        assert_eq!(r.rua()[1].max_size(), Some(500));
        assert_eq!(r.rua()[2].max_size(), None);
        assert!(r.ruf().is_empty());
        assert_eq!(r.warnings().len(), 1);
    }

    #[test]
    fn display_round_trip() {
        let text = "v=DMARC1; p=reject; sp=quarantine; np=reject; psd=n; t=y; adkim=s; aspf=s; rua=mailto:a@example.com!1024; ruf=mailto:f@example.com; fo=1:d:s; pct=50; rf=afrf; ri=3600; x=y";
        let r = DmarcRecord::parse(text).unwrap();
        assert_eq!(r.to_string(), text);
        assert_eq!(DmarcRecord::parse(&r.to_string()).unwrap(), r);
    }
}
