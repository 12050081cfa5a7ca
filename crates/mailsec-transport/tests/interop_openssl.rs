//! Interop with the `openssl` command: certificates made by OpenSSL, TLSA
//! digests computed by OpenSSL, matched by this crate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use mailsec_transport::cert::{Certificate, pem_chain_to_der};
use mailsec_transport::dane::{DaneResult, TlsaRecord, Usage, verify_chain};

fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the openssl command must be installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("mailsec-transport-openssl-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `openssl dgst -sha256 -r` output: hex digest, space, file name.
fn digest(dir: &Path, alg: &str, file: &str) -> Vec<u8> {
    let out = String::from_utf8(openssl(dir, &["dgst", alg, "-r", file])).unwrap();
    let hex = out.split_whitespace().next().unwrap();
    TlsaRecord::parse(&format!("3 0 0 {hex}"))
        .unwrap()
        .data()
        .to_vec()
}

#[test]
#[ignore = "interop: needs openssl; run by scripts/test --interop"]
fn openssl_made_chain_and_tlsa_digests() {
    let d = tempdir();
    let days = "3650";
    openssl(
        &d,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            days,
            "-subj",
            "/CN=Interop Root",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    openssl(
        &d,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "mx.key",
            "-out",
            "mx.csr",
            "-subj",
            "/CN=mx.example.com",
        ],
    );
    std::fs::write(d.join("ext.cnf"), "subjectAltName=DNS:mx.example.com,DNS:*.mail.example.com\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n").unwrap();
    openssl(
        &d,
        &[
            "x509",
            "-req",
            "-in",
            "mx.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "mx.pem",
            "-days",
            "365",
            "-extfile",
            "ext.cnf",
        ],
    );
    openssl(
        &d,
        &["x509", "-in", "mx.pem", "-outform", "DER", "-out", "mx.der"],
    );
    openssl(
        &d,
        &["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"],
    );
    openssl(
        &d,
        &[
            "x509",
            "-in",
            "mx.pem",
            "-noout",
            "-pubkey",
            "-out",
            "mx.pub.pem",
        ],
    );
    openssl(
        &d,
        &[
            "pkey",
            "-pubin",
            "-in",
            "mx.pub.pem",
            "-outform",
            "DER",
            "-out",
            "mx.spki",
        ],
    );

    let leaf = std::fs::read(d.join("mx.der")).unwrap();
    let ca = std::fs::read(d.join("ca.der")).unwrap();
    let cert = Certificate::from_der(&leaf).unwrap();
    assert_eq!(
        cert.spki(),
        std::fs::read(d.join("mx.spki")).unwrap().as_slice()
    );
    assert!(
        cert.check_server("mx.example.com", SystemTime::now())
            .is_valid()
    );
    assert!(
        cert.check_server("a.mail.example.com", SystemTime::now())
            .is_valid()
    );
    assert!(!cert.check_name("mail.example.com").is_valid());

    let pem = [
        std::fs::read(d.join("mx.pem")).unwrap(),
        std::fs::read(d.join("ca.pem")).unwrap(),
    ]
    .concat();
    let chain = pem_chain_to_der(&pem).unwrap();
    assert_eq!(chain, vec![leaf.clone(), ca.clone()]);

    let names = ["mx.example.com"];
    let r311 = TlsaRecord::new(3, 1, 1, digest(&d, "-sha256", "mx.spki"));
    assert_eq!(
        verify_chain(&[r311], &chain, &names, SystemTime::now()),
        DaneResult::Pass {
            usage: Usage::DaneEe,
            depth: 0
        }
    );
    let r302 = TlsaRecord::new(3, 0, 2, digest(&d, "-sha512", "mx.der"));
    assert_eq!(
        verify_chain(&[r302], &chain, &names, SystemTime::now()).as_str(),
        "pass"
    );
    let r201 = TlsaRecord::new(2, 0, 1, digest(&d, "-sha256", "ca.der"));
    assert_eq!(
        verify_chain(
            std::slice::from_ref(&r201),
            &chain,
            &names,
            SystemTime::now()
        ),
        DaneResult::Pass {
            usage: Usage::DaneTa,
            depth: 1
        }
    );
    // The same trust anchor does not vouch for another name.
    assert_eq!(
        verify_chain(&[r201], &chain, &["mx.example.org"], SystemTime::now()).as_str(),
        "fail"
    );
    let _ = std::fs::remove_dir_all(&d);
}
