//! RFC 5322 date-time syntax for `Expires:`, and conversions.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Datelike, Utc};

use crate::ExpiryError;

/// Seconds since the Unix epoch (negative before it), or `None` when out of range.
pub(crate) fn unix_secs(t: SystemTime) -> Option<i64> {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).ok(),
        Err(e) => {
            let d = e.duration();
            // Round towards minus infinity so that sub-second parts before the epoch stay ordered.
            let extra = u64::from(d.subsec_nanos() != 0);
            i64::try_from(d.as_secs().checked_add(extra)?)
                .ok()
                .map(|s| -s)
        }
    }
}

/// The time at `secs` seconds since the epoch.
pub(crate) fn from_unix_secs(secs: i64) -> Option<SystemTime> {
    if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))
    }
}

/// Drop sub-second precision (dates in mail headers have whole seconds).
pub fn truncate_to_seconds(t: SystemTime) -> SystemTime {
    unix_secs(t).and_then(from_unix_secs).unwrap_or(t)
}

fn to_chrono(t: SystemTime) -> Result<DateTime<Utc>, ExpiryError> {
    let secs = unix_secs(t).ok_or(ExpiryError::OutOfRange)?;
    DateTime::from_timestamp(secs, 0).ok_or(ExpiryError::OutOfRange)
}

/// Write `t` as an RFC 5322 date-time in UTC, e.g. `Fri, 27 Nov 2026 12:00:00 +0000`.
///
/// Fails for times RFC 5322 cannot carry (before 1900 or after 9999).
pub fn format_rfc5322(t: SystemTime) -> Result<String, ExpiryError> {
    let dt = to_chrono(t)?;
    if !(1900..=9999).contains(&dt.year()) {
        return Err(ExpiryError::OutOfRange);
    }
    Ok(dt.format("%a, %d %b %Y %H:%M:%S +0000").to_string())
}

/// Write `t` as RFC 3339 in UTC, e.g. `2026-11-27T12:00:00Z`.
pub fn format_rfc3339(t: SystemTime) -> Result<String, ExpiryError> {
    let dt = to_chrono(t)?;
    if !(0..=9999).contains(&dt.year()) {
        return Err(ExpiryError::OutOfRange);
    }
    Ok(dt.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Read an RFC 3339 time (`2026-11-27T12:00:00Z`, `2026-11-27T13:00:00+01:00`).
pub fn parse_rfc3339(text: &str) -> Result<SystemTime, ExpiryError> {
    let invalid = || ExpiryError::InvalidDate {
        text: text.to_owned(),
    };
    let dt = DateTime::parse_from_rfc3339(text.trim()).map_err(|_| invalid())?;
    from_unix_secs(dt.timestamp()).ok_or_else(invalid)
}

/// Read an RFC 5322 date-time (obsolete forms included: two-digit years,
/// named zones), the way `Expires:` carries it. Folding and comments such as
/// `(UTC)` are ignored.
pub fn parse_rfc5322(text: &str) -> Result<SystemTime, ExpiryError> {
    let invalid = || ExpiryError::InvalidDate {
        text: text.to_owned(),
    };
    let cleaned = strip_comments(text).ok_or_else(invalid)?;
    let squeezed = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let dt = DateTime::parse_from_rfc2822(&squeezed).map_err(|_| invalid())?;
    from_unix_secs(dt.timestamp()).ok_or_else(invalid)
}

/// Remove RFC 5322 comments (nested parentheses, quoted-pairs); `None` when unbalanced.
fn strip_comments(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if depth > 0 => {
                chars.next();
            }
            '(' => depth += 1,
            ')' => {
                depth = depth.checked_sub(1)?;
                out.push(' ');
            }
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    (depth == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(secs: i64) -> SystemTime {
        from_unix_secs(secs).unwrap()
    }

    #[test]
    fn formats_utc() {
        // 2026-11-27T12:00:00Z
        assert_eq!(
            format_rfc5322(t(1_795_780_800)).unwrap(),
            "Fri, 27 Nov 2026 12:00:00 +0000"
        );
        assert_eq!(
            format_rfc3339(t(1_795_780_800)).unwrap(),
            "2026-11-27T12:00:00Z"
        );
    }

    #[test]
    fn parses_forms() {
        let want = t(1_795_780_800);
        for s in [
            "Fri, 27 Nov 2026 12:00:00 +0000",
            "27 Nov 2026 12:00:00 +0000",
            "Fri, 27 Nov 2026 13:00:00 +0100",
            "Fri, 27 Nov 2026 12:00:00 GMT",
            "Fri, 27 Nov 2026 07:00:00 EST",
            "Fri, 27 Nov 2026 12:00:00 +0000 (UTC)",
            "Fri, 27 Nov 2026\r\n 12:00:00 +0000",
            "  Fri,  27 Nov 2026 12:00:00 +0000  ",
        ] {
            assert_eq!(parse_rfc5322(s).unwrap(), want, "{s:?}");
        }
        assert_eq!(parse_rfc3339("2026-11-27T13:00:00+01:00").unwrap(), want);
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "tomorrow",
            "2026-11-27T12:00:00Z",
            "Fri, 32 Nov 2026 12:00:00 +0000",
            "(unbalanced",
        ] {
            assert!(parse_rfc5322(s).is_err(), "{s:?}");
        }
        assert!(format_rfc5322(t(-3_000_000_000)).is_err());
    }

    #[test]
    fn before_epoch_truncates_down() {
        let x = UNIX_EPOCH - Duration::from_millis(1_500);
        assert_eq!(truncate_to_seconds(x), t(-2));
    }

    proptest! {
        #[test]
        fn round_trip(secs in -2_208_988_800i64..253_402_300_799) {
            let s = format_rfc5322(t(secs)).unwrap();
            prop_assert_eq!(parse_rfc5322(&s).unwrap(), t(secs));
            let r = format_rfc3339(t(secs)).unwrap();
            prop_assert_eq!(parse_rfc3339(&r).unwrap(), t(secs));
        }

        #[test]
        fn any_text_no_panic(s in "\\PC{0,64}") {
            let _ = parse_rfc5322(&s);
            let _ = parse_rfc3339(&s);
        }
    }
}
