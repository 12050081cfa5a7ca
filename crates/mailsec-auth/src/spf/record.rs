//! SPF record parsing (RFC 7208 sections 4.5, 4.6, 5, 6 and 12).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::SpfError;
use super::macros::{MacroKind, MacroString};

/// A directive's qualifier: the result it gives when its mechanism matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Qualifier {
    /// `+` (the default): pass.
    Pass,
    /// `-`: fail.
    Fail,
    /// `~`: softfail.
    SoftFail,
    /// `?`: neutral.
    Neutral,
}

impl Qualifier {
    /// The qualifier's character.
    pub fn as_char(self) -> char {
        match self {
            Qualifier::Pass => '+',
            Qualifier::Fail => '-',
            Qualifier::SoftFail => '~',
            Qualifier::Neutral => '?',
        }
    }
}

/// A domain-spec: a macro string naming a domain, as written in the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainSpec {
    raw: String,
    /// The parsed macro string; `None` when the text holds no `%` (it is
    /// then its own expansion, and costs no second allocation).
    pub(crate) macro_string: Option<MacroString>,
}

impl DomainSpec {
    fn parse(raw: &str) -> Result<DomainSpec, SpfError> {
        if raw.is_empty() {
            return Err(SpfError::syntax(raw, "empty domain-spec"));
        }
        let macro_string = if raw.as_bytes().contains(&b'%') {
            Some(MacroString::parse(raw, MacroKind::Domain)?)
        } else {
            if !raw.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
                return Err(SpfError::syntax(
                    raw,
                    "character not allowed in a domain-spec",
                ));
            }
            None
        };
        if !macro_string
            .as_ref()
            .is_some_and(|m| m.ends_with_macro(raw))
        {
            // domain-end = "." toplabel ["."]
            let trimmed = raw.strip_suffix('.').unwrap_or(raw);
            let valid = trimmed
                .rsplit_once('.')
                .is_some_and(|(_, top)| is_toplabel(top));
            if !valid {
                return Err(SpfError::syntax(
                    raw,
                    "domain-spec does not end in a valid top label",
                ));
            }
        }
        Ok(DomainSpec {
            raw: raw.to_owned(),
            macro_string,
        })
    }

    /// The domain-spec as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

/// toplabel = ( *alphanum ALPHA *alphanum ) /
///            ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
fn is_toplabel(label: &str) -> bool {
    let bytes = label.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
    {
        return false;
    }
    if bytes.contains(&b'-') {
        first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric()
    } else {
        bytes.iter().any(u8::is_ascii_alphabetic)
    }
}

/// A mechanism (RFC 7208 section 5).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mechanism {
    /// `all`: always matches.
    All,
    /// `include:<domain-spec>`: matches when the other domain's check passes.
    Include(DomainSpec),
    /// `a[:<domain-spec>][/<cidr4>][//<cidr6>]`.
    A {
        /// The domain (the current one when absent).
        domain: Option<DomainSpec>,
        /// IPv4 prefix length (32 when absent).
        cidr4: u8,
        /// IPv6 prefix length (128 when absent).
        cidr6: u8,
    },
    /// `mx[:<domain-spec>][/<cidr4>][//<cidr6>]`.
    Mx {
        /// The domain (the current one when absent).
        domain: Option<DomainSpec>,
        /// IPv4 prefix length (32 when absent).
        cidr4: u8,
        /// IPv6 prefix length (128 when absent).
        cidr6: u8,
    },
    /// `ptr[:<domain-spec>]` (its use is discouraged by the RFC).
    Ptr(Option<DomainSpec>),
    /// `ip4:<network>[/<len>]`.
    Ip4 {
        /// The network address.
        addr: Ipv4Addr,
        /// The prefix length.
        prefix: u8,
    },
    /// `ip6:<network>[/<len>]`.
    Ip6 {
        /// The network address.
        addr: Ipv6Addr,
        /// The prefix length.
        prefix: u8,
    },
    /// `exists:<domain-spec>`: matches when the name has an A record.
    Exists(DomainSpec),
}

impl Mechanism {
    /// The mechanism's name as the RFC writes it (`all`, `include`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Mechanism::All => "all",
            Mechanism::Include(_) => "include",
            Mechanism::A { .. } => "a",
            Mechanism::Mx { .. } => "mx",
            Mechanism::Ptr(_) => "ptr",
            Mechanism::Ip4 { .. } => "ip4",
            Mechanism::Ip6 { .. } => "ip6",
            Mechanism::Exists(_) => "exists",
        }
    }

    /// True for the mechanisms that count against the DNS lookup limit.
    pub fn queries_dns(&self) -> bool {
        matches!(
            self,
            Mechanism::Include(_)
                | Mechanism::A { .. }
                | Mechanism::Mx { .. }
                | Mechanism::Ptr(_)
                | Mechanism::Exists(_)
        )
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cidr = |f: &mut fmt::Formatter<'_>, c4: u8, c6: u8| {
            if c4 != 32 {
                write!(f, "/{c4}")?;
            }
            if c6 != 128 {
                write!(f, "//{c6}")?;
            }
            Ok(())
        };
        match self {
            Mechanism::All => f.write_str("all"),
            Mechanism::Include(d) => write!(f, "include:{}", d.as_str()),
            Mechanism::A {
                domain,
                cidr4,
                cidr6,
            }
            | Mechanism::Mx {
                domain,
                cidr4,
                cidr6,
            } => {
                f.write_str(self.name())?;
                if let Some(d) = domain {
                    write!(f, ":{}", d.as_str())?;
                }
                cidr(f, *cidr4, *cidr6)
            }
            Mechanism::Ptr(domain) => {
                f.write_str("ptr")?;
                if let Some(d) = domain {
                    write!(f, ":{}", d.as_str())?;
                }
                Ok(())
            }
            Mechanism::Ip4 { addr, prefix } => write!(f, "ip4:{addr}/{prefix}"),
            Mechanism::Ip6 { addr, prefix } => write!(f, "ip6:{addr}/{prefix}"),
            Mechanism::Exists(d) => write!(f, "exists:{}", d.as_str()),
        }
    }
}

/// A directive: a qualifier and a mechanism.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// The result when the mechanism matches.
    pub qualifier: Qualifier,
    /// The mechanism.
    pub mechanism: Mechanism,
}

/// A parsed SPF record: its directives in order and its modifiers.
///
/// Parsing checks the whole record, so a syntax error anywhere is found
/// before any mechanism is evaluated (RFC 7208 section 4.6).
///
/// ```
/// use mailsec_auth::spf::SpfRecord;
///
/// let record = SpfRecord::parse("v=spf1 ip4:192.0.2.0/24 mx -all").unwrap();
/// assert_eq!(record.directives().len(), 3);
/// assert!(SpfRecord::parse("v=spf1 ip4:192.0.2.0/33").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfRecord {
    directives: Vec<Directive>,
    redirect: Option<DomainSpec>,
    exp: Option<DomainSpec>,
}

impl SpfRecord {
    /// True when the text is an SPF version 1 record: `v=spf1` (any case)
    /// followed by a space or the end (RFC 7208 section 4.5).
    pub fn is_spf1(text: &[u8]) -> bool {
        text.get(..6)
            .is_some_and(|v| v.eq_ignore_ascii_case(b"v=spf1"))
            && matches!(text.get(6), None | Some(b' '))
    }

    /// Parses a record (the TXT strings already joined).
    pub fn parse(text: &str) -> Result<SpfRecord, SpfError> {
        if !Self::is_spf1(text.as_bytes()) {
            return Err(SpfError::NotSpf);
        }
        if !text.is_ascii() {
            return Err(SpfError::NonAscii);
        }
        let terms = text.get(6..).unwrap_or_default();
        let mut record = SpfRecord {
            directives: Vec::with_capacity(terms.bytes().filter(|&b| b == b' ').count()),
            redirect: None,
            exp: None,
        };
        for term in terms.split(' ').filter(|t| !t.is_empty()) {
            record.parse_term(term)?;
        }
        Ok(record)
    }

    fn parse_term(&mut self, term: &str) -> Result<(), SpfError> {
        // A modifier is `name=value` where the name is ALPHA *(ALPHA / DIGIT
        // / "-" / "_" / "."); anything else is a directive.
        let name_len = term
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            .count();
        if name_len > 0
            && term.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
            && term.as_bytes().get(name_len) == Some(&b'=')
        {
            let (name, value) = (&term[..name_len], &term[name_len + 1..]);
            return self.parse_modifier(name, value, term);
        }
        let (qualifier, rest) = match term.as_bytes().first() {
            Some(b'+') => (Qualifier::Pass, &term[1..]),
            Some(b'-') => (Qualifier::Fail, &term[1..]),
            Some(b'~') => (Qualifier::SoftFail, &term[1..]),
            Some(b'?') => (Qualifier::Neutral, &term[1..]),
            _ => (Qualifier::Pass, term),
        };
        let mechanism = parse_mechanism(rest, term)?;
        self.directives.push(Directive {
            qualifier,
            mechanism,
        });
        Ok(())
    }

    fn parse_modifier(&mut self, name: &str, value: &str, term: &str) -> Result<(), SpfError> {
        if name.eq_ignore_ascii_case("redirect") {
            if self.redirect.is_some() {
                return Err(SpfError::syntax(term, "more than one redirect="));
            }
            self.redirect = Some(DomainSpec::parse(value)?);
        } else if name.eq_ignore_ascii_case("exp") {
            if self.exp.is_some() {
                return Err(SpfError::syntax(term, "more than one exp="));
            }
            self.exp = Some(DomainSpec::parse(value)?);
        } else {
            // Unknown modifiers are ignored, but their value must still be a
            // valid macro string (RFC 7208 section 6).
            MacroString::parse(value, MacroKind::Domain)?;
        }
        Ok(())
    }

    /// The directives, in order.
    pub fn directives(&self) -> &[Directive] {
        &self.directives
    }

    /// The `redirect=` domain-spec, if any.
    pub fn redirect(&self) -> Option<&DomainSpec> {
        self.redirect.as_ref()
    }

    /// The `exp=` domain-spec, if any.
    pub fn exp(&self) -> Option<&DomainSpec> {
        self.exp.as_ref()
    }
}

fn parse_mechanism(text: &str, term: &str) -> Result<Mechanism, SpfError> {
    let name_len = text.bytes().take_while(u8::is_ascii_alphanumeric).count();
    let (name, args) = text.split_at(name_len);
    let bad = |why: &'static str| SpfError::syntax(term, why);
    let is = |word: &str| name.eq_ignore_ascii_case(word);
    if is("all") {
        return if args.is_empty() {
            Ok(Mechanism::All)
        } else {
            Err(bad("all takes no argument"))
        };
    }
    if is("include") || is("exists") {
        let spec = args
            .strip_prefix(':')
            .ok_or_else(|| bad("mechanism needs ':' and a domain"))?;
        let spec = DomainSpec::parse(spec)?;
        return Ok(if is("include") {
            Mechanism::Include(spec)
        } else {
            Mechanism::Exists(spec)
        });
    }
    if is("a") || is("mx") {
        let (spec, cidr) = split_dual_cidr(args);
        let (cidr4, cidr6) = parse_dual_cidr(cidr).ok_or_else(|| bad("invalid CIDR length"))?;
        let domain = match spec {
            "" => None,
            s => Some(DomainSpec::parse(
                s.strip_prefix(':')
                    .ok_or_else(|| bad("unexpected text after mechanism name"))?,
            )?),
        };
        return Ok(if is("a") {
            Mechanism::A {
                domain,
                cidr4,
                cidr6,
            }
        } else {
            Mechanism::Mx {
                domain,
                cidr4,
                cidr6,
            }
        });
    }
    let lower = if is("ptr") {
        "ptr"
    } else if is("ip4") {
        "ip4"
    } else if is("ip6") {
        "ip6"
    } else {
        return Err(bad("unknown mechanism"));
    };
    match lower {
        "ptr" => match args {
            "" => Ok(Mechanism::Ptr(None)),
            a => Ok(Mechanism::Ptr(Some(DomainSpec::parse(
                a.strip_prefix(':')
                    .ok_or_else(|| bad("unexpected text after ptr"))?,
            )?))),
        },
        "ip4" => {
            let net = args
                .strip_prefix(':')
                .ok_or_else(|| bad("ip4 needs ':' and a network"))?;
            let (addr, prefix) = match net.split_once('/') {
                Some((a, p)) => (
                    a,
                    parse_cidr(p, 32).ok_or_else(|| bad("invalid ip4 prefix"))?,
                ),
                None => (net, 32),
            };
            let addr = parse_ipv4(addr).ok_or_else(|| bad("invalid ip4 address"))?;
            Ok(Mechanism::Ip4 { addr, prefix })
        }
        "ip6" => {
            let net = args
                .strip_prefix(':')
                .ok_or_else(|| bad("ip6 needs ':' and a network"))?;
            let (addr, prefix) = match net.split_once('/') {
                Some((a, p)) => (
                    a,
                    parse_cidr(p, 128).ok_or_else(|| bad("invalid ip6 prefix"))?,
                ),
                None => (net, 128),
            };
            let addr: Ipv6Addr = addr.parse().map_err(|_| bad("invalid ip6 address"))?;
            Ok(Mechanism::Ip6 { addr, prefix })
        }
        _ => Err(bad("unknown mechanism")),
    }
}

/// ip4-network = qnum "." qnum "." qnum "." qnum, without leading zeros.
fn parse_ipv4(text: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut n = 0;
    for part in text.split('.') {
        let slot = octets.get_mut(n)?;
        if part.is_empty()
            || part.len() > 3
            || !part.bytes().all(|b| b.is_ascii_digit())
            || (part.len() > 1 && part.starts_with('0'))
        {
            return None;
        }
        *slot = part.parse().ok()?;
        n += 1;
    }
    (n == 4).then_some(Ipv4Addr::from(octets))
}

/// Splits `:domain/24//64` into the domain part and the CIDR part. The CIDR
/// part starts at the last `/` that is followed by digits only (and, for
/// `//`, the one before).
fn split_dual_cidr(args: &str) -> (&str, &str) {
    let mut end = args.len();
    // Up to two CIDR groups: "/n", "//n" or "/n//m".
    for _ in 0..2 {
        let head = &args[..end];
        let Some(slash) = head.rfind('/') else { break };
        let digits = &head[slash + 1..];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            break;
        }
        end = if head[..slash].ends_with('/') {
            slash - 1
        } else {
            slash
        };
    }
    args.split_at(end)
}

fn parse_dual_cidr(text: &str) -> Option<(u8, u8)> {
    if text.is_empty() {
        return Some((32, 128));
    }
    if let Some(v6) = text.strip_prefix("//") {
        return Some((32, parse_cidr(v6, 128)?));
    }
    let v4 = text.strip_prefix('/')?;
    match v4.split_once("//") {
        Some((a, b)) => Some((parse_cidr(a, 32)?, parse_cidr(b, 128)?)),
        None => Some((parse_cidr(v4, 32)?, 128)),
    }
}

/// A CIDR length: digits, no leading zero, at most `max`.
fn parse_cidr(text: &str, max: u8) -> Option<u8> {
    if text.is_empty()
        || text.len() > 3
        || !text.bytes().all(|b| b.is_ascii_digit())
        || (text.len() > 1 && text.starts_with('0'))
    {
        return None;
    }
    let value: u8 = text.parse().ok()?;
    (value <= max).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_mechanism() {
        let r = SpfRecord::parse(
            "v=spf1 all -include:_spf.example.org ~a a:mail.example.org/24//64 mx/28 \
             ?mx:%{d} ptr ptr:example.org ip4:192.0.2.0/24 ip6:2001:db8::/32 \
             exists:%{ir}.x.example.org redirect=example.net exp=exp.%{d} foo=bar",
        )
        .unwrap();
        let names: Vec<_> = r.directives().iter().map(|d| d.mechanism.name()).collect();
        assert_eq!(
            names,
            [
                "all", "include", "a", "a", "mx", "mx", "ptr", "ptr", "ip4", "ip6", "exists"
            ]
        );
        assert_eq!(r.directives()[1].qualifier, Qualifier::Fail);
        assert_eq!(
            r.directives()[3].mechanism,
            Mechanism::A {
                domain: Some(DomainSpec::parse("mail.example.org").unwrap()),
                cidr4: 24,
                cidr6: 64
            }
        );
        assert_eq!(r.redirect().unwrap().as_str(), "example.net");
        assert_eq!(r.exp().unwrap().as_str(), "exp.%{d}");
    }

    #[test]
    fn rejects_bad_records() {
        for bad in [
            "v=spf1 all:x",
            "v=spf1 a:foo",
            "v=spf1 a:111.222.33.44",
            "v=spf1 a/33",
            "v=spf1 a//129",
            "v=spf1 a/024",
            "v=spf1 ip4:1.2.3",
            "v=spf1 ip4:01.2.3.4",
            "v=spf1 ip6:::1/129",
            "v=spf1 include",
            "v=spf1 foo",
            "v=spf1 redirect=a.org redirect=b.org",
            "v=spf1 exp=a.org exp=b.org",
            "v=spf1 -all foo=%",
            "v=spf1 a:%{c}.example.org",
            "v=spf1 a:ex\u{e9}mple.org",
        ] {
            assert!(SpfRecord::parse(bad).is_err(), "{bad} parsed");
        }
        assert!(matches!(SpfRecord::parse("v=spf10"), Err(SpfError::NotSpf)));
    }

    #[test]
    fn toplabels() {
        assert!(is_toplabel("com"));
        assert!(is_toplabel("xn--zckzah"));
        assert!(is_toplabel("a1"));
        assert!(!is_toplabel("123"));
        assert!(!is_toplabel("-com"));
        assert!(!is_toplabel("com-"));
        assert!(!is_toplabel(""));
    }
}
