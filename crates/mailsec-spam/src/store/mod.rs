//! Token stores: where the classifier keeps what it learned.
//!
//! [`TokenStore`] is the seam between the pure classifier and storage. Three
//! implementations ship: [`MemoryStore`] (tests, benchmarks, short-lived
//! tools), [`RedbStore`] (the embedded default: one crash-safe file) and
//! [`RedisStore`] (one model shared by a fleet of mail servers).
//!
//! Every store keeps, per token, how many learned spam and ham messages
//! contained it and the day it was last learned; the number of learned spam
//! and ham messages; and a mark per learned message (a digest of its token
//! set) so the same message is not learned twice and can be unlearned.

use crate::SpamError;
use crate::hash::TokenMap;

mod location;
mod memory;
#[cfg(feature = "redb")]
mod redb_store;
#[cfg(feature = "redis")]
mod redis_store;

pub use location::{StoreLocation, default_db_path};
pub use memory::MemoryStore;
#[cfg(feature = "redb")]
pub use redb_store::RedbStore;
#[cfg(feature = "redis")]
pub use redis_store::RedisStore;

/// A class a message is learned as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Class {
    /// Unwanted mail.
    Spam,
    /// Wanted mail.
    Ham,
}

impl Class {
    pub(crate) fn to_byte(self) -> u8 {
        match self {
            Class::Spam => 1,
            Class::Ham => 2,
        }
    }

    pub(crate) fn from_byte(b: u8) -> Option<Class> {
        match b {
            1 => Some(Class::Spam),
            2 => Some(Class::Ham),
            _ => None,
        }
    }
}

/// What a store knows about one token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenCounts {
    /// Learned spam messages that contained the token.
    pub spam: u32,
    /// Learned ham messages that contained the token.
    pub ham: u32,
}

/// How many messages a store has learned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Spam messages learned.
    pub spam: u64,
    /// Ham messages learned.
    pub ham: u64,
}

/// The answer to [`TokenStore::lookup`].
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    /// Messages learned per class.
    pub totals: Totals,
    /// Counts of the asked tokens, in the order asked (zero when unknown).
    pub counts: Vec<TokenCounts>,
}

/// Store size figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Messages learned per class.
    pub totals: Totals,
    /// Distinct tokens held.
    pub tokens: u64,
    /// Learned-message marks held.
    pub marks: u64,
}

/// A set of changes applied to a store in one transaction.
///
/// Built by [`Classifier::learn`](crate::Classifier::learn) and friends;
/// learning many messages into one batch and applying it once is what makes
/// training fast.
#[derive(Debug, Clone, Default)]
pub struct LearnBatch {
    pub(crate) day: u32,
    pub(crate) tokens: TokenMap<(i64, i64)>,
    pub(crate) spam: i64,
    pub(crate) ham: i64,
    pub(crate) marks: TokenMap<Option<Class>>,
}

impl LearnBatch {
    /// An empty batch; `day` (days since the Unix epoch) is recorded as the
    /// last-seen day of every token it adds.
    pub fn new(day: u32) -> Self {
        LearnBatch {
            day,
            ..LearnBatch::default()
        }
    }

    /// Whether the batch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty() && self.spam == 0 && self.ham == 0 && self.marks.is_empty()
    }

    /// Messages added (positive) or removed (negative) per class: `(spam, ham)`.
    pub fn message_deltas(&self) -> (i64, i64) {
        (self.spam, self.ham)
    }

    /// Distinct tokens the batch touches.
    pub fn token_count(&self) -> usize {
        self.tokens.len()
    }

    pub(crate) fn add(&mut self, tokens: &[u64], class: Class, sign: i64) {
        for &t in tokens {
            let e = self.tokens.entry(t).or_insert((0, 0));
            match class {
                Class::Spam => e.0 += sign,
                Class::Ham => e.1 += sign,
            }
        }
        match class {
            Class::Spam => self.spam += sign,
            Class::Ham => self.ham += sign,
        }
    }

    /// One token's delta without counting a message (the sender address
    /// token, learned beside a message's tokens).
    pub(crate) fn add_token(&mut self, token: u64, class: Class, sign: i64) {
        let e = self.tokens.entry(token).or_insert((0, 0));
        match class {
            Class::Spam => e.0 += sign,
            Class::Ham => e.1 += sign,
        }
    }

    /// Token deltas in token order, zero entries dropped.
    pub(crate) fn sorted_tokens(&self) -> Vec<(u64, i64, i64)> {
        let mut v: Vec<(u64, i64, i64)> = self
            .tokens
            .iter()
            .filter(|(_, (s, h))| *s != 0 || *h != 0)
            .map(|(&t, &(s, h))| (t, s, h))
            .collect();
        v.sort_unstable_by_key(|e| e.0);
        v
    }
}

/// How a store ages and bounds its tokens (see [`TokenStore::expire`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryPolicy {
    /// Today, in days since the Unix epoch.
    pub today: u32,
    /// A token not learned for this many days is stale.
    pub stale_after_days: u32,
    /// A stale token seen in at most this many messages (spam + ham) expires.
    pub rare_at_most: u32,
    /// The store keeps at most this many tokens; beyond it the rarest, then
    /// oldest, tokens go.
    pub max_tokens: u64,
    /// Learned-message marks older than this many days are dropped (the
    /// message can then be learned again, which is harmless for old mail).
    pub marks_after_days: u32,
}

impl ExpiryPolicy {
    /// The default policy at `today`: stale after 90 days, rare = at most 2
    /// messages, at most 2,000,000 tokens, marks kept 365 days.
    pub fn new(today: u32) -> Self {
        ExpiryPolicy {
            today,
            stale_after_days: 90,
            rare_at_most: 2,
            max_tokens: 2_000_000,
            marks_after_days: 365,
        }
    }

    pub(crate) fn is_expired(&self, counts: TokenCounts, last_seen: u32) -> bool {
        let total = u64::from(counts.spam) + u64::from(counts.ham);
        total == 0
            || (self.today.saturating_sub(last_seen) > self.stale_after_days
                && total <= u64::from(self.rare_at_most))
    }

    /// Which of `entries` (token, counts, last seen) to drop so that at most
    /// `max_tokens` remain, after the ageing rule. Shared by every store.
    pub(crate) fn select(&self, entries: &[(u64, TokenCounts, u32)]) -> Vec<u64> {
        let mut drop = Vec::new();
        let mut keep: Vec<(u64, u64, u32)> = Vec::with_capacity(entries.len());
        for &(t, c, seen) in entries {
            if self.is_expired(c, seen) {
                drop.push(t);
            } else {
                keep.push((t, u64::from(c.spam) + u64::from(c.ham), seen));
            }
        }
        let max = usize::try_from(self.max_tokens).unwrap_or(usize::MAX);
        if keep.len() > max {
            keep.sort_unstable_by_key(|&(t, total, seen)| (total, seen, t));
            let excess = keep.len() - max;
            drop.extend(keep.iter().take(excess).map(|e| e.0));
        }
        drop
    }

    pub(crate) fn mark_expired(&self, day: u32) -> bool {
        self.today.saturating_sub(day) > self.marks_after_days
    }
}

/// What [`TokenStore::expire`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpiryReport {
    /// Tokens removed.
    pub tokens_removed: u64,
    /// Tokens left.
    pub tokens_left: u64,
    /// Learned-message marks removed.
    pub marks_removed: u64,
}

/// Storage for the Bayesian classifier's token counts.
///
/// Implementations must apply a [`LearnBatch`] atomically: after a crash
/// either all of it or none of it is visible. Counts never go below zero.
pub trait TokenStore: Send + Sync {
    /// Message totals and the counts of `tokens` (in the same order).
    fn lookup(&self, tokens: &[u64]) -> Result<Lookup, SpamError>;

    /// The class each message digest was learned as, if any.
    fn learned(&self, digests: &[u64]) -> Result<Vec<Option<Class>>, SpamError>;

    /// Applies a batch of learning in one transaction.
    fn apply(&self, batch: &LearnBatch) -> Result<(), SpamError>;

    /// Ages and bounds the store: removes stale rare tokens, then the
    /// rarest and oldest beyond `policy.max_tokens`, and old marks.
    fn expire(&self, policy: &ExpiryPolicy) -> Result<ExpiryReport, SpamError>;

    /// Size figures.
    fn stats(&self) -> Result<StoreStats, SpamError>;
}

impl<S: TokenStore + ?Sized> TokenStore for &S {
    fn lookup(&self, tokens: &[u64]) -> Result<Lookup, SpamError> {
        (**self).lookup(tokens)
    }
    fn learned(&self, digests: &[u64]) -> Result<Vec<Option<Class>>, SpamError> {
        (**self).learned(digests)
    }
    fn apply(&self, batch: &LearnBatch) -> Result<(), SpamError> {
        (**self).apply(batch)
    }
    fn expire(&self, policy: &ExpiryPolicy) -> Result<ExpiryReport, SpamError> {
        (**self).expire(policy)
    }
    fn stats(&self) -> Result<StoreStats, SpamError> {
        (**self).stats()
    }
}

impl<S: TokenStore + ?Sized> TokenStore for std::sync::Arc<S> {
    fn lookup(&self, tokens: &[u64]) -> Result<Lookup, SpamError> {
        (**self).lookup(tokens)
    }
    fn learned(&self, digests: &[u64]) -> Result<Vec<Option<Class>>, SpamError> {
        (**self).learned(digests)
    }
    fn apply(&self, batch: &LearnBatch) -> Result<(), SpamError> {
        (**self).apply(batch)
    }
    fn expire(&self, policy: &ExpiryPolicy) -> Result<ExpiryReport, SpamError> {
        (**self).expire(policy)
    }
    fn stats(&self) -> Result<StoreStats, SpamError> {
        (**self).stats()
    }
}

impl<S: TokenStore + ?Sized> TokenStore for Box<S> {
    fn lookup(&self, tokens: &[u64]) -> Result<Lookup, SpamError> {
        (**self).lookup(tokens)
    }
    fn learned(&self, digests: &[u64]) -> Result<Vec<Option<Class>>, SpamError> {
        (**self).learned(digests)
    }
    fn apply(&self, batch: &LearnBatch) -> Result<(), SpamError> {
        (**self).apply(batch)
    }
    fn expire(&self, policy: &ExpiryPolicy) -> Result<ExpiryReport, SpamError> {
        (**self).expire(policy)
    }
    fn stats(&self) -> Result<StoreStats, SpamError> {
        (**self).stats()
    }
}

/// Adds a signed delta to a count, clamped to `0..=u32::MAX`.
pub(crate) fn add_clamped(count: u32, delta: i64) -> u32 {
    let v = i64::from(count).saturating_add(delta);
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

/// Adds a signed delta to a total, clamped at zero.
pub(crate) fn add_total(total: u64, delta: i64) -> u64 {
    if delta >= 0 {
        total.saturating_add(delta.unsigned_abs())
    } else {
        total.saturating_sub(delta.unsigned_abs())
    }
}
