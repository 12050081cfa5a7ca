//! Judging a message's expiry: live, expired or none, and whether the
//! expiry was protected by a signature or encryption.

use std::time::SystemTime;

use mail_parser::{MessageParser, MimeHeaders, PartType};

use crate::headers::{DeclaredExpiry, header_fields};

/// Whether a message has expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExpiryState {
    /// It has an expiry that has not passed.
    Live,
    /// Its expiry has passed.
    Expired,
    /// It declares no (readable) expiry.
    None,
}

impl ExpiryState {
    /// The result word: `live`, `expired` or `none`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ExpiryState::Live => "live",
            ExpiryState::Expired => "expired",
            ExpiryState::None => "none",
        }
    }
}

impl std::fmt::Display for ExpiryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a message that expires at `expires_at` has expired at `now`
/// (the expiry instant itself counts as expired).
pub fn is_expired(expires_at: SystemTime, now: SystemTime) -> bool {
    now >= expires_at
}

/// What a reader learns about a message's expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryReport {
    state: ExpiryState,
    expires_at: Option<SystemTime>,
    protected: bool,
    mismatch: bool,
    malformed: bool,
}

impl ExpiryReport {
    /// Judge from the clear (outer) header fields only.
    pub fn from_headers<I, N, V>(outer: I, now: SystemTime) -> Self
    where
        I: IntoIterator<Item = (N, V)>,
        N: AsRef<str>,
        V: AsRef<str>,
    {
        Self::judge(DeclaredExpiry::from_headers(outer), None, now)
    }

    /// Judge from the clear (outer) header fields and the protected (inner)
    /// ones, as recovered from a signed or decrypted message (RFC 9788 header
    /// protection; the OpenPGP crate supplies them for encrypted mail).
    ///
    /// The protected expiry wins when there is one. `mismatch` is set when
    /// the clear header declares an expiry that the protected headers do not
    /// (a different date, or none at all); a protected expiry hidden from the
    /// clear header is not a mismatch.
    pub fn with_protected<I, N, V, J, M, W>(outer: I, protected: J, now: SystemTime) -> Self
    where
        I: IntoIterator<Item = (N, V)>,
        N: AsRef<str>,
        V: AsRef<str>,
        J: IntoIterator<Item = (M, W)>,
        M: AsRef<str>,
        W: AsRef<str>,
    {
        Self::judge(
            DeclaredExpiry::from_headers(outer),
            Some(DeclaredExpiry::from_headers(protected)),
            now,
        )
    }

    /// Judge a raw message. Protected headers are read when the message is
    /// clear-signed (`multipart/signed` whose first part carries header
    /// fields, see [`signed_protected_headers`]); the signature itself is not
    /// verified here.
    pub fn from_message(raw: &[u8], now: SystemTime) -> Self {
        let (outer, _) = header_fields(raw);
        match signed_protected_headers(raw) {
            Some(inner) => Self::with_protected(outer, inner, now),
            None => Self::from_headers(outer, now),
        }
    }

    fn judge(outer: DeclaredExpiry, inner: Option<DeclaredExpiry>, now: SystemTime) -> Self {
        let malformed = outer.is_malformed() || inner.is_some_and(|i| i.is_malformed());
        let (expires_at, protected, mismatch) = match inner {
            Some(inner) => match (inner.at(), outer.at()) {
                (Some(p), clear) => (Some(p), true, clear.is_some_and(|c| c != p)),
                (None, Some(c)) => (Some(c), false, true),
                (None, None) => (None, false, false),
            },
            None => (outer.at(), false, false),
        };
        let state = match expires_at {
            None => ExpiryState::None,
            Some(t) if is_expired(t, now) => ExpiryState::Expired,
            Some(_) => ExpiryState::Live,
        };
        ExpiryReport {
            state,
            expires_at,
            protected,
            mismatch,
            malformed,
        }
    }

    /// Live, expired or none.
    pub fn state(&self) -> ExpiryState {
        self.state
    }

    /// The expiry that was judged (the protected one when there is one).
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// Whether the expiry came from protected headers.
    pub fn is_protected(&self) -> bool {
        self.protected
    }

    /// Whether the clear header declares an expiry the protected headers do not.
    pub fn is_mismatch(&self) -> bool {
        self.mismatch
    }

    /// Whether some expiry field could not be read (it was ignored).
    pub fn is_malformed(&self) -> bool {
        self.malformed
    }

    /// Whether the message has expired.
    pub fn is_expired(&self) -> bool {
        self.state == ExpiryState::Expired
    }
}

/// The protected header fields of a clear-signed message: when the message
/// is `multipart/signed` and its first (signed) part carries header fields
/// beyond MIME's own (`Content-*`, `MIME-Version`), or announces them with a
/// `protected-headers` or `hp` Content-Type parameter, those fields.
///
/// Encrypted messages are not opened here: their inner headers come from the
/// OpenPGP layer through [`ExpiryReport::with_protected`].
pub fn signed_protected_headers(raw: &[u8]) -> Option<Vec<(String, String)>> {
    let message = MessageParser::default().parse(raw)?;
    let root = message.root_part();
    let ct = root.content_type()?;
    if !ct.ctype().eq_ignore_ascii_case("multipart")
        || !ct
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("signed"))
    {
        return None;
    }
    let PartType::Multipart(children) = &root.body else {
        return None;
    };
    let first = message.part(*children.first()?)?;
    let start = usize::try_from(first.offset_header).ok()?;
    let end = usize::try_from(first.offset_body).ok()?;
    let (fields, _) = header_fields(message.raw_message.get(start..end)?);
    let announced = first
        .content_type()
        .is_some_and(|c| c.attribute("protected-headers").is_some() || c.attribute("hp").is_some());
    let carries = fields.iter().any(|(n, _)| {
        let n = n.to_ascii_lowercase();
        !n.starts_with("content-") && n != "mime-version"
    });
    (announced || carries).then_some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::parse_rfc3339;
    use proptest::prelude::*;

    fn t(s: &str) -> SystemTime {
        parse_rfc3339(s).unwrap()
    }

    const DEC1: &str = "Tue, 01 Dec 2026 00:00:00 +0000";
    const DEC2: &str = "Wed, 02 Dec 2026 00:00:00 +0000";

    #[test]
    fn clear_only() {
        let r = ExpiryReport::from_headers([("Expires", DEC1)], t("2026-11-30T00:00:00Z"));
        assert_eq!(r.state(), ExpiryState::Live);
        assert!(!r.is_protected() && !r.is_mismatch());
        let r = ExpiryReport::from_headers([("Expires", DEC1)], t("2026-12-01T00:00:00Z"));
        assert_eq!(r.state(), ExpiryState::Expired);
        let r = ExpiryReport::from_headers([("Subject", "x")], t("2026-12-01T00:00:00Z"));
        assert_eq!((r.state(), r.expires_at()), (ExpiryState::None, None));
    }

    #[test]
    fn protected_cases() {
        let now = t("2026-12-01T12:00:00Z");
        // Same date inside and out.
        let r = ExpiryReport::with_protected([("Expires", DEC1)], [("Expires", DEC1)], now);
        assert!(r.is_protected() && !r.is_mismatch() && r.is_expired());
        // The clear header was moved later: the protected date wins, mismatch.
        let r = ExpiryReport::with_protected([("Expires", DEC2)], [("Expires", DEC1)], now);
        assert!(r.is_protected() && r.is_mismatch());
        assert_eq!(r.expires_at(), Some(t("2026-12-01T00:00:00Z")));
        assert_eq!(r.state(), ExpiryState::Expired);
        // Hidden from the outside: protected, no mismatch.
        let r = ExpiryReport::with_protected([("Subject", "...")], [("Expires", DEC2)], now);
        assert!(r.is_protected() && !r.is_mismatch());
        assert_eq!(r.state(), ExpiryState::Live);
        // Only in the clear although headers are protected: unprotected, mismatch.
        let r = ExpiryReport::with_protected([("Expires", DEC2)], [("Subject", "x")], now);
        assert!(!r.is_protected() && r.is_mismatch());
        assert_eq!(r.state(), ExpiryState::Live);
        // Neither.
        let r = ExpiryReport::with_protected([("Subject", "x")], [("Subject", "x")], now);
        assert_eq!(r.state(), ExpiryState::None);
        assert!(!r.is_protected() && !r.is_mismatch());
    }

    fn signed(outer_expires: &str, inner_expires: &str) -> Vec<u8> {
        format!(
            "From: a@example.org\r\nSubject: ...\r\n{outer_expires}MIME-Version: 1.0\r\n\
Content-Type: multipart/signed; micalg=pgp-sha256; protocol=\"application/pgp-signature\"; boundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: text/plain; charset=utf-8; protected-headers=\"v1\"\r\n\
From: a@example.org\r\nSubject: secret\r\n{inner_expires}\r\nhello\r\n\
--b1\r\nContent-Type: application/pgp-signature\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\n...\r\n-----END PGP SIGNATURE-----\r\n--b1--\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn reads_clear_signed_protected_headers() {
        let now = t("2026-11-30T00:00:00Z");
        let raw = signed(
            &format!("Expires: {DEC2}\r\n"),
            &format!("Expires: {DEC1}\r\n"),
        );
        let inner = signed_protected_headers(&raw).unwrap();
        assert!(inner.iter().any(|(n, v)| n == "Subject" && v == "secret"));
        let r = ExpiryReport::from_message(&raw, now);
        assert!(r.is_protected() && r.is_mismatch());
        assert_eq!(r.expires_at(), Some(t("2026-12-01T00:00:00Z")));

        let raw = signed(
            &format!("Expires: {DEC1}\r\n"),
            &format!("Expires: {DEC1}\r\n"),
        );
        let r = ExpiryReport::from_message(&raw, now);
        assert!(r.is_protected() && !r.is_mismatch());

        let raw = signed(&format!("Expires: {DEC1}\r\n"), "");
        let r = ExpiryReport::from_message(&raw, now);
        assert!(!r.is_protected() && r.is_mismatch());
    }

    #[test]
    fn plain_multipart_is_not_protected() {
        let raw = b"Expires: Tue, 01 Dec 2026 00:00:00 +0000\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nSubject: inner\r\n\r\nx\r\n--b--\r\n";
        assert!(signed_protected_headers(raw).is_none());
        let r = ExpiryReport::from_message(raw, t("2026-11-30T00:00:00Z"));
        assert!(!r.is_protected() && !r.is_mismatch());
        assert_eq!(r.state(), ExpiryState::Live);
    }

    proptest! {
        #[test]
        fn any_bytes_no_panic(raw in proptest::collection::vec(any::<u8>(), 0..1024)) {
            let _ = ExpiryReport::from_message(&raw, SystemTime::UNIX_EPOCH);
        }

        #[test]
        fn state_matches_is_expired(secs in 0i64..4_000_000_000, now in 0i64..4_000_000_000) {
            let at = crate::date::from_unix_secs(secs).unwrap();
            let now = crate::date::from_unix_secs(now).unwrap();
            let v = crate::headers::expires_value(at).unwrap();
            let r = ExpiryReport::from_headers([("Expires", v.as_str())], now);
            prop_assert_eq!(r.is_expired(), is_expired(at, now));
        }
    }
}
