//! `mailsec tls check` end to end, with rcgen certificates and a zone file made at test time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, date_time_ymd};

const NOW: &str = "2026-06-01T00:00:00Z";

struct Pki {
    chain_pem: String,
    leaf_der: Vec<u8>,
    ca_der: Vec<u8>,
}

fn pki(names: &[&str], expired: bool) -> Pki {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name.push(DnType::CommonName, "Test Root");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.not_before = date_time_ymd(2025, 1, 1);
    ca.not_after = date_time_ymd(2030, 1, 1);
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let mut leaf =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    leaf.not_before = date_time_ymd(2026, 1, 1);
    leaf.not_after = if expired {
        date_time_ymd(2026, 2, 1)
    } else {
        date_time_ymd(2027, 1, 1)
    };
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf
        .signed_by(&leaf_key, &Issuer::from_params(&ca, &ca_key))
        .unwrap();
    Pki {
        chain_pem: format!("{}{}", leaf_cert.pem(), ca_cert.pem()),
        leaf_der: leaf_cert.der().to_vec(),
        ca_der: ca_cert.der().to_vec(),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mailsec-cli-tls-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mailsec"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "stderr: {err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    serde_json::from_str(&out).unwrap()
}

/// `mailsec --dns ZONE --now NOW tls check --mx MX --cert-chain CHAIN
/// [--domain D] [--mta-sts-policy P] --json`, its one JSON line.
fn check(
    zone: &Path,
    mx: &str,
    chain: &Path,
    domain: Option<&str>,
    policy: Option<&Path>,
) -> serde_json::Value {
    let (zone, chain) = (zone.to_str().unwrap(), chain.to_str().unwrap());
    let mut args = vec![
        "--dns",
        zone,
        "--now",
        NOW,
        "tls",
        "check",
        "--mx",
        mx,
        "--cert-chain",
        chain,
    ];
    if let Some(domain) = domain {
        args.extend(["--domain", domain]);
    }
    if let Some(policy) = policy {
        args.extend(["--mta-sts-policy", policy.to_str().unwrap()]);
    }
    args.push("--json");
    json(&args)
}

const POLICY: &str =
    "version: STSv1\nmode: enforce\nmx: mx.example.com\nmx: *.mx.example.com\nmax_age: 86400\n";

fn zone(tlsa: &str, secure: bool) -> String {
    let mut z = String::from(
        "$ORIGIN example.com.\n$TTL 300\n_mta-sts IN TXT \"v=STSv1; id=20260601\"\nmx IN A 192.0.2.25\n",
    );
    if !tlsa.is_empty() {
        z.push_str(&format!("_25._tcp.mx IN TLSA {tlsa}\n"));
        if secure {
            z.push_str(";@secure _25._tcp.mx\n");
        }
    }
    z
}

#[test]
fn dane_ee_pass_and_sts_pass() {
    let d = dir("pass");
    let p = pki(&["mx.example.com"], false);
    let chain = write(&d, "chain.pem", &p.chain_pem);
    let z = write(
        &d,
        "zone",
        &zone(&format!("3 0 0 {}", hex(&p.leaf_der)), true),
    );
    let policy = write(&d, "policy.txt", POLICY);
    let v = check(
        &z,
        "mx.example.com",
        &chain,
        Some("example.com"),
        Some(policy.as_path()),
    );
    assert_eq!(v["dane"]["result"], "pass", "{v}");
    assert_eq!(v["mta_sts"]["result"], "pass", "{v}");
    assert_eq!(v["mta_sts"]["mode"], "enforce", "{v}");
}

#[test]
fn dane_ta_with_dns_secure_flag() {
    let d = dir("ta");
    let p = pki(&["mx.example.com"], false);
    let chain = write(&d, "chain.pem", &p.chain_pem);
    let z = write(
        &d,
        "zone",
        &zone(&format!("2 0 0 {}", hex(&p.ca_der)), false),
    );
    let base = ["--dns", z.to_str().unwrap(), "--now", NOW];
    let rest = [
        "tls",
        "check",
        "--mx",
        "mx.example.com",
        "--cert-chain",
        chain.to_str().unwrap(),
        "--json",
    ];
    let v = json(&[&base[..], &rest[..]].concat());
    assert_eq!(v["dane"]["result"], "not_applicable", "{v}");
    assert!(
        v["dane"]["reason"].as_str().unwrap().contains("DNSSEC"),
        "{v}"
    );
    let v = json(&[&base[..], &["--dns-secure"], &rest[..]].concat());
    assert_eq!(v["dane"]["result"], "pass", "{v}");
    // No --domain: no MTA-STS verdict.
    assert_eq!(v["mta_sts"]["result"], "none", "{v}");
    // DANE-TA checks the name: the same chain for another MX fails.
    let z2 = write(
        &d,
        "zone2",
        &(zone("", false).replace("_mta-sts", "x")
            + &format!(
                "_25._tcp.mx2 IN TLSA 2 0 0 {}\n;@secure _25._tcp.mx2\n",
                hex(&p.ca_der)
            )),
    );
    let v = check(&z2, "mx2.example.com", &chain, None, None);
    assert_eq!(v["dane"]["result"], "fail", "{v}");
}

#[test]
fn failures_and_none() {
    let d = dir("fail");
    let p = pki(&["other.example.net"], true);
    let good = pki(&["mx.example.com"], false);
    let chain = write(&d, "chain.pem", &p.chain_pem);
    // TLSA for another certificate: DANE fails; the expired, misnamed chain fails MTA-STS.
    let z = write(
        &d,
        "zone",
        &zone(&format!("3 0 0 {}", hex(&good.leaf_der)), true),
    );
    let policy = write(&d, "policy.txt", POLICY);
    let v = check(
        &z,
        "mx.example.com",
        &chain,
        Some("example.com"),
        Some(policy.as_path()),
    );
    assert_eq!(v["dane"]["result"], "fail", "{v}");
    assert_eq!(v["mta_sts"]["result"], "fail", "{v}");
    assert!(
        v["mta_sts"]["reason"]
            .as_str()
            .unwrap()
            .contains("certificate-host-mismatch"),
        "{v}"
    );

    // MX outside the policy.
    let v = check(
        &z,
        "mail.example.org",
        &chain,
        Some("example.com"),
        Some(policy.as_path()),
    );
    assert_eq!(v["mta_sts"]["result"], "fail", "{v}");
    assert_eq!(v["dane"]["result"], "none", "{v}");

    // Policy announced but not supplied (offline): unavailable, treated as none.
    let v = check(&z, "mx.example.com", &chain, Some("example.com"), None);
    assert_eq!(v["mta_sts"]["result"], "none", "{v}");
    assert!(
        v["mta_sts"]["reason"]
            .as_str()
            .unwrap()
            .contains("sts-policy-fetch-error"),
        "{v}"
    );

    // No TXT record: no policy, even with a file.
    let v = check(
        &z,
        "mx.example.org",
        &chain,
        Some("example.org"),
        Some(policy.as_path()),
    );
    assert_eq!(v["mta_sts"]["result"], "none", "{v}");
}

#[test]
fn text_output_and_errors() {
    let d = dir("err");
    let p = pki(&["mx.example.com"], false);
    let chain = write(&d, "chain.pem", &p.chain_pem);
    let z = write(&d, "zone", &zone("", false));
    let (code, out, _) = run(&[
        "--dns",
        z.to_str().unwrap(),
        "--now",
        NOW,
        "tls",
        "check",
        "--mx",
        "mx.example.com",
        "--cert-chain",
        chain.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("dane: none"), "{out}");
    assert!(out.contains("mta-sts: none"), "{out}");

    let bad = write(&d, "bad.pem", "not a certificate\n");
    let (code, _, err) = run(&[
        "--dns",
        z.to_str().unwrap(),
        "tls",
        "check",
        "--mx",
        "mx.example.com",
        "--cert-chain",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let (code, _, _) = run(&[
        "--dns",
        z.to_str().unwrap(),
        "tls",
        "check",
        "--mx",
        "mx.example.com",
        "--cert-chain",
        d.join("missing.pem").to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let (code, _, _) = run(&["tls", "check", "--cert-chain", chain.to_str().unwrap()]);
    assert_eq!(code, 2);
    // A temporary DNS failure for the TLSA lookup: the check could not run.
    let z = write(
        &d,
        "zone-fail",
        &(zone("", false) + ";@servfail _25._tcp.mx\n"),
    );
    let (code, _, err) = run(&[
        "--dns",
        z.to_str().unwrap(),
        "tls",
        "check",
        "--mx",
        "mx.example.com",
        "--cert-chain",
        chain.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
}
