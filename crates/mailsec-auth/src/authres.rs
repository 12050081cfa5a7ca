//! `Authentication-Results` (RFC 8601): a generic model, a writer that
//! cannot be made to inject header lines, and a tolerant parser.
//!
//! Every check of this crate (SPF, DKIM, DMARC, ARC, iprev) turns its verdict
//! into a [`MethodResult`]; an [`AuthenticationResults`] gathers them under the
//! `authserv-id` of this server and writes the header value.
//!
//! ```
//! use mailsec_auth::authres::{AuthenticationResults, MethodResult};
//!
//! let ar = AuthenticationResults::new("mx.example.org")
//!     .with_result(MethodResult::new("spf", "pass").with_property("smtp", "mailfrom", "alice@example.com"))
//!     .with_result(
//!         MethodResult::new("dkim", "fail")
//!             .with_reason("signature did not verify")
//!             .with_property("header", "d", "example.com")
//!             .with_property("header", "s", "sel1"),
//!     );
//! assert_eq!(
//!     ar.to_header_value(),
//!     "mx.example.org; spf=pass smtp.mailfrom=alice@example.com; \
//!      dkim=fail reason=\"signature did not verify\" header.d=example.com header.s=sel1"
//! );
//!
//! // Parsing is tolerant of comments, folding and quoted strings.
//! let parsed = AuthenticationResults::parse(
//!     "mx.example.org (a comment (nested)); spf=pass (sender ok)\r\n\tsmtp.mailfrom=\"alice@example.com\"",
//! )?;
//! assert_eq!(parsed.results()[0].property("smtp", "mailfrom"), Some("alice@example.com"));
//! # Ok::<(), mailsec_auth::authres::AuthResError>(())
//! ```

use std::fmt;

/// Why an `Authentication-Results` value could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthResError {
    /// The value breaks the RFC 8601 grammar at `position` (a byte offset).
    #[error("Authentication-Results syntax error at byte {position}: expected {expected}")]
    Syntax {
        /// Byte offset in the parsed value.
        position: usize,
        /// What the parser expected there.
        expected: &'static str,
    },
    /// A comment or quoted string was not closed.
    #[error("Authentication-Results: unterminated {what} starting at byte {position}")]
    Unterminated {
        /// `"comment"` or `"quoted string"`.
        what: &'static str,
        /// Byte offset where it opened.
        position: usize,
    },
    /// An ARC-Authentication-Results value did not start with `i=N;`.
    #[error("ARC-Authentication-Results: missing or invalid instance tag i=")]
    ArcInstance,
}

/// One property of a result: `ptype.name=value`, e.g. `smtp.mailfrom=a@b.example`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Property {
    ptype: String,
    name: String,
    value: String,
}

impl Property {
    /// A property; `ptype` is `smtp`, `header`, `body` or `policy` (or a
    /// registered extension). Type and name are stored in lower case.
    pub fn new(
        ptype: impl Into<String>,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        Property {
            ptype: ptype.into().to_ascii_lowercase(),
            name: name.into().to_ascii_lowercase(),
            value: value.into(),
        }
    }

    /// The property type (`smtp`, `header`, `body`, `policy`).
    pub fn ptype(&self) -> &str {
        &self.ptype
    }

    /// The property name (`mailfrom`, `d`, `from`, ...).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value, unquoted.
    pub fn value(&self) -> &str {
        &self.value
    }
}

/// The result of one authentication method: `method=result reason="..." props`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MethodResult {
    method: String,
    method_version: Option<u32>,
    result: String,
    reason: Option<String>,
    properties: Vec<Property>,
}

impl MethodResult {
    /// A result for `method` (`spf`, `dkim`, `dmarc`, `arc`, `iprev`, ...) with
    /// the RFC result word (`pass`, `fail`, ...). Both are stored in lower case.
    pub fn new(method: impl Into<String>, result: impl Into<String>) -> Self {
        MethodResult {
            method: method.into().to_ascii_lowercase(),
            method_version: None,
            result: result.into().to_ascii_lowercase(),
            reason: None,
            properties: Vec::new(),
        }
    }

    /// Sets the method version (`dkim/1=pass`).
    #[must_use]
    pub fn with_method_version(mut self, version: u32) -> Self {
        self.method_version = Some(version);
        self
    }

    /// Sets the human-readable reason (`reason="..."`).
    #[must_use]
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Appends a property `ptype.name=value`.
    #[must_use]
    pub fn with_property(
        mut self,
        ptype: impl Into<String>,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.properties.push(Property::new(ptype, name, value));
        self
    }

    /// Appends a property.
    pub fn push_property(&mut self, property: Property) {
        self.properties.push(property);
    }

    /// The method name, lower case.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The method version, when one was given.
    pub fn method_version(&self) -> Option<u32> {
        self.method_version
    }

    /// The result word, lower case.
    pub fn result(&self) -> &str {
        &self.result
    }

    /// The reason, when one was given.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// All properties in order.
    pub fn properties(&self) -> &[Property] {
        &self.properties
    }

    /// The value of the first property `ptype.name` (case-insensitive).
    pub fn property(&self, ptype: &str, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|p| p.ptype.eq_ignore_ascii_case(ptype) && p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value.as_str())
    }
}

/// A whole `Authentication-Results` header value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuthenticationResults {
    authserv_id: String,
    version: Option<u32>,
    results: Vec<MethodResult>,
}

impl AuthenticationResults {
    /// An empty header for this server's `authserv-id` (written as `id; none`
    /// until results are added).
    pub fn new(authserv_id: impl Into<String>) -> Self {
        AuthenticationResults {
            authserv_id: authserv_id.into(),
            version: None,
            results: Vec::new(),
        }
    }

    /// Sets the `authres-version` written after the `authserv-id`.
    #[must_use]
    pub fn with_version(mut self, version: u32) -> Self {
        self.version = Some(version);
        self
    }

    /// Appends a result.
    #[must_use]
    pub fn with_result(mut self, result: MethodResult) -> Self {
        self.results.push(result);
        self
    }

    /// Appends a result.
    pub fn push(&mut self, result: MethodResult) {
        self.results.push(result);
    }

    /// The `authserv-id`.
    pub fn authserv_id(&self) -> &str {
        &self.authserv_id
    }

    /// The version, when one was written.
    pub fn version(&self) -> Option<u32> {
        self.version
    }

    /// The results in order (empty for `none`).
    pub fn results(&self) -> &[MethodResult] {
        &self.results
    }

    /// The results of one method (case-insensitive).
    pub fn results_for<'s>(
        &'s self,
        method: &'s str,
    ) -> impl Iterator<Item = &'s MethodResult> + 's {
        self.results
            .iter()
            .filter(move |r| r.method.eq_ignore_ascii_case(method))
    }

    /// The header value on one line (no CR or LF can appear in it, whatever
    /// the input): `authserv-id; method=result ...; ...`.
    pub fn to_header_value(&self) -> String {
        self.to_string()
    }

    /// The whole header field, folded with CRLF + TAB between results, without
    /// a final CRLF: `Authentication-Results: id;\r\n\tspf=pass ...`.
    pub fn to_header_field(&self) -> String {
        let mut out = String::from("Authentication-Results: ");
        self.write(&mut out, ";\r\n\t");
        out
    }

    fn write(&self, out: &mut String, separator: &str) {
        write_value(out, &self.authserv_id);
        if let Some(v) = self.version {
            out.push(' ');
            out.push_str(&v.to_string());
        }
        if self.results.is_empty() {
            out.push_str(separator);
            out.push_str("none");
            return;
        }
        for r in &self.results {
            out.push_str(separator);
            r.write(out);
        }
    }

    /// Parses a header value (the part after `Authentication-Results:`; a
    /// leading field name is accepted too). Comments (nested), folding and
    /// quoted strings are handled; `id; none` gives no results.
    pub fn parse(value: &str) -> Result<Self, AuthResError> {
        let value = strip_field_name(value, "authentication-results");
        let mut c = Cursor { s: value, pos: 0 };
        c.skip_cfws()?;
        let authserv_id = c.value("authserv-id")?;
        c.skip_cfws()?;
        let mut version = None;
        if c.peek().is_some_and(|b| b.is_ascii_digit()) {
            let digits = c.take_while(|b| b.is_ascii_digit());
            version = Some(digits.parse().map_err(|_| c.err("authres-version"))?);
            c.skip_cfws()?;
        }
        let mut results = Vec::new();
        loop {
            match c.peek() {
                None => break,
                Some(b';') => c.pos += 1,
                Some(_) => return Err(c.err("';'")),
            }
            c.skip_cfws()?;
            if c.peek().is_none() {
                break; // tolerate a trailing ';'
            }
            let start = c.pos;
            let method = c.keyword().ok_or_else(|| c.err("method"))?;
            c.skip_cfws()?;
            if method.eq_ignore_ascii_case("none") && matches!(c.peek(), None | Some(b';')) {
                continue;
            }
            let mut result = MethodResult::new(method, "");
            if c.peek() == Some(b'/') {
                c.pos += 1;
                c.skip_cfws()?;
                let digits = c.take_while(|b| b.is_ascii_digit());
                result.method_version = Some(digits.parse().map_err(|_| c.err("method-version"))?);
                c.skip_cfws()?;
            }
            if c.peek() != Some(b'=') {
                c.pos = start;
                return Err(c.err("method=result"));
            }
            c.pos += 1;
            c.skip_cfws()?;
            result.result = c
                .keyword()
                .ok_or_else(|| c.err("result"))?
                .to_ascii_lowercase();
            loop {
                c.skip_cfws()?;
                if matches!(c.peek(), None | Some(b';')) {
                    break;
                }
                let name = c.keyword().ok_or_else(|| c.err("reason or property"))?;
                c.skip_cfws()?;
                match c.peek() {
                    Some(b'=') if name.eq_ignore_ascii_case("reason") => {
                        c.pos += 1;
                        c.skip_cfws()?;
                        result.reason = Some(c.value("reason value")?);
                    }
                    Some(b'.') => {
                        c.pos += 1;
                        c.skip_cfws()?;
                        let prop = c.keyword().ok_or_else(|| c.err("property name"))?;
                        c.skip_cfws()?;
                        if c.peek() != Some(b'=') {
                            return Err(c.err("'=' after property"));
                        }
                        c.pos += 1;
                        c.skip_cfws()?;
                        let v = c.pvalue()?;
                        result.properties.push(Property::new(name, prop, v));
                    }
                    Some(b'=') => {
                        // Not RFC 8601 (`action=none`, written by some large
                        // providers): skipped so the rest of the header reads.
                        c.pos += 1;
                        c.skip_cfws()?;
                        c.pvalue()?;
                    }
                    _ => return Err(c.err("'.' or 'reason='")),
                }
            }
            results.push(result);
        }
        Ok(AuthenticationResults {
            authserv_id,
            version,
            results,
        })
    }

    /// Parses an `ARC-Authentication-Results` value (`i=N; authserv-id; ...`),
    /// returning the instance number and the results.
    pub fn parse_arc(value: &str) -> Result<(u32, Self), AuthResError> {
        let value = strip_field_name(value, "arc-authentication-results");
        let mut c = Cursor { s: value, pos: 0 };
        c.skip_cfws()?;
        let tag = c.keyword().ok_or(AuthResError::ArcInstance)?;
        if !tag.eq_ignore_ascii_case("i") {
            return Err(AuthResError::ArcInstance);
        }
        c.skip_cfws()?;
        if c.peek() != Some(b'=') {
            return Err(AuthResError::ArcInstance);
        }
        c.pos += 1;
        c.skip_cfws()?;
        let digits = c.take_while(|b| b.is_ascii_digit());
        let instance: u32 = digits.parse().map_err(|_| AuthResError::ArcInstance)?;
        c.skip_cfws()?;
        if c.peek() != Some(b';') {
            return Err(AuthResError::ArcInstance);
        }
        let rest = c.s.get(c.pos + 1..).unwrap_or("");
        Ok((instance, Self::parse(rest)?))
    }
}

impl MethodResult {
    fn write(&self, out: &mut String) {
        write_keyword(out, &self.method);
        if let Some(v) = self.method_version {
            out.push('/');
            out.push_str(&v.to_string());
        }
        out.push('=');
        write_keyword(out, &self.result);
        if let Some(reason) = &self.reason {
            out.push_str(" reason=");
            write_quoted(out, reason);
        }
        for p in &self.properties {
            out.push(' ');
            write_keyword(out, &p.ptype);
            out.push('.');
            write_keyword(out, &p.name);
            out.push('=');
            write_pvalue(out, &p.value);
        }
    }
}

impl fmt::Display for MethodResult {
    /// Writes one `resinfo` without the leading `;`: `method=result reason="..." ptype.name=value`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write(&mut out);
        f.write_str(&out)
    }
}

impl fmt::Display for AuthenticationResults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write(&mut out, "; ");
        f.write_str(&out)
    }
}

impl std::str::FromStr for AuthenticationResults {
    type Err = AuthResError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

fn strip_field_name<'a>(value: &'a str, name: &str) -> &'a str {
    let trimmed = value.trim_start();
    if let Some(colon) = trimmed.find(':') {
        let (head, rest) = trimmed.split_at(colon);
        if head.trim_end().eq_ignore_ascii_case(name) {
            return rest.get(1..).unwrap_or("");
        }
    }
    value
}

// ---------------------------------------------------------------- writer

/// RFC 2045 token characters.
fn is_token_char(c: char) -> bool {
    c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?=".contains(c)
}

/// RFC 5322 atext plus '.', for the unquoted `local-part@domain` form.
fn is_dot_atom_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c)
}

fn is_dot_atom(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && !s.ends_with('.')
        && !s.contains("..")
        && s.chars().all(is_dot_atom_char)
}

fn write_keyword(out: &mut String, word: &str) {
    let before = out.len();
    out.extend(
        word.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_'),
    );
    if out.len() == before {
        out.push_str("unknown");
    }
}

fn write_value(out: &mut String, v: &str) {
    if !v.is_empty() && v.chars().all(is_token_char) {
        out.push_str(v);
    } else {
        write_quoted(out, v);
    }
}

fn write_pvalue(out: &mut String, v: &str) {
    if !v.is_empty() && v.chars().all(is_token_char) {
        out.push_str(v);
        return;
    }
    if let Some((local, domain)) = v.rsplit_once('@')
        && (local.is_empty() || is_dot_atom(local))
        && is_dot_atom(domain)
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        out.push_str(v);
        return;
    }
    write_quoted(out, v);
}

/// Writes a quoted-string; control characters (CR, LF, NUL, ...) become
/// spaces, `"` and `\` are escaped, so the value can neither end the header
/// line nor the quoted string.
fn write_quoted(out: &mut String, v: &str) {
    out.push('"');
    for c in v.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------- parser

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn err(&self, expected: &'static str) -> AuthResError {
        AuthResError::Syntax {
            position: self.pos,
            expected,
        }
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
        // Only ASCII bytes are accepted by every caller, so this slice lies on
        // character boundaries.
        self.s.get(start..self.pos).unwrap_or("")
    }

    /// Skips white space, folding (CR, LF) and comments (nested, with quoted-pairs).
    fn skip_cfws(&mut self) -> Result<(), AuthResError> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.pos += 1,
                Some(b'(') => {
                    let open = self.pos;
                    let mut depth = 0usize;
                    loop {
                        match self.peek() {
                            None => {
                                return Err(AuthResError::Unterminated {
                                    what: "comment",
                                    position: open,
                                });
                            }
                            Some(b'\\') => self.pos += 2,
                            Some(b'(') => {
                                depth += 1;
                                self.pos += 1;
                            }
                            Some(b')') => {
                                depth -= 1;
                                self.pos += 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            Some(_) => self.pos += 1,
                        }
                    }
                    self.pos = self.pos.min(self.s.len());
                }
                _ => return Ok(()),
            }
        }
    }

    /// A keyword: letters, digits, `-` and `_`.
    fn keyword(&mut self) -> Option<&'a str> {
        let k = self.take_while(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        (!k.is_empty()).then_some(k)
    }

    fn quoted(&mut self) -> Result<String, AuthResError> {
        let open = self.pos;
        self.pos += 1; // opening quote
        let mut out = String::new();
        let mut seg = self.pos;
        loop {
            match self.peek() {
                None => {
                    return Err(AuthResError::Unterminated {
                        what: "quoted string",
                        position: open,
                    });
                }
                Some(b'"') => {
                    out.push_str(self.s.get(seg..self.pos).unwrap_or(""));
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(self.s.get(seg..self.pos).unwrap_or(""));
                    self.pos += 1;
                    // the escaped character, which may be multi-byte
                    let ch = self.s.get(self.pos..).and_then(|r| r.chars().next());
                    match ch {
                        Some(ch) => {
                            out.push(ch);
                            self.pos += ch.len_utf8();
                        }
                        None => {
                            return Err(AuthResError::Unterminated {
                                what: "quoted string",
                                position: open,
                            });
                        }
                    }
                    seg = self.pos;
                }
                Some(b'\r' | b'\n') => {
                    // folding inside a quoted string: drop the line break
                    out.push_str(self.s.get(seg..self.pos).unwrap_or(""));
                    self.pos += 1;
                    seg = self.pos;
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// A run of characters up to white space, `;`, `(` or `"`.
    fn bare(&mut self) -> &'a str {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b';' | b'(' | b'"') {
                break;
            }
            self.pos += 1;
        }
        // stops only at ASCII bytes: on a char boundary
        self.s.get(start..self.pos).unwrap_or("")
    }

    /// `value` = token / quoted-string (a bare run is accepted leniently).
    fn value(&mut self, what: &'static str) -> Result<String, AuthResError> {
        if self.peek() == Some(b'"') {
            return self.quoted();
        }
        let v = self.bare();
        if v.is_empty() {
            return Err(self.err(what));
        }
        Ok(v.to_string())
    }

    /// `pvalue` = value / [local-part] "@" domain; a quoted local part is
    /// joined to its domain.
    fn pvalue(&mut self) -> Result<String, AuthResError> {
        if self.peek() == Some(b'"') {
            let mut v = self.quoted()?;
            if self.peek() == Some(b'@') {
                v.push_str(self.bare());
            }
            return Ok(v);
        }
        // an empty value (`smtp.mailfrom=;`) is tolerated
        Ok(self.bare().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_none() {
        assert_eq!(
            AuthenticationResults::new("mx.example").to_header_value(),
            "mx.example; none"
        );
        assert_eq!(
            AuthenticationResults::new("mx.example")
                .with_version(1)
                .to_header_value(),
            "mx.example 1; none"
        );
    }

    #[test]
    fn writes_folded_field() {
        let ar = AuthenticationResults::new("mx")
            .with_result(MethodResult::new("spf", "pass"))
            .with_result(MethodResult::new("dkim", "none"));
        assert_eq!(
            ar.to_header_field(),
            "Authentication-Results: mx;\r\n\tspf=pass;\r\n\tdkim=none"
        );
        assert_eq!(
            AuthenticationResults::parse(&ar.to_header_field()).unwrap(),
            ar
        );
    }

    #[test]
    fn quotes_what_needs_quoting() {
        let ar = AuthenticationResults::new("mx example").with_result(
            MethodResult::new("dkim", "pass")
                .with_property("header", "b", "abc/+=")
                .with_property("smtp", "mailfrom", "\"odd local\"@example.com")
                .with_property("header", "d", "example.com"),
        );
        assert_eq!(
            ar.to_header_value(),
            "\"mx example\"; dkim=pass header.b=\"abc/+=\" smtp.mailfrom=\"\\\"odd local\\\"@example.com\" header.d=example.com"
        );
        assert_eq!(
            AuthenticationResults::parse(&ar.to_header_value()).unwrap(),
            ar
        );
    }

    #[test]
    fn injection_is_impossible() {
        let evil = "x\r\nX-Injected: yes; dmarc=pass (\"\\";
        let ar = AuthenticationResults::new(evil).with_result(
            MethodResult::new("spf\r\nX-Bad: 1", "pass; dkim=pass")
                .with_reason(evil)
                .with_property("smtp", "mailfrom", evil)
                .with_property("header;x", "from\n", evil),
        );
        let v = ar.to_header_value();
        assert!(!v.contains('\r') && !v.contains('\n'), "{v}");
        let field = ar.to_header_field();
        assert_eq!(field.matches("\r\n").count(), 1, "{field}");
        let back = AuthenticationResults::parse(&v).unwrap();
        assert_eq!(back.results().len(), 1, "{v}");
        let r = &back.results()[0];
        assert_eq!(r.method(), "spfx-bad1");
        assert_eq!(r.result(), "passdkimpass");
        assert_eq!(
            r.property("smtp", "mailfrom"),
            Some("x  X-Injected: yes; dmarc=pass (\"\\")
        );
        assert_eq!(back.authserv_id(), "x  X-Injected: yes; dmarc=pass (\"\\");
    }

    #[test]
    fn parses_rfc8601_examples() {
        let ar = AuthenticationResults::parse("example.org 1; none").unwrap();
        assert_eq!(ar.authserv_id(), "example.org");
        assert_eq!(ar.version(), Some(1));
        assert!(ar.results().is_empty());

        let ar = AuthenticationResults::parse(
            "example.com;\r\n          spf=pass smtp.mailfrom=example.net",
        )
        .unwrap();
        assert_eq!(ar.results()[0].result(), "pass");

        let ar = AuthenticationResults::parse(
            "example.com;\n auth=pass (cram-md5) smtp.auth=sender@example.net;\n spf=pass smtp.mailfrom=example.net",
        )
        .unwrap();
        assert_eq!(ar.results().len(), 2);
        assert_eq!(
            ar.results()[0].property("smtp", "auth"),
            Some("sender@example.net")
        );

        let ar = AuthenticationResults::parse(
            "example.com; sender-id=fail header.from=example.com; dkim=pass (good signature) header.d=example.com",
        )
        .unwrap();
        assert_eq!(ar.results()[1].method(), "dkim");

        let ar = AuthenticationResults::parse(
            "mail-router.example.net; dkim=pass (good signature) header.d=newyork.example.com header.b=oINEO8hg;\r\n dkim=fail (bad signature) header.d=newyork.example.com header.b=EToRSuvU",
        )
        .unwrap();
        assert_eq!(ar.results()[1].property("header", "b"), Some("EToRSuvU"));
    }

    #[test]
    fn parses_comments_everywhere() {
        let ar = AuthenticationResults::parse(
            "(c0) mx.example (c1 (nested \\) paren)) 2 (c2) ; (c3) dkim (c4) / (c5) 1 (c6) = (c7) pass (c8) reason (c9) = (c10) \"ok\\\"\" header (c11) . (c12) d (c13) = (c14) example.com (c15); (x) none",
        )
        .unwrap();
        assert_eq!(ar.version(), Some(2));
        let r = &ar.results()[0];
        assert_eq!(r.method(), "dkim");
        assert_eq!(r.method_version(), Some(1));
        assert_eq!(r.reason(), Some("ok\""));
        assert_eq!(r.property("header", "d"), Some("example.com"));
    }

    #[test]
    fn parses_arc_payload() {
        let (i, ar) = AuthenticationResults::parse_arc(
            "i=2; lists.example.org;\r\n spf=pass smtp.mailfrom=jqd@d1.example;\r\n dkim=pass (1024-bit key) header.i=@d1.example; dmarc=pass",
        )
        .unwrap();
        assert_eq!(i, 2);
        assert_eq!(ar.results().len(), 3);
        assert_eq!(ar.results()[1].property("header", "i"), Some("@d1.example"));
        assert!(AuthenticationResults::parse_arc("lists.example.org; spf=pass").is_err());
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "mx; spf",
            "mx; spf=",
            "mx (unclosed",
            "mx; spf=pass smtp",
            "mx; spf=pass x.y=\"open",
            "mx junk",
        ] {
            assert!(AuthenticationResults::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tolerates_bare_key_value_pairs() {
        let ar = AuthenticationResults::parse(
            "spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.com; dkim=none (message not signed) header.d=none;dmarc=none action=none header.from=example.com;compauth=pass reason=100",
        );
        // the authserv-id is missing here: "spf=pass" is read as the id, then "(" ... fails
        assert!(ar.is_err());
        let ar = AuthenticationResults::parse(
            "mx.microsoft.example; spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.com; dkim=none (message not signed) header.d=none;dmarc=none action=none header.from=example.com;compauth=pass reason=100",
        )
        .unwrap();
        assert_eq!(ar.results().len(), 4);
        assert_eq!(
            ar.results()[2].property("header", "from"),
            Some("example.com")
        );
        assert_eq!(ar.results()[3].reason(), Some("100"));
    }

    #[test]
    fn accepts_field_name() {
        let ar = AuthenticationResults::parse(
            "Authentication-Results: mx; dmarc=pass header.from=example.com",
        )
        .unwrap();
        assert_eq!(ar.authserv_id(), "mx");
        assert_eq!(ar.results_for("DMARC").count(), 1);
    }
}
