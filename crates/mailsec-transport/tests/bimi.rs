//! BIMI VMC checks under DMARC enforcement.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::*;
use mailsec_auth::dmarc::DmarcRecord;
use mailsec_dns::{Record, StaticResolver};
use mailsec_transport::bimi::{BimiResult, check_vmc, lookup};

fn reject() -> DmarcRecord {
    DmarcRecord::parse("v=DMARC1; p=reject").unwrap()
}

#[test]
fn valid_vmc_passes() {
    let ca = root("Mark Verifying Authority");
    let vmc = leaf(
        LeafOpts {
            names: &["example.com"],
            bimi: true,
            ..Default::default()
        },
        &ca,
    );
    let pem = format!("{}{}", vmc.pem, ca.pem);
    assert_eq!(
        check_vmc(pem.as_bytes(), "example.com", &reject(), now()),
        BimiResult::Pass
    );
    assert_eq!(
        check_vmc(pem.as_bytes(), "EXAMPLE.com.", &reject(), now()),
        BimiResult::Pass
    );
}

#[test]
fn dmarc_not_enforced_skips() {
    let ca = root("MVA");
    let vmc = leaf(
        LeafOpts {
            names: &["example.com"],
            bimi: true,
            ..Default::default()
        },
        &ca,
    );
    for rec in [
        "v=DMARC1; p=none",
        "v=DMARC1; p=quarantine; pct=20",
        "v=DMARC1; p=reject; sp=none",
    ] {
        let got = check_vmc(
            vmc.pem.as_bytes(),
            "example.com",
            &DmarcRecord::parse(rec).unwrap(),
            now(),
        );
        assert_eq!(got.as_str(), "skipped", "{rec}");
    }
}

/// Checks `pem` as example.com's mark: a `fail` whose reason names `why`.
fn assert_vmc_fails(pem: &[u8], why: &str) {
    let got = check_vmc(pem, "example.com", &reject(), now());
    assert!(
        matches!(&got, BimiResult::Fail(r) if r.contains(why)),
        "{got:?}"
    );
}

#[test]
fn invalid_vmcs_fail() {
    let ca = root("MVA");
    // No logotype extension, no BIMI EKU: an ordinary TLS certificate.
    let tls = leaf(
        LeafOpts {
            names: &["example.com"],
            ..Default::default()
        },
        &ca,
    );
    assert_vmc_fails(tls.pem.as_bytes(), "logotype");
    // Mark for another domain.
    let other = leaf(
        LeafOpts {
            names: &["example.net"],
            bimi: true,
            ..Default::default()
        },
        &ca,
    );
    assert_vmc_fails(other.pem.as_bytes(), "SAN");
    // Expired.
    let old = leaf(
        LeafOpts {
            names: &["example.com"],
            bimi: true,
            not_before: (2025, 1, 1),
            not_after: (2025, 2, 1),
            ..Default::default()
        },
        &ca,
    );
    assert_vmc_fails(old.pem.as_bytes(), "expired");
    // Chain that does not link.
    let stranger = root("Stranger");
    let good = leaf(
        LeafOpts {
            names: &["example.com"],
            bimi: true,
            ..Default::default()
        },
        &ca,
    );
    let got = check_vmc(
        format!("{}{}", good.pem, stranger.pem).as_bytes(),
        "example.com",
        &reject(),
        now(),
    );
    assert!(matches!(got, BimiResult::Fail(_)), "{got:?}");
    // Not PEM at all.
    assert!(matches!(
        check_vmc(b"garbage", "example.com", &reject(), now()),
        BimiResult::Fail(_)
    ));
}

#[test]
fn record_lookup() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut dns = StaticResolver::new();
    dns.add(
        "default._bimi.example.com",
        Record::txt("v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem"),
    );
    let rec = rt
        .block_on(lookup(&dns, "example.com"))
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(rec.authority(), Some("https://example.com/vmc.pem"));
    assert!(rt.block_on(lookup(&dns, "example.org")).unwrap().is_none());
}
