//! How long messages may live, and which messages expire at all.

use std::time::{Duration, SystemTime};

/// The default maximum lifetime: 28 days, as Proton uses for
/// password-protected mail.
pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(28 * 86_400);

/// An expiry policy: a maximum lifetime and whether only end-to-end
/// encrypted messages expire.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use mailsec_expiry::ExpiryPolicy;
///
/// let policy = ExpiryPolicy::default().only_end_to_end_encrypted(true);
/// let sent = SystemTime::UNIX_EPOCH;
/// let year = sent + Duration::from_secs(365 * 86_400);
/// // A year is clamped to 28 days...
/// assert_eq!(policy.expiry_for(sent, Some(year), true), Some(sent + Duration::from_secs(28 * 86_400)));
/// // ...and a plain message does not expire under this policy.
/// assert_eq!(policy.expiry_for(sent, Some(year), false), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryPolicy {
    max_lifetime: Duration,
    only_end_to_end: bool,
}

impl Default for ExpiryPolicy {
    fn default() -> Self {
        ExpiryPolicy {
            max_lifetime: DEFAULT_MAX_LIFETIME,
            only_end_to_end: false,
        }
    }
}

impl ExpiryPolicy {
    /// The default policy: 28 days at most, every message may expire.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set the maximum lifetime.
    pub fn with_max_lifetime(mut self, max: Duration) -> Self {
        self.max_lifetime = max;
        self
    }

    /// Expire only end-to-end encrypted messages (and password-protected ones).
    pub fn only_end_to_end_encrypted(mut self, only: bool) -> Self {
        self.only_end_to_end = only;
        self
    }

    /// The maximum lifetime.
    pub fn max_lifetime(&self) -> Duration {
        self.max_lifetime
    }

    /// Whether only end-to-end encrypted messages expire.
    pub fn is_only_end_to_end_encrypted(&self) -> bool {
        self.only_end_to_end
    }

    /// Whether a message (end-to-end encrypted or not) is subject to expiry.
    pub fn applies_to(&self, encrypted: bool) -> bool {
        encrypted || !self.only_end_to_end
    }

    /// The latest expiry allowed for a message sent at `sent`.
    pub fn latest(&self, sent: SystemTime) -> Option<SystemTime> {
        sent.checked_add(self.max_lifetime)
    }

    /// The expiry to give a message sent at `sent` whose sender asked for
    /// `requested`: clamped to the maximum lifetime, and `None` when the
    /// sender asked for none or the policy does not apply to the message.
    pub fn expiry_for(
        &self,
        sent: SystemTime,
        requested: Option<SystemTime>,
        encrypted: bool,
    ) -> Option<SystemTime> {
        if !self.applies_to(encrypted) {
            return None;
        }
        let requested = requested?;
        Some(match self.latest(sent) {
            Some(latest) => requested.min(latest),
            None => requested,
        })
    }

    /// The expiry of a password-protected message's unlock link: `requested`
    /// after `sent` (the maximum lifetime when none is asked), never more than
    /// the maximum lifetime.
    pub fn link_expiry(&self, sent: SystemTime, requested: Option<Duration>) -> SystemTime {
        let life = requested.map_or(self.max_lifetime, |r| r.min(self.max_lifetime));
        sent.checked_add(life).unwrap_or(sent)
    }

    /// The expiry a sweep enforces for a stored message: its declared expiry,
    /// brought forward to `sent + max lifetime` when the message says when it
    /// was sent. A message that declares no expiry never expires.
    pub fn enforced(
        &self,
        declared: Option<SystemTime>,
        sent: Option<SystemTime>,
    ) -> Option<SystemTime> {
        let declared = declared?;
        Some(match sent.and_then(|s| self.latest(s)) {
            Some(latest) => declared.min(latest),
            None => declared,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    #[test]
    fn clamps_and_defaults() {
        let p = ExpiryPolicy::new();
        let sent = SystemTime::UNIX_EPOCH + DAY * 1000;
        assert_eq!(p.max_lifetime(), DAY * 28);
        assert_eq!(
            p.expiry_for(sent, Some(sent + DAY), false),
            Some(sent + DAY)
        );
        assert_eq!(
            p.expiry_for(sent, Some(sent + DAY * 90), false),
            Some(sent + DAY * 28)
        );
        assert_eq!(p.expiry_for(sent, None, true), None);
        assert_eq!(p.link_expiry(sent, None), sent + DAY * 28);
        assert_eq!(p.link_expiry(sent, Some(DAY * 7)), sent + DAY * 7);
        assert_eq!(p.link_expiry(sent, Some(DAY * 70)), sent + DAY * 28);
        let short = p.with_max_lifetime(DAY * 2);
        assert_eq!(short.link_expiry(sent, None), sent + DAY * 2);
    }

    #[test]
    fn only_e2ee() {
        let p = ExpiryPolicy::new().only_end_to_end_encrypted(true);
        assert!(p.applies_to(true) && !p.applies_to(false));
        let sent = SystemTime::UNIX_EPOCH;
        assert_eq!(p.expiry_for(sent, Some(sent + DAY), false), None);
        assert_eq!(p.expiry_for(sent, Some(sent + DAY), true), Some(sent + DAY));
    }

    #[test]
    fn enforced() {
        let p = ExpiryPolicy::new();
        let sent = SystemTime::UNIX_EPOCH + DAY;
        assert_eq!(p.enforced(None, Some(sent)), None);
        assert_eq!(
            p.enforced(Some(sent + DAY * 100), Some(sent)),
            Some(sent + DAY * 28)
        );
        assert_eq!(
            p.enforced(Some(sent + DAY * 100), None),
            Some(sent + DAY * 100)
        );
    }
}
