//! Certificate checks a sending MTA needs: the name (SAN `dNSName`, with the
//! RFC 6125 wildcard rules), the validity period at a given time, key usage,
//! and whether one certificate issued another.
//!
//! Certificates are parsed with `x509-parser` once into an owned
//! [`Certificate`]; every check returns a typed [`CertCheck`] with the reason
//! of a failure, never an `Err`.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;

use crate::TransportError;

/// OID of the logotype extension (RFC 3709), carried by BIMI Verified Mark Certificates.
pub const OID_LOGOTYPE: &str = "1.3.6.1.5.5.7.1.12";
/// OID of the extended key usage `id-kp-BrandIndicatorforMessageIdentification`.
pub const OID_EKU_BIMI: &str = "1.3.6.1.5.5.7.3.31";

/// Largest DER certificate accepted (bytes); longer input is refused unparsed.
pub const MAX_CERT_LEN: usize = 64 * 1024;
/// Largest number of certificates accepted in one chain.
pub const MAX_CHAIN_LEN: usize = 16;

/// A parsed X.509 certificate, owning what the checks need.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    spki: Vec<u8>,
    subject: Vec<u8>,
    issuer: Vec<u8>,
    dns_names: Vec<String>,
    has_san_dns: bool,
    common_names: Vec<String>,
    not_before: i64,
    not_after: i64,
    key_usage: Option<u16>,
    eku_server_auth: Option<bool>,
    eku_oids: Vec<String>,
    is_ca: bool,
    extension_oids: Vec<String>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("dns_names", &self.dns_names)
            .field("common_names", &self.common_names)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("is_ca", &self.is_ca)
            .finish_non_exhaustive()
    }
}

/// Why a certificate check did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertProblem {
    /// No SAN `dNSName` (or, without any, subject CN) matches the host.
    NameMismatch {
        /// The host name looked for.
        host: String,
    },
    /// The certificate is not valid yet.
    NotYetValid {
        /// Its `notBefore`, seconds since the Unix epoch.
        not_before: i64,
    },
    /// The certificate has expired.
    Expired {
        /// Its `notAfter`, seconds since the Unix epoch.
        not_after: i64,
    },
    /// Key usage or extended key usage does not allow the use.
    KeyUsage(&'static str),
    /// Certificate `depth` in the chain is not issued (name and signature) by the next one.
    BrokenChain {
        /// 0 is the end-entity certificate.
        depth: usize,
    },
    /// A certificate could not be parsed.
    Unparsable {
        /// 0 is the end-entity certificate.
        depth: usize,
    },
    /// The chain holds no certificate.
    EmptyChain,
}

impl fmt::Display for CertProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertProblem::NameMismatch { host } => {
                write!(f, "certificate is not valid for host {host}")
            }
            CertProblem::NotYetValid { not_before } => {
                write!(f, "certificate not valid before {}", rfc3339(*not_before))
            }
            CertProblem::Expired { not_after } => {
                write!(f, "certificate expired at {}", rfc3339(*not_after))
            }
            CertProblem::KeyUsage(why) => write!(f, "key usage: {why}"),
            CertProblem::BrokenChain { depth } => {
                write!(
                    f,
                    "certificate at depth {depth} is not issued by the next one"
                )
            }
            CertProblem::Unparsable { depth } => {
                write!(f, "certificate at depth {depth} cannot be parsed")
            }
            CertProblem::EmptyChain => f.write_str("empty certificate chain"),
        }
    }
}

fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| secs.to_string())
}

/// The outcome of a certificate check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertCheck {
    /// The check passed.
    Valid,
    /// The check failed, and why.
    Invalid(CertProblem),
}

impl CertCheck {
    /// Whether the check passed.
    pub fn is_valid(&self) -> bool {
        matches!(self, CertCheck::Valid)
    }

    /// The problem, when the check failed.
    pub fn problem(&self) -> Option<&CertProblem> {
        match self {
            CertCheck::Valid => None,
            CertCheck::Invalid(p) => Some(p),
        }
    }
}

/// Seconds since the Unix epoch of a `SystemTime` (negative before 1970).
pub(crate) fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs())
            .map(|s| -s)
            .unwrap_or(i64::MIN),
    }
}

/// A `SystemTime` from seconds since the Unix epoch (saturating).
pub(crate) fn from_unix_seconds(secs: i64) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH
            .checked_add(Duration::from_secs(secs.unsigned_abs()))
            .unwrap_or(UNIX_EPOCH)
    } else {
        UNIX_EPOCH
            .checked_sub(Duration::from_secs(secs.unsigned_abs()))
            .unwrap_or(UNIX_EPOCH)
    }
}

fn parse_x509(der: &[u8]) -> Option<X509Certificate<'_>> {
    if der.len() > MAX_CERT_LEN {
        return None;
    }
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Some(cert),
        _ => None,
    }
}

impl Certificate {
    /// Parses a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, TransportError> {
        let cert = parse_x509(der).ok_or(TransportError::Certificate)?;
        let mut dns_names = Vec::new();
        let mut has_san_dns = false;
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                if let GeneralName::DNSName(n) = name {
                    has_san_dns = true;
                    dns_names.push((*n).to_owned());
                }
            }
        }
        let common_names = cert
            .subject()
            .iter_common_name()
            .filter_map(|cn| cn.as_str().ok())
            .map(str::to_owned)
            .collect();
        let key_usage = match cert.key_usage() {
            Ok(Some(ku)) => Some(ku.value.flags),
            _ => None,
        };
        let (eku_server_auth, eku_oids) = match cert.extended_key_usage() {
            Ok(Some(eku)) => (
                Some(eku.value.server_auth || eku.value.any),
                eku.value.other.iter().map(|o| o.to_id_string()).collect(),
            ),
            _ => (None, Vec::new()),
        };
        let is_ca = matches!(cert.basic_constraints(), Ok(Some(bc)) if bc.value.ca);
        let extension_oids = cert
            .extensions()
            .iter()
            .map(|e| e.oid.to_id_string())
            .collect();
        Ok(Certificate {
            der: der.to_vec(),
            spki: cert.public_key().raw.to_vec(),
            subject: cert.subject().as_raw().to_vec(),
            issuer: cert.issuer().as_raw().to_vec(),
            dns_names,
            has_san_dns,
            common_names,
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            key_usage,
            eku_server_auth,
            eku_oids,
            is_ca,
            extension_oids,
        })
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki(&self) -> &[u8] {
        &self.spki
    }

    /// The SAN `dNSName` entries as written.
    pub fn dns_names(&self) -> &[String] {
        &self.dns_names
    }

    /// The subject common names.
    pub fn common_names(&self) -> &[String] {
        &self.common_names
    }

    /// `notBefore`.
    pub fn not_before(&self) -> SystemTime {
        from_unix_seconds(self.not_before)
    }

    /// `notAfter`.
    pub fn not_after(&self) -> SystemTime {
        from_unix_seconds(self.not_after)
    }

    /// Whether basic constraints say this is a CA certificate.
    pub fn is_ca(&self) -> bool {
        self.is_ca
    }

    /// Whether the certificate carries an extension with this dotted OID.
    pub fn has_extension(&self, oid: &str) -> bool {
        self.extension_oids.iter().any(|o| o == oid)
    }

    /// Whether the extended key usage lists this dotted OID (beyond the well-known ones).
    pub fn has_extended_key_usage(&self, oid: &str) -> bool {
        self.eku_oids.iter().any(|o| o == oid)
    }

    /// The names a host is matched against: SAN `dNSName`s, or the subject
    /// CNs when the certificate has no `dNSName` at all (RFC 6125 section 6.4.4).
    pub fn reference_names(&self) -> &[String] {
        if self.has_san_dns {
            &self.dns_names
        } else {
            &self.common_names
        }
    }

    /// Whether the certificate is valid for `host` (RFC 6125 rules, see [`dns_name_matches`]).
    pub fn check_name(&self, host: &str) -> CertCheck {
        if self
            .reference_names()
            .iter()
            .any(|n| dns_name_matches(n, host))
        {
            CertCheck::Valid
        } else {
            CertCheck::Invalid(CertProblem::NameMismatch {
                host: host.to_owned(),
            })
        }
    }

    /// Whether `now` lies within the validity period (both ends inclusive).
    pub fn check_validity(&self, now: SystemTime) -> CertCheck {
        let now = unix_seconds(now);
        if now < self.not_before {
            CertCheck::Invalid(CertProblem::NotYetValid {
                not_before: self.not_before,
            })
        } else if now > self.not_after {
            CertCheck::Invalid(CertProblem::Expired {
                not_after: self.not_after,
            })
        } else {
            CertCheck::Valid
        }
    }

    /// Whether key usage and extended key usage allow a TLS server
    /// certificate: when present, key usage must include `digitalSignature`
    /// or `keyEncipherment`, and extended key usage `serverAuth` (or `any`).
    pub fn check_server_key_usage(&self) -> CertCheck {
        if let Some(flags) = self.key_usage {
            // Bit 0 digitalSignature, bit 2 keyEncipherment, bit 4 keyAgreement.
            if flags & (1 | 4 | 16) == 0 {
                return CertCheck::Invalid(CertProblem::KeyUsage(
                    "no digitalSignature, keyEncipherment or keyAgreement",
                ));
            }
        }
        if self.eku_server_auth == Some(false) {
            return CertCheck::Invalid(CertProblem::KeyUsage(
                "extended key usage has no serverAuth",
            ));
        }
        CertCheck::Valid
    }

    /// Whether `issuer` issued this certificate: the issuer name equals the
    /// issuer's subject, the issuer is a CA (basic constraints) whose key
    /// usage, when present, allows `keyCertSign`, and the signature verifies
    /// with its public key.
    pub fn is_issued_by(&self, issuer: &Certificate) -> bool {
        if self.issuer != issuer.subject || !issuer.is_ca {
            return false;
        }
        let (Some(child), Some(parent)) = (parse_x509(&self.der), parse_x509(&issuer.der)) else {
            return false;
        };
        if let Some(flags) = issuer.key_usage {
            // keyCertSign is bit 5.
            if flags & 32 == 0 {
                return false;
            }
        }
        child.verify_signature(Some(parent.public_key())).is_ok()
    }

    /// Whether this certificate's signature verifies with a bare public key
    /// (DER SubjectPublicKeyInfo), as for a key-only DANE-TA anchor.
    pub fn is_signed_by_key(&self, spki: &[u8]) -> bool {
        let Some(child) = parse_x509(&self.der) else {
            return false;
        };
        match x509_parser::x509::SubjectPublicKeyInfo::from_der(spki) {
            Ok(([], key)) => child.verify_signature(Some(&key)).is_ok(),
            _ => false,
        }
    }

    /// The TLS server checks in order: name, validity at `now`, key usage.
    pub fn check_server(&self, host: &str, now: SystemTime) -> CertCheck {
        for check in [
            self.check_name(host),
            self.check_validity(now),
            self.check_server_key_usage(),
        ] {
            if !check.is_valid() {
                return check;
            }
        }
        CertCheck::Valid
    }
}

/// Parses a chain of DER certificates; the first is the end entity.
pub fn parse_chain<B: AsRef<[u8]>>(chain: &[B]) -> Result<Vec<Certificate>, CertProblem> {
    if chain.is_empty() {
        return Err(CertProblem::EmptyChain);
    }
    chain
        .iter()
        .take(MAX_CHAIN_LEN)
        .enumerate()
        .map(|(depth, der)| {
            Certificate::from_der(der.as_ref()).map_err(|_| CertProblem::Unparsable { depth })
        })
        .collect()
}

/// Checks that each certificate of `chain[..=top]` is issued by the next one.
pub fn check_chain_links(chain: &[Certificate], top: usize) -> CertCheck {
    for depth in 0..top.min(chain.len().saturating_sub(1)) {
        let (Some(child), Some(parent)) = (chain.get(depth), chain.get(depth + 1)) else {
            break;
        };
        if !child.is_issued_by(parent) {
            return CertCheck::Invalid(CertProblem::BrokenChain { depth });
        }
    }
    CertCheck::Valid
}

/// Reads every `CERTIFICATE` block of a PEM text into DER, in order.
pub fn pem_chain_to_der(pem: &[u8]) -> Result<Vec<Vec<u8>>, TransportError> {
    let mut out = Vec::new();
    for block in x509_parser::pem::Pem::iter_from_buffer(pem) {
        let block = block.map_err(|_| TransportError::Pem)?;
        if block.label == "CERTIFICATE" {
            if out.len() >= MAX_CHAIN_LEN {
                return Err(TransportError::Pem);
            }
            out.push(block.contents);
        }
    }
    if out.is_empty() {
        return Err(TransportError::Pem);
    }
    Ok(out)
}

fn normalize_host(name: &str) -> Option<String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.len() > 253 || !name.is_ascii() {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    if lower.split('.').any(|l| l.is_empty() || l.len() > 63) {
        return None;
    }
    Some(lower)
}

/// RFC 6125 name matching of a presented DNS name (`pattern`) against a host.
///
/// Comparison is ASCII case-insensitive and ignores one trailing dot. A
/// wildcard is only allowed as the whole left-most label (`*.example.com`),
/// stands for exactly one non-empty label, and needs at least two labels
/// after it (`*.com` matches nothing). Partial wildcards (`f*.example.com`)
/// and wildcards elsewhere match nothing. Names must be ASCII (A-labels).
///
/// ```
/// use mailsec_transport::cert::dns_name_matches;
/// assert!(dns_name_matches("*.example.com", "mx1.example.com"));
/// assert!(!dns_name_matches("*.example.com", "a.mx1.example.com"));
/// assert!(!dns_name_matches("*.example.com", "example.com"));
/// assert!(dns_name_matches("MX.Example.COM.", "mx.example.com"));
/// ```
pub fn dns_name_matches(pattern: &str, host: &str) -> bool {
    let Some(host) = normalize_host(host) else {
        return false;
    };
    if host.contains('*') {
        return false;
    }
    if let Some(suffix) = pattern.strip_prefix("*.") {
        let Some(suffix) = normalize_host(suffix) else {
            return false;
        };
        if suffix.contains('*') || !suffix.contains('.') {
            return false;
        }
        match host.split_once('.') {
            Some((first, rest)) => !first.is_empty() && rest == suffix,
            None => false,
        }
    } else {
        match normalize_host(pattern) {
            Some(p) => !p.contains('*') && p == host,
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_rules() {
        assert!(dns_name_matches("mx.example.com", "MX.example.com."));
        assert!(dns_name_matches("*.example.com", "a.example.com"));
        assert!(!dns_name_matches("*.example.com", "example.com"));
        assert!(!dns_name_matches("*.example.com", "b.a.example.com"));
        assert!(!dns_name_matches("*.com", "example.com"));
        assert!(!dns_name_matches("a*.example.com", "ab.example.com"));
        assert!(!dns_name_matches("mx.*.com", "mx.example.com"));
        assert!(!dns_name_matches("*.example.com", "*.example.com"));
        assert!(!dns_name_matches("", ""));
        assert!(!dns_name_matches("mx..example.com", "mx..example.com"));
    }

    #[test]
    fn unix_time_round_trip() {
        for s in [-86_400, 0, 1_700_000_000] {
            assert_eq!(unix_seconds(from_unix_seconds(s)), s);
        }
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(Certificate::from_der(b"not a certificate").is_err());
        assert!(pem_chain_to_der(b"nothing here").is_err());
        assert_eq!(parse_chain::<Vec<u8>>(&[]), Err(CertProblem::EmptyChain));
    }
}
