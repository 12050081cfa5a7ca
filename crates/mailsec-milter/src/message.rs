//! What the milter hands to a [`MessageHandler`](crate::MessageHandler) and what it gets back:
//! the [`Envelope`], the [`Verdict`] and its [`HeaderEdit`]s.

use std::net::IpAddr;

use crate::error::MilterError;
use crate::protocol::{Connect, EnvelopeAddress, ReplyCode};

/// Macros the MTA sent, by the code of the stage they came with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Macros {
    entries: Vec<(u8, String, String)>,
}

/// Whether a macro stage (a command code) belongs to the connection rather than to one message.
fn is_connection_stage(stage: u8) -> bool {
    matches!(stage, b'C' | b'H')
}

fn bare_name(name: &str) -> &str {
    name.strip_prefix('{')
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(name)
}

impl Macros {
    /// The latest value of a macro; `name` may be given with or without braces
    /// (`auth_authen` or `{auth_authen}`, `j`).
    pub fn get(&self, name: &str) -> Option<&str> {
        let want = bare_name(name);
        self.entries
            .iter()
            .rev()
            .find(|(_, n, _)| bare_name(n) == want)
            .map(|(_, _, v)| v.as_str())
    }

    /// Every macro as `(stage code, name, value)`, in the order received.
    pub fn iter(&self) -> impl Iterator<Item = (u8, &str, &str)> {
        self.entries
            .iter()
            .map(|(s, n, v)| (*s, n.as_str(), v.as_str()))
    }

    /// The number of macro values held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no macro is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn set(&mut self, stage: u8, macros: Vec<(String, String)>) {
        // A stage's macros replace those sent earlier for the same stage.
        self.entries.retain(|(s, _, _)| *s != stage);
        for (n, v) in macros {
            self.entries.push((stage, n, v));
        }
    }

    pub(crate) fn clear_message(&mut self) {
        self.entries.retain(|(s, _, _)| is_connection_stage(*s));
    }

    pub(crate) fn weight(&self) -> usize {
        self.entries.iter().map(|(_, n, v)| n.len() + v.len()).sum()
    }
}

/// The SMTP envelope of one message, as the MTA told it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Envelope {
    pub(crate) connect: Option<Connect>,
    pub(crate) helo: Option<String>,
    pub(crate) mail_from: Option<EnvelopeAddress>,
    pub(crate) rcpts: Vec<EnvelopeAddress>,
    pub(crate) macros: Macros,
}

impl Envelope {
    /// An empty envelope (for tests and for callers that build one by hand).
    pub fn new() -> Envelope {
        Envelope::default()
    }

    /// Sets the connect information (builder style).
    #[must_use]
    pub fn with_connect(mut self, connect: Connect) -> Envelope {
        self.connect = Some(connect);
        self
    }
    /// Sets the HELO name (builder style).
    #[must_use]
    pub fn with_helo(mut self, helo: &str) -> Envelope {
        self.helo = Some(helo.to_owned());
        self
    }
    /// Sets MAIL FROM (builder style).
    #[must_use]
    pub fn with_mail_from(mut self, from: EnvelopeAddress) -> Envelope {
        self.mail_from = Some(from);
        self
    }
    /// Adds a recipient (builder style).
    #[must_use]
    pub fn with_rcpt(mut self, rcpt: EnvelopeAddress) -> Envelope {
        self.rcpts.push(rcpt);
        self
    }
    /// Adds a macro value for a stage (builder style).
    #[must_use]
    pub fn with_macro(mut self, stage: u8, name: &str, value: &str) -> Envelope {
        self.macros
            .entries
            .push((stage, name.to_owned(), value.to_owned()));
        self
    }

    /// The connect packet: host name, family, port, address.
    pub fn connect(&self) -> Option<&Connect> {
        self.connect.as_ref()
    }
    /// The client's IP address: from the connect packet, else the `{client_addr}` macro.
    pub fn client_ip(&self) -> Option<IpAddr> {
        self.connect
            .as_ref()
            .and_then(Connect::ip)
            .or_else(|| self.macros.get("client_addr")?.parse().ok())
    }
    /// The client's host name as the MTA resolved it.
    pub fn client_name(&self) -> Option<&str> {
        self.connect.as_ref().map(|c| c.hostname.as_str())
    }
    /// The HELO/EHLO name.
    pub fn helo(&self) -> Option<&str> {
        self.helo.as_deref()
    }
    /// MAIL FROM with its ESMTP arguments.
    pub fn mail_from(&self) -> Option<&EnvelopeAddress> {
        self.mail_from.as_ref()
    }
    /// RCPT TO addresses with their ESMTP arguments, in order.
    pub fn rcpts(&self) -> &[EnvelopeAddress] {
        &self.rcpts
    }
    /// All macros received for this connection and message.
    pub fn macros(&self) -> &Macros {
        &self.macros
    }
    /// The SASL login name (`{auth_authen}`), when the client authenticated.
    pub fn auth_authen(&self) -> Option<&str> {
        self.macros.get("auth_authen").filter(|s| !s.is_empty())
    }
    /// The MTA's queue id (macro `i`).
    pub fn queue_id(&self) -> Option<&str> {
        self.macros.get("i").filter(|s| !s.is_empty())
    }
    /// The MTA's own host name (macro `j`).
    pub fn mta_name(&self) -> Option<&str> {
        self.macros.get("j").filter(|s| !s.is_empty())
    }
}

/// What to do with the message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Deliver it (with the header edits and body replacement, if any).
    Accept,
    /// Refuse it permanently with this 5xx reply.
    Reject(ReplyCode),
    /// Refuse it for now with this 4xx reply; the client retries later.
    Tempfail(ReplyCode),
    /// Accept and drop it silently.
    Discard,
    /// Accept and quarantine it (Postfix puts it on hold) with this reason; edits still apply.
    Quarantine(String),
}

/// One change to the message headers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderEdit {
    /// Append a header after the existing ones.
    Add {
        /// Name.
        name: String,
        /// Value.
        value: String,
    },
    /// Insert a header at a position (0 = before the first header).
    Insert {
        /// Position.
        index: u32,
        /// Name.
        name: String,
        /// Value.
        value: String,
    },
    /// Replace the value of the `occurrence`-th (1-based) header with this name.
    Change {
        /// Name.
        name: String,
        /// Occurrence, 1-based.
        occurrence: u32,
        /// New value.
        value: String,
    },
    /// Delete the `occurrence`-th (1-based) header with this name.
    Delete {
        /// Name.
        name: String,
        /// Occurrence, 1-based.
        occurrence: u32,
    },
}

fn check_name(name: &str) -> Result<(), MilterError> {
    let ok = !name.is_empty()
        && name.len() <= 998
        && name.bytes().all(|b| (33..=126).contains(&b) && b != b':');
    if ok {
        Ok(())
    } else {
        Err(MilterError::InvalidValue {
            what: "header name",
            reason: "must be 1-998 printable ASCII characters without ':'",
        })
    }
}

fn check_value(value: &str) -> Result<(), MilterError> {
    let b = value.as_bytes();
    let mut ok = !b.contains(&0);
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' {
            // Only folds: a line break must be followed by a space or tab.
            ok &= matches!(b.get(i + 1), Some(b' ' | b'\t'));
        } else if c == b'\r' {
            ok &= b.get(i + 1) == Some(&b'\n');
        }
    }
    if ok {
        Ok(())
    } else {
        Err(MilterError::InvalidValue {
            what: "header value",
            reason: "NUL byte or a line break that is not a fold",
        })
    }
}

impl HeaderEdit {
    /// Appends `name: value`. Fails on an invalid name or a value with NUL or a bare line break.
    pub fn add(name: &str, value: &str) -> Result<HeaderEdit, MilterError> {
        check_name(name)?;
        check_value(value)?;
        Ok(HeaderEdit::Add {
            name: name.to_owned(),
            value: value.to_owned(),
        })
    }
    /// Inserts `name: value` at `index` (0 = top, where `Authentication-Results` belongs).
    pub fn insert(index: u32, name: &str, value: &str) -> Result<HeaderEdit, MilterError> {
        check_name(name)?;
        check_value(value)?;
        Ok(HeaderEdit::Insert {
            index,
            name: name.to_owned(),
            value: value.to_owned(),
        })
    }
    /// Changes the `occurrence`-th (1-based) header `name` to `value` (non-empty).
    pub fn change(name: &str, occurrence: u32, value: &str) -> Result<HeaderEdit, MilterError> {
        check_name(name)?;
        check_value(value)?;
        if value.is_empty() {
            return Err(MilterError::InvalidValue {
                what: "header value",
                reason: "an empty value deletes; use HeaderEdit::delete",
            });
        }
        Ok(HeaderEdit::Change {
            name: name.to_owned(),
            occurrence: occurrence.max(1),
            value: value.to_owned(),
        })
    }
    /// Deletes the `occurrence`-th (1-based) header `name`.
    pub fn delete(name: &str, occurrence: u32) -> Result<HeaderEdit, MilterError> {
        check_name(name)?;
        Ok(HeaderEdit::Delete {
            name: name.to_owned(),
            occurrence: occurrence.max(1),
        })
    }
}

/// A handler's decision on one message: an action, header edits and an optional new body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    action: Action,
    header_edits: Vec<HeaderEdit>,
    body: Option<Vec<u8>>,
}

impl Verdict {
    /// Accept the message.
    pub fn accept() -> Verdict {
        Verdict::with_action(Action::Accept)
    }
    /// Reject with a 5xx code, an optional enhanced status (`5.7.1`) and one line of text.
    pub fn reject(code: u16, enhanced: Option<&str>, text: &str) -> Result<Verdict, MilterError> {
        let r = ReplyCode::new(code, enhanced, text)?;
        if !r.is_permanent() {
            return Err(MilterError::InvalidValue {
                what: "reject code",
                reason: "a reject needs a 5xx code",
            });
        }
        Ok(Verdict::with_action(Action::Reject(r)))
    }
    /// Tempfail with a 4xx code, an optional enhanced status (`4.7.1`) and one line of text.
    pub fn tempfail(code: u16, enhanced: Option<&str>, text: &str) -> Result<Verdict, MilterError> {
        let r = ReplyCode::new(code, enhanced, text)?;
        if r.is_permanent() {
            return Err(MilterError::InvalidValue {
                what: "tempfail code",
                reason: "a tempfail needs a 4xx code",
            });
        }
        Ok(Verdict::with_action(Action::Tempfail(r)))
    }
    /// Accept and silently drop the message.
    pub fn discard() -> Verdict {
        Verdict::with_action(Action::Discard)
    }
    /// Accept into quarantine (Postfix: hold queue) with a reason.
    pub fn quarantine(reason: &str) -> Verdict {
        let reason: String = reason
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        Verdict::with_action(Action::Quarantine(reason))
    }
    /// A verdict with this action and no edits.
    pub fn with_action(action: Action) -> Verdict {
        Verdict {
            action,
            header_edits: Vec::new(),
            body: None,
        }
    }
    /// Adds a header edit (applied on accept and quarantine only).
    #[must_use]
    pub fn edit(mut self, edit: HeaderEdit) -> Verdict {
        self.header_edits.push(edit);
        self
    }
    /// Replaces the body (bytes after the blank line, CRLF line ends).
    #[must_use]
    pub fn replace_body(mut self, body: Vec<u8>) -> Verdict {
        self.body = Some(body);
        self
    }

    /// The action.
    pub fn action(&self) -> &Action {
        &self.action
    }
    /// The header edits, in order.
    pub fn header_edits(&self) -> &[HeaderEdit] {
        &self.header_edits
    }
    /// The replacement body, if any.
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macros_lookup_with_and_without_braces() {
        let mut m = Macros::default();
        m.set(b'C', vec![("j".into(), "mx".into())]);
        m.set(
            b'M',
            vec![
                ("{auth_authen}".into(), "alice".into()),
                ("i".into(), "ABC".into()),
            ],
        );
        assert_eq!(m.get("auth_authen"), Some("alice"));
        assert_eq!(m.get("{auth_authen}"), Some("alice"));
        assert_eq!(m.get("{j}"), Some("mx"));
        m.clear_message();
        assert_eq!(m.get("auth_authen"), None);
        assert_eq!(m.get("j"), Some("mx"));
    }

    #[test]
    fn header_edit_validation() {
        assert!(HeaderEdit::add("X-Ok", "v\r\n\tfolded").is_ok());
        assert!(HeaderEdit::add("X-Ok", "v\n\tfolded").is_ok());
        assert!(HeaderEdit::add("Bad Name", "v").is_err());
        assert!(HeaderEdit::add("Bad:", "v").is_err());
        assert!(HeaderEdit::add("", "v").is_err());
        assert!(HeaderEdit::add("X", "a\nb").is_err());
        assert!(HeaderEdit::add("X", "a\rb").is_err());
        assert!(HeaderEdit::add("X", "a\0b").is_err());
        assert!(HeaderEdit::change("X", 1, "").is_err());
    }

    #[test]
    fn verdict_codes_match_kind() {
        assert!(Verdict::reject(550, Some("5.7.1"), "no").is_ok());
        assert!(Verdict::reject(451, None, "no").is_err());
        assert!(Verdict::tempfail(451, Some("4.7.1"), "later").is_ok());
        assert!(Verdict::tempfail(550, None, "later").is_err());
        assert_eq!(
            Verdict::quarantine("a\r\nb").action(),
            &Action::Quarantine("a  b".into())
        );
    }
}
