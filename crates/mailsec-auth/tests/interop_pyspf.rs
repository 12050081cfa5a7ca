//! Interop: the same zone and checks through pyspf (python3 + pyspf) and
//! through `mailsec_auth::spf`; results and explanations must agree.
//!
//! pyspf's DNS is replaced by the zone below (its `spf.DNSLookup` hook), so
//! no network is used.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::fmt::Write as _;
use std::net::IpAddr;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mailsec_auth::spf::{self, SpfConfig};
use mailsec_dns::{Failure, Record, StaticResolver};

/// `(name, type, value)`; type TIMEOUT makes every lookup of the name fail.
const ZONE: &[(&str, &str, &str)] = &[
    (
        "example.org",
        "TXT",
        "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all",
    ),
    (
        "a.example.org",
        "TXT",
        "v=spf1 a/24 a:mail.example.org//64 ~all",
    ),
    ("a.example.org", "A", "192.0.2.1"),
    ("mail.example.org", "AAAA", "2001:db8:1::25"),
    ("mail.example.org", "A", "198.51.100.25"),
    (
        "mx.example.org",
        "TXT",
        "v=spf1 mx/30 mx:a.example.org -all",
    ),
    ("mx.example.org", "MX", "10 mx1.example.org"),
    ("mx.example.org", "MX", "20 mx2.example.org"),
    ("mx1.example.org", "A", "192.0.2.201"),
    ("mx2.example.org", "A", "203.0.113.9"),
    (
        "inc.example.org",
        "TXT",
        "v=spf1 include:example.org include:mx.example.org ?all",
    ),
    ("red.example.org", "TXT", "v=spf1 redirect=%{d2}"),
    (
        "red2.example.org",
        "TXT",
        "v=spf1 ip4:198.51.100.0/24 redirect=mx.example.org exp=e.example.org",
    ),
    (
        "exists.example.org",
        "TXT",
        "v=spf1 exists:%{ir}.%{l1r-}.ex.example.org -all exp=e.example.org",
    ),
    ("10.2.0.192.user.ex.example.org", "A", "127.0.0.2"),
    (
        "e.example.org",
        "TXT",
        "%{l} (%{L}) at %{i} via %{h} may not use %{d}/%{o} %{v}",
    ),
    ("ptr.example.org", "TXT", "v=spf1 ptr:example.org -all"),
    ("10.2.0.192.in-addr.arpa", "PTR", "host.example.org"),
    ("10.2.0.192.in-addr.arpa", "PTR", "liar.example.net"),
    ("host.example.org", "A", "192.0.2.10"),
    ("liar.example.net", "A", "192.0.2.99"),
    ("bad1.example.org", "TXT", "v=spf1 ip4:192.0.2.1/33 -all"),
    ("bad2.example.org", "TXT", "v=spf1 foo -all"),
    ("bad3.example.org", "TXT", "v=spf1 a:%{z}.example.org -all"),
    (
        "bad4.example.org",
        "TXT",
        "v=spf1 -all redirect=a.example.org redirect=b.example.org",
    ),
    ("two.example.org", "TXT", "v=spf1 -all"),
    ("two.example.org", "TXT", "v=spf1 +all"),
    ("notspf.example.org", "TXT", "hello world"),
    (
        "void.example.org",
        "TXT",
        "v=spf1 a:n1.example.org a:n2.example.org a:n3.example.org +all",
    ),
    (
        "void2.example.org",
        "TXT",
        "v=spf1 a:n1.example.org a:n2.example.org ?all",
    ),
    (
        "incnone.example.org",
        "TXT",
        "v=spf1 include:notspf.example.org -all",
    ),
    ("slow.example.org", "TIMEOUT", ""),
    (
        "incslow.example.org",
        "TXT",
        "v=spf1 include:slow.example.org -all",
    ),
    ("soft.example.org", "TXT", "v=spf1 ~all"),
    (
        "neutral.example.org",
        "TXT",
        "v=spf1 ?ip4:192.0.2.10 -ip4:0.0.0.0/0",
    ),
    (
        "deep0.example.org",
        "TXT",
        "v=spf1 include:deep1.example.org -all",
    ),
    (
        "deep1.example.org",
        "TXT",
        "v=spf1 include:deep2.example.org -all",
    ),
    (
        "deep2.example.org",
        "TXT",
        "v=spf1 include:deep3.example.org -all",
    ),
    (
        "deep3.example.org",
        "TXT",
        "v=spf1 include:deep4.example.org -all",
    ),
    (
        "deep4.example.org",
        "TXT",
        "v=spf1 include:deep5.example.org -all",
    ),
    (
        "deep5.example.org",
        "TXT",
        "v=spf1 include:deep6.example.org -all",
    ),
    (
        "deep6.example.org",
        "TXT",
        "v=spf1 include:deep7.example.org -all",
    ),
    (
        "deep7.example.org",
        "TXT",
        "v=spf1 include:deep8.example.org -all",
    ),
    (
        "deep8.example.org",
        "TXT",
        "v=spf1 include:deep9.example.org -all",
    ),
    (
        "deep9.example.org",
        "TXT",
        "v=spf1 include:deep10.example.org -all",
    ),
    (
        "deep10.example.org",
        "TXT",
        "v=spf1 include:example.org -all",
    ),
    ("helo.example.net", "TXT", "v=spf1 a -all"),
    ("helo.example.net", "A", "192.0.2.10"),
];

const DOMAINS: &[&str] = &[
    "example.org",
    "a.example.org",
    "mx.example.org",
    "inc.example.org",
    "red.example.org",
    "red2.example.org",
    "exists.example.org",
    "ptr.example.org",
    "bad1.example.org",
    "bad2.example.org",
    "bad3.example.org",
    "bad4.example.org",
    "two.example.org",
    "notspf.example.org",
    "nowhere.example.org",
    "void.example.org",
    "void2.example.org",
    "incnone.example.org",
    "slow.example.org",
    "incslow.example.org",
    "soft.example.org",
    "neutral.example.org",
    "deep0.example.org",
];

const IPS: &[&str] = &[
    "192.0.2.10",
    "192.0.2.200",
    "198.51.100.25",
    "203.0.113.9",
    "2001:db8::5",
    "2001:db8:1::99",
    "2001:db9::1",
];

const PYTHON: &str = r#"
import json, sys, spf
zone = json.load(open(sys.argv[1]))
cases = json.load(open(sys.argv[2]))
def lookup(name, qtype, *args, **kw):
    name = name.lower().rstrip('.')
    if name in zone['timeout']:
        raise spf.TempError('DNS timeout')
    out = []
    for (n, t, v) in zone['records']:
        if n != name or t != qtype:
            continue
        if t == 'TXT':
            v = [v.encode()]
        elif t == 'MX':
            p, h = v.split(' ')
            v = (int(p), h)
        out.append(((name, qtype), v))
    return out
spf.DNSLookup = lookup
for (ip, sender, helo) in cases:
    q = spf.query(i=ip, s=sender, h=helo, receiver='rx.example.com')
    res, code, exp = q.check()
    print(res + '\t' + (exp or ''))
"#;

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
#[ignore = "interop: needs python3 with pyspf; run by scripts/test --interop"]
fn agrees_with_pyspf() {
    let mut dns = StaticResolver::new();
    let (mut records, mut timeouts) = (Vec::new(), Vec::new());
    for (name, rtype, value) in ZONE {
        let record = match *rtype {
            "TXT" => Record::txt(value),
            "A" => Record::A(value.parse().unwrap()),
            "AAAA" => Record::Aaaa(value.parse().unwrap()),
            "MX" => {
                let (p, h) = value.split_once(' ').unwrap();
                Record::mx(p.parse().unwrap(), h)
            }
            "PTR" => Record::ptr(value),
            "TIMEOUT" => {
                dns.fail(name, Failure::Timeout);
                timeouts.push(json_str(name));
                continue;
            }
            other => panic!("{other}"),
        };
        dns.add(name, record);
        records.push(format!(
            "[{}, {}, {}]",
            json_str(name),
            json_str(rtype),
            json_str(value)
        ));
    }
    let mut cases = Vec::new();
    for domain in DOMAINS {
        for ip in IPS {
            cases.push((
                ip.to_string(),
                format!("user-x@{domain}"),
                "helo.example.net".to_owned(),
            ));
        }
    }
    for ip in IPS {
        cases.push((ip.to_string(), String::new(), "helo.example.net".to_owned()));
    }

    let dir = std::env::temp_dir().join(format!("mailsec-interop-pyspf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let zone_path = dir.join("zone.json");
    let cases_path = dir.join("cases.json");
    let script_path = dir.join("run.py");
    std::fs::write(
        &zone_path,
        format!(
            "{{\"records\": [{}], \"timeout\": [{}]}}",
            records.join(", "),
            timeouts.join(", ")
        ),
    )
    .unwrap();
    let mut case_json = String::from("[");
    for (n, (ip, sender, helo)) in cases.iter().enumerate() {
        if n > 0 {
            case_json.push_str(", ");
        }
        let _ = write!(
            case_json,
            "[{}, {}, {}]",
            json_str(ip),
            json_str(sender),
            json_str(helo)
        );
    }
    case_json.push(']');
    std::fs::write(&cases_path, case_json).unwrap();
    std::fs::write(&script_path, PYTHON).unwrap();

    let out = Command::new("python3")
        .arg(&script_path)
        .arg(&zone_path)
        .arg(&cases_path)
        .output()
        .expect("python3 must be installed");
    assert!(
        out.status.success(),
        "pyspf run failed (is pyspf installed?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(theirs.len(), cases.len());

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let config = SpfConfig::default().with_receiver("rx.example.com");
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let (mut disagreements, mut per_term) = (Vec::new(), 0);
    for ((ip, sender, helo), line) in cases.iter().zip(&theirs) {
        let (their_result, their_exp) = line.split_once('\t').unwrap_or((line, ""));
        let ours = runtime.block_on(spf::check_host(
            &dns,
            ip.parse::<IpAddr>().unwrap(),
            helo,
            sender,
            &config,
            now.max(SystemTime::UNIX_EPOCH),
        ));
        let mut same = ours.result().as_str() == their_result;
        // pyspf gives its default text when the domain has no explanation.
        if let Some(exp) = ours.explanation() {
            same &= exp == their_exp;
        }
        // Known, documented difference (docs/spf.md): RFC 7208 4.6.4 limits
        // the number of *terms* with void answers; pyspf counts every void
        // query, so an IPv6 client checked against `mx` with IPv4-only
        // exchangers is a permerror there.
        if !same
            && their_result == "permerror"
            && their_exp.contains("Void lookup limit")
            && ours.void_lookups() <= 2
        {
            per_term += 1;
        } else if !same {
            disagreements.push(format!(
                "{ip} {sender:?}: mailsec {} {:?} / pyspf {their_result} {their_exp:?}",
                ours.result(),
                ours.explanation()
            ));
        }
    }
    println!(
        "pyspf interop: {}/{} checks agree, {per_term} differ only by per-term void counting",
        cases.len() - disagreements.len() - per_term,
        cases.len()
    );
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}
