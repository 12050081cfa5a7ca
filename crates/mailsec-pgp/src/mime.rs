//! A small, byte-exact MIME layer: header blocks, Content-Type parameters and
//! multipart splitting that keep every part's raw bytes untouched (the signed
//! and encrypted payloads must come back byte-identical, which a decoding
//! parser cannot promise).

use std::borrow::Cow;

use crate::error::{Error, Result};

/// Converts bare LF line ends to CRLF (RFC 5322 canonical form). Bare CR is
/// left alone. Borrows when the input is already canonical.
pub(crate) fn to_crlf(raw: &[u8]) -> Cow<'_, [u8]> {
    let bare = |i: usize| i == 0 || raw.get(i - 1) != Some(&b'\r');
    if !memchr::memchr_iter(b'\n', raw).any(bare) {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32 + 2);
    let mut from = 0;
    for i in memchr::memchr_iter(b'\n', raw).filter(|&i| bare(i)) {
        out.extend_from_slice(raw.get(from..i).unwrap_or_default());
        out.extend_from_slice(b"\r\n");
        from = i + 1;
    }
    out.extend_from_slice(raw.get(from..).unwrap_or_default());
    Cow::Owned(out)
}

/// One header field, with its raw bytes (name, colon, value, folds and the
/// final CRLF when there is one).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header<'a> {
    pub(crate) name: &'a str,
    pub(crate) raw: &'a [u8],
}

impl Header<'_> {
    /// The unfolded value, leading and trailing white space removed.
    pub(crate) fn value(&self) -> String {
        let colon = self.raw.iter().position(|&b| b == b':').unwrap_or(0);
        let v = self.raw.get(colon + 1..).unwrap_or_default();
        let mut s = String::with_capacity(v.len());
        for chunk in String::from_utf8_lossy(v).split("\r\n") {
            s.push_str(chunk.trim_end_matches('\n'));
        }
        s.trim().to_owned()
    }

    /// Whether the name is `name`, ignoring case.
    pub(crate) fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// Whether this is a Content-* header (describes the body, moves with it).
    pub(crate) fn is_content(&self) -> bool {
        self.name.len() > 8
            && self
                .name
                .get(..8)
                .is_some_and(|p| p.eq_ignore_ascii_case("content-"))
    }
}

/// A MIME entity (a whole message or one body part), borrowed from raw bytes.
#[derive(Debug, Clone)]
pub(crate) struct Entity<'a> {
    pub(crate) headers: Vec<Header<'a>>,
    /// The bytes after the blank line that ends the header block.
    pub(crate) body: &'a [u8],
}

impl<'a> Entity<'a> {
    /// Splits `raw` into header fields and body. Never fails: a line that is
    /// not a header field ends the header block (lenient, like most readers).
    pub(crate) fn parse(raw: &'a [u8]) -> Entity<'a> {
        let mut headers: Vec<Header<'a>> = Vec::new();
        let mut pos = 0usize;
        let mut start: Option<(usize, usize)> = None; // (start, name_end)
        let flush = |headers: &mut Vec<Header<'a>>, s: Option<(usize, usize)>, end: usize| {
            if let Some((st, ne)) = s
                && let (Some(name), Some(bytes)) = (raw.get(st..ne), raw.get(st..end))
                && let Ok(name) = std::str::from_utf8(name)
            {
                headers.push(Header {
                    name: name.trim_end(),
                    raw: bytes,
                });
            }
        };
        loop {
            let rest = raw.get(pos..).unwrap_or_default();
            if rest.is_empty() {
                flush(&mut headers, start, pos);
                return Entity {
                    headers,
                    body: rest,
                };
            }
            let line_len = rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or(rest.len(), |i| i + 1);
            let line = rest.get(..line_len).unwrap_or_default();
            if line == b"\r\n" || line == b"\n" {
                flush(&mut headers, start, pos);
                return Entity {
                    headers,
                    body: raw.get(pos + line_len..).unwrap_or_default(),
                };
            }
            if matches!(line.first(), Some(b' ' | b'\t')) && start.is_some() {
                pos += line_len;
                continue;
            }
            let name_end = line.iter().position(|&b| b == b':');
            let is_field = name_end.is_some_and(|n| {
                n > 0
                    && line
                        .get(..n)
                        .is_some_and(|nm| nm.iter().all(|&b| b > 32 && b < 127 || b == b' '))
            });
            flush(&mut headers, start, pos);
            match (is_field, name_end) {
                (true, Some(n)) => {
                    start = Some((pos, pos + n));
                    pos += line_len;
                }
                _ => {
                    // Not a header line: the body starts here (no blank line).
                    return Entity {
                        headers,
                        body: rest,
                    };
                }
            }
        }
    }

    /// The first header with this name.
    pub(crate) fn header(&self, name: &str) -> Option<&Header<'a>> {
        self.headers.iter().find(|h| h.is(name))
    }

    /// The first value of a header, unfolded.
    pub(crate) fn value(&self, name: &str) -> Option<String> {
        self.header(name).map(Header::value)
    }

    /// The parsed Content-Type (RFC 2045 default `text/plain` when absent).
    pub(crate) fn content_type(&self) -> ContentType {
        match self.value("Content-Type") {
            Some(v) => ContentType::parse(&v),
            None => ContentType {
                mime: "text/plain".into(),
                params: vec![("charset".into(), "us-ascii".into())],
            },
        }
    }
}

/// A parsed Content-Type value: lower-cased `type/subtype` and parameters
/// (names lower-cased, values unquoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContentType {
    pub(crate) mime: String,
    pub(crate) params: Vec<(String, String)>,
}

impl ContentType {
    pub(crate) fn parse(value: &str) -> ContentType {
        let value = strip_comments(value);
        let mut it = split_params(&value).into_iter();
        let mime = it
            .next()
            .map(|s| s.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let mut params = Vec::new();
        for p in it {
            if let Some((k, v)) = p.split_once('=') {
                params.push((k.trim().to_ascii_lowercase(), unquote(v.trim())));
            }
        }
        ContentType { mime, params }
    }

    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn is(&self, mime: &str) -> bool {
        self.mime == mime
    }
}

fn strip_comments(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
    for c in v.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn split_params(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut escaped) = (false, false);
    for c in v.chars() {
        if escaped {
            escaped = false;
            cur.push(c);
            continue;
        }
        match c {
            '\\' if quoted => {
                escaped = true;
                cur.push(c);
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ';' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn unquote(v: &str) -> String {
    match v.strip_prefix('"') {
        Some(inner) => {
            let inner = inner.strip_suffix('"').unwrap_or(inner);
            let mut out = String::with_capacity(inner.len());
            let mut escaped = false;
            for c in inner.chars() {
                if escaped || c != '\\' {
                    out.push(c);
                    escaped = false;
                } else {
                    escaped = true;
                }
            }
            out
        }
        None => v.to_owned(),
    }
}

/// Splits a multipart body into its parts' raw bytes (RFC 2046 §5.1.1): each
/// part runs from after its delimiter line to just before the CRLF that
/// precedes the next delimiter. The preamble and epilogue are dropped.
pub(crate) fn split_multipart<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<&'a [u8]>> {
    if boundary.is_empty() || boundary.len() > 200 {
        return Err(Error::Malformed("bad multipart boundary"));
    }
    let dash: Vec<u8> = [b"--".as_slice(), boundary.as_bytes()].concat();
    let finder = memchr::memmem::Finder::new(&dash);
    let mut parts = Vec::new();
    let mut current: Option<usize> = None; // start of the current part
    for pos in finder.find_iter(body) {
        // A delimiter starts a line.
        if pos != 0 && body.get(pos - 1) != Some(&b'\n') {
            continue;
        }
        let after = body.get(pos + dash.len()..).unwrap_or_default();
        let line_len = memchr::memchr(b'\n', after).map_or(after.len(), |i| i + 1);
        let line = after.get(..line_len).unwrap_or_default();
        let (closing, tail) = match line.strip_prefix(b"--") {
            Some(t) => (true, t),
            None => (false, line),
        };
        if !tail.iter().all(|b| b" \t\r\n".contains(b)) {
            continue;
        }
        if let Some(st) = current.take() {
            // The CRLF before the delimiter belongs to the delimiter.
            let mut end = pos;
            if end >= st + 2 && body.get(end - 2..end) == Some(b"\r\n") {
                end -= 2;
            } else if end > st && body.get(end - 1) == Some(&b'\n') {
                end -= 1;
            }
            parts.push(body.get(st..end.max(st)).unwrap_or_default());
        }
        if closing {
            return Ok(parts);
        }
        current = Some(pos + dash.len() + line_len);
    }
    // No closing delimiter: take what there is (lenient).
    if let Some(st) = current {
        parts.push(body.get(st..).unwrap_or_default());
    }
    if parts.is_empty() {
        return Err(Error::Malformed("multipart body without parts"));
    }
    Ok(parts)
}

/// A fresh random boundary that does not occur in `content`.
pub(crate) fn boundary(content: &[u8]) -> Result<String> {
    loop {
        let mut buf = [0u8; 18];
        sequoia_openpgp::crypto::random(&mut buf)?;
        let mut b = String::from("=-mailsec-");
        for x in buf {
            b.push(char::from(
                b"0123456789abcdefghijklmnopqrstuv"[usize::from(x & 31)],
            ));
        }
        if !contains(content, b.as_bytes()) {
            return Ok(b);
        }
    }
}

pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && memchr::memmem::find(hay, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_headers_and_body() {
        let raw = b"From: a@b\r\nSubject: hi\r\n there\r\n\r\nbody\r\n";
        let e = Entity::parse(raw);
        assert_eq!(e.headers.len(), 2);
        assert_eq!(e.value("subject").unwrap(), "hi there");
        assert_eq!(e.body, b"body\r\n");
        assert_eq!(e.headers[1].raw, b"Subject: hi\r\n there\r\n");
    }

    #[test]
    fn content_type_params() {
        let ct = ContentType::parse(
            "multipart/signed; micalg=pgp-sha256; protocol=\"application/pgp-signature\"; boundary=\"a;b\" (c)",
        );
        assert!(ct.is("multipart/signed"));
        assert_eq!(ct.param("boundary"), Some("a;b"));
        assert_eq!(ct.param("protocol"), Some("application/pgp-signature"));
    }

    #[test]
    fn splits_exactly() {
        let body = b"pre\r\n--b\r\nA: 1\r\n\r\nx\r\n\r\n--b\r\n\r\ny\r\n--b--\r\nepi";
        let parts = split_multipart(body, "b").unwrap();
        assert_eq!(parts, vec![&b"A: 1\r\n\r\nx\r\n"[..], &b"\r\ny"[..]]);
    }

    #[test]
    fn crlf() {
        assert_eq!(&*to_crlf(b"a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n");
    }
}
