//! Passwords held as secrets, and their strength.

use secrecy::{ExposeSecret, SecretString};

use crate::PasswordError;

/// A non-empty password, zeroized when dropped and never shown by `Debug`.
///
/// ```
/// use mailsec_password::Password;
/// let pw = Password::new("correct horse battery staple")?;
/// assert_eq!(format!("{pw:?}"), "Password(<redacted>)");
/// assert!(Password::new("").is_err());
/// # Ok::<(), mailsec_password::PasswordError>(())
/// ```
pub struct Password(SecretString);

impl Password {
    /// Take a password; an empty one is refused.
    pub fn new(password: impl Into<String>) -> Result<Self, PasswordError> {
        let mut s: String = password.into();
        if s.is_empty() {
            // `s` is empty: nothing to wipe.
            return Err(PasswordError::EmptyPassword);
        }
        // Boxing a string with spare capacity reallocates and would leave the
        // old buffer unwiped: copy to an exact-size buffer, wipe the original.
        let exact = s.as_str().to_owned();
        zeroize::Zeroize::zeroize(&mut s);
        Ok(Password(SecretString::from(exact)))
    }

    /// Read a password from a password file's contents: the first line,
    /// without its line ending (as `gpg --passphrase-file` does). The buffer
    /// is wiped.
    pub fn from_file_contents(mut contents: Vec<u8>) -> Result<Self, PasswordError> {
        let end = contents
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(contents.len());
        let line = contents.get(..end).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let result = match std::str::from_utf8(line) {
            Ok(s) => Password::new(s.to_owned()),
            Err(_) => Err(PasswordError::InvalidInput {
                what: "password",
                reason: "not UTF-8",
            }),
        };
        zeroize::Zeroize::zeroize(&mut contents);
        result
    }

    /// Estimate the password's strength with zxcvbn. `user_inputs` are words
    /// an attacker would try first (the addresses, names, the subject).
    pub fn strength(&self, user_inputs: &[&str]) -> Strength {
        // zxcvbn is super-linear in the length; 100 characters is plenty to
        // tell weak from strong.
        let pw = self.0.expose_secret();
        let cut = pw.char_indices().nth(100).map_or(pw.len(), |(i, _)| i);
        let entropy = zxcvbn::zxcvbn(pw.get(..cut).unwrap_or(pw), user_inputs);
        let feedback = entropy.feedback();
        Strength {
            score: u8::from(entropy.score()),
            guesses_log10: entropy.guesses_log10(),
            warning: feedback.and_then(|f| f.warning()).map(|w| w.to_string()),
            suggestions: feedback
                .map(|f| f.suggestions().iter().map(ToString::to_string).collect())
                .unwrap_or_default(),
        }
    }

    /// The password as sequoia wants it (sequoia keeps it encrypted in memory).
    pub(crate) fn to_openpgp(&self) -> sequoia_openpgp::crypto::Password {
        sequoia_openpgp::crypto::Password::from(self.0.expose_secret())
    }
}

impl Clone for Password {
    fn clone(&self) -> Self {
        Password(SecretString::from(self.0.expose_secret().to_owned()))
    }
}

// The secret string is wiped when the password drops (secrecy's `SecretBox`).
impl zeroize::ZeroizeOnDrop for Password {}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A password's estimated strength (zxcvbn).
#[derive(Debug, Clone, PartialEq)]
pub struct Strength {
    score: u8,
    guesses_log10: f64,
    warning: Option<String>,
    suggestions: Vec<String>,
}

impl Strength {
    /// The score the weak/strong line is drawn at: 3 ("safely unguessable:
    /// moderate protection from offline slow-hash scenario").
    pub const STRONG_SCORE: u8 = 3;

    /// zxcvbn's score, 0 (too guessable) to 4 (very unguessable).
    pub fn score(&self) -> u8 {
        self.score
    }

    /// log10 of the estimated number of guesses.
    pub fn guesses_log10(&self) -> f64 {
        self.guesses_log10
    }

    /// Whether the password is weak (score below [`Strength::STRONG_SCORE`]).
    pub fn is_weak(&self) -> bool {
        self.score < Self::STRONG_SCORE
    }

    /// zxcvbn's warning, if any (e.g. "This is a top-10 common password.").
    pub fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }

    /// zxcvbn's suggestions.
    pub fn suggestions(&self) -> &[String] {
        &self.suggestions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_refused() {
        assert!(matches!(
            Password::new(""),
            Err(PasswordError::EmptyPassword)
        ));
        assert!(matches!(
            Password::from_file_contents(b"\nsecond line\n".to_vec()),
            Err(PasswordError::EmptyPassword)
        ));
    }

    #[test]
    fn file_contents_take_the_first_line() {
        let pw = Password::from_file_contents(b"hunter2\r\nignored\n".to_vec()).unwrap();
        assert_eq!(pw.0.expose_secret(), "hunter2");
        let pw = Password::from_file_contents(b"no newline".to_vec()).unwrap();
        assert_eq!(pw.0.expose_secret(), "no newline");
    }

    #[test]
    fn debug_never_shows_the_password() {
        let pw = Password::new("tr0ub4dor&3-unique-marker").unwrap();
        let shown = format!("{pw:?} {:?} {pw:#?}", Some(pw.clone()));
        assert!(!shown.contains("unique-marker"), "{shown}");
    }

    #[test]
    fn weak_and_strong() {
        let weak = Password::new("password").unwrap().strength(&[]);
        assert!(weak.is_weak());
        assert_eq!(weak.score(), 0);
        assert!(weak.warning().is_some());
        let strong = Password::new("vortex-Glacier-31-paprika-Ombudsman")
            .unwrap()
            .strength(&[]);
        assert!(!strong.is_weak(), "{strong:?}");
        // The user's own name counts against it.
        let named = Password::new("alice1987").unwrap().strength(&["alice"]);
        assert!(named.is_weak());
        // Long passwords are cut, not slow.
        let long = Password::new("x".repeat(100_000)).unwrap().strength(&[]);
        assert!(long.score() <= 4);
    }
}
