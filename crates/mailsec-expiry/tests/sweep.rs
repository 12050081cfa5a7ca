//! The sweep over both stores, with a fixed clock, including interrupted sweeps.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, SystemTime};

use mailsec_expiry::{
    Clock, ExpiryError, ExpiryPolicy, FixedClock, Listed, MaildirStore, MemoryStore, MessageStore,
    parse_rfc3339, set_expiry, sweep,
};

const DAY: Duration = Duration::from_secs(86_400);

fn start() -> SystemTime {
    parse_rfc3339("2026-11-01T00:00:00Z").unwrap()
}

/// Message `n`: expires `n` days after the start when `n` is even, never when odd;
/// multiples of 3 are PGP/MIME encrypted.
fn message(n: u32) -> Vec<u8> {
    let ct = if n.is_multiple_of(3) {
        "multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=b"
    } else {
        "text/plain"
    };
    let raw = format!(
        "From: a@example.org\r\nSubject: message {n}\r\nContent-Type: {ct}\r\n\r\nbody {n}\r\n"
    );
    if n.is_multiple_of(2) {
        set_expiry(raw.as_bytes(), start() + DAY * n).unwrap()
    } else {
        raw.into_bytes()
    }
}

fn subjects<S: MessageStore>(store: &S, read: impl Fn(&S::Id) -> Vec<u8>) -> BTreeSet<u32> {
    store
        .list()
        .unwrap()
        .iter()
        .map(|l| {
            let raw = read(l.id());
            let text = String::from_utf8(raw).unwrap();
            let n = text.split("Subject: message ").nth(1).unwrap();
            n.split("\r\n").next().unwrap().parse().unwrap()
        })
        .collect()
}

/// A store that "crashes" (panics) after `allowed` successful deletes.
struct Crashing<S> {
    inner: S,
    allowed: usize,
}

impl<S: MessageStore> MessageStore for Crashing<S> {
    type Id = S::Id;
    fn list(&self) -> Result<Vec<Listed<S::Id>>, ExpiryError> {
        self.inner.list()
    }
    fn delete(&mut self, id: &S::Id) -> Result<bool, ExpiryError> {
        if self.allowed == 0 {
            panic!("simulated crash in the middle of a sweep");
        }
        self.allowed -= 1;
        self.inner.delete(id)
    }
}

fn expected_left(day: u32, total: u32, policy: &ExpiryPolicy) -> BTreeSet<u32> {
    (0..total)
        .filter(|n| {
            let expires = n.is_multiple_of(2);
            let applies = policy.applies_to(n.is_multiple_of(3));
            !(expires && applies && *n <= day)
        })
        .collect()
}

#[test]
fn memory_store_sweep_with_fixed_clock() {
    let mut store = MemoryStore::new();
    for n in 0..20 {
        store.insert(message(n));
    }
    let clock = FixedClock::new(start() + DAY * 5 + Duration::from_secs(1));
    let policy = ExpiryPolicy::default();
    let report = sweep(&mut store, &clock, &policy).unwrap();
    // 0, 2, 4 expired.
    assert_eq!(report.removed().len(), 3);
    assert_eq!(report.now(), clock.now());
    assert_eq!(
        subjects(&store, |id| store.get(*id).unwrap().to_vec()),
        expected_left(5, 20, &policy)
    );

    // Idempotent: a second sweep at the same instant removes nothing.
    let again = sweep(&mut store, &clock, &policy).unwrap();
    assert!(again.removed().is_empty());
    assert_eq!(again.kept(), 17);

    // Exactly at the expiry instant the message is expired.
    clock.set(start() + DAY * 6);
    assert_eq!(
        sweep(&mut store, &clock, &policy).unwrap().removed().len(),
        1
    );
}

#[test]
fn only_end_to_end_policy_exempts_plain_messages() {
    let mut store = MemoryStore::new();
    for n in 0..20 {
        store.insert(message(n));
    }
    let clock = FixedClock::new(start() + DAY * 30);
    let policy = ExpiryPolicy::default().only_end_to_end_encrypted(true);
    let report = sweep(&mut store, &clock, &policy).unwrap();
    // Even and multiple of 3: 0, 6, 12, 18.
    assert_eq!(report.removed().len(), 4);
    assert_eq!(
        subjects(&store, |id| store.get(*id).unwrap().to_vec()),
        expected_left(30, 20, &policy)
    );
}

#[test]
fn max_lifetime_is_enforced_from_the_date_header() {
    let mut store = MemoryStore::new();
    let raw = b"Date: Sun, 01 Nov 2026 00:00:00 +0000\r\nSubject: message 99\r\n\r\nx\r\n";
    let far = set_expiry(raw, start() + DAY * 365).unwrap();
    let id = store.insert(far);
    let clock = FixedClock::new(start() + DAY * 27);
    let policy = ExpiryPolicy::default();
    assert!(
        sweep(&mut store, &clock, &policy)
            .unwrap()
            .removed()
            .is_empty()
    );
    clock.advance(DAY);
    assert_eq!(sweep(&mut store, &clock, &policy).unwrap().removed(), &[id]);
}

#[test]
fn interrupted_memory_sweep_loses_nothing_unexpired() {
    let policy = ExpiryPolicy::default();
    for crash_after in 0..5 {
        let mut inner = MemoryStore::new();
        for n in 0..20 {
            inner.insert(message(n));
        }
        let before: BTreeSet<u32> = (0..20).collect();
        let clock = FixedClock::new(start() + DAY * 9);
        let mut crashing = Crashing {
            inner,
            allowed: crash_after,
        };
        let result = catch_unwind(AssertUnwindSafe(|| sweep(&mut crashing, &clock, &policy)));
        assert!(result.is_err(), "the sweep should have crashed");
        let store = crashing.inner;
        let left = subjects(&store, |id| store.get(*id).unwrap().to_vec());
        // Every unexpired message is still there; exactly `crash_after` expired ones are gone.
        let want = expected_left(9, 20, &policy);
        assert!(want.is_subset(&left));
        assert_eq!(before.len() - left.len(), crash_after);
        // The next sweep finishes the job, and a third does nothing.
        let mut store = store;
        sweep(&mut store, &clock, &policy).unwrap();
        assert_eq!(
            subjects(&store, |id| store.get(*id).unwrap().to_vec()),
            want
        );
        assert!(
            sweep(&mut store, &clock, &policy)
                .unwrap()
                .removed()
                .is_empty()
        );
    }
}

#[test]
fn maildir_sweep_with_fixed_clock_and_interruption() {
    let dir = tempfile::tempdir().unwrap();
    let store = MaildirStore::create(dir.path()).unwrap();
    for n in 0..20 {
        store.deliver(&message(n)).unwrap();
    }
    // A message still being delivered (in tmp/) is never touched.
    std::fs::write(dir.path().join("tmp").join("1.inflight"), message(0)).unwrap();
    let policy = ExpiryPolicy::default();
    let clock = FixedClock::new(start() + DAY * 9);
    let read = |id: &mailsec_expiry::MaildirId| std::fs::read(id.path()).unwrap();

    let mut crashing = Crashing {
        inner: store,
        allowed: 2,
    };
    let result = catch_unwind(AssertUnwindSafe(|| sweep(&mut crashing, &clock, &policy)));
    assert!(result.is_err());
    let mut store = crashing.inner;
    let want = expected_left(9, 20, &policy);
    let left = subjects(&store, read);
    assert!(want.is_subset(&left));
    assert_eq!(left.len(), 18);

    let report = sweep(&mut store, &clock, &policy).unwrap();
    assert_eq!(report.removed().len(), 3); // 0..=8 even is 5, 2 already gone
    assert_eq!(subjects(&store, read), want);
    assert!(
        sweep(&mut store, &clock, &policy)
            .unwrap()
            .removed()
            .is_empty()
    );
    assert!(dir.path().join("tmp").join("1.inflight").exists());

    // Unexpired messages are intact byte for byte.
    for l in store.list().unwrap() {
        let raw = read(l.id());
        let text = String::from_utf8(raw.clone()).unwrap();
        let n: u32 = text
            .split("Subject: message ")
            .nth(1)
            .unwrap()
            .split("\r\n")
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(raw, message(n));
    }
}

#[test]
fn maildir_delete_after_concurrent_removal_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = MaildirStore::create(dir.path()).unwrap();
    store.deliver(&message(0)).unwrap();
    let listed = store.list().unwrap();
    std::fs::remove_file(listed[0].id().path()).unwrap();
    assert!(!store.delete(listed[0].id()).unwrap());
}
