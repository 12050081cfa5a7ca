//! Line-ending canonicalisation shared by the tools built on the facade.

use std::borrow::Cow;

/// Turns every bare LF into CRLF (RFC 5322 canonical form); an existing
/// CRLF stays as it is, and so does a bare CR. Borrows when `raw` is
/// already canonical.
///
/// ```
/// assert_eq!(&*mailsec::to_crlf(b"a\nb\r\nc"), b"a\r\nb\r\nc");
/// assert!(matches!(mailsec::to_crlf(b"a\r\n"), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn to_crlf(raw: &[u8]) -> Cow<'_, [u8]> {
    let bare = |i: usize| i == 0 || raw.get(i - 1) != Some(&b'\r');
    let Some(first) = raw
        .iter()
        .enumerate()
        .position(|(i, &b)| b == b'\n' && bare(i))
    else {
        return Cow::Borrowed(raw);
    };
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32 + 2);
    out.extend_from_slice(raw.get(..first).unwrap_or_default());
    let mut prev = out.last().copied().unwrap_or(0);
    for &b in raw.get(first..).unwrap_or_default() {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cases() {
        assert_eq!(&*to_crlf(b""), b"");
        assert_eq!(&*to_crlf(b"\n"), b"\r\n");
        assert_eq!(&*to_crlf(b"\r"), b"\r");
        assert_eq!(&*to_crlf(b"a\r\n\nb\n"), b"a\r\n\r\nb\r\n");
        assert_eq!(&*to_crlf(b"\r\r\n\n"), b"\r\r\n\r\n");
    }

    proptest! {
        #[test]
        fn canonical_and_idempotent(raw in prop::collection::vec(
            prop::sample::select(vec![b'a', b'\r', b'\n']), 0..64)) {
            let once = to_crlf(&raw).into_owned();
            // Every LF is preceded by CR; removing the inserted CRs gives the input back.
            for (i, &b) in once.iter().enumerate() {
                if b == b'\n' {
                    prop_assert!(i > 0 && once[i - 1] == b'\r');
                }
            }
            prop_assert!(matches!(to_crlf(&once), Cow::Borrowed(_)));
            let lf_count = raw.iter().filter(|&&b| b == b'\n').count();
            prop_assert_eq!(once.iter().filter(|&&b| b == b'\n').count(), lf_count);
            prop_assert_eq!(once.len() - raw.len(),
                once.iter().filter(|&&b| b == b'\r').count() - raw.iter().filter(|&&b| b == b'\r').count());
        }
    }
}
