//! The one-pass pipeline: parse once, run every configured check, return
//! one report.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use mailsec_auth::dmarc::Policy;
use mailsec_dns::Resolver;
use mailsec_expiry::ExpiryReport;
use mailsec_links::{LinkChecker, MessageReport, Verdict};
use mailsec_spam::{
    Action, AuthEvidence, AuthWord, DmarcPolicy, Evidence, LinkEvidence, LinkVerdict, Scorer,
    TokenStore,
};

use crate::{AuthReport, Authenticator, Envelope, LimitError, ParseLimits};
#[cfg(feature = "pgp")]
use crate::{Keyring, SignatureReport};

/// Runs every check on a message in one pass.
///
/// Built once (it holds the link checker's lists and model, the spam
/// scorer's weights and the token store) and shared across threads: it is
/// `Send + Sync` and has no global state.
///
/// ```
/// use std::sync::Arc;
/// use mailsec::{Envelope, Pipeline};
/// use mailsec::dns::{Record, StaticResolver};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut dns = StaticResolver::new();
/// dns.add("example.org", Record::txt("v=spf1 ip4:192.0.2.0/24 -all"));
/// let pipeline = Pipeline::builder(Arc::new(dns)).authserv_id("mx.example.net").build()?;
///
/// let raw = b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: lunch\r\n\
///             Date: Fri, 27 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@example.org>\r\n\r\n\
///             See you at noon?\r\n";
/// let envelope = Envelope::new(Some("192.0.2.7".parse()?), Some("mx.example.org"), Some("alice@example.org"));
/// let report = pipeline.check(&envelope, raw, std::time::SystemTime::now()).await?;
/// assert_eq!(report.auth().spf_word(), "pass");
/// assert!(!report.phishing());
/// for (name, value) in report.headers() {
///     println!("{name}: {value}");
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct Pipeline {
    limits: ParseLimits,
    resolver: Arc<dyn Resolver>,
    auth: Authenticator,
    links: LinkChecker,
    scorer: Scorer,
    store: Option<Arc<dyn TokenStore>>,
    #[cfg(feature = "pgp")]
    keyring: Option<Keyring>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("limits", &self.limits)
            .field("authserv_id", &self.auth.authserv_id())
            .field("token_store", &self.store.is_some())
            .finish_non_exhaustive()
    }
}

/// Builds a [`Pipeline`].
#[must_use]
pub struct PipelineBuilder {
    resolver: Arc<dyn Resolver>,
    limits: ParseLimits,
    authserv_id: String,
    links: Option<LinkChecker>,
    scorer: Option<Scorer>,
    store: Option<Arc<dyn TokenStore>>,
    #[cfg(feature = "pgp")]
    keyring: Option<Keyring>,
}

impl PipelineBuilder {
    /// The parse limits (default: [`ParseLimits::default`]).
    pub fn limits(mut self, limits: ParseLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The name of this server in Authentication-Results (default `localhost`).
    pub fn authserv_id(mut self, id: impl Into<String>) -> Self {
        self.authserv_id = id.into();
        self
    }

    /// The link checker (default: [`LinkChecker::new`], the shipped lists and model).
    pub fn link_checker(mut self, checker: LinkChecker) -> Self {
        self.links = Some(checker);
        self
    }

    /// The spam scorer (default: the shipped weights and thresholds).
    pub fn scorer(mut self, scorer: Scorer) -> Self {
        self.scorer = Some(scorer);
        self
    }

    /// The token store of the Bayesian classifier; without one the rules
    /// alone score spam.
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Known senders' OpenPGP certificates: a PGP/MIME signed message
    /// (`multipart/signed`, `application/pgp-signature`) whose From address
    /// has certificates here gets its signature verified
    /// ([`Report::signature`]).
    #[cfg(feature = "pgp")]
    pub fn keyring(mut self, keyring: Keyring) -> Self {
        self.keyring = Some(keyring);
        self
    }

    /// Builds the pipeline; fails only if the shipped link lists or model
    /// cannot be loaded.
    pub fn build(self) -> Result<Pipeline, mailsec_links::LinksError> {
        let links = match self.links {
            Some(l) => l,
            None => LinkChecker::new()?,
        };
        Ok(Pipeline {
            limits: self.limits,
            resolver: self.resolver,
            auth: Authenticator::new(self.authserv_id),
            links,
            scorer: self.scorer.unwrap_or_default(),
            store: self.store,
            #[cfg(feature = "pgp")]
            keyring: self.keyring,
        })
    }
}

impl Pipeline {
    /// A builder over `resolver`, which every DNS-using check asks.
    pub fn builder(resolver: Arc<dyn Resolver>) -> PipelineBuilder {
        PipelineBuilder {
            resolver,
            limits: ParseLimits::default(),
            authserv_id: "localhost".to_owned(),
            links: None,
            scorer: None,
            store: None,
            #[cfg(feature = "pgp")]
            keyring: None,
        }
    }

    /// The resolver every DNS-using check asks.
    pub fn resolver(&self) -> &dyn Resolver {
        self.resolver.as_ref()
    }

    /// The name of this server in Authentication-Results.
    pub fn authserv_id(&self) -> &str {
        self.auth.authserv_id()
    }

    /// The parse limits in force.
    pub fn limits(&self) -> &ParseLimits {
        &self.limits
    }

    /// Checks one message: parses it once within the limits, runs
    /// SPF/DKIM/ARC/DMARC (concurrently, as they wait on DNS), the link
    /// checks, expiry and the spam scorer fed with the others' results, and,
    /// with a [`Keyring`](crate::Keyring), the OpenPGP signature of a
    /// PGP/MIME signed message from a known sender.
    ///
    /// `Err` only when the message breaks a parse limit; every verdict is in
    /// the report.
    pub async fn check(
        &self,
        envelope: &Envelope,
        raw: &[u8],
        now: SystemTime,
    ) -> Result<Report, LimitError> {
        let message = self.limits.parse(raw)?;
        let auth = self
            .auth
            .check(self.resolver.as_ref(), envelope, &message, now)
            .await;
        let links = self.links.check_message(&message);
        let expiry = ExpiryReport::from_message(raw, now);
        let evidence = Evidence {
            auth: auth_evidence(&auth),
            links: link_evidence(&links),
            client_ip: envelope.client_ip,
            received_at: now
                .duration_since(UNIX_EPOCH)
                .ok()
                .and_then(|d| i64::try_from(d.as_secs()).ok()),
            ..Evidence::default()
        };
        let spam = self
            .scorer
            .score(&message, &evidence, self.store.as_deref());
        #[cfg(feature = "pgp")]
        let signature = self.verify_signature(&message, raw, now);
        Ok(Report {
            auth,
            links,
            spam,
            expiry,
            #[cfg(feature = "pgp")]
            signature,
        })
    }

    /// Verifies a PGP/MIME signature when the From address has known
    /// certificates; `None` when there is no keyring, the message is not
    /// PGP/MIME signed or its sender is unknown.
    #[cfg(feature = "pgp")]
    fn verify_signature(
        &self,
        message: &mail_parser::Message<'_>,
        raw: &[u8],
        now: SystemTime,
    ) -> Option<SignatureReport> {
        let keyring = self.keyring.as_ref()?;
        let content_type = mail_parser::MimeHeaders::content_type(message)?;
        let signed = content_type.ctype().eq_ignore_ascii_case("multipart")
            && content_type
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("signed"))
            && content_type
                .attribute("protocol")
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("application/pgp-signature"));
        if !signed {
            return None;
        }
        let from = message
            .from()
            .and_then(|f| f.first())
            .and_then(|a| a.address())?
            .to_ascii_lowercase();
        let certs = keyring.certs_for(&from);
        if certs.is_empty() {
            return None;
        }
        let limits = mailsec_pgp::Limits {
            max_mime_depth: self.limits.max_mime_depth,
            ..mailsec_pgp::Limits::default()
        };
        match mailsec_pgp::Open::new(now)
            .certs(certs)
            .limits(limits)
            .verify(raw)
        {
            Ok(verified) => Some(SignatureReport::new(from, verified.signatures().to_vec())),
            Err(_) => Some(SignatureReport::malformed(from)),
        }
    }
}

fn word(text: &str) -> Option<AuthWord> {
    AuthWord::parse(text)
}

fn auth_evidence(auth: &AuthReport) -> AuthEvidence {
    AuthEvidence {
        spf: auth.spf().and_then(|s| word(s.result().as_str())),
        dkim: auth
            .dkim()
            .iter()
            .filter_map(|d| word(d.result().as_str()))
            .collect(),
        dmarc: word(auth.dmarc().result().as_str()),
        dmarc_policy: auth.dmarc().policy().map(|p| match p {
            Policy::Reject => DmarcPolicy::Reject,
            Policy::Quarantine => DmarcPolicy::Quarantine,
            _ => DmarcPolicy::None,
        }),
    }
}

fn link_verdict(verdict: Verdict) -> LinkVerdict {
    match verdict {
        Verdict::Phishing => LinkVerdict::Phishing,
        Verdict::Suspicious => LinkVerdict::Suspicious,
        _ => LinkVerdict::Safe,
    }
}

/// The link checker's findings as spam evidence: per-link verdict counts,
/// and the message-level verdict with its score and the reason codes of
/// the message and of its flagged links (the `LINKS_MESSAGE_*` symbols).
fn link_evidence(links: &MessageReport) -> LinkEvidence {
    let mut evidence = LinkEvidence::default();
    for link in links.links() {
        match link_verdict(link.verdict()) {
            LinkVerdict::Phishing => evidence.phishing += 1,
            LinkVerdict::Suspicious => evidence.suspicious += 1,
            _ => evidence.safe += 1,
        }
    }
    evidence.message = Some(link_verdict(links.verdict()));
    evidence.message_score = links.score();
    let mut reasons: Vec<String> = Vec::new();
    let flagged = links
        .links()
        .iter()
        .filter(|l| l.verdict() != Verdict::Safe)
        .flat_map(|l| l.reasons());
    for reason in links.reasons().iter().chain(flagged) {
        let code = reason.code().to_owned();
        if !reasons.contains(&code) {
            reasons.push(code);
        }
    }
    evidence.message_reasons = reasons;
    evidence
}

/// Everything the pipeline found about one message.
#[derive(Debug)]
pub struct Report {
    auth: AuthReport,
    links: MessageReport,
    spam: mailsec_spam::Report,
    expiry: ExpiryReport,
    #[cfg(feature = "pgp")]
    signature: Option<SignatureReport>,
}

impl Report {
    /// SPF, DKIM, ARC and DMARC, with the Authentication-Results header.
    pub fn auth(&self) -> &AuthReport {
        &self.auth
    }

    /// Every link with its verdict and reasons, and the message-level verdict.
    pub fn links(&self) -> &MessageReport {
        &self.links
    }

    /// The spam score, its symbols and the action.
    pub fn spam(&self) -> &mailsec_spam::Report {
        &self.spam
    }

    /// The message's expiry metadata.
    pub fn expiry(&self) -> &ExpiryReport {
        &self.expiry
    }

    /// The OpenPGP signature verdict of a PGP/MIME signed message whose
    /// From address has certificates in the pipeline's keyring; `None`
    /// when nothing was verified (no keyring, not signed, unknown sender).
    #[cfg(feature = "pgp")]
    pub fn signature(&self) -> Option<&SignatureReport> {
        self.signature.as_ref()
    }

    /// The action the thresholds chose.
    pub fn action(&self) -> Action {
        self.spam.action()
    }

    /// True when the link checker judged the message phishing.
    pub fn phishing(&self) -> bool {
        self.links.verdict() == Verdict::Phishing
    }

    /// The headers to add: `Authentication-Results`, then the spam headers.
    pub fn headers(&self) -> Vec<(String, String)> {
        let mut headers = vec![(
            "Authentication-Results".to_owned(),
            self.auth.authentication_results().to_header_value(),
        )];
        headers.extend(
            self.spam
                .headers()
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value)),
        );
        headers
    }
}
