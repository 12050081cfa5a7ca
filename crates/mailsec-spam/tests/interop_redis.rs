//! The store suite against a real redis-server; fails (does not skip) when
//! redis-server is missing, as CI installs it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::{have_redis, start_redis, store_suite};
use mailsec_spam::RedisStore;

#[test]
#[ignore = "interop: needs redis-server; run by scripts/test --interop"]
fn redis_store_suite() {
    assert!(have_redis(), "redis-server is not installed");
    let redis = start_redis();
    store_suite(&RedisStore::with_prefix(&redis.url(), "interop").unwrap());
}
