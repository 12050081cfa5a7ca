//! "Any input, no panic, bounded time" for the SPF record parser, the macro
//! expander and the whole evaluation, and for Received-SPF quoting.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime};

use mailsec_auth::spf::{self, SpfConfig, SpfRecord};
use mailsec_dns::{Record, StaticResolver};
use mailsec_testkit::block_on;
use proptest::prelude::*;

/// Terms that look like SPF, to reach deep into the parser and evaluator.
fn term() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("all".to_owned()),
        Just("-all".to_owned()),
        "[+~?-]?(a|mx)(:%\\{[dlsoihp][0-9]?r?[.-]?\\}\\.example\\.org)?(/[0-9]{1,3})?(//[0-9]{1,3})?",
        "[+~?-]?(include|exists|ptr):(%\\{[dlsoihvp]r?\\}\\.)?[a-z]{1,3}\\.example\\.org",
        "ip4:[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(/[0-9]{1,2})?",
        "ip6:[0-9a-f:]{2,20}(/[0-9]{1,3})?",
        "(redirect|exp|x-[a-z]{1,4})=[a-z%{}.]{1,20}",
        ".{0,12}",
    ]
}

fn record() -> impl Strategy<Value = String> {
    (prop::collection::vec(term(), 0..12), " {1,2}")
        .prop_map(|(terms, sep)| format!("v=spf1{sep}{}", terms.join(sep.as_str())))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parser_never_panics(text in ".{0,300}", bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = SpfRecord::parse(&text);
        let _ = SpfRecord::parse(&format!("v=spf1 {text}"));
        let _ = SpfRecord::parse(&String::from_utf8_lossy(&bytes));
        let _ = SpfRecord::is_spf1(&bytes);
    }

    #[test]
    fn evaluation_never_panics_and_is_bounded(
        top in record(),
        other in record(),
        exp in ".{0,60}",
        local in ".{0,40}",
        helo in "[a-z.\\[\\]0-9]{0,30}",
        raw_ip in any::<u128>(),
        v6 in any::<bool>(),
    ) {
        let mut dns = StaticResolver::new();
        dns.add("example.org", Record::txt(&top));
        for name in ["a.example.org", "b.example.org", "abc.example.org", "exp.example.org"] {
            dns.add(name, Record::txt(&other));
            dns.add(name, Record::A("192.0.2.1".parse().unwrap()));
        }
        dns.add("example.org", Record::mx(10, "a.example.org"));
        dns.add("1.2.0.192.in-addr.arpa", Record::ptr("a.example.org"));
        dns.add("x.example.org", Record::txt(&exp));
        let ip = if v6 { IpAddr::V6(raw_ip.into()) } else { IpAddr::V4((raw_ip as u32).into()) };
        let start = Instant::now();
        let out = block_on(spf::check_host(
            &dns,
            ip,
            &helo,
            &format!("{local}@example.org"),
            &SpfConfig::default(),
            SystemTime::now(),
        ));
        prop_assert!(start.elapsed() < Duration::from_secs(2));
        prop_assert!(out.dns_lookups() <= 11);
        let value = out.received_spf("rx.example.net");
        prop_assert!(!value.contains('\r') && !value.contains('\n'));
    }
}
