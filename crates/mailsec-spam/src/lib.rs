//! Explainable spam scoring for mail servers.
//!
//! A message gets a **score** made of named **symbols**, each with its
//! contribution and the reason it fired, and an **action** (`reject`,
//! `add_header`, `greylist`, `no_action`) by configurable thresholds. The
//! symbols come from:
//!
//! - a **Bayesian classifier** over orthogonal sparse bigrams (OSB) of the
//!   decoded subject, text and visible HTML text, plus header tokens and link
//!   hosts, combined as a normalised naive-Bayes log-likelihood (or
//!   Robinson–Fisher inverse chi-square, configurable); its model
//!   lives in a [`TokenStore`]: [`RedbStore`] (one crash-safe file),
//!   [`RedisStore`] (shared by a fleet) or [`MemoryStore`];
//! - **rules** on headers and MIME structure (missing or forged Date and
//!   Message-ID, display-name spoofing, Reply-To mismatch, capitals, HTML
//!   with little text, images only, hidden text, dangerous attachments,
//!   charset tricks, many recipients, ...);
//! - **evidence** from other checks, as plain data ([`Evidence`]): SPF, DKIM
//!   and DMARC result words, link verdict counts, and DNS blocklist hits for
//!   the connecting IP ([`dnsbl::check`] through a
//!   [`mailsec_dns::Resolver`]).
//!
//! Weights and thresholds come from an embedded TOML file
//! ([`DEFAULT_CONFIG`]) with a fitted second stage merged over it
//! ([`STAGE2_CONFIG`]: weights a logistic regression learned over the
//! classifier's out-of-fold log-odds and the rule symbols, so each symbol's
//! contribution stays visible), which a caller's file overrides
//! ([`Config`]; `fitted = false` keeps the hand-set weights).
//! The core does no I/O: the message is parsed once by the caller, the
//! store and resolver are passed in, and time is a value.
//!
//! # Example
//!
//! ```
//! use mailsec_spam::{Analysis, Class, Evidence, MemoryStore, Scorer, Trainer};
//!
//! let scorer = Scorer::default();
//! let store = MemoryStore::new();
//!
//! // Learn (here from made-up messages; normally from real mail).
//! let day = 20_000; // days since 1970, normally today
//! let mut trainer = Trainer::new(&store, day);
//! for i in 0..60u8 {
//!     // (Numbers are folded to their shape, so the made-up messages differ by letters.)
//!     let tag = format!("{}{}", char::from(b'a' + i % 26), char::from(b'a' + i / 26));
//!     let spam = format!("Subject: cheap pills {tag}\r\n\r\nBuy cheap pills now, best price {tag}!\r\n");
//!     let ham = format!("Subject: meeting notes {tag}\r\n\r\nThe minutes of meeting {tag} are attached.\r\n");
//!     for (raw, class) in [(spam, Class::Spam), (ham, Class::Ham)] {
//!         let msg = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
//!         trainer.learn(&Analysis::of(&msg), class)?;
//!     }
//! }
//! trainer.commit()?; // one transaction
//!
//! let raw = b"From: a@example.org\r\nSubject: cheap pills\r\n\r\nBuy cheap pills now!\r\n";
//! let msg = mail_parser::MessageParser::default().parse(&raw[..]).unwrap();
//! let report = scorer.score(&msg, &Evidence::default(), Some(&store));
//! assert!(report.symbols().iter().any(|s| s.name() == "BAYES_SPAM"));
//! for s in report.symbols() {
//!     println!("{:>6.2} {} ({})", s.score(), s.name(), s.detail());
//! }
//! println!("X-Spam-Status: {}", report.x_spam_status());
//! # Ok::<(), mailsec_spam::SpamError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod analysis;
mod classifier;
mod config;
pub mod dnsbl;
mod error;
mod evidence;
mod hash;
mod html;
mod rules;
mod scorer;
pub mod store;

pub use analysis::Analysis;
pub use classifier::{BayesVerdict, Classifier, LearnOutcome, SenderHistory, Trainer};
pub use config::{
    BayesConfig, Combining, Config, Contribution, DEFAULT_CONFIG, DnsblZone, RuleConfig,
    STAGE2_CONFIG, Thresholds,
};
pub use error::SpamError;
pub use evidence::{
    AuthEvidence, AuthWord, DmarcPolicy, DnsblHit, Evidence, LinkEvidence, LinkVerdict,
};
pub use scorer::{Action, Report, Scorer, Symbol};
#[cfg(feature = "redb")]
pub use store::RedbStore;
#[cfg(feature = "redis")]
pub use store::RedisStore;
pub use store::{
    Class, ExpiryPolicy, ExpiryReport, LearnBatch, MemoryStore, StoreLocation, StoreStats,
    TokenStore, default_db_path,
};

/// Days since the Unix epoch at `time` (what stores record as last-seen).
pub fn day_of(time: std::time::SystemTime) -> u32 {
    let secs = time
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    u32::try_from(secs / 86_400).unwrap_or(u32::MAX)
}
