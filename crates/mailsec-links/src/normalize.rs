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
#[derive(Debug, Clone)]
pub struct NormalizedUrl {
    url: Url,
    host_unicode: Option<String>,
    registered_domain: Option<String>,
    host_kind: HostKind,
    invisible_chars: bool,
    scheme_added: bool,
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
        Url::parse(&format!("http://{cleaned}")).ok()?
    } else {
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
        url,
        host_unicode,
        registered_domain,
        host_kind,
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

impl NormalizedUrl {
    /// The parsed URL (WHATWG-normalised: ASCII host, no default port).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The normalised URL as a string.
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// The scheme, lower case.
    pub fn scheme(&self) -> &str {
        self.url.scheme()
    }

    /// The ASCII host (punycode for IDNs; dotted quad for IPv4).
    pub fn host_str(&self) -> Option<&str> {
        self.url.host_str().map(|h| h.trim_end_matches('.'))
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
        !self.url.username().is_empty() || self.url.password().is_some()
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
        (self.url.into(), self.host_unicode, self.registered_domain)
    }

    /// Whether the host is an internationalised (punycode) name.
    pub fn is_idn(&self) -> bool {
        self.host_str()
            .is_some_and(|h| h.split('.').any(|l| l.starts_with("xn--")))
    }

    /// The URL without scheme and fragment (`host[:port]/path?query`), the
    /// key feeds are matched on so `http` and `https` entries coincide.
    pub fn feed_key(&self) -> String {
        let mut key = String::with_capacity(self.url.as_str().len());
        key.push_str(self.host_str().unwrap_or_default());
        if let Some(port) = self.url.port() {
            key.push(':');
            key.push_str(&port.to_string());
        }
        key.push_str(self.url.path());
        if let Some(q) = self.url.query() {
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
