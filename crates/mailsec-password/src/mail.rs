//! The protected message, its PGP/MIME envelope and the notification mail.

use std::time::{Duration, SystemTime};

use mail_builder::MessageBuilder;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::MimePart;
use mailsec_expiry::{ExpiryPolicy, expires_value, format_rfc5322, header_fields, set_expiry};

use crate::crypt::PasswordEncryptor;
use crate::{PasswordError, Strength};

/// How the outside recipient gets the protected message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Delivery {
    /// Self-contained: the notification carries the protected message as an
    /// attachment (`protected-message.asc`).
    #[default]
    Attach,
    /// The caller hosts the protected message; the notification carries only
    /// the unlock link.
    Link,
}

/// The file name of the attached protected message.
pub const ATTACHMENT_NAME: &str = "protected-message.asc";

/// Sends a message to someone without a key: encrypts it under a password
/// and writes the notification mail that tells them how to open it.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use mailsec_password::{Delivery, KdfCost, Password, PasswordEncryptor, PasswordMail, decrypt};
///
/// let pw = Password::new("velvet-Canyon-88-lantern")?;
/// # let enc = PasswordEncryptor::new(pw.clone()).cost(KdfCost::insecure_for_tests());
/// # /*
/// let enc = PasswordEncryptor::new(pw.clone());
/// # */
/// let mail = PasswordMail::new(enc, "alice@example.org", "bob@example.net")?
///     .hint("the city where we met")?
///     .unlock_url_template("https://mail.example.org/unlock/{id}")?
///     .expires_in(Duration::from_secs(7 * 86_400))
///     .delivery(Delivery::Link);
/// let original = b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: plans\r\n\r\nsee you\r\n";
/// let sealed = mail.seal(original, SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_780_800))?;
/// let note = String::from_utf8_lossy(sealed.notification());
/// assert!(note.contains("the city where we met"));
/// assert!(note.contains(&format!("https://mail.example.org/unlock/{}", sealed.id())));
/// assert!(!note.contains("velvet-Canyon-88-lantern"));
/// // The hosted payload opens with the password and gives back the original.
/// assert_eq!(decrypt(sealed.ciphertext(), &pw)?, original);
/// assert!(note.contains("Expires: Fri, 04 Dec 2026 12:00:00 +0000\r\n"));
/// # Ok::<(), mailsec_password::PasswordError>(())
/// ```
#[derive(Debug, Clone)]
pub struct PasswordMail {
    encryptor: PasswordEncryptor,
    from: String,
    to: String,
    subject: Option<String>,
    text: Option<String>,
    hint: Option<String>,
    unlock_url: Option<String>,
    lifetime: Option<Duration>,
    policy: ExpiryPolicy,
    delivery: Delivery,
    auto_submitted: bool,
    inner_expiry: bool,
    in_reply_to: Option<String>,
    references: Vec<String>,
}

fn single_line(what: &'static str, value: &str) -> Result<(), PasswordError> {
    if value.chars().any(|c| c == '\r' || c == '\n' || c == '\0') {
        return Err(PasswordError::InvalidInput {
            what,
            reason: "contains a line break",
        });
    }
    Ok(())
}

fn address(what: &'static str, value: &str) -> Result<String, PasswordError> {
    single_line(what, value)?;
    let v = value.trim();
    let bare = v
        .rsplit_once('<')
        .map_or(v, |(_, a)| a.trim_end_matches('>'));
    if !bare.contains('@') || bare.chars().any(char::is_whitespace) {
        return Err(PasswordError::InvalidInput {
            what,
            reason: "not an e-mail address",
        });
    }
    Ok(bare.to_owned())
}

fn random_id() -> Result<String, PasswordError> {
    let mut bytes = [0u8; 16];
    sequoia_openpgp::crypto::random(&mut bytes).map_err(crate::error::encrypt_err)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn unix(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn strip_brackets(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

impl PasswordMail {
    /// A password mail from `from` to the outside recipient `to` (bare
    /// addresses or `Name <addr>`; the bare address is used).
    pub fn new(encryptor: PasswordEncryptor, from: &str, to: &str) -> Result<Self, PasswordError> {
        Ok(PasswordMail {
            encryptor,
            from: address("from address", from)?,
            to: address("to address", to)?,
            subject: None,
            text: None,
            hint: None,
            unlock_url: None,
            lifetime: None,
            policy: ExpiryPolicy::default(),
            delivery: Delivery::Attach,
            auto_submitted: true,
            inner_expiry: false,
            in_reply_to: None,
            references: Vec::new(),
        })
    }

    /// The notification's subject (default: "`<from>` sent you a
    /// password-protected message"). Never the protected message's own subject.
    pub fn subject(mut self, subject: &str) -> Result<Self, PasswordError> {
        single_line("subject", subject)?;
        self.subject = Some(subject.to_owned());
        Ok(self)
    }

    /// The sender's own words to show in the notification.
    pub fn text(mut self, text: &str) -> Self {
        self.text = Some(text.to_owned());
        self
    }

    /// A hint to help the recipient remember the password (never the password).
    pub fn hint(mut self, hint: &str) -> Result<Self, PasswordError> {
        single_line("hint", hint)?;
        self.hint = Some(hint.to_owned());
        Ok(self)
    }

    /// The unlock link: a URL with `{id}` where the message's id goes.
    pub fn unlock_url_template(mut self, template: &str) -> Result<Self, PasswordError> {
        single_line("unlock URL", template)?;
        if !template.contains("{id}") {
            return Err(PasswordError::InvalidTemplate);
        }
        self.unlock_url = Some(template.to_owned());
        Ok(self)
    }

    /// How long the message may be opened; capped by the policy's maximum
    /// lifetime, which is also the default.
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.lifetime = Some(lifetime);
        self
    }

    /// The expiry policy (default: 28 days at most).
    pub fn policy(mut self, policy: ExpiryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Attach the protected message (default) or only link to it.
    pub fn delivery(mut self, delivery: Delivery) -> Self {
        self.delivery = delivery;
        self
    }

    /// Whether the notification says `Auto-Submitted: auto-generated`
    /// (RFC 3834; default yes: it is written by software, and
    /// auto-responders should not answer it).
    pub fn auto_submitted(mut self, yes: bool) -> Self {
        self.auto_submitted = yes;
        self
    }

    /// Also write `Expires:` inside the encrypted message, where it is
    /// protected from tampering (default no: the message is encrypted byte
    /// for byte as given, so `gpg --decrypt` prints exactly the original).
    pub fn protect_expiry(mut self, yes: bool) -> Self {
        self.inner_expiry = yes;
        self
    }

    pub(crate) fn thread(mut self, in_reply_to: String, references: Vec<String>) -> Self {
        self.in_reply_to = Some(in_reply_to);
        self.references = references;
        self
    }

    /// Encrypt `message` (a whole MIME message) and write the envelope and
    /// the notification, dated `now`.
    ///
    /// The expiry (`now` + lifetime, capped by the policy) is written on the
    /// envelope and the notification (and inside the encrypted message with
    /// [`PasswordMail::protect_expiry`]). A reply gets `In-Reply-To` and
    /// `References` inside the encrypted message too; otherwise the message
    /// is encrypted exactly as given.
    pub fn seal(&self, message: &[u8], now: SystemTime) -> Result<Sealed, PasswordError> {
        if self.delivery == Delivery::Link && self.unlock_url.is_none() {
            return Err(PasswordError::InvalidInput {
                what: "delivery",
                reason: "link mode needs an unlock URL template",
            });
        }
        let id = random_id()?;
        let expires_at = self.policy.link_expiry(now, self.lifetime);
        let expires = expires_value(expires_at)?;

        // Thread headers first, then the expiry, inside the protected message.
        let mut inner = message.to_vec();
        if let Some(parent) = &self.in_reply_to {
            let mut refs = self
                .references
                .iter()
                .map(|r| format!("<{r}>"))
                .collect::<Vec<_>>();
            refs.push(format!("<{parent}>"));
            inner = crate::reply::replace_headers(
                &inner,
                &[
                    ("In-Reply-To", format!("<{parent}>")),
                    ("References", refs.join(" ")),
                ],
            );
        }
        if self.inner_expiry {
            inner = set_expiry(&inner, expires_at)?;
        }
        let strength = self.encryptor.password_strength(&[&self.from, &self.to]);
        let ciphertext = self.encryptor.encrypt(&inner)?;
        let armored = String::from_utf8_lossy(&ciphertext).into_owned();

        let domain = self
            .from
            .rsplit_once('@')
            .map_or("localhost", |(_, d)| d)
            .to_owned();
        let inner_fields = header_fields(&inner).0;
        let original_id = inner_fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("Message-ID"))
            .map(|(_, v)| strip_brackets(v))
            .filter(|v| !v.is_empty());
        let subject = self
            .subject
            .clone()
            .unwrap_or_else(|| format!("{} sent you a password-protected message", self.from));
        let unlock_url = self.unlock_url.as_ref().map(|t| t.replace("{id}", &id));
        let envelope_id = format!("{id}.protected@{domain}");
        let notification_id = format!("{id}@{domain}");

        let mut envelope = MessageBuilder::new()
            .from(self.from.as_str())
            .to(self.to.as_str())
            .subject(subject.as_str())
            .date(unix(now))
            .message_id(envelope_id.as_str())
            .header("Expires", Raw::new(expires.as_str()));
        if let Some(parent) = &self.in_reply_to {
            envelope = self.thread_headers(envelope, parent);
        }
        let envelope = envelope
            .body(MimePart::new(
                ContentType::new("multipart/encrypted")
                    .attribute("protocol", "application/pgp-encrypted"),
                vec![
                    MimePart::new("application/pgp-encrypted", "Version: 1\r\n").header(
                        "Content-Description",
                        Raw::new("PGP/MIME version identification"),
                    ),
                    MimePart::new(
                        ContentType::new("application/octet-stream")
                            .attribute("name", "encrypted.asc"),
                        armored.as_str(),
                    )
                    .inline()
                    .transfer_encoding("7bit")
                    .header("Content-Description", Raw::new("OpenPGP encrypted message")),
                ],
            ))
            .write_to_vec()?;

        let (text, html) = self.bodies(&expires_at, unlock_url.as_deref())?;
        let mut note = MessageBuilder::new()
            .from(self.from.as_str())
            .to(self.to.as_str())
            .subject(subject.as_str())
            .date(unix(now))
            .message_id(notification_id.as_str())
            .header("Expires", Raw::new(expires.as_str()));
        if self.auto_submitted {
            note = note.header("Auto-Submitted", Raw::new("auto-generated"));
        }
        if let Some(parent) = &self.in_reply_to {
            note = self.thread_headers(note, parent);
        }
        note = note.text_body(text).html_body(html);
        if self.delivery == Delivery::Attach {
            note = note.attachment(
                "application/pgp-encrypted",
                ATTACHMENT_NAME,
                ciphertext.clone(),
            );
        }
        let notification = note.write_to_vec()?;

        Ok(Sealed {
            id,
            ciphertext,
            envelope,
            notification,
            expires_at,
            unlock_url,
            strength,
            message_id: original_id.unwrap_or(notification_id),
        })
    }

    fn thread_headers<'x>(&self, b: MessageBuilder<'x>, parent: &str) -> MessageBuilder<'x> {
        let mut refs = self.references.clone();
        refs.push(parent.to_owned());
        b.in_reply_to(parent.to_owned()).references(refs)
    }

    fn bodies(
        &self,
        expires_at: &SystemTime,
        url: Option<&str>,
    ) -> Result<(String, String), PasswordError> {
        let date = format_rfc5322(*expires_at)?;
        let mut text = format!(
            "{} has sent you a password-protected message.\r\n\r\n",
            self.from
        );
        let mut html = format!(
            "<!DOCTYPE html>\r\n<html><body>\r\n<p>{} has sent you a password-protected message.</p>\r\n",
            html_escape(&self.from)
        );
        if let Some(words) = &self.text {
            let words = words.replace("\r\n", "\n");
            text.push_str(&words.replace('\n', "\r\n"));
            text.push_str("\r\n\r\n");
            html.push_str("<blockquote>");
            html.push_str(&html_escape(&words).replace('\n', "<br>\r\n"));
            html.push_str("</blockquote>\r\n");
        }
        if let Some(hint) = &self.hint {
            text.push_str(&format!("Password hint: {hint}\r\n\r\n"));
            html.push_str(&format!(
                "<p>Password hint: <strong>{}</strong></p>\r\n",
                html_escape(hint)
            ));
        }
        if let Some(url) = url {
            text.push_str(&format!("Open it here:\r\n{url}\r\n\r\n"));
            html.push_str(&format!(
                "<p><a href=\"{0}\">Open the message</a><br>\r\n{0}</p>\r\n",
                html_escape(url)
            ));
        }
        if self.delivery == Delivery::Attach {
            let line = format!(
                "The message is also attached ({ATTACHMENT_NAME}): any OpenPGP program opens it with the password, e.g. gpg --decrypt {ATTACHMENT_NAME}"
            );
            text.push_str(&line);
            text.push_str("\r\n\r\n");
            html.push_str(&format!("<p>{}</p>\r\n", html_escape(&line)));
        }
        text.push_str(&format!("The message can be opened until {date}.\r\n"));
        html.push_str(&format!(
            "<p>The message can be opened until {}.</p>\r\n</body></html>\r\n",
            html_escape(&date)
        ));
        Ok((text, html))
    }
}

/// A sealed password-protected message: the OpenPGP message, its PGP/MIME
/// envelope, and the notification for the outside recipient.
#[derive(Debug, Clone)]
pub struct Sealed {
    id: String,
    ciphertext: Vec<u8>,
    envelope: Vec<u8>,
    notification: Vec<u8>,
    expires_at: SystemTime,
    unlock_url: Option<String>,
    strength: Strength,
    message_id: String,
}

impl Sealed {
    /// The random id (32 hex digits) that goes into the unlock link.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The ASCII-armored OpenPGP message (what link mode hosts, and what
    /// attach mode attaches).
    pub fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }

    /// The protected message as a PGP/MIME (`multipart/encrypted`) mail,
    /// CRLF; `gpg --decrypt` opens it as it is.
    pub fn envelope(&self) -> &[u8] {
        &self.envelope
    }

    /// The notification mail for the outside recipient, CRLF.
    pub fn notification(&self) -> &[u8] {
        &self.notification
    }

    /// When the message (and its link) expires.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// The unlock link, when a template was given.
    pub fn unlock_url(&self) -> Option<&str> {
        self.unlock_url.as_deref()
    }

    /// The password's strength; warn the sender when it [`Strength::is_weak`].
    pub fn password_strength(&self) -> &Strength {
        &self.strength
    }

    /// The Message-ID replies refer to: the protected message's own, or the
    /// notification's when it has none (without angle brackets).
    pub fn message_id(&self) -> &str {
        &self.message_id
    }
}
