//! Link checking and phishing detection.
//!
//! This crate will own URL extraction from text and HTML parts,
//! normalisation, display-text versus target checks, confusable and
//! look-alike domains, shorteners and redirectors, phishing feeds, a lexical
//! URL model and link-confirmation rewriting.
//!
//! Status: skeleton; the checks arrive with their own issue.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
