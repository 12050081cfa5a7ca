//! MTA-STS discovery, cache and delivery decision.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use common::*;
use mailsec_dns::{Record, StaticResolver};
use mailsec_transport::mta_sts::*;
use mailsec_transport::tlsrpt::ResultType;

const POLICY: &str =
    "version: STSv1\nmode: enforce\nmx: mx.example.com\nmx: *.mail.example.com\nmax_age: 86400\n";

/// A fetcher serving a fixed body (or failing), counting calls.
struct Fake {
    body: Mutex<Option<Vec<u8>>>,
    calls: Mutex<Vec<String>>,
}

impl Fake {
    fn new(body: Option<&str>) -> Self {
        Fake {
            body: Mutex::new(body.map(|b| b.as_bytes().to_vec())),
            calls: Mutex::new(Vec::new()),
        }
    }
    fn calls(&self) -> usize {
        self.calls.lock().unwrap().len()
    }
}

#[async_trait]
impl PolicyFetcher for Fake {
    async fn fetch(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        self.calls.lock().unwrap().push(url.to_owned());
        self.body
            .lock()
            .unwrap()
            .clone()
            .ok_or_else(|| FetchError::new("HTTP 404"))
    }
}

fn dns(id: &str) -> StaticResolver {
    let mut dns = StaticResolver::new();
    dns.add(
        "_mta-sts.example.com",
        Record::txt(&format!("v=STSv1; id={id};")),
    );
    dns
}

/// [`evaluate`] now.
fn decide<B: AsRef<[u8]>>(
    policy: &StsPolicy,
    mx: &str,
    chain: &[B],
    pkix: PkixStatus,
) -> StsDecision {
    evaluate(policy, mx, chain, pkix, now())
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

#[test]
fn discovery_uses_cache_by_id_and_expiry() {
    let rt = rt();
    let cache = PolicyCache::new();
    let fetcher = Fake::new(Some(POLICY));
    let t0 = now();
    let d = dns("20260101");
    let got = rt.block_on(discover(&d, Some(&fetcher), &cache, "example.com", t0));
    assert!(
        matches!(got, PolicyLookup::Found { cached: false, .. }),
        "{got:?}"
    );
    assert_eq!(fetcher.calls(), 1);
    assert_eq!(
        fetcher.calls.lock().unwrap()[0],
        "https://mta-sts.example.com/.well-known/mta-sts.txt"
    );

    // Same id, within max_age: from the cache, no fetch.
    let got = rt.block_on(discover(
        &d,
        Some(&fetcher),
        &cache,
        "example.com",
        t0 + Duration::from_secs(3600),
    ));
    assert!(matches!(got, PolicyLookup::Found { cached: true, .. }));
    assert_eq!(fetcher.calls(), 1);

    // New id: refetch.
    let d2 = dns("20260102");
    let got = rt.block_on(discover(
        &d2,
        Some(&fetcher),
        &cache,
        "example.com",
        t0 + Duration::from_secs(3600),
    ));
    assert!(matches!(got, PolicyLookup::Found { cached: false, .. }));
    assert_eq!(fetcher.calls(), 2);

    // After expiry, a failing fetch leaves the policy unavailable.
    let failing = Fake::new(None);
    let late = t0 + Duration::from_secs(3600 + 86_400);
    let got = rt.block_on(discover(
        &dns("x3"),
        Some(&failing),
        &cache,
        "example.com",
        late,
    ));
    match got {
        PolicyLookup::Unavailable(p) => {
            assert_eq!(p.result_type(), ResultType::StsPolicyFetchError)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn fetch_failure_falls_back_on_unexpired_cache() {
    let rt = rt();
    let cache = PolicyCache::new();
    rt.block_on(discover(
        &dns("a1"),
        Some(&Fake::new(Some(POLICY))),
        &cache,
        "example.com",
        now(),
    ));
    let got = rt.block_on(discover(
        &dns("a2"),
        Some(&Fake::new(None)),
        &cache,
        "example.com",
        now(),
    ));
    assert!(
        matches!(got, PolicyLookup::Found { cached: true, ref id, .. } if id == "a1"),
        "{got:?}"
    );
    // The record vanished: the cached policy still holds until it expires.
    let got = rt.block_on(discover(
        &StaticResolver::new(),
        None,
        &cache,
        "example.com",
        now(),
    ));
    assert!(matches!(got, PolicyLookup::Found { cached: true, .. }));
}

#[test]
fn no_record_and_invalid_policy() {
    let rt = rt();
    let cache = PolicyCache::new();
    let got = rt.block_on(discover(
        &StaticResolver::new(),
        None,
        &cache,
        "example.com",
        now(),
    ));
    assert_eq!(got, PolicyLookup::NoPolicy);
    let got = rt.block_on(discover(
        &dns("b1"),
        Some(&Fake::new(Some("version: STSv1\nmode: enforce\n"))),
        &cache,
        "example.com",
        now(),
    ));
    match got {
        PolicyLookup::Unavailable(p) => assert_eq!(p.result_type(), ResultType::StsPolicyInvalid),
        other => panic!("{other:?}"),
    }
    let got = rt.block_on(discover(&dns("b2"), None, &cache, "example.com", now()));
    assert_eq!(got, PolicyLookup::Unavailable(PolicyProblem::NoFetcher));
    // Two STS records: treated as none.
    let mut two = dns("c1");
    two.add("_mta-sts.example.com", Record::txt("v=STSv1; id=c2"));
    let got = rt.block_on(discover(
        &two,
        Some(&Fake::new(Some(POLICY))),
        &cache,
        "example.com",
        now(),
    ));
    assert_eq!(got, PolicyLookup::NoPolicy);
}

#[test]
fn delivery_decision() {
    let policy = StsPolicy::parse(POLICY.as_bytes()).unwrap();
    let ca = root("Root");
    let good = leaf(LeafOpts::default(), &ca);
    let chain = [good.der.clone(), ca.der.clone()];
    let d = decide(&policy, "mx.example.com", &chain, PkixStatus::NotChecked);
    assert_eq!(d.result(), &StsResult::Pass);
    assert!(d.may_deliver());

    // MX not in the policy.
    let d = decide(&policy, "mx.evil.example", &chain, PkixStatus::Trusted);
    assert!(matches!(
        d.result(),
        StsResult::Fail(StsFailure::MxMismatch { .. })
    ));
    assert!(!d.may_deliver());

    // Wildcard pattern, certificate for the MX name.
    let wild = leaf(
        LeafOpts {
            names: &["mx1.mail.example.com"],
            ..Default::default()
        },
        &ca,
    );
    let d = decide(
        &policy,
        "mx1.mail.example.com",
        &[&wild.der, &ca.der],
        PkixStatus::Trusted,
    );
    assert_eq!(d.result().as_str(), "pass");

    // Certificate for another host.
    let d = decide(&policy, "mx1.mail.example.com", &chain, PkixStatus::Trusted);
    match d.result() {
        StsResult::Fail(f) => assert_eq!(f.result_type(), ResultType::CertificateHostMismatch),
        other => panic!("{other:?}"),
    }

    // Expired certificate.
    let old = leaf(
        LeafOpts {
            not_before: (2025, 1, 1),
            not_after: (2025, 3, 1),
            ..Default::default()
        },
        &ca,
    );
    let d = decide(
        &policy,
        "mx.example.com",
        &[&old.der, &ca.der],
        PkixStatus::Trusted,
    );
    match d.result() {
        StsResult::Fail(f) => assert_eq!(f.result_type(), ResultType::CertificateExpired),
        other => panic!("{other:?}"),
    }

    // Not a server certificate.
    let client = leaf(
        LeafOpts {
            server_auth: false,
            ..Default::default()
        },
        &ca,
    );
    let d = decide(
        &policy,
        "mx.example.com",
        &[&client.der, &ca.der],
        PkixStatus::Trusted,
    );
    assert!(matches!(
        d.result(),
        StsResult::Fail(StsFailure::ValidationFailure(_))
    ));

    // Untrusted roots.
    let d = decide(&policy, "mx.example.com", &chain, PkixStatus::Untrusted);
    assert!(matches!(
        d.result(),
        StsResult::Fail(StsFailure::CertificateNotTrusted)
    ));

    // Broken chain (issuer is another CA).
    let other = root("Other");
    let d = decide(
        &policy,
        "mx.example.com",
        &[&good.der, &other.der],
        PkixStatus::NotChecked,
    );
    assert!(matches!(
        d.result(),
        StsResult::Fail(StsFailure::ValidationFailure(_))
    ));
    // The TLS library found a trusted path: extra certificates sent are its business.
    let d = decide(
        &policy,
        "mx.example.com",
        &[&good.der, &other.der],
        PkixStatus::Trusted,
    );
    assert_eq!(d.result(), &StsResult::Pass);
}

#[test]
fn testing_mode_delivers_on_failure() {
    let policy = StsPolicy::parse(POLICY.replace("enforce", "testing").as_bytes()).unwrap();
    let ca = root("Root");
    let l = leaf(
        LeafOpts {
            names: &["other.example.com"],
            ..Default::default()
        },
        &ca,
    );
    let d = decide(&policy, "mx.example.com", &[&l.der], PkixStatus::NotChecked);
    assert_eq!(d.result().as_str(), "fail");
    assert_eq!(d.mode(), Some(Mode::Testing));
    assert!(d.may_deliver());

    let none = StsPolicy::parse(b"version: STSv1\nmode: none\nmax_age: 86400\n").unwrap();
    let d = decide(&none, "mx.example.com", &[&l.der], PkixStatus::NotChecked);
    assert_eq!(d.result(), &StsResult::None);
}
