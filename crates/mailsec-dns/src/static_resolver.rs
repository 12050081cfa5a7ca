//! A resolver that answers from memory.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use async_trait::async_trait;

use crate::name::normalized;
use crate::resolver::by_preference;
use crate::{
    Answer, DnsError, Mx, Record, RecordType, Resolver, TempFailKind, Tlsa, Txt, normalize_name,
    reverse_name,
};

/// TTL given to records added without one.
const DEFAULT_TTL: u32 = 300;
/// How many CNAMEs a lookup follows before it gives up with a temporary failure.
pub(crate) const MAX_CNAME_CHAIN: usize = 8;

/// A failure the [`StaticResolver`] returns instead of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Failure {
    /// Answer NXDOMAIN, even if records exist.
    NxDomain,
    /// Answer a timeout.
    Timeout,
    /// Answer SERVFAIL.
    ServFail,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Entry {
    pub(crate) records: Vec<(Record, u32)>,
    pub(crate) secure: bool,
    pub(crate) failures: HashMap<Option<RecordType>, Failure>,
}

/// A resolver whose records are given in code or loaded from a zone file.
///
/// Names are case-insensitive; a name that holds no records but has names
/// with records below it (an "empty non-terminal") answers NODATA, any
/// other unknown name NXDOMAIN. CNAMEs are followed; `*` wildcards are
/// expanded as RFC 4592 describes.
#[derive(Debug, Default, Clone)]
pub struct StaticResolver {
    names: HashMap<String, Entry>,
    non_terminals: HashSet<String>,
    all_secure: bool,
}

impl StaticResolver {
    /// An empty resolver: every name is NXDOMAIN.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a record at `name` with the default TTL (300 s).
    ///
    /// # Panics
    ///
    /// Never; an invalid name is stored as given (lower-cased) and simply
    /// never matches a valid query.
    pub fn add(&mut self, name: &str, record: Record) -> &mut Self {
        self.add_with_ttl(name, record, DEFAULT_TTL)
    }

    /// Adds a record at `name` with the given TTL in seconds.
    pub fn add_with_ttl(&mut self, name: &str, record: Record, ttl: u32) -> &mut Self {
        let key = key_of(name);
        self.note_ancestors(&key);
        self.names
            .entry(key)
            .or_default()
            .records
            .push((record, ttl));
        self
    }

    /// Makes every lookup of `name` (any type) fail with `failure`.
    pub fn fail(&mut self, name: &str, failure: Failure) -> &mut Self {
        self.fail_type(name, None, failure)
    }

    /// Makes lookups of `name` fail with `failure`, only for `rtype` when it
    /// is `Some`, for every type when it is `None`.
    pub fn fail_type(
        &mut self,
        name: &str,
        rtype: Option<RecordType>,
        failure: Failure,
    ) -> &mut Self {
        let key = key_of(name);
        self.names
            .entry(key)
            .or_default()
            .failures
            .insert(rtype, failure);
        self
    }

    /// Marks the answers for `name` as DNSSEC-authenticated (or not).
    pub fn set_secure(&mut self, name: &str, secure: bool) -> &mut Self {
        let key = key_of(name);
        self.names.entry(key).or_default().secure = secure;
        self
    }

    /// Marks every answer as DNSSEC-authenticated (the CLI's `--dns-secure`).
    pub fn set_all_secure(&mut self, secure: bool) -> &mut Self {
        self.all_secure = secure;
        self
    }

    /// How many names hold records or failures.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when no name holds a record or failure.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Every record held, as `(name, record, ttl)`, in no particular order.
    pub fn records(&self) -> impl Iterator<Item = (&str, &Record, u32)> {
        self.names.iter().flat_map(|(name, entry)| {
            entry
                .records
                .iter()
                .map(move |(record, ttl)| (name.as_str(), record, *ttl))
        })
    }

    /// Every name with its records, failures and security flag, sorted by name.
    pub(crate) fn entries_sorted(&self) -> Vec<(&str, &Entry)> {
        let mut entries: Vec<(&str, &Entry)> =
            self.names.iter().map(|(k, e)| (k.as_str(), e)).collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        entries
    }

    /// True when every answer is served as DNSSEC-authenticated.
    pub(crate) fn all_secure(&self) -> bool {
        self.all_secure
    }

    /// Makes `name` exist (answer NODATA rather than NXDOMAIN) without
    /// records of a served type, as a name holding only SOA or NS records.
    pub(crate) fn mark_exists(&mut self, name: &str) {
        let key = key_of(name);
        self.note_ancestors(&key);
        self.non_terminals.insert(key);
    }

    fn note_ancestors(&mut self, key: &str) {
        let mut rest = key;
        while let Some((_, parent)) = rest.split_once('.') {
            self.non_terminals.insert(parent.to_owned());
            rest = parent;
        }
    }

    fn exists(&self, key: &str) -> bool {
        self.names.get(key).is_some_and(Entry::has_content) || self.non_terminals.contains(key)
    }

    /// The entry that answers for `key`: itself, or a wildcard at the
    /// closest encloser when `key` does not exist.
    fn entry_for(&self, key: &str) -> Option<&Entry> {
        // One hash lookup on the common path: a name that holds records.
        let own = self.names.get(key);
        if own.is_some_and(Entry::has_content) || self.non_terminals.contains(key) {
            return own;
        }
        let mut rest = key;
        while let Some((_, parent)) = rest.split_once('.') {
            if self.exists(parent) || parent.is_empty() {
                return self.names.get(&format!("*.{parent}"));
            }
            rest = parent;
        }
        self.names.get("*")
    }

    /// The records of type `rtype` at `name` (CNAMEs followed), each mapped
    /// by `f`: built in one pass, with no intermediate copy of the records,
    /// so that the typed lookups ([`Resolver::txt`], ...) cost no more than
    /// [`Resolver::lookup`].
    fn answer<T>(
        &self,
        name: &str,
        rtype: RecordType,
        f: impl Fn(&Record) -> Option<T>,
    ) -> Result<Answer<T>, DnsError> {
        let mut key = normalized(name)?;
        let mut secure = true;
        for _ in 0..=MAX_CNAME_CHAIN {
            let Some(entry) = self.entry_for(&key) else {
                return Err(if self.exists(&key) {
                    DnsError::no_data()
                } else {
                    DnsError::nx_domain()
                });
            };
            let failure = entry
                .failures
                .get(&Some(rtype))
                .or_else(|| entry.failures.get(&None));
            if let Some(failure) = failure {
                return Err(match failure {
                    Failure::NxDomain => DnsError::nx_domain(),
                    Failure::Timeout => DnsError::temp_fail(TempFailKind::Timeout),
                    Failure::ServFail => DnsError::temp_fail(TempFailKind::ServFail),
                });
            }
            secure &= entry.secure || self.all_secure;
            let mut ttl = u32::MAX;
            let records: Vec<T> = entry
                .records
                .iter()
                .filter(|(r, _)| r.record_type() == rtype)
                .filter_map(|(r, t)| {
                    ttl = ttl.min(*t);
                    f(r)
                })
                .collect();
            if !records.is_empty() {
                return Ok(Answer::new(records, ttl, secure));
            }
            let cname = entry.records.iter().find_map(|(r, _)| match r {
                Record::Cname(target) if rtype != RecordType::Cname => Some(target.clone()),
                _ => None,
            });
            match cname {
                Some(target) => key = Cow::Owned(target),
                None => return Err(DnsError::no_data()),
            }
        }
        Err(DnsError::temp_fail(TempFailKind::Other))
    }
}

impl Entry {
    /// True when the name holds records or failures (it exists).
    fn has_content(&self) -> bool {
        !self.records.is_empty() || !self.failures.is_empty()
    }
}

fn key_of(name: &str) -> String {
    normalize_name(name).unwrap_or_else(|_| name.to_ascii_lowercase())
}

/// The typed lookups are answered directly rather than through
/// [`Resolver::lookup`]: one boxed future per lookup instead of two, and the
/// records copied once.
#[async_trait]
impl Resolver for StaticResolver {
    async fn lookup(&self, name: &str, rtype: RecordType) -> Result<Answer<Record>, DnsError> {
        self.answer(name, rtype, |r| Some(r.clone()))
    }

    async fn txt(&self, name: &str) -> Result<Answer<Txt>, DnsError> {
        self.answer(name, RecordType::Txt, |r| r.clone().into_txt())
    }

    async fn a(&self, name: &str) -> Result<Answer<Ipv4Addr>, DnsError> {
        self.answer(name, RecordType::A, |r| r.clone().into_a())
    }

    async fn aaaa(&self, name: &str) -> Result<Answer<Ipv6Addr>, DnsError> {
        self.answer(name, RecordType::Aaaa, |r| r.clone().into_aaaa())
    }

    async fn addresses(&self, name: &str, like: IpAddr) -> Result<Answer<IpAddr>, DnsError> {
        match like {
            IpAddr::V4(_) => {
                self.answer(name, RecordType::A, |r| r.clone().into_a().map(IpAddr::V4))
            }
            IpAddr::V6(_) => self.answer(name, RecordType::Aaaa, |r| {
                r.clone().into_aaaa().map(IpAddr::V6)
            }),
        }
    }

    async fn mx(&self, name: &str) -> Result<Answer<Mx>, DnsError> {
        self.answer(name, RecordType::Mx, |r| r.clone().into_mx())
            .map(by_preference)
    }

    async fn ptr(&self, ip: IpAddr) -> Result<Answer<String>, DnsError> {
        self.answer(&reverse_name(ip), RecordType::Ptr, |r| r.clone().into_ptr())
    }

    async fn tlsa(&self, name: &str) -> Result<Answer<Tlsa>, DnsError> {
        self.answer(name, RecordType::Tlsa, |r| r.clone().into_tlsa())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    use mailsec_testkit::block_on;

    impl StaticResolver {
        fn lookup_now(&self, name: &str, rtype: RecordType) -> Result<Answer<Record>, DnsError> {
            self.answer(name, rtype, |r| Some(r.clone()))
        }
    }

    #[test]
    fn nxdomain_nodata_and_empty_non_terminal() {
        let mut dns = StaticResolver::new();
        dns.add("a.b.example.org", Record::A(Ipv4Addr::new(192, 0, 2, 1)));
        assert!(matches!(
            dns.lookup_now("b.example.org", RecordType::A),
            Err(DnsError::NoData { .. })
        ));
        assert!(matches!(
            dns.lookup_now("a.b.example.org", RecordType::Mx),
            Err(DnsError::NoData { .. })
        ));
        assert!(matches!(
            dns.lookup_now("c.example.org", RecordType::A),
            Err(DnsError::NxDomain { .. })
        ));
        assert!(dns.lookup_now("A.B.Example.ORG.", RecordType::A).is_ok());
    }

    #[test]
    fn cname_and_wildcard() {
        let mut dns = StaticResolver::new();
        dns.add("alias.example.org", Record::cname("host.example.org."));
        dns.add("host.example.org", Record::A(Ipv4Addr::new(192, 0, 2, 2)));
        dns.add("*.wild.example.org", Record::txt("wild"));
        dns.add("exists.wild.example.org", Record::A(Ipv4Addr::LOCALHOST));
        let a = block_on(dns.a("alias.example.org")).unwrap();
        assert_eq!(a.records(), &[Ipv4Addr::new(192, 0, 2, 2)]);
        let t = block_on(dns.txt("x.wild.example.org")).unwrap();
        assert_eq!(t.records()[0].to_string_lossy(), "wild");
        // A name that exists is not covered by the wildcard.
        assert!(matches!(
            block_on(dns.txt("exists.wild.example.org")),
            Err(DnsError::NoData { .. })
        ));
    }

    #[test]
    fn cname_loop_is_temporary() {
        let mut dns = StaticResolver::new();
        dns.add("a.example", Record::cname("b.example"));
        dns.add("b.example", Record::cname("a.example"));
        assert!(
            dns.lookup_now("a.example", RecordType::A)
                .unwrap_err()
                .is_temporary()
        );
    }

    #[test]
    fn failures_and_security() {
        let mut dns = StaticResolver::new();
        dns.add("t.example", Record::txt("x"));
        dns.fail_type("t.example", Some(RecordType::A), Failure::Timeout);
        dns.fail("s.example", Failure::ServFail);
        assert!(
            dns.lookup_now("t.example", RecordType::A)
                .unwrap_err()
                .is_temporary()
        );
        assert!(
            dns.lookup_now("s.example", RecordType::Txt)
                .unwrap_err()
                .is_temporary()
        );
        let txt = dns.lookup_now("t.example", RecordType::Txt).unwrap();
        assert!(!txt.is_authenticated());
        dns.set_secure("t.example", true);
        assert!(
            dns.lookup_now("t.example", RecordType::Txt)
                .unwrap()
                .is_authenticated()
        );
    }
}
