//! Results of other checks, as plain data the scorer turns into symbols.
//!
//! These types are deliberately independent of `mailsec-auth` and
//! `mailsec-links`: the pipeline (or any caller) fills them from whatever
//! produced the results.

use std::net::IpAddr;

/// An authentication result word (RFC 8601 / RFC 7208 / RFC 7489).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthWord {
    /// `pass`
    Pass,
    /// `fail`
    Fail,
    /// `softfail`
    SoftFail,
    /// `neutral`
    Neutral,
    /// `none`
    None,
    /// `temperror`
    TempError,
    /// `permerror`
    PermError,
    /// `policy`
    Policy,
}

impl AuthWord {
    /// Reads a result word (case-insensitive); `None` for an unknown word.
    pub fn parse(word: &str) -> Option<AuthWord> {
        Some(match word.trim().to_ascii_lowercase().as_str() {
            "pass" => AuthWord::Pass,
            "fail" | "hardfail" => AuthWord::Fail,
            "softfail" => AuthWord::SoftFail,
            "neutral" => AuthWord::Neutral,
            "none" => AuthWord::None,
            "temperror" => AuthWord::TempError,
            "permerror" => AuthWord::PermError,
            "policy" => AuthWord::Policy,
            _ => return None,
        })
    }

    /// The RFC word.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthWord::Pass => "pass",
            AuthWord::Fail => "fail",
            AuthWord::SoftFail => "softfail",
            AuthWord::Neutral => "neutral",
            AuthWord::None => "none",
            AuthWord::TempError => "temperror",
            AuthWord::PermError => "permerror",
            AuthWord::Policy => "policy",
        }
    }
}

/// A DMARC policy the From domain publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DmarcPolicy {
    /// `p=none`
    None,
    /// `p=quarantine`
    Quarantine,
    /// `p=reject`
    Reject,
}

/// SPF, DKIM and DMARC results for the message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthEvidence {
    /// The SPF result for MAIL FROM (or HELO).
    pub spf: Option<AuthWord>,
    /// The result of each DKIM signature.
    pub dkim: Vec<AuthWord>,
    /// The DMARC result.
    pub dmarc: Option<AuthWord>,
    /// The DMARC policy of the From domain, when known.
    pub dmarc_policy: Option<DmarcPolicy>,
}

/// A link checker's judgement on a whole message (`mailsec-links`'
/// `MessageReport::verdict`: its strongest clickable link, the
/// message-level reasons and its message model together).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LinkVerdict {
    /// Nothing found against it.
    Safe,
    /// Signs of deception.
    Suspicious,
    /// Phishing.
    Phishing,
}

impl LinkVerdict {
    /// The lower-case word (`safe`, `suspicious`, `phishing`).
    pub fn as_str(self) -> &'static str {
        match self {
            LinkVerdict::Safe => "safe",
            LinkVerdict::Suspicious => "suspicious",
            LinkVerdict::Phishing => "phishing",
        }
    }
}

/// Link verdicts (from `mailsec-links`): per-link counts and the
/// message-level verdict.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinkEvidence {
    /// Links judged safe.
    pub safe: u32,
    /// Links judged suspicious.
    pub suspicious: u32,
    /// Links judged phishing.
    pub phishing: u32,
    /// Link hosts listed on a URI blocklist (URIBL).
    pub uribl_listed: u32,
    /// The message-level verdict, when the link checker ran
    /// (`LINKS_MESSAGE_PHISHING` / `LINKS_MESSAGE_SUSPICIOUS`).
    pub message: Option<LinkVerdict>,
    /// The link checker's message score (its scale: suspicious from 0.5,
    /// phishing from 1.0), shown in the symbol's detail.
    pub message_score: f32,
    /// The codes of the reasons behind the message verdict (`url_model`,
    /// `brand_display_name`, `message_model`, ...), shown in the detail.
    pub message_reasons: Vec<String>,
}

/// One DNS blocklist hit for the connecting IP (see [`crate::dnsbl`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DnsblHit {
    /// The zone that lists the IP.
    pub zone: String,
    /// The symbol configured for that zone.
    pub symbol: String,
    /// The return codes (127.0.0.x) the zone answered.
    pub codes: Vec<std::net::Ipv4Addr>,
}

/// Everything the scorer gets besides the message itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    /// Authentication results.
    pub auth: AuthEvidence,
    /// Link verdicts.
    pub links: LinkEvidence,
    /// DNS blocklist hits for the connecting IP.
    pub dnsbl: Vec<DnsblHit>,
    /// The connecting client's IP, when known.
    pub client_ip: Option<IpAddr>,
    /// When the message was received (Unix seconds); used by the date
    /// rules. When absent the topmost `Received` header's time is used.
    pub received_at: Option<i64>,
}
