//! The crate's error type.

/// Why a link check or a link operation could not run.
///
/// A suspicious link is a verdict, not an error: `Err` is only for inputs
/// the crate cannot work with (a template without placeholders, a feed that
/// is not in the stated format, a wrapped URL that does not verify).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinksError {
    /// The raw bytes are not a message mail-parser can read.
    #[error("the message could not be parsed")]
    UnparsableMessage,
    /// The link-confirmation template lacks `{url}` or `{sig}` as query values.
    #[error(
        "confirmation template {0:?} needs {{url}} and {{sig}} as query parameter values of an absolute URL"
    )]
    BadTemplate(String),
    /// The HMAC key is too short.
    #[error("the link-confirmation key must be at least 16 bytes")]
    ShortKey,
    /// A wrapped URL is not one this rewriter made, or its signature does not verify.
    #[error("the wrapped URL does not verify")]
    BadWrappedUrl,
    /// The HTML rewriter failed.
    #[error("HTML rewriting failed")]
    Html(#[source] lol_html::errors::RewritingError),
    /// A feed could not be read in the stated format.
    #[error("feed is not valid {format}")]
    Feed {
        /// The format the feed was read as.
        format: &'static str,
        /// The underlying JSON error, when the feed is JSON.
        #[source]
        source: Option<serde_json::Error>,
    },
    /// The model weights could not be read.
    #[error("URL model weights: {0}")]
    Model(String),
    /// A DNS lookup failed in a way that leaves the URIBL check undone.
    #[error("URIBL lookup failed")]
    Dns(#[source] mailsec_dns::DnsError),
}
