//! Data-driven DMARC tests: one case per tag and alignment rule, written from
//! the text of RFC 9989 (DMARCbis) and RFC 7489.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use async_trait::async_trait;
use mailsec_auth::dmarc::{
    DmarcInput, DmarcMode, DmarcResult, DmarcVerifier, Policy, PolicySource,
};
use mailsec_dns::{Answer, DnsError, Failure, Record, RecordType, Resolver, StaticResolver};
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicUsize, Ordering};

use DmarcResult::{Fail, None as NoneR, Pass, PermError, TempError};

struct Case {
    name: &'static str,
    txt: Vec<(&'static str, &'static str)>,
    a: Vec<&'static str>,
    timeouts: Vec<&'static str>,
    mode: DmarcMode,
    random: Option<u8>,
    from: Vec<&'static str>,
    spf: Option<(&'static str, bool)>,
    dkim: Vec<(&'static str, bool)>,
    expect: DmarcResult,
    disposition: Policy,
    source: Option<PolicySource>,
    policy_domain: Option<&'static str>,
    org: Option<&'static str>,
}

fn case(name: &'static str) -> Case {
    Case {
        name,
        txt: vec![],
        a: vec![],
        timeouts: vec![],
        mode: DmarcMode::Rfc9989,
        random: None,
        from: vec![],
        spf: None,
        dkim: vec![],
        expect: NoneR,
        disposition: Policy::None,
        source: None,
        policy_domain: None,
        org: None,
    }
}

impl Case {
    fn txt(mut self, name: &'static str, value: &'static str) -> Self {
        self.txt.push((name, value));
        self
    }
    fn a(mut self, name: &'static str) -> Self {
        self.a.push(name);
        self
    }
    fn timeout(mut self, name: &'static str) -> Self {
        self.timeouts.push(name);
        self
    }
    fn rfc7489(mut self) -> Self {
        self.mode = DmarcMode::Rfc7489;
        self
    }
    fn random(mut self, r: u8) -> Self {
        self.random = Some(r);
        self
    }
    fn from(mut self, d: &'static str) -> Self {
        self.from.push(d);
        self
    }
    fn spf(mut self, d: &'static str, pass: bool) -> Self {
        self.spf = Some((d, pass));
        self
    }
    fn dkim(mut self, d: &'static str, pass: bool) -> Self {
        self.dkim.push((d, pass));
        self
    }
    fn expect(mut self, r: DmarcResult, disposition: Policy) -> Self {
        self.expect = r;
        self.disposition = disposition;
        self
    }
    fn source(mut self, s: PolicySource) -> Self {
        self.source = Some(s);
        self
    }
    fn policy_domain(mut self, d: &'static str) -> Self {
        self.policy_domain = Some(d);
        self
    }
    fn org(mut self, d: &'static str) -> Self {
        self.org = Some(d);
        self
    }
}

/// Counts queries so the tree-walk limit can be checked.
struct Counting {
    inner: StaticResolver,
    txt_queries: AtomicUsize,
}

#[async_trait]
impl Resolver for Counting {
    async fn lookup(&self, name: &str, rtype: RecordType) -> Result<Answer<Record>, DnsError> {
        if rtype == RecordType::Txt {
            self.txt_queries.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.lookup(name, rtype).await
    }
}

fn cases() -> Vec<Case> {
    const REJECT: &str = "v=DMARC1; p=reject";
    vec![
        // --- p= and the basic results (RFC 9989 4.7, 4.8)
        case("p=reject, aligned DKIM pass")
            .txt("_dmarc.example.com", REJECT)
            .from("example.com")
            .dkim("example.com", true)
            .expect(Pass, Policy::None)
            .source(PolicySource::P)
            .policy_domain("example.com"),
        case("p=reject, aligned SPF pass")
            .txt("_dmarc.example.com", REJECT)
            .from("example.com")
            .spf("example.com", true)
            .expect(Pass, Policy::None),
        case("p=reject, nothing aligned")
            .txt("_dmarc.example.com", REJECT)
            .from("example.com")
            .spf("example.net", true)
            .dkim("example.net", true)
            .expect(Fail, Policy::Reject)
            .source(PolicySource::P),
        case("p=quarantine, fail")
            .txt("_dmarc.example.com", "v=DMARC1; p=quarantine")
            .from("example.com")
            .expect(Fail, Policy::Quarantine),
        case("p=none, fail gives no disposition")
            .txt("_dmarc.example.com", "v=DMARC1; p=none")
            .from("example.com")
            .expect(Fail, Policy::None),
        case("aligned SPF that did not pass is no pass")
            .txt("_dmarc.example.com", REJECT)
            .from("example.com")
            .spf("example.com", false)
            .expect(Fail, Policy::Reject),
        case("aligned DKIM that did not verify is no pass")
            .txt("_dmarc.example.com", REJECT)
            .from("example.com")
            .dkim("example.com", false)
            .expect(Fail, Policy::Reject),
        case("p absent: treated as none (RFC 9989)")
            .txt("_dmarc.example.com", "v=DMARC1; rua=mailto:r@example.com")
            .from("example.com")
            .expect(Fail, Policy::None),
        case("p invalid: treated as none (RFC 9989)")
            .txt("_dmarc.example.com", "v=DMARC1; p=bogus")
            .from("example.com")
            .expect(Fail, Policy::None),
        case("no record anywhere: none")
            .from("example.com")
            .dkim("example.com", true)
            .expect(NoneR, Policy::None),
        case("two DMARC records: both discarded, none")
            .txt("_dmarc.example.com", REJECT)
            .txt("_dmarc.example.com", "v=DMARC1; p=none")
            .from("example.com")
            .expect(NoneR, Policy::None),
        case("non-DMARC TXT beside the record is ignored")
            .txt("_dmarc.example.com", "some verification token")
            .txt("_dmarc.example.com", REJECT)
            .from("example.com")
            .expect(Fail, Policy::Reject),
        case("record not starting with v=DMARC1 is no record")
            .txt("_dmarc.example.com", "p=reject; v=DMARC1")
            .from("example.com")
            .expect(NoneR, Policy::None),
        case("malformed record: permerror")
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; p=none")
            .from("example.com")
            .expect(PermError, Policy::None),
        case("DNS timeout on the policy query: temperror")
            .timeout("_dmarc.example.com")
            .from("example.com")
            .dkim("example.com", true)
            .expect(TempError, Policy::None),
        case("unknown tags are ignored")
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; foo=bar; x=")
            .from("example.com")
            .expect(Fail, Policy::Reject),
        case("case-insensitive From domain, trailing dot")
            .txt("_dmarc.example.com", REJECT)
            .from("Example.COM.")
            .dkim("EXAMPLE.com", true)
            .expect(Pass, Policy::None),
        // --- t=
        case("t=y: policy not applied")
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; t=y")
            .from("example.com")
            .expect(Fail, Policy::None)
            .source(PolicySource::P),
        case("t=n: policy applied")
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; t=n")
            .from("example.com")
            .expect(Fail, Policy::Reject),
        // --- adkim / aspf (RFC 9989 4.4)
        case("adkim=r: DKIM subdomain of the Organizational Domain aligns")
            .txt("_dmarc.example.com", REJECT)
            .from("example.com")
            .dkim("mail.example.com", true)
            .expect(Pass, Policy::None)
            .org("example.com"),
        case("adkim=r: sibling subdomains align")
            .txt("_dmarc.example.com", REJECT)
            .from("news.example.com")
            .dkim("mail.example.com", true)
            .expect(Pass, Policy::None)
            .org("example.com"),
        case("adkim=s: DKIM subdomain does not align")
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; adkim=s")
            .from("example.com")
            .dkim("mail.example.com", true)
            .expect(Fail, Policy::Reject),
        case("adkim=s: exact DKIM domain aligns")
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; adkim=s")
            .from("example.com")
            .dkim("example.com", true)
            .expect(Pass, Policy::None),
        case("aspf=r: SPF subdomain aligns")
            .txt("_dmarc.example.com", REJECT)
            .from("example.com")
            .spf("bounce.example.com", true)
            .expect(Pass, Policy::None),
        case("aspf=s: SPF subdomain does not align")
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; aspf=s")
            .from("example.com")
            .spf("bounce.example.com", true)
            .expect(Fail, Policy::Reject),
        case("adkim=s does not affect SPF")
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; adkim=s")
            .from("example.com")
            .spf("bounce.example.com", true)
            .expect(Pass, Policy::None),
        case("relaxed: unrelated domain sharing a TLD does not align")
            .txt("_dmarc.example.com", REJECT)
            .txt("_dmarc.example-evil.com", "v=DMARC1; p=none")
            .from("example.com")
            .dkim("example-evil.com", true)
            .expect(Fail, Policy::Reject),
        case("relaxed: a domain without any record aligns only by name")
            .txt("_dmarc.example.com", REJECT)
            .from("example.com")
            .dkim("other.com", true)
            .expect(Fail, Policy::Reject),
        case("several signatures: the aligned passing one counts")
            .txt("_dmarc.example.com", REJECT)
            .from("example.com")
            .dkim("example.com", false)
            .dkim("example.net", true)
            .dkim("x.example.com", true)
            .expect(Pass, Policy::None),
        case("temperror while walking for a DKIM domain")
            .txt("_dmarc.example.com", REJECT)
            .timeout("_dmarc.mail.example.com")
            .from("example.com")
            .dkim("mail.example.com", true)
            .expect(TempError, Policy::None),
        case("temperror for one identifier, pass by another")
            .txt("_dmarc.example.com", REJECT)
            .timeout("_dmarc.mail.example.com")
            .from("example.com")
            .dkim("mail.example.com", true)
            .spf("example.com", true)
            .expect(Pass, Policy::None),
        // --- sp= and np= (RFC 9989 4.7, 4.10)
        case("subdomain without record: Organizational Domain's sp=")
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine")
            .a("mail.example.com")
            .from("mail.example.com")
            .expect(Fail, Policy::Quarantine)
            .source(PolicySource::Sp)
            .policy_domain("example.com"),
        case("subdomain without sp=: p= applies")
            .txt("_dmarc.example.com", REJECT)
            .a("mail.example.com")
            .from("mail.example.com")
            .expect(Fail, Policy::Reject)
            .source(PolicySource::P)
            .policy_domain("example.com"),
        case("subdomain with its own record: its p=, not sp=")
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=none")
            .txt("_dmarc.mail.example.com", "v=DMARC1; p=quarantine")
            .from("mail.example.com")
            .expect(Fail, Policy::Quarantine)
            .source(PolicySource::P)
            .policy_domain("mail.example.com"),
        case("np= for a non-existent subdomain")
            .txt("_dmarc.example.com", "v=DMARC1; p=none; sp=none; np=reject")
            .from("nosuch.example.com")
            .expect(Fail, Policy::Reject)
            .source(PolicySource::Np),
        case("np= not used for an existing subdomain")
            .txt(
                "_dmarc.example.com",
                "v=DMARC1; p=none; sp=quarantine; np=reject",
            )
            .a("host.example.com")
            .from("host.example.com")
            .expect(Fail, Policy::Quarantine)
            .source(PolicySource::Sp),
        case("np= absent: sp= for a non-existent subdomain")
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine")
            .from("nosuch.example.com")
            .expect(Fail, Policy::Quarantine)
            .source(PolicySource::Sp),
        case("np= not used for the domain itself")
            .txt("_dmarc.example.com", "v=DMARC1; p=quarantine; np=reject")
            .from("example.com")
            .expect(Fail, Policy::Quarantine)
            .source(PolicySource::P),
        // --- psd= and the tree walk (RFC 9989 4.10)
        case("psd=y: PSD policy for an org domain without a record")
            .txt("_dmarc.bank", "v=DMARC1; p=reject; psd=y")
            .a("example.bank")
            .from("example.bank")
            .expect(Fail, Policy::Reject)
            .policy_domain("bank")
            .org("example.bank"),
        case("psd=y: the org domain is one label below, so a sibling does not align")
            .txt("_dmarc.bank", "v=DMARC1; p=reject; psd=y")
            .a("example.bank")
            .from("example.bank")
            .dkim("other.bank", true)
            .expect(Fail, Policy::Reject),
        case("psd=y: subdomain aligns with its org domain")
            .txt("_dmarc.bank", "v=DMARC1; p=reject; psd=y")
            .a("example.bank")
            .from("example.bank")
            .dkim("mail.example.bank", true)
            .expect(Pass, Policy::None)
            .org("example.bank"),
        case("psd=y with an org record: the org record's policy")
            .txt("_dmarc.bank", "v=DMARC1; p=reject; psd=y")
            .txt("_dmarc.example.bank", "v=DMARC1; p=quarantine")
            .a("mail.example.bank")
            .from("mail.example.bank")
            .expect(Fail, Policy::Quarantine)
            .policy_domain("example.bank")
            .org("example.bank"),
        case("psd=n stops the walk: that domain is the org domain")
            .txt("_dmarc.b.example.com", "v=DMARC1; p=reject; psd=n")
            .txt("_dmarc.example.com", "v=DMARC1; p=none")
            .a("a.b.example.com")
            .from("a.b.example.com")
            .dkim("example.com", true)
            .expect(Fail, Policy::Reject)
            .org("b.example.com")
            .policy_domain("b.example.com"),
        case("psd=n: a name below the org domain aligns")
            .txt("_dmarc.b.example.com", "v=DMARC1; p=reject; psd=n")
            .a("a.b.example.com")
            .from("a.b.example.com")
            .dkim("c.b.example.com", true)
            .expect(Pass, Policy::None),
        case("no psd tags: the record with fewest labels is the org domain")
            .txt("_dmarc.b.example.com", "v=DMARC1; p=quarantine")
            .txt("_dmarc.example.com", "v=DMARC1; p=reject")
            .a("a.b.example.com")
            .from("a.b.example.com")
            .dkim("example.com", true)
            .expect(Pass, Policy::None)
            .org("example.com"),
        case("psd=y at the author domain: it is its own org domain, a child is another org")
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; psd=y")
            .from("example.com")
            .dkim("mail.example.com", true)
            .expect(Fail, Policy::Reject)
            .org("example.com"),
        case("psd=y at the author domain: exact DKIM domain aligns")
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; psd=y")
            .from("example.com")
            .dkim("example.com", true)
            .expect(Pass, Policy::None),
        case("long name: the walk jumps to seven labels")
            .txt(
                "_dmarc.l8.l7.l6.l5.l4.example.com",
                "v=DMARC1; p=quarantine",
            )
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=reject")
            .a("l10.l9.l8.l7.l6.l5.l4.example.com")
            .from("l10.l9.l8.l7.l6.l5.l4.example.com")
            .expect(Fail, Policy::Reject)
            .policy_domain("example.com"),
        case("tree walk finds an intermediate record RFC 7489 never asks")
            .txt("_dmarc.b.example.com", "v=DMARC1; p=reject")
            .a("a.b.example.com")
            .from("a.b.example.com")
            .expect(Fail, Policy::Reject)
            .policy_domain("b.example.com"),
        case("RFC 7489: intermediate record not consulted")
            .rfc7489()
            .txt("_dmarc.b.example.com", "v=DMARC1; p=reject")
            .from("a.b.example.com")
            .expect(NoneR, Policy::None),
        // --- multiple From addresses (RFC 9989 4.x / RFC 7489 6.6.1)
        case("two From domains, both pass")
            .txt("_dmarc.example.com", REJECT)
            .txt("_dmarc.example.net", REJECT)
            .from("example.com")
            .from("example.net")
            .dkim("example.com", true)
            .dkim("example.net", true)
            .expect(Pass, Policy::None),
        case("two From domains, one fails: fail with its policy")
            .txt("_dmarc.example.com", REJECT)
            .txt("_dmarc.example.net", "v=DMARC1; p=quarantine")
            .from("example.com")
            .from("example.net")
            .dkim("example.com", true)
            .expect(Fail, Policy::Quarantine),
        case("the same From domain twice is evaluated once")
            .txt("_dmarc.example.com", REJECT)
            .from("example.com")
            .from("EXAMPLE.com")
            .dkim("example.com", true)
            .expect(Pass, Policy::None),
        case("no From domain: permerror")
            .txt("_dmarc.example.com", REJECT)
            .expect(PermError, Policy::None),
        case("invalid From domain: permerror")
            .from("exa mple..com")
            .expect(PermError, Policy::None),
        // --- RFC 7489 mode: PSL and pct (RFC 7489 3.2, 6.3, 6.6.4)
        case("RFC 7489: PSL org domain under a multi-label suffix")
            .rfc7489()
            .txt("_dmarc.example.co.uk", REJECT)
            .from("mail.example.co.uk")
            .dkim("example.co.uk", true)
            .expect(Pass, Policy::None)
            .org("example.co.uk"),
        case("RFC 7489: a sibling registrable domain under co.uk does not align")
            .rfc7489()
            .txt("_dmarc.example.co.uk", REJECT)
            .from("example.co.uk")
            .dkim("other.co.uk", true)
            .expect(Fail, Policy::Reject),
        case("RFC 7489: subdomain uses the org record's sp=")
            .rfc7489()
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=none")
            .from("mail.example.com")
            .expect(Fail, Policy::None)
            .source(PolicySource::Sp)
            .policy_domain("example.com"),
        case("RFC 7489: np= ignored")
            .rfc7489()
            .txt(
                "_dmarc.example.com",
                "v=DMARC1; p=reject; sp=quarantine; np=none",
            )
            .from("nosuch.example.com")
            .expect(Fail, Policy::Quarantine)
            .source(PolicySource::Sp),
        case("RFC 7489: pct=50, roll 70 is sampled out: reject becomes quarantine")
            .rfc7489()
            .random(70)
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; pct=50")
            .from("example.com")
            .expect(Fail, Policy::Quarantine),
        case("RFC 7489: pct=50, roll 10 is sampled in")
            .rfc7489()
            .random(10)
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; pct=50")
            .from("example.com")
            .expect(Fail, Policy::Reject),
        case("RFC 7489: pct=50, roll 49 is sampled in")
            .rfc7489()
            .random(49)
            .txt("_dmarc.example.com", "v=DMARC1; p=quarantine; pct=50")
            .from("example.com")
            .expect(Fail, Policy::Quarantine),
        case("RFC 7489: pct=50, roll 50 lowers quarantine to none")
            .rfc7489()
            .random(50)
            .txt("_dmarc.example.com", "v=DMARC1; p=quarantine; pct=50")
            .from("example.com")
            .expect(Fail, Policy::None),
        case("RFC 7489: pct=0 always lowers")
            .rfc7489()
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; pct=0")
            .from("example.com")
            .expect(Fail, Policy::Quarantine),
        case("RFC 7489: pct=100 never samples")
            .rfc7489()
            .random(99)
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; pct=100")
            .from("example.com")
            .expect(Fail, Policy::Reject),
        case("RFC 9989: pct is not applied")
            .random(99)
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; pct=10")
            .from("example.com")
            .expect(Fail, Policy::Reject),
        case("RFC 7489: p absent and no rua: no DMARC processing")
            .rfc7489()
            .txt("_dmarc.example.com", "v=DMARC1; adkim=s")
            .from("example.com")
            .expect(NoneR, Policy::None),
        case("RFC 7489: p invalid with rua: treated as none")
            .rfc7489()
            .txt(
                "_dmarc.example.com",
                "v=DMARC1; p=block; rua=mailto:r@example.com",
            )
            .from("example.com")
            .expect(Fail, Policy::None),
        case("RFC 7489 records still parse in RFC 9989 mode (rf, ri)")
            .txt(
                "_dmarc.example.com",
                "v=DMARC1; p=reject; rf=afrf; ri=86400; pct=100",
            )
            .from("example.com")
            .expect(Fail, Policy::Reject),
    ]
}

#[tokio::test]
async fn dmarc_cases_from_the_rfc_text() {
    let all = cases();
    let mut failures = Vec::new();
    for c in &all {
        let mut dns = StaticResolver::new();
        for (n, v) in &c.txt {
            dns.add(n, Record::txt(v));
        }
        for n in &c.a {
            dns.add(n, Record::A(Ipv4Addr::new(192, 0, 2, 1)));
        }
        for n in &c.timeouts {
            dns.fail(n, Failure::Timeout);
        }
        let dns = Counting {
            inner: dns,
            txt_queries: AtomicUsize::new(0),
        };
        let mut input = DmarcInput::new();
        for f in &c.from {
            input = input.with_from_domain(f);
        }
        if let Some((d, p)) = c.spf {
            input = input.with_spf(d, p);
        }
        for (d, p) in &c.dkim {
            input = input.with_dkim(d, *p);
        }
        let mut v = DmarcVerifier::new().with_mode(c.mode);
        if let Some(r) = c.random {
            v = v.with_random(move || r);
        }
        let out = v.verify(&dns, &input).await;
        let mut problems = Vec::new();
        if out.result() != c.expect {
            problems.push(format!("result {} != {}", out.result(), c.expect));
        }
        if out.disposition() != c.disposition {
            problems.push(format!(
                "disposition {} != {}",
                out.disposition(),
                c.disposition
            ));
        }
        let d = out.decisive();
        if let Some(s) = c.source
            && d.and_then(|d| d.policy_source()) != Some(s)
        {
            problems.push(format!(
                "source {:?} != {s:?}",
                d.and_then(|d| d.policy_source())
            ));
        }
        if let Some(p) = c.policy_domain
            && d.and_then(|d| d.policy_domain()) != Some(p)
        {
            problems.push(format!(
                "policy domain {:?} != {p}",
                d.and_then(|d| d.policy_domain())
            ));
        }
        if let Some(o) = c.org
            && d.and_then(|d| d.organizational_domain()) != Some(o)
        {
            problems.push(format!(
                "org {:?} != {o}",
                d.and_then(|d| d.organizational_domain())
            ));
        }
        // Each From domain's tree walk is at most 8 queries; identifiers add their own walks.
        let walks = c.from.len() + c.dkim.len() + usize::from(c.spf.is_some());
        let queries = dns.txt_queries.load(Ordering::SeqCst);
        if queries > walks * 9 {
            problems.push(format!("{queries} TXT queries"));
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {} ({out:?})", c.name, problems.join("; ")));
        }
    }
    println!(
        "dmarc cases: {}/{} passed",
        all.len() - failures.len(),
        all.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn tree_walk_query_limit() {
    let dns = Counting {
        inner: StaticResolver::new(),
        txt_queries: AtomicUsize::new(0),
    };
    let from = "a.b.c.d.e.f.g.h.i.j.k.l.example.com";
    let out = DmarcVerifier::new()
        .verify(&dns, &DmarcInput::new().with_from_domain(from))
        .await;
    assert_eq!(out.result(), DmarcResult::None);
    assert_eq!(dns.txt_queries.load(Ordering::SeqCst), 8);
}

#[tokio::test]
async fn method_result_and_authres() {
    let mut dns = StaticResolver::new();
    dns.add(
        "_dmarc.example.com",
        Record::txt("v=DMARC1; p=quarantine; t=y"),
    );
    let out = DmarcVerifier::new()
        .verify(
            &dns,
            &DmarcInput::new()
                .with_from_domain("example.com")
                .with_spf("x.example.net", true),
        )
        .await;
    assert!(out.testing());
    assert_eq!(out.policy(), Some(Policy::Quarantine));
    assert_eq!(
        out.to_method_result().to_string(),
        "dmarc=fail header.from=example.com policy.dmarc=none"
    );
    let none = DmarcVerifier::new()
        .verify(&dns, &DmarcInput::new().with_from_domain("example.org"))
        .await;
    assert_eq!(
        none.to_method_result().to_string(),
        "dmarc=none reason=\"no DMARC record\" header.from=example.org"
    );
}

#[tokio::test]
async fn organizational_domain_api() {
    let mut dns = StaticResolver::new();
    dns.add("_dmarc.example.com", Record::txt("v=DMARC1; p=none"));
    let v = DmarcVerifier::new();
    assert_eq!(
        v.organizational_domain(&dns, "a.b.example.com")
            .await
            .unwrap(),
        "example.com"
    );
    assert_eq!(
        v.organizational_domain(&dns, "a.b.example.org")
            .await
            .unwrap(),
        "a.b.example.org"
    );
    let v = DmarcVerifier::rfc7489();
    assert_eq!(
        v.organizational_domain(&dns, "a.b.example.co.uk")
            .await
            .unwrap(),
        "example.co.uk"
    );
}

#[tokio::test]
async fn verdicts_feed_an_aggregate_report() {
    use mailsec_auth::report::{
        AggregateReport, AuthWord, DiscoveryMethod, Disposition, OverrideType, PolicyPublished,
        ReportFormat, ReportMetadata, ReportRecord,
    };
    let mut dns = StaticResolver::new();
    dns.add("_dmarc.example.com", Record::txt("v=DMARC1; p=reject; t=y"));
    let v = DmarcVerifier::new();
    let pass = v
        .verify(
            &dns,
            &DmarcInput::new()
                .with_from_domain("example.com")
                .with_dkim("example.com", true),
        )
        .await;
    let fail = v
        .verify(
            &dns,
            &DmarcInput::new()
                .with_from_domain("example.com")
                .with_spf("evil.example", true),
        )
        .await;
    let d = &fail.verdicts()[0];
    let mut report = AggregateReport::new(
        ReportMetadata::default(),
        PolicyPublished::from_record(
            d.policy_domain().unwrap(),
            d.record().unwrap(),
            DiscoveryMethod::TreeWalk,
        ),
    );
    let ip = "192.0.2.7".parse().unwrap();
    for out in [&pass, &fail, &fail] {
        report.add_record(ReportRecord::from_verdict(ip, &out.verdicts()[0]));
    }
    assert_eq!(report.records.len(), 2);
    assert_eq!(report.records[0].dkim, AuthWord::Pass);
    assert_eq!(report.records[1].count, 2);
    assert_eq!(report.records[1].disposition, Disposition::None);
    assert_eq!(
        report.records[1].reasons[0].kind,
        OverrideType::PolicyTestMode
    );
    let back = AggregateReport::from_xml(report.to_xml(ReportFormat::Rfc9990).as_bytes()).unwrap();
    assert_eq!(back.records, report.records);
}

#[tokio::test]
async fn failure_report_options() {
    // (record, spf passed, dkim passed (aligned domain), wants a report)
    let cases = [
        (
            "v=DMARC1; p=reject; ruf=mailto:f@example.com",
            false,
            false,
            true,
        ),
        (
            "v=DMARC1; p=reject; ruf=mailto:f@example.com",
            true,
            false,
            false,
        ),
        (
            "v=DMARC1; p=reject; ruf=mailto:f@example.com; fo=1",
            true,
            false,
            true,
        ),
        (
            "v=DMARC1; p=reject; ruf=mailto:f@example.com; fo=1",
            true,
            true,
            false,
        ),
        (
            "v=DMARC1; p=reject; ruf=mailto:f@example.com; fo=d",
            true,
            false,
            true,
        ),
        (
            "v=DMARC1; p=reject; ruf=mailto:f@example.com; fo=d",
            false,
            true,
            false,
        ),
        (
            "v=DMARC1; p=reject; ruf=mailto:f@example.com; fo=s",
            false,
            true,
            true,
        ),
        (
            "v=DMARC1; p=reject; ruf=mailto:f@example.com; fo=s",
            true,
            false,
            false,
        ),
        ("v=DMARC1; p=reject; fo=1", false, false, false),
    ];
    for (rec, spf, dkim, want) in cases {
        let mut dns = StaticResolver::new();
        dns.add("_dmarc.example.com", Record::txt(rec));
        let input = DmarcInput::new()
            .with_from_domain("example.com")
            .with_spf("example.com", spf)
            .with_dkim("example.com", dkim);
        let out = DmarcVerifier::new().verify(&dns, &input).await;
        assert_eq!(
            out.verdicts()[0].wants_failure_report(&input),
            want,
            "{rec} spf={spf} dkim={dkim}"
        );
    }
}

#[tokio::test]
async fn from_addresses() {
    let mut dns = StaticResolver::new();
    dns.add("_dmarc.example.com", Record::txt("v=DMARC1; p=reject"));
    let input = DmarcInput::new()
        .with_from_address("<Alice@Example.com>")
        .with_from_address("bob@example.com")
        .with_dkim("example.com", true);
    let out = DmarcVerifier::new().verify(&dns, &input).await;
    assert_eq!(out.result(), DmarcResult::Pass);
    assert_eq!(out.verdicts().len(), 1);
    let out = DmarcVerifier::new()
        .verify(&dns, &DmarcInput::new().with_from_address("no-domain"))
        .await;
    assert_eq!(out.result(), DmarcResult::None); // "no-domain" is a (single-label) domain without a record
    let out = DmarcVerifier::new()
        .verify(&dns, &DmarcInput::new().with_from_address("a@"))
        .await;
    assert_eq!(out.result(), DmarcResult::PermError);
}

#[tokio::test]
async fn many_signatures_cannot_exhaust_dns() {
    let mut dns = StaticResolver::new();
    dns.add("_dmarc.example.com", Record::txt("v=DMARC1; p=reject"));
    let names: Vec<String> = (0..30).map(|i| format!("a.b.c.d{i}.com")).collect();
    let mut input = DmarcInput::new().with_from_domain("example.com");
    for n in &names {
        input = input.with_dkim(n, true);
    }
    let dns = Counting {
        inner: dns,
        txt_queries: AtomicUsize::new(0),
    };
    let out = DmarcVerifier::new().verify(&dns, &input).await;
    assert_eq!(out.result(), DmarcResult::Fail);
    assert_eq!(out.disposition(), Policy::Reject);
    let q = dns.txt_queries.load(Ordering::SeqCst);
    assert!(
        q <= mailsec_auth::dmarc::MAX_ALIGNMENT_QUERIES + 8,
        "{q} queries"
    );
}

#[tokio::test]
async fn too_many_from_domains() {
    let dns = StaticResolver::new();
    let names: Vec<String> = (0..12).map(|i| format!("d{i}.example")).collect();
    let mut input = DmarcInput::new();
    for n in &names {
        input = input.with_from_domain(n);
    }
    let out = DmarcVerifier::new().verify(&dns, &input).await;
    assert_eq!(out.verdicts().len(), 12);
    assert_eq!(out.result(), DmarcResult::PermError);
    assert_eq!(out.verdicts()[0].result(), DmarcResult::None);
    assert_eq!(out.verdicts()[11].result(), DmarcResult::PermError);
}

#[tokio::test]
async fn organizational_domain_errors() {
    use mailsec_auth::dmarc::DmarcError;
    use std::error::Error;
    let mut dns = StaticResolver::new();
    dns.fail("_dmarc.example.com", Failure::Timeout);
    let v = DmarcVerifier::new();
    let e = v
        .organizational_domain(&dns, "mail.example.com")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, DmarcError::Dns { name, .. } if name == "_dmarc.example.com"),
        "{e}"
    );
    assert!(e.source().is_some());
    assert!(matches!(
        v.organizational_domain(&dns, "a..b").await,
        Err(DmarcError::InvalidDomain(_))
    ));
}
