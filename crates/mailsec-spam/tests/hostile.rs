//! Secrets in the spam crate's types never show in `Debug` output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use mailsec_spam::StoreLocation;

#[test]
fn redis_password_never_shows_in_debug() {
    for url in [
        "redis://:hunter2-secret@127.0.0.1:6379/0",
        "redis://user:hunter2-secret@127.0.0.1/",
        "rediss://hunter2-secret@redis.example.net?timeout=1",
    ] {
        let loc = StoreLocation::Redis(url.to_owned());
        let shown = format!("{loc:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>@"), "{shown}");
    }
    let plain = StoreLocation::Redis("redis://127.0.0.1:6379/".to_owned());
    assert_eq!(format!("{plain:?}"), "Redis(\"redis://127.0.0.1:6379/\")");
}
