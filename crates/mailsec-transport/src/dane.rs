//! DANE for SMTP (RFC 7672) over TLSA records (RFC 6698, RFC 7671).
//!
//! [`TlsaRecord`] is a checked TLSA record; [`verify_chain`] matches a set
//! of records against the DER chain a server presented; [`check_dane`] looks
//! the records up at `_25._tcp.<mx>` through a [`Resolver`] first.
//!
//! * DANE-EE(3) records match the end-entity certificate only; names and
//!   validity dates are ignored (RFC 7672 section 3.1.1).
//! * DANE-TA(2) records match any certificate of the chain; the chain must
//!   link (issuer name and signature) from the end entity up to the matched
//!   trust anchor, the certificates below the anchor must be within their
//!   validity period, and the end entity must carry the MX host name (or one
//!   of the extra reference names given) (RFC 7672 section 3.1.2, 3.2.3).
//! * PKIX-TA(0) and PKIX-EE(1) records are unusable for SMTP (section 3.1.3),
//!   as are unknown selectors and matching types; a TLSA RRset with no
//!   usable record is treated like none.
//! * A TLSA answer that is not DNSSEC-authenticated does not make DANE apply:
//!   the result is [`DaneResult::NotApplicable`].

use std::fmt;
use std::time::SystemTime;

use mailsec_dns::{Resolver, Tlsa};
use ring::digest;

use crate::TransportError;
use crate::cert::{CertCheck, CertProblem, Certificate, check_chain_links, parse_chain};

/// Certificate usage field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Usage {
    /// 0: PKIX-TA (unusable for SMTP).
    PkixTa,
    /// 1: PKIX-EE (unusable for SMTP).
    PkixEe,
    /// 2: DANE-TA, a trust anchor.
    DaneTa,
    /// 3: DANE-EE, the server's own certificate or key.
    DaneEe,
    /// Any other value.
    Other(u8),
}

impl From<u8> for Usage {
    fn from(v: u8) -> Self {
        match v {
            0 => Usage::PkixTa,
            1 => Usage::PkixEe,
            2 => Usage::DaneTa,
            3 => Usage::DaneEe,
            n => Usage::Other(n),
        }
    }
}

/// Selector field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Selector {
    /// 0: the full certificate (DER).
    FullCertificate,
    /// 1: the SubjectPublicKeyInfo (DER).
    Spki,
    /// Any other value.
    Other(u8),
}

impl From<u8> for Selector {
    fn from(v: u8) -> Self {
        match v {
            0 => Selector::FullCertificate,
            1 => Selector::Spki,
            n => Selector::Other(n),
        }
    }
}

/// Matching type field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Matching {
    /// 0: the selected content itself.
    Exact,
    /// 1: SHA-256 of the selected content.
    Sha256,
    /// 2: SHA-512 of the selected content.
    Sha512,
    /// Any other value.
    Other(u8),
}

impl From<u8> for Matching {
    fn from(v: u8) -> Self {
        match v {
            0 => Matching::Exact,
            1 => Matching::Sha256,
            2 => Matching::Sha512,
            n => Matching::Other(n),
        }
    }
}

/// A TLSA record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TlsaRecord {
    usage: Usage,
    selector: Selector,
    matching: Matching,
    data: Vec<u8>,
}

/// Why a TLSA record text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsaParseError {
    /// A field is missing or not a number from 0 to 255.
    #[error("TLSA record needs usage, selector and matching type as numbers 0-255")]
    Fields,
    /// The association data is not hexadecimal with an even number of digits.
    #[error("TLSA association data is not hexadecimal")]
    Hex,
}

impl TlsaRecord {
    /// A record from its fields.
    pub fn new(usage: u8, selector: u8, matching: u8, data: Vec<u8>) -> Self {
        TlsaRecord {
            usage: usage.into(),
            selector: selector.into(),
            matching: matching.into(),
            data,
        }
    }

    /// Parses the presentation form `3 1 1 0123abcd...` (hex may be split by white space).
    pub fn parse(text: &str) -> Result<Self, TlsaParseError> {
        let mut fields = text.split_ascii_whitespace();
        let mut num = || -> Result<u8, TlsaParseError> {
            fields
                .next()
                .and_then(|f| f.parse::<u8>().ok())
                .ok_or(TlsaParseError::Fields)
        };
        let (u, s, m) = (num()?, num()?, num()?);
        let hex: String = fields.collect();
        if hex.is_empty() {
            return Err(TlsaParseError::Hex);
        }
        Ok(TlsaRecord::new(u, s, m, decode_hex(&hex)?))
    }

    /// Certificate usage.
    pub fn usage(&self) -> Usage {
        self.usage
    }

    /// Selector.
    pub fn selector(&self) -> Selector {
        self.selector
    }

    /// Matching type.
    pub fn matching(&self) -> Matching {
        self.matching
    }

    /// Certificate association data.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Whether the record can be used for SMTP (RFC 7672 section 3.1.3):
    /// usage DANE-TA or DANE-EE, a known selector, a known matching type, and
    /// a digest of the right length.
    pub fn is_usable(&self) -> bool {
        let usage_ok = matches!(self.usage, Usage::DaneTa | Usage::DaneEe);
        let selector_ok = matches!(self.selector, Selector::FullCertificate | Selector::Spki);
        let data_ok = match self.matching {
            Matching::Exact => !self.data.is_empty(),
            Matching::Sha256 => self.data.len() == 32,
            Matching::Sha512 => self.data.len() == 64,
            Matching::Other(_) => false,
        };
        usage_ok && selector_ok && data_ok
    }

    /// Whether the record matches a certificate (usage aside).
    pub fn matches(&self, cert: &Certificate) -> bool {
        let content = match self.selector {
            Selector::FullCertificate => cert.der(),
            Selector::Spki => cert.spki(),
            Selector::Other(_) => return false,
        };
        match self.matching {
            Matching::Exact => content == self.data.as_slice(),
            Matching::Sha256 => digest::digest(&digest::SHA256, content).as_ref() == self.data,
            Matching::Sha512 => digest::digest(&digest::SHA512, content).as_ref() == self.data,
            Matching::Other(_) => false,
        }
    }

    /// The presentation form, `usage selector matching HEX`.
    pub fn to_presentation(&self) -> String {
        let mut s = format!(
            "{} {} {} ",
            usage_num(self.usage),
            selector_num(self.selector),
            matching_num(self.matching)
        );
        for b in &self.data {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }
}

fn usage_num(u: Usage) -> u8 {
    match u {
        Usage::PkixTa => 0,
        Usage::PkixEe => 1,
        Usage::DaneTa => 2,
        Usage::DaneEe => 3,
        Usage::Other(n) => n,
    }
}

fn selector_num(s: Selector) -> u8 {
    match s {
        Selector::FullCertificate => 0,
        Selector::Spki => 1,
        Selector::Other(n) => n,
    }
}

fn matching_num(m: Matching) -> u8 {
    match m {
        Matching::Exact => 0,
        Matching::Sha256 => 1,
        Matching::Sha512 => 2,
        Matching::Other(n) => n,
    }
}

impl From<&Tlsa> for TlsaRecord {
    fn from(t: &Tlsa) -> Self {
        TlsaRecord::new(t.usage, t.selector, t.matching, t.data.clone())
    }
}

fn decode_hex(hex: &str) -> Result<Vec<u8>, TlsaParseError> {
    if !hex.len().is_multiple_of(2) {
        return Err(TlsaParseError::Hex);
    }
    let digit = |c: u8| -> Result<u8, TlsaParseError> {
        (c as char)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
            .ok_or(TlsaParseError::Hex)
    };
    hex.as_bytes()
        .chunks(2)
        .map(|pair| match pair {
            [hi, lo] => Ok(digit(*hi)? << 4 | digit(*lo)?),
            _ => Err(TlsaParseError::Hex),
        })
        .collect()
}

/// Why DANE authentication failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DaneFailure {
    /// No usable TLSA record matches any certificate of the chain.
    NoMatch,
    /// A DANE-TA record matched, but the chain below it does not check out.
    TrustAnchorChain(CertProblem),
    /// A DANE-TA record matched, but the end entity is not valid for the name.
    NameMismatch(CertProblem),
    /// The presented chain could not be read.
    Chain(CertProblem),
}

impl fmt::Display for DaneFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DaneFailure::NoMatch => {
                f.write_str("no usable TLSA record matches the presented chain")
            }
            DaneFailure::TrustAnchorChain(p) => write!(f, "DANE-TA chain: {p}"),
            DaneFailure::NameMismatch(p) => write!(f, "DANE-TA name check: {p}"),
            DaneFailure::Chain(p) => write!(f, "presented chain: {p}"),
        }
    }
}

/// The outcome of DANE authentication of an SMTP server.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DaneResult {
    /// A usable TLSA record matched and the checks its usage requires passed.
    Pass {
        /// The usage of the record that matched.
        usage: Usage,
        /// Depth in the chain of the matched certificate (0 is the end
        /// entity); for a key-only DANE-TA anchor, one more than the depth of
        /// the certificate its key signed.
        depth: usize,
    },
    /// Usable TLSA records exist and the chain does not satisfy any of them.
    Fail(DaneFailure),
    /// No TLSA records, or none usable for SMTP: DANE does not constrain delivery.
    None {
        /// Why (no records, or only unusable ones).
        reason: String,
    },
    /// The TLSA answer was not DNSSEC-authenticated, so DANE does not apply.
    NotApplicable {
        /// Why.
        reason: String,
    },
}

impl DaneResult {
    /// The result word: `pass`, `fail`, `none` or `not_applicable`.
    pub fn as_str(&self) -> &'static str {
        match self {
            DaneResult::Pass { .. } => "pass",
            DaneResult::Fail(_) => "fail",
            DaneResult::None { .. } => "none",
            DaneResult::NotApplicable { .. } => "not_applicable",
        }
    }

    /// A human-readable reason.
    pub fn reason(&self) -> String {
        match self {
            DaneResult::Pass { usage, depth } => match usage {
                Usage::DaneEe => "DANE-EE record matched the end-entity certificate".to_owned(),
                _ => format!("DANE-TA record matched the certificate at depth {depth}"),
            },
            DaneResult::Fail(f) => f.to_string(),
            DaneResult::None { reason } | DaneResult::NotApplicable { reason } => reason.clone(),
        }
    }
}

/// Matches TLSA records against a presented chain (DER, end entity first).
///
/// `names` are the reference identifiers for DANE-TA (the MX host name, and
/// optionally the TLSA base domain or the next-hop domain); `now` judges the
/// validity of the certificates below a DANE-TA anchor. The records are
/// taken as authenticated: check the DNSSEC status before (as
/// [`check_dane`] does).
pub fn verify_chain<B: AsRef<[u8]>>(
    records: &[TlsaRecord],
    chain: &[B],
    names: &[&str],
    now: SystemTime,
) -> DaneResult {
    let usable: Vec<&TlsaRecord> = records.iter().filter(|r| r.is_usable()).collect();
    if usable.is_empty() {
        return DaneResult::None {
            reason: if records.is_empty() {
                "no TLSA records".to_owned()
            } else {
                "no usable TLSA records (only PKIX usages or unknown parameters)".to_owned()
            },
        };
    }
    let certs = match parse_chain(chain) {
        Ok(c) => c,
        Err(p) => return DaneResult::Fail(DaneFailure::Chain(p)),
    };
    // DANE-EE first: it needs nothing but a match of the end entity.
    if let Some(leaf) = certs.first()
        && usable
            .iter()
            .any(|r| r.usage == Usage::DaneEe && r.matches(leaf))
    {
        return DaneResult::Pass {
            usage: Usage::DaneEe,
            depth: 0,
        };
    }
    let mut first_failure = None;
    for (depth, cert) in certs.iter().enumerate() {
        if !usable
            .iter()
            .any(|r| r.usage == Usage::DaneTa && r.matches(cert))
        {
            continue;
        }
        match check_below_anchor(&certs, depth, depth, names, now) {
            Ok(()) => {
                return DaneResult::Pass {
                    usage: Usage::DaneTa,
                    depth,
                };
            }
            Err(f) => {
                first_failure.get_or_insert(f);
            }
        }
    }
    // Key-only anchors (2 1 0): the public key itself, which the server
    // need not send (RFC 7672 section 3.1.2); it must have signed a
    // certificate of the chain.
    for r in usable.iter().filter(|r| {
        r.usage == Usage::DaneTa && r.selector == Selector::Spki && r.matching == Matching::Exact
    }) {
        let Some(depth) = certs.iter().position(|c| c.is_signed_by_key(&r.data)) else {
            continue;
        };
        // Certificates up to and including the one the key signed are below the anchor.
        match check_below_anchor(&certs, depth, depth + 1, names, now) {
            Ok(()) => {
                return DaneResult::Pass {
                    usage: Usage::DaneTa,
                    depth: depth + 1,
                };
            }
            Err(f) => {
                first_failure.get_or_insert(f);
            }
        }
    }
    DaneResult::Fail(first_failure.unwrap_or(DaneFailure::NoMatch))
}

/// Checks the `below` certificates under an anchor: each issued by the
/// next (up to the anchor, `links` links), in date, and the end entity's name.
fn check_below_anchor(
    certs: &[Certificate],
    links: usize,
    below: usize,
    names: &[&str],
    now: SystemTime,
) -> Result<(), DaneFailure> {
    if let CertCheck::Invalid(p) = check_chain_links(certs, links) {
        return Err(DaneFailure::TrustAnchorChain(p));
    }
    // The anchor's own dates are ignored; those below it count.
    for cert in certs.iter().take(below) {
        if let CertCheck::Invalid(p) = cert.check_validity(now) {
            return Err(DaneFailure::TrustAnchorChain(p));
        }
    }
    let Some(leaf) = certs.first() else {
        return Err(DaneFailure::Chain(CertProblem::EmptyChain));
    };
    let mut last = None;
    for name in names {
        match leaf.check_name(name) {
            CertCheck::Valid => return Ok(()),
            CertCheck::Invalid(p) => last = Some(p),
        }
    }
    Err(DaneFailure::NameMismatch(last.unwrap_or(
        CertProblem::NameMismatch {
            host: String::new(),
        },
    )))
}

/// The TLSA owner name for SMTP to `mx` on port 25: `_25._tcp.<mx>`.
pub fn tlsa_name(mx: &str) -> String {
    format!("_25._tcp.{}", mx.strip_suffix('.').unwrap_or(mx))
}

/// Looks up `_25._tcp.<mx>` TLSA and matches the records against `chain`.
///
/// NXDOMAIN and NODATA give [`DaneResult::None`]; an answer that is not
/// DNSSEC-authenticated gives [`DaneResult::NotApplicable`]; a temporary DNS
/// failure is an `Err` (RFC 7672 section 2.2: the delivery must be deferred).
/// The MX host name is the reference identifier for DANE-TA, with the
/// `extra_names` (e.g. the recipient domain) accepted too.
pub async fn check_dane<B: AsRef<[u8]>>(
    resolver: &dyn Resolver,
    mx: &str,
    chain: &[B],
    extra_names: &[&str],
    now: SystemTime,
) -> Result<DaneResult, TransportError> {
    let answer = match resolver.tlsa(&tlsa_name(mx)).await {
        Ok(a) => a,
        Err(e) if e.is_void() => {
            return Ok(DaneResult::None {
                reason: "no TLSA records".to_owned(),
            });
        }
        Err(e) => return Err(TransportError::Dns(e)),
    };
    if !answer.is_authenticated() {
        return Ok(DaneResult::NotApplicable {
            reason: "TLSA answer is not DNSSEC-authenticated".to_owned(),
        });
    }
    let records: Vec<TlsaRecord> = answer.records().iter().map(TlsaRecord::from).collect();
    let mx_name = mx.strip_suffix('.').unwrap_or(mx);
    let mut names = vec![mx_name];
    names.extend_from_slice(extra_names);
    Ok(verify_chain(&records, chain, &names, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presentation_round_trip() {
        let r = TlsaRecord::parse(
            "3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6",
        )
        .unwrap();
        assert_eq!(r.usage(), Usage::DaneEe);
        assert_eq!(r.selector(), Selector::Spki);
        assert_eq!(r.matching(), Matching::Sha256);
        assert!(r.is_usable());
        assert_eq!(TlsaRecord::parse(&r.to_presentation()).unwrap(), r);
    }

    #[test]
    fn bad_presentation() {
        assert_eq!(TlsaRecord::parse("3 1"), Err(TlsaParseError::Fields));
        assert_eq!(TlsaRecord::parse("3 1 1"), Err(TlsaParseError::Hex));
        assert_eq!(TlsaRecord::parse("3 1 1 abc"), Err(TlsaParseError::Hex));
        assert_eq!(TlsaRecord::parse("3 1 1 zz"), Err(TlsaParseError::Hex));
        assert_eq!(TlsaRecord::parse("300 1 1 00"), Err(TlsaParseError::Fields));
    }

    #[test]
    fn usability() {
        assert!(!TlsaRecord::new(1, 1, 1, vec![0; 32]).is_usable());
        assert!(!TlsaRecord::new(3, 2, 1, vec![0; 32]).is_usable());
        assert!(!TlsaRecord::new(3, 1, 1, vec![0; 31]).is_usable());
        assert!(TlsaRecord::new(2, 0, 2, vec![0; 64]).is_usable());
    }

    #[test]
    fn no_usable_records_is_none() {
        let r = verify_chain::<Vec<u8>>(
            &[TlsaRecord::new(0, 0, 1, vec![0; 32])],
            &[],
            &[],
            SystemTime::UNIX_EPOCH,
        );
        assert_eq!(r.as_str(), "none");
    }
}
