//! The DKIM-Signature header field (RFC 6376 section 3.5).

use super::tags::{self, Tag};
use super::{Algorithm, Canonicalization, DkimReason, base64};

/// A parsed DKIM-Signature (or ARC-Message-Signature) header field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub(crate) algorithm: Algorithm,
    pub(crate) signature: Vec<u8>,
    pub(crate) b_text: String,
    pub(crate) body_hash: Vec<u8>,
    pub(crate) header_canon: Canonicalization,
    pub(crate) body_canon: Canonicalization,
    pub(crate) domain: String,
    pub(crate) selector: String,
    pub(crate) signed_headers: Vec<String>,
    pub(crate) identity: Option<String>,
    pub(crate) body_length: Option<u64>,
    pub(crate) timestamp: Option<u64>,
    pub(crate) expiration: Option<u64>,
    pub(crate) instance: Option<u32>,
}

impl Signature {
    /// The signing algorithm (`a=`).
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
    /// The signature (`b=`, decoded).
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
    /// The `b=` value as written, without white space (for `header.b` of
    /// Authentication-Results, RFC 6008).
    pub fn b_text(&self) -> &str {
        &self.b_text
    }
    /// The body hash (`bh=`, decoded).
    pub fn body_hash(&self) -> &[u8] {
        &self.body_hash
    }
    /// Header canonicalization (`c=`, first part).
    pub fn header_canonicalization(&self) -> Canonicalization {
        self.header_canon
    }
    /// Body canonicalization (`c=`, second part).
    pub fn body_canonicalization(&self) -> Canonicalization {
        self.body_canon
    }
    /// The signing domain (`d=`), as written.
    pub fn domain(&self) -> &str {
        &self.domain
    }
    /// The selector (`s=`).
    pub fn selector(&self) -> &str {
        &self.selector
    }
    /// The signed header field names (`h=`), as written.
    pub fn signed_headers(&self) -> &[String] {
        &self.signed_headers
    }
    /// The agent or user identifier (`i=`), if given.
    pub fn identity(&self) -> Option<&str> {
        self.identity.as_deref()
    }
    /// The body length limit (`l=`), if given.
    pub fn body_length(&self) -> Option<u64> {
        self.body_length
    }
    /// The signature time (`t=`, seconds since the Unix epoch), if given.
    pub fn timestamp(&self) -> Option<u64> {
        self.timestamp
    }
    /// The expiration time (`x=`), if given.
    pub fn expiration(&self) -> Option<u64> {
        self.expiration
    }
    /// The ARC instance (`i=` of an ARC-Message-Signature); `None` for DKIM.
    pub fn arc_instance(&self) -> Option<u32> {
        self.instance
    }

    /// Parses a DKIM-Signature value.
    pub fn parse(value: &[u8]) -> Result<Signature, DkimReason> {
        parse(value, false)
    }
}

fn syntax(msg: impl Into<String>) -> DkimReason {
    DkimReason::SignatureSyntax(msg.into())
}

pub(crate) fn text(value: &[u8]) -> Result<String, DkimReason> {
    String::from_utf8(tags::strip_fws(value)).map_err(|_| syntax("tag value is not UTF-8"))
}

pub(crate) fn number(value: &[u8], tag: &str) -> Result<u64, DkimReason> {
    let v = tags::strip_fws(value);
    if v.is_empty() || v.len() > 20 || !v.iter().all(u8::is_ascii_digit) {
        return Err(syntax(format!("{tag}= is not a number")));
    }
    std::str::from_utf8(&v)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| syntax(format!("{tag}= is out of range")))
}

/// Parses the canonicalization pair of `c=`.
fn canonicalization(value: &[u8]) -> Result<(Canonicalization, Canonicalization), DkimReason> {
    let v = tags::strip_fws(value);
    let one = |s: &[u8]| match s {
        b"simple" => Ok(Canonicalization::Simple),
        b"relaxed" => Ok(Canonicalization::Relaxed),
        _ => Err(DkimReason::UnsupportedCanonicalization(
            String::from_utf8_lossy(&v).into_owned(),
        )),
    };
    match v.iter().position(|&c| c == b'/') {
        Some(p) => Ok((
            one(v.get(..p).unwrap_or_default())?,
            one(v.get(p + 1..).unwrap_or_default())?,
        )),
        None => Ok((one(&v)?, Canonicalization::Simple)),
    }
}

/// Finds a tag's value.
pub(crate) fn get<'a>(tags: &[Tag<'a>], name: &str) -> Option<&'a [u8]> {
    tags.iter().find(|t| t.name == name).map(|t| t.value)
}

/// `d=` and `s=` of a signature that may not otherwise parse (for reports).
pub(crate) fn domain_and_selector(value: &[u8]) -> (String, String) {
    let mut d = String::new();
    let mut s = String::new();
    for spec in value.split(|&c| c == b';') {
        if let Some(eq) = spec.iter().position(|&c| c == b'=') {
            let name = tags::trim_fws(spec.get(..eq).unwrap_or_default());
            let slot = match name {
                b"d" if d.is_empty() => &mut d,
                b"s" if s.is_empty() => &mut s,
                _ => continue,
            };
            *slot =
                String::from_utf8_lossy(&tags::strip_fws(spec.get(eq + 1..).unwrap_or_default()))
                    .into_owned();
        }
    }
    (d, s)
}

/// Parses a DKIM-Signature (`arc = false`) or ARC-Message-Signature (`arc =
/// true`: `i=` is the instance number and `v=` is absent).
pub(crate) fn parse(value: &[u8], arc: bool) -> Result<Signature, DkimReason> {
    let tags = tags::parse(value).map_err(|e| syntax(e.to_string()))?;
    let required = |name: &'static str| get(&tags, name).ok_or(DkimReason::MissingTag(name));
    let mut instance = None;
    if arc {
        let i = number(required("i")?, "i")?;
        instance = Some(u32::try_from(i).map_err(|_| syntax("i= is out of range"))?);
    } else {
        let v = required("v")?;
        if tags::strip_fws(v) != b"1" {
            return Err(DkimReason::UnsupportedVersion);
        }
    }
    let algorithm = Algorithm::parse(&tags::strip_fws(required("a")?))?;
    let b_text = text(required("b")?)?;
    let signature = base64::decode(b_text.as_bytes()).ok_or_else(|| syntax("b= is not base64"))?;
    let body_hash = base64::decode(required("bh")?).ok_or_else(|| syntax("bh= is not base64"))?;
    let domain = text(required("d")?)?;
    if domain.is_empty() {
        return Err(syntax("d= is empty"));
    }
    let selector = text(required("s")?)?;
    if selector.is_empty() {
        return Err(syntax("s= is empty"));
    }
    let mut signed_headers: Vec<String> = text(required("h")?)?
        .split(':')
        .map(str::to_owned)
        .collect();
    if arc {
        // The ARC suite accepts an empty h= and empty names in it.
        signed_headers.retain(|h| !h.is_empty());
    } else if signed_headers.iter().any(String::is_empty) {
        return Err(syntax("h= has an empty name"));
    }
    if !signed_headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("from"))
        && !arc
    {
        return Err(DkimReason::FromNotSigned);
    }
    let (header_canon, body_canon) = match get(&tags, "c") {
        Some(c) => canonicalization(c)?,
        // ARC sealers sign relaxed/relaxed; the ARC suite expects an AMS
        // without c= to be read so (dkimpy does the same).
        None if arc => (Canonicalization::Relaxed, Canonicalization::Relaxed),
        None => (Canonicalization::Simple, Canonicalization::Simple),
    };
    if let Some(q) = get(&tags, "q") {
        let q = text(q)?;
        if !q.split(':').any(|m| m.eq_ignore_ascii_case("dns/txt")) {
            return Err(DkimReason::UnsupportedQueryMethod(q));
        }
    }
    let identity = if arc {
        None
    } else {
        match get(&tags, "i") {
            Some(i) => {
                let i = quoted_printable(&text(i)?);
                let at = i.rfind('@').ok_or_else(|| syntax("i= has no '@'"))?;
                let idomain = i.get(at + 1..).unwrap_or_default();
                if !is_same_or_subdomain(idomain, &domain) {
                    return Err(DkimReason::IdentityMismatch);
                }
                Some(i)
            }
            None => None,
        }
    };
    let body_length = get(&tags, "l").map(|l| number(l, "l")).transpose()?;
    let timestamp = get(&tags, "t").map(|t| number(t, "t")).transpose()?;
    let expiration = get(&tags, "x").map(|x| number(x, "x")).transpose()?;
    if let (Some(t), Some(x)) = (timestamp, expiration)
        && x < t
    {
        return Err(syntax("x= is before t="));
    }
    Ok(Signature {
        algorithm,
        signature,
        b_text,
        body_hash,
        header_canon,
        body_canon,
        domain,
        selector,
        signed_headers,
        identity,
        body_length,
        timestamp,
        expiration,
        instance,
    })
}

/// Decodes DKIM-quoted-printable (RFC 6376 section 2.11): `=XX` is a byte.
pub(crate) fn quoted_printable(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        let hex = |k: usize| bytes.get(k).and_then(|&h| char::from(h).to_digit(16));
        match (c, hex(i + 1), hex(i + 2)) {
            (b'=', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// True when `sub` is `domain` or a subdomain of it (case-insensitive).
pub(crate) fn is_same_or_subdomain(sub: &str, domain: &str) -> bool {
    let sub = sub.trim_end_matches('.');
    let domain = domain.trim_end_matches('.');
    if sub.eq_ignore_ascii_case(domain) {
        return true;
    }
    sub.len() > domain.len()
        && sub
            .get(sub.len() - domain.len()..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(domain))
        && sub.as_bytes().get(sub.len() - domain.len() - 1) == Some(&b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &[u8] = b" v=1; a=rsa-sha256; s=brisbane; d=example.com;\r\n c=simple/relaxed; q=dns/txt; i=joe@football.example.com;\r\n h=Received : From : To :Subject : Date : Message-ID;\r\n bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n b=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB\r\n 4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut\r\n KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV\r\n 4bmp/YzhwvcubU4=;";

    #[test]
    fn parses_rfc6376_example() {
        let other = String::from_utf8_lossy(SIG).replace("d=example.com", "d=example.net");
        assert_eq!(
            Signature::parse(other.as_bytes()).unwrap_err(),
            DkimReason::IdentityMismatch
        );
        let fixed = String::from_utf8_lossy(SIG).replace("d=example.com", "d=football.example.com");
        let s = Signature::parse(fixed.as_bytes()).unwrap();
        assert_eq!(s.algorithm(), Algorithm::RsaSha256);
        assert_eq!(s.header_canonicalization(), Canonicalization::Simple);
        assert_eq!(s.body_canonicalization(), Canonicalization::Relaxed);
        assert_eq!(s.signed_headers().len(), 6);
        assert_eq!(s.signed_headers()[1], "From");
        assert_eq!(s.signature().len(), 128);
        assert_eq!(s.body_hash().len(), 32);
    }

    #[test]
    fn rejects_bad_signatures() {
        let base = "v=1; a=rsa-sha256; d=a.example; s=s; h=from; bh=AA==; b=AA==";
        assert!(Signature::parse(base.as_bytes()).is_ok());
        let bad = |s: &str| Signature::parse(s.as_bytes()).unwrap_err();
        assert_eq!(
            bad(&base.replace("v=1", "v=2")),
            DkimReason::UnsupportedVersion
        );
        assert_eq!(
            bad(&base.replace("h=from", "h=to")),
            DkimReason::FromNotSigned
        );
        assert_eq!(
            bad(&base.replace("d=a.example; ", "")),
            DkimReason::MissingTag("d")
        );
        assert!(matches!(
            bad(&base.replace("rsa-sha256", "rsa-md5")),
            DkimReason::UnsupportedAlgorithm(_)
        ));
        assert!(matches!(
            bad(&format!("{base}; x=5; t=6")),
            DkimReason::SignatureSyntax(_)
        ));
        assert!(matches!(
            bad(&format!("{base}; q=http")),
            DkimReason::UnsupportedQueryMethod(_)
        ));
        assert!(Signature::parse(format!("{base}; i=@sub.a.example").as_bytes()).is_ok());
        assert_eq!(
            bad(&format!("{base}; i=@xa.example")),
            DkimReason::IdentityMismatch
        );
    }

    #[test]
    fn subdomains() {
        assert!(is_same_or_subdomain("a.b.c", "B.c"));
        assert!(is_same_or_subdomain("b.c", "b.c"));
        assert!(!is_same_or_subdomain("ab.c", "b.c"));
        assert!(!is_same_or_subdomain("c", "b.c"));
    }
}
