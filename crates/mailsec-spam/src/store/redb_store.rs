//! The embedded token store: one redb file.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

use super::{
    Class, ExpiryPolicy, ExpiryReport, LearnBatch, Lookup, StoreStats, TokenCounts, TokenStore,
    Totals, add_clamped, add_total,
};
use crate::SpamError;

/// token -> (spam, ham, last-seen day)
const TOKENS: TableDefinition<'_, u64, (u32, u32, u32)> = TableDefinition::new("tokens");
/// message digest -> (class, day)
const MARKS: TableDefinition<'_, u64, (u8, u32)> = TableDefinition::new("marks");
/// "spam" / "ham" -> messages learned
const META: TableDefinition<'_, &str, u64> = TableDefinition::new("meta");

fn db_err(e: impl Into<redb::Error>) -> SpamError {
    SpamError::Redb(e.into())
}

/// The embedded token store: one [redb](https://www.redb.org) file.
///
/// Every [`apply`](TokenStore::apply) is one write transaction committed
/// with immediate durability, so a crash (power loss, `kill -9`) during
/// learning loses at most the batch in flight, never a committed one, and
/// never leaves a half-applied batch. Readers see the last committed state
/// while a writer works.
pub struct RedbStore {
    db: Database,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore").finish_non_exhaustive()
    }
}

impl RedbStore {
    /// Opens the store at `path`, creating the file (not its directory) when
    /// missing.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SpamError> {
        let db = Database::create(path).map_err(db_err)?;
        let txn = db.begin_write().map_err(db_err)?;
        {
            txn.open_table(TOKENS).map_err(db_err)?;
            txn.open_table(MARKS).map_err(db_err)?;
            txn.open_table(META).map_err(db_err)?;
        }
        txn.commit().map_err(db_err)?;
        Ok(RedbStore { db })
    }

    fn totals_in(table: &impl ReadableTable<&'static str, u64>) -> Result<Totals, SpamError> {
        let spam = table.get("spam").map_err(db_err)?.map(|v| v.value());
        let ham = table.get("ham").map_err(db_err)?.map(|v| v.value());
        Ok(Totals {
            spam: spam.unwrap_or(0),
            ham: ham.unwrap_or(0),
        })
    }
}

impl TokenStore for RedbStore {
    fn lookup(&self, tokens: &[u64]) -> Result<Lookup, SpamError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let meta = txn.open_table(META).map_err(db_err)?;
        let table = txn.open_table(TOKENS).map_err(db_err)?;
        let totals = Self::totals_in(&meta)?;
        let mut counts = Vec::with_capacity(tokens.len());
        for &t in tokens {
            let c = table
                .get(t)
                .map_err(db_err)?
                .map(|v| {
                    let (spam, ham, _) = v.value();
                    TokenCounts { spam, ham }
                })
                .unwrap_or_default();
            counts.push(c);
        }
        Ok(Lookup { totals, counts })
    }

    fn learned(&self, digests: &[u64]) -> Result<Vec<Option<Class>>, SpamError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let marks = txn.open_table(MARKS).map_err(db_err)?;
        let mut out = Vec::with_capacity(digests.len());
        for &d in digests {
            out.push(
                marks
                    .get(d)
                    .map_err(db_err)?
                    .and_then(|v| Class::from_byte(v.value().0)),
            );
        }
        Ok(out)
    }

    fn apply(&self, batch: &LearnBatch) -> Result<(), SpamError> {
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            let mut table = txn.open_table(TOKENS).map_err(db_err)?;
            for (t, ds, dh) in batch.sorted_tokens() {
                let old = table.get(t).map_err(db_err)?.map(|v| v.value());
                let (spam, ham, seen) = old.unwrap_or((0, 0, batch.day));
                let spam = add_clamped(spam, ds);
                let ham = add_clamped(ham, dh);
                let seen = if ds > 0 || dh > 0 { batch.day } else { seen };
                if spam == 0 && ham == 0 {
                    table.remove(t).map_err(db_err)?;
                } else {
                    table.insert(t, (spam, ham, seen)).map_err(db_err)?;
                }
            }
            let mut meta = txn.open_table(META).map_err(db_err)?;
            let totals = Self::totals_in(&meta)?;
            meta.insert("spam", add_total(totals.spam, batch.spam))
                .map_err(db_err)?;
            meta.insert("ham", add_total(totals.ham, batch.ham))
                .map_err(db_err)?;
            let mut marks = txn.open_table(MARKS).map_err(db_err)?;
            for (&d, &m) in &batch.marks {
                match m {
                    Some(c) => {
                        marks.insert(d, (c.to_byte(), batch.day)).map_err(db_err)?;
                    }
                    None => {
                        marks.remove(d).map_err(db_err)?;
                    }
                }
            }
        }
        txn.commit().map_err(db_err)?;
        Ok(())
    }

    fn expire(&self, policy: &ExpiryPolicy) -> Result<ExpiryReport, SpamError> {
        let txn = self.db.begin_write().map_err(db_err)?;
        let report;
        {
            let mut table = txn.open_table(TOKENS).map_err(db_err)?;
            let mut entries = Vec::new();
            for item in table.iter().map_err(db_err)? {
                let (k, v) = item.map_err(db_err)?;
                let (spam, ham, seen) = v.value();
                entries.push((k.value(), TokenCounts { spam, ham }, seen));
            }
            let drop = policy.select(&entries);
            for &t in &drop {
                table.remove(t).map_err(db_err)?;
            }
            let mut marks = txn.open_table(MARKS).map_err(db_err)?;
            let mut old_marks = Vec::new();
            for item in marks.iter().map_err(db_err)? {
                let (k, v) = item.map_err(db_err)?;
                if policy.mark_expired(v.value().1) {
                    old_marks.push(k.value());
                }
            }
            for &d in &old_marks {
                marks.remove(d).map_err(db_err)?;
            }
            report = ExpiryReport {
                tokens_removed: drop.len() as u64,
                tokens_left: table.len().map_err(db_err)?,
                marks_removed: old_marks.len() as u64,
            };
        }
        txn.commit().map_err(db_err)?;
        Ok(report)
    }

    fn stats(&self) -> Result<StoreStats, SpamError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let meta = txn.open_table(META).map_err(db_err)?;
        let tokens = txn.open_table(TOKENS).map_err(db_err)?;
        let marks = txn.open_table(MARKS).map_err(db_err)?;
        Ok(StoreStats {
            totals: Self::totals_in(&meta)?,
            tokens: tokens.len().map_err(db_err)?,
            marks: marks.len().map_err(db_err)?,
        })
    }
}
