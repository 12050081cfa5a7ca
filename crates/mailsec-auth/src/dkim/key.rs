//! DKIM public key records (RFC 6376 section 3.6.1, RFC 8463 section 4).

use super::tags;
use super::{DkimReason, HashAlgorithm, KeyType, base64, der};

/// A parsed DKIM key record, as published in DNS at
/// `selector._domainkey.domain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    key_type: KeyType,
    public_key: Vec<u8>,
    hashes: Option<Vec<String>>,
    services: Option<Vec<String>>,
    testing: bool,
    strict: bool,
}

impl KeyRecord {
    /// Parses a key record (the TXT strings joined). A record with an empty
    /// `p=` is [`DkimReason::KeyRevoked`].
    pub fn parse(record: &[u8]) -> Result<KeyRecord, DkimReason> {
        let list = tags::parse(record).map_err(|e| DkimReason::KeySyntax(e.to_string()))?;
        let get = |name: &str| list.iter().find(|t| t.name == name).map(|t| t.value);
        if let Some(v) = get("v") {
            if v != b"DKIM1" {
                return Err(DkimReason::KeySyntax("v= is not DKIM1".into()));
            }
            if list.first().map(|t| t.name) != Some("v") {
                return Err(DkimReason::KeySyntax("v= is not the first tag".into()));
            }
        }
        let lists = |value: &[u8]| -> Vec<String> {
            String::from_utf8_lossy(&tags::strip_fws(value))
                .split(':')
                .map(str::to_owned)
                .collect()
        };
        let key_type = match get("k").map(tags::strip_fws).as_deref() {
            None | Some(b"rsa") => KeyType::Rsa,
            Some(b"ed25519") => KeyType::Ed25519,
            Some(other) => {
                return Err(DkimReason::UnsupportedKeyType(
                    String::from_utf8_lossy(other).into_owned(),
                ));
            }
        };
        let p = get("p").ok_or(DkimReason::KeySyntax("no p= tag".into()))?;
        let public_key =
            base64::decode(p).ok_or(DkimReason::KeySyntax("p= is not base64".into()))?;
        if public_key.is_empty() {
            return Err(DkimReason::KeyRevoked);
        }
        let flags = get("t").map(lists).unwrap_or_default();
        Ok(KeyRecord {
            key_type,
            public_key,
            hashes: get("h").map(lists),
            services: get("s").map(lists),
            testing: flags.iter().any(|f| f == "y"),
            strict: flags.iter().any(|f| f == "s"),
        })
    }

    /// The key type (`k=`).
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }
    /// The public key data (`p=`, decoded).
    pub fn public_key(&self) -> &[u8] {
        &self.public_key
    }
    /// The acceptable hash algorithms (`h=`), if restricted.
    pub fn hashes(&self) -> Option<&[String]> {
        self.hashes.as_deref()
    }
    /// The service types (`s=`), if given.
    pub fn services(&self) -> Option<&[String]> {
        self.services.as_deref()
    }
    /// `t=y`: the domain is testing DKIM.
    pub fn is_testing(&self) -> bool {
        self.testing
    }
    /// `t=s`: the `i=` domain must be `d=` itself, not a subdomain.
    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// Whether the record allows this hash algorithm (`h=`).
    pub fn allows_hash(&self, hash: HashAlgorithm) -> bool {
        self.hashes
            .as_ref()
            .is_none_or(|list| list.iter().any(|h| h.eq_ignore_ascii_case(hash.name())))
    }

    /// Whether the record allows email (`s=` absent, `*` or `email`).
    pub fn allows_email(&self) -> bool {
        self.services.as_ref().is_none_or(|list| {
            list.iter()
                .any(|s| s == "*" || s.eq_ignore_ascii_case("email"))
        })
    }

    /// Prepares the public key for verification.
    pub(crate) fn verifying_key(&self, min_rsa_bits: usize) -> Result<VerifyingKey, DkimReason> {
        match self.key_type {
            KeyType::Rsa => {
                let (pkcs1, bits) = der::rsa_public_key(&self.public_key)
                    .ok_or(DkimReason::KeySyntax("p= is not an RSA public key".into()))?;
                if bits < min_rsa_bits {
                    return Err(DkimReason::KeyTooSmall { bits });
                }
                if bits > 8192 {
                    return Err(DkimReason::KeySyntax(format!(
                        "RSA key of {bits} bits is too large"
                    )));
                }
                Ok(VerifyingKey::Rsa(pkcs1.to_vec()))
            }
            KeyType::Ed25519 => {
                if self.public_key.len() != 32 {
                    return Err(DkimReason::KeySyntax(
                        "an Ed25519 key must be 32 bytes".into(),
                    ));
                }
                Ok(VerifyingKey::Ed25519(self.public_key.clone()))
            }
        }
    }
}

/// A public key ready for ring.
pub(crate) enum VerifyingKey {
    /// PKCS#1 RSAPublicKey DER.
    Rsa(Vec<u8>),
    /// The 32-byte Ed25519 public key.
    Ed25519(Vec<u8>),
}

impl VerifyingKey {
    /// Verifies `signature` over the header data. For RSA ring hashes `data`
    /// itself; Ed25519 (RFC 8463) signs the SHA-256 hash of it.
    pub(crate) fn verify(&self, hash: HashAlgorithm, data: &[u8], signature: &[u8]) -> bool {
        use ring::signature::{self as sig, UnparsedPublicKey};
        match self {
            VerifyingKey::Rsa(key) => {
                let alg = match hash {
                    HashAlgorithm::Sha256 => &sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                    HashAlgorithm::Sha1 => &sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
                };
                UnparsedPublicKey::new(alg, key)
                    .verify(data, signature)
                    .is_ok()
            }
            VerifyingKey::Ed25519(key) => {
                let digest = ring::digest::digest(&ring::digest::SHA256, data);
                UnparsedPublicKey::new(&sig::ED25519, key)
                    .verify(digest.as_ref(), signature)
                    .is_ok()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_records() {
        let k =
            KeyRecord::parse(b"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
                .unwrap();
        assert_eq!(k.key_type(), KeyType::Ed25519);
        assert_eq!(k.public_key().len(), 32);
        assert!(k.verifying_key(1024).is_ok());
        assert_eq!(
            KeyRecord::parse(b"v=DKIM1; p="),
            Err(DkimReason::KeyRevoked)
        );
        assert!(matches!(
            KeyRecord::parse(b"k=dsa; p=AA=="),
            Err(DkimReason::UnsupportedKeyType(_))
        ));
        assert!(matches!(
            KeyRecord::parse(b"p=AA==; v=DKIM1"),
            Err(DkimReason::KeySyntax(_))
        ));
        let k = KeyRecord::parse(b"v=DKIM1; t=y:s; h=sha1; s=web; p=AA==").unwrap();
        assert!(k.is_testing() && k.is_strict());
        assert!(!k.allows_hash(HashAlgorithm::Sha256));
        assert!(k.allows_hash(HashAlgorithm::Sha1));
        assert!(!k.allows_email());
    }
}
