//! SPF behaviour through the public API: identities, limits, errors,
//! explanations, Received-SPF and iprev.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mailsec_auth::spf::{self, SpfConfig, SpfIdentity, SpfOutput, SpfResult, SpfVerifier};
use mailsec_dns::{Failure, Record, RecordType, StaticResolver};
use mailsec_testkit::block_on;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn mail_from(dns: &StaticResolver, client: &str, from: &str, config: &SpfConfig) -> SpfOutput {
    block_on(spf::check_host(
        dns,
        ip(client),
        "helo.example.net",
        from,
        config,
        now(),
    ))
}

#[test]
fn result_words() {
    let words = [
        (SpfResult::Pass, "pass"),
        (SpfResult::Fail, "fail"),
        (SpfResult::SoftFail, "softfail"),
        (SpfResult::Neutral, "neutral"),
        (SpfResult::None, "none"),
        (SpfResult::TempError, "temperror"),
        (SpfResult::PermError, "permerror"),
    ];
    for (result, word) in words {
        assert_eq!(result.as_str(), word);
        assert_eq!(result.to_string(), word);
        assert_eq!(SpfResult::from_word(&word.to_uppercase()), Some(result));
    }
}

#[test]
fn timeouts_are_temperror_never_pass_or_fail() {
    let mut dns = StaticResolver::new();
    dns.add("example.org", Record::txt("v=spf1 a:slow.example.org -all"));
    dns.fail_type("slow.example.org", Some(RecordType::A), Failure::Timeout);
    dns.add(
        "inc.example.org",
        Record::txt("v=spf1 include:slow2.example.org +all"),
    );
    dns.fail("slow2.example.org", Failure::Timeout);
    dns.fail("down.example.org", Failure::ServFail);
    let config = SpfConfig::default();
    for from in ["a@example.org", "a@inc.example.org", "a@down.example.org"] {
        let out = mail_from(&dns, "192.0.2.1", from, &config);
        assert_eq!(out.result(), SpfResult::TempError, "{from}");
        assert!(out.problem().is_some());
        assert_eq!(out.explanation(), None);
    }
}

#[test]
fn dns_mechanism_limit_is_configurable() {
    let mut dns = StaticResolver::new();
    let terms: String = (0..12).map(|n| format!(" a:h{n}.example.org")).collect();
    dns.add(
        "example.org",
        Record::txt(&format!("v=spf1{terms} ip4:192.0.2.1 -all")),
    );
    for n in 0..12 {
        dns.add(
            &format!("h{n}.example.org"),
            Record::A("198.51.100.1".parse().unwrap()),
        );
    }
    let out = mail_from(&dns, "192.0.2.1", "a@example.org", &SpfConfig::default());
    assert_eq!(out.result(), SpfResult::PermError);
    assert_eq!(out.dns_lookups(), 11);
    let relaxed = SpfConfig::default().with_max_dns_mechanisms(12);
    let out = mail_from(&dns, "192.0.2.1", "a@example.org", &relaxed);
    assert_eq!(out.result(), SpfResult::Pass);
    assert_eq!(out.mechanism(), Some("ip4:192.0.2.1/32"));
}

#[test]
fn void_lookup_limit_counts_terms() {
    let mut dns = StaticResolver::new();
    dns.add(
        "two.example.org",
        Record::txt("v=spf1 a:gone1.example.org a:gone2.example.org -all"),
    );
    dns.add(
        "three.example.org",
        Record::txt("v=spf1 a:gone1.example.org a:gone2.example.org exists:gone3.example.org -all"),
    );
    // One mx term whose three exchangers all are void: one void term.
    dns.add("mx.example.org", Record::txt("v=spf1 mx -all"));
    for n in 1..=3 {
        dns.add(
            "mx.example.org",
            Record::mx(n, &format!("gone{n}.example.org")),
        );
    }
    let config = SpfConfig::default();
    assert_eq!(
        mail_from(&dns, "192.0.2.1", "a@two.example.org", &config).result(),
        SpfResult::Fail
    );
    let out = mail_from(&dns, "192.0.2.1", "a@three.example.org", &config);
    assert_eq!(out.result(), SpfResult::PermError);
    assert_eq!(out.void_lookups(), 3);
    let out = mail_from(&dns, "192.0.2.1", "a@mx.example.org", &config);
    assert_eq!(out.result(), SpfResult::Fail);
    assert_eq!(out.void_lookups(), 1);
    let strict = SpfConfig::default().with_max_void_lookups(1);
    assert_eq!(
        mail_from(&dns, "192.0.2.1", "a@two.example.org", &strict).result(),
        SpfResult::PermError
    );
}

#[test]
fn mx_limit() {
    let mut dns = StaticResolver::new();
    dns.add("example.org", Record::txt("v=spf1 mx -all"));
    for n in 1..=11u16 {
        let host = format!("mx{n}.example.org");
        dns.add("example.org", Record::mx(n, &host));
        dns.add(&host, Record::A(format!("192.0.2.{n}").parse().unwrap()));
    }
    let out = mail_from(&dns, "192.0.2.1", "a@example.org", &SpfConfig::default());
    assert_eq!(out.result(), SpfResult::PermError);
    let relaxed = SpfConfig::default().with_max_mx_addresses(11);
    assert_eq!(
        mail_from(&dns, "192.0.2.11", "a@example.org", &relaxed).result(),
        SpfResult::Pass
    );
}

#[test]
fn bounce_uses_postmaster_at_helo() {
    let mut dns = StaticResolver::new();
    dns.add(
        "helo.example.net",
        Record::txt("v=spf1 -all exp=why.example.net"),
    );
    dns.add(
        "why.example.net",
        Record::txt("%{s} via %{h} from %{c} at %{t} (%{r})"),
    );
    let config = SpfConfig::default().with_receiver("rx.example.com");
    for from in ["", "<>", " <> "] {
        let out = mail_from(&dns, "2001:db8::7", from, &config);
        assert_eq!(out.result(), SpfResult::Fail);
        assert_eq!(out.identity(), SpfIdentity::MailFrom);
        assert_eq!(out.domain(), "helo.example.net");
        assert_eq!(out.sender(), "postmaster@helo.example.net");
        assert_eq!(
            out.explanation(),
            Some(
                "postmaster@helo.example.net via helo.example.net from 2001:db8::7 at 1700000000 (rx.example.com)"
            )
        );
    }
}

#[test]
fn helo_identity_and_verifier() {
    let mut dns = StaticResolver::new();
    dns.add(
        "helo.example.net",
        Record::txt("v=spf1 ip6:2001:db8::/32 ~all"),
    );
    let config = SpfConfig::default();
    let spf = SpfVerifier::new(&dns, &config);
    let out = block_on(spf.helo(ip("2001:db8::1"), "helo.example.net", now()));
    assert_eq!(out.result(), SpfResult::Pass);
    assert_eq!(out.identity(), SpfIdentity::Helo);
    let out = block_on(spf.helo(ip("192.0.2.1"), "helo.example.net", now()));
    assert_eq!(out.result(), SpfResult::SoftFail);
    assert_eq!(out.mechanism(), Some("~all"));
    // Not a domain name: none.
    for helo in ["[192.0.2.1]", "localhost", "192.0.2.1"] {
        let out = block_on(spf.helo(ip("192.0.2.1"), helo, now()));
        assert_eq!(out.result(), SpfResult::None, "{helo}");
    }
}

#[test]
fn default_explanation_and_failing_exp() {
    let mut dns = StaticResolver::new();
    dns.add(
        "example.org",
        Record::txt("v=spf1 -all exp=missing.example.org"),
    );
    let out = mail_from(&dns, "192.0.2.1", "a@example.org", &SpfConfig::default());
    assert_eq!(out.result(), SpfResult::Fail);
    assert_eq!(out.explanation(), None);
    let config = SpfConfig::default().with_default_explanation("not authorized");
    let out = mail_from(&dns, "192.0.2.1", "a@example.org", &config);
    assert_eq!(out.explanation(), Some("not authorized"));
    // softfail carries no explanation.
    dns.add(
        "soft.example.org",
        Record::txt("v=spf1 ~all exp=why.example.org"),
    );
    dns.add("why.example.org", Record::txt("go away"));
    let out = mail_from(&dns, "192.0.2.1", "a@soft.example.org", &config);
    assert_eq!(out.result(), SpfResult::SoftFail);
    assert_eq!(out.explanation(), None);
}

#[test]
fn ptr_macro_and_mechanism() {
    let mut dns = StaticResolver::new();
    dns.add("1.2.0.192.in-addr.arpa", Record::ptr("mail.example.org"));
    dns.add("1.2.0.192.in-addr.arpa", Record::ptr("other.example.com"));
    dns.add("mail.example.org", Record::A("192.0.2.1".parse().unwrap()));
    dns.add("other.example.com", Record::A("192.0.2.1".parse().unwrap()));
    dns.add(
        "example.org",
        Record::txt("v=spf1 exists:%{p}.allow.example.org ptr -all"),
    );
    dns.add(
        "mail.example.org.allow.example.org",
        Record::A("127.0.0.2".parse().unwrap()),
    );
    let out = mail_from(&dns, "192.0.2.1", "a@example.org", &SpfConfig::default());
    assert_eq!(out.result(), SpfResult::Pass);
    assert_eq!(out.mechanism(), Some("exists:%{p}.allow.example.org"));
    // A client with no PTR: %{p} is "unknown", ptr does not match.
    let out = mail_from(&dns, "192.0.2.9", "a@example.org", &SpfConfig::default());
    assert_eq!(out.result(), SpfResult::Fail);
}

#[test]
fn include_and_redirect_none_are_permerror() {
    let mut dns = StaticResolver::new();
    dns.add(
        "inc.example.org",
        Record::txt("v=spf1 include:nothing.example.org -all"),
    );
    dns.add(
        "red.example.org",
        Record::txt("v=spf1 redirect=nothing.example.org"),
    );
    dns.add("nothing.example.org", Record::txt("not spf"));
    let config = SpfConfig::default();
    assert_eq!(
        mail_from(&dns, "192.0.2.1", "a@inc.example.org", &config).result(),
        SpfResult::PermError
    );
    assert_eq!(
        mail_from(&dns, "192.0.2.1", "a@red.example.org", &config).result(),
        SpfResult::PermError
    );
    assert_eq!(
        mail_from(&dns, "192.0.2.1", "a@nothing.example.org", &config).result(),
        SpfResult::None
    );
}

#[test]
fn include_loop_ends_in_permerror() {
    let mut dns = StaticResolver::new();
    dns.add(
        "a.example.org",
        Record::txt("v=spf1 include:b.example.org -all"),
    );
    dns.add(
        "b.example.org",
        Record::txt("v=spf1 include:a.example.org -all"),
    );
    let out = mail_from(&dns, "192.0.2.1", "x@a.example.org", &SpfConfig::default());
    assert_eq!(out.result(), SpfResult::PermError);
}

#[test]
fn received_spf_of_real_checks() {
    let mut dns = StaticResolver::new();
    dns.add("example.org", Record::txt("v=spf1 ip4:192.0.2.0/24 -all"));
    dns.add("bad.example.org", Record::txt("v=spf1 ip4:300.1.1.1 -all"));
    let config = SpfConfig::default();
    let out = mail_from(&dns, "192.0.2.1", "alice@example.org", &config);
    let header = out.received_spf_header("rx.example.net");
    assert!(header.starts_with(
        "Received-SPF: pass (rx.example.net: domain of alice@example.org designates 192.0.2.1 as permitted sender)\r\n"
    ));
    assert!(header.contains("\r\n\tclient-ip=192.0.2.1;\r\n"));
    assert!(header.contains("\r\n\tidentity=mailfrom;\r\n"));
    let out = mail_from(&dns, "2001:db8::1", "alice@bad.example.org", &config);
    let value = out.received_spf("rx.example.net");
    assert!(value.starts_with("permerror ("), "{value}");
    assert!(value.contains("client-ip=\"2001:db8::1\";"));
    assert!(value.contains(" problem=\""));
    // Hostile MAIL FROM and HELO cannot add a header line.
    let out = block_on(spf::check_host(
        &dns,
        ip("192.0.2.1"),
        "evil\r\nX-Spam: no",
        "x\r\nAuthentication-Results: fake@example.org",
        &config,
        now(),
    ));
    let value = out.received_spf("rx.example.net");
    assert!(!value.contains('\r') && !value.contains('\n'), "{value}");
}

#[test]
fn iprev_through_the_api() {
    use mailsec_auth::iprev::{self, IprevConfig, IprevResult};
    let mut dns = StaticResolver::new();
    dns.add("1.2.0.192.in-addr.arpa", Record::ptr("mx.example.org"));
    dns.add("mx.example.org", Record::A("192.0.2.1".parse().unwrap()));
    let out = block_on(iprev::check(&dns, ip("192.0.2.1"), &IprevConfig::default()));
    assert_eq!(out.result(), IprevResult::Pass);
    assert_eq!(out.result().as_str(), "pass");
    let out = block_on(iprev::check(&dns, ip("192.0.2.2"), &IprevConfig::default()));
    assert_eq!(out.result(), IprevResult::PermError);
}

#[test]
fn check_domain_is_the_rfc_function() {
    let mut dns = StaticResolver::new();
    dns.add(
        "_spf.example.net",
        Record::txt("v=spf1 exists:%{l}.%{o}.allow.example.net -all"),
    );
    dns.add(
        "bob.example.org.allow.example.net",
        Record::A("127.0.0.2".parse().unwrap()),
    );
    let config = SpfConfig::default();
    let check = |sender: &str| {
        block_on(spf::check_domain(
            &dns,
            ip("192.0.2.1"),
            "_spf.example.net",
            sender,
            "helo.example.net",
            &config,
            now(),
        ))
    };
    // %{d} is the domain checked, %{o} the sender's domain.
    let out = check("bob@example.org");
    assert_eq!(out.result(), SpfResult::Pass);
    assert_eq!(out.domain(), "_spf.example.net");
    assert_eq!(out.sender(), "bob@example.org");
    assert_eq!(check("eve@example.org").result(), SpfResult::Fail);
}
