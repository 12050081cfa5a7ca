//! ARC: Authenticated Received Chain (RFC 8617) — validate and seal.
//!
//! [`ArcValidator::validate`] checks the chain of ARC sets on a message
//! (instance numbering, each set complete, the newest ARC-Message-Signature,
//! every ARC-Seal) and returns an [`ArcOutput`] with the chain validation
//! status `cv` (`none`, `pass` or `fail`), the reason for a failure and the
//! oldest-pass instance. [`ArcSealer::seal`] adds a new set (AAR + AMS + AS)
//! with an RSA or Ed25519 [`SigningKey`](crate::dkim::SigningKey).
//!
//! The Authentication-Results payload of the ARC-Authentication-Results
//! field is the caller's string when sealing; validation reads only its
//! `i=` instance.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use mailsec_auth::arc::{ArcSealer, ArcValidator, ChainValidation};
//! use mailsec_auth::dkim::SigningKey;
//! use mailsec_dns::{Record, StaticResolver};
//! use std::time::SystemTime;
//!
//! let key = SigningKey::generate_ed25519()?;
//! let mut dns = StaticResolver::new();
//! dns.add("arc._domainkey.forwarder.example", Record::txt(&key.dns_record()));
//! let message = b"From: a@example.org\r\nTo: list@forwarder.example\r\nSubject: hi\r\n\r\nHello\r\n";
//! let now = SystemTime::now();
//!
//! let chain = ArcValidator::new().validate(message, &dns, now).await;
//! assert_eq!(chain.cv(), ChainValidation::None);
//! let sealer = ArcSealer::new("forwarder.example", "arc", key);
//! let sealed = sealer.seal_message(message, &chain, "forwarder.example; spf=pass smtp.mailfrom=example.org", now)?;
//! let chain = ArcValidator::new().validate(&sealed, &dns, now).await;
//! assert_eq!(chain.cv(), ChainValidation::Pass);
//! # Ok::<(), mailsec_auth::dkim::DkimError>(())
//! # }).unwrap();
//! ```

mod seal;
mod validate;

pub use seal::ArcSealer;
pub use validate::{ArcOutput, ArcValidator};

use crate::dkim::signature::{self, Signature};
use crate::dkim::tags;
use crate::dkim::{Algorithm, DkimReason, base64};

/// The most instances a chain may have (RFC 8617 section 4.2.1).
pub const MAX_INSTANCES: u32 = 50;

/// The chain validation status (`cv=`, RFC 8617 section 4.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChainValidation {
    /// No chain.
    None,
    /// The chain validated.
    Pass,
    /// The chain did not validate.
    Fail,
}

impl ChainValidation {
    /// The RFC word: `none`, `pass`, `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChainValidation::None => "none",
            ChainValidation::Pass => "pass",
            ChainValidation::Fail => "fail",
        }
    }

    fn parse(value: &[u8]) -> Option<ChainValidation> {
        let v = tags::strip_fws(value);
        if v.eq_ignore_ascii_case(b"none") {
            Some(ChainValidation::None)
        } else if v.eq_ignore_ascii_case(b"pass") {
            Some(ChainValidation::Pass)
        } else if v.eq_ignore_ascii_case(b"fail") {
            Some(ChainValidation::Fail)
        } else {
            None
        }
    }
}

impl std::fmt::Display for ChainValidation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed ARC-Seal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal {
    instance: u32,
    algorithm: Algorithm,
    signature: Vec<u8>,
    cv: ChainValidation,
    domain: String,
    selector: String,
    timestamp: Option<u64>,
}

impl Seal {
    /// Parses an ARC-Seal value.
    pub fn parse(value: &[u8]) -> Result<Seal, DkimReason> {
        let list = tags::parse(value).map_err(|e| DkimReason::SignatureSyntax(e.to_string()))?;
        let get = |n: &str| signature::get(&list, n);
        let required = |n: &'static str| get(n).ok_or(DkimReason::MissingTag(n));
        if get("h").is_some() {
            return Err(DkimReason::SignatureSyntax(
                "ARC-Seal must not have h=".into(),
            ));
        }
        let instance = u32::try_from(signature::number(required("i")?, "i")?)
            .map_err(|_| DkimReason::SignatureSyntax("i= is out of range".into()))?;
        let algorithm = Algorithm::parse(&tags::strip_fws(required("a")?))?;
        let signature = base64::decode(required("b")?)
            .ok_or(DkimReason::SignatureSyntax("b= is not base64".into()))?;
        let cv = ChainValidation::parse(required("cv")?)
            .ok_or(DkimReason::SignatureSyntax("unknown cv= value".into()))?;
        let domain = signature::text(required("d")?)?;
        let selector = signature::text(required("s")?)?;
        if domain.is_empty() || selector.is_empty() {
            return Err(DkimReason::SignatureSyntax("empty d= or s=".into()));
        }
        let timestamp = get("t").map(|t| signature::number(t, "t")).transpose()?;
        Ok(Seal {
            instance,
            algorithm,
            signature,
            cv,
            domain,
            selector,
            timestamp,
        })
    }

    /// The instance (`i=`).
    pub fn instance(&self) -> u32 {
        self.instance
    }
    /// The algorithm (`a=`).
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
    /// The chain validation status the sealer saw (`cv=`).
    pub fn cv(&self) -> ChainValidation {
        self.cv
    }
    /// The sealing domain (`d=`).
    pub fn domain(&self) -> &str {
        &self.domain
    }
    /// The selector (`s=`).
    pub fn selector(&self) -> &str {
        &self.selector
    }
    /// The sealing time (`t=`), if given.
    pub fn timestamp(&self) -> Option<u64> {
        self.timestamp
    }
}

/// Parses an ARC-Message-Signature value.
pub fn parse_message_signature(value: &[u8]) -> Result<Signature, DkimReason> {
    let sig = signature::parse(value, true)?;
    if sig
        .signed_headers()
        .iter()
        .any(|h| h.trim().eq_ignore_ascii_case("arc-seal"))
    {
        return Err(DkimReason::SignatureSyntax(
            "ARC-Message-Signature must not sign ARC-Seal".into(),
        ));
    }
    Ok(sig)
}

/// Parses the `i=` instance of an ARC-Authentication-Results value and
/// returns it with the payload (the Authentication-Results value that
/// follows the `;`).
pub fn parse_aar(value: &[u8]) -> Result<(u32, &[u8]), DkimReason> {
    let bad =
        || DkimReason::SignatureSyntax("ARC-Authentication-Results must start with i=N;".into());
    let semi = value.iter().position(|&c| c == b';').ok_or_else(bad)?;
    let head = tags::trim_fws(value.get(..semi).unwrap_or_default());
    let rest = head.strip_prefix(b"i").ok_or_else(bad)?;
    let rest = tags::trim_fws(rest).strip_prefix(b"=").ok_or_else(bad)?;
    let n = signature::number(rest, "i").map_err(|_| bad())?;
    let n = u32::try_from(n).map_err(|_| bad())?;
    Ok((n, value.get(semi + 1..).unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_aar() {
        let (i, rest) = parse_aar(b" i=2; lists.example.org; spf=pass").unwrap();
        assert_eq!(i, 2);
        assert_eq!(rest, b" lists.example.org; spf=pass");
        assert!(parse_aar(b"lists.example.org; spf=pass").is_err());
        assert!(parse_aar(b"i=x; a").is_err());
    }

    #[test]
    fn parses_seal() {
        let s = Seal::parse(b"i=1; a=rsa-sha256; cv=none; d=example.org; s=dummy; t=12345; b=AAAA")
            .unwrap();
        assert_eq!((s.instance(), s.cv()), (1, ChainValidation::None));
        assert!(Seal::parse(b"i=1; a=rsa-sha256; cv=maybe; d=e; s=d; b=AA").is_err());
        assert!(Seal::parse(b"i=1; a=rsa-sha256; cv=none; d=e; s=d; b=AA; h=from").is_err());
    }

    proptest! {
        #[test]
        fn arc_parsers_never_panic(value in prop::collection::vec(any::<u8>(), 0..300)) {
            let _ = Seal::parse(&value);
            let _ = parse_message_signature(&value);
            let _ = parse_aar(&value);
        }

        #[test]
        fn arc_tag_lists_never_panic(
            tags in prop::collection::vec(("[a-z]{1,3}", "[ -~]{0,20}"), 0..12)
        ) {
            let text: String = tags.iter().map(|(k, v)| format!("{k}={v}; ")).collect();
            let _ = Seal::parse(text.as_bytes());
            let _ = parse_message_signature(text.as_bytes());
        }
    }
}
