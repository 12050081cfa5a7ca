//! The tag=value list of RFC 6376 section 3.2, shared by DKIM-Signature, DKIM
//! key records and the ARC header fields.

/// One `tag=value` pair; the value has its surrounding folding white space
/// removed (inner white space is kept; callers that need it removed do so).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tag<'a> {
    pub(crate) name: &'a str,
    pub(crate) value: &'a [u8],
}

/// Why a tag list did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TagError {
    /// A tag-spec had no `=`.
    MissingEquals,
    /// A tag name was empty or not `ALPHA *(ALPHA / DIGIT / "_")`.
    BadName,
    /// An empty tag-spec (`;;`).
    EmptySpec,
    /// The same tag appeared twice.
    Duplicate(String),
}

impl std::fmt::Display for TagError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TagError::MissingEquals => f.write_str("tag without '='"),
            TagError::BadName => f.write_str("malformed tag name"),
            TagError::EmptySpec => f.write_str("empty tag (\";;\")"),
            TagError::Duplicate(name) => write!(f, "duplicate tag {name}="),
        }
    }
}

pub(crate) fn is_fws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Trims folding white space at both ends.
pub(crate) fn trim_fws(mut s: &[u8]) -> &[u8] {
    while let Some((&c, rest)) = s.split_first() {
        if !is_fws(c) {
            break;
        }
        s = rest;
    }
    while let Some((&c, rest)) = s.split_last() {
        if !is_fws(c) {
            break;
        }
        s = rest;
    }
    s
}

/// Parses a tag list. Empty tag-specs (`;;`, a trailing `;`) are allowed;
/// duplicate tag names are an error (RFC 6376 section 3.2).
pub(crate) fn parse(list: &[u8]) -> Result<Vec<Tag<'_>>, TagError> {
    let mut tags: Vec<Tag<'_>> = Vec::with_capacity(16);
    let specs: Vec<&[u8]> = list.split(|&c| c == b';').collect();
    let last = specs.len().saturating_sub(1);
    for (n, spec) in specs.into_iter().enumerate() {
        let spec = trim_fws(spec);
        if spec.is_empty() {
            // Only a trailing ";" (or an empty list) is allowed.
            if n == last {
                continue;
            }
            return Err(TagError::EmptySpec);
        }
        let eq = spec
            .iter()
            .position(|&c| c == b'=')
            .ok_or(TagError::MissingEquals)?;
        let (name, value) = spec.split_at(eq);
        let name = trim_fws(name);
        let value = trim_fws(value.get(1..).unwrap_or_default());
        let valid = match name.split_first() {
            Some((first, rest)) => {
                first.is_ascii_alphabetic()
                    && rest.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
            }
            None => false,
        };
        if !valid {
            return Err(TagError::BadName);
        }
        let name = std::str::from_utf8(name).map_err(|_| TagError::BadName)?;
        if tags.iter().any(|t| t.name == name) {
            return Err(TagError::Duplicate(name.to_owned()));
        }
        tags.push(Tag { name, value });
    }
    Ok(tags)
}

/// Removes all folding white space from a value (for base64 and lists).
pub(crate) fn strip_fws(value: &[u8]) -> Vec<u8> {
    value.iter().copied().filter(|&c| !is_fws(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_folded_lists() {
        let tags = parse(b" v=1; a = rsa-sha256;\r\n\tb=ab\r\n cd ;").unwrap();
        assert_eq!(tags.len(), 3);
        assert_eq!(tags[1].name, "a");
        assert_eq!(tags[1].value, b"rsa-sha256");
        assert_eq!(tags[2].value, b"ab\r\n cd");
        assert_eq!(parse(b"a=1; a=2"), Err(TagError::Duplicate("a".into())));
        assert_eq!(parse(b"a"), Err(TagError::MissingEquals));
        assert_eq!(parse(b"1a=x"), Err(TagError::BadName));
        assert!(parse(b"").unwrap().is_empty());
        assert_eq!(parse(b"a=1;; b=2"), Err(TagError::EmptySpec));
        assert_eq!(parse(b"a=1; b=2; ").unwrap().len(), 2);
    }
}
