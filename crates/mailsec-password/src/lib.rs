//! Password-protected mail: sending an encrypted message to someone who has
//! no key. They open it with a password agreed in advance.
//!
//! - [`PasswordEncryptor`] encrypts a whole MIME message (attachments
//!   included) as a standard OpenPGP message with a password-encrypted
//!   session key (SKESK). The default output is v4 (RFC 4880 packets,
//!   iterated and salted S2K with SHA-256 at the highest count OpenPGP can
//!   express), which `gpg --decrypt` and `sqop decrypt --with-password` open;
//!   [`Profile::V6`] gives RFC 9580 output with Argon2 ([`Argon2Params`],
//!   which the caller can raise). Public-key recipients can be added, so one
//!   message opens with the password *or* any of those keys.
//! - [`decrypt`] opens such a message with the password, [`decrypt_with_keys`]
//!   with a secret key; every failure is one opaque error and no partial
//!   plaintext is ever returned.
//! - [`PasswordMail`] seals a message and writes the notification for the
//!   outside recipient (with `mail-builder`): the sender's text, the password
//!   hint (never the password), the expiry and an unlock link built from a
//!   URL template; the protected message is attached ([`Delivery::Attach`])
//!   or left to the caller to host ([`Delivery::Link`]). The expiry comes
//!   from a `mailsec_expiry::ExpiryPolicy` (28 days at most by default) and
//!   is also written inside the encrypted message.
//! - [`ReplyThread`] seals the recipient's replies under the same password,
//!   threaded with `In-Reply-To`/`References`, up to a bounded count (5).
//! - [`Password`] refuses empty passwords, is zeroized on drop, never shows
//!   in `Debug`, and rates itself with zxcvbn ([`Strength`]).
//!
//! This crate does no I/O and picks no cryptographic backend: the
//! application enables one of sequoia-openpgp's (e.g. `crypto-openssl`).
//!
//! ```
//! use mailsec_password::{KdfCost, Password, PasswordEncryptor, Profile, decrypt};
//!
//! let password = Password::new("harbor-Quartz-19-meadow")?;
//! if password.strength(&["alice@example.org"]).is_weak() {
//!     eprintln!("warning: weak password");
//! }
//! let message = b"From: alice@example.org\r\nSubject: contract\r\n\r\nsigned copy attached\r\n";
//! # let fast = KdfCost::insecure_for_tests(); // keeps the doctest quick
//! let sealed = PasswordEncryptor::new(password.clone())
//! #   .cost(fast)
//!     .encrypt(message)?; // v4: gpg --decrypt opens it
//! assert_eq!(decrypt(&sealed, &password)?, message);
//!
//! let v6 = PasswordEncryptor::new(password.clone())
//!     .profile(Profile::V6)
//! #   .cost(fast)
//!     .encrypt(message)?;
//! assert_eq!(decrypt(&v6, &password)?, message);
//! # Ok::<(), mailsec_password::PasswordError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod crypt;
mod error;
mod kdf;
mod mail;
mod password;
mod reply;

pub use crypt::{
    MAX_ARGON2_M_LOG2, MAX_ARGON2_WORK_KIB, MAX_SKESKS_TRIED, PasswordEncryptor, decrypt,
    decrypt_mail, decrypt_with_keys,
};
pub use error::PasswordError;
pub use kdf::{Argon2Params, KdfCost, Profile};
pub use mail::{ATTACHMENT_NAME, Delivery, PasswordMail, Sealed};
pub use password::{Password, Strength};
pub use reply::ReplyThread;
