//! [`PipelineHandler`]: the `mailsec` pipeline served as a milter.
//!
//! Inbound mail runs through [`mailsec::Pipeline`]: `Authentication-Results`
//! and `X-Spam-*` headers are added, spam is rejected or greylisted by the
//! configured action, a temporary DNS failure tempfails (or accepts), and
//! mail to mailboxes with a configured certificate gets its body replaced by
//! the zero-access encrypted form. Outbound mail (the client authenticated,
//! `{auth_authen}`, or connects from a configured client network) is
//! DKIM-signed and, when forwarded, ARC-sealed.
//!
//! **Zero-access and several recipients.** Postfix stores one copy of a
//! message for all its recipients, so the milter can only encrypt all of
//! them or none: the body is replaced only when *every* recipient has a
//! certificate configured, and is then encrypted to all their certificates
//! together (each recipient can open it). With one recipient or more without
//! a certificate the message is delivered in the clear to everyone (logged
//! at `info`); split such mail per recipient before the milter (e.g.
//! Postfix `smtpd_recipient_limit`, or a per-recipient transport) if every
//! configured mailbox must only ever store ciphertext.
//!
//! **Forwarded** outbound mail, which gets an ARC set, is mail that
//! already carries an ARC set, or an `Authentication-Results` header from
//! this server's authserv-id (it arrived here and leaves again), or whose
//! From domain is not one of the local domains (when local domains are
//! configured). The ARC-Authentication-Results payload is this server's
//! `Authentication-Results` value from arrival when there is one, else the
//! submission's `auth=pass smtp.auth=USER` (or `none` for a client network).
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use mailsec::dns::{Record, StaticResolver};
//! use mailsec_milter::protocol::EnvelopeAddress;
//! use mailsec_milter::{Direction, Envelope, HeaderEdit, MessageHandler, PipelineHandler};
//!
//! let mut dns = StaticResolver::new();
//! dns.add("example.org", Record::txt("v=spf1 ip4:192.0.2.0/24 -all"));
//! let pipeline = mailsec::Pipeline::builder(Arc::new(dns))
//!     .authserv_id("mx.example.net")
//!     .build()?;
//! let handler = PipelineHandler::builder(pipeline)
//!     .client_network("10.0.0.0/8".parse()?)
//!     .build();
//!
//! let envelope = Envelope::new()
//!     .with_macro(b'C', "{client_addr}", "192.0.2.7")
//!     .with_mail_from(EnvelopeAddress { address: "<alice@example.org>".into(), args: vec![] });
//! assert_eq!(handler.direction(&envelope), Direction::Inbound);
//! let message = b"From: alice@example.org\r\nSubject: hi\r\n\r\nhello\r\n";
//! let verdict = handler.on_message(&envelope, message).await;
//! assert!(verdict.header_edits().iter().any(|e| matches!(
//!     e,
//!     HeaderEdit::Insert { name, value, .. }
//!         if name == "Authentication-Results" && value.contains("spf=pass")
//! )));
//!
//! let submission = Envelope::new().with_macro(b'C', "{client_addr}", "10.1.2.3");
//! assert_eq!(handler.direction(&submission), Direction::Outbound);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::SystemTime;

use mailsec::auth::arc::{ArcSealer, ArcValidator};
use mailsec::auth::dkim::Signer;
use mailsec::pgp::StorageProtector;
use mailsec::pgp::openpgp::Cert;
use mailsec::spam::Action as SpamAction;
use mailsec::{Envelope as PipelineEnvelope, Pipeline};

use crate::{Envelope, HeaderEdit, MessageHandler, Verdict};

/// An IP network in CIDR notation (`192.0.2.0/24`, `2001:db8::/32`, or a
/// bare address for one host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNetwork {
    addr: IpAddr,
    prefix: u8,
}

impl IpNetwork {
    /// True when `ip` is inside this network (an IPv4-mapped IPv6 address
    /// counts as its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// A string that is not an IP network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an IP network (ADDR/PREFIX): {0:?}")]
pub struct BadNetwork(String);

impl std::str::FromStr for IpNetwork {
    type Err = BadNetwork;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadNetwork(s.to_owned());
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().map_err(|_| bad())?,
            None => max,
        };
        if prefix > max {
            return Err(bad());
        }
        Ok(IpNetwork { addr, prefix })
    }
}

impl std::fmt::Display for IpNetwork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// What a temporary DNS failure while authenticating the sender does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnDnsFailure {
    /// Answer `451 4.4.3`: the client retries later (default).
    #[default]
    Tempfail,
    /// Accept with the `temperror` results in the headers.
    Accept,
}

/// Serves a [`Pipeline`] to the MTA (a builder: [`PipelineHandler::builder`]).
pub struct PipelineHandler {
    pipeline: Pipeline,
    on_dns_failure: OnDnsFailure,
    reject: bool,
    dkim: Option<Signer>,
    arc: Option<ArcSealer>,
    client_networks: Vec<IpNetwork>,
    local_domains: Vec<String>,
    zero_access: HashMap<String, Vec<Cert>>,
    fixed_now: Option<SystemTime>,
}

impl std::fmt::Debug for PipelineHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelineHandler")
            .field("pipeline", &self.pipeline)
            .field("on_dns_failure", &self.on_dns_failure)
            .field("reject", &self.reject)
            .field("dkim", &self.dkim.is_some())
            .field("arc", &self.arc.is_some())
            .field("client_networks", &self.client_networks)
            .field("local_domains", &self.local_domains)
            .field("zero_access", &self.zero_access.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Builds a [`PipelineHandler`].
#[must_use]
#[derive(Debug)]
pub struct PipelineHandlerBuilder {
    handler: PipelineHandler,
}

impl PipelineHandlerBuilder {
    /// What a temporary DNS failure does (default [`OnDnsFailure::Tempfail`]).
    pub fn on_dns_failure(mut self, what: OnDnsFailure) -> Self {
        self.handler.on_dns_failure = what;
        self
    }

    /// Whether the `reject` action refuses the message (default true);
    /// false only adds the headers.
    pub fn reject(mut self, reject: bool) -> Self {
        self.handler.reject = reject;
        self
    }

    /// DKIM-signs outbound mail with this signer.
    pub fn dkim_signer(mut self, signer: Signer) -> Self {
        self.handler.dkim = Some(signer);
        self
    }

    /// ARC-seals forwarded outbound mail with this sealer.
    pub fn arc_sealer(mut self, sealer: ArcSealer) -> Self {
        self.handler.arc = Some(sealer);
        self
    }

    /// A client network whose mail is outbound (besides authenticated
    /// submissions).
    pub fn client_network(mut self, network: IpNetwork) -> Self {
        self.handler.client_networks.push(network);
        self
    }

    /// A domain of ours: outbound mail from another From domain is
    /// forwarded mail.
    pub fn local_domain(mut self, domain: &str) -> Self {
        self.handler
            .local_domains
            .push(domain.trim().trim_end_matches('.').to_ascii_lowercase());
        self
    }

    /// Inbound mail to `mailbox` (an address) is stored zero-access
    /// encrypted to `cert` (call again to add a second certificate).
    pub fn zero_access(mut self, mailbox: &str, cert: Cert) -> Self {
        self.handler
            .zero_access
            .entry(mailbox.trim().to_ascii_lowercase())
            .or_default()
            .push(cert);
        self
    }

    /// Fixes the clock (reproducible runs); default the system clock.
    pub fn now(mut self, now: SystemTime) -> Self {
        self.handler.fixed_now = Some(now);
        self
    }

    /// The handler.
    pub fn build(self) -> PipelineHandler {
        self.handler
    }
}

/// Where a message goes, as the handler judged it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Direction {
    /// From outside to our mailboxes: checked.
    Inbound,
    /// Submitted by an authenticated user or a client network: signed.
    Outbound,
}

impl PipelineHandler {
    /// A builder serving `pipeline`.
    pub fn builder(pipeline: Pipeline) -> PipelineHandlerBuilder {
        PipelineHandlerBuilder {
            handler: PipelineHandler {
                pipeline,
                on_dns_failure: OnDnsFailure::Tempfail,
                reject: true,
                dkim: None,
                arc: None,
                client_networks: Vec::new(),
                local_domains: Vec::new(),
                zero_access: HashMap::new(),
                fixed_now: None,
            },
        }
    }

    fn now(&self) -> SystemTime {
        self.fixed_now.unwrap_or_else(SystemTime::now)
    }

    /// Outbound when the client authenticated (`{auth_authen}`) or its
    /// address is in a configured client network; else inbound.
    pub fn direction(&self, envelope: &Envelope) -> Direction {
        let from_network = envelope
            .client_ip()
            .is_some_and(|ip| self.client_networks.iter().any(|n| n.contains(ip)));
        if envelope.auth_authen().is_some() || from_network {
            Direction::Outbound
        } else {
            Direction::Inbound
        }
    }

    /// True when outbound `message` is forwarded mail (see the module docs).
    fn forwarded(&self, headers: &[(String, String)]) -> bool {
        let id = self.pipeline.authserv_id();
        let has_arc = headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("ARC-Seal"));
        let ours = headers.iter().any(|(n, v)| {
            n.eq_ignore_ascii_case("Authentication-Results") && authserv_id_of(v) == Some(id)
        });
        let foreign_from = !self.local_domains.is_empty()
            && from_domain(headers).is_some_and(|d| !self.local_domains.contains(&d));
        has_arc || ours || foreign_from
    }

    async fn outbound(&self, envelope: &Envelope, message: &[u8]) -> Verdict {
        let now = self.now();
        let mut verdict = Verdict::accept();
        let mut signed_message = None;
        if let Some(signer) = &self.dkim {
            match signer.sign(message, now) {
                Ok(field) => {
                    let value = field_value(&field);
                    match HeaderEdit::insert(0, "DKIM-Signature", &value) {
                        Ok(edit) => {
                            verdict = verdict.edit(edit);
                            let mut m = Vec::with_capacity(field.len() + message.len() + 2);
                            m.extend_from_slice(field.trim_end().as_bytes());
                            m.extend_from_slice(b"\r\n");
                            m.extend_from_slice(message);
                            signed_message = Some(m);
                        }
                        Err(e) => tracing::error!(error = %e, "cannot add the DKIM signature"),
                    }
                }
                Err(e) => tracing::error!(error = %e, "DKIM signing failed"),
            }
        }
        let Some(sealer) = &self.arc else {
            return verdict;
        };
        let headers = parse_headers(message);
        if !self.forwarded(&headers) {
            return verdict;
        }
        let message = signed_message.as_deref().unwrap_or(message);
        let chain = ArcValidator::new()
            .validate(message, self.pipeline.resolver(), now)
            .await;
        let id = self.pipeline.authserv_id();
        let authres = headers
            .iter()
            .find(|(n, v)| {
                n.eq_ignore_ascii_case("Authentication-Results") && authserv_id_of(v) == Some(id)
            })
            .map(|(_, v)| unfold(v))
            .unwrap_or_else(|| match envelope.auth_authen() {
                Some(user) if is_token(user) => format!("{id}; auth=pass smtp.auth={user}"),
                _ => format!("{id}; none"),
            });
        match sealer.seal(message, &chain, &authres, now) {
            Ok(set) => {
                // Inserted in reverse at the top: ARC-Seal ends up first.
                let fields = parse_headers(set.as_bytes());
                for (name, value) in fields.iter().rev() {
                    match HeaderEdit::insert(0, name, &unfold(value)) {
                        Ok(edit) => verdict = verdict.edit(edit),
                        Err(e) => tracing::error!(error = %e, "cannot add the ARC set"),
                    }
                }
                tracing::info!(
                    instance = chain.instances() + 1,
                    "ARC-sealed forwarded mail"
                );
            }
            Err(e) => tracing::warn!(error = %e, "ARC sealing failed; sent unsealed"),
        }
        verdict
    }

    async fn inbound(&self, envelope: &Envelope, message: &[u8]) -> Verdict {
        let ours = PipelineEnvelope {
            client_ip: envelope.client_ip(),
            helo: envelope.helo().map(str::to_owned),
            mail_from: envelope.mail_from().map(|a| a.bare().to_owned()),
            recipients: envelope
                .rcpts()
                .iter()
                .map(|a| a.bare().to_owned())
                .collect(),
            authenticated_user: None,
        };
        let now = self.now();
        let report = match self.pipeline.check(&ours, message, now).await {
            Ok(report) => report,
            Err(e) => {
                tracing::warn!(error = %e, "message over the parse limits; accepted unscanned");
                return Verdict::accept();
            }
        };
        let auth = report.auth();
        let dns_failed = auth.spf_word() == "temperror"
            || auth.dmarc().result().as_str() == "temperror"
            || auth
                .dkim()
                .iter()
                .any(|d| d.result().as_str() == "temperror");
        if dns_failed && self.on_dns_failure == OnDnsFailure::Tempfail {
            return tempfail(
                "4.4.3",
                "temporary DNS failure while authenticating the sender",
            );
        }
        match report.action() {
            SpamAction::Reject if self.reject => {
                return Verdict::reject(550, Some("5.7.1"), "message rejected as spam")
                    .unwrap_or_else(|_| Verdict::accept());
            }
            SpamAction::Greylist => {
                return tempfail("4.7.1", "greylisted, please try again later");
            }
            _ => {}
        }
        let added = report.headers();
        if let Some(certs) = self.zero_access_certs(envelope) {
            match zero_access(message, &added, &certs, now) {
                Ok(verdict) => {
                    tracing::info!(
                        rcpts = envelope.rcpts().len(),
                        "body replaced by its zero-access encrypted form"
                    );
                    return verdict;
                }
                Err(e) => {
                    // Never deliver in the clear what should be stored encrypted.
                    tracing::error!(error = %e, "zero-access encryption failed");
                    return tempfail("4.3.0", "cannot encrypt the message for storage");
                }
            }
        }
        let mut verdict = Verdict::accept();
        for (name, value) in &added {
            match HeaderEdit::insert(0, name, value) {
                Ok(edit) => verdict = verdict.edit(edit),
                Err(e) => tracing::warn!(error = %e, header = %name, "header not added"),
            }
        }
        verdict
    }

    /// The certificates to encrypt to, when every recipient has some.
    fn zero_access_certs(&self, envelope: &Envelope) -> Option<Vec<&Cert>> {
        if self.zero_access.is_empty() || envelope.rcpts().is_empty() {
            return None;
        }
        let mut certs: Vec<&Cert> = Vec::new();
        let mut missing = 0usize;
        for rcpt in envelope.rcpts() {
            match self.zero_access.get(&rcpt.bare().to_ascii_lowercase()) {
                Some(cs) => {
                    for c in cs {
                        if !certs.iter().any(|k| k.fingerprint() == c.fingerprint()) {
                            certs.push(c);
                        }
                    }
                }
                None => missing += 1,
            }
        }
        if missing > 0 {
            if !certs.is_empty() {
                tracing::info!(
                    missing,
                    "not every recipient has a zero-access certificate; delivered in the clear"
                );
            }
            return None;
        }
        Some(certs)
    }
}

#[async_trait::async_trait]
impl MessageHandler for PipelineHandler {
    async fn on_message(&self, envelope: &Envelope, message: &[u8]) -> Verdict {
        match self.direction(envelope) {
            Direction::Outbound => self.outbound(envelope, message).await,
            Direction::Inbound => self.inbound(envelope, message).await,
        }
    }
}

fn tempfail(enhanced: &str, text: &str) -> Verdict {
    Verdict::tempfail(451, Some(enhanced), text).unwrap_or_else(|_| Verdict::accept())
}

/// The zero-access verdict: the message as it will be stored (our headers
/// on top) is encrypted; header edits turn the MTA's copy's headers into the
/// encrypted form's outer headers, and the body is replaced.
fn zero_access(
    message: &[u8],
    added: &[(String, String)],
    certs: &[&Cert],
    now: SystemTime,
) -> Result<Verdict, mailsec::pgp::Error> {
    let mut full = Vec::with_capacity(message.len() + 1024);
    for (name, value) in added {
        full.extend_from_slice(name.as_bytes());
        full.extend_from_slice(b": ");
        full.extend_from_slice(value.as_bytes());
        full.extend_from_slice(b"\r\n");
    }
    full.extend_from_slice(message);
    let mut owners = certs.iter();
    let Some(first) = owners.next() else {
        return Ok(Verdict::accept());
    };
    // The server's own verdict headers stay readable too (server-side
    // filtering into Junk needs X-Spam-Status).
    let mut clear: Vec<String> = mailsec::pgp::STORAGE_CLEAR_HEADERS
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    for (name, _) in added {
        if !clear.iter().any(|c| c.eq_ignore_ascii_case(name)) {
            clear.push(name.clone());
        }
    }
    let protector = owners
        .fold(StorageProtector::new(first, now), |p, c| p.owner(c))
        .keep_clear(clear);
    let protected = protector.protect(&full)?;
    let (_, body) = split_at_body(&protected);
    let outer = parse_headers(&protected);
    let original = parse_headers(message);

    // Which original headers survive unchanged (matched in order, each once).
    let mut outer_used = vec![false; outer.len()];
    let mut deletes: Vec<(String, u32)> = Vec::new();
    let mut occurrences: HashMap<String, u32> = HashMap::new();
    for (name, value) in &original {
        let key = name.to_ascii_lowercase();
        let n = occurrences.entry(key).or_insert(0);
        *n += 1;
        let found = outer.iter().enumerate().position(|(i, (on, ov))| {
            !outer_used.get(i).copied().unwrap_or(true)
                && on.eq_ignore_ascii_case(name)
                && unfold(ov).trim() == unfold(value).trim()
        });
        match found.and_then(|i| outer_used.get_mut(i)) {
            Some(used) => *used = true,
            None => deletes.push((name.clone(), *n)),
        }
    }
    let mut verdict = Verdict::accept();
    // Deletions first, the last occurrence of a name first, so the
    // occurrence numbers of those still to delete do not move.
    deletes.sort_by(|a, b| {
        a.0.to_ascii_lowercase()
            .cmp(&b.0.to_ascii_lowercase())
            .then(b.1.cmp(&a.1))
    });
    for (name, occurrence) in &deletes {
        if let Ok(edit) = HeaderEdit::delete(name, *occurrence) {
            verdict = verdict.edit(edit);
        }
    }
    // The new outer headers, in their order, at the top.
    let new: Vec<&(String, String)> = outer
        .iter()
        .zip(&outer_used)
        .filter(|(_, used)| !**used)
        .map(|(h, _)| h)
        .collect();
    for (i, (name, value)) in new.iter().enumerate() {
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        if let Ok(edit) = HeaderEdit::insert(index, name, &unfold(value)) {
            verdict = verdict.edit(edit);
        }
    }
    Ok(verdict.replace_body(body.to_vec()))
}

/// The value of a `Name: value` field, unfolded and trimmed.
fn field_value(field: &str) -> String {
    field
        .split_once(':')
        .map_or("", |(_, v)| v)
        .replace("\r\n", "")
        .trim()
        .to_owned()
}

/// Removes the line breaks of folded header values.
fn unfold(value: &str) -> String {
    value
        .replace("\r\n", "")
        .replace('\n', "")
        .trim()
        .to_owned()
}

/// The header section and the body (after the first empty line).
fn split_at_body(message: &[u8]) -> (&[u8], &[u8]) {
    let mut i = 0;
    while i < message.len() {
        let line_end = message
            .get(i..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
            .map_or(message.len(), |p| i + p + 1);
        let line = message.get(i..line_end).unwrap_or_default();
        if line == b"\r\n" || line == b"\n" {
            return (
                message.get(..i).unwrap_or_default(),
                message.get(line_end..).unwrap_or_default(),
            );
        }
        i = line_end;
    }
    (message, &[])
}

/// The header fields as (name, raw value with folds kept).
fn parse_headers(message: &[u8]) -> Vec<(String, String)> {
    let (head, _) = split_at_body(message);
    let text = String::from_utf8_lossy(head);
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push_str("\r\n");
                value.push_str(line.trim_end_matches(['\r', '\n']));
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            fields.push((
                name.trim().to_owned(),
                value.trim_end_matches(['\r', '\n']).trim_start().to_owned(),
            ));
        }
    }
    fields
}

/// The authserv-id of an Authentication-Results value.
fn authserv_id_of(value: &str) -> Option<&str> {
    let id = value.split(';').next()?.split_whitespace().next()?;
    Some(id)
}

/// The domain of the (first) From address, lower case.
fn from_domain(headers: &[(String, String)]) -> Option<String> {
    let (_, value) = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("From"))?;
    let value = unfold(value);
    let addr = match (value.rfind('<'), value.rfind('>')) {
        (Some(a), Some(b)) if a < b => value.get(a + 1..b)?.to_owned(),
        _ => value.clone(),
    };
    let domain = addr.rsplit_once('@')?.1.trim().trim_end_matches('.');
    (!domain.is_empty()).then(|| domain.to_ascii_lowercase())
}

/// A value safe as an RFC 8601 `smtp.auth` property without quoting.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.@".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks() {
        let n: IpNetwork = "192.0.2.0/24".parse().unwrap();
        assert!(n.contains("192.0.2.77".parse().unwrap()));
        assert!(!n.contains("192.0.3.1".parse().unwrap()));
        assert!(n.contains("::ffff:192.0.2.1".parse().unwrap()));
        let all: IpNetwork = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("203.0.113.9".parse().unwrap()));
        let host: IpNetwork = "2001:db8::1".parse().unwrap();
        assert!(host.contains("2001:db8::1".parse().unwrap()));
        assert!(!host.contains("2001:db8::2".parse().unwrap()));
        let v6: IpNetwork = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains("2001:db8:ffff::1".parse().unwrap()));
        assert!(!v6.contains("192.0.2.1".parse().unwrap()));
        for bad in ["", "192.0.2.0/33", "x/8", "::/129", "1.2.3.4/"] {
            assert!(bad.parse::<IpNetwork>().is_err(), "{bad}");
        }
        assert_eq!(n.to_string(), "192.0.2.0/24");
    }

    #[test]
    fn headers_parse_with_folds() {
        let m = b"From: A <a@Example.ORG>\r\nX-F: one\r\n\ttwo\r\nSubject: s\r\n\r\nbody\r\n";
        let h = parse_headers(m);
        assert_eq!(h.len(), 3);
        assert_eq!(h[1].1, "one\r\n\ttwo");
        assert_eq!(unfold(&h[1].1), "one\ttwo");
        assert_eq!(from_domain(&h).as_deref(), Some("example.org"));
        assert_eq!(split_at_body(m).1, b"body\r\n");
        assert_eq!(
            authserv_id_of("mx.example.net; spf=pass"),
            Some("mx.example.net")
        );
        assert_eq!(authserv_id_of(" mx 1; none"), Some("mx"));
        assert!(is_token("alice@example.org"));
        assert!(!is_token("a b"));
        assert!(parse_headers(b"").is_empty());
        assert!(parse_headers(b"\r\n\r\n").is_empty());
        assert!(parse_headers(b" cont\r\nno colon\r\n").is_empty());
    }
}
