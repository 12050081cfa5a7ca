//! Zone-file reading and writing: every feature, malformed input, round trips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use mailsec_dns::{
    DnsError, Failure, Record, RecordType, Resolver, StaticResolver, Tlsa, Txt, ZoneError,
};
use mailsec_testkit::block_on;
use proptest::prelude::*;

const FULL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/full.zone");
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/dns/zone.txt");

async fn ttl_of(dns: &StaticResolver, name: &str, rtype: RecordType) -> u32 {
    dns.lookup(name, rtype).await.unwrap().ttl()
}

#[test]
fn full_zone_every_record_and_feature() {
    let dns = StaticResolver::from_zone_file(FULL).unwrap();
    block_on(async {
        // MX: relative and absolute exchanges, sorted by preference.
        let mx = dns.mx("example.org").await.unwrap();
        let hosts: Vec<_> = mx
            .records()
            .iter()
            .map(|m| (m.preference, m.exchange.as_str()))
            .collect();
        assert_eq!(hosts, [(10, "mx1.example.org"), (20, "mx2.example.org")]);
        assert_eq!(mx.ttl(), 3600);
        assert!(mx.is_authenticated(), ";@secure @");

        // Owner omitted continues "@"; multi-string TXT kept apart.
        let spf = dns.txt("example.org").await.unwrap();
        assert_eq!(
            spf.records()[0].strings(),
            [
                b"v=spf1 ip4:192.0.2.0/24 ".to_vec(),
                b"ip6:2001:db8::/32 -all".to_vec()
            ]
        );
        assert_eq!(
            spf.records()[0].to_string_lossy(),
            "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"
        );

        // TTL and class in either order; $TTL default.
        assert_eq!(
            dns.a("mx1.example.org").await.unwrap().records(),
            [Ipv4Addr::new(192, 0, 2, 10)]
        );
        assert_eq!(ttl_of(&dns, "mx1.example.org", RecordType::A).await, 300);
        assert_eq!(
            dns.aaaa("mx1.example.org").await.unwrap().records(),
            ["2001:db8::10".parse::<Ipv6Addr>().unwrap()]
        );
        assert_eq!(ttl_of(&dns, "mx1.example.org", RecordType::Aaaa).await, 600);
        assert_eq!(ttl_of(&dns, "mx2.example.org", RecordType::A).await, 3600);
        assert!(
            dns.a("mixed.case.example.org").await.is_ok(),
            "names are lower-cased"
        );

        // Quoting and escapes.
        let q = dns.txt("quotes.example.org").await.unwrap();
        assert_eq!(
            q.records()[0].strings(),
            [
                b"say \"hi\"".to_vec(),
                b"back\\slash".to_vec(),
                b"semi;colon".to_vec(),
                b"ABC".to_vec()
            ]
        );
        let bare = dns.txt("bare.example.org").await.unwrap();
        assert_eq!(
            bare.records()[0].strings(),
            [b"unquoted".to_vec(), b"words".to_vec()]
        );
        let empty = dns.txt("empty.example.org").await.unwrap();
        assert_eq!(empty.records()[0].strings(), [Vec::<u8>::new()]);

        // A TXT record in parentheses over two lines.
        let dkim = dns.txt("sel1._domainkey.example.org").await.unwrap();
        assert_eq!(
            dkim.records()[0].to_string_lossy(),
            "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"
        );
        assert_eq!(
            dns.txt("_dmarc.example.org").await.unwrap().records().len(),
            1
        );

        // CNAME chain: alias -> www -> mx1.
        let a = dns.a("alias.example.org").await.unwrap();
        assert_eq!(a.records(), [Ipv4Addr::new(192, 0, 2, 10)]);
        let cname = dns
            .lookup("www.example.org", RecordType::Cname)
            .await
            .unwrap();
        assert_eq!(cname.records(), [Record::cname("mx1.example.org")]);

        // Wildcard.
        let wild = dns.txt("anything.wild.example.org").await.unwrap();
        assert_eq!(wild.records()[0].to_string_lossy(), "wildcard");

        // TLSA: hex split over lines and spaces, mixed case; secure.
        let tlsa = dns.tlsa("_25._tcp.mx1.example.org").await.unwrap();
        assert_eq!(
            tlsa.records(),
            [Tlsa {
                usage: 3,
                selector: 1,
                matching: 1,
                data: [
                    hex("0123456789ABCDEF0123456789abcdef"),
                    hex("0123456789ABCDEF0123456789ABCDEF")
                ]
                .concat(),
            }]
        );
        assert!(tlsa.is_authenticated());
        assert!(!dns.a("mx1.example.org").await.unwrap().is_authenticated());

        // Pragmas: failures.
        assert!(matches!(
            dns.a("slow.example.org").await,
            Err(DnsError::TempFail {
                kind: mailsec_dns::TempFailKind::Timeout,
                ..
            })
        ));
        assert!(matches!(
            dns.txt("broken.example.org").await,
            Err(DnsError::TempFail {
                kind: mailsec_dns::TempFailKind::ServFail,
                ..
            })
        ));
        assert!(matches!(
            dns.a("broken.example.org").await,
            Err(DnsError::NoData { .. })
        ));
        assert!(matches!(
            dns.a("gone.example.org").await,
            Err(DnsError::NxDomain { .. })
        ));

        // PTR under a second $ORIGIN, $TTL changed half-way.
        let ptr = dns
            .ptr(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)))
            .await
            .unwrap();
        assert_eq!(ptr.records(), ["mx1.example.org"]);
        assert_eq!(ptr.ttl(), 3600);
        let ptr = dns
            .ptr(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 20)))
            .await
            .unwrap();
        assert_eq!(ptr.ttl(), 86400);

        // SOA/NS make a name exist without being served; unknown names are NXDOMAIN.
        assert!(matches!(
            dns.a("example.org").await,
            Err(DnsError::NoData { .. })
        ));
        assert!(matches!(
            dns.a("nowhere.example.org").await,
            Err(DnsError::NxDomain { .. })
        ));
    });
    // Every record line of the file is held: 2 MX, 1+1+1+1+1 TXT at apex/_dmarc/quotes/bare/empty,
    // DKIM, 2 CNAME, wildcard, TLSA, A x3 + AAAA, 2 PTR.
    assert_eq!(dns.records().count(), 2 + 5 + 1 + 2 + 1 + 1 + 4 + 2);
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn example_zone_loads() {
    let dns = StaticResolver::from_zone_file(EXAMPLE).unwrap();
    block_on(async {
        let spf = dns.txt("example.org").await.unwrap();
        assert_eq!(
            spf.records()[0].to_string_lossy(),
            "v=spf1 ip4:192.0.2.0/24 -all"
        );
        let dmarc = dns.txt("_dmarc.example.org").await.unwrap();
        assert_eq!(
            dmarc.records()[0].to_string_lossy(),
            "v=DMARC1; p=reject; rua=mailto:dmarc@example.org"
        );
        assert!(dns.mx("example.org").await.is_ok());
        assert!(dns.a("example.org").await.is_ok());
        let dkim = dns.txt("sel1._domainkey.example.org").await.unwrap();
        assert!(dkim.records()[0].to_string_lossy().starts_with("v=DKIM1;"));
        let net = dns.txt("example.net").await.unwrap();
        assert!(net.records()[0].to_string_lossy().ends_with("~all"));
        assert!(matches!(
            dns.txt("_dmarc.example.net").await,
            Err(DnsError::NxDomain { .. })
        ));
    });
}

#[test]
fn io_error_names_the_file() {
    let err = StaticResolver::from_zone_file("/nonexistent/zone.txt").unwrap_err();
    assert!(matches!(err, ZoneError::Io { .. }));
    assert!(err.to_string().contains("/nonexistent/zone.txt"));
}

/// Each case: zone text, the line the error must name, a word the message must contain.
const MALFORMED: &[(&str, usize, &str)] = &[
    ("$ORIGIN example.org.\n@ IN A 192.0.2.300\n", 2, "IPv4"),
    ("$ORIGIN example.org.\n@ IN AAAA 192.0.2.1\n", 2, "IPv6"),
    ("$ORIGIN example.org.\n\n\n@ IN SRV 0 0 25 mx\n", 4, "SRV"),
    ("$ORIGIN example.org.\n@ IN TYPE99 \\# 0\n", 2, "TYPE99"),
    ("$INCLUDE other.zone\n", 1, "$INCLUDE"),
    ("$GENERATE 1-10 host$ A 192.0.2.$\n", 1, "directive"),
    ("$ORIGIN example.org.\n$TTL forever\n", 2, "TTL"),
    ("$ORIGIN example.org.\n@ 1h30 IN A 192.0.2.1\n", 2, "TTL"),
    (
        "$ORIGIN example.org.\n@ 99999999999 IN A 192.0.2.1\n",
        2,
        "TTL",
    ),
    ("$ORIGIN example.org.\n@ CH TXT \"x\"\n", 2, "class"),
    (
        "$ORIGIN example.org.\n@ IN IN A 192.0.2.1\n",
        2,
        "two classes",
    ),
    ("$ORIGIN example.org.\n@ 1 2 A 192.0.2.1\n", 2, "two TTLs"),
    ("$ORIGIN example.org.\n@ IN\n", 2, "type missing"),
    ("$ORIGIN example.org.\n@ IN MX mx\n", 2, "preference"),
    ("$ORIGIN example.org.\n@ IN MX 70000 mx\n", 2, "preference"),
    (
        "$ORIGIN example.org.\n@ IN A 192.0.2.1 192.0.2.2\n",
        2,
        "field",
    ),
    ("$ORIGIN example.org.\n@ IN TXT\n", 2, "TXT"),
    (
        "$ORIGIN example.org.\n@ IN TXT \"unterminated\n",
        2,
        "quoted",
    ),
    (
        "$ORIGIN example.org.\n@ IN TXT \"bad \\300 escape\"\n",
        2,
        "255",
    ),
    (
        "$ORIGIN example.org.\n@ IN TXT \"short \\12\"\n",
        2,
        "three digits",
    ),
    (
        "$ORIGIN example.org.\n@ IN TLSA 3 1 1 XYZ\n",
        2,
        "hexadecimal",
    ),
    ("$ORIGIN example.org.\n@ IN TLSA 3 1 1 ABC\n", 2, "odd"),
    ("$ORIGIN example.org.\n@ IN TLSA 3 1 1\n", 2, "data"),
    ("$ORIGIN example.org.\n@ IN TLSA 300 1 1 AB\n", 2, "usage"),
    (
        "$ORIGIN example.org.\n@ IN TLSA 3 1 (\n 1\n ZZ )\n",
        4,
        "hexadecimal",
    ),
    (
        "$ORIGIN example.org.\n@ IN TXT ( \"a\"\n\n",
        2,
        "never closed",
    ),
    (
        "$ORIGIN example.org.\n@ IN TXT ( ( \"a\" ) )\n",
        2,
        "nested",
    ),
    ("$ORIGIN example.org.\n@ IN TXT \"a\" )\n", 2, "')'"),
    ("www IN A 192.0.2.1\n", 1, "$ORIGIN"),
    ("@ IN A 192.0.2.1\n", 1, "@"),
    ("  IN A 192.0.2.1\n", 1, "owner"),
    (
        "$ORIGIN example.org.\na..b IN A 192.0.2.1\n",
        2,
        "invalid domain name",
    ),
    (
        "$ORIGIN example.org.\na\\.b IN A 192.0.2.1\n",
        2,
        "dot inside a label",
    ),
    ("$ORIGIN example.org.\n@ IN CNAME \"quoted\"\n", 2, "quoted"),
    ("$ORIGIN example.org.\n@ IN \"A\" 192.0.2.1\n", 2, "quoted"),
    ("$ORIGIN example.org.\n;@secure\n", 2, "name"),
    (
        "$ORIGIN example.org.\n;@secure x\n;@bogus name\n",
        3,
        "unknown pragma",
    ),
    ("$ORIGIN example.org.\n;@secure a b\n", 2, "name"),
    ("$ORIGIN example.org.\n;@timeout a SRV\n", 2, "SRV"),
    ("$ORIGIN example.org.\n;@all-secure x\n", 2, "no name"),
    (
        "$ORIGIN example.org.\n@ IN SOA ns1 hostmaster 1 2 3 4\n",
        2,
        "SOA",
    ),
    ("$ORIGIN example.org.\n@ IN NS\n", 2, "name server"),
    ("$ORIGIN example.org.\n@ IN TXT \"a\\\n", 2, "backslash"),
];

#[test]
fn malformed_lines_name_the_line() {
    for (text, line, word) in MALFORMED {
        let err = StaticResolver::from_zone_str(text, None)
            .err()
            .unwrap_or_else(|| panic!("{text:?} was accepted"));
        let message = err.to_string();
        assert_eq!(err.line(), Some(*line), "{text:?}: {message}");
        assert!(
            message.contains(word),
            "{text:?}: {message:?} lacks {word:?}"
        );
        assert!(message.contains(&format!("line {line}")), "{message}");
    }
}

#[test]
fn long_txt_string_rejected_with_advice() {
    let text = format!("$ORIGIN example.org.\n@ IN TXT \"{}\"\n", "x".repeat(256));
    let err = StaticResolver::from_zone_str(&text, None).unwrap_err();
    assert_eq!(err.line(), Some(2));
    assert!(err.to_string().contains("split"));
    let ok = format!(
        "$ORIGIN example.org.\n@ IN TXT \"{0}\" \"{0}\"\n",
        "x".repeat(255)
    );
    assert!(StaticResolver::from_zone_str(&ok, None).is_ok());
}

#[test]
fn origin_argument_and_root() {
    let dns =
        StaticResolver::from_zone_str("@ A 192.0.2.1\nwww A 192.0.2.2\n", Some("Example.COM."))
            .unwrap();
    block_on(async {
        assert!(dns.a("example.com").await.is_ok());
        assert!(dns.a("www.example.com").await.is_ok());
    });
    // Null MX (RFC 7505) points at the root.
    let dns = StaticResolver::from_zone_str("example.com. MX 0 .\n", None).unwrap();
    let mx = block_on(dns.mx("example.com")).unwrap();
    assert_eq!(mx.records()[0].exchange, "");
    // A root origin joins relative names without a trailing label.
    let dns = StaticResolver::from_zone_str("$ORIGIN .\norg A 192.0.2.1\n", None).unwrap();
    assert!(block_on(dns.a("org")).is_ok());
}

#[test]
fn last_ttl_applies_without_default_ttl() {
    let dns = StaticResolver::from_zone_str("a 120 A 192.0.2.1\nb A 192.0.2.2\n", Some("example"))
        .unwrap();
    assert_eq!(block_on(ttl_of(&dns, "b.example", RecordType::A)), 120);
    let dns = StaticResolver::from_zone_str("a A 192.0.2.1\n", Some("example")).unwrap();
    assert_eq!(block_on(ttl_of(&dns, "a.example", RecordType::A)), 300);
}

#[test]
fn crlf_and_tabs_and_all_secure() {
    let text =
        "$ORIGIN example.org.\r\n;@all-secure\r\n@\tIN\tTXT\t\"x\"\r\n\tIN\tA\t192.0.2.1\r\n";
    let dns = StaticResolver::from_zone_str(text, None).unwrap();
    let txt = block_on(dns.txt("example.org")).unwrap();
    assert!(txt.is_authenticated());
    assert_eq!(txt.records()[0].to_string_lossy(), "x");
    assert!(block_on(dns.a("example.org")).is_ok());
}

#[test]
fn writer_output_reads_back() {
    let mut dns = StaticResolver::new();
    dns.add_with_ttl("example.org", Record::txt("v=spf1 \"quoted\" \\ -all"), 60);
    dns.add("example.org", Record::mx(10, "mail.example.org"));
    dns.add("mail.example.org", Record::A(Ipv4Addr::new(192, 0, 2, 1)));
    dns.add("mail.example.org", Record::Aaaa(Ipv6Addr::LOCALHOST));
    dns.add("w.example.org", Record::cname("mail.example.org"));
    dns.add("1.2.0.192.in-addr.arpa", Record::ptr("mail.example.org"));
    dns.add(
        "odd name@.example.org",
        Record::Txt(Txt::new(vec![vec![0, 255, b';'], vec![]])),
    );
    dns.add(
        "_25._tcp.mail.example.org",
        Record::Tlsa(Tlsa {
            usage: 3,
            selector: 1,
            matching: 1,
            data: vec![0xde, 0xad],
        }),
    );
    dns.fail("t.example.org", Failure::Timeout);
    dns.fail_type("s.example.org", Some(RecordType::Txt), Failure::ServFail);
    dns.fail("n.example.org", Failure::NxDomain);
    dns.set_secure("mail.example.org", true);
    let text = dns.to_zone_string();
    let back = StaticResolver::from_zone_str(&text, None).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back.to_zone_string(), text);
    assert_eq!(sorted(&back), sorted(&dns));
    assert!(
        block_on(back.a("mail.example.org"))
            .unwrap()
            .is_authenticated()
    );
    assert!(
        block_on(back.txt("s.example.org"))
            .unwrap_err()
            .is_temporary()
    );
}

fn sorted(dns: &StaticResolver) -> Vec<(String, String, u32)> {
    let mut v: Vec<_> = dns
        .records()
        .map(|(n, r, t)| (n.to_owned(), format!("{r:?}"), t))
        .collect();
    v.sort();
    v
}

// --- property tests ---------------------------------------------------------

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9][a-z0-9-]{0,10}",
        Just("_dmarc".to_owned()),
        Just("*".to_owned()),
        // Characters that must be escaped in presentation form.
        "[a-z;()\"\\\\@$ ]{1,5}",
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop::collection::vec(label(), 1..4).prop_map(|labels| labels.join("."))
}

fn record() -> impl Strategy<Value = Record> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|o| Record::A(Ipv4Addr::from(o))),
        any::<[u8; 16]>().prop_map(|o| Record::Aaaa(Ipv6Addr::from(o))),
        (any::<u16>(), name()).prop_map(|(p, n)| Record::mx(p, &n)),
        name().prop_map(|n| Record::ptr(&n)),
        name().prop_map(|n| Record::cname(&n)),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..4)
            .prop_map(|s| Record::Txt(Txt::new(s))),
        (
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            prop::collection::vec(any::<u8>(), 1..40)
        )
            .prop_map(|(usage, selector, matching, data)| Record::Tlsa(Tlsa {
                usage,
                selector,
                matching,
                data
            })),
    ]
}

fn failure() -> impl Strategy<Value = Failure> {
    prop_oneof![
        Just(Failure::NxDomain),
        Just(Failure::Timeout),
        Just(Failure::ServFail)
    ]
}

fn rtype() -> impl Strategy<Value = Option<RecordType>> {
    prop_oneof![
        Just(None),
        Just(Some(RecordType::A)),
        Just(Some(RecordType::Txt)),
        Just(Some(RecordType::Tlsa)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_never_panics(text in "\\PC*") {
        let _ = StaticResolver::from_zone_str(&text, Some("example.org"));
    }

    #[test]
    fn zone_like_text_never_panics(
        lines in prop::collection::vec(
            prop_oneof![
                "[ \t]{0,2}[@a-z.*]{0,6}[ \t]+([0-9]{1,3}[smhdw]?[ \t]+)?(IN[ \t]+)?(A|AAAA|MX|TXT|PTR|CNAME|TLSA|SOA|NS)[ \t]+[-0-9a-fA-F.:\" ;()\\\\]{0,30}",
                "\\$(ORIGIN|TTL|INCLUDE)[ \t][a-z0-9.]{0,10}",
                ";@(secure|timeout|servfail|nxdomain|all-secure|x)[ \t]*[a-z.@]{0,8}[ \t]*[A-Z]{0,5}",
                "[()\";\\\\ ]{0,6}",
            ],
            0..12,
        )
    ) {
        let _ = StaticResolver::from_zone_str(&lines.join("\n"), Some("example.org"));
    }

    #[test]
    fn write_read_round_trip(
        entries in prop::collection::vec((name(), record(), 0u32..=u32::MAX), 0..12),
        failures in prop::collection::vec((name(), rtype(), failure()), 0..4),
        secure in prop::collection::vec(name(), 0..3),
        all_secure in any::<bool>(),
    ) {
        let mut dns = StaticResolver::new();
        for (n, r, ttl) in &entries {
            dns.add_with_ttl(n, r.clone(), *ttl);
        }
        for (n, t, f) in &failures {
            dns.fail_type(n, *t, *f);
        }
        for n in &secure {
            dns.set_secure(n, true);
        }
        dns.set_all_secure(all_secure);
        let text = dns.to_zone_string();
        let back = StaticResolver::from_zone_str(&text, None)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(back.to_zone_string(), text);
        prop_assert_eq!(sorted(&back), sorted(&dns));
    }
}
