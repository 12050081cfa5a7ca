//! The evaluation of `check_host()` (RFC 7208 sections 4 and 5).

use std::borrow::Cow;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use mailsec_dns::{DnsError, Resolver};

use super::macros::{MacroKind, MacroString, MacroValues, truncate_domain};
use super::record::{DomainSpec, Mechanism, SpfRecord};
use super::{Qualifier, SpfConfig, SpfIdentity, SpfOutput, SpfResult};

/// What one check is about.
pub(super) struct Request<'a> {
    pub(super) ip: IpAddr,
    pub(super) helo: &'a str,
    pub(super) local: &'a str,
    pub(super) domain: &'a str,
    pub(super) identity: SpfIdentity,
    pub(super) now: SystemTime,
}

impl<'a> Request<'a> {
    /// A check of the MAIL FROM identity `local@domain`.
    pub(super) fn mail_from(
        ip: IpAddr,
        helo: &'a str,
        local: &'a str,
        domain: &'a str,
        now: SystemTime,
    ) -> Self {
        Request {
            ip,
            helo,
            local,
            domain,
            identity: SpfIdentity::MailFrom,
            now,
        }
    }
}

/// Why evaluation stopped with an error result.
#[derive(Debug)]
enum Abort {
    Temp(String),
    Perm(String),
}

/// The result of `check_host()` for one domain, before errors.
#[derive(Debug)]
struct Verdict {
    result: SpfResult,
    mechanism: Option<String>,
    explanation: Option<String>,
}

impl Verdict {
    fn none() -> Verdict {
        Verdict {
            result: SpfResult::None,
            mechanism: None,
            explanation: None,
        }
    }
}

type Boxed<'s, T> = Pin<Box<dyn Future<Output = T> + Send + 's>>;

struct Evaluator<'a> {
    dns: &'a dyn Resolver,
    config: &'a SpfConfig,
    ip: IpAddr,
    helo: &'a str,
    local: &'a str,
    sender_domain: &'a str,
    timestamp: u64,
    dns_mechanisms: usize,
    void_lookups: usize,
    /// Whether the term being evaluated already counted a void lookup.
    term_was_void: bool,
    /// Validated PTR names of the client once looked up, and whether the
    /// PTR answer was void.
    validated: Option<(Vec<String>, bool)>,
}

pub(super) async fn run(dns: &dyn Resolver, config: &SpfConfig, req: Request<'_>) -> SpfOutput {
    let sender_domain = req.domain;
    run_with_sender(dns, config, req, sender_domain).await
}

pub(super) async fn run_with_sender(
    dns: &dyn Resolver,
    config: &SpfConfig,
    req: Request<'_>,
    sender_domain: &str,
) -> SpfOutput {
    // An IPv4-mapped IPv6 address is the IPv4 client it maps.
    let ip = req.ip.to_canonical();
    let domain = req.domain.strip_suffix('.').unwrap_or(req.domain);
    let mut ev = Evaluator {
        dns,
        config,
        ip,
        helo: req.helo,
        local: req.local,
        sender_domain,
        timestamp: req
            .now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        dns_mechanisms: 0,
        void_lookups: 0,
        term_was_void: false,
        validated: None,
    };
    let outcome = if is_valid_domain(domain) {
        // Not boxed at the top: only include and redirect recurse.
        ev.check_unboxed(domain, true).await
    } else {
        Ok(Verdict::none())
    };
    let (result, mechanism, mut explanation, problem) = match outcome {
        Ok(v) => (v.result, v.mechanism, v.explanation, None),
        Err(Abort::Temp(why)) => (SpfResult::TempError, None, None, Some(why)),
        Err(Abort::Perm(why)) => (SpfResult::PermError, None, None, Some(why)),
    };
    if result == SpfResult::Fail && explanation.is_none() {
        explanation = config.default_explanation.clone();
    }
    SpfOutput {
        result,
        explanation,
        identity: req.identity,
        domain: domain.to_owned(),
        sender: format!("{}@{}", req.local, sender_domain),
        ip,
        helo: req.helo.to_owned(),
        mechanism,
        problem,
        dns_lookups: ev.dns_mechanisms,
        void_lookups: ev.void_lookups,
    }
}

/// The initial domain check of RFC 7208 section 4.3: a fully qualified
/// name of non-empty labels of at most 63 characters, no domain literal
/// (the last label not all digits). One pass over the bytes: it runs for
/// the checked domain and every `include`/`redirect` target.
fn is_valid_domain(domain: &str) -> bool {
    if domain.len() > 253 {
        return false;
    }
    let (mut dots, mut label_len, mut all_digits) = (0usize, 0usize, true);
    for &b in domain.as_bytes() {
        if b == b'.' {
            if label_len == 0 {
                return false;
            }
            dots += 1;
            label_len = 0;
            all_digits = true;
        } else if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            label_len += 1;
            if label_len > 63 {
                return false;
            }
            all_digits &= b.is_ascii_digit();
        } else {
            return false;
        }
    }
    dots > 0 && label_len > 0 && !all_digits
}

fn cidr_match(a: IpAddr, b: IpAddr, v4: u8, v6: u8) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(v4.min(32)))
                .unwrap_or(0);
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(v6.min(128)))
                .unwrap_or(0);
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

fn is_subdomain_or_same(name: &str, domain: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if name.eq_ignore_ascii_case(domain) {
        return true;
    }
    name.len() > domain.len()
        && name
            .get(name.len() - domain.len()..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(domain))
        && name.as_bytes().get(name.len() - domain.len() - 1) == Some(&b'.')
}

impl<'a> Evaluator<'a> {
    /// `check_host()` for one domain (boxed: include and redirect recurse).
    /// `outer`: whether this verdict is the check's answer, which then
    /// names its mechanism and, for a `fail`, carries the explanation; not
    /// so inside an `include`, which uses only the result.
    fn check<'s>(&'s mut self, domain: &'s str, outer: bool) -> Boxed<'s, Result<Verdict, Abort>> {
        Box::pin(self.check_unboxed(domain, outer))
    }

    /// [`Evaluator::check`] without the box, for the first domain.
    async fn check_unboxed(&mut self, domain: &str, outer: bool) -> Result<Verdict, Abort> {
        let Some(record) = self.fetch_record(domain).await? else {
            return Ok(Verdict::none());
        };
        self.evaluate(&record, domain, outer).await
    }

    /// Looks up and selects the domain's SPF record (RFC 7208 section 4.4, 4.5).
    async fn fetch_record(&mut self, domain: &str) -> Result<Option<Arc<SpfRecord>>, Abort> {
        let answer = match self.dns.txt(domain).await {
            Ok(answer) => answer,
            Err(e) if e.is_temporary() => {
                return Err(Abort::Temp(format!(
                    "DNS lookup of {domain} TXT failed: {e}"
                )));
            }
            Err(_) => return Ok(None),
        };
        let mut found: Option<Cow<'_, [u8]>> = None;
        for txt in answer.records() {
            // Most records are one string: borrowed, not joined.
            let text = match txt.strings() {
                [one] => Cow::Borrowed(one.as_slice()),
                _ => Cow::Owned(txt.concat()),
            };
            if SpfRecord::is_spf1(&text) {
                if found.is_some() {
                    return Err(Abort::Perm(format!("more than one SPF record at {domain}")));
                }
                found = Some(text);
            }
        }
        let Some(text) = found else { return Ok(None) };
        let text = std::str::from_utf8(&text)
            .map_err(|_| Abort::Perm(format!("SPF record at {domain} contains non-ASCII bytes")))?;
        let parsed = match &self.config.record_cache {
            Some(cache) => cache.get_or_parse(text),
            None => SpfRecord::parse(text).map(Arc::new),
        };
        parsed
            .map(Some)
            .map_err(|e| Abort::Perm(format!("{domain}: {e}")))
    }

    async fn evaluate(
        &mut self,
        record: &SpfRecord,
        domain: &str,
        outer: bool,
    ) -> Result<Verdict, Abort> {
        for directive in record.directives() {
            if self.matches(&directive.mechanism, domain).await? {
                let result = SpfResult::from_qualifier(directive.qualifier);
                let explanation = if outer && result == SpfResult::Fail {
                    // Boxed, as the other rare paths: a future holding every
                    // path inline is moved whole each time it is polled
                    // from a new place (1.4 kB before, for every check).
                    Box::pin(self.explanation(record, domain)).await
                } else {
                    None
                };
                let mechanism = if !outer {
                    None
                } else if directive.qualifier == Qualifier::Pass {
                    Some(directive.mechanism.to_string())
                } else {
                    Some(format!(
                        "{}{}",
                        directive.qualifier.as_char(),
                        directive.mechanism
                    ))
                };
                return Ok(Verdict {
                    result,
                    mechanism,
                    explanation,
                });
            }
        }
        if let Some(spec) = record.redirect() {
            self.count_dns_term()?;
            let target = self.expand_domain(spec, domain).await;
            if !is_valid_domain(&target) {
                return Err(Abort::Perm(format!(
                    "redirect= names an invalid domain {target:?}"
                )));
            }
            let verdict = self.check(&target, outer).await?;
            if verdict.result == SpfResult::None {
                return Err(Abort::Perm(format!(
                    "redirect= domain {target} has no SPF record"
                )));
            }
            return Ok(verdict);
        }
        Ok(Verdict {
            result: SpfResult::Neutral,
            mechanism: Some("default".to_owned()),
            explanation: None,
        })
    }

    fn count_dns_term(&mut self) -> Result<(), Abort> {
        self.dns_mechanisms += 1;
        if self.dns_mechanisms > self.config.max_dns_mechanisms {
            return Err(Abort::Perm(format!(
                "more than {} DNS-querying mechanisms",
                self.config.max_dns_mechanisms
            )));
        }
        Ok(())
    }

    /// Sorts a failed lookup: temporary failures abort with `temperror`;
    /// void answers count toward the void-lookup limit, once per term (RFC
    /// 7208 section 4.6.4 limits "the number of terms" whose queries are
    /// void).
    fn lookup_failed(&mut self, name: &str, error: &DnsError) -> Result<(), Abort> {
        if error.is_temporary() {
            return Err(Abort::Temp(format!("DNS lookup of {name} failed: {error}")));
        }
        if self.term_was_void {
            return Ok(());
        }
        self.term_was_void = true;
        self.void_lookups += 1;
        if self.void_lookups > self.config.max_void_lookups {
            return Err(Abort::Perm(format!(
                "more than {} void DNS lookups",
                self.config.max_void_lookups
            )));
        }
        Ok(())
    }

    async fn matches(&mut self, mechanism: &Mechanism, domain: &str) -> Result<bool, Abort> {
        if mechanism.queries_dns() {
            self.count_dns_term()?;
        }
        self.term_was_void = false;
        match mechanism {
            Mechanism::All => Ok(true),
            Mechanism::Ip4 { addr, prefix } => {
                Ok(cidr_match(self.ip, IpAddr::V4(*addr), *prefix, 0))
            }
            Mechanism::Ip6 { addr, prefix } => Ok(match addr.to_ipv4_mapped() {
                // An IPv4-mapped network matches IPv4 clients, as a mapped
                // client address is checked as the IPv4 address it maps.
                Some(v4) if *prefix >= 96 => cidr_match(self.ip, IpAddr::V4(v4), *prefix - 96, 0),
                _ => cidr_match(self.ip, IpAddr::V6(*addr), 0, *prefix),
            }),
            Mechanism::Include(spec) => {
                let target = self.expand_domain(spec, domain).await;
                if !is_valid_domain(&target) {
                    return Err(Abort::Perm(format!(
                        "include: names an invalid domain {target:?}"
                    )));
                }
                let verdict = self.check(&target, false).await?;
                match verdict.result {
                    SpfResult::Pass => Ok(true),
                    SpfResult::None => Err(Abort::Perm(format!(
                        "include: domain {target} has no SPF record"
                    ))),
                    _ => Ok(false),
                }
            }
            Mechanism::A {
                domain: spec,
                cidr4,
                cidr6,
            } => {
                let target = self.target(spec.as_ref(), domain).await;
                self.address_match(&target, *cidr4, *cidr6).await
            }
            Mechanism::Mx {
                domain: spec,
                cidr4,
                cidr6,
            } => {
                let target = self.target(spec.as_ref(), domain).await;
                let exchanges = match self.dns.mx(&target).await {
                    Ok(answer) => answer.into_records(),
                    Err(e) => {
                        self.lookup_failed(&target, &e)?;
                        return Ok(false);
                    }
                };
                if exchanges.len() > self.config.max_mx_addresses {
                    return Err(Abort::Perm(format!(
                        "{target} has more than {} MX records",
                        self.config.max_mx_addresses
                    )));
                }
                for mx in exchanges {
                    // A null MX (RFC 7505) names no host.
                    if mx.exchange.is_empty() {
                        continue;
                    }
                    if self.address_match(&mx.exchange, *cidr4, *cidr6).await? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Mechanism::Ptr(spec) => {
                let target = self.target(spec.as_ref(), domain).await;
                let (names, void) = Box::pin(self.validated_names()).await;
                if void {
                    self.lookup_failed("the client's PTR", &DnsError::nx_domain())?;
                }
                Ok(names.iter().any(|n| is_subdomain_or_same(n, &target)))
            }
            Mechanism::Exists(spec) => {
                let target = self.expand_domain(spec, domain).await;
                match self.dns.a(&target).await {
                    Ok(_) => Ok(true),
                    Err(e) => {
                        self.lookup_failed(&target, &e)?;
                        Ok(false)
                    }
                }
            }
        }
    }

    /// True when one of `name`'s addresses (of the client's family) is the
    /// client's network.
    async fn address_match(&mut self, name: &str, cidr4: u8, cidr6: u8) -> Result<bool, Abort> {
        match self.dns.addresses(name, self.ip).await {
            Ok(answer) => Ok(answer
                .records()
                .iter()
                .any(|a| cidr_match(self.ip, *a, cidr4, cidr6))),
            Err(e) => {
                self.lookup_failed(name, &e)?;
                Ok(false)
            }
        }
    }

    async fn target(&mut self, spec: Option<&DomainSpec>, domain: &str) -> String {
        match spec {
            Some(spec) => self.expand_domain(spec, domain).await,
            None => domain.to_owned(),
        }
    }

    /// The client's PTR names that resolve back to it (RFC 7208 section
    /// 5.5), and whether the PTR query itself was void. DNS errors make
    /// names (or the whole list) go missing, never an error result; only
    /// the first [`SpfConfig::max_ptr_names`] names are tried. Void
    /// answers for the names' addresses do not count toward the void limit:
    /// the client, not the domain, controls them.
    async fn validated_names(&mut self) -> (Vec<String>, bool) {
        if let Some(cached) = &self.validated {
            return cached.clone();
        }
        let (names, void) = match self.dns.ptr(self.ip).await {
            Ok(answer) => (answer.into_records(), false),
            Err(e) => (Vec::new(), e.is_void()),
        };
        let mut validated = Vec::new();
        for name in names.into_iter().take(self.config.max_ptr_names) {
            if let Ok(answer) = self.dns.addresses(&name, self.ip).await
                && answer.records().contains(&self.ip)
            {
                validated.push(name);
            }
        }
        self.validated = Some((validated.clone(), void));
        (validated, void)
    }

    /// `%{p}`: the validated name that is `domain`, else one under it,
    /// else any; `unknown` when there is none.
    async fn ptr_macro(&mut self, domain: &str) -> String {
        let (names, _) = self.validated_names().await;
        names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(domain))
            .or_else(|| names.iter().find(|n| is_subdomain_or_same(n, domain)))
            .or_else(|| names.first())
            .cloned()
            .unwrap_or_else(|| "unknown".to_owned())
    }

    async fn expand(&mut self, ms: &MacroString, domain: &str) -> String {
        let ptr = if ms.uses_ptr() {
            Box::pin(self.ptr_macro(domain)).await
        } else {
            String::new()
        };
        ms.expand(&MacroValues {
            local: self.local,
            sender_domain: self.sender_domain,
            domain,
            ip: self.ip,
            helo: self.helo,
            receiver: &self.config.receiver,
            timestamp: self.timestamp,
            ptr: &ptr,
        })
    }

    async fn expand_domain(&mut self, spec: &DomainSpec, domain: &str) -> String {
        let trim = |name: &str| {
            let trimmed = name.strip_suffix('.').unwrap_or(name);
            truncate_domain(trimmed).to_owned()
        };
        match &spec.macro_string {
            Some(ms) => trim(&self.expand(ms, domain).await),
            None => trim(spec.as_str()),
        }
    }

    /// The explanation for a `fail` (RFC 7208 section 6.2); `None` when the
    /// record has no usable `exp=`.
    async fn explanation(&mut self, record: &SpfRecord, domain: &str) -> Option<String> {
        let spec = record.exp()?;
        let target = self.expand_domain(spec, domain).await;
        if target.is_empty() {
            return None;
        }
        let answer = self.dns.txt(&target).await.ok()?;
        let [txt] = answer.records() else {
            return None;
        };
        let text = String::from_utf8(txt.concat()).ok()?;
        let ms = MacroString::parse(&text, MacroKind::Explanation).ok()?;
        let expanded = self.expand(&ms, domain).await;
        // Only printable ASCII goes out (RFC 7208 section 6.2).
        Some(
            expanded
                .chars()
                .filter(|c| c.is_ascii() && !c.is_ascii_control())
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(cidr_match(ip("192.0.2.7"), ip("192.0.2.0"), 24, 128));
        assert!(!cidr_match(ip("192.0.3.7"), ip("192.0.2.0"), 24, 128));
        assert!(cidr_match(ip("10.0.0.1"), ip("192.0.2.0"), 0, 128));
        assert!(cidr_match(ip("2001:db8::1"), ip("2001:db8::"), 32, 32));
        assert!(!cidr_match(ip("2001:db8::1"), ip("192.0.2.0"), 0, 0));
    }

    #[test]
    fn domains() {
        assert!(is_valid_domain("example.org"));
        assert!(is_valid_domain("_spf.example.org"));
        assert!(!is_valid_domain("example"));
        assert!(!is_valid_domain("a..example.org"));
        assert!(!is_valid_domain("[1.2.3.4]"));
        assert!(!is_valid_domain("1.2.3.4"));
        assert!(is_subdomain_or_same("mx.Example.org", "example.org"));
        assert!(!is_subdomain_or_same("badexample.org", "example.org"));
        assert!(!is_valid_domain("example.org."));
        assert!(!is_valid_domain(&format!("{}.org", "a".repeat(64))));
        assert!(is_valid_domain(&format!("{}.org", "a".repeat(63))));
    }

    /// The section 4.3 rule as written, label by label.
    fn valid_by_labels(domain: &str) -> bool {
        domain.len() <= 253
            && domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
            && domain
                .rsplit('.')
                .next()
                .is_some_and(|top| !top.bytes().all(|b| b.is_ascii_digit()))
    }

    proptest::proptest! {
        #[test]
        fn one_pass_domain_check_agrees_with_the_rule(
            domain in "([a-z0-9_-]{0,3}|[0-9]{1,2}|x{60,66}|[.@\\[\\] ]){0,8}"
        ) {
            proptest::prop_assert_eq!(is_valid_domain(&domain), valid_by_labels(&domain), "{:?}", domain);
        }
    }
}
