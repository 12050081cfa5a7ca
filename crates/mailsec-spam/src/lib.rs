//! Spam scoring.
//!
//! This crate will own explainable rules, a Bayesian classifier over
//! orthogonal sparse bigrams, token stores (redb and Redis), DNS blocklists
//! through [`mailsec_dns::Resolver`] and thresholds that turn a score into an
//! action.
//!
//! Status: skeleton; the scorer arrives with its own issue.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
