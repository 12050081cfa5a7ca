//! A bounded cache of parsed SPF records, shared across checks.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::{SpfError, SpfRecord};

/// A bounded, thread-safe cache of parsed SPF records, keyed by the
/// record's text (the TXT strings joined).
///
/// SPF looks up the TXT records of every domain it visits on every check;
/// most mail comes from a few thousand domains whose records rarely change,
/// so parsing the same text again is wasted work. With a cache in the
/// [`SpfConfig`](super::SpfConfig), a check still asks its resolver for the
/// TXT records (DNS answers, their TTLs and their failures are the
/// resolver's business, and any DNS cache stays in charge of freshness),
/// but a record whose text was parsed before is taken from here. Because
/// the key is the text itself, an entry can never be stale: a changed
/// record is a different key. Records that do not parse are cached too
/// (their [`SpfError`]), so a hostile domain cannot make every check parse
/// its broken record again.
///
/// The cache holds at most [`capacity`](SpfRecordCache::capacity) records;
/// when full, the least recently used eighth is dropped. Texts longer than
/// [`MAX_CACHED_LEN`](SpfRecordCache::MAX_CACHED_LEN) are parsed every time
/// and not kept, so the memory it can hold stays bounded (roughly
/// `capacity` x 3 x `MAX_CACHED_LEN`, 24 MiB at the default capacity; a
/// few hundred kilobytes for real-world records). Share one cache between
/// threads and checks through an [`Arc`].
///
/// ```
/// use std::sync::Arc;
/// use mailsec_auth::spf::{self, SpfConfig, SpfRecordCache, SpfResult};
/// use mailsec_dns::{Record, StaticResolver};
/// use std::time::SystemTime;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut dns = StaticResolver::new();
/// dns.add("example.org", Record::txt("v=spf1 ip4:192.0.2.0/24 -all"));
/// let cache = Arc::new(SpfRecordCache::new(SpfRecordCache::DEFAULT_CAPACITY));
/// let config = SpfConfig::default().with_record_cache(Arc::clone(&cache));
///
/// let ip = "192.0.2.7".parse().unwrap();
/// for _ in 0..3 {
///     let out = spf::check_host(&dns, ip, "mx.example.org", "a@example.org", &config, SystemTime::now()).await;
///     assert_eq!(out.result(), SpfResult::Pass);
/// }
/// assert_eq!((cache.misses(), cache.hits()), (1, 2));
/// # });
/// ```
pub struct SpfRecordCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    map: HashMap<Box<str>, Slot>,
    /// A use counter: each lookup gets the next value.
    tick: u64,
    hits: u64,
    misses: u64,
}

struct Slot {
    parsed: Result<Arc<SpfRecord>, SpfError>,
    used: u64,
}

impl SpfRecordCache {
    /// A capacity that holds the records of the domains a busy server sees
    /// every day: 4,096.
    pub const DEFAULT_CAPACITY: usize = 4096;

    /// The longest record text kept: 2,048 bytes. RFC 7208 section 3.4
    /// asks that a record fit a 512-byte DNS answer; longer ones exist but
    /// are rare.
    pub const MAX_CACHED_LEN: usize = 2048;

    /// A cache holding at most `capacity` parsed records (0: none; every
    /// record is parsed again).
    pub fn new(capacity: usize) -> Self {
        SpfRecordCache {
            capacity,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The parsed record for `text` (an SPF record's text, TXT strings
    /// joined): from the cache, or parsed now and kept.
    pub fn get_or_parse(&self, text: &str) -> Result<Arc<SpfRecord>, SpfError> {
        if self.capacity == 0 || text.len() > Self::MAX_CACHED_LEN {
            self.lock().misses += 1;
            return SpfRecord::parse(text).map(Arc::new);
        }
        {
            let mut inner = self.lock();
            inner.tick += 1;
            let tick = inner.tick;
            if let Some(slot) = inner.map.get_mut(text) {
                slot.used = tick;
                let parsed = slot.parsed.clone();
                inner.hits += 1;
                return parsed;
            }
            inner.misses += 1;
        }
        // Parse without holding the lock; two threads missing on the same
        // text at once both parse it, and the second insert wins.
        let parsed = SpfRecord::parse(text).map(Arc::new);
        let mut inner = self.lock();
        if inner.map.len() >= self.capacity && !inner.map.contains_key(text) {
            inner.evict(self.capacity);
        }
        let used = inner.tick;
        inner.map.insert(
            text.into(),
            Slot {
                parsed: parsed.clone(),
                used,
            },
        );
        parsed
    }

    /// The most records kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many records are kept now.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether no record is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many lookups found their record in the cache.
    pub fn hits(&self) -> u64 {
        self.lock().hits
    }

    /// How many lookups had to parse (including texts too long to keep).
    pub fn misses(&self) -> u64 {
        self.lock().misses
    }

    /// Drops every record (the hit and miss counts stay).
    pub fn clear(&self) {
        self.lock().map.clear();
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The map is consistent after any panic elsewhere: no invariant
        // spans a lock, so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inner {
    /// Drops the least recently used eighth of `capacity` (at least one
    /// record), so that evictions, each a pass over the map, stay rare.
    fn evict(&mut self, capacity: usize) {
        let drop = (capacity / 8).max(1);
        let mut uses: Vec<u64> = self.map.values().map(|s| s.used).collect();
        if uses.len() <= drop {
            self.map.clear();
            return;
        }
        // Every record used at or before the drop-th oldest use goes (uses
        // are distinct ticks, except records inserted by racing parses).
        let (_, threshold, _) = uses.select_nth_unstable(drop - 1);
        let threshold = *threshold;
        self.map.retain(|_, slot| slot.used > threshold);
    }
}

impl fmt::Debug for SpfRecordCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.lock();
        f.debug_struct("SpfRecordCache")
            .field("capacity", &self.capacity)
            .field("len", &inner.map.len())
            .field("hits", &inner.hits)
            .field("misses", &inner.misses)
            .finish()
    }
}

/// Two caches are equal only when they are the same cache (so that an
/// [`SpfConfig`](super::SpfConfig) holding one can still be compared).
impl PartialEq for SpfRecordCache {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for SpfRecordCache {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_misses_and_errors() {
        let cache = SpfRecordCache::new(8);
        let a = cache.get_or_parse("v=spf1 -all").unwrap();
        let b = cache.get_or_parse("v=spf1 -all").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!((cache.hits(), cache.misses(), cache.len()), (1, 1, 1));
        // A broken record is kept as its error.
        let e1 = cache.get_or_parse("v=spf1 ip4:300.0.0.1 -all").unwrap_err();
        let e2 = cache.get_or_parse("v=spf1 ip4:300.0.0.1 -all").unwrap_err();
        assert_eq!(e1, e2);
        assert_eq!((cache.hits(), cache.misses(), cache.len()), (2, 2, 2));
        cache.clear();
        assert!(cache.is_empty());
    }

    #[test]
    fn bounded_and_least_recently_used_goes_first() {
        let cache = SpfRecordCache::new(16);
        let text = |i: usize| format!("v=spf1 ip4:192.0.2.{i} -all");
        for i in 0..16 {
            cache.get_or_parse(&text(i)).unwrap();
        }
        assert_eq!(cache.len(), 16);
        // Record 0 is used again; 1 and 2 are now the oldest.
        cache.get_or_parse(&text(0)).unwrap();
        cache.get_or_parse(&text(100)).unwrap();
        assert!(cache.len() <= 16);
        let misses = cache.misses();
        cache.get_or_parse(&text(0)).unwrap();
        assert_eq!(cache.misses(), misses, "the recently used record stayed");
        cache.get_or_parse(&text(1)).unwrap();
        assert_eq!(cache.misses(), misses + 1, "the oldest record went");
        for i in 200..1200 {
            cache.get_or_parse(&text(i % 256)).unwrap();
            assert!(cache.len() <= 16);
        }
    }

    #[test]
    fn zero_capacity_and_long_texts_are_not_kept() {
        let cache = SpfRecordCache::new(0);
        cache.get_or_parse("v=spf1 -all").unwrap();
        cache.get_or_parse("v=spf1 -all").unwrap();
        assert_eq!((cache.len(), cache.misses()), (0, 2));

        let cache = SpfRecordCache::new(4);
        let long = format!("v=spf1{} -all", " a".repeat(SpfRecordCache::MAX_CACHED_LEN));
        let _ = cache.get_or_parse(&long);
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn shared_between_threads() {
        let cache = Arc::new(SpfRecordCache::new(64));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let cache = Arc::clone(&cache);
                std::thread::spawn(move || {
                    for i in 0..200 {
                        let text = format!("v=spf1 ip4:198.51.100.{} -all", (i + t) % 100);
                        assert!(cache.get_or_parse(&text).is_ok());
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(cache.len() <= 64);
        assert_eq!(cache.hits() + cache.misses(), 800);
    }
}
