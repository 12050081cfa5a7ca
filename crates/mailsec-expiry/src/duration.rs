//! Durations as `90m`, `36h`, `7d`, `2w`.

use std::time::Duration;

use crate::ExpiryError;

/// Parse a duration: an integer and one unit, `s`, `m`, `h`, `d` or `w`
/// (`90m`, `36h`, `7d`, `2w`).
///
/// Surrounding spaces are ignored; a sign, a fraction, several units or a
/// missing unit are errors.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(mailsec_expiry::parse_duration("36h")?, Duration::from_secs(36 * 3600));
/// assert!(mailsec_expiry::parse_duration("7").is_err());
/// # Ok::<(), mailsec_expiry::ExpiryError>(())
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, ExpiryError> {
    let invalid = || ExpiryError::InvalidDuration {
        text: text.to_owned(),
    };
    let t = text.trim();
    let unit = t.chars().last().ok_or_else(invalid)?;
    let digits = t.get(..t.len() - unit.len_utf8()).ok_or_else(invalid)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let n: u64 = digits.parse().map_err(|_| invalid())?;
    let scale: u64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return Err(invalid()),
    };
    let secs = n.checked_mul(scale).ok_or_else(invalid)?;
    Ok(Duration::from_secs(secs))
}

/// Write a duration in the largest unit that divides it exactly
/// (`Duration::from_secs(172800)` is `2d`); sub-second parts are dropped.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    for (unit, scale) in [('w', 604_800u64), ('d', 86_400), ('h', 3_600), ('m', 60)] {
        if s != 0 && s.is_multiple_of(scale) {
            return format!("{}{unit}", s / scale);
        }
    }
    format!("{s}s")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn units() {
        assert_eq!(parse_duration("90m").unwrap(), Duration::from_secs(5_400));
        assert_eq!(parse_duration("36h").unwrap(), Duration::from_secs(129_600));
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(604_800));
        assert_eq!(
            parse_duration("2w").unwrap(),
            Duration::from_secs(1_209_600)
        );
        assert_eq!(parse_duration(" 45s ").unwrap(), Duration::from_secs(45));
        assert_eq!(parse_duration("0s").unwrap(), Duration::ZERO);
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "d",
            "7",
            "-7d",
            "+7d",
            "7 d",
            "1.5h",
            "7y",
            "7D",
            "1h30m",
            "７d",
            "99999999999999999999w",
            "18446744073709551615w",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn formats() {
        assert_eq!(format_duration(Duration::from_secs(1_209_600)), "2w");
        assert_eq!(format_duration(Duration::from_secs(172_800)), "2d");
        assert_eq!(format_duration(Duration::from_secs(5_400)), "90m");
        assert_eq!(format_duration(Duration::from_secs(61)), "61s");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }

    proptest! {
        #[test]
        fn format_then_parse(secs in 0u64..=u64::MAX / 604_800) {
            let d = Duration::from_secs(secs);
            prop_assert_eq!(parse_duration(&format_duration(d)).unwrap(), d);
        }

        #[test]
        fn any_text_no_panic(s in "\\PC{0,24}") {
            let _ = parse_duration(&s);
        }
    }
}
