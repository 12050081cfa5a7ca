//! DANE TLSA matching against rcgen-made chains.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::*;
use mailsec_dns::{Failure, Record, StaticResolver, Tlsa};
use mailsec_transport::dane::{
    DaneFailure, DaneResult, TlsaRecord, Usage, check_dane, verify_chain,
};

fn rec(u: u8, s: u8, m: u8, data: Vec<u8>) -> TlsaRecord {
    TlsaRecord::new(u, s, m, data)
}

#[test]
fn dane_ee_all_selectors_and_matchings() {
    let ca = root("Root");
    let l = leaf(LeafOpts::default(), &ca);
    let chain = [l.der.clone(), ca.der.clone()];
    for r in [
        rec(3, 0, 0, l.der.clone()),
        rec(3, 0, 1, sha256(&l.der)),
        rec(3, 0, 2, sha512(&l.der)),
        rec(3, 1, 0, spki(&l.der)),
        rec(3, 1, 1, sha256(&spki(&l.der))),
        rec(3, 1, 2, sha512(&spki(&l.der))),
    ] {
        let got = verify_chain(std::slice::from_ref(&r), &chain, &["mx.example.com"], now());
        assert_eq!(
            got,
            DaneResult::Pass {
                usage: Usage::DaneEe,
                depth: 0
            },
            "{r:?}"
        );
    }
}

#[test]
fn dane_ee_ignores_names_and_expiry() {
    let ca = root("Root");
    let l = leaf(
        LeafOpts {
            names: &["other.example.net"],
            not_before: (2025, 1, 1),
            not_after: (2025, 2, 1),
            ..Default::default()
        },
        &ca,
    );
    let got = verify_chain(
        &[rec(3, 1, 1, sha256(&spki(&l.der)))],
        &[&l.der],
        &["mx.example.com"],
        now(),
    );
    assert_eq!(got.as_str(), "pass");
}

#[test]
fn dane_ee_mismatched_spki_fails() {
    let ca = root("Root");
    let l = leaf(LeafOpts::default(), &ca);
    let other = leaf(LeafOpts::default(), &ca);
    let got = verify_chain(
        &[rec(3, 1, 1, sha256(&spki(&other.der)))],
        &[&l.der],
        &["mx.example.com"],
        now(),
    );
    assert_eq!(got, DaneResult::Fail(DaneFailure::NoMatch));
    // DANE-EE only matches the end entity, never the issuer.
    let got = verify_chain(
        &[rec(3, 0, 1, sha256(&ca.der))],
        &[&l.der, &ca.der],
        &["mx.example.com"],
        now(),
    );
    assert_eq!(got, DaneResult::Fail(DaneFailure::NoMatch));
}

#[test]
fn dane_ta_through_intermediate() {
    let ca = root("Root");
    let int = intermediate("Intermediate", &ca);
    let l = leaf(LeafOpts::default(), &int);
    let chain = [l.der.clone(), int.der.clone(), ca.der.clone()];
    let got = verify_chain(
        &[rec(2, 0, 1, sha256(&ca.der))],
        &chain,
        &["mx.example.com"],
        now(),
    );
    assert_eq!(
        got,
        DaneResult::Pass {
            usage: Usage::DaneTa,
            depth: 2
        }
    );
    let got = verify_chain(
        &[rec(2, 1, 2, sha512(&spki(&int.der)))],
        &chain,
        &["mx.example.com"],
        now(),
    );
    assert_eq!(
        got,
        DaneResult::Pass {
            usage: Usage::DaneTa,
            depth: 1
        }
    );
}

#[test]
fn dane_ta_checks_name() {
    let ca = root("Root");
    let l = leaf(
        LeafOpts {
            names: &["*.example.com"],
            ..Default::default()
        },
        &ca,
    );
    let chain = [l.der.clone(), ca.der.clone()];
    let ta = [rec(2, 0, 1, sha256(&ca.der))];
    assert_eq!(
        verify_chain(&ta, &chain, &["mx.example.com"], now()).as_str(),
        "pass"
    );
    let got = verify_chain(&ta, &chain, &["mx.example.org"], now());
    assert!(
        matches!(got, DaneResult::Fail(DaneFailure::NameMismatch(_))),
        "{got:?}"
    );
    // An extra reference name (the next-hop domain) is accepted.
    assert_eq!(
        verify_chain(&ta, &chain, &["mx.example.org", "a.example.com"], now()).as_str(),
        "pass"
    );
}

/// DANE-TA (2 0 1) for `ca`, with the chain `l`, `ca` presented by
/// mx.example.com: a trust-anchor chain failure.
fn assert_anchor_chain_fails(ca: &Ca, l: &Leaf) {
    let got = verify_chain(
        &[rec(2, 0, 1, sha256(&ca.der))],
        &[&l.der, &ca.der],
        &["mx.example.com"],
        now(),
    );
    assert!(
        matches!(got, DaneResult::Fail(DaneFailure::TrustAnchorChain(_))),
        "{got:?}"
    );
}

#[test]
fn dane_ta_checks_expiry_below_anchor() {
    let ca = root("Root");
    let l = leaf(
        LeafOpts {
            not_before: (2025, 1, 1),
            not_after: (2025, 6, 1),
            ..Default::default()
        },
        &ca,
    );
    assert_anchor_chain_fails(&ca, &l);
}

#[test]
fn dane_ta_rejects_a_chain_not_issued_by_the_anchor() {
    let ca = root("Root");
    let impostor = root("Root"); // same name, other key
    let l = leaf(LeafOpts::default(), &impostor);
    assert_anchor_chain_fails(&ca, &l);
}

#[test]
fn pkix_usages_are_unusable() {
    let ca = root("Root");
    let l = leaf(LeafOpts::default(), &ca);
    let got = verify_chain(
        &[rec(1, 0, 1, sha256(&l.der)), rec(0, 0, 1, sha256(&ca.der))],
        &[&l.der],
        &["mx.example.com"],
        now(),
    );
    assert_eq!(got.as_str(), "none");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

#[test]
fn resolver_states() {
    let ca = root("Root");
    let l = leaf(LeafOpts::default(), &ca);
    let name = "_25._tcp.mx.example.com";
    let tlsa = Tlsa {
        usage: 3,
        selector: 1,
        matching: 1,
        data: sha256(&spki(&l.der)),
    };
    let rt = runtime();
    let run = |dns: &StaticResolver| {
        rt.block_on(check_dane(dns, "mx.example.com", &[&l.der], &[], now()))
    };

    let empty = StaticResolver::new();
    assert_eq!(run(&empty).unwrap().as_str(), "none");

    let mut dns = StaticResolver::new();
    dns.add(name, Record::Tlsa(tlsa.clone()));
    let got = run(&dns).unwrap();
    assert_eq!(got.as_str(), "not_applicable");
    assert!(got.reason().contains("DNSSEC"));

    dns.set_secure(name, true);
    assert_eq!(run(&dns).unwrap().as_str(), "pass");

    let mut bad = StaticResolver::new();
    bad.add(
        name,
        Record::Tlsa(Tlsa {
            data: vec![0; 32],
            ..tlsa
        }),
    );
    bad.set_secure(name, true);
    assert_eq!(run(&bad).unwrap().as_str(), "fail");

    let mut fail = StaticResolver::new();
    fail.fail(name, Failure::ServFail);
    assert!(run(&fail).is_err());
}

#[test]
fn dane_ta_key_only_anchor() {
    let ca = root("Root");
    let int = intermediate("Intermediate", &ca);
    let l = leaf(LeafOpts::default(), &int);
    // The server sends leaf and intermediate only; the record holds the root's bare key.
    let chain = [l.der.clone(), int.der.clone()];
    let key_only = rec(2, 1, 0, spki(&ca.der));
    let got = verify_chain(
        std::slice::from_ref(&key_only),
        &chain,
        &["mx.example.com"],
        now(),
    );
    assert_eq!(
        got,
        DaneResult::Pass {
            usage: Usage::DaneTa,
            depth: 2
        }
    );
    // Another key signed nothing here.
    let other = root("Root");
    let got = verify_chain(
        &[rec(2, 1, 0, spki(&other.der))],
        &chain,
        &["mx.example.com"],
        now(),
    );
    assert_eq!(got, DaneResult::Fail(DaneFailure::NoMatch));
    // Name still checked.
    let got = verify_chain(&[key_only], &chain, &["mx.example.org"], now());
    assert!(
        matches!(got, DaneResult::Fail(DaneFailure::NameMismatch(_))),
        "{got:?}"
    );
}

#[test]
fn dane_ta_rejects_a_non_ca_issuer() {
    let ca = root("Root");
    // A leaf "issued" by another leaf: same key pair signs, but the issuer is no CA.
    let fake_issuer = Ca {
        params: {
            let mut p = rcgen::CertificateParams::new(vec!["mx.example.com".to_string()]).unwrap();
            p.distinguished_name.push(rcgen::DnType::CommonName, "leaf");
            p
        },
        key: rcgen::KeyPair::generate().unwrap(),
        der: Vec::new(),
        pem: String::new(),
    };
    let issuer_cert = fake_issuer
        .params
        .signed_by(&fake_issuer.key, &ca.issuer())
        .unwrap();
    let child = leaf(LeafOpts::default(), &fake_issuer);
    let chain = [
        child.der.clone(),
        issuer_cert.der().to_vec(),
        ca.der.clone(),
    ];
    let got = verify_chain(
        &[rec(2, 0, 1, sha256(&ca.der))],
        &chain,
        &["mx.example.com"],
        now(),
    );
    assert!(
        matches!(got, DaneResult::Fail(DaneFailure::TrustAnchorChain(_))),
        "{got:?}"
    );
}
