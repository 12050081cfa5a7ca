//! Zone files in RFC 1035 master-file syntax, as BIND writes them.
//!
//! [`StaticResolver::from_zone_str`] and [`StaticResolver::from_zone_file`]
//! read a zone file; [`StaticResolver::to_zone_string`] writes one back.
//!
//! # What is read
//!
//! * Directives `$ORIGIN name` and `$TTL ttl`. `$INCLUDE` and any other
//!   directive are rejected with an error naming the line.
//! * Owner names: `@` (the current origin), absolute names (`mx.example.org.`),
//!   relative names (completed with the origin), `*` wildcard labels. A line
//!   that starts with a space or a tab has no owner and continues the previous
//!   one.
//! * An optional TTL and an optional class (only `IN`) in either order; a TTL
//!   is seconds or BIND units (`1h30m`, `2d`, `1w`). A record without a TTL
//!   takes the `$TTL` value, else the last TTL written, else 300 seconds.
//! * Parentheses let a record span lines; `;` starts a comment (not inside
//!   quotes); quoted strings take the escapes `\"`, `\\`, `\DDD` (a decimal
//!   byte) and `\X` (the character X).
//! * Record types `A`, `AAAA`, `MX`, `PTR`, `TXT` (one or more strings of at
//!   most 255 bytes, quoted or not), `CNAME` and `TLSA` (usage, selector,
//!   matching type and hexadecimal data that may be split by spaces and
//!   parentheses). `SOA` and `NS` records are checked and make their owner
//!   exist, but they are not served. Any other type is an error.
//!
//! # Failures and DNSSEC status
//!
//! Comment-style pragmas, which other tools read as comments, set what the
//! [`StaticResolver`] API sets in code. Each stands on its own line; the
//! name follows the rules of owner names (relative to the current origin,
//! `@` allowed) and the optional type limits the failure to that type:
//!
//! ```text
//! ;@secure NAME            answers for NAME are DNSSEC-authenticated
//! ;@all-secure             every answer is DNSSEC-authenticated
//! ;@timeout NAME [TYPE]    lookups of NAME time out
//! ;@servfail NAME [TYPE]   lookups of NAME answer SERVFAIL
//! ;@nxdomain NAME [TYPE]   lookups of NAME answer NXDOMAIN
//! ```
//!
//! A comment that starts with `;@` directly followed by a letter must be one
//! of these; `;@ text` (with a space) is an ordinary comment.
//!
//! # Errors
//!
//! Every error is a [`ZoneError::Syntax`] naming the 1-based line. Reading
//! takes time linear in the size of the text and never panics.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

use crate::static_resolver::Entry;
use crate::{Failure, Mx, Record, RecordType, StaticResolver, Tlsa, Txt, normalize_name};

/// TTL of records when the file gives none and has no `$TTL`.
const FALLBACK_TTL: u32 = 300;
/// Longest character string of a TXT record (RFC 1035 section 3.3).
const MAX_STRING_LEN: usize = 255;

/// A zone file could not be read or parsed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ZoneError {
    /// The file could not be read.
    #[error("cannot read zone file {path}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A line is not valid master-file syntax.
    #[error("zone file line {line}: {message}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl ZoneError {
    fn syntax(line: usize, message: impl Into<String>) -> Self {
        ZoneError::Syntax {
            line,
            message: message.into(),
        }
    }

    /// The 1-based line of a syntax error.
    pub fn line(&self) -> Option<usize> {
        match self {
            ZoneError::Syntax { line, .. } => Some(*line),
            ZoneError::Io { .. } => None,
        }
    }
}

impl StaticResolver {
    /// Loads a zone file (RFC 1035 master-file syntax; see the [module
    /// documentation](crate::zone) for what is accepted). The file must
    /// set `$ORIGIN` before it uses relative names.
    pub fn from_zone_file(path: impl AsRef<Path>) -> Result<Self, ZoneError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ZoneError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_zone_str(&text, None)
    }

    /// Parses zone-file text; `origin` is the initial `$ORIGIN` (none: names
    /// must be absolute until a `$ORIGIN` line).
    ///
    /// ```
    /// use mailsec_dns::StaticResolver;
    ///
    /// let zone = "$ORIGIN example.org.\n$TTL 1h\n@ IN TXT \"v=spf1 \" \"-all\"\n";
    /// let dns = StaticResolver::from_zone_str(zone, None).unwrap();
    /// assert_eq!(dns.records().count(), 1);
    ///
    /// let err = StaticResolver::from_zone_str("@ IN A 192.0.2.1\nx IN SRV 0 0 25 mx\n", Some("example.org"))
    ///     .unwrap_err();
    /// assert_eq!(err.line(), Some(2));
    /// ```
    pub fn from_zone_str(text: &str, origin: Option<&str>) -> Result<Self, ZoneError> {
        let mut parser = Parser {
            dns: StaticResolver::new(),
            origin: None,
            default_ttl: None,
            last_ttl: None,
            last_owner: None,
        };
        if let Some(origin) = origin {
            let name = normalize_name(origin)
                .map_err(|_| ZoneError::syntax(0, format!("invalid origin {origin:?}")))?;
            parser.origin = Some(name);
        }
        for item in tokenize(text)? {
            match item {
                Item::Entry(entry) => parser.entry(entry)?,
                Item::Pragma { line, text } => parser.pragma(line, &text)?,
            }
        }
        Ok(parser.dns)
    }

    /// Writes the resolver's records, failures and DNSSEC marks as a zone
    /// file that [`StaticResolver::from_zone_str`] reads back to the same
    /// resolver. Names are absolute and sorted; records keep their order.
    /// Names that are not valid domain names (added in code) are left out,
    /// with a comment.
    pub fn to_zone_string(&self) -> String {
        let mut out = String::new();
        if self.all_secure() {
            out.push_str(";@all-secure\n");
        }
        for (name, entry) in self.entries_sorted() {
            if normalize_name(name).ok().as_deref() != Some(name) {
                out.push_str("; a name that is not a valid domain name was left out\n");
                continue;
            }
            write_entry(&mut out, name, entry);
        }
        out
    }
}

fn write_entry(out: &mut String, name: &str, entry: &Entry) {
    let owner = write_name(name);
    for (record, ttl) in &entry.records {
        let _ = write!(out, "{owner} {ttl} IN {} ", record.record_type());
        match record {
            Record::A(ip) => {
                let _ = write!(out, "{ip}");
            }
            Record::Aaaa(ip) => {
                let _ = write!(out, "{ip}");
            }
            Record::Mx(mx) => {
                let _ = write!(out, "{} {}", mx.preference, write_name(&mx.exchange));
            }
            Record::Ptr(target) | Record::Cname(target) => out.push_str(&write_name(target)),
            Record::Txt(txt) => {
                if txt.strings().is_empty() {
                    out.push_str("\"\"");
                }
                for (i, s) in txt.strings().iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    write_quoted(out, s);
                }
            }
            Record::Tlsa(t) => {
                let _ = write!(out, "{} {} {} ", t.usage, t.selector, t.matching);
                if t.data.is_empty() {
                    // Not valid in DNS; written so the line stays readable.
                    out.push_str("00");
                }
                for b in &t.data {
                    let _ = write!(out, "{b:02X}");
                }
            }
        }
        out.push('\n');
    }
    let mut failures: Vec<(&Option<RecordType>, &Failure)> = entry.failures.iter().collect();
    failures.sort_by_key(|(t, _)| **t);
    for (rtype, failure) in failures {
        let word = match failure {
            Failure::NxDomain => "nxdomain",
            Failure::Timeout => "timeout",
            Failure::ServFail => "servfail",
        };
        let _ = write!(out, ";@{word} {owner}");
        if let Some(t) = rtype {
            let _ = write!(out, " {t}");
        }
        out.push('\n');
    }
    if entry.secure {
        let _ = writeln!(out, ";@secure {owner}");
    }
}

/// A name in absolute presentation form, escaping every byte that is not a
/// letter, digit, `-`, `_` or `*` (and not a label separator).
fn write_name(name: &str) -> String {
    if name.is_empty() {
        return ".".to_owned();
    }
    let mut out = String::with_capacity(name.len() + 1);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'*' | b'.') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "\\{b:03}");
        }
    }
    out.push('.');
    out
}

fn write_quoted(out: &mut String, s: &[u8]) {
    out.push('"');
    for &b in s {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\{b:03}");
            }
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------------------
// Tokenizer

#[derive(Debug)]
struct Token {
    bytes: Vec<u8>,
    quoted: bool,
    /// A `\.` (or `\046`) was decoded: a dot inside a label.
    escaped_dot: bool,
    /// Any escape was decoded (so `\@` is not the origin).
    escaped: bool,
    /// Starts with an unescaped, unquoted `$` (a directive).
    dollar: bool,
    line: usize,
}

impl Token {
    fn is_plain(&self, word: &str) -> bool {
        !self.quoted && !self.escaped && self.bytes.eq_ignore_ascii_case(word.as_bytes())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

#[derive(Debug)]
struct LogicalLine {
    line: usize,
    leading_blank: bool,
    tokens: Vec<Token>,
}

#[derive(Debug)]
enum Item {
    Entry(LogicalLine),
    Pragma { line: usize, text: String },
}

/// Splits the text into logical lines (parentheses joined) and pragmas.
fn tokenize(text: &str) -> Result<Vec<Item>, ZoneError> {
    let bytes = text.as_bytes();
    let mut items = Vec::new();
    let mut line = 1usize;
    let mut i = 0usize;
    // The paren's line while inside parentheses.
    let mut open_paren: Option<usize> = None;
    let mut current = LogicalLine {
        line: 1,
        leading_blank: false,
        tokens: Vec::new(),
    };
    let mut at_line_start = true;

    while let Some(&b) = bytes.get(i) {
        if at_line_start && open_paren.is_none() && current.tokens.is_empty() {
            current.line = line;
            current.leading_blank = b == b' ' || b == b'\t';
        }
        at_line_start = false;
        match b {
            b'\n' => {
                line += 1;
                i += 1;
                at_line_start = true;
                if open_paren.is_none() {
                    finish(&mut items, &mut current, line);
                }
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b';' => {
                let end = bytes[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(bytes.len(), |p| i + p);
                let comment = text.get(i + 1..end).unwrap_or("");
                let is_pragma = open_paren.is_none()
                    && current.tokens.is_empty()
                    && comment
                        .strip_prefix('@')
                        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_alphabetic()));
                if is_pragma {
                    items.push(Item::Pragma {
                        line,
                        text: comment.get(1..).unwrap_or("").trim_end().to_owned(),
                    });
                }
                i = end;
            }
            b'(' => {
                if let Some(opened) = open_paren {
                    return Err(ZoneError::syntax(
                        line,
                        format!("nested parenthesis (one is already open since line {opened})"),
                    ));
                }
                open_paren = Some(line);
                i += 1;
            }
            b')' => {
                if open_paren.is_none() {
                    return Err(ZoneError::syntax(line, "')' without '('"));
                }
                open_paren = None;
                i += 1;
            }
            b'"' => {
                let (token, next) = read_token(bytes, i + 1, line, true)?;
                current.tokens.push(token);
                i = next;
            }
            _ => {
                let (token, next) = read_token(bytes, i, line, false)?;
                current.tokens.push(token);
                i = next;
            }
        }
    }
    if let Some(opened) = open_paren {
        return Err(ZoneError::syntax(
            opened,
            "parenthesis opened here is never closed",
        ));
    }
    finish(&mut items, &mut current, line);
    Ok(items)
}

fn finish(items: &mut Vec<Item>, current: &mut LogicalLine, next_line: usize) {
    let done = std::mem::replace(
        current,
        LogicalLine {
            line: next_line,
            leading_blank: false,
            tokens: Vec::new(),
        },
    );
    if !done.tokens.is_empty() {
        items.push(Item::Entry(done));
    }
}

/// Reads one token from `start`; a quoted token starts after its `"` and
/// ends after the closing one. Returns the token and the index after it.
fn read_token(
    bytes: &[u8],
    start: usize,
    line: usize,
    quoted: bool,
) -> Result<(Token, usize), ZoneError> {
    let mut token = Token {
        bytes: Vec::new(),
        quoted,
        escaped_dot: false,
        escaped: false,
        dollar: !quoted && bytes.get(start) == Some(&b'$'),
        line,
    };
    let mut i = start;
    loop {
        let Some(&b) = bytes.get(i) else {
            if quoted {
                return Err(ZoneError::syntax(line, "quoted string is never closed"));
            }
            return Ok((token, i));
        };
        match b {
            b'\\' => {
                let (value, next) = read_escape(bytes, i + 1, line)?;
                token.escaped = true;
                token.escaped_dot |= value == b'.';
                token.bytes.push(value);
                i = next;
            }
            b'"' if quoted => return Ok((token, i + 1)),
            b'\n' if quoted => {
                return Err(ZoneError::syntax(
                    line,
                    "quoted string runs past the end of the line",
                ));
            }
            b' ' | b'\t' | b'\r' | b'\n' | b';' | b'(' | b')' | b'"' if !quoted => {
                return Ok((token, i));
            }
            _ => {
                token.bytes.push(b);
                i += 1;
            }
        }
    }
}

/// Decodes the escape after a backslash at `i`: `\DDD` or `\X`.
fn read_escape(bytes: &[u8], i: usize, line: usize) -> Result<(u8, usize), ZoneError> {
    match bytes.get(i) {
        None | Some(b'\n') | Some(b'\r') => Err(ZoneError::syntax(
            line,
            "a backslash must be followed by a character or three digits",
        )),
        Some(d) if d.is_ascii_digit() => {
            let digits = bytes
                .get(i..i + 3)
                .filter(|s| s.iter().all(u8::is_ascii_digit));
            let Some(digits) = digits else {
                return Err(ZoneError::syntax(line, "\\DDD escape needs three digits"));
            };
            let value = digits
                .iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
            let value = u8::try_from(value).map_err(|_| {
                ZoneError::syntax(line, format!("escape \\{value:03} is above 255"))
            })?;
            Ok((value, i + 3))
        }
        Some(&other) => Ok((other, i + 1)),
    }
}

// ---------------------------------------------------------------------------
// Parser

struct Parser {
    dns: StaticResolver,
    origin: Option<String>,
    default_ttl: Option<u32>,
    last_ttl: Option<u32>,
    last_owner: Option<String>,
}

impl Parser {
    fn entry(&mut self, entry: LogicalLine) -> Result<(), ZoneError> {
        let LogicalLine {
            line,
            leading_blank,
            tokens,
        } = entry;
        let mut tokens = tokens.into_iter().peekable();

        if !leading_blank
            && let Some(first) = tokens.peek()
            && first.dollar
        {
            let directive = tokens.next().map(|t| t.text()).unwrap_or_default();
            let args: Vec<Token> = tokens.collect();
            return self.directive(line, &directive, &args);
        }

        let owner = if leading_blank {
            self.last_owner
                .clone()
                .ok_or_else(|| ZoneError::syntax(line, "the first record has no owner name"))?
        } else {
            let Some(token) = tokens.next() else {
                return Ok(());
            };
            self.name(&token)?
        };
        self.last_owner = Some(owner.clone());

        let mut ttl = None;
        let mut class_seen = false;
        let rtype_token = loop {
            let Some(token) = tokens.next() else {
                return Err(ZoneError::syntax(line, "record type missing"));
            };
            if token.quoted {
                return Err(ZoneError::syntax(
                    token.line,
                    "a quoted string where a TTL, class or type was expected",
                ));
            }
            if token.bytes.first().is_some_and(u8::is_ascii_digit) {
                if ttl.is_some() {
                    return Err(ZoneError::syntax(token.line, "two TTLs in one record"));
                }
                ttl = Some(parse_ttl(&token)?);
            } else if is_class(&token) {
                if class_seen {
                    return Err(ZoneError::syntax(token.line, "two classes in one record"));
                }
                if !token.is_plain("IN") {
                    return Err(ZoneError::syntax(
                        token.line,
                        format!("class {} is not supported (only IN)", token.text()),
                    ));
                }
                class_seen = true;
            } else {
                break token;
            }
        };

        let ttl = match ttl.or(self.default_ttl).or(self.last_ttl) {
            Some(ttl) => ttl,
            None => FALLBACK_TTL,
        };
        self.last_ttl = Some(ttl);

        let rest: Vec<Token> = tokens.collect();
        let data_line = rest.first().map_or(rtype_token.line, |t| t.line);
        let record = match rtype_name(&rtype_token).as_str() {
            "A" => Some(Record::A(self.one(
                &rest,
                data_line,
                "an IPv4 address",
                |t| parse_text::<Ipv4Addr>(t, "IPv4 address"),
            )?)),
            "AAAA" => Some(Record::Aaaa(self.one(
                &rest,
                data_line,
                "an IPv6 address",
                |t| parse_text::<Ipv6Addr>(t, "IPv6 address"),
            )?)),
            "MX" => {
                let [pref, exchange] = exactly::<2>(&rest, data_line, "a preference and a host")?;
                Some(Record::Mx(Mx {
                    preference: parse_number::<u16>(pref, "MX preference")?,
                    exchange: self.name(exchange)?,
                }))
            }
            "PTR" => Some(Record::Ptr(self.one(
                &rest,
                data_line,
                "a host name",
                |t| self.name(t),
            )?)),
            "CNAME" => Some(Record::Cname(self.one(
                &rest,
                data_line,
                "a canonical name",
                |t| self.name(t),
            )?)),
            "TXT" => Some(Record::Txt(parse_txt(&rest, data_line)?)),
            "TLSA" => Some(Record::Tlsa(parse_tlsa(&rest, data_line)?)),
            "SOA" => {
                let [mname, rname, serial, refresh, retry, expire, minimum] = exactly::<7>(
                    &rest,
                    data_line,
                    "MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM of a SOA",
                )?;
                self.name(mname)?;
                self.name(rname)?;
                parse_number::<u32>(serial, "SOA serial")?;
                for t in [refresh, retry, expire, minimum] {
                    parse_ttl(t)?;
                }
                None
            }
            "NS" => {
                self.one(&rest, data_line, "a name server", |t| self.name(t))?;
                None
            }
            other => {
                return Err(ZoneError::syntax(
                    rtype_token.line,
                    format!(
                        "record type {other} is not supported \
                         (A, AAAA, MX, PTR, TXT, CNAME, TLSA, SOA, NS are)"
                    ),
                ));
            }
        };
        match record {
            Some(record) => {
                self.dns.add_with_ttl(&owner, record, ttl);
            }
            None => self.dns.mark_exists(&owner),
        }
        Ok(())
    }

    fn one<T>(
        &self,
        rest: &[Token],
        line: usize,
        what: &str,
        f: impl FnOnce(&Token) -> Result<T, ZoneError>,
    ) -> Result<T, ZoneError> {
        let [token] = exactly::<1>(rest, line, what)?;
        f(token)
    }

    fn directive(&mut self, line: usize, directive: &str, args: &[Token]) -> Result<(), ZoneError> {
        match directive.to_ascii_uppercase().as_str() {
            "$ORIGIN" => {
                let [name] = exactly::<1>(args, line, "a domain name")?;
                self.origin = Some(self.name(name)?);
                Ok(())
            }
            "$TTL" => {
                let [ttl] = exactly::<1>(args, line, "a TTL")?;
                self.default_ttl = Some(parse_ttl(ttl)?);
                Ok(())
            }
            "$INCLUDE" => Err(ZoneError::syntax(
                line,
                "$INCLUDE is not supported: put the records in one file",
            )),
            _ => Err(ZoneError::syntax(
                line,
                format!("unknown directive {directive} ($ORIGIN and $TTL are supported)"),
            )),
        }
    }

    fn pragma(&mut self, line: usize, text: &str) -> Result<(), ZoneError> {
        let mut words = Vec::new();
        for item in tokenize(text).map_err(|e| relocate(e, line))? {
            match item {
                Item::Entry(entry) => words.extend(entry.tokens),
                Item::Pragma { .. } => {
                    return Err(ZoneError::syntax(line, "a pragma cannot hold a comment"));
                }
            }
        }
        for w in &mut words {
            w.line = line;
        }
        let Some((keyword, args)) = words.split_first() else {
            return Ok(());
        };
        let keyword = keyword.text().to_ascii_lowercase();
        let failure = match keyword.as_str() {
            "all-secure" => {
                if !args.is_empty() {
                    return Err(ZoneError::syntax(line, ";@all-secure takes no name"));
                }
                self.dns.set_all_secure(true);
                return Ok(());
            }
            "secure" => {
                let [name] = exactly::<1>(args, line, "one name after ;@secure")?;
                let name = self.name(name)?;
                self.dns.set_secure(&name, true);
                return Ok(());
            }
            "timeout" => Failure::Timeout,
            "servfail" => Failure::ServFail,
            "nxdomain" => Failure::NxDomain,
            other => {
                return Err(ZoneError::syntax(
                    line,
                    format!(
                        "unknown pragma ;@{other} (;@secure, ;@all-secure, ;@timeout, \
                         ;@servfail, ;@nxdomain are known; write \"; @\" for a comment)"
                    ),
                ));
            }
        };
        let (name, rtype) = match args {
            [name] => (name, None),
            [name, rtype] => (name, Some(parse_rtype(rtype)?)),
            _ => {
                return Err(ZoneError::syntax(
                    line,
                    format!(";@{keyword} takes a name and an optional record type"),
                ));
            }
        };
        let name = self.name(name)?;
        self.dns.fail_type(&name, rtype, failure);
        Ok(())
    }

    /// Resolves a name token against the origin.
    fn name(&self, token: &Token) -> Result<String, ZoneError> {
        let line = token.line;
        if token.quoted {
            return Err(ZoneError::syntax(
                line,
                "a quoted string where a domain name was expected",
            ));
        }
        if token.is_plain("@") {
            return self
                .origin
                .clone()
                .ok_or_else(|| ZoneError::syntax(line, "@ used before any $ORIGIN"));
        }
        if token.escaped_dot {
            return Err(ZoneError::syntax(
                line,
                "a dot inside a label (\\.) is not supported",
            ));
        }
        let text = std::str::from_utf8(&token.bytes)
            .map_err(|_| ZoneError::syntax(line, "domain name is not valid UTF-8"))?;
        let full = if text == "." {
            return Ok(String::new());
        } else if text.ends_with('.') {
            text.to_owned()
        } else {
            match self.origin.as_deref() {
                None => {
                    return Err(ZoneError::syntax(
                        line,
                        format!("relative name {text:?} before any $ORIGIN"),
                    ));
                }
                Some("") => format!("{text}."),
                Some(origin) => format!("{text}.{origin}."),
            }
        };
        normalize_name(&full)
            .map_err(|_| ZoneError::syntax(line, format!("invalid domain name {:?}", token.text())))
    }
}

fn relocate(err: ZoneError, line: usize) -> ZoneError {
    match err {
        ZoneError::Syntax { message, .. } => ZoneError::Syntax { line, message },
        other => other,
    }
}

fn exactly<'a, const N: usize>(
    tokens: &'a [Token],
    line: usize,
    what: &str,
) -> Result<&'a [Token; N], ZoneError> {
    tokens.try_into().map_err(|_| {
        let found = tokens.len();
        let line = tokens.get(N).map_or(line, |t| t.line);
        ZoneError::syntax(
            line,
            format!("expected {what} ({N} field(s)), found {found} field(s)"),
        )
    })
}

fn is_class(token: &Token) -> bool {
    ["IN", "CH", "CS", "HS", "ANY", "NONE"]
        .iter()
        .any(|c| token.is_plain(c))
}

fn rtype_name(token: &Token) -> String {
    token.text().to_ascii_uppercase()
}

fn parse_rtype(token: &Token) -> Result<RecordType, ZoneError> {
    let name = rtype_name(token);
    Ok(match name.as_str() {
        "A" => RecordType::A,
        "AAAA" => RecordType::Aaaa,
        "MX" => RecordType::Mx,
        "TXT" => RecordType::Txt,
        "PTR" => RecordType::Ptr,
        "TLSA" => RecordType::Tlsa,
        "CNAME" => RecordType::Cname,
        _ => {
            return Err(ZoneError::syntax(
                token.line,
                format!("record type {name} is not supported"),
            ));
        }
    })
}

fn parse_text<T: std::str::FromStr>(token: &Token, what: &str) -> Result<T, ZoneError> {
    std::str::from_utf8(&token.bytes)
        .ok()
        .filter(|_| !token.quoted)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ZoneError::syntax(token.line, format!("invalid {what} {:?}", token.text())))
}

fn parse_number<T: std::str::FromStr>(token: &Token, what: &str) -> Result<T, ZoneError> {
    if token.bytes.is_empty() || !token.bytes.iter().all(u8::is_ascii_digit) {
        return Err(ZoneError::syntax(
            token.line,
            format!("invalid {what} {:?}", token.text()),
        ));
    }
    parse_text(token, what)
}

/// A TTL: seconds, or BIND units (`1w2d3h4m5s`, case-insensitive).
fn parse_ttl(token: &Token) -> Result<u32, ZoneError> {
    let bad = || ZoneError::syntax(token.line, format!("invalid TTL {:?}", token.text()));
    if token.quoted || token.bytes.is_empty() {
        return Err(bad());
    }
    if token.bytes.iter().all(u8::is_ascii_digit) {
        return parse_text(token, "TTL");
    }
    let mut total: u32 = 0;
    let mut value: Option<u32> = None;
    for &b in &token.bytes {
        if b.is_ascii_digit() {
            let v = value.unwrap_or(0);
            value = Some(
                v.checked_mul(10)
                    .and_then(|v| v.checked_add(u32::from(b - b'0')))
                    .ok_or_else(bad)?,
            );
        } else {
            let unit: u32 = match b.to_ascii_lowercase() {
                b'w' => 604_800,
                b'd' => 86_400,
                b'h' => 3_600,
                b'm' => 60,
                b's' => 1,
                _ => return Err(bad()),
            };
            let v = value.take().ok_or_else(bad)?;
            total = v
                .checked_mul(unit)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(bad)?;
        }
    }
    if value.is_some() {
        // Digits after the last unit ("1h30").
        return Err(bad());
    }
    Ok(total)
}

fn parse_txt(rest: &[Token], line: usize) -> Result<Txt, ZoneError> {
    if rest.is_empty() {
        return Err(ZoneError::syntax(line, "TXT needs at least one string"));
    }
    let mut strings = Vec::with_capacity(rest.len());
    for token in rest {
        if token.bytes.len() > MAX_STRING_LEN {
            return Err(ZoneError::syntax(
                token.line,
                format!(
                    "TXT string of {} bytes is longer than 255: split it into several strings",
                    token.bytes.len()
                ),
            ));
        }
        strings.push(token.bytes.clone());
    }
    Ok(Txt::new(strings))
}

fn parse_tlsa(rest: &[Token], line: usize) -> Result<Tlsa, ZoneError> {
    let [usage, selector, matching, data @ ..] = rest else {
        return Err(ZoneError::syntax(
            line,
            "TLSA needs usage, selector, matching type and hexadecimal data",
        ));
    };
    if data.is_empty() {
        return Err(ZoneError::syntax(line, "TLSA certificate data missing"));
    }
    let mut hex = Vec::new();
    for token in data {
        if token.quoted || !token.bytes.iter().all(u8::is_ascii_hexdigit) {
            return Err(ZoneError::syntax(
                token.line,
                format!("TLSA data {:?} is not hexadecimal", token.text()),
            ));
        }
        hex.extend_from_slice(&token.bytes);
    }
    if hex.len() % 2 != 0 {
        return Err(ZoneError::syntax(
            data.last().map_or(line, |t| t.line),
            "TLSA data has an odd number of hexadecimal digits",
        ));
    }
    let bytes = hex
        .chunks(2)
        .map(|pair| {
            let hi = hex_value(pair.first().copied().unwrap_or(b'0'));
            let lo = hex_value(pair.get(1).copied().unwrap_or(b'0'));
            (hi << 4) | lo
        })
        .collect();
    Ok(Tlsa {
        usage: parse_number(usage, "TLSA usage")?,
        selector: parse_number(selector, "TLSA selector")?,
        matching: parse_number(matching, "TLSA matching type")?,
        data: bytes,
    })
}

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}
