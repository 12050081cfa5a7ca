//! Verdicts, reasons and findings.

use std::fmt;

use crate::extract::LinkSource;
use crate::feeds::FeedMatch;
use crate::message_model::MessageFeatures;

/// The judgement on a link or a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Verdict {
    /// Nothing found against it.
    Safe,
    /// Signs of deception; confirm before following.
    Suspicious,
    /// Phishing: known bad, or several strong signs.
    Phishing,
}

impl Verdict {
    /// The lower-case word (`safe`, `suspicious`, `phishing`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Safe => "safe",
            Verdict::Suspicious => "suspicious",
            Verdict::Phishing => "phishing",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a link or a message was judged as it was. Each reason carries its
/// evidence; [`Reason::code`] is a stable identifier and `Display` explains it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Reason {
    /// The URL, its host or its domain is on a block list or phishing feed.
    Blocklisted {
        /// What matched.
        matched: FeedMatch,
    },
    /// The URL's domain is on the allow list or is one of the caller's own.
    Allowlisted,
    /// The visible text shows a URL or domain other than the link's target.
    DisplayMismatch {
        /// The registered domain the text shows.
        shown_domain: String,
        /// The registered domain the link goes to.
        target_domain: String,
        /// Whether the text is itself a URL (`http…`, `www.…`) rather than
        /// a sentence or a name that mentions a domain.
        whole_text: bool,
    },
    /// The visible text shows a protected brand's domain; the link goes elsewhere.
    BrandDisplayMismatch {
        /// The brand shown.
        brand: String,
    },
    /// The text says `https` but the link is plain `http`.
    HttpsDowngrade,
    /// The host looks like a protected brand (TR39 confusable skeleton).
    Confusable {
        /// The brand imitated.
        brand: String,
        /// The host as a reader sees it (Unicode).
        host: String,
    },
    /// A host label mixes scripts (e.g. Latin and Cyrillic).
    MixedScript {
        /// The host as a reader sees it.
        host: String,
    },
    /// The registered domain is one or two edits from a protected brand.
    Typosquat {
        /// The brand imitated.
        brand: String,
        /// Edits between the domain label and the brand's name (1 or 2).
        distance: usize,
    },
    /// A protected brand's name is in the registered domain of another owner.
    BrandInDomain {
        /// The brand named.
        brand: String,
    },
    /// A protected brand's name is in a subdomain of another owner's domain.
    BrandInSubdomain {
        /// The brand named.
        brand: String,
    },
    /// A protected brand's name is in the path of another owner's URL.
    BrandInPath {
        /// The brand named.
        brand: String,
    },
    /// The host is an IP address literal.
    IpHost {
        /// Whether the address is private, loopback or link-local.
        private: bool,
    },
    /// The authority carries `user@` before the host (`https://bank.com@evil.example/`).
    UserInfo {
        /// The text before `@`, which a reader may take for the host.
        user: String,
    },
    /// A URL shortener hides the destination.
    Shortener {
        /// The shortener.
        service: String,
    },
    /// The top-level domain has a high share of abuse.
    SuspiciousTld {
        /// The TLD.
        tld: String,
    },
    /// The host is on free hosting or dynamic DNS.
    FreeHosting {
        /// The service.
        service: String,
    },
    /// Login, verify or payment words in the URL.
    CredentialWords {
        /// How many such words.
        count: usize,
    },
    /// Zero-width or bidi control characters in the URL or its text.
    InvisibleChars,
    /// A `javascript:`, `vbscript:` or `data:` URL.
    DangerousScheme {
        /// The scheme.
        scheme: String,
    },
    /// An explicit non-default port.
    NonStandardPort {
        /// The port.
        port: u16,
    },
    /// The link forwards to another URL (given in its query or path).
    Redirect {
        /// The nested URL.
        target: String,
    },
    /// The lexical model finds the URL likely phishing.
    Model {
        /// The model's probability.
        probability: f32,
    },
    /// The registered domain is listed on a URI block list in DNS.
    Uribl {
        /// The list's zone.
        zone: String,
    },
    /// The From display name names a protected brand; the address is elsewhere.
    BrandDisplayName {
        /// The brand named.
        brand: String,
        /// Whether the name starts with the brand ("PayPal Service") rather
        /// than mentioning it ("Lockergnome Apple Core").
        leading: bool,
    },
    /// Reply-To goes to another domain than From.
    ReplyToMismatch {
        /// The From domain.
        from_domain: String,
        /// The Reply-To domain.
        reply_to_domain: String,
    },
    /// The text asks for credentials or payment with urgency or threat.
    CredentialRequest {
        /// Distinct request phrases ("verify your", "enter your password" ...).
        requests: usize,
        /// Distinct pressure phrases ("suspended", "within 24 hours" ...).
        pressure: usize,
    },
    /// The message holds an HTML form.
    HtmlForm {
        /// Password fields in it.
        password_fields: usize,
    },
    /// An HTML file is attached (local phishing pages evade link checks).
    HtmlAttachment {
        /// The file name, if given.
        name: String,
    },
    /// The body is little more than a link or a form.
    OnlyLink,
    /// The message model, combining the message's explained features,
    /// rates the message likely phishing.
    MessageModel {
        /// The model's probability.
        probability: f32,
        /// Whether it reached the model's phishing threshold (else suspicious).
        phishing: bool,
        /// The features that weighed most (names from [`crate::MESSAGE_FEATURES`]).
        evidence: Vec<String>,
    },
    /// The content model rates the wording as phishing-like; the words and
    /// word pairs that pushed most (given with a [`Reason::MessageModel`]
    /// whose evidence includes `content_words`).
    ContentWords {
        /// The content model's probability.
        probability: f32,
        /// The strongest words and word pairs, lower-cased.
        words: Vec<String>,
    },
}

impl Reason {
    /// A stable snake_case identifier.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Blocklisted { .. } => "blocklisted",
            Reason::Allowlisted => "allowlisted",
            Reason::DisplayMismatch { .. } => "display_mismatch",
            Reason::BrandDisplayMismatch { .. } => "brand_display_mismatch",
            Reason::HttpsDowngrade => "https_downgrade",
            Reason::Confusable { .. } => "confusable",
            Reason::MixedScript { .. } => "mixed_script",
            Reason::Typosquat { .. } => "typosquat",
            Reason::BrandInDomain { .. } => "brand_in_domain",
            Reason::BrandInSubdomain { .. } => "brand_in_subdomain",
            Reason::BrandInPath { .. } => "brand_in_path",
            Reason::IpHost { .. } => "ip_host",
            Reason::UserInfo { .. } => "userinfo",
            Reason::Shortener { .. } => "shortener",
            Reason::SuspiciousTld { .. } => "suspicious_tld",
            Reason::FreeHosting { .. } => "free_hosting",
            Reason::CredentialWords { .. } => "credential_words",
            Reason::InvisibleChars => "invisible_chars",
            Reason::DangerousScheme { .. } => "dangerous_scheme",
            Reason::NonStandardPort { .. } => "non_standard_port",
            Reason::Redirect { .. } => "redirect",
            Reason::Model { .. } => "url_model",
            Reason::Uribl { .. } => "uribl",
            Reason::BrandDisplayName { .. } => "brand_display_name",
            Reason::ReplyToMismatch { .. } => "reply_to_mismatch",
            Reason::CredentialRequest { .. } => "credential_request",
            Reason::HtmlForm { .. } => "html_form",
            Reason::HtmlAttachment { .. } => "html_attachment",
            Reason::OnlyLink => "only_link",
            Reason::MessageModel { .. } => "message_model",
            Reason::ContentWords { .. } => "content_words",
        }
    }

    /// How much the reason weighs: a link or message reaches `suspicious`
    /// at 0.5 and `phishing` at 1.0 (the sum of its reasons' weights).
    pub fn weight(&self) -> f32 {
        match self {
            Reason::Blocklisted { .. } => 3.0,
            Reason::Allowlisted => 0.0,
            Reason::DisplayMismatch {
                whole_text: true, ..
            } => 0.6,
            Reason::DisplayMismatch { .. } => 0.3,
            Reason::BrandDisplayMismatch { .. } => 0.6,
            Reason::HttpsDowngrade => 0.2,
            Reason::Confusable { .. } => 1.2,
            Reason::MixedScript { .. } => 0.6,
            Reason::Typosquat { distance: 1, .. } => 0.9,
            Reason::Typosquat { .. } => 0.6,
            Reason::BrandInDomain { .. } => 0.5,
            Reason::BrandInSubdomain { .. } => 0.7,
            Reason::BrandInPath { .. } => 0.3,
            Reason::IpHost { private: false } => 0.6,
            Reason::IpHost { private: true } => 0.2,
            Reason::UserInfo { user } if user.contains('.') => 1.0,
            Reason::UserInfo { .. } => 0.6,
            Reason::Shortener { .. } => 0.3,
            Reason::SuspiciousTld { .. } => 0.3,
            Reason::FreeHosting { .. } => 0.4,
            Reason::CredentialWords { count } if *count >= 2 => 0.1,
            Reason::CredentialWords { .. } => 0.0,
            Reason::InvisibleChars => 0.7,
            Reason::DangerousScheme { scheme } if scheme == "javascript" => 0.5,
            Reason::DangerousScheme { .. } => 0.8,
            Reason::NonStandardPort { .. } => 0.2,
            Reason::Redirect { .. } => 0.0,
            Reason::Model { .. } => 0.0, // weighted by the checker from the model's thresholds
            Reason::Uribl { .. } => 1.0,
            Reason::BrandDisplayName { leading: true, .. } => 0.65,
            Reason::BrandDisplayName { .. } => 0.4,
            Reason::ReplyToMismatch { .. } => 0.1,
            Reason::CredentialRequest { requests, pressure } if requests + pressure >= 3 => 0.65,
            Reason::CredentialRequest { .. } => 0.5,
            Reason::HtmlForm { password_fields: 0 } => 0.1,
            Reason::HtmlForm { .. } => 0.8,
            Reason::HtmlAttachment { .. } => 0.5,
            Reason::OnlyLink => 0.2,
            Reason::MessageModel { .. } => 0.0, // raises the verdict directly (see the checker)
            Reason::ContentWords { .. } => 0.0, // explains the message model
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Blocklisted { matched } => {
                write!(f, "listed on a phishing feed or block list ({matched:?})")
            }
            Reason::Allowlisted => write!(f, "the domain is allow-listed"),
            Reason::DisplayMismatch {
                shown_domain,
                target_domain,
                ..
            } => {
                write!(
                    f,
                    "the text shows {shown_domain} but the link goes to {target_domain}"
                )
            }
            Reason::BrandDisplayMismatch { brand } => write!(
                f,
                "the text shows a {brand} address; the link goes elsewhere"
            ),
            Reason::HttpsDowngrade => write!(f, "the text says https but the link is plain http"),
            Reason::Confusable { brand, host } => {
                write!(f, "{host} looks like {brand} (confusable characters)")
            }
            Reason::MixedScript { host } => write!(f, "{host} mixes writing systems"),
            Reason::Typosquat { brand, distance } => {
                write!(f, "the domain is {distance} edit(s) from {brand}")
            }
            Reason::BrandInDomain { brand } => write!(
                f,
                "the domain uses the name {brand} but does not belong to it"
            ),
            Reason::BrandInSubdomain { brand } => {
                write!(f, "{brand} appears in a subdomain of an unrelated domain")
            }
            Reason::BrandInPath { brand } => {
                write!(f, "{brand} appears in the path of an unrelated site")
            }
            Reason::IpHost { private } => {
                write!(
                    f,
                    "the link goes to a bare IP address{}",
                    if *private { " (private)" } else { "" }
                )
            }
            Reason::UserInfo { user } => write!(
                f,
                "{user:?} before '@' is not the host; the host comes after it"
            ),
            Reason::Shortener { service } => {
                write!(f, "the shortener {service} hides the destination")
            }
            Reason::SuspiciousTld { tld } => {
                write!(f, "the .{tld} top-level domain is often abused")
            }
            Reason::FreeHosting { service } => {
                write!(f, "hosted on {service}, where anyone can publish")
            }
            Reason::CredentialWords { count } => {
                write!(f, "{count} login/verify/payment word(s) in the URL")
            }
            Reason::InvisibleChars => write!(f, "invisible or direction-changing characters"),
            Reason::DangerousScheme { scheme } => {
                write!(f, "a {scheme}: URL runs or embeds content")
            }
            Reason::NonStandardPort { port } => write!(f, "an unusual port {port}"),
            Reason::Redirect { target } => write!(f, "forwards to {target}"),
            Reason::Model { probability } => write!(
                f,
                "the URL model rates it {:.0}% likely phishing",
                probability * 100.0
            ),
            Reason::Uribl { zone } => write!(f, "the domain is listed on {zone}"),
            Reason::BrandDisplayName { brand, .. } => write!(
                f,
                "the sender name says {brand} but the address is not theirs"
            ),
            Reason::ReplyToMismatch {
                from_domain,
                reply_to_domain,
            } => {
                write!(
                    f,
                    "replies go to {reply_to_domain}, not the sender's {from_domain}"
                )
            }
            Reason::CredentialRequest { requests, pressure } => {
                write!(
                    f,
                    "the text asks for account details ({requests} request and {pressure} pressure phrase(s))"
                )
            }
            Reason::HtmlForm { password_fields } => {
                write!(f, "an HTML form ({password_fields} password field(s))")
            }
            Reason::HtmlAttachment { name } => write!(f, "an attached HTML page {name:?}"),
            Reason::OnlyLink => write!(f, "the message is little more than a link"),
            Reason::MessageModel {
                probability,
                evidence,
                ..
            } => write!(
                f,
                "the message model rates it {:.0}% likely phishing (mostly: {})",
                probability * 100.0,
                evidence.join(", ")
            ),
            Reason::ContentWords { probability, words } => write!(
                f,
                "the wording reads {:.0}% like phishing (words: {})",
                probability * 100.0,
                words
                    .iter()
                    .map(|w| format!("{w:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// One link and its judgement.
#[derive(Debug, Clone)]
pub struct LinkFinding {
    pub(crate) url: String,
    pub(crate) shown: Option<String>,
    pub(crate) source: LinkSource,
    pub(crate) verdict: Verdict,
    pub(crate) score: f32,
    pub(crate) reasons: Vec<Reason>,
    pub(crate) host: Option<String>,
    pub(crate) registered_domain: Option<String>,
    /// The part of `score` the lexical model contributed.
    pub(crate) model_part: f32,
    /// The lexical model's probability, also below its threshold (0 when
    /// the model did not judge the link); read by the message model.
    pub(crate) url_p: f32,
}

impl LinkFinding {
    /// The destination (normalised; as written when it does not parse).
    pub fn url(&self) -> &str {
        &self.url
    }
    /// The visible text of the anchor, if any.
    pub fn shown(&self) -> Option<&str> {
        self.shown.as_deref()
    }
    /// Where the link was found.
    pub fn source(&self) -> LinkSource {
        self.source
    }
    /// The verdict.
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }
    /// The sum of the reasons' weights (0.5 suspicious, 1.0 phishing).
    pub fn score(&self) -> f32 {
        self.score
    }
    /// The reasons, strongest first.
    pub fn reasons(&self) -> &[Reason] {
        &self.reasons
    }
    /// The host as a reader should see it (Unicode).
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
    /// The registered domain: what a confirmation dialog highlights.
    pub fn registered_domain(&self) -> Option<&str> {
        self.registered_domain.as_deref()
    }

    /// The host split for a confirmation dialog: `(before, registered
    /// domain, after)` so that `before + registered + after` is the host
    /// and the middle part can be shown in bold.
    pub fn host_highlight(&self) -> Option<(String, String, String)> {
        let host = self.host.as_deref()?;
        let reg = self.registered_domain.as_deref()?;
        let reg_unicode = if reg.contains("xn--") {
            idna::domain_to_unicode(reg).0
        } else {
            reg.to_owned()
        };
        let before = host.strip_suffix(reg_unicode.as_str())?;
        Some((before.to_owned(), reg_unicode, String::new()))
    }
}

/// The judgement on a message: its links and the message-level reasons.
#[derive(Debug, Clone)]
pub struct MessageReport {
    pub(crate) verdict: Verdict,
    pub(crate) score: f32,
    pub(crate) links: Vec<LinkFinding>,
    pub(crate) reasons: Vec<Reason>,
    pub(crate) features: MessageFeatures,
    /// The verdict of the rules alone (strongest link plus message reasons).
    pub(crate) rule_verdict: Verdict,
}

impl MessageReport {
    /// The explained message features the message model combined.
    pub fn features(&self) -> &MessageFeatures {
        &self.features
    }
    /// The verdict of the rules alone, before the message model.
    pub fn rule_verdict(&self) -> Verdict {
        self.rule_verdict
    }
    /// The message-level verdict.
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }
    /// The message score (strongest clickable link plus message-level reasons).
    pub fn score(&self) -> f32 {
        self.score
    }
    /// Every link found, in message order (duplicates removed).
    pub fn links(&self) -> &[LinkFinding] {
        &self.links
    }
    /// Message-level reasons (sender name, Reply-To, wording, forms, attachments).
    pub fn reasons(&self) -> &[Reason] {
        &self.reasons
    }
}
