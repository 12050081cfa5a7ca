//! The openspf RFC 7208 and RFC 4408 test suites and mail-auth's SPF
//! vectors, each test run through the static resolver built from its
//! scenario's zone data.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mailsec_auth::spf::{self, SpfConfig, SpfRecordCache, SpfResult};
use mailsec_dns::{Failure, Record, RecordType, StaticResolver, Tlsa, Txt};
use mailsec_testkit::block_on;
use std::sync::Arc;
use yaml_rust2::{Yaml, YamlLoader};

const OPENSPF: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/testdata/auth/spf-rfc7208-openspf"
);
const MAIL_AUTH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/testdata/auth/spf-mail-auth"
);

/// The explanation the suites call `DEFAULT`.
const DEFAULT_EXPLANATION: &str = "DEFAULT";

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// A record that SPF never asks for, so that a zone name with no SPF-
/// relevant records still exists (NODATA rather than NXDOMAIN).
fn existence_marker() -> Record {
    Record::Tlsa(Tlsa {
        usage: 3,
        selector: 1,
        matching: 1,
        data: Vec::new(),
    })
}

fn yaml_str(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Real(r) => Some(r.clone()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// TXT data: a string, or a list of strings (one record of several
/// character strings). YAML `\xNN` escapes are code points; the suite means
/// bytes, so code points below 256 become single bytes.
fn txt_of(y: &Yaml) -> Txt {
    let bytes = |s: &str| -> Vec<u8> {
        s.chars()
            .flat_map(|c| {
                let n = c as u32;
                if n < 256 {
                    vec![n as u8]
                } else {
                    c.to_string().into_bytes()
                }
            })
            .collect()
    };
    match y {
        Yaml::Array(parts) => Txt::new(
            parts
                .iter()
                .map(|p| bytes(&yaml_str(p).unwrap_or_default()))
                .collect(),
        ),
        other => Txt::new(vec![bytes(&yaml_str(other).unwrap_or_default())]),
    }
}

/// The static resolver of an openspf scenario's `zonedata`.
///
/// As the suite's header asks, SPF-type records are served as TXT when the
/// name has no TXT entries (a `TXT: NONE` entry counts as one and stops
/// the copy). `TIMEOUT` makes every type the name holds no records of
/// time out, as pyspf's harness does.
fn zone(zonedata: &Yaml) -> StaticResolver {
    let mut dns = StaticResolver::new();
    let Yaml::Hash(names) = zonedata else {
        return dns;
    };
    for (name, entries) in names {
        let name = yaml_str(name).unwrap();
        let mut spf = Vec::new();
        let mut has_txt = false;
        let mut timeout = false;
        let mut types = Vec::new();
        dns.add(&name, existence_marker());
        for entry in entries.as_vec().map(Vec::as_slice).unwrap_or_default() {
            let Yaml::Hash(map) = entry else {
                if yaml_str(entry).as_deref() == Some("TIMEOUT") {
                    timeout = true;
                }
                continue;
            };
            for (kind, value) in map {
                let kind = yaml_str(kind).unwrap();
                let text = yaml_str(value);
                match kind.as_str() {
                    "SPF" => spf.push(txt_of(value)),
                    "TXT" => {
                        has_txt = true;
                        if text.as_deref() != Some("NONE") {
                            dns.add(&name, Record::Txt(txt_of(value)));
                            types.push(RecordType::Txt);
                        }
                    }
                    "A" => {
                        dns.add(&name, Record::A(text.unwrap().parse().unwrap()));
                        types.push(RecordType::A);
                    }
                    "AAAA" => {
                        dns.add(&name, Record::Aaaa(text.unwrap().parse().unwrap()));
                        types.push(RecordType::Aaaa);
                    }
                    "MX" => {
                        let v = value.as_vec().unwrap();
                        let pref = v[0].as_i64().unwrap() as u16;
                        dns.add(&name, Record::mx(pref, &yaml_str(&v[1]).unwrap()));
                        types.push(RecordType::Mx);
                    }
                    "PTR" => {
                        dns.add(&name, Record::ptr(&text.unwrap()));
                        types.push(RecordType::Ptr);
                    }
                    "CNAME" => {
                        dns.add(&name, Record::cname(&text.unwrap()));
                        types.push(RecordType::Cname);
                    }
                    other => panic!("unknown zone entry type {other}"),
                }
            }
        }
        if !has_txt {
            for txt in spf {
                dns.add(&name, Record::Txt(txt));
                types.push(RecordType::Txt);
            }
        }
        if timeout && !types.contains(&RecordType::Cname) {
            for t in [
                RecordType::A,
                RecordType::Aaaa,
                RecordType::Mx,
                RecordType::Txt,
                RecordType::Ptr,
            ] {
                if !types.contains(&t) {
                    dns.fail_type(&name, Some(t), Failure::Timeout);
                }
            }
        }
    }
    dns
}

fn config() -> SpfConfig {
    SpfConfig::default().with_default_explanation(DEFAULT_EXPLANATION)
}

/// Runs one openspf YAML file; returns (passed, total, failures, notes),
/// the notes naming tests that list several results where ours is not the
/// first (preferred) one.
fn run_openspf(file: &str, config: &SpfConfig) -> (usize, usize, Vec<String>, Vec<String>) {
    let text = std::fs::read_to_string(format!("{OPENSPF}/{file}")).unwrap();
    let docs = YamlLoader::load_from_str(&text).unwrap();
    let (mut passed, mut total, mut failures, mut notes) = (0, 0, Vec::new(), Vec::new());
    for doc in &docs {
        let dns = zone(&doc["zonedata"]);
        let scenario = yaml_str(&doc["description"]).unwrap_or_default();
        let Yaml::Hash(tests) = &doc["tests"] else {
            continue;
        };
        for (name, test) in tests {
            total += 1;
            let name = yaml_str(name).unwrap();
            let ip: IpAddr = yaml_str(&test["host"]).unwrap().parse().unwrap();
            let helo = yaml_str(&test["helo"]).unwrap_or_default();
            let mail_from = yaml_str(&test["mailfrom"]).unwrap_or_default();
            let expected: Vec<SpfResult> = match &test["result"] {
                Yaml::Array(list) => list
                    .iter()
                    .map(|r| SpfResult::from_word(&yaml_str(r).unwrap()).unwrap())
                    .collect(),
                r => vec![SpfResult::from_word(&yaml_str(r).unwrap()).unwrap()],
            };
            let out = block_on(spf::check_host(&dns, ip, &helo, &mail_from, config, now()));
            let mut ok = expected.contains(&out.result());
            if let (Some(exp), SpfResult::Fail) = (yaml_str(&test["explanation"]), out.result()) {
                ok &= out.explanation() == Some(exp.as_str());
            }
            if ok && expected.first() != Some(&out.result()) {
                notes.push(format!(
                    "{scenario} / {name}: {} (the suite prefers {})",
                    out.result(),
                    expected[0]
                ));
            }
            if ok {
                passed += 1;
            } else {
                failures.push(format!(
                    "{scenario} / {name}: expected {expected:?} {:?}, got {} {:?} ({:?})",
                    yaml_str(&test["explanation"]),
                    out.result(),
                    out.explanation(),
                    out.problem(),
                ));
            }
        }
    }
    (passed, total, failures, notes)
}

#[test]
fn rfc7208_suite() {
    let (passed, total, failures, notes) = run_openspf("rfc7208-tests.yml", &config());
    println!("rfc7208: {passed}/{total} passed");
    for n in &notes {
        println!("  accepted alternative: {n}");
    }
    for f in &failures {
        println!("  FAILED {f}");
    }
    assert_eq!(total, 203, "the suite has 203 tests");
    assert!(passed >= 203, "rfc7208: {passed}/{total} passed");
}

/// The RFC 7208 suite twice through one shared record cache: every result
/// is the same as without it, the second pass parses nothing new, and
/// cached parse errors still give `permerror`.
#[test]
fn rfc7208_suite_with_a_record_cache() {
    let cache = Arc::new(SpfRecordCache::new(SpfRecordCache::DEFAULT_CAPACITY));
    let config = config().with_record_cache(Arc::clone(&cache));
    let (passed, total, failures, _) = run_openspf("rfc7208-tests.yml", &config);
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!((passed, total), (203, 203));
    let (parsed, first_hits) = (cache.misses(), cache.hits());
    assert!(parsed > 100 && cache.len() as u64 <= parsed, "{cache:?}");
    let (passed, _, failures, _) = run_openspf("rfc7208-tests.yml", &config);
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(passed, 203);
    assert_eq!(
        cache.misses(),
        parsed,
        "second pass parsed again: {cache:?}"
    );
    assert!(cache.hits() >= first_hits + parsed, "{cache:?}");
    println!("rfc7208 with a record cache: 2 x {passed}/{total}, {cache:?}");
}

/// RFC 4408 suite: printed for comparison. RFC 7208 changed some behaviour
/// (see docs/spf.md); the cases that differ are listed and allowed.
#[test]
fn rfc4408_suite() {
    let (passed, total, failures, notes) = run_openspf("rfc4408-tests.yml", &config());
    println!("rfc4408: {passed}/{total} passed");
    for n in &notes {
        println!("  accepted alternative: {n}");
    }
    for f in &failures {
        println!("  DIFFERS {f}");
    }
    let allowed: &[&str] = RFC4408_CHANGED;
    let unexpected: Vec<_> = failures
        .iter()
        .filter(|f| !allowed.iter().any(|a| f.contains(a)))
        .collect();
    assert!(
        unexpected.is_empty(),
        "rfc4408 failures not explained by RFC 7208 changes: {unexpected:#?}"
    );
}

/// RFC 4408 tests whose expected result RFC 7208 changed (each is named
/// `scenario / test`; the reasons are in docs/spf.md).
const RFC4408_CHANGED: &[&str] = &[];

// ---------------------------------------------------------------------------
// mail-auth's vectors: a line format of its own (duplicate YAML keys, and in
// examples.yml records and parameters that change between checks), so each
// document is interpreted line by line: record lines set a record (a later
// line of the same kind and name replaces it), `domain`, `sender` and `ip`
// set the parameters, and each `expect` runs a check with what is set.

fn mail_auth_zone(records: &BTreeMap<(String, String), String>) -> StaticResolver {
    let mut dns = StaticResolver::new();
    // Names whose lookups fail, as mail-auth's mock resolver makes them.
    for name in ["_dns_error.org", "_dns_error.test.org"] {
        dns.fail(name, Failure::ServFail);
    }
    for ((kind, name), value) in records {
        let list = || {
            value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        };
        match kind.as_str() {
            "spf" | "exp" => {
                dns.add(name, Record::txt(value));
            }
            "a" => {
                for ip in list() {
                    dns.add(name, Record::A(ip.parse().unwrap()));
                }
            }
            "aaaa" => {
                for ip in list() {
                    dns.add(name, Record::Aaaa(ip.parse().unwrap()));
                }
            }
            "ptr" => {
                let ip: IpAddr = name.parse().unwrap();
                for host in list() {
                    dns.add(&mailsec_dns::reverse_name(ip), Record::ptr(host));
                }
            }
            "mx" => {
                // mail-auth gives the exchangers' addresses directly: one
                // exchanger per address.
                for (n, ip) in list().into_iter().enumerate() {
                    let host = format!("mx{n}.mx-hosts.{name}");
                    dns.add(name, Record::mx(n as u16, &host));
                    match ip.parse::<IpAddr>().unwrap() {
                        IpAddr::V4(v4) => dns.add(&host, Record::A(v4)),
                        IpAddr::V6(v6) => dns.add(&host, Record::Aaaa(v6)),
                    };
                }
            }
            other => panic!("unknown mail-auth record kind {other}"),
        }
    }
    dns
}

/// mail-auth vectors whose expectation departs from RFC 7208 (or from the
/// openspf suite's reading of it): `(file, sender, client ip, our result)`.
/// The reasons are in docs/spf.md.
const MAIL_AUTH_DIVERGES: &[(&str, &str, &str, SpfResult)] = &[
    // "v=spf1 -all ip:10.0.0.1": a syntax error anywhere is permerror
    // (RFC 7208 section 4.6; openspf "detect-errors-anywhere").
    (
        "all.yml",
        "sender@test.org",
        "10.0.0.1",
        SpfResult::PermError,
    ),
    // Ten `a:` terms on names that do not exist: over the void-lookup
    // limit of two (RFC 7208 section 4.6.4; openspf "void-over-limit").
    (
        "basic.yml",
        "sender@ok.test.org",
        "172.168.0.1",
        SpfResult::PermError,
    ),
    // Eleven MX records: permerror whatever the order (openspf "mx-limit":
    // "resolved in favor of producing a permerror result").
    (
        "basic.yml",
        "sender@mx.test.org",
        "10.0.0.8",
        SpfResult::PermError,
    ),
    // `exists` asks for A records only, even for an IPv6 client (RFC 7208
    // section 5.7); these names have only AAAA records.
    (
        "exists.yml",
        "sender@ip6.test.org",
        "167.1.2.3",
        SpfResult::Fail,
    ),
    (
        "macro.yml",
        "strong-bad@email.example.com",
        "2001:db8::cb01",
        SpfResult::Fail,
    ),
];

#[test]
fn mail_auth_vectors() {
    let mut files: Vec<_> = std::fs::read_dir(MAIL_AUTH)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    let (mut passed, mut total, mut failures, mut diverged) = (0, 0, Vec::new(), 0);
    for file in files {
        let fname = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&file).unwrap();
        for doc in text.split("\n---") {
            let mut records: BTreeMap<(String, String), String> = BTreeMap::new();
            let (mut helo, mut sender, mut ip) = (String::new(), String::new(), None);
            // This document checks the HELO identity (mail-auth's
            // verify_spf_helo); all others the MAIL FROM one.
            let helo_identity = doc.contains("name: HELO identity");
            for line in doc.lines() {
                let item = line.trim();
                let item = item.strip_prefix("- ").unwrap_or(item);
                if item.starts_with('#') || !line.starts_with(' ') {
                    continue;
                }
                let Some((key, value)) = item.split_once(':') else {
                    continue;
                };
                let value = value.trim();
                match key {
                    "spf" | "exp" | "a" | "aaaa" | "ptr" | "mx" => {
                        let (name, rest) = value.split_once(' ').unwrap_or((value, ""));
                        records.insert(
                            (key.to_owned(), name.trim_end_matches('.').to_owned()),
                            rest.trim().to_owned(),
                        );
                    }
                    "domain" => helo = value.to_owned(),
                    "sender" => sender = value.to_owned(),
                    "ip" => ip = Some(value.parse::<IpAddr>().unwrap()),
                    "name" => {}
                    "expect" => {
                        let (word, explanation) = match value.split_once(' ') {
                            Some((w, e)) => (w, Some(e.trim())),
                            None => (value, None),
                        };
                        let expected = SpfResult::from_word(word).unwrap();
                        let dns = mail_auth_zone(&records);
                        let ip = ip.unwrap();
                        total += 1;
                        let config = SpfConfig::default();
                        let out = if helo_identity {
                            block_on(spf::check_helo(&dns, ip, &helo, &config, now()))
                        } else {
                            block_on(spf::check_host(&dns, ip, &helo, &sender, &config, now()))
                        };
                        let expected = match MAIL_AUTH_DIVERGES
                            .iter()
                            .find(|d| d.0 == fname && d.1 == sender && d.2 == ip.to_string())
                        {
                            Some(d) => {
                                diverged += 1;
                                d.3
                            }
                            None => expected,
                        };
                        let ok = out.result() == expected
                            && (explanation.is_none() || out.explanation() == explanation);
                        if ok {
                            passed += 1;
                        } else {
                            failures.push(format!(
                                "{fname}: {helo} {sender} from {ip}: expected {expected} \
                                 {explanation:?}, got {} {:?} ({:?})",
                                out.result(),
                                out.explanation(),
                                out.problem()
                            ));
                        }
                    }
                    other => panic!("{fname}: unknown key {other}"),
                }
            }
        }
    }
    println!(
        "spf-mail-auth: {passed}/{total} passed ({diverged} of them with the RFC 7208 result \
         where mail-auth's expectation differs)"
    );
    for f in &failures {
        println!("  FAILED {f}");
    }
    assert_eq!(total, 163);
    assert!(failures.is_empty());
}
