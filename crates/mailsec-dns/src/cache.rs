//! A bounded cache in front of any resolver.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::{Answer, DnsError, Record, RecordType, Resolver, normalize_name};

/// A source of monotonic time, so that tests of expiring things need not sleep.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The real monotonic clock ([`Instant::now`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that moves only when told to (for tests).
#[derive(Debug)]
pub struct ManualClock {
    start: Instant,
    offset: Mutex<Duration>,
}

impl ManualClock {
    /// A clock standing at the current instant.
    pub fn new() -> Self {
        ManualClock {
            start: Instant::now(),
            offset: Mutex::new(Duration::ZERO),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(|e| e.into_inner());
        *offset = offset.saturating_add(by);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        let offset = *self.offset.lock().unwrap_or_else(|e| e.into_inner());
        self.start + offset
    }
}

/// Default number of cached answers.
pub const DEFAULT_CAPACITY: usize = 10_000;
/// Default longest time an answer is kept, whatever its TTL (one day).
pub const DEFAULT_MAX_TTL: Duration = Duration::from_secs(86_400);
/// Default time a negative answer without a negative TTL is kept (five minutes).
pub const DEFAULT_NEGATIVE_TTL: Duration = Duration::from_secs(300);

/// Builds a [`CachingResolver`].
#[derive(Debug, Clone)]
pub struct CachingResolverBuilder {
    capacity: usize,
    max_ttl: Duration,
    negative_ttl: Duration,
    clock: Arc<dyn Clock>,
}

impl Default for CachingResolverBuilder {
    fn default() -> Self {
        CachingResolverBuilder {
            capacity: DEFAULT_CAPACITY,
            max_ttl: DEFAULT_MAX_TTL,
            negative_ttl: DEFAULT_NEGATIVE_TTL,
            clock: Arc::new(SystemClock),
        }
    }
}

impl CachingResolverBuilder {
    /// How many answers (positive or negative) are kept at most; the least
    /// recently used one is dropped to make room. 0 turns caching off.
    pub fn capacity(mut self, entries: usize) -> Self {
        self.capacity = entries;
        self
    }

    /// The longest time any answer is kept, whatever its TTL says.
    pub fn max_ttl(mut self, ttl: Duration) -> Self {
        self.max_ttl = ttl;
        self
    }

    /// How long an NXDOMAIN or NODATA answer that carries no negative TTL
    /// (no SOA in the response) is kept.
    pub fn negative_ttl(mut self, ttl: Duration) -> Self {
        self.negative_ttl = ttl;
        self
    }

    /// The clock deciding when answers expire.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// A caching resolver in front of `inner`.
    pub fn build<R: Resolver>(self, inner: R) -> CachingResolver<R> {
        CachingResolver {
            inner,
            capacity: self.capacity,
            max_ttl: self.max_ttl,
            negative_ttl: self.negative_ttl,
            clock: self.clock,
            state: Mutex::new(State::default()),
        }
    }
}

/// A resolver that remembers the answers of another one.
///
/// * A positive answer is kept for its TTL, at most the configured maximum;
///   answers served from the cache carry the TTL that remains.
/// * NXDOMAIN and NODATA are kept for their negative TTL (RFC 2308), or a
///   configured default when the server gave none, at most the maximum.
/// * Temporary failures and invalid names are never kept.
/// * At most `capacity` answers are held; the least recently used goes first.
///
/// ```
/// use mailsec_dns::{CachingResolver, Record, Resolver, StaticResolver};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut zone = StaticResolver::new();
/// zone.add("example.org", Record::txt("v=spf1 -all"));
/// let dns = CachingResolver::new(zone);
/// assert!(dns.txt("example.org").await.is_ok());
/// assert_eq!(dns.len(), 1);
/// # });
/// ```
pub struct CachingResolver<R> {
    inner: R,
    capacity: usize,
    max_ttl: Duration,
    negative_ttl: Duration,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

impl<R> fmt::Debug for CachingResolver<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingResolver")
            .field("capacity", &self.capacity)
            .field("max_ttl", &self.max_ttl)
            .field("negative_ttl", &self.negative_ttl)
            .field("entries", &self.len())
            .finish_non_exhaustive()
    }
}

type Key = (String, RecordType);

#[derive(Debug, Clone)]
enum Cached {
    Answer(Answer<Record>),
    NxDomain,
    NoData,
}

#[derive(Debug)]
struct Slot {
    value: Cached,
    expires: Instant,
    used: u64,
}

#[derive(Debug, Default)]
struct State {
    slots: HashMap<Key, Slot>,
    /// Use tick → key, oldest first.
    order: BTreeMap<u64, Key>,
    tick: u64,
}

impl State {
    fn touch(&mut self, key: &Key) {
        self.tick += 1;
        let tick = self.tick;
        if let Some(slot) = self.slots.get_mut(key) {
            self.order.remove(&slot.used);
            slot.used = tick;
            self.order.insert(tick, key.clone());
        }
    }

    fn remove(&mut self, key: &Key) {
        if let Some(slot) = self.slots.remove(key) {
            self.order.remove(&slot.used);
        }
    }

    fn insert(&mut self, key: Key, value: Cached, expires: Instant, capacity: usize, now: Instant) {
        self.remove(&key);
        if self.slots.len() >= capacity {
            // Expired entries go first, then the least recently used.
            self.slots.retain(|_, slot| slot.expires > now);
            let slots = &self.slots;
            self.order.retain(|_, k| slots.contains_key(k));
            while self.slots.len() >= capacity {
                let Some((_, oldest)) = self.order.pop_first() else {
                    break;
                };
                self.slots.remove(&oldest);
            }
        }
        self.tick += 1;
        self.order.insert(self.tick, key.clone());
        self.slots.insert(
            key,
            Slot {
                value,
                expires,
                used: self.tick,
            },
        );
    }
}

impl<R: Resolver> CachingResolver<R> {
    /// A cache with the defaults: 10 000 entries, answers kept at most a
    /// day, negative answers without a TTL kept five minutes, the system clock.
    pub fn new(inner: R) -> Self {
        CachingResolverBuilder::default().build(inner)
    }
}

impl CachingResolver<()> {
    /// A builder to set capacity, TTL bounds and clock; its
    /// [`build`](CachingResolverBuilder::build) takes the inner resolver.
    pub fn builder() -> CachingResolverBuilder {
        CachingResolverBuilder::default()
    }
}

impl<R> CachingResolver<R> {
    /// The resolver behind the cache.
    pub fn inner(&self) -> &R {
        &self.inner
    }

    /// How many answers are held (expired ones included until they are
    /// looked up again or pushed out).
    pub fn len(&self) -> usize {
        self.lock().slots.len()
    }

    /// True when no answer is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every answer.
    pub fn clear(&self) {
        let mut state = self.lock();
        state.slots.clear();
        state.order.clear();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps inconsistent
        // in a way that matters for a cache: keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn cached(&self, key: &Key, now: Instant) -> Option<Result<Answer<Record>, DnsError>> {
        let mut state = self.lock();
        let slot = state.slots.get(key)?;
        if slot.expires <= now {
            state.remove(key);
            return None;
        }
        let remaining = remaining_secs(slot.expires, now);
        let result = match &slot.value {
            Cached::Answer(answer) => Ok(Answer::new(
                answer.records().to_vec(),
                remaining,
                answer.is_authenticated(),
            )),
            Cached::NxDomain => Err(DnsError::NxDomain {
                negative_ttl: Some(remaining),
            }),
            Cached::NoData => Err(DnsError::NoData {
                negative_ttl: Some(remaining),
            }),
        };
        state.touch(key);
        Some(result)
    }

    fn store(&self, key: Key, result: &Result<Answer<Record>, DnsError>, now: Instant) {
        if self.capacity == 0 {
            return;
        }
        let (value, ttl) = match result {
            Ok(answer) => (
                Cached::Answer(answer.clone()),
                Duration::from_secs(u64::from(answer.ttl())),
            ),
            Err(DnsError::NxDomain { negative_ttl }) => (
                Cached::NxDomain,
                negative_ttl.map_or(self.negative_ttl, |s| Duration::from_secs(u64::from(s))),
            ),
            Err(DnsError::NoData { negative_ttl }) => (
                Cached::NoData,
                negative_ttl.map_or(self.negative_ttl, |s| Duration::from_secs(u64::from(s))),
            ),
            // Temporary failures and bad names are never kept.
            Err(_) => return,
        };
        let ttl = ttl.min(self.max_ttl);
        if ttl.is_zero() {
            return;
        }
        let Some(expires) = now.checked_add(ttl) else {
            return;
        };
        self.lock().insert(key, value, expires, self.capacity, now);
    }
}

fn remaining_secs(expires: Instant, now: Instant) -> u32 {
    let left = expires.saturating_duration_since(now);
    // Round up: an answer with 0.4 s left still has a TTL of 1.
    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    u32::try_from(secs).unwrap_or(u32::MAX)
}

#[async_trait]
impl<R: Resolver> Resolver for CachingResolver<R> {
    async fn lookup(&self, name: &str, rtype: RecordType) -> Result<Answer<Record>, DnsError> {
        let key = (normalize_name(name)?, rtype);
        let now = self.clock.now();
        if let Some(hit) = self.cached(&key, now) {
            return hit;
        }
        let result = self.inner.lookup(&key.0, rtype).await;
        // Expiry counts from when the question was asked.
        self.store(key, &result, now);
        result
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::{Failure, StaticResolver};

    /// Counts the lookups that reach the inner resolver.
    #[derive(Debug)]
    struct Counting {
        inner: StaticResolver,
        calls: AtomicUsize,
    }

    #[async_trait]
    impl Resolver for Counting {
        async fn lookup(&self, name: &str, rtype: RecordType) -> Result<Answer<Record>, DnsError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.inner.lookup(name, rtype).await
        }
    }

    /// Answers NXDOMAIN / NODATA with fixed negative TTLs.
    #[derive(Debug)]
    struct Negative;

    #[async_trait]
    impl Resolver for Negative {
        async fn lookup(&self, name: &str, _: RecordType) -> Result<Answer<Record>, DnsError> {
            Err(if name.starts_with("nx") {
                DnsError::NxDomain {
                    negative_ttl: Some(60),
                }
            } else {
                DnsError::NoData {
                    negative_ttl: Some(30),
                }
            })
        }
    }

    use mailsec_testkit::block_on;

    fn setup(builder: CachingResolverBuilder) -> (Arc<ManualClock>, CachingResolver<Counting>) {
        let mut zone = StaticResolver::new();
        zone.add_with_ttl("a.example", Record::txt("a"), 100);
        zone.add_with_ttl("b.example", Record::txt("b"), 100_000);
        zone.add_with_ttl("c.example", Record::txt("c"), 100);
        zone.add_with_ttl("zero.example", Record::txt("z"), 0);
        zone.fail("t.example", Failure::Timeout);
        zone.fail("s.example", Failure::ServFail);
        let clock = Arc::new(ManualClock::new());
        let dns = builder.clock(clock.clone()).build(Counting {
            inner: zone,
            calls: AtomicUsize::new(0),
        });
        (clock, dns)
    }

    fn calls(dns: &CachingResolver<Counting>) -> usize {
        dns.inner().calls.load(Ordering::SeqCst)
    }

    #[test]
    fn positive_answer_kept_for_its_ttl() {
        let (clock, dns) = setup(CachingResolver::builder());
        block_on(async {
            assert_eq!(dns.txt("a.example").await.unwrap().ttl(), 100);
            clock.advance(Duration::from_secs(40));
            let again = dns.txt("A.Example.").await.unwrap();
            assert_eq!(again.ttl(), 60, "served with the remaining TTL");
            assert_eq!(calls(&dns), 1);
            clock.advance(Duration::from_secs(60));
            dns.txt("a.example").await.unwrap();
            assert_eq!(calls(&dns), 2, "expired answer asked again");
        });
    }

    #[test]
    fn max_ttl_caps_long_ttls() {
        let (clock, dns) = setup(CachingResolver::builder().max_ttl(Duration::from_secs(50)));
        block_on(async {
            dns.txt("b.example").await.unwrap();
            clock.advance(Duration::from_secs(49));
            assert_eq!(dns.txt("b.example").await.unwrap().ttl(), 1);
            assert_eq!(calls(&dns), 1);
            clock.advance(Duration::from_secs(1));
            dns.txt("b.example").await.unwrap();
            assert_eq!(calls(&dns), 2);
        });
    }

    #[test]
    fn zero_ttl_not_kept() {
        let (_clock, dns) = setup(CachingResolver::builder());
        block_on(async {
            dns.txt("zero.example").await.unwrap();
            dns.txt("zero.example").await.unwrap();
            assert_eq!(calls(&dns), 2);
            assert!(dns.is_empty());
        });
    }

    #[test]
    fn negative_answers_use_default_ttl_without_soa() {
        let (clock, dns) = setup(CachingResolver::builder().negative_ttl(Duration::from_secs(20)));
        block_on(async {
            assert!(matches!(
                dns.txt("nowhere.example").await,
                Err(DnsError::NxDomain { .. })
            ));
            assert!(matches!(
                dns.mx("a.example").await,
                Err(DnsError::NoData { .. })
            ));
            clock.advance(Duration::from_secs(19));
            assert!(matches!(
                dns.txt("nowhere.example").await,
                Err(DnsError::NxDomain {
                    negative_ttl: Some(1)
                })
            ));
            assert!(matches!(
                dns.mx("a.example").await,
                Err(DnsError::NoData {
                    negative_ttl: Some(1)
                })
            ));
            assert_eq!(calls(&dns), 2);
            clock.advance(Duration::from_secs(1));
            let _ = dns.txt("nowhere.example").await;
            assert_eq!(calls(&dns), 3);
        });
    }

    #[test]
    fn negative_answers_use_their_negative_ttl() {
        let clock = Arc::new(ManualClock::new());
        let dns = CachingResolver::builder()
            .clock(clock.clone())
            .max_ttl(Duration::from_secs(45))
            .build(Negative);
        block_on(async {
            let _ = dns.a("nx.example").await;
            let _ = dns.a("nodata.example").await;
            clock.advance(Duration::from_secs(29));
            // NODATA: 30 s.
            assert!(matches!(
                dns.a("nodata.example").await,
                Err(DnsError::NoData {
                    negative_ttl: Some(1)
                })
            ));
            // NXDOMAIN: 60 s, capped at 45.
            assert!(matches!(
                dns.a("nx.example").await,
                Err(DnsError::NxDomain {
                    negative_ttl: Some(16)
                })
            ));
            clock.advance(Duration::from_secs(1));
            assert_eq!(dns.len(), 2);
            let _ = dns.a("nodata.example").await;
            assert_eq!(dns.len(), 2, "re-asked and stored again");
        });
    }

    #[test]
    fn temporary_failures_never_kept() {
        let (_clock, dns) = setup(CachingResolver::builder());
        block_on(async {
            for _ in 0..3 {
                assert!(dns.txt("t.example").await.unwrap_err().is_temporary());
                assert!(dns.txt("s.example").await.unwrap_err().is_temporary());
            }
            assert_eq!(calls(&dns), 6);
            assert!(dns.is_empty());
            assert!(matches!(
                dns.txt("a..example").await,
                Err(DnsError::InvalidName(_))
            ));
            assert_eq!(calls(&dns), 6, "an invalid name never reaches the resolver");
        });
    }

    #[test]
    fn least_recently_used_is_evicted() {
        let (_clock, dns) = setup(CachingResolver::builder().capacity(2));
        block_on(async {
            dns.txt("a.example").await.unwrap();
            dns.txt("b.example").await.unwrap();
            // Use a again: b is now the least recently used.
            dns.txt("a.example").await.unwrap();
            assert_eq!(calls(&dns), 2);
            dns.txt("c.example").await.unwrap();
            assert_eq!(dns.len(), 2);
            dns.txt("a.example").await.unwrap();
            assert_eq!(calls(&dns), 3, "a stayed");
            dns.txt("b.example").await.unwrap();
            assert_eq!(calls(&dns), 4, "b was evicted");
        });
    }

    #[test]
    fn expired_entries_evicted_before_live_ones() {
        let (clock, dns) = setup(CachingResolver::builder().capacity(2));
        block_on(async {
            dns.txt("b.example").await.unwrap(); // long TTL, oldest use
            dns.txt("a.example").await.unwrap(); // 100 s
            clock.advance(Duration::from_secs(200));
            dns.txt("c.example").await.unwrap();
            assert_eq!(dns.len(), 2);
            dns.txt("b.example").await.unwrap();
            assert_eq!(calls(&dns), 3, "b survived: a had expired");
        });
    }

    #[test]
    fn capacity_zero_disables_caching() {
        let (_clock, dns) = setup(CachingResolver::builder().capacity(0));
        block_on(async {
            dns.txt("a.example").await.unwrap();
            dns.txt("a.example").await.unwrap();
            assert_eq!(calls(&dns), 2);
        });
    }

    #[test]
    fn types_are_cached_apart_and_security_kept() {
        let mut zone = StaticResolver::new();
        zone.add("x.example", Record::txt("t"));
        zone.add("x.example", Record::A(std::net::Ipv4Addr::LOCALHOST));
        zone.set_secure("x.example", true);
        let dns = CachingResolver::new(zone);
        block_on(async {
            assert!(dns.txt("x.example").await.unwrap().is_authenticated());
            assert!(dns.a("x.example").await.unwrap().is_authenticated());
            assert_eq!(dns.len(), 2);
            dns.clear();
            assert!(dns.is_empty());
        });
    }

    #[test]
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<CachingResolver<StaticResolver>>();
        check::<CachingResolver<Arc<dyn Resolver>>>();
    }
}
