//! Header fields of a raw message, and their canonicalization (RFC 6376
//! section 3.4.1 and 3.4.2).

use super::Canonicalization;

/// One header field as it appears in the message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field<'a> {
    /// The field name, without trailing white space.
    pub(crate) name: &'a [u8],
    /// The whole field: name, colon, value, folding and the final line end.
    pub(crate) raw: &'a [u8],
    /// What follows the colon, up to (not including) the final line end.
    pub(crate) value: &'a [u8],
}

/// Splits a message into its header block (including the empty line that
/// ends it) and its body. A message without an empty line is all header.
pub fn split_message(message: &[u8]) -> (&[u8], &[u8]) {
    let mut pos = 0;
    while pos < message.len() {
        let rest = message.get(pos..).unwrap_or_default();
        if rest.starts_with(b"\r\n") {
            return message.split_at(pos + 2);
        }
        if rest.starts_with(b"\n") {
            return message.split_at(pos + 1);
        }
        match rest.iter().position(|&c| c == b'\n') {
            Some(nl) => pos += nl + 1,
            None => break,
        }
    }
    (message, &[])
}

/// The header fields of a header block, in order. Lines that are neither a
/// field nor a continuation are skipped.
pub(crate) fn fields<'a>(headers: &'a [u8]) -> Vec<Field<'a>> {
    let mut out: Vec<Field<'a>> = Vec::with_capacity(32);
    let mut pos = 0;
    let mut current: Option<(usize, usize)> = None; // (start, colon)
    let close = |out: &mut Vec<Field<'a>>, start: usize, colon: usize, end: usize| {
        let raw = headers.get(start..end).unwrap_or_default();
        let name = trim_end_wsp(headers.get(start..colon).unwrap_or_default());
        let mut value_end = end;
        if headers.get(..value_end).is_some_and(|h| h.ends_with(b"\n")) {
            value_end -= 1;
            if headers.get(..value_end).is_some_and(|h| h.ends_with(b"\r")) {
                value_end -= 1;
            }
        }
        let value = headers.get(colon + 1..value_end).unwrap_or_default();
        if !name.is_empty() {
            out.push(Field { name, raw, value });
        }
    };
    while pos < headers.len() {
        let rest = headers.get(pos..).unwrap_or_default();
        let line_len = rest
            .iter()
            .position(|&c| c == b'\n')
            .map_or(rest.len(), |n| n + 1);
        let line = rest.get(..line_len).unwrap_or_default();
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        let continuation = matches!(line.first(), Some(b' ' | b'\t'));
        if !continuation {
            if let Some((start, colon)) = current.take() {
                close(&mut out, start, colon, pos);
            }
            if let Some(colon) = line.iter().position(|&c| c == b':') {
                current = Some((pos, pos + colon));
            }
        }
        pos += line_len;
    }
    if let Some((start, colon)) = current {
        close(&mut out, start, colon, pos);
    }
    out
}

fn trim_end_wsp(mut s: &[u8]) -> &[u8] {
    while let Some((&c, rest)) = s.split_last() {
        if c != b' ' && c != b'\t' {
            break;
        }
        s = rest;
    }
    s
}

/// Appends the relaxed form of a header value: unfolded, white space runs
/// reduced to one space, no white space at either end.
pub(crate) fn relaxed_value(value: &[u8], out: &mut Vec<u8>) {
    let mut pending_space = false;
    let mut started = false;
    for &c in value {
        match c {
            b'\r' | b'\n' => {}
            b' ' | b'\t' => pending_space = started,
            _ => {
                if pending_space {
                    out.push(b' ');
                    pending_space = false;
                }
                out.push(c);
                started = true;
            }
        }
    }
}

/// Appends one canonicalized header field, ending with CRLF.
pub(crate) fn canonicalize(canon: Canonicalization, field: &Field<'_>, out: &mut Vec<u8>) {
    match canon {
        Canonicalization::Simple => {
            out.extend_from_slice(field.raw);
            if !field.raw.ends_with(b"\n") {
                out.extend_from_slice(b"\r\n");
            }
        }
        Canonicalization::Relaxed => {
            out.extend(field.name.iter().map(u8::to_ascii_lowercase));
            out.push(b':');
            relaxed_value(field.value, out);
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// Appends a signature header field (DKIM-Signature, ARC-Message-Signature,
/// ARC-Seal) canonicalized with its `b=` value emptied and without the final
/// CRLF, as it enters its own signature (RFC 6376 section 3.7).
pub(crate) fn canonicalize_signature_field(
    canon: Canonicalization,
    field: &Field<'_>,
    out: &mut Vec<u8>,
) {
    let emptied = empty_b_tag(field.raw);
    let stripped = Field {
        name: field.name,
        raw: &emptied,
        value: value_of(&emptied),
    };
    let start = out.len();
    canonicalize(canon, &stripped, out);
    // Drop the final line end.
    if out.ends_with(b"\r\n") && out.len() >= start + 2 {
        out.truncate(out.len() - 2);
    } else if out.ends_with(b"\n") && out.len() > start {
        out.truncate(out.len() - 1);
    }
}

/// What follows the first colon of a raw field, without the final line end.
fn value_of(raw: &[u8]) -> &[u8] {
    let colon = raw.iter().position(|&c| c == b':').map_or(0, |p| p + 1);
    let v = raw.get(colon..).unwrap_or_default();
    let v = v.strip_suffix(b"\n").unwrap_or(v);
    v.strip_suffix(b"\r").unwrap_or(v)
}

/// The raw field with the value of its `b=` tag removed (everything between
/// `b=` and the next `;` or the end of the field's value).
fn empty_b_tag(raw: &[u8]) -> Vec<u8> {
    let colon = raw.iter().position(|&c| c == b':').map_or(0, |p| p + 1);
    let value_end = {
        let mut end = raw.len();
        if raw.ends_with(b"\n") {
            end -= 1;
            if raw.get(..end).is_some_and(|r| r.ends_with(b"\r")) {
                end -= 1;
            }
        }
        end.max(colon)
    };
    let mut pos = colon;
    while pos < value_end {
        let spec_end = raw
            .get(pos..value_end)
            .and_then(|r| r.iter().position(|&c| c == b';'))
            .map_or(value_end, |p| pos + p);
        let spec = raw.get(pos..spec_end).unwrap_or_default();
        if let Some(eq) = spec.iter().position(|&c| c == b'=') {
            let name = super::tags::trim_fws(spec.get(..eq).unwrap_or_default());
            if name == b"b" {
                let mut out = Vec::with_capacity(raw.len());
                out.extend_from_slice(raw.get(..pos + eq + 1).unwrap_or_default());
                out.extend_from_slice(raw.get(spec_end..).unwrap_or_default());
                return out;
            }
        }
        pos = spec_end + 1;
    }
    raw.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_finds_fields() {
        let msg = b"A: 1\r\nB : two\r\n  folded\r\nbad line\r\nC:\r\n\r\nbody\r\n";
        let (h, b) = split_message(msg);
        assert_eq!(b, b"body\r\n");
        let f = fields(h);
        assert_eq!(f.len(), 3);
        assert_eq!(f[1].name, b"B");
        assert_eq!(f[1].raw, b"B : two\r\n  folded\r\n");
        assert_eq!(f[1].value, b" two\r\n  folded");
        assert_eq!(f[2].value, b"");
        let (h, b) = split_message(b"A: 1\r\n");
        assert_eq!((h.len(), b.len()), (6, 0));
    }

    #[test]
    fn relaxed_header() {
        let f = fields(b"SubJect \t:  Is  dinner\r\n\t ready?  \r\n");
        let mut out = Vec::new();
        canonicalize(Canonicalization::Relaxed, &f[0], &mut out);
        assert_eq!(out, b"subject:Is dinner ready?\r\n");
    }

    #[test]
    fn empties_b() {
        assert_eq!(
            empty_b_tag(b"DKIM-Signature: a=x; b=abc\r\n def; bh=zz\r\n"),
            b"DKIM-Signature: a=x; b=; bh=zz\r\n"
        );
        assert_eq!(
            empty_b_tag(b"DKIM-Signature: bh=1; b=abc\r\n"),
            b"DKIM-Signature: bh=1; b=\r\n"
        );
        let f = fields(b"DKIM-Signature: v=1; b=abc\r\n def;\r\n");
        let mut out = Vec::new();
        canonicalize_signature_field(Canonicalization::Simple, &f[0], &mut out);
        assert_eq!(out, b"DKIM-Signature: v=1; b=;");
        out.clear();
        canonicalize_signature_field(Canonicalization::Relaxed, &f[0], &mut out);
        assert_eq!(out, b"dkim-signature:v=1; b=;");
    }
}
