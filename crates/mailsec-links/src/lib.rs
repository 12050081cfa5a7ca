//! Link checking and phishing detection for mail.
//!
//! `mailsec-links` finds every link in a message, explains where it really
//! goes and judges it — the engine behind "phishing detection" and "link
//! confirmation" in a mail client or a filtering server.
//!
//! - **Extraction** ([`links_in_text`], [`links_in_html`]): bare URLs and
//!   `www.` forms in text parts and the Subject; in HTML (tokenized with
//!   `html5gum`, never with regular expressions) `a href` with its visible
//!   text, `area`, `form action`, `img src`, `iframe`, `meta refresh`,
//!   `base href`, CSS `url()`, `javascript:` and `data:` URLs; URLs nested
//!   in redirectors' queries, followed a bounded number of levels.
//! - **Normalisation** ([`normalize_url`]): WHATWG parsing (backslashes,
//!   numeric/hex/octal IPv4, percent-encoded hosts, default ports), punycode
//!   shown as Unicode, `user@host` tricks kept visible, the registered
//!   domain from the public suffix list.
//! - **Checks**, each an explained [`Reason`]: text that shows another
//!   domain than the target, TR39 confusables and mixed scripts against
//!   protected brands, typosquats, brands in subdomains and paths, IP hosts,
//!   `@` in the authority, shorteners, abused TLDs, free hosting and dynamic
//!   DNS, login words, `https` shown but `http` linked, invisible
//!   characters; at message level a brand in the From display name, a
//!   Reply-To elsewhere, credential-request wording, forms, HTML
//!   attachments, a body that is only a link.
//! - **Feeds** ([`Feeds`], [`FeedSet`]): OpenPhish, PhishTank (CSV, JSON),
//!   JPCERT and plain domain lists as URL/host/domain sets, swapped at run time.
//! - **A lexical URL model** ([`UrlModel`]): logistic regression over URL
//!   features (never the scheme), trained offline by
//!   `examples/train_url_model.rs` and shipped as a data file.
//! - **A content model** ([`TextModel`]): hashed words, word pairs and
//!   in-word character 4-grams of the message text, an `i8` weight each,
//!   shipped as a data file; its
//!   log-odds are one explained feature of the message model, and the words
//!   that pushed most are reported ([`Reason::ContentWords`]).
//! - **Link confirmation** ([`LinkRewriter`]): rewrite HTML so every link
//!   goes through a confirmation URL carrying the original and an HMAC.
//! - **URIBL** look-ups through [`mailsec_dns::Resolver`], off unless zones
//!   are configured ([`LinkCheckerBuilder::uribl_zone`]).
//!
//! # Example
//!
//! ```
//! use mailsec_links::{LinkChecker, Verdict};
//!
//! let checker = LinkChecker::builder().own_domain("mycorp.example").build()?;
//! let raw = b"From: PayPal <service@mailer.example.net>\r\n\
//!             Subject: Your account is limited\r\n\
//!             Content-Type: text/html\r\n\r\n\
//!             <p>Verify your account within 24 hours:\r\n\
//!             <a href=\"http://198.51.100.7/webscr\">https://www.paypal.com/</a></p>\r\n";
//! let report = checker.check_raw(raw)?;
//! assert_eq!(report.verdict(), Verdict::Phishing);
//! let link = &report.links()[0];
//! assert_eq!(link.shown(), Some("https://www.paypal.com/"));
//! assert_eq!(link.url(), "http://198.51.100.7/webscr");
//! for reason in link.reasons() {
//!     println!("{}: {reason}", reason.code());
//! }
//! // One URL on its own:
//! assert_eq!(checker.check_url("https://www.paypal.com/").verdict(), Verdict::Safe);
//! # Ok::<(), mailsec_links::LinksError>(())
//! ```
//!
//! With a parsed message (the pipeline parses once), call
//! [`LinkChecker::check_message`] with the `mail_parser::Message`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod checker;
mod error;
mod extract;
mod feeds;
mod lists;
mod message_model;
mod model;
mod normalize;
mod rewrite;
mod text_model;
mod verdict;

pub use checker::{
    LinkChecker, LinkCheckerBuilder, MODEL_IN_MESSAGE, MODEL_WEIGHT, PHISHING_AT, SUSPICIOUS_AT,
};
pub use error::LinksError;
pub use extract::{
    HtmlFacts, LinkSource, MAX_LINKS_PER_PART, MAX_NESTING, RawLink, decode_entities,
    links_in_html, links_in_text, nested_urls, nested_urls_in,
};
pub use feeds::{FeedMatch, FeedSet, Feeds};
pub use message_model::{MESSAGE_FEATURES, MessageFeatures, MessageModel};
pub use model::{DENSE_FEATURES, Features, UrlModel, sigmoid};
pub use normalize::{
    HostKind, NormalizedUrl, normalize_url, normalize_url_lenient, registered_domain_of,
};
pub use rewrite::LinkRewriter;
pub use text_model::{
    MAX_NGRAM_WORDS, MAX_TOKEN_CHARS, TextModel, Token, for_each_char_ngram, for_each_name_token,
    for_each_token,
};
pub use verdict::{LinkFinding, MessageReport, Reason, Verdict};
