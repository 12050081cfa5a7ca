//! Password-protected messages.
//!
//! This crate will own encrypting a whole MIME message under a password as a
//! standard OpenPGP message (password-encrypted session key), mixed password
//! and public-key recipients, the notification mail for the outside
//! recipient, and replies in kind.
//!
//! Status: skeleton; the feature arrives with its own issue.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
