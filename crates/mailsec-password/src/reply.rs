//! Replies in kind: the outside recipient answers under the same password.

use std::time::SystemTime;

use mailsec_expiry::header_fields;

use crate::PasswordError;
use crate::mail::{PasswordMail, Sealed};

/// A thread of password-protected replies to one original message, with a
/// bounded number of replies (Proton allows 5).
///
/// The caller keeps the thread's state ([`ReplyThread::resume`]) between
/// requests. Each reply is encrypted under the same password as the
/// original (and to the original sender's key when the [`PasswordMail`]
/// lists it), and tied to the original by `In-Reply-To` and `References`,
/// inside the encrypted message and on its envelope and notification.
///
/// ```
/// use std::time::SystemTime;
/// use mailsec_password::{KdfCost, Password, PasswordEncryptor, PasswordMail, ReplyThread, decrypt};
///
/// let pw = Password::new("velvet-Canyon-88-lantern")?;
/// let enc = PasswordEncryptor::new(pw.clone()).cost(KdfCost::insecure_for_tests());
/// let mut thread = ReplyThread::new("original@example.org").with_limit(1);
/// let reply_mail = PasswordMail::new(enc, "bob@example.net", "alice@example.org")?;
/// let sealed = thread.seal_reply(&reply_mail, b"Subject: Re: plans\r\n\r\nok\r\n", SystemTime::now())?;
/// let inner = decrypt(sealed.ciphertext(), &pw)?;
/// assert!(String::from_utf8_lossy(&inner).contains("In-Reply-To: <original@example.org>\r\n"));
/// assert_eq!(thread.remaining(), 0);
/// assert!(thread.seal_reply(&reply_mail, b"Subject: again\r\n\r\n", SystemTime::now()).is_err());
/// # Ok::<(), mailsec_password::PasswordError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyThread {
    original: String,
    references: Vec<String>,
    replies: u32,
    limit: u32,
}

impl ReplyThread {
    /// How many replies a thread allows unless told otherwise.
    pub const DEFAULT_LIMIT: u32 = 5;

    /// A thread answering the message with this Message-ID (with or
    /// without angle brackets).
    pub fn new(original_message_id: &str) -> Self {
        ReplyThread {
            original: strip(original_message_id),
            references: Vec::new(),
            replies: 0,
            limit: Self::DEFAULT_LIMIT,
        }
    }

    /// A thread answering a sealed password-protected message.
    pub fn for_sealed(original: &Sealed) -> Self {
        Self::new(original.message_id())
    }

    /// A thread answering a (decrypted) original message: its Message-ID
    /// and References are carried on.
    pub fn for_message(original: &[u8]) -> Option<Self> {
        let (fields, _) = header_fields(original);
        let id = fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("Message-ID"))
            .map(|(_, v)| strip(v))
            .filter(|v| !v.is_empty())?;
        let references = fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("References"))
            .map(|(_, v)| {
                v.split_whitespace()
                    .map(strip)
                    .filter(|r| !r.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Some(ReplyThread {
            original: id,
            references,
            replies: 0,
            limit: Self::DEFAULT_LIMIT,
        })
    }

    /// Resume a thread from stored state.
    pub fn resume(original_message_id: &str, references: Vec<String>, replies_sent: u32) -> Self {
        ReplyThread {
            original: strip(original_message_id),
            references: references.iter().map(|r| strip(r)).collect(),
            replies: replies_sent,
            limit: Self::DEFAULT_LIMIT,
        }
    }

    /// Allow this many replies in total.
    pub fn with_limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// The original's Message-ID (without angle brackets).
    pub fn original(&self) -> &str {
        &self.original
    }

    /// Replies sent so far.
    pub fn replies_sent(&self) -> u32 {
        self.replies
    }

    /// Replies still allowed.
    pub fn remaining(&self) -> u32 {
        self.limit.saturating_sub(self.replies)
    }

    /// Seal one reply with `mail` (from the outside recipient back to the
    /// original sender, with the same password). Fails with
    /// [`PasswordError::ReplyLimit`] once the limit is reached; a reply that
    /// fails to seal does not count.
    pub fn seal_reply(
        &mut self,
        mail: &PasswordMail,
        reply: &[u8],
        now: SystemTime,
    ) -> Result<Sealed, PasswordError> {
        if self.remaining() == 0 {
            return Err(PasswordError::ReplyLimit { limit: self.limit });
        }
        let threaded = mail
            .clone()
            .thread(self.original.clone(), self.references.clone());
        let sealed = threaded.seal(reply, now)?;
        self.replies += 1;
        Ok(sealed)
    }
}

fn strip(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

/// Replace (or add) header fields in a raw message's top-level header
/// section: every existing field with one of the names is removed, and the
/// new ones are appended at the end of the section. The body is untouched.
pub(crate) fn replace_headers(raw: &[u8], fields: &[(&str, String)]) -> Vec<u8> {
    let crlf = !matches!(raw.iter().position(|&b| b == b'\n'), Some(i) if i == 0 || raw.get(i - 1) != Some(&b'\r'));
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let mut out = Vec::with_capacity(raw.len() + 256);
    let mut pos = 0;
    let mut dropping = false;
    while pos < raw.len() {
        let end = raw
            .get(pos..)
            .and_then(|r| r.iter().position(|&b| b == b'\n'))
            .map_or(raw.len(), |i| pos + i + 1);
        let line = raw.get(pos..end).unwrap_or_default();
        let bare = line.strip_suffix(b"\n").unwrap_or(line);
        let bare = bare.strip_suffix(b"\r").unwrap_or(bare);
        if bare.is_empty() {
            break;
        }
        let continuation = matches!(line.first(), Some(b' ' | b'\t'));
        if !continuation {
            let name = bare
                .iter()
                .position(|&b| b == b':')
                .and_then(|c| bare.get(..c))
                .map(|n| String::from_utf8_lossy(n).trim().to_owned());
            dropping = name.is_some_and(|n| fields.iter().any(|(f, _)| f.eq_ignore_ascii_case(&n)));
        }
        if !dropping {
            out.extend_from_slice(line);
            if !line.ends_with(b"\n") {
                out.extend_from_slice(eol);
            }
        }
        pos = end;
    }
    for (name, value) in fields {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.replace(['\r', '\n'], " ").as_bytes());
        out.extend_from_slice(eol);
    }
    out.extend_from_slice(raw.get(pos..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_headers() {
        let raw = b"Subject: x\r\nIn-Reply-To: <old@x>\r\nReferences: <a@x>\r\n <b@x>\r\n\r\nIn-Reply-To: body\r\n";
        let out = replace_headers(
            raw,
            &[
                ("In-Reply-To", "<new@x>".into()),
                ("References", "<r@x> <new@x>".into()),
            ],
        );
        assert_eq!(
            out,
            b"Subject: x\r\nIn-Reply-To: <new@x>\r\nReferences: <r@x> <new@x>\r\n\r\nIn-Reply-To: body\r\n"
        );
        assert_eq!(replace_headers(b"", &[("A", "b".into())]), b"A: b\r\n");
    }

    #[test]
    fn thread_from_message() {
        let t =
            ReplyThread::for_message(b"Message-ID: <m@x>\r\nReferences: <a@x>\r\n <b@x>\r\n\r\n")
                .unwrap();
        assert_eq!(t.original(), "m@x");
        assert_eq!(t.references, vec!["a@x".to_owned(), "b@x".to_owned()]);
        assert_eq!(t.remaining(), 5);
        assert!(ReplyThread::for_message(b"Subject: none\r\n\r\n").is_none());
    }
}
