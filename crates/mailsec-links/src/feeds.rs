//! Phishing feeds and allow/block lists: sets of URLs, hosts and registered
//! domains, swapped atomically at run time.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use crate::LinksError;
use crate::normalize::{NormalizedUrl, normalize_url_lenient, registered_domain_of};

/// How an entry matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeedMatch {
    /// The exact URL (scheme and fragment ignored).
    Url,
    /// The host name.
    Host,
    /// The registered domain.
    Domain,
}

/// A set of listed URLs, hosts and registered domains.
#[derive(Debug, Clone, Default)]
pub struct FeedSet {
    urls: HashSet<String>,
    hosts: HashSet<String>,
    domains: HashSet<String>,
}

impl FeedSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// List one URL. A URL naming only a host (empty path, no query) lists
    /// the host. Returns false when the text is not a URL.
    pub fn add_url(&mut self, raw: &str) -> bool {
        let Some(u) = normalize_url_lenient(raw) else {
            return false;
        };
        let Some(host) = u.host_str() else {
            return false;
        };
        if u.path().len() <= 1 && u.query().is_none() {
            self.hosts.insert(host.to_owned());
        }
        self.urls.insert(u.feed_key());
        true
    }

    /// List a host name (exact match; subdomains are not included).
    pub fn add_host(&mut self, host: &str) {
        self.hosts
            .insert(host.trim().trim_end_matches('.').to_ascii_lowercase());
    }

    /// List a registered domain and every host under it.
    pub fn add_domain(&mut self, domain: &str) {
        let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        let d = registered_domain_of(&d).unwrap_or(d);
        self.domains.insert(d);
    }

    /// How `url` is listed, if it is.
    pub fn matches(&self, url: &NormalizedUrl) -> Option<FeedMatch> {
        if let Some(d) = url.registered_domain()
            && self.domains.contains(d)
        {
            return Some(FeedMatch::Domain);
        }
        let host = url.host_str()?;
        if self.hosts.contains(host) {
            return Some(FeedMatch::Host);
        }
        if !self.urls.is_empty() && self.urls.contains(&url.feed_key()) {
            return Some(FeedMatch::Url);
        }
        None
    }

    /// Number of entries (URLs, hosts and domains).
    pub fn len(&self) -> usize {
        self.urls.len() + self.hosts.len() + self.domains.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Add every entry of `other`.
    pub fn extend(&mut self, other: FeedSet) {
        self.urls.extend(other.urls);
        self.hosts.extend(other.hosts);
        self.domains.extend(other.domains);
    }

    /// An OpenPhish-style plain list: one URL a line (`#` comments).
    pub fn from_plain_list(text: &str) -> Self {
        let mut s = FeedSet::new();
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            s.add_url(line);
        }
        s
    }

    /// A list of domains, one a line (`#` comments): each lists its registered domain.
    pub fn from_domain_list(text: &str) -> Self {
        let mut s = FeedSet::new();
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            s.add_domain(line);
        }
        s
    }

    /// A PhishTank CSV dump (`phish_id,url,...` with a header naming the `url` column).
    pub fn from_phishtank_csv(text: &str) -> Result<Self, LinksError> {
        Self::from_csv_column(text, "url", "PhishTank CSV")
    }

    /// A JPCERT/CC phishurl-list CSV (`date,URL,description`).
    pub fn from_jpcert_csv(text: &str) -> Result<Self, LinksError> {
        Self::from_csv_column(text, "url", "JPCERT CSV")
    }

    fn from_csv_column(text: &str, column: &str, format: &'static str) -> Result<Self, LinksError> {
        let mut rows = csv_rows(text);
        let header = rows.next().ok_or(LinksError::Feed {
            format,
            source: None,
        })?;
        let idx = header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(column))
            .ok_or(LinksError::Feed {
                format,
                source: None,
            })?;
        let mut s = FeedSet::new();
        for row in rows {
            if let Some(u) = row.get(idx) {
                s.add_url(u);
            }
        }
        Ok(s)
    }

    /// A PhishTank JSON dump: an array of objects with a `url` field.
    pub fn from_phishtank_json(text: &str) -> Result<Self, LinksError> {
        let format = "PhishTank JSON";
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| LinksError::Feed {
            format,
            source: Some(e),
        })?;
        let arr = v.as_array().ok_or(LinksError::Feed {
            format,
            source: None,
        })?;
        let mut s = FeedSet::new();
        for item in arr {
            if let Some(u) = item.get("url").and_then(|u| u.as_str()) {
                s.add_url(u);
            }
        }
        Ok(s)
    }
}

/// CSV rows (RFC 4180: quoted fields, doubled quotes, CRLF or LF).
pub(crate) fn csv_rows(text: &str) -> impl Iterator<Item = Vec<String>> + '_ {
    let mut chars = text.chars().peekable();
    std::iter::from_fn(move || {
        chars.peek()?;
        let mut row = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') => {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        field.push('"');
                    } else {
                        quoted = false;
                    }
                }
                (true, c) => field.push(c),
                (false, '"') if field.is_empty() => quoted = true,
                (false, ',') => row.push(std::mem::take(&mut field)),
                (false, '\r') => {}
                (false, '\n') => break,
                (false, c) => field.push(c),
            }
        }
        row.push(field);
        Some(row)
    })
}

/// Block and allow sets shared by every check, replaceable while checks run.
///
/// Readers take a cheap snapshot (`Arc`) per message; a reload swaps the
/// whole set, so a check never sees half a feed.
#[derive(Debug, Default)]
pub struct Feeds {
    block: RwLock<Arc<FeedSet>>,
    allow: RwLock<Arc<FeedSet>>,
}

impl Feeds {
    /// Empty block and allow sets.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replace the block set (phishing feeds, local block lists).
    pub fn replace_block(&self, set: FeedSet) {
        let set = Arc::new(set);
        match self.block.write() {
            Ok(mut g) => *g = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
    }

    /// Replace the allow set (the caller's partners, known-good senders).
    pub fn replace_allow(&self, set: FeedSet) {
        let set = Arc::new(set);
        match self.allow.write() {
            Ok(mut g) => *g = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
    }

    /// The current block set.
    pub fn block(&self) -> Arc<FeedSet> {
        match self.block.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The current allow set.
    pub fn allow(&self) -> Arc<FeedSet> {
        match self.allow.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize_url;

    #[test]
    fn formats() {
        let s = FeedSet::from_plain_list(
            "# openphish\nhttps://evil.example/login.php\nhttp://bad.example/\n\n",
        );
        assert_eq!(
            s.matches(&normalize_url("http://evil.example/login.php").unwrap()),
            Some(FeedMatch::Url)
        );
        assert_eq!(
            s.matches(&normalize_url("https://evil.example/other").unwrap()),
            None
        );
        assert_eq!(
            s.matches(&normalize_url("https://bad.example/any/path").unwrap()),
            Some(FeedMatch::Host)
        );

        let csv = "phish_id,url,phish_detail_url\n1,\"http://a.example/x?a=1,2\",http://pt/1\n2,http://b.example/y,z\n";
        let s = FeedSet::from_phishtank_csv(csv).unwrap();
        assert_eq!(
            s.matches(&normalize_url("http://a.example/x?a=1,2").unwrap()),
            Some(FeedMatch::Url)
        );
        assert_eq!(s.len(), 2);

        let s = FeedSet::from_jpcert_csv(
            "date,URL,description\r\n2025/01/06 09:56:00,https://ybr.example/,Apple ID\r\n",
        )
        .unwrap();
        assert_eq!(
            s.matches(&normalize_url("http://ybr.example/").unwrap()),
            Some(FeedMatch::Host)
        );

        let s =
            FeedSet::from_phishtank_json(r#"[{"phish_id":1,"url":"http://j.example/p"}]"#).unwrap();
        assert_eq!(
            s.matches(&normalize_url("http://j.example/p").unwrap()),
            Some(FeedMatch::Url)
        );
        assert!(FeedSet::from_phishtank_json("{").is_err());
        assert!(FeedSet::from_phishtank_csv("a,b\n1,2\n").is_err());

        let s = FeedSet::from_domain_list("www.partner.co.uk\n");
        assert_eq!(
            s.matches(&normalize_url("https://mail.partner.co.uk/").unwrap()),
            Some(FeedMatch::Domain)
        );
    }

    #[test]
    fn reload() {
        let feeds = Feeds::new();
        let u = normalize_url("http://bad.example/").unwrap();
        assert!(feeds.block().matches(&u).is_none());
        let before = feeds.block();
        feeds.replace_block(FeedSet::from_plain_list("http://bad.example/"));
        assert!(feeds.block().matches(&u).is_some());
        assert!(
            before.matches(&u).is_none(),
            "old snapshots stay as they were"
        );
    }
}
