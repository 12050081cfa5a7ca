//! Reading and writing `Expires:` (RFC 4021) and the legacy `Expiry-Date:`.

use std::time::SystemTime;

use crate::ExpiryError;
use crate::date::{format_rfc5322, parse_rfc5322, truncate_to_seconds};

/// The header field this crate writes (RFC 4021 section 2.1.47).
pub const EXPIRES: &str = "Expires";
/// The X.400-era header field still read for compatibility (RFC 4021 section 2.1.48).
pub const EXPIRY_DATE: &str = "Expiry-Date";

/// Which header field an expiry was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpiryField {
    /// `Expires:`.
    Expires,
    /// The legacy `Expiry-Date:`.
    ExpiryDate,
}

/// The expiry a header section declares.
///
/// When several fields are present the earliest well-formed `Expires:` wins
/// (an added, later date cannot extend a message's life); `Expiry-Date:` is
/// used only when no `Expires:` is usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeclaredExpiry {
    at: Option<SystemTime>,
    field: Option<ExpiryField>,
    malformed: bool,
}

impl DeclaredExpiry {
    /// Read the expiry from header fields given as (name, value) pairs, in
    /// any representation (`mail_parser` raw values, a `Vec<(String, String)>`,
    /// the protected headers of a decrypted message...).
    pub fn from_headers<I, N, V>(headers: I) -> Self
    where
        I: IntoIterator<Item = (N, V)>,
        N: AsRef<str>,
        V: AsRef<str>,
    {
        let mut expires: Option<SystemTime> = None;
        let mut legacy: Option<SystemTime> = None;
        let mut malformed = false;
        for (name, value) in headers {
            let name = name.as_ref().trim();
            let slot = if name.eq_ignore_ascii_case(EXPIRES) {
                &mut expires
            } else if name.eq_ignore_ascii_case(EXPIRY_DATE) {
                &mut legacy
            } else {
                continue;
            };
            match parse_rfc5322(value.as_ref()) {
                Ok(t) => *slot = Some(slot.map_or(t, |old| old.min(t))),
                Err(_) => malformed = true,
            }
        }
        match (expires, legacy) {
            (Some(at), _) => DeclaredExpiry {
                at: Some(at),
                field: Some(ExpiryField::Expires),
                malformed,
            },
            (None, Some(at)) => DeclaredExpiry {
                at: Some(at),
                field: Some(ExpiryField::ExpiryDate),
                malformed,
            },
            (None, None) => DeclaredExpiry {
                at: None,
                field: None,
                malformed,
            },
        }
    }

    /// Read the expiry from a raw message's top-level header section.
    pub fn from_message(raw: &[u8]) -> Self {
        Self::from_headers(header_fields(raw).0)
    }

    /// When the message expires, if it says.
    pub fn at(&self) -> Option<SystemTime> {
        self.at
    }

    /// The field the expiry came from.
    pub fn field(&self) -> Option<ExpiryField> {
        self.field
    }

    /// Whether an expiry field was present but its date could not be read.
    pub fn is_malformed(&self) -> bool {
        self.malformed
    }
}

/// Split a message's top-level header section into unfolded (name, value)
/// pairs, and return where the body starts.
///
/// Lenient the way mail readers are: an mbox `From ` line is skipped, lines
/// that are not fields are ignored, and a missing blank line means the message
/// is all header. Values are decoded as UTF-8 with invalid bytes replaced.
pub fn header_fields(raw: &[u8]) -> (Vec<(String, String)>, usize) {
    let mut fields: Vec<(String, String)> = Vec::new();
    let lines = header_lines(raw);
    let body = lines.body;
    for (i, line) in lines.lines.iter().enumerate() {
        let text = trim_eol(raw.get(line.start..line.end).unwrap_or_default());
        if i == 0 && text.starts_with(b"From ") {
            continue;
        }
        if line.continuation {
            if let Some((_, v)) = fields.last_mut() {
                v.push_str(&String::from_utf8_lossy(text));
            }
            continue;
        }
        let Some(colon) = text.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = text.split_at(colon);
        let value = value.get(1..).unwrap_or_default();
        let name = String::from_utf8_lossy(name).trim().to_owned();
        if name.is_empty() || name.contains(char::is_whitespace) {
            continue;
        }
        fields.push((name, String::from_utf8_lossy(value).into_owned()));
    }
    for (_, v) in &mut fields {
        *v = v.trim().to_owned();
    }
    (fields, body)
}

struct Line {
    start: usize,
    end: usize,
    continuation: bool,
}

struct Lines {
    lines: Vec<Line>,
    /// Offset of the first byte after the header section (after the blank line).
    body: usize,
    /// Offset of the blank line ending the header section (or the end).
    blank: usize,
}

fn header_lines(raw: &[u8]) -> Lines {
    let mut lines = Vec::new();
    let mut pos = 0;
    while pos < raw.len() {
        let end = raw
            .get(pos..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
            .map_or(raw.len(), |i| pos + i + 1);
        let line = raw.get(pos..end).unwrap_or_default();
        if trim_eol(line).is_empty() {
            return Lines {
                lines,
                body: end,
                blank: pos,
            };
        }
        let continuation = matches!(line.first(), Some(b' ' | b'\t')) && !lines.is_empty();
        lines.push(Line {
            start: pos,
            end,
            continuation,
        });
        pos = end;
    }
    Lines {
        lines,
        body: raw.len(),
        blank: raw.len(),
    }
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The `Expires:` value for `at`: an RFC 5322 date in UTC, whole seconds.
pub fn expires_value(at: SystemTime) -> Result<String, ExpiryError> {
    format_rfc5322(truncate_to_seconds(at))
}

/// Set a message's expiry: remove every `Expires:` and `Expiry-Date:` field
/// and add `Expires: <date>` at the end of the header section. The rest of
/// the message is kept byte for byte; the new line uses the message's own
/// line ending (CRLF unless its first line ends in a bare LF).
///
/// This writes the clear header only. A message whose headers are protected
/// by a signature or encryption needs the field inside the protected
/// headers too (`mailsec-pgp` does that); otherwise a reader reports a
/// mismatch.
pub fn set_expiry(raw: &[u8], at: SystemTime) -> Result<Vec<u8>, ExpiryError> {
    let value = expires_value(at)?;
    let eol: &[u8] = if uses_bare_lf(raw) { b"\n" } else { b"\r\n" };
    let mut out = without_expiry_fields(raw, eol);
    let insert_at = header_lines(&out).blank;
    let mut field = Vec::with_capacity(value.len() + 12);
    field.extend_from_slice(EXPIRES.as_bytes());
    field.extend_from_slice(b": ");
    field.extend_from_slice(value.as_bytes());
    field.extend_from_slice(eol);
    out.splice(insert_at..insert_at, field);
    Ok(out)
}

/// Remove every `Expires:` and `Expiry-Date:` field from the top-level header
/// section; the rest is kept byte for byte.
pub fn remove_expiry(raw: &[u8]) -> Vec<u8> {
    let eol: &[u8] = if uses_bare_lf(raw) { b"\n" } else { b"\r\n" };
    without_expiry_fields(raw, eol)
}

fn without_expiry_fields(raw: &[u8], eol: &[u8]) -> Vec<u8> {
    let lines = header_lines(raw);
    let mut out = Vec::with_capacity(raw.len() + 48);
    let mut dropping = false;
    for line in &lines.lines {
        let bytes = raw.get(line.start..line.end).unwrap_or_default();
        if !line.continuation {
            dropping = is_expiry_field(bytes);
        }
        if !dropping {
            out.extend_from_slice(bytes);
            if !bytes.ends_with(b"\n") {
                // The header section ran to the end of input without a newline.
                out.extend_from_slice(eol);
            }
        }
    }
    out.extend_from_slice(raw.get(lines.blank..).unwrap_or_default());
    out
}

fn is_expiry_field(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return false;
    };
    let name = String::from_utf8_lossy(line.get(..colon).unwrap_or_default());
    let name = name.trim();
    name.eq_ignore_ascii_case(EXPIRES) || name.eq_ignore_ascii_case(EXPIRY_DATE)
}

fn uses_bare_lf(raw: &[u8]) -> bool {
    match raw.iter().position(|&b| b == b'\n') {
        Some(0) => true,
        Some(i) => raw.get(i - 1) != Some(&b'\r'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::parse_rfc3339;
    use proptest::prelude::*;

    const MSG: &[u8] = b"From: a@example.org\r\nTo: b@example.net\r\nSubject: hi\r\n there\r\n\r\nbody\r\nExpires: not a header\r\n";

    #[test]
    fn splits_and_unfolds() {
        let (fields, body) = header_fields(MSG);
        assert_eq!(fields.len(), 3);
        assert_eq!(fields[2], ("Subject".to_owned(), "hi there".to_owned()));
        assert_eq!(&MSG[body..], b"body\r\nExpires: not a header\r\n");
    }

    #[test]
    fn set_then_read() {
        let at = parse_rfc3339("2026-12-01T00:00:00Z").unwrap();
        let out = set_expiry(MSG, at).unwrap();
        assert!(out.ends_with(b"Subject: hi\r\n there\r\nExpires: Tue, 01 Dec 2026 00:00:00 +0000\r\n\r\nbody\r\nExpires: not a header\r\n"));
        let d = DeclaredExpiry::from_message(&out);
        assert_eq!(d.at(), Some(at));
        assert_eq!(d.field(), Some(ExpiryField::Expires));
        // Setting again replaces, never duplicates.
        let later = parse_rfc3339("2027-01-01T00:00:00Z").unwrap();
        let again = set_expiry(&out, later).unwrap();
        assert_eq!(DeclaredExpiry::from_message(&again).at(), Some(later));
        assert_eq!(again.windows(8).filter(|w| w == b"Expires:").count(), 2); // one header + the body line
        assert_eq!(remove_expiry(&again), MSG);
    }

    #[test]
    fn legacy_and_folded_fields_are_removed_and_read() {
        let raw = b"Expiry-Date: Tue, 01 Dec 2026\n 00:00:00 +0000\nSubject: x\n\nb\n";
        let d = DeclaredExpiry::from_message(raw);
        assert_eq!(d.field(), Some(ExpiryField::ExpiryDate));
        assert_eq!(d.at(), Some(parse_rfc3339("2026-12-01T00:00:00Z").unwrap()));
        assert_eq!(remove_expiry(raw), b"Subject: x\n\nb\n");
        let set = set_expiry(raw, parse_rfc3339("2026-12-02T00:00:00Z").unwrap()).unwrap();
        assert_eq!(
            set,
            b"Subject: x\nExpires: Wed, 02 Dec 2026 00:00:00 +0000\n\nb\n"
        );
    }

    #[test]
    fn earliest_expires_wins_and_malformed_is_flagged() {
        let d = DeclaredExpiry::from_headers([
            ("Expires", "Wed, 02 Dec 2026 00:00:00 +0000"),
            ("expires", "Tue, 01 Dec 2026 00:00:00 +0000"),
            ("Expiry-Date", "Mon, 30 Nov 2026 00:00:00 +0000"),
            ("Expires", "next tuesday"),
        ]);
        assert_eq!(d.at(), Some(parse_rfc3339("2026-12-01T00:00:00Z").unwrap()));
        assert!(d.is_malformed());
        assert_eq!(
            DeclaredExpiry::from_headers([("Subject", "x")]),
            DeclaredExpiry::default()
        );
    }

    #[test]
    fn header_only_message_without_newline() {
        let out = set_expiry(
            b"Subject: x",
            parse_rfc3339("2026-12-01T00:00:00Z").unwrap(),
        )
        .unwrap();
        assert_eq!(
            out,
            b"Subject: x\r\nExpires: Tue, 01 Dec 2026 00:00:00 +0000\r\n"
        );
    }

    proptest! {
        #[test]
        fn any_bytes_no_panic(raw in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = header_fields(&raw);
            let _ = DeclaredExpiry::from_message(&raw);
            let _ = remove_expiry(&raw);
            let _ = set_expiry(&raw, SystemTime::UNIX_EPOCH);
        }

        #[test]
        fn set_read_round_trip(
            subject in "[ -~]{0,40}",
            body in proptest::collection::vec(any::<u8>(), 0..256),
            secs in 0i64..253_402_300_799,
        ) {
            let mut raw = format!("From: a@example.org\r\nSubject: {subject}\r\n\r\n").into_bytes();
            raw.extend_from_slice(&body);
            let at = crate::date::from_unix_secs(secs).unwrap();
            let out = set_expiry(&raw, at).unwrap();
            prop_assert_eq!(DeclaredExpiry::from_message(&out).at(), Some(at));
            prop_assert!(out.ends_with(&body));
            prop_assert_eq!(remove_expiry(&out), raw);
        }
    }
}
