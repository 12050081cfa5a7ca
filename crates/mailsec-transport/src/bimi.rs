//! BIMI (Brand Indicators for Message Identification, draft-brand-indicators-
//! for-message-identification): the `default._bimi` TXT record and the check
//! of a Verified Mark Certificate (VMC).
//!
//! A mark is only shown for mail whose author domain has a DMARC policy at
//! enforcement; [`check_vmc`] takes the domain's parsed
//! [`DmarcRecord`] and answers
//! [`BimiResult::Skipped`] when it is not.
//!
//! What is checked of the VMC (PEM, end entity first): the logotype
//! extension (OID 1.3.6.1.5.5.7.1.12), the BIMI extended key usage
//! (1.3.6.1.5.5.7.3.31), the domain among the SAN `dNSName`s, the validity
//! dates of every certificate, and that each certificate is issued by the
//! next. Whether the chain ends in a mark verifying authority's root is the
//! caller's trust decision; the SVG inside the logotype is not compared
//! with the `l=` image.

use std::fmt;
use std::time::SystemTime;

use mailsec_auth::dmarc::{DmarcRecord, Policy};
use mailsec_dns::Resolver;

use crate::TransportError;
use crate::cert::{
    CertCheck, OID_EKU_BIMI, OID_LOGOTYPE, check_chain_links, parse_chain, pem_chain_to_der,
};

/// A BIMI assertion record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BimiRecord {
    location: Option<String>,
    authority: Option<String>,
}

/// Why a BIMI record is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BimiRecordError {
    /// The record does not start with `v=BIMI1`.
    #[error("not a BIMI record (must start with v=BIMI1)")]
    NotBimi,
    /// `l=` or `a=` is not an HTTPS URI.
    #[error("BIMI {0}= is not an https URI")]
    Uri(&'static str),
    /// A tag is not `name=value` or appears twice.
    #[error("BIMI record tag syntax")]
    Syntax,
}

fn https_uri(value: &str, tag: &'static str) -> Result<Option<String>, BimiRecordError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let ok = value
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
        && value.len() > 8
        && !value.bytes().any(|b| b.is_ascii_whitespace() || b == b',');
    if ok {
        Ok(Some(value.to_owned()))
    } else {
        Err(BimiRecordError::Uri(tag))
    }
}

impl BimiRecord {
    /// Parses `v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem`.
    pub fn parse(text: &str) -> Result<Self, BimiRecordError> {
        let mut tags = text.split(';').map(str::trim);
        match tags.next().and_then(|t| t.split_once('=')) {
            Some((v, value)) if v.trim() == "v" && value.trim() == "BIMI1" => {}
            _ => return Err(BimiRecordError::NotBimi),
        }
        let (mut l, mut a) = (None, None);
        for tag in tags {
            if tag.is_empty() {
                continue;
            }
            let (name, value) = tag.split_once('=').ok_or(BimiRecordError::Syntax)?;
            match name.trim() {
                // The guards record the value; a second one is an error.
                "l" if l.replace(https_uri(value, "l")?).is_some() => {
                    return Err(BimiRecordError::Syntax);
                }
                "a" if a.replace(https_uri(value, "a")?).is_some() => {
                    return Err(BimiRecordError::Syntax);
                }
                _ => {}
            }
        }
        Ok(BimiRecord {
            location: l.flatten(),
            authority: a.flatten(),
        })
    }

    /// The logo URI (`l=`), if any.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// The authority evidence (VMC) URI (`a=`), if any.
    pub fn authority(&self) -> Option<&str> {
        self.authority.as_deref()
    }

    /// Whether the record declines to publish a mark (`l=` and `a=` empty).
    pub fn is_declination(&self) -> bool {
        self.location.is_none() && self.authority.is_none()
    }
}

/// The BIMI record name: `<selector>._bimi.<domain>`.
pub fn record_name(selector: &str, domain: &str) -> String {
    format!(
        "{selector}._bimi.{}",
        domain.strip_suffix('.').unwrap_or(domain)
    )
}

/// Looks up the `default._bimi.<domain>` record: `Ok(None)` when absent.
pub async fn lookup(
    resolver: &dyn Resolver,
    domain: &str,
) -> Result<Option<Result<BimiRecord, BimiRecordError>>, TransportError> {
    match resolver.txt(&record_name("default", domain)).await {
        Ok(answer) => {
            let mut bimi = answer
                .records()
                .iter()
                .map(|t| t.to_string_lossy())
                .filter(|t| t.trim_start().starts_with("v=BIMI1"));
            match (bimi.next(), bimi.next()) {
                (Some(one), None) => Ok(Some(BimiRecord::parse(&one))),
                (Some(_), Some(_)) => Ok(Some(Err(BimiRecordError::Syntax))),
                (None, _) => Ok(None),
            }
        }
        Err(e) if e.is_void() => Ok(None),
        Err(e) => Err(TransportError::Dns(e)),
    }
}

/// Whether a DMARC record is at enforcement for BIMI: `p=quarantine` or
/// `p=reject`, subdomain policy not `none`, `pct` absent or 100, not `t=y`.
pub fn dmarc_enforced(dmarc: &DmarcRecord) -> Result<(), String> {
    if !matches!(dmarc.policy(), Policy::Quarantine | Policy::Reject) {
        return Err(format!(
            "DMARC p={} is not at enforcement",
            dmarc.policy().as_str()
        ));
    }
    if dmarc.subdomain_policy() == Policy::None {
        return Err("DMARC sp=none is not at enforcement".to_owned());
    }
    if dmarc.pct().is_some_and(|p| p < 100) {
        return Err("DMARC pct below 100 is not at enforcement".to_owned());
    }
    if dmarc.testing() {
        return Err("DMARC t=y (testing) is not at enforcement".to_owned());
    }
    Ok(())
}

/// The outcome of a BIMI check (the words of the `bimi=` Authentication-Results method).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BimiResult {
    /// The VMC is valid for the domain.
    Pass,
    /// The VMC is not valid, and why.
    Fail(String),
    /// Not checked: DMARC is not at enforcement, and why.
    Skipped(String),
}

impl BimiResult {
    /// `pass`, `fail` or `skipped`.
    pub fn as_str(&self) -> &'static str {
        match self {
            BimiResult::Pass => "pass",
            BimiResult::Fail(_) => "fail",
            BimiResult::Skipped(_) => "skipped",
        }
    }
}

impl fmt::Display for BimiResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BimiResult::Pass => f.write_str("pass"),
            BimiResult::Fail(r) | BimiResult::Skipped(r) => write!(f, "{} ({r})", self.as_str()),
        }
    }
}

/// Checks a VMC PEM chain for `domain`, only when `dmarc` is at enforcement.
pub fn check_vmc(pem: &[u8], domain: &str, dmarc: &DmarcRecord, now: SystemTime) -> BimiResult {
    if let Err(why) = dmarc_enforced(dmarc) {
        return BimiResult::Skipped(why);
    }
    let ders = match pem_chain_to_der(pem) {
        Ok(d) => d,
        Err(e) => return BimiResult::Fail(e.to_string()),
    };
    let certs = match parse_chain(&ders) {
        Ok(c) => c,
        Err(p) => return BimiResult::Fail(p.to_string()),
    };
    let Some(leaf) = certs.first() else {
        return BimiResult::Fail("empty certificate chain".to_owned());
    };
    if !leaf.has_extension(OID_LOGOTYPE) {
        return BimiResult::Fail("certificate has no logotype extension".to_owned());
    }
    if !leaf.has_extended_key_usage(OID_EKU_BIMI) {
        return BimiResult::Fail("certificate lacks the BIMI extended key usage".to_owned());
    }
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if !leaf.dns_names().iter().any(|n| {
        n.strip_suffix('.')
            .unwrap_or(n)
            .eq_ignore_ascii_case(domain)
    }) {
        return BimiResult::Fail(format!("certificate SAN does not name {domain}"));
    }
    for cert in &certs {
        if let CertCheck::Invalid(p) = cert.check_validity(now) {
            return BimiResult::Fail(p.to_string());
        }
    }
    if let CertCheck::Invalid(p) = check_chain_links(&certs, certs.len()) {
        return BimiResult::Fail(p.to_string());
    }
    BimiResult::Pass
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record() {
        let r = BimiRecord::parse(
            "v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem",
        )
        .unwrap();
        assert_eq!(r.location(), Some("https://example.com/logo.svg"));
        assert_eq!(r.authority(), Some("https://example.com/vmc.pem"));
        assert!(
            BimiRecord::parse("v=BIMI1; l=; a=;")
                .unwrap()
                .is_declination()
        );
        assert_eq!(
            BimiRecord::parse("v=BIMI2; l=https://x/y"),
            Err(BimiRecordError::NotBimi)
        );
        assert_eq!(
            BimiRecord::parse("v=BIMI1; l=http://x/y"),
            Err(BimiRecordError::Uri("l"))
        );
        assert_eq!(
            BimiRecord::parse("v=BIMI1; l=https://x/y; l=https://x/z"),
            Err(BimiRecordError::Syntax)
        );
    }

    #[test]
    fn enforcement() {
        let r = |s: &str| DmarcRecord::parse(s).unwrap();
        assert!(dmarc_enforced(&r("v=DMARC1; p=reject")).is_ok());
        assert!(dmarc_enforced(&r("v=DMARC1; p=quarantine; sp=reject")).is_ok());
        assert!(dmarc_enforced(&r("v=DMARC1; p=none")).is_err());
        assert!(dmarc_enforced(&r("v=DMARC1; p=reject; sp=none")).is_err());
        assert!(dmarc_enforced(&r("v=DMARC1; p=reject; pct=50")).is_err());
        assert!(dmarc_enforced(&r("v=DMARC1; p=reject; t=y")).is_err());
    }
}
