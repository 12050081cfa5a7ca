//! SPF macro strings (RFC 7208 section 7): parsing once, expanding many times.

use std::fmt::Write as _;
use std::net::IpAddr;

use super::SpfError;

/// The longest domain name a query may use; longer expansions lose labels
/// on the left (RFC 7208 section 7.3).
pub(crate) const MAX_DOMAIN_LEN: usize = 253;

/// Most parts a `%{d<digits>}` transformer keeps; larger values keep all.
const MAX_DIGITS: u32 = 128;

/// A macro letter (RFC 7208 section 7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Letter {
    /// `s`: the sender, `local-part@domain`.
    Sender,
    /// `l`: the sender's local-part.
    Local,
    /// `o`: the sender's domain.
    SenderDomain,
    /// `d`: the current domain.
    Domain,
    /// `i`: the client IP, dotted (nibbles for IPv6).
    Ip,
    /// `p`: the validated domain name of the client IP.
    Ptr,
    /// `v`: `in-addr` or `ip6`.
    Version,
    /// `h`: the HELO/EHLO domain.
    Helo,
    /// `c`: the client IP in its readable form (explanations only).
    ClientIp,
    /// `r`: the receiving host's domain (explanations only).
    Receiver,
    /// `t`: the current time in seconds since the epoch (explanations only).
    Timestamp,
}

impl Letter {
    fn from_char(c: char) -> Option<Letter> {
        Some(match c.to_ascii_lowercase() {
            's' => Letter::Sender,
            'l' => Letter::Local,
            'o' => Letter::SenderDomain,
            'd' => Letter::Domain,
            'i' => Letter::Ip,
            'p' => Letter::Ptr,
            'v' => Letter::Version,
            'h' => Letter::Helo,
            'c' => Letter::ClientIp,
            'r' => Letter::Receiver,
            't' => Letter::Timestamp,
            _ => return None,
        })
    }

    fn explanation_only(self) -> bool {
        matches!(
            self,
            Letter::ClientIp | Letter::Receiver | Letter::Timestamp
        )
    }
}

/// One piece of a macro string.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Text copied as is (`%%`, `%_` and `%-` are stored here already expanded).
    Literal(String),
    /// A `%{...}` expansion.
    Macro {
        letter: Letter,
        /// Upper-case letter: URL-escape the value.
        escape: bool,
        /// Keep this many right-hand parts (0: all).
        digits: u32,
        reverse: bool,
        /// The delimiter characters; empty means `.`.
        delimiters: String,
    },
}

/// A parsed macro string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct MacroString {
    parts: Vec<Part>,
}

/// Which macro letters a string may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MacroKind {
    /// A domain-spec or modifier value: `c`, `r`, `t` are errors; no spaces.
    Domain,
    /// An explanation string fetched by `exp=`: every letter, spaces allowed.
    Explanation,
}

/// The values macros expand to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MacroValues<'a> {
    pub(crate) local: &'a str,
    pub(crate) sender_domain: &'a str,
    pub(crate) domain: &'a str,
    pub(crate) ip: IpAddr,
    pub(crate) helo: &'a str,
    pub(crate) receiver: &'a str,
    pub(crate) timestamp: u64,
    /// The validated name for `%{p}`, computed by the caller when
    /// [`MacroString::uses_ptr`] says so (`unknown` otherwise).
    pub(crate) ptr: &'a str,
}

impl MacroString {
    /// Parses a macro string.
    pub(crate) fn parse(text: &str, kind: MacroKind) -> Result<MacroString, SpfError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((pos, c)) = chars.next() {
            match c {
                '%' => match chars.next().map(|(_, c)| c) {
                    Some('%') => literal.push('%'),
                    Some('_') => literal.push(' '),
                    Some('-') => literal.push_str("%20"),
                    Some('{') => {
                        let body_start = pos + 2;
                        let Some(end) = text[body_start..].find('}') else {
                            return Err(SpfError::macro_syntax(text, "unterminated %{"));
                        };
                        let body = &text[body_start..body_start + end];
                        // Skip the body and the closing brace.
                        for _ in 0..=body.chars().count() {
                            chars.next();
                        }
                        let part = parse_macro_body(body, kind)
                            .map_err(|why| SpfError::macro_syntax(text, why))?;
                        if !literal.is_empty() {
                            parts.push(Part::Literal(std::mem::take(&mut literal)));
                        }
                        parts.push(part);
                    }
                    _ => {
                        return Err(SpfError::macro_syntax(
                            text,
                            "'%' not followed by '{', '%', '_' or '-'",
                        ));
                    }
                },
                ' ' if kind == MacroKind::Explanation => literal.push(' '),
                '\x21'..='\x7e' => literal.push(c),
                _ => {
                    return Err(SpfError::macro_syntax(
                        text,
                        "character not allowed in a macro string",
                    ));
                }
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(MacroString { parts })
    }

    /// True when the string ends with a macro expansion (a `domain-end` that
    /// needs no top-label check, RFC 7208 section 7.1).
    pub(crate) fn ends_with_macro(&self, raw: &str) -> bool {
        matches!(self.parts.last(), Some(Part::Macro { .. }))
            || raw.ends_with("%%")
            || raw.ends_with("%_")
            || raw.ends_with("%-")
    }

    /// True when expanding needs the validated name of the client (`%{p}`).
    pub(crate) fn uses_ptr(&self) -> bool {
        self.parts.iter().any(|p| {
            matches!(
                p,
                Part::Macro {
                    letter: Letter::Ptr,
                    ..
                }
            )
        })
    }

    /// Expands the string with the given values.
    pub(crate) fn expand(&self, values: &MacroValues<'_>) -> String {
        let mut out = String::new();
        let mut scratch = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Macro {
                    letter,
                    escape,
                    digits,
                    reverse,
                    delimiters,
                } => {
                    scratch.clear();
                    letter_value(*letter, values, &mut scratch);
                    let transformed = transform(&scratch, *digits, *reverse, delimiters);
                    if *escape {
                        url_escape(&transformed, &mut out);
                    } else {
                        out.push_str(&transformed);
                    }
                }
            }
        }
        out
    }
}

fn parse_macro_body(body: &str, kind: MacroKind) -> Result<Part, &'static str> {
    let mut chars = body.chars();
    let Some(first) = chars.next() else {
        return Err("empty %{}");
    };
    let letter = Letter::from_char(first).ok_or("unknown macro letter")?;
    if letter.explanation_only() && kind == MacroKind::Domain {
        return Err("macro letter c, r or t outside an explanation");
    }
    let rest = chars.as_str();
    let digit_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (digit_text, rest) = rest.split_at(digit_len);
    let digits = if digit_text.is_empty() {
        0
    } else {
        // Saturate: a huge count keeps every part anyway.
        let value = digit_text
            .bytes()
            .try_fold(0u32, |acc, b| {
                acc.checked_mul(10)?.checked_add(u32::from(b - b'0'))
            })
            .unwrap_or(u32::MAX);
        if value == 0 {
            return Err("zero digit transformer");
        }
        value.min(MAX_DIGITS)
    };
    let (reverse, delimiters) = match rest.strip_prefix(['r', 'R']) {
        Some(after) => (true, after),
        None => (false, rest),
    };
    if !delimiters
        .chars()
        .all(|c| matches!(c, '.' | '-' | '+' | ',' | '/' | '_' | '='))
    {
        return Err("invalid macro delimiter");
    }
    Ok(Part::Macro {
        letter,
        escape: first.is_ascii_uppercase(),
        digits,
        reverse,
        delimiters: delimiters.to_owned(),
    })
}

fn letter_value(letter: Letter, v: &MacroValues<'_>, out: &mut String) {
    match letter {
        Letter::Sender => {
            out.push_str(v.local);
            out.push('@');
            out.push_str(v.sender_domain);
        }
        Letter::Local => out.push_str(v.local),
        Letter::SenderDomain => out.push_str(v.sender_domain),
        Letter::Domain => out.push_str(v.domain),
        Letter::Ip => dotted_ip(v.ip, out),
        Letter::Ptr => out.push_str(v.ptr),
        Letter::Version => out.push_str(match v.ip {
            IpAddr::V4(_) => "in-addr",
            IpAddr::V6(_) => "ip6",
        }),
        Letter::Helo => out.push_str(v.helo),
        Letter::ClientIp => {
            let _ = write!(out, "{}", v.ip);
        }
        Letter::Receiver => out.push_str(v.receiver),
        Letter::Timestamp => {
            let _ = write!(out, "{}", v.timestamp);
        }
    }
}

/// `%{i}`: dotted quad, or 32 dot-separated nibbles for IPv6. The nibbles
/// are upper case, as pyspf and the openspf suite write them (DNS does not
/// care; only explanations show the difference).
fn dotted_ip(ip: IpAddr, out: &mut String) {
    match ip {
        IpAddr::V4(v4) => {
            let _ = write!(out, "{v4}");
        }
        IpAddr::V6(v6) => {
            for (n, byte) in v6.octets().iter().enumerate() {
                if n > 0 {
                    out.push('.');
                }
                let _ = write!(out, "{:X}.{:X}", byte >> 4, byte & 0x0f);
            }
        }
    }
}

fn transform(value: &str, digits: u32, reverse: bool, delimiters: &str) -> String {
    if digits == 0 && !reverse && delimiters.is_empty() {
        return value.to_owned();
    }
    let is_delim = |c: char| {
        if delimiters.is_empty() {
            c == '.'
        } else {
            delimiters.contains(c)
        }
    };
    let mut parts: Vec<&str> = value.split(is_delim).collect();
    if reverse {
        parts.reverse();
    }
    let keep = if digits == 0 {
        parts.len()
    } else {
        parts.len().min(digits as usize)
    };
    let start = parts.len() - keep;
    parts.get(start..).unwrap_or_default().join(".")
}

fn url_escape(value: &str, out: &mut String) {
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

/// Shortens an expanded domain to at most 253 characters by dropping
/// labels on the left (RFC 7208 section 7.3).
pub(crate) fn truncate_domain(domain: &str) -> &str {
    let mut rest = domain;
    while rest.len() > MAX_DOMAIN_LEN {
        match rest.split_once('.') {
            Some((_, after)) => rest = after,
            None => return "",
        }
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(ip: &str) -> MacroValues<'static> {
        MacroValues {
            local: "strong-bad",
            sender_domain: "email.example.com",
            domain: "email.example.com",
            ip: ip.parse().unwrap(),
            helo: "mx.example.org",
            receiver: "rx.example.net",
            timestamp: 1_700_000_000,
            ptr: "mx.example.org",
        }
    }

    fn expand(text: &str, kind: MacroKind, ip: &str) -> String {
        MacroString::parse(text, kind).unwrap().expand(&values(ip))
    }

    /// The examples of RFC 7208 section 7.4.
    #[test]
    fn rfc_examples() {
        let d = MacroKind::Domain;
        for (text, want) in [
            ("%{s}", "strong-bad@email.example.com"),
            ("%{o}", "email.example.com"),
            ("%{d}", "email.example.com"),
            ("%{d4}", "email.example.com"),
            ("%{d3}", "email.example.com"),
            ("%{d2}", "example.com"),
            ("%{d1}", "com"),
            ("%{dr}", "com.example.email"),
            ("%{d2r}", "example.email"),
            ("%{l}", "strong-bad"),
            ("%{l-}", "strong.bad"),
            ("%{lr}", "strong-bad"),
            ("%{lr-}", "bad.strong"),
            ("%{l1r-}", "strong"),
            (
                "%{ir}.%{v}._spf.%{d2}",
                "3.2.0.192.in-addr._spf.example.com",
            ),
            ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
            (
                "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
                "bad.strong.lp.3.2.0.192.in-addr._spf.example.com",
            ),
            (
                "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
                "3.2.0.192.in-addr.strong.lp._spf.example.com",
            ),
            (
                "%{d2}.trusted-domains.example.net",
                "example.com.trusted-domains.example.net",
            ),
        ] {
            assert_eq!(expand(text, d, "192.0.2.3"), want, "{text}");
        }
        assert_eq!(
            expand("%{ir}.%{v}._spf.%{d2}", d, "2001:db8::cb01"),
            "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com"
        );
    }

    #[test]
    fn escapes_and_explanation_letters() {
        assert_eq!(
            expand("%{S}", MacroKind::Domain, "192.0.2.3"),
            "strong-bad%40email.example.com"
        );
        assert_eq!(
            expand("a%%b%_c%-d", MacroKind::Domain, "192.0.2.3"),
            "a%b c%20d"
        );
        assert_eq!(
            expand("%{c} %{r} %{t}", MacroKind::Explanation, "2001:db8::1"),
            "2001:db8::1 rx.example.net 1700000000"
        );
        assert!(MacroString::parse("%{c}", MacroKind::Domain).is_err());
        assert!(MacroString::parse("a b", MacroKind::Domain).is_err());
    }

    #[test]
    fn syntax_errors() {
        for bad in ["%", "%{", "%{d", "%{x}", "%{d0}", "%{d2q}", "%a", "%{}"] {
            assert!(
                MacroString::parse(bad, MacroKind::Domain).is_err(),
                "{bad} parsed"
            );
        }
        assert!(MacroString::parse("%{d99999999999999}", MacroKind::Domain).is_ok());
    }

    #[test]
    fn truncation() {
        let long = format!("{}.example.com", "a.".repeat(200));
        let t = truncate_domain(&long);
        assert!(t.len() <= MAX_DOMAIN_LEN);
        assert!(t.ends_with(".example.com"));
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any string: parsing never panics, and whatever parses expands
        /// without panicking, for IPv4 and IPv6 clients and odd senders.
        #[test]
        fn any_string_parses_and_expands(
            text in ".{0,200}",
            macro_heavy in "(%\\{[slodipvhcrtSLODIPVHCRT][0-9]{0,3}r?[.+,/_=-]{0,3}\\}|[a-z.%_-]){0,30}",
            local in ".{0,80}",
            v6 in any::<bool>(),
            raw_ip in any::<u128>(),
        ) {
            let ip = if v6 {
                IpAddr::V6(raw_ip.into())
            } else {
                IpAddr::V4((raw_ip as u32).into())
            };
            let values = MacroValues {
                local: &local,
                sender_domain: "example.org",
                domain: "example.org",
                ip,
                helo: &local,
                receiver: "rx",
                timestamp: 1,
                ptr: "unknown",
            };
            for kind in [MacroKind::Domain, MacroKind::Explanation] {
                for t in [&text, &macro_heavy] {
                    if let Ok(ms) = MacroString::parse(t, kind) {
                        let out = ms.expand(&values);
                        let _ = truncate_domain(&out);
                        prop_assert!(truncate_domain(&out).len() <= MAX_DOMAIN_LEN);
                    }
                }
            }
        }
    }
}
