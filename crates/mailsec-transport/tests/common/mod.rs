//! Test PKI made with rcgen at test time (no keys checked in).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, date_time_ymd,
};

/// 2026-06-01T00:00:00Z, inside every default validity period below.
pub(crate) fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_272_000)
}

pub(crate) struct Ca {
    pub(crate) params: CertificateParams,
    pub(crate) key: KeyPair,
    pub(crate) der: Vec<u8>,
    pub(crate) pem: String,
}

impl Ca {
    pub(crate) fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = date_time_ymd(2025, 1, 1);
    params.not_after = date_time_ymd(2030, 1, 1);
    params
}

pub(crate) fn root(cn: &str) -> Ca {
    let params = ca_params(cn);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    Ca {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        params,
        key,
    }
}

pub(crate) fn intermediate(cn: &str, parent: &Ca) -> Ca {
    let params = ca_params(cn);
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &parent.issuer()).unwrap();
    Ca {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        params,
        key,
    }
}

pub(crate) struct Leaf {
    pub(crate) der: Vec<u8>,
    pub(crate) pem: String,
    pub(crate) key: KeyPair,
}

pub(crate) struct LeafOpts<'a> {
    pub(crate) names: &'a [&'a str],
    pub(crate) not_before: (i32, u8, u8),
    pub(crate) not_after: (i32, u8, u8),
    pub(crate) server_auth: bool,
    pub(crate) bimi: bool,
}

impl Default for LeafOpts<'_> {
    fn default() -> Self {
        LeafOpts {
            names: &["mx.example.com"],
            not_before: (2026, 1, 1),
            not_after: (2027, 1, 1),
            server_auth: true,
            bimi: false,
        }
    }
}

pub(crate) fn leaf(opts: LeafOpts<'_>, issuer: &Ca) -> Leaf {
    let names: Vec<String> = opts.names.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(names).unwrap();
    params.distinguished_name.push(DnType::CommonName, "leaf");
    let (y, m, d) = opts.not_before;
    params.not_before = date_time_ymd(y, m, d);
    let (y, m, d) = opts.not_after;
    params.not_after = date_time_ymd(y, m, d);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    if opts.server_auth {
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    } else {
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    }
    if opts.bimi {
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::Other(vec![
            1, 3, 6, 1, 5, 5, 7, 3, 31,
        ])];
        // A minimal logotype value: an empty SEQUENCE is enough to carry the OID.
        params.custom_extensions = vec![CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 5, 5, 7, 1, 12],
            vec![0x30, 0x00],
        )];
    }
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &issuer.issuer()).unwrap();
    Leaf {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        key,
    }
}

pub(crate) fn sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

pub(crate) fn sha512(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA512, data)
        .as_ref()
        .to_vec()
}

pub(crate) fn spki(der: &[u8]) -> Vec<u8> {
    mailsec_transport::cert::Certificate::from_der(der)
        .unwrap()
        .spki()
        .to_vec()
}
