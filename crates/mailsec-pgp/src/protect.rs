//! Header protection (RFC 9788, and the older `protected-headers="v1"`
//! draft form) and zero-access protection of received mail for storage.

use crate::mime::{Entity, Header};

/// Which header protection form to write.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderProtection {
    /// RFC 9788: `hp="cipher"` (encrypted) or `hp="clear"` (signed only) on
    /// the cryptographic payload, `HP-Outer` headers recording the outer
    /// values, outer Subject `[...]`.
    #[default]
    Rfc9788,
    /// The earlier draft (draft-autocrypt-lamps-protected-headers):
    /// `protected-headers="v1"` on the payload, outer Subject `...`.
    LegacyV1,
}

/// The form of header protection a payload carried.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtectionForm {
    /// RFC 9788 `hp="cipher"`.
    Cipher,
    /// RFC 9788 `hp="clear"` (signed only).
    Clear,
    /// Draft `protected-headers="v1"`.
    LegacyV1,
}

/// Header names whose values this crate treats as protected: they are
/// compared with the outer message, and Subject is obscured outside.
/// `Expires` and `Expiry-Date` carry `mailsec-expiry` metadata.
pub const PROTECTED_HEADERS: &[&str] = &[
    "Subject",
    "From",
    "To",
    "Cc",
    "Date",
    "Message-ID",
    "Reply-To",
    "In-Reply-To",
    "References",
    "Expires",
    "Expiry-Date",
];

/// Outer headers that zero-access protection leaves readable by default:
/// routing and authentication results the server needs, Date and
/// Message-ID for indexing, and the expiry metadata for the sweeper.
pub const STORAGE_CLEAR_HEADERS: &[&str] = &[
    "Received",
    "Return-Path",
    "Delivered-To",
    "X-Original-To",
    "Authentication-Results",
    "ARC-Seal",
    "ARC-Message-Signature",
    "ARC-Authentication-Results",
    "Received-SPF",
    "DKIM-Signature",
    "Date",
    "Message-ID",
    "Expires",
    "Expiry-Date",
];

pub(crate) fn is_protected_name(name: &str) -> bool {
    PROTECTED_HEADERS
        .iter()
        .any(|p| p.eq_ignore_ascii_case(name))
}

/// An outer header that differs from its protected (inner) value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMismatch {
    /// The header name, as the inner part spells it.
    pub name: String,
    /// The protected value (`None`: absent inside).
    pub inner: Option<String>,
    /// The outer value (`None`: absent outside).
    pub outer: Option<String>,
    /// Whether the sender announced this difference (an `HP-Outer` header
    /// with exactly this outer value, or the draft's obscured Subject).
    /// Unexpected differences suggest the outer headers were altered.
    pub expected: bool,
}

/// The protected headers found inside a decrypted or verified payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectedHeaders {
    form: ProtectionForm,
    headers: Vec<(String, String)>,
    mismatches: Vec<HeaderMismatch>,
}

impl ProtectedHeaders {
    /// The form the sender used.
    pub fn form(&self) -> ProtectionForm {
        self.form
    }
    /// Every protected header (name, unfolded value), in order.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }
    /// The first protected value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// Outer headers that differ from the protected values.
    pub fn mismatches(&self) -> &[HeaderMismatch] {
        &self.mismatches
    }
    /// Differences the sender did not announce (possible tampering).
    pub fn unexpected_mismatches(&self) -> impl Iterator<Item = &HeaderMismatch> {
        self.mismatches.iter().filter(|m| !m.expected)
    }
}

/// How the payload and outer headers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Only the Content-* headers go inside.
    None,
    /// Header protection for an encrypted message.
    Cipher(HeaderProtection),
    /// Header protection for a signed-only message.
    Clear(HeaderProtection),
    /// Zero-access storage: everything but the clear list hidden outside.
    Storage,
}

const OBSCURED_SUBJECT: &str = "[...]";
const LEGACY_SUBJECT: &str = "...";

/// The split of a plaintext message into the cryptographic payload (the
/// inner MIME part) and the outer header lines (without the wrapper's
/// MIME-Version/Content-Type, which the caller adds).
pub(crate) struct Split {
    pub(crate) payload: Vec<u8>,
    pub(crate) outer: Vec<u8>,
    pub(crate) has_mime_version: bool,
}

fn param_for(mode: Mode) -> Option<&'static [u8]> {
    match mode {
        Mode::None => None,
        Mode::Cipher(HeaderProtection::Rfc9788) | Mode::Storage => Some(b";\r\n hp=\"cipher\""),
        Mode::Clear(HeaderProtection::Rfc9788) => Some(b";\r\n hp=\"clear\""),
        Mode::Cipher(HeaderProtection::LegacyV1) | Mode::Clear(HeaderProtection::LegacyV1) => {
            Some(b";\r\n protected-headers=\"v1\"")
        }
    }
}

/// Appends `param` to a raw Content-Type header (before its final CRLF).
fn with_param(raw: &[u8], param: &[u8]) -> Vec<u8> {
    let body = raw.strip_suffix(b"\r\n").unwrap_or(raw);
    [body, param, b"\r\n"].concat()
}

pub(crate) fn split(message: &[u8], mode: Mode, keep_clear: &[String]) -> Split {
    let entity = Entity::parse(message);
    let mut payload = Vec::with_capacity(message.len() + 512);
    let mut outer = Vec::with_capacity(1024);
    let mut has_mime_version = false;
    let mut outer_record: Vec<(String, String)> = Vec::new();
    let param = param_for(mode);
    let protecting = param.is_some();

    for h in &entity.headers {
        if h.is("MIME-Version") {
            has_mime_version = true;
            outer.extend_from_slice(h.raw);
            continue;
        }
        if h.is_content() {
            continue;
        }
        if protecting {
            payload.extend_from_slice(h.raw);
        }
        // The outer copy.
        let outer_line: Option<Vec<u8>> = match mode {
            Mode::None => Some(h.raw.to_vec()),
            Mode::Clear(_) => Some(h.raw.to_vec()),
            Mode::Cipher(form) => {
                if h.is("Subject") {
                    let s = match form {
                        HeaderProtection::Rfc9788 => OBSCURED_SUBJECT,
                        HeaderProtection::LegacyV1 => LEGACY_SUBJECT,
                    };
                    Some(format!("Subject: {s}\r\n").into_bytes())
                } else if h.is("Keywords") || h.is("Comments") {
                    None
                } else {
                    Some(h.raw.to_vec())
                }
            }
            Mode::Storage => {
                if h.is("Subject") {
                    Some(format!("Subject: {OBSCURED_SUBJECT}\r\n").into_bytes())
                } else if keep_clear.iter().any(|k| h.is(k)) {
                    Some(h.raw.to_vec())
                } else {
                    None
                }
            }
        };
        if let Some(line) = outer_line {
            if matches!(
                mode,
                Mode::Cipher(HeaderProtection::Rfc9788) | Mode::Storage
            ) && is_protected_name(h.name)
            {
                let v = Header {
                    name: h.name,
                    raw: &line,
                }
                .value();
                outer_record.push((h.name.to_owned(), v));
            }
            outer.extend_from_slice(&line);
        }
    }
    if matches!(
        mode,
        Mode::Cipher(HeaderProtection::Rfc9788) | Mode::Storage
    ) {
        for (n, v) in &outer_record {
            payload.extend_from_slice(format!("HP-Outer: {n}: {v}\r\n").as_bytes());
        }
    }
    let mut saw_ct = false;
    for h in entity.headers.iter().filter(|h| h.is_content()) {
        match (param, h.is("Content-Type")) {
            (Some(p), true) if !saw_ct => {
                saw_ct = true;
                payload.extend_from_slice(&with_param(h.raw, p));
            }
            _ => payload.extend_from_slice(h.raw),
        }
    }
    if let (Some(p), false) = (param, saw_ct) {
        payload.extend_from_slice(&with_param(
            b"Content-Type: text/plain; charset=us-ascii\r\n",
            p,
        ));
    }
    payload.extend_from_slice(b"\r\n");
    payload.extend_from_slice(entity.body);
    Split {
        payload,
        outer,
        has_mime_version,
    }
}

/// Reads the protected headers of a payload, compared with the outer entity.
pub(crate) fn read(payload: &Entity<'_>, outer: &Entity<'_>) -> Option<ProtectedHeaders> {
    let ct = payload.content_type();
    let form = match (ct.param("hp"), ct.param("protected-headers")) {
        (Some(hp), _) if hp.eq_ignore_ascii_case("cipher") => ProtectionForm::Cipher,
        (Some(hp), _) if hp.eq_ignore_ascii_case("clear") => ProtectionForm::Clear,
        (_, Some(v)) if v.eq_ignore_ascii_case("v1") => ProtectionForm::LegacyV1,
        _ => return None,
    };
    let headers: Vec<(String, String)> = payload
        .headers
        .iter()
        .filter(|h| !h.is_content() && !h.is("HP-Outer") && !h.is("MIME-Version"))
        .map(|h| (h.name.to_owned(), h.value()))
        .collect();
    let hp_outer: Vec<(String, String)> = payload
        .headers
        .iter()
        .filter(|h| h.is("HP-Outer"))
        .filter_map(|h| {
            let v = h.value();
            v.split_once(':')
                .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        })
        .collect();
    let mut mismatches = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for (n, _) in &headers {
        if is_protected_name(n) && !names.iter().any(|x| x.eq_ignore_ascii_case(n)) {
            names.push(n);
        }
    }
    for h in &outer.headers {
        if is_protected_name(h.name) && !names.iter().any(|x| x.eq_ignore_ascii_case(h.name)) {
            names.push(h.name);
        }
    }
    for name in names {
        let inner = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone());
        let outer_v = outer.value(name);
        if inner == outer_v {
            continue;
        }
        let expected = match form {
            ProtectionForm::Cipher => {
                let announced = hp_outer
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone());
                announced == outer_v
            }
            ProtectionForm::Clear => false,
            ProtectionForm::LegacyV1 => {
                name.eq_ignore_ascii_case("Subject")
                    && outer_v.as_deref().is_some_and(|s| {
                        matches!(
                            s,
                            "..." | "[...]" | "Encrypted Message" | "Encrypted Subject"
                        )
                    })
            }
        };
        mismatches.push(HeaderMismatch {
            name: name.to_owned(),
            inner,
            outer: outer_v,
            expected,
        });
    }
    Some(ProtectedHeaders {
        form,
        headers,
        mismatches,
    })
}

/// Rebuilds the full message from the outer entity and the payload.
pub(crate) fn restore(outer: &Entity<'_>, payload_raw: &[u8], protected: bool) -> Vec<u8> {
    let payload = Entity::parse(payload_raw);
    let mut out = Vec::with_capacity(payload_raw.len() + 2048);
    let mime_version = outer.header("MIME-Version").map(|h| h.raw);
    if !protected {
        for h in &outer.headers {
            if !h.is_content() {
                out.extend_from_slice(h.raw);
            }
        }
        out.extend_from_slice(payload_raw);
        return out;
    }
    // Outer-only headers (added in transit) first.
    for h in &outer.headers {
        if h.is_content() || h.is("MIME-Version") {
            continue;
        }
        if !payload.headers.iter().any(|p| p.is(h.name)) && !is_protected_name(h.name) {
            out.extend_from_slice(h.raw);
        }
    }
    let mut mv_done = false;
    let mut ct_done = false;
    for h in &payload.headers {
        if h.is("HP-Outer") {
            continue;
        }
        if h.is_content() && !mv_done {
            if let Some(mv) = mime_version {
                out.extend_from_slice(mv);
            }
            mv_done = true;
        }
        if h.is("Content-Type") && !ct_done {
            ct_done = true;
            out.extend_from_slice(&strip_hp_param(h.raw));
        } else {
            out.extend_from_slice(h.raw);
        }
    }
    if !mv_done && let Some(mv) = mime_version {
        out.extend_from_slice(mv);
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(payload.body);
    out
}

fn strip_hp_param(raw: &[u8]) -> Vec<u8> {
    for p in [
        b";\r\n hp=\"cipher\"".as_slice(),
        b";\r\n hp=\"clear\"",
        b";\r\n protected-headers=\"v1\"",
    ] {
        if let Some(body) = raw.strip_suffix(b"\r\n")
            && let Some(rest) = body.strip_suffix(p)
        {
            return [rest, b"\r\n"].concat();
        }
    }
    raw.to_vec()
}
