//! Sender authentication in one call: SPF, DKIM, ARC and DMARC, with the
//! `Authentication-Results` header that sums them up.

use std::sync::Arc;
use std::time::SystemTime;

use mail_parser::Message;
use mailsec_auth::arc::{ArcOutput, ArcValidator};
use mailsec_auth::authres::{AuthenticationResults, MethodResult};
use mailsec_auth::dkim::{DkimOutput, Verifier};
use mailsec_auth::dmarc::{DmarcInput, DmarcOutput, DmarcVerifier};
use mailsec_auth::spf::{self, SpfConfig, SpfOutput, SpfRecordCache};
use mailsec_dns::Resolver;

use crate::Envelope;

/// Runs SPF, DKIM, ARC and DMARC on a message; built once, shared freely.
///
/// ```
/// use mailsec::{Authenticator, Envelope, ParseLimits};
/// use mailsec::dns::{Record, StaticResolver};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut dns = StaticResolver::new();
/// dns.add("example.org", Record::txt("v=spf1 ip4:192.0.2.0/24 -all"));
/// dns.add("_dmarc.example.org", Record::txt("v=DMARC1; p=reject"));
///
/// let raw = b"From: alice@example.org\r\nSubject: hi\r\n\r\nhello\r\n";
/// let message = ParseLimits::default().parse(raw).unwrap();
/// let envelope = Envelope::new(Some("192.0.2.7".parse().unwrap()), Some("mx.example.org"), Some("alice@example.org"));
///
/// let auth = Authenticator::new("mx.example.net");
/// let report = auth.check(&dns, &envelope, &message, std::time::SystemTime::now()).await;
/// assert_eq!(report.dmarc().result().as_str(), "pass"); // SPF passed and aligns with From
/// assert_eq!(
///     report.authentication_results().to_header_value(),
///     "mx.example.net; spf=pass smtp.mailfrom=alice@example.org; dkim=none; arc=none; \
///      dmarc=pass header.from=example.org policy.dmarc=none"
/// );
/// # });
/// ```
#[derive(Debug)]
pub struct Authenticator {
    authserv_id: String,
    spf: SpfConfig,
    dkim: Verifier,
    arc: ArcValidator,
    dmarc: DmarcVerifier,
}

impl Authenticator {
    /// An authenticator writing `authserv_id` in Authentication-Results, with
    /// the RFC defaults for every check and a cache of parsed SPF records
    /// ([`SpfRecordCache::DEFAULT_CAPACITY`] records, keyed by record text,
    /// so it never goes stale; [`Authenticator::with_spf`] replaces it).
    pub fn new(authserv_id: impl Into<String>) -> Self {
        let authserv_id = authserv_id.into();
        let records = Arc::new(SpfRecordCache::new(SpfRecordCache::DEFAULT_CAPACITY));
        Authenticator {
            spf: SpfConfig::default()
                .with_receiver(authserv_id.clone())
                .with_record_cache(records),
            authserv_id,
            dkim: Verifier::new(),
            arc: ArcValidator::new(),
            dmarc: DmarcVerifier::new(),
        }
    }

    /// Sets the SPF limits.
    #[must_use]
    pub fn with_spf(mut self, config: SpfConfig) -> Self {
        self.spf = config;
        self
    }

    /// Sets the DKIM verifier (algorithms, `l=`, signature limit).
    #[must_use]
    pub fn with_dkim(mut self, verifier: Verifier) -> Self {
        self.dkim = verifier;
        self
    }

    /// Sets the ARC validator.
    #[must_use]
    pub fn with_arc(mut self, validator: ArcValidator) -> Self {
        self.arc = validator;
        self
    }

    /// Sets the DMARC verifier (RFC 9989 or RFC 7489 mode).
    #[must_use]
    pub fn with_dmarc(mut self, verifier: DmarcVerifier) -> Self {
        self.dmarc = verifier;
        self
    }

    /// The `authserv-id` written in Authentication-Results.
    pub fn authserv_id(&self) -> &str {
        &self.authserv_id
    }

    /// Checks a parsed message. SPF, DKIM and ARC run concurrently (they wait
    /// on DNS); DMARC follows from their results. DKIM and ARC read the
    /// message's raw bytes from the parse, so nothing is parsed twice.
    pub async fn check(
        &self,
        resolver: &dyn Resolver,
        envelope: &Envelope,
        message: &Message<'_>,
        now: SystemTime,
    ) -> AuthReport {
        let raw = message.raw_message();
        let helo = envelope.helo.as_deref().unwrap_or("");
        let spf_check = async {
            match envelope.client_ip {
                Some(ip) => Some(
                    spf::check_host(
                        resolver,
                        ip,
                        helo,
                        envelope.mail_from.as_deref().unwrap_or(""),
                        &self.spf,
                        now,
                    )
                    .await,
                ),
                None => None,
            }
        };
        let (spf, dkim, arc) = tokio::join!(
            spf_check,
            self.dkim.verify(raw, resolver, now),
            self.arc.validate(raw, resolver, now)
        );

        let from_addresses = from_addresses(message);
        let mut input = DmarcInput::new();
        for address in &from_addresses {
            input = input.with_from_address(address);
        }
        if let Some(spf) = &spf {
            input = input.with_spf(spf.domain(), spf.result().as_str() == "pass");
        }
        for signature in &dkim {
            input = input.with_dkim(signature.domain(), signature.result().is_pass());
        }
        let dmarc = self.dmarc.verify(resolver, &input).await;

        let mut ar = AuthenticationResults::new(self.authserv_id.clone());
        match &spf {
            Some(spf) => ar.push(
                MethodResult::new("spf", spf.result().as_str()).with_property(
                    "smtp",
                    "mailfrom",
                    spf.sender(),
                ),
            ),
            None => ar.push(MethodResult::new("spf", "none")),
        }
        if dkim.is_empty() {
            ar.push(MethodResult::new("dkim", "none"));
        }
        for signature in &dkim {
            let mut result = MethodResult::new("dkim", signature.result().as_str())
                .with_property("header", "d", signature.domain())
                .with_property("header", "s", signature.selector());
            if let Some(b) = signature.b_text() {
                let short: String = b.chars().filter(|c| !c.is_whitespace()).take(8).collect();
                result = result.with_property("header", "b", short);
            }
            if let Some(reason) = signature.result().reason() {
                result = result.with_reason(reason.to_string());
            }
            ar.push(result);
        }
        ar.push(MethodResult::new("arc", arc.cv().as_str()));
        ar.push(dmarc.to_method_result());

        AuthReport {
            spf,
            dkim,
            arc,
            dmarc,
            authentication_results: ar,
        }
    }
}

/// The addresses of the From header (possibly several).
fn from_addresses(message: &Message<'_>) -> Vec<String> {
    message
        .from()
        .map(|from| {
            from.iter()
                .filter_map(|addr| addr.address())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The results of [`Authenticator::check`].
#[derive(Debug)]
pub struct AuthReport {
    spf: Option<SpfOutput>,
    dkim: Vec<DkimOutput>,
    arc: ArcOutput,
    dmarc: DmarcOutput,
    authentication_results: AuthenticationResults,
}

impl AuthReport {
    /// SPF for the MAIL FROM identity; `None` when no client address was given.
    pub fn spf(&self) -> Option<&SpfOutput> {
        self.spf.as_ref()
    }

    /// The SPF result word (`none` when SPF did not run).
    pub fn spf_word(&self) -> &'static str {
        self.spf.as_ref().map_or("none", |s| s.result().as_str())
    }

    /// One output per DKIM signature, top to bottom; empty when unsigned.
    pub fn dkim(&self) -> &[DkimOutput] {
        &self.dkim
    }

    /// The ARC chain validation.
    pub fn arc(&self) -> &ArcOutput {
        &self.arc
    }

    /// The DMARC evaluation.
    pub fn dmarc(&self) -> &DmarcOutput {
        &self.dmarc
    }

    /// The Authentication-Results header for these results.
    pub fn authentication_results(&self) -> &AuthenticationResults {
        &self.authentication_results
    }
}
