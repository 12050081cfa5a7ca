//! The same store tests against every TokenStore.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::{have_redis, start_redis, store_suite, temp_path};
use mailsec_spam::{MemoryStore, RedbStore, RedisStore, TokenStore};

#[test]
fn memory_store() {
    store_suite(&MemoryStore::new());
}

#[test]
fn redb_store() {
    let path = temp_path("suite.redb");
    {
        let store = RedbStore::open(&path).unwrap();
        store_suite(&store);
    }
    // Reopening sees the same state.
    let store = RedbStore::open(&path).unwrap();
    let s = store.stats().unwrap();
    assert_eq!((s.totals.spam, s.totals.ham, s.tokens), (59, 60, 10));
    drop(store);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn redis_store() {
    if !have_redis() {
        eprintln!("SKIPPED redis_store: no redis-server binary on PATH (install redis-server)");
        return;
    }
    let redis = start_redis();
    let store = RedisStore::open(&redis.url()).unwrap();
    store_suite(&store);
    // Two prefixes are two models.
    let other = RedisStore::with_prefix(&redis.url(), "other").unwrap();
    assert_eq!(other.stats().unwrap().totals.spam, 0);
    // A second connection (another server of the fleet) sees the same model.
    let again = RedisStore::open(&redis.url()).unwrap();
    assert_eq!(again.stats().unwrap().totals.spam, 59);
}
