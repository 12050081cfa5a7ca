//! The milter protocol, serving the mailsec pipeline to Postfix and Sendmail.
//!
//! This crate will own the milter protocol (version 6), serving every check
//! of the [`mailsec`] pipeline to an MTA: adding headers, rejecting,
//! tempfailing, replacing bodies with their zero-access encrypted form and
//! signing outbound mail.
//!
//! Status: skeleton; the milter arrives with its own issue.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
