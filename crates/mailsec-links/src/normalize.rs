//! URL normalisation: one canonical view of where a link really goes.
//!
//! The `url` crate implements the WHATWG URL standard, which is what
//! browsers do with the strings found in mail: backslashes count as slashes,
//! numeric, hexadecimal and octal IPv4 hosts are decoded, percent-encoded
//! hosts are decoded, IDNs are mapped to punycode and default ports dropped.
//! On top of that this module keeps what the standard throws away but a
//! reader should be told about: a `user@` part, invisible characters, a
//! punycode host's Unicode form, and the registered domain from the public
//! suffix list.

use std::net::IpAddr;

use url::{Host, Url};

/// The kind of host a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HostKind {
    /// A domain name.
    Domain,
    /// An IPv4 literal (in any of the numeric forms browsers accept).
    Ipv4,
    /// An IPv6 literal.
    Ipv6,
    /// No host (`mailto:`, `data:`, `javascript:` ...).
    None,
}

/// A URL after normalisation.
#[derive(Clone)]
pub struct NormalizedUrl {
    url: Repr,
    host_unicode: Option<String>,
    registered_domain: Option<String>,
    host_kind: HostKind,
    invisible_chars: bool,
    scheme_added: bool,
}

/// How a normalised URL is held: parsed by `url`, or, for the common plain
/// `http(s)://host[:port]/path?query#fragment` already in the form the
/// WHATWG parser would serialise it to, as that serialisation with the
/// offsets of its parts ([`Plain`]; the `url::Url` is built only if asked for).
#[derive(Clone)]
enum Repr {
    Parsed(Url),
    Plain(Plain),
}

/// A URL that [`plain`] proved canonical: `serialization` is exactly what
/// `Url::parse(serialization)` gives back, with its parts at these offsets.
#[derive(Clone)]
struct Plain {
    serialization: String,
    /// Offset of the `:` after the scheme.
    scheme_end: usize,
    /// End of the host (start of `:port` or the path).
    host_end: usize,
    port: Option<u16>,
    /// Start of the path (always `/`).
    path_start: usize,
    /// Offset of the `?`, if any.
    query_start: Option<usize>,
    /// Offset of the `#`, if any.
    fragment_start: Option<usize>,
    /// The `url::Url`, parsed on the first call to [`NormalizedUrl::url`].
    parsed: std::sync::OnceLock<Url>,
}

impl Plain {
    fn host(&self) -> &str {
        self.serialization
            .get(self.scheme_end + 3..self.host_end)
            .unwrap_or_default()
    }

    fn path(&self) -> &str {
        let end = self
            .query_start
            .or(self.fragment_start)
            .unwrap_or(self.serialization.len());
        self.serialization
            .get(self.path_start..end)
            .unwrap_or_default()
    }

    fn query(&self) -> Option<&str> {
        let start = self.query_start?;
        let end = self.fragment_start.unwrap_or(self.serialization.len());
        self.serialization.get(start + 1..end)
    }
}

/// A byte a plain path may hold as it is (the WHATWG parser copies it
/// unchanged); anything else sends the URL to the full parser.
fn plain_path_byte(b: u8) -> bool {
    b.is_ascii_graphic()
        && !matches!(
            b,
            b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'}' | b'|'
        )
}

/// A byte a plain query may hold as it is.
fn plain_query_byte(b: u8) -> bool {
    plain_path_byte(b) && b != b'\''
}

/// A byte a plain fragment may hold as it is.
fn plain_fragment_byte(b: u8) -> bool {
    plain_query_byte(b) && b != b'#'
}

/// The canonical form of `text` when it is a plain `http(s)` URL whose
/// WHATWG serialisation is `text` itself (or `text` with the `/` of an empty
/// path added): lower-case scheme and host of letters, digits, hyphens and
/// dots (no `xn--` label, last label starting with a letter, so no IPv4
/// form), an optional non-default port without leading zeros, and a path,
/// query and fragment of bytes the parser copies unchanged, no `.`/`..`
/// segment. `None` sends the text to `url::Url::parse`, which handles all
/// the rest (IDNA, percent-encoded hosts, numeric hosts, backslashes,
/// `user@`, upper case, escapes to add, dot segments).
fn plain(text: &str) -> Option<Plain> {
    let b = text.as_bytes();
    let (scheme_end, default_port) = if b.starts_with(b"https://") {
        (5, 443)
    } else if b.starts_with(b"http://") {
        (4, 80)
    } else {
        return None;
    };
    let host_start = scheme_end + 3;
    let mut i = host_start;
    let mut label_start = i;
    while let Some(&c) = b.get(i) {
        match c {
            b'a'..=b'z' | b'0'..=b'9' | b'-' => {}
            b'.' => {
                if i == label_start || i - label_start > 63 {
                    return None;
                }
                label_start = i + 1;
            }
            b'/' | b'?' | b'#' | b':' => break,
            _ => return None,
        }
        i += 1;
    }
    let host_end = i;
    let host = b.get(host_start..host_end)?;
    if host_end == label_start
        || host_end - label_start > 63
        || host.len() > 253
        || !b.get(label_start).is_some_and(u8::is_ascii_lowercase)
        || host.windows(4).any(|w| w == b"xn--")
    {
        return None;
    }
    let mut port = None;
    if b.get(i) == Some(&b':') {
        let start = i + 1;
        let mut end = start;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        let digits = text.get(start..end)?;
        if digits.is_empty() || digits.len() > 5 || digits.starts_with('0') {
            return None;
        }
        let p: u16 = digits.parse().ok()?;
        if p == default_port {
            return None;
        }
        port = Some(p);
        i = end;
    }
    let authority_end = i;
    let mut built = None;
    let mut shift = 0;
    match b.get(i) {
        None | Some(b'?' | b'#') => {
            // `http://host?q` is `http://host/?q`.
            let mut s = String::with_capacity(text.len() + 1);
            s.push_str(text.get(..i)?);
            s.push('/');
            s.push_str(text.get(i..)?);
            built = Some(s);
            shift = 1;
        }
        Some(b'/') => {
            while let Some(&c) = b.get(i) {
                if c == b'?' || c == b'#' {
                    break;
                }
                if c == b'/' {
                    // A `.` or `..` segment (also as `%2e`) is resolved by the parser.
                    let next = b.get(i + 1..).unwrap_or_default();
                    if next.first() == Some(&b'.')
                        || next
                            .get(..3)
                            .is_some_and(|s| s.eq_ignore_ascii_case(b"%2e"))
                    {
                        return None;
                    }
                } else if !plain_path_byte(c) {
                    return None;
                }
                i += 1;
            }
        }
        Some(_) => return None,
    }
    let mut query_start = None;
    if b.get(i) == Some(&b'?') {
        query_start = Some(i + shift);
        i += 1;
        while let Some(&c) = b.get(i) {
            if c == b'#' {
                break;
            }
            if !plain_query_byte(c) {
                return None;
            }
            i += 1;
        }
    }
    let mut fragment_start = None;
    if b.get(i) == Some(&b'#') {
        fragment_start = Some(i + shift);
        i += 1;
        while let Some(&c) = b.get(i) {
            if !plain_fragment_byte(c) {
                return None;
            }
            i += 1;
        }
    }
    Some(Plain {
        serialization: built.unwrap_or_else(|| text.to_owned()),
        scheme_end,
        host_end,
        port,
        path_start: authority_end,
        query_start,
        fragment_start,
        parsed: std::sync::OnceLock::new(),
    })
}

/// Zero-width and bidirectional control characters that hide or reorder text.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
            | '\u{00AD}'
            | '\u{180E}'
    )
}

/// Longest URL this crate looks at; longer strings are cut (browsers and
/// mail clients give up well before this).
pub(crate) const MAX_URL_LEN: usize = 8192;

/// Normalise a URL as found in a message (an `href`, a bare URL in text).
///
/// Leading and trailing white space and wrapping `<>`/quotes are removed;
/// a `www.` form without scheme gets `http://`. Returns `None` when the text
/// is not an absolute URL.
///
/// ```
/// use mailsec_links::normalize_url;
/// let u = normalize_url("http://0x7f.1/login").unwrap();
/// assert_eq!(u.host_str(), Some("127.0.0.1"));
/// let u = normalize_url("https://www.xn--80ak6aa92e.com/").unwrap();
/// assert_eq!(u.host_unicode(), Some("www.аррӏе.com"));
/// ```
pub fn normalize_url(raw: &str) -> Option<NormalizedUrl> {
    let mut text =
        raw.trim_matches(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\''));
    if text.len() > MAX_URL_LEN {
        let mut end = MAX_URL_LEN;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text = text.get(..end).unwrap_or_default();
    }
    // Every invisible character is outside ASCII.
    let invisible_chars = !text.is_ascii() && text.chars().any(is_invisible);
    let cleaned: std::borrow::Cow<'_, str> = if invisible_chars {
        text.chars()
            .filter(|c| !is_invisible(*c))
            .collect::<String>()
            .into()
    } else {
        text.into()
    };
    let mut scheme_added = false;
    let url = if starts_with_ignore_case(&cleaned, "www.") {
        scheme_added = true;
        let text = format!("http://{cleaned}");
        if let Some(p) = plain(&text) {
            return Some(from_plain(p, invisible_chars, scheme_added));
        }
        Url::parse(&text).ok()?
    } else {
        if let Some(p) = plain(&cleaned) {
            return Some(from_plain(p, invisible_chars, scheme_added));
        }
        let url = Url::parse(&cleaned).ok()?;
        if url.cannot_be_a_base()
            && !matches!(
                url.scheme(),
                "javascript" | "data" | "mailto" | "tel" | "vbscript" | "file"
            )
        {
            return None;
        }
        url
    };
    Some(from_url(url, invisible_chars, scheme_added))
}

/// Normalise a URL for the lexical model and list look-ups: a URL without
/// scheme gets `http://`, and any `http`/`https` scheme is treated alike.
pub fn normalize_url_lenient(raw: &str) -> Option<NormalizedUrl> {
    let trimmed = raw.trim();
    let scheme = trimmed
        .find(':')
        .and_then(|i| trimmed.get(..i))
        .filter(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        });
    let has_scheme = scheme.is_some_and(|s| {
        trimmed.get(s.len()..).is_some_and(|r| r.starts_with("://"))
            || ["javascript", "vbscript", "data", "mailto"]
                .iter()
                .any(|k| s.eq_ignore_ascii_case(k))
    });
    if has_scheme {
        normalize_url(trimmed)
    } else {
        let mut n = normalize_url(&format!("http://{trimmed}"))?;
        n.scheme_added = true;
        Some(n)
    }
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn from_url(url: Url, invisible_chars: bool, scheme_added: bool) -> NormalizedUrl {
    let (host_kind, host_unicode, registered_domain) = match url.host() {
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.');
            let unicode = if d.contains("xn--") {
                let (u, res) = idna::domain_to_unicode(d);
                if res.is_ok() { u } else { d.to_owned() }
            } else {
                d.to_owned()
            };
            (HostKind::Domain, Some(unicode), registered_domain_of(d))
        }
        Some(Host::Ipv4(ip)) => (HostKind::Ipv4, Some(ip.to_string()), None),
        Some(Host::Ipv6(ip)) => (HostKind::Ipv6, Some(ip.to_string()), None),
        None => (HostKind::None, None, None),
    };
    NormalizedUrl {
        url: Repr::Parsed(url),
        host_unicode,
        registered_domain,
        host_kind,
        invisible_chars,
        scheme_added,
    }
}

/// [`from_url`] for a [`Plain`] URL: a domain host with no `xn--` label
/// and no trailing dot, so its Unicode form is itself.
fn from_plain(p: Plain, invisible_chars: bool, scheme_added: bool) -> NormalizedUrl {
    let host = p.host();
    let host_unicode = Some(host.to_owned());
    let registered_domain = registered_domain_of(host);
    NormalizedUrl {
        url: Repr::Plain(p),
        host_unicode,
        registered_domain,
        host_kind: HostKind::Domain,
        invisible_chars,
        scheme_added,
    }
}

/// The registered domain (public suffix plus one label) of an ASCII host
/// name, by the public suffix list; `None` for a bare suffix or an IP.
pub fn registered_domain_of(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.');
    if host.is_empty() || host.len() > RECENT_HOST_MAX {
        return registered_domain_uncached(host);
    }
    // Links of one message repeat a few hosts: the last few answers are
    // kept per thread (the look-up is a pure function of `host`).
    RECENT_DOMAINS.with(|cell| {
        let Ok(mut recent) = cell.try_borrow_mut() else {
            return registered_domain_uncached(host);
        };
        if let Some((_, d)) = recent.iter().find(|(h, _)| h == host) {
            return d.clone();
        }
        let d = registered_domain_uncached(host);
        if recent.len() >= RECENT_HOSTS {
            recent.remove(0);
        }
        recent.push((host.to_owned(), d.clone()));
        d
    })
}

/// How many host → registered domain answers each thread keeps.
const RECENT_HOSTS: usize = 16;
/// Longest host name kept among them.
const RECENT_HOST_MAX: usize = 128;

thread_local! {
    /// The last [`RECENT_HOSTS`] answers of [`registered_domain_of`].
    static RECENT_DOMAINS: std::cell::RefCell<Vec<(String, Option<String>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

fn registered_domain_uncached(host: &str) -> Option<String> {
    if host.is_empty() || host.parse::<IpAddr>().is_ok() {
        return None;
    }
    let lower;
    let host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
        lower = host.to_ascii_lowercase();
        lower.as_str()
    } else {
        host
    };
    let d = psl::domain(host.as_bytes())?;
    std::str::from_utf8(d.as_bytes()).ok().map(str::to_owned)
}

impl std::fmt::Debug for NormalizedUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NormalizedUrl")
            .field("url", self.url())
            .field("host_unicode", &self.host_unicode)
            .field("registered_domain", &self.registered_domain)
            .field("host_kind", &self.host_kind)
            .field("invisible_chars", &self.invisible_chars)
            .field("scheme_added", &self.scheme_added)
            .finish()
    }
}

/// What [`NormalizedUrl::url`] gives should a plain URL fail to re-parse
/// (it cannot: [`plain`] accepts only what the parser serialises unchanged).
static UNPARSED: std::sync::LazyLock<Url> = std::sync::LazyLock::new(|| {
    #[allow(clippy::expect_used)] // a constant, valid URL
    Url::parse("about:blank").expect("about:blank parses")
});

impl NormalizedUrl {
    /// The parsed URL (WHATWG-normalised: ASCII host, no default port).
    ///
    /// Plain `http(s)` URLs are held without a `url::Url` and parsed on the
    /// first call; prefer [`NormalizedUrl::path`], [`NormalizedUrl::query`]
    /// and [`NormalizedUrl::port`], which never parse.
    pub fn url(&self) -> &Url {
        match &self.url {
            Repr::Parsed(u) => u,
            Repr::Plain(p) => p
                .parsed
                .get_or_init(|| Url::parse(&p.serialization).unwrap_or_else(|_| UNPARSED.clone())),
        }
    }

    /// The normalised URL as a string.
    pub fn as_str(&self) -> &str {
        match &self.url {
            Repr::Parsed(u) => u.as_str(),
            Repr::Plain(p) => &p.serialization,
        }
    }

    /// The scheme, lower case.
    pub fn scheme(&self) -> &str {
        match &self.url {
            Repr::Parsed(u) => u.scheme(),
            Repr::Plain(p) => p.serialization.get(..p.scheme_end).unwrap_or_default(),
        }
    }

    /// The ASCII host (punycode for IDNs; dotted quad for IPv4).
    pub fn host_str(&self) -> Option<&str> {
        match &self.url {
            Repr::Parsed(u) => u.host_str().map(|h| h.trim_end_matches('.')),
            Repr::Plain(p) => Some(p.host()),
        }
    }

    /// The path (`/` at least for `http(s)` URLs), as [`Url::path`].
    pub fn path(&self) -> &str {
        match &self.url {
            Repr::Parsed(u) => u.path(),
            Repr::Plain(p) => p.path(),
        }
    }

    /// The query without its `?`, as [`Url::query`].
    pub fn query(&self) -> Option<&str> {
        match &self.url {
            Repr::Parsed(u) => u.query(),
            Repr::Plain(p) => p.query(),
        }
    }

    /// The port when it is not the scheme's default, as [`Url::port`].
    pub fn port(&self) -> Option<u16> {
        match &self.url {
            Repr::Parsed(u) => u.port(),
            Repr::Plain(p) => p.port,
        }
    }

    /// The user name of a `user@` part, still percent-encoded.
    pub(crate) fn username(&self) -> &str {
        match &self.url {
            Repr::Parsed(u) => u.username(),
            Repr::Plain(_) => "",
        }
    }

    /// Whether [`crate::nested_urls`] can find a URL in this one: its query
    /// holds `%`, `http` or `www.` (any case) or its path `/http` (a
    /// superset of what that function looks at).
    pub(crate) fn may_carry_urls(&self) -> bool {
        // The query holds `%`, `http` or `www.` (any case); the path `/http`.
        self.query().is_some_and(|q| {
            let q = q.as_bytes();
            q.iter().enumerate().any(|(i, &b)| match b | 0x20 {
                0x25 if b == b'%' => true,
                b'h' => q
                    .get(i..i + 4)
                    .is_some_and(|w| w.eq_ignore_ascii_case(b"http")),
                b'w' => q
                    .get(i..i + 4)
                    .is_some_and(|w| w.eq_ignore_ascii_case(b"www.")),
                _ => false,
            })
        }) || {
            let p = self.path().as_bytes();
            memchr::memchr_iter(b'/', p).any(|i| p.get(i + 1..i + 5) == Some(b"http"))
        }
    }

    /// The host in Unicode (what a punycode host looks like to a reader).
    pub fn host_unicode(&self) -> Option<&str> {
        self.host_unicode.as_deref()
    }

    /// The registered domain (e.g. `example.co.uk`), ASCII.
    pub fn registered_domain(&self) -> Option<&str> {
        self.registered_domain.as_deref()
    }

    /// What kind of host the URL names.
    pub fn host_kind(&self) -> HostKind {
        self.host_kind
    }

    /// Whether the authority carries a `user@` or `user:password@` part.
    pub fn has_userinfo(&self) -> bool {
        match &self.url {
            Repr::Parsed(u) => !u.username().is_empty() || u.password().is_some(),
            Repr::Plain(_) => false,
        }
    }

    /// Whether the original text held zero-width or bidi control characters.
    pub fn had_invisible_chars(&self) -> bool {
        self.invisible_chars
    }

    /// Whether `http://` was supplied because the text had no scheme.
    pub fn scheme_was_added(&self) -> bool {
        self.scheme_added
    }

    /// The URL string, the Unicode host and the registered domain, moved out.
    pub(crate) fn into_parts(self) -> (String, Option<String>, Option<String>) {
        let url = match self.url {
            Repr::Parsed(u) => u.into(),
            Repr::Plain(p) => p.serialization,
        };
        (url, self.host_unicode, self.registered_domain)
    }

    /// Whether the host is an internationalised (punycode) name.
    pub fn is_idn(&self) -> bool {
        self.host_str()
            .is_some_and(|h| h.split('.').any(|l| l.starts_with("xn--")))
    }

    /// The URL without scheme and fragment (`host[:port]/path?query`), the
    /// key feeds are matched on so `http` and `https` entries coincide.
    pub fn feed_key(&self) -> String {
        let mut key = String::with_capacity(self.as_str().len());
        key.push_str(self.host_str().unwrap_or_default());
        if let Some(port) = self.port() {
            key.push(':');
            key.push_str(&port.to_string());
        }
        key.push_str(self.path());
        if let Some(q) = self.query() {
            key.push('?');
            key.push_str(q);
        }
        key
    }
}

/// Pull the domain a piece of visible text claims to point at, if it
/// looks like a URL or a bare domain (`www.bank.com`, `https://bank.com/x`,
/// `bank.com`). Returns the registered domain and whether the text said `https`.
pub(crate) fn domain_in_text(text: &str) -> Option<(String, bool)> {
    for word in text.split(|c: char| {
        c.is_whitespace() || matches!(c, '<' | '>' | '"' | '(' | ')' | '[' | ']' | ',')
    }) {
        let word =
            word.trim_matches(|c: char| matches!(c, '.' | ':' | ';' | '!' | '?' | '\'' | '*'));
        if word.len() < 4 || !word.contains('.') {
            continue;
        }
        let says_https = starts_with_ignore_case(word, "https://");
        let candidate = if word.contains("://") {
            normalize_url(word)
        } else if word.contains('@') {
            // An e-mail address is not a link destination.
            continue;
        } else {
            let host_part = word.split(['/', '?', '#']).next().unwrap_or_default();
            if !looks_like_domain(host_part) {
                continue;
            }
            normalize_url(&format!("http://{word}"))
        };
        let Some(u) = candidate else { continue };
        if let Some(d) = u.registered_domain() {
            return Some((d.to_owned(), says_https));
        }
        if u.host_kind() == HostKind::Ipv4 || u.host_kind() == HostKind::Ipv6 {
            return Some((u.host_str().unwrap_or_default().to_owned(), says_https));
        }
    }
    None
}

fn looks_like_domain(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || l.len() > 63) {
        return false;
    }
    let Some(tld) = labels.last() else {
        return false;
    };
    if !tld.chars().all(|c| c.is_alphabetic()) || tld.chars().count() < 2 {
        return false;
    }
    if !labels
        .iter()
        .all(|l| l.chars().all(|c| c.is_alphanumeric() || c == '-'))
    {
        return false;
    }
    // The suffix must be a real one, else "file.txt" or "e.g" would count.
    let lower = s.to_lowercase();
    let ascii = if lower.is_ascii() {
        lower
    } else {
        match idna::domain_to_ascii(&lower) {
            Ok(a) => a,
            Err(_) => return false,
        }
    };
    psl::suffix(ascii.as_bytes()).is_some_and(|suf| suf.is_known())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Everything a caller can read of a normalised URL.
    fn view(u: &NormalizedUrl) -> String {
        format!(
            "{:?} {} {} {:?} {} {:?} {:?} {} {} {:?}",
            u,
            u.as_str(),
            u.scheme(),
            u.host_str(),
            u.path(),
            u.query(),
            u.port(),
            u.username(),
            u.has_userinfo(),
            (
                u.host_unicode(),
                u.registered_domain(),
                u.host_kind(),
                u.feed_key(),
                u.is_idn(),
                u.may_carry_urls()
            ),
        )
    }

    /// `text` normalised by `url::Url` alone and through the plain fast
    /// path must read the same; returns whether the fast path took it.
    fn same_as_parser(text: &str) -> Result<bool, TestCaseError> {
        let fast = plain(text);
        let Some(p) = fast.clone() else {
            return Ok(false);
        };
        let parsed = Url::parse(text);
        prop_assert!(parsed.is_ok(), "{text}");
        let Ok(url) = parsed else { return Ok(false) };
        prop_assert_eq!(url.as_str(), p.serialization.as_str(), "{}", text);
        prop_assert_eq!(url.path(), p.path());
        prop_assert_eq!(url.query(), p.query());
        prop_assert_eq!(url.port(), p.port);
        let slow = from_url(url, false, false);
        let fast = from_plain(p, false, false);
        prop_assert_eq!(view(&slow), view(&fast));
        prop_assert_eq!(slow.url(), fast.url());
        Ok(true)
    }

    #[test]
    fn plain_urls_take_the_fast_path() {
        for (text, fast) in [
            (
                "https://www.example.org/path/1/page.html?id=31&ref=mail",
                true,
            ),
            ("http://shop.example.com", true),
            ("http://shop.example.com?x=1#y", true),
            ("https://a-b.example.co.uk:8443/x#frag", true),
            ("https://a.example/%7Euser/?q=%20", true),
            ("https://A.example/", false),
            ("HTTP://a.example/", false),
            ("http://a.example:80/", false),
            ("https://a.example:443/", false),
            ("http://a.example:080/", false),
            ("http://a.example:/", false),
            ("http://a.example./", false),
            ("http://a..example/", false),
            ("http://1.2.3.4/", false),
            ("http://a.0x10/", false),
            ("http://xn--80ak6aa92e.com/", false),
            ("http://user@a.example/", false),
            ("http://a.example\\x", false),
            ("http://a.example/a/../b", false),
            ("http://a.example/a/%2e/b", false),
            ("http://a.example/a b", false),
            ("http://a.example/?a'b", false),
            ("http://a_b.example/", false),
            ("ftp://a.example/", false),
        ] {
            assert_eq!(same_as_parser(text).unwrap(), fast, "{text}");
        }
    }

    #[test]
    fn may_carry_urls_covers_nested_urls() {
        for (text, may) in [
            ("https://a.example/p?id=1&ref=mail", false),
            ("https://a.example/p", false),
            ("https://r.example/c?u=https%3A%2F%2Fb.example%2F", true),
            ("https://r.example/c?u=HTTP://b.example/", true),
            ("https://r.example/c?u=WwW.b.example", true),
            ("https://r.example/out/https://b.example/x", true),
            ("http://r.example/?q=%", true),
        ] {
            let u = normalize_url(text).unwrap();
            assert_eq!(u.may_carry_urls(), may, "{text}");
            if !may {
                assert!(crate::nested_urls(u.url()).is_empty(), "{text}");
            }
        }
    }

    proptest! {
        #[test]
        fn nested_urls_need_may_carry_urls(
            path in "(/[a-zA-Z:/%.]{0,8}){0,3}",
            query in proptest::option::of("[a-zA-Z:/%.=&]{0,24}"),
        ) {
            let mut text = format!("https://r.example{path}");
            if let Some(q) = query {
                text.push('?');
                text.push_str(&q);
            }
            if let Some(u) = normalize_url(&text) {
                prop_assert!(u.may_carry_urls() || crate::nested_urls(u.url()).is_empty(), "{}", text);
            }
        }

        #[test]
        fn may_carry_urls_is_the_substring_test(
            path in "(/[a-zA-Z:/%.\u{5}]{0,8}){0,3}",
            query in proptest::option::of("[a-zA-Z:/%.=&\u{5}]{0,24}"),
        ) {
            let mut text = format!("https://r.example{path}");
            if let Some(q) = query {
                text.push('?');
                text.push_str(&q);
            }
            if let Some(u) = normalize_url(&text) {
                let q = u.query().unwrap_or_default().to_ascii_lowercase();
                let slow = u.query().is_some()
                    && (q.contains('%') || q.contains("http") || q.contains("www."))
                    || u.path().contains("/http");
                prop_assert_eq!(u.may_carry_urls(), slow, "{}", text);
            }
        }

        #[test]
        fn plain_urls_equal_the_parser(
            scheme in "https?",
            host in "[a-z0-9][a-z0-9-]{0,8}(\\.[a-z0-9x-]{1,6}){0,3}",
            port in proptest::option::of(0u32..70_000),
            path in proptest::option::of("(/[!-~]{0,6}){0,4}"),
            query in proptest::option::of("[ -~]{0,12}"),
            fragment in proptest::option::of("[ -~]{0,6}"),
        ) {
            let mut text = format!("{scheme}://{host}");
            if let Some(p) = port {
                text.push_str(&format!(":{p}"));
            }
            text.push_str(path.as_deref().unwrap_or_default());
            if let Some(q) = query {
                text.push('?');
                text.push_str(&q);
            }
            if let Some(f) = fragment {
                text.push('#');
                text.push_str(&f);
            }
            same_as_parser(&text)?;
        }

        #[test]
        fn likely_plain_urls_equal_the_parser(
            host in "[a-z][a-z0-9-]{0,8}(\\.[a-z][a-z0-9-]{0,6}){1,3}",
            path in "(/[a-zA-Z0-9._~%!$&'()*+,;=:@-]{0,8}){0,4}",
            query in proptest::option::of("[a-zA-Z0-9._~%!$&()*+,;=:@/?-]{0,16}"),
        ) {
            let mut text = format!("https://{host}{path}");
            if let Some(q) = query {
                text.push('?');
                text.push_str(&q);
            }
            same_as_parser(&text)?;
        }
    }

    #[test]
    fn numeric_hosts() {
        for raw in [
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://127.1/",
        ] {
            let u = normalize_url(raw).unwrap();
            assert_eq!(u.host_str(), Some("127.0.0.1"), "{raw}");
            assert_eq!(u.host_kind(), HostKind::Ipv4);
        }
    }

    #[test]
    fn userinfo_and_backslashes() {
        let u = normalize_url("http://www.paypal.com@evil.example.net\\login").unwrap();
        assert!(u.has_userinfo());
        assert_eq!(u.host_str(), Some("evil.example.net"));
        assert_eq!(u.url().path(), "/login");
    }

    #[test]
    fn default_port_percent_and_case() {
        let u = normalize_url("HTTPS://WWW.Bank.CO.UK:443/a%2Fb").unwrap();
        assert_eq!(u.as_str(), "https://www.bank.co.uk/a%2Fb");
        assert_eq!(u.registered_domain(), Some("bank.co.uk"));
        let u = normalize_url("http://%77%77%77.example.org/").unwrap();
        assert_eq!(u.host_str(), Some("www.example.org"));
    }

    #[test]
    fn punycode_round_trip() {
        let u = normalize_url("http://раураl.com/").unwrap();
        assert_eq!(u.host_str(), Some("xn--l-7sba6dbr.com"));
        assert_eq!(u.host_unicode(), Some("раураl.com"));
        assert!(u.is_idn());
    }

    #[test]
    fn invisible_and_www() {
        let u = normalize_url("www.exa\u{200B}mple.com/x").unwrap();
        assert!(u.had_invisible_chars());
        assert!(u.scheme_was_added());
        assert_eq!(u.host_str(), Some("www.example.com"));
    }

    #[test]
    fn domains_in_text() {
        assert_eq!(
            domain_in_text("Go to https://www.paypal.com/signin now"),
            Some(("paypal.com".into(), true))
        );
        assert_eq!(
            domain_in_text("www.bank.co.uk"),
            Some(("bank.co.uk".into(), false))
        );
        assert_eq!(domain_in_text("click here"), None);
        assert_eq!(domain_in_text("see file.txt"), None);
        assert_eq!(domain_in_text("mail me at a@b.com"), None);
    }
}
