//! SPF record parsing and a whole check, beside mail-auth (the anchor).
//!
//! mail-auth is fed through its resolver caches (parsed records, as its
//! cache keeps them); mailsec through `StaticResolver` (TXT text), parsing
//! the records on every check (`mailsec`) or taking them from an
//! `SpfRecordCache` (`mailsec-record-cache`).
//!
//! Every contender runs on the calling thread (a current-thread runtime),
//! and the time criterion reports is that thread's CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`, through `iter_custom`), not wall time: the
//! build machine is shared, and waiting for a core is not the cost of a
//! check.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use cpu_time::ThreadTime;
use criterion::{Bencher, Criterion, criterion_group, criterion_main};
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::spf::verify::SpfParameters;
use mail_auth::{DnssecStatus, MessageAuthenticator, Parameters, RecordSet, ResolverCache, Txt};
use mailsec_auth::spf::{self, SpfConfig, SpfRecord, SpfRecordCache, SpfResult};
use mailsec_dns::{Record, StaticResolver};

const TOP: &str = "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8::/32 include:_spf.example.net \
                   a:mail.example.org/28 -all";
const INCLUDED: &str = "v=spf1 ip4:203.0.113.0/26 ip4:192.0.2.0/24 ~all";

struct Map<K, V>(HashMap<K, V>);

impl<K: Hash + Eq, V: Clone> ResolverCache<K, V> for Map<K, V> {
    fn get<Q>(&self, name: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.get(name).cloned()
    }

    fn remove<Q>(&self, name: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.get(name).cloned()
    }

    fn insert(&self, _key: K, _value: V, _valid_until: Instant) {}
}

/// Runs `f` as criterion's `iter` would, timing the thread's CPU time.
fn iter_cpu<T>(b: &mut Bencher<'_>, mut f: impl FnMut() -> T) {
    b.iter_custom(|iters| {
        let start = ThreadTime::now();
        for _ in 0..iters {
            std::hint::black_box(f());
        }
        let took: Duration = start.elapsed();
        took
    });
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("spf_parse");
    group.bench_function("mailsec", |b| {
        iter_cpu(b, || SpfRecord::parse(std::hint::black_box(TOP)).unwrap())
    });
    group.bench_function("mail-auth", |b| {
        iter_cpu(b, || {
            mail_auth::spf::Spf::parse(std::hint::black_box(TOP.as_bytes())).unwrap()
        })
    });
    group.finish();
}

fn check(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let ip: IpAddr = "192.0.2.77".parse().unwrap();

    let mut dns = StaticResolver::new();
    dns.add("example.org", Record::txt(TOP));
    dns.add("_spf.example.net", Record::txt(INCLUDED));
    dns.add("mail.example.org", Record::A("198.18.0.1".parse().unwrap()));
    let config = SpfConfig::default();
    let check = |config: &SpfConfig| {
        runtime.block_on(spf::check_host(
            &dns,
            ip,
            "mx.example.org",
            "alice@example.org",
            config,
            SystemTime::now(),
        ))
    };
    assert_eq!(check(&config).result(), SpfResult::Pass);

    let authenticator = MessageAuthenticator::new_cloudflare().unwrap();
    let txt = Map(HashMap::from([
        (
            Box::<str>::from("example.org."),
            Txt::from(mail_auth::spf::Spf::parse(TOP.as_bytes()).unwrap()),
        ),
        (
            Box::<str>::from("_spf.example.net."),
            Txt::from(mail_auth::spf::Spf::parse(INCLUDED.as_bytes()).unwrap()),
        ),
    ]));
    let ipv4: Map<Box<str>, RecordSet<Ipv4Addr>> = Map(HashMap::from([(
        Box::<str>::from("mail.example.org."),
        RecordSet {
            rrset: Arc::from(vec!["198.18.0.1".parse::<Ipv4Addr>().unwrap()]),
            dnssec_status: DnssecStatus::default(),
        },
    )]));
    let verify = || {
        let params = Parameters::new(SpfParameters::verify_mail_from(
            ip,
            "mx.example.org",
            "rx.example.net",
            "alice@example.org",
        ))
        .with_txt_cache(&txt)
        .with_ipv4_cache(&ipv4);
        authenticator.verify_spf(params)
    };
    let theirs = runtime.block_on(verify());
    assert_eq!(theirs.result(), mail_auth::SpfResult::Pass);

    let mut group = c.benchmark_group("spf_check");
    group.bench_function("mailsec", |b| iter_cpu(b, || check(&config)));
    // The same check with parsed records from a shared cache (warm: the
    // records are parsed once, before the measurement).
    let cached = SpfConfig::default().with_record_cache(Arc::new(SpfRecordCache::new(
        SpfRecordCache::DEFAULT_CAPACITY,
    )));
    group.bench_function("mailsec-record-cache", |b| iter_cpu(b, || check(&cached)));
    group.bench_function("mail-auth", |b| iter_cpu(b, || runtime.block_on(verify())));
    // What the two TXT lookups alone cost through `StaticResolver` (part of
    // both mailsec numbers above; mail-auth reads its own caches instead).
    group.bench_function("static-resolver-two-txt-lookups", |b| {
        use mailsec_dns::Resolver;
        iter_cpu(b, || {
            runtime.block_on(async {
                let top = dns.txt("example.org").await.unwrap();
                let inc = dns.txt("_spf.example.net").await.unwrap();
                top.records().len() + inc.records().len()
            })
        })
    });
    group.finish();
}

criterion_group!(benches, parse, check);
criterion_main!(benches);
