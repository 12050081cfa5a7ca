//! An in-memory token store.

use std::sync::{PoisonError, RwLock};

use super::{
    Class, ExpiryPolicy, ExpiryReport, LearnBatch, Lookup, StoreStats, TokenCounts, TokenStore,
    Totals, add_clamped, add_total,
};
use crate::SpamError;
use crate::hash::TokenMap;

#[derive(Debug, Default)]
struct Inner {
    tokens: TokenMap<(TokenCounts, u32)>,
    totals: Totals,
    marks: TokenMap<(Class, u32)>,
}

/// A token store in memory: for tests, benchmarks and one-shot tools.
/// Its content is lost when it is dropped.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: RwLock<Inner>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }
}

impl TokenStore for MemoryStore {
    fn lookup(&self, tokens: &[u64]) -> Result<Lookup, SpamError> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        Ok(Lookup {
            totals: inner.totals,
            counts: tokens
                .iter()
                .map(|t| inner.tokens.get(t).map(|e| e.0).unwrap_or_default())
                .collect(),
        })
    }

    fn learned(&self, digests: &[u64]) -> Result<Vec<Option<Class>>, SpamError> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        Ok(digests
            .iter()
            .map(|d| inner.marks.get(d).map(|m| m.0))
            .collect())
    }

    fn apply(&self, batch: &LearnBatch) -> Result<(), SpamError> {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        for (t, ds, dh) in batch.sorted_tokens() {
            let e = inner
                .tokens
                .entry(t)
                .or_insert((TokenCounts::default(), batch.day));
            e.0.spam = add_clamped(e.0.spam, ds);
            e.0.ham = add_clamped(e.0.ham, dh);
            if ds > 0 || dh > 0 {
                e.1 = batch.day;
            }
            if e.0.spam == 0 && e.0.ham == 0 {
                inner.tokens.remove(&t);
            }
        }
        inner.totals.spam = add_total(inner.totals.spam, batch.spam);
        inner.totals.ham = add_total(inner.totals.ham, batch.ham);
        for (&d, &m) in &batch.marks {
            match m {
                Some(c) => {
                    inner.marks.insert(d, (c, batch.day));
                }
                None => {
                    inner.marks.remove(&d);
                }
            }
        }
        Ok(())
    }

    fn expire(&self, policy: &ExpiryPolicy) -> Result<ExpiryReport, SpamError> {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let entries: Vec<(u64, TokenCounts, u32)> =
            inner.tokens.iter().map(|(&t, &(c, d))| (t, c, d)).collect();
        let drop = policy.select(&entries);
        for t in &drop {
            inner.tokens.remove(t);
        }
        let before = inner.marks.len();
        inner.marks.retain(|_, m| !policy.mark_expired(m.1));
        Ok(ExpiryReport {
            tokens_removed: drop.len() as u64,
            tokens_left: inner.tokens.len() as u64,
            marks_removed: (before - inner.marks.len()) as u64,
        })
    }

    fn stats(&self) -> Result<StoreStats, SpamError> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        Ok(StoreStats {
            totals: inner.totals,
            tokens: inner.tokens.len() as u64,
            marks: inner.marks.len() as u64,
        })
    }
}
