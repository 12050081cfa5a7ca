//! Deleting what has expired.

use std::time::SystemTime;

use crate::ExpiryError;
use crate::clock::Clock;
use crate::policy::ExpiryPolicy;
use crate::report::is_expired;
use crate::store::MessageStore;

/// What a sweep did.
#[derive(Debug)]
pub struct SweepReport<Id> {
    now: SystemTime,
    removed: Vec<Id>,
    failed: Vec<(Id, ExpiryError)>,
    kept: usize,
    exempt: usize,
}

impl<Id> SweepReport<Id> {
    /// The instant the sweep judged at.
    pub fn now(&self) -> SystemTime {
        self.now
    }

    /// The messages it deleted.
    pub fn removed(&self) -> &[Id] {
        &self.removed
    }

    /// Expired messages it could not delete, with why (they stay for the next sweep).
    pub fn failed(&self) -> &[(Id, ExpiryError)] {
        &self.failed
    }

    /// How many messages were left because they have not expired (or never do).
    pub fn kept(&self) -> usize {
        self.kept
    }

    /// How many messages the policy exempts (not end-to-end encrypted under
    /// an "only end-to-end encrypted" policy).
    pub fn exempt(&self) -> usize {
        self.exempt
    }

    /// Take the ids of the deleted messages.
    pub fn into_removed(self) -> Vec<Id> {
        self.removed
    }
}

/// Walk `store` and delete every message that has expired at `clock.now()`
/// (read once, so the whole sweep judges at one instant) under `policy`:
/// its declared expiry, brought forward to the maximum lifetime after its
/// `Date:`. Messages without an expiry are never deleted.
///
/// A sweep only ever deletes messages judged expired, one at a time, so it
/// is idempotent and safe to interrupt: a crash part-way loses no unexpired
/// message, and the next sweep finishes the job. A failed delete is
/// recorded in the report and the sweep goes on; only a failure to list the
/// store is an `Err`.
pub fn sweep<S>(
    store: &mut S,
    clock: &dyn Clock,
    policy: &ExpiryPolicy,
) -> Result<SweepReport<S::Id>, ExpiryError>
where
    S: MessageStore + ?Sized,
{
    let now = clock.now();
    let mut report = SweepReport {
        now,
        removed: Vec::new(),
        failed: Vec::new(),
        kept: 0,
        exempt: 0,
    };
    for entry in store.list()? {
        if !policy.applies_to(entry.is_encrypted()) {
            report.exempt += 1;
            continue;
        }
        match policy.enforced(entry.expires_at(), entry.sent()) {
            Some(at) if is_expired(at, now) => match store.delete(entry.id()) {
                Ok(true) => report.removed.push(entry.id().clone()),
                Ok(false) => {}
                Err(e) => report.failed.push((entry.id().clone(), e)),
            },
            _ => report.kept += 1,
        }
    }
    Ok(report)
}
