//! SPF records and macro expansion: up to four fuzzed TXT records (one per input line)
//! published at names that include, redirect to and explain each other, evaluated by
//! `check_host` and `check_helo` for IPv4 and IPv6 clients. Every macro letter,
//! transformer and delimiter in a record is expanded against real request values; every
//! outcome must be a result word within RFC 7208's lookup limits, never a panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsec_auth::spf::{self, SpfConfig, SpfRecord};
use mailsec_dns::{Record, StaticResolver};
use std::net::IpAddr;
use std::time::{Duration, UNIX_EPOCH};

const NAMES: [&str; 4] = [
    "example.org",
    "a.example.org",
    "b.example.org",
    "exp.example.org",
];

fuzz_target!(|data: &[u8]| mailsec_fuzz::guard(|| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut dns = StaticResolver::new();
    for (name, line) in NAMES.iter().zip(text.split('\n')) {
        let line = line.trim_end_matches('\r');
        let _ = SpfRecord::is_spf1(line.as_bytes());
        if let Ok(record) = SpfRecord::parse(line) {
            for d in record.directives() {
                let _ = (
                    d.mechanism.name(),
                    d.mechanism.queries_dns(),
                    d.mechanism.to_string(),
                );
            }
            let _ = (
                record.redirect().map(|d| d.as_str().len()),
                record.exp().map(|d| d.as_str().len()),
            );
        }
        dns.add(name, Record::txt(line));
    }
    // Addresses and names the mechanisms may ask for.
    for name in NAMES {
        dns.add(name, Record::A([192, 0, 2, 1].into()));
        dns.add(
            name,
            Record::Aaaa(
                "2001:db8::1"
                    .parse()
                    .unwrap_or(std::net::Ipv6Addr::LOCALHOST),
            ),
        );
        dns.add(name, Record::mx(10, "mx.example.org"));
    }
    dns.add("mx.example.org", Record::A([192, 0, 2, 25].into()));
    dns.add("1.2.0.192.in-addr.arpa", Record::ptr("mx.example.org"));

    let config = SpfConfig::default();
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let ips: [IpAddr; 2] = [
        [192, 0, 2, 1].into(),
        "2001:db8::2".parse().unwrap_or([0u8; 16].into()),
    ];
    mailsec_fuzz::block_on(async {
        for ip in ips {
            let out = spf::check_host(
                &dns,
                ip,
                "mx.example.org",
                "Local.Part+tag@example.org",
                &config,
                now,
            )
            .await;
            assert!(out.dns_lookups() <= config.max_dns_mechanisms() + 1);
            let _ = (
                out.result().as_str(),
                out.explanation(),
                out.problem(),
                out.mechanism(),
            );
            let _ = out.received_spf_header("receiver.example.net");
            let out = spf::check_helo(&dns, ip, "a.example.org", &config, now).await;
            let _ = out.received_spf("receiver.example.net");
        }
    });
}));
