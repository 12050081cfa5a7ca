//! Expiration metadata for mail.
//!
//! This crate will own writing, reading and validating expiry headers
//! (`Expires:`, RFC 4021), a maximum-lifetime policy, a `Clock` trait and a
//! sweep over a message store (in-memory and Maildir). It does not depend on
//! sequoia-openpgp.
//!
//! Status: skeleton; the feature arrives with its own issue.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
