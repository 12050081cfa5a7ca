//! Interop with dnspython's zone-file reader and writer (a peer that reads
//! master files as BIND does).
//!
//! For each zone text: dnspython reads it and writes every RRset back in its
//! own presentation form; our reader must find in that output exactly the
//! records it finds in the original. This checks that the fixtures are real
//! BIND syntax, that we read them as dnspython does (TTL defaults, escapes,
//! owner continuation, parentheses), that our writer's output is valid for
//! another reader, and that we read another writer's output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::Command;

use mailsec_dns::{Failure, Record, StaticResolver, Tlsa, Txt};

const FULL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/full.zone");
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/dns/zone.txt");

/// Reads a master file with dnspython (every directive allowed, SOA records
/// of several zones let through) and prints each RRset, absolute names.
const SCRIPT: &str = r#"
import sys, dns.zonefile, dns.name, dns.tokenizer, dns.rdataclass

class AnyName(dns.name.Name):
    """Equal to every name: lets SOA records of several zones through."""
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = dns.name.Name.__hash__

class Manager(dns.zonefile.RRSetsReaderManager):
    def origin_information(self):
        return (dns.name.root, False, AnyName(()))

text = open(sys.argv[1], encoding="utf-8").read()
manager = Manager(dns.name.root, False, dns.rdataclass.IN)
with manager.writer(True) as txn:
    tok = dns.tokenizer.Tokenizer(text, sys.argv[1])
    dns.zonefile.Reader(tok, dns.rdataclass.IN, txn, allow_directives=True).read()
for rrset in manager.rrsets:
    print(rrset.to_text())
"#;

fn dnspython_rewrite(path: &Path) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(path)
        .output()
        .expect("python3 is needed for this interop test (with the dnspython package)");
    assert!(
        out.status.success(),
        "dnspython rejected {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn record_set(dns: &StaticResolver) -> Vec<(String, String, u32)> {
    let mut v: Vec<_> = dns
        .records()
        .map(|(n, r, t)| (n.to_owned(), format!("{r:?}"), t))
        .collect();
    v.sort();
    v.dedup();
    v
}

fn check_same(path: &Path) {
    let ours = StaticResolver::from_zone_file(path).unwrap();
    let theirs_text = dnspython_rewrite(path);
    let theirs = StaticResolver::from_zone_str(&theirs_text, None)
        .unwrap_or_else(|e| panic!("{e}\n{theirs_text}"));
    assert_eq!(
        record_set(&theirs),
        record_set(&ours),
        "dnspython read {} differently:\n{theirs_text}",
        path.display()
    );
    assert!(!record_set(&ours).is_empty());
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("mailsec-dns-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
#[ignore = "interop: needs python3 with dnspython; run by scripts/test --interop"]
fn fixture_zone_read_alike() {
    check_same(Path::new(FULL));
}

#[test]
#[ignore = "interop: needs python3 with dnspython; run by scripts/test --interop"]
fn example_zone_read_alike() {
    check_same(Path::new(EXAMPLE));
}

#[test]
#[ignore = "interop: needs python3 with dnspython; run by scripts/test --interop"]
fn our_writer_read_by_dnspython() {
    let mut dns = StaticResolver::new();
    dns.add_with_ttl("example.org", Record::txt("v=spf1 \"q\" \\ ;x -all"), 60);
    dns.add_with_ttl(
        "example.org",
        Record::Txt(Txt::new(vec![vec![0, 7, 255, b'"'], Vec::new()])),
        60,
    );
    dns.add_with_ttl("example.org", Record::mx(10, "mail.example.org"), 3600);
    dns.add_with_ttl("example.org", Record::mx(0, "."), 3600);
    dns.add("mail.example.org", Record::A(Ipv4Addr::new(192, 0, 2, 1)));
    dns.add("mail.example.org", Record::Aaaa(Ipv6Addr::LOCALHOST));
    dns.add("w.example.org", Record::cname("mail.example.org"));
    dns.add("*.wild.example.org", Record::txt("wild"));
    dns.add("odd name;@.example.org", Record::txt("x"));
    dns.add("1.2.0.192.in-addr.arpa", Record::ptr("mail.example.org"));
    dns.add(
        "_25._tcp.mail.example.org",
        Record::Tlsa(Tlsa {
            usage: 3,
            selector: 1,
            // Exact match: data of any length (dnspython checks digest lengths).
            matching: 0,
            data: (0..=255).collect(),
        }),
    );
    dns.fail("t.example.org", Failure::Timeout);
    dns.set_secure("mail.example.org", true);
    let path = temp_file("writer.zone", &dns.to_zone_string());
    check_same(&path);
    let _ = std::fs::remove_file(path);
}
