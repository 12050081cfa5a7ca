//! Certificates and secret keys: import (armored or binary, as GnuPG exports
//! them), generation (v4 Ed25519/X25519 by default, v6 on request), status at
//! a given time, and the choice of encryption and signing (sub)keys.

use std::time::{Duration, SystemTime};

use openpgp::cert::prelude::*;
use openpgp::crypto::{KeyPair, Password};
use openpgp::packet::Packet;
use openpgp::parse::Parse;
use openpgp::policy::{Policy, StandardPolicy};
use openpgp::serialize::SerializeInto;
use openpgp::types::RevocationStatus;
use openpgp::{Cert, Profile};
use sequoia_openpgp as openpgp;

use crate::error::{Error, KeyProblem, Result};

/// The policy every check in this crate applies (sequoia's standard policy:
/// SHA-1 signatures and other broken algorithms are rejected).
pub(crate) static POLICY: StandardPolicy<'static> = StandardPolicy::new();

pub(crate) fn policy() -> &'static dyn Policy {
    &POLICY
}

/// Reads every certificate in `bytes`: one or several, ASCII-armored or
/// binary, public or secret (`gpg --export [--armor]`, `gpg
/// --export-secret-keys`). Secret key material, if any, is kept.
pub fn read_certs(bytes: &[u8]) -> Result<Vec<Cert>> {
    let mut certs = Vec::new();
    for cert in CertParser::from_bytes(bytes)? {
        certs.push(cert?);
    }
    if certs.is_empty() {
        return Err(Error::NoCertificate);
    }
    Ok(certs)
}

/// Reads exactly one certificate from `bytes`.
pub fn read_cert(bytes: &[u8]) -> Result<Cert> {
    read_certs(bytes)?
        .into_iter()
        .next()
        .ok_or(Error::NoCertificate)
}

/// The primary fingerprint of a certificate, as upper-case hex.
pub fn fingerprint(cert: &Cert) -> String {
    cert.fingerprint().to_hex()
}

/// A certificate with usable (unlocked) secret key material.
#[derive(Clone)]
pub struct SecretKey {
    cert: Cert,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("fingerprint", &self.cert.fingerprint().to_hex())
            .finish_non_exhaustive()
    }
}

impl SecretKey {
    /// Reads a transferable secret key (armored or binary) and unlocks its
    /// secret key material with `passphrase` when it is protected. Keys that
    /// are GnuPG stubs (no secret material) are left as they are.
    pub fn from_bytes(bytes: &[u8], passphrase: Option<&[u8]>) -> Result<Self> {
        let cert = read_certs(bytes)?
            .into_iter()
            .find(Cert::is_tsk)
            .ok_or(Error::UnusableKey {
                fingerprint: String::new(),
                problem: KeyProblem::NoSecret,
            })?;
        Self::from_cert(cert, passphrase)
    }

    /// Unlocks the secret key material of `cert`.
    pub fn from_cert(cert: Cert, passphrase: Option<&[u8]>) -> Result<Self> {
        if !cert.is_tsk() {
            return Err(Error::UnusableKey {
                fingerprint: cert.fingerprint().to_hex(),
                problem: KeyProblem::NoSecret,
            });
        }
        let password = passphrase.map(Password::from);
        let mut unlocked: Vec<Packet> = Vec::new();
        let mut locked = 0usize;
        for ka in cert.keys().secret() {
            let key = ka.key().clone();
            if key.has_unencrypted_secret() {
                continue;
            }
            locked += 1;
            let Some(pw) = password.as_ref() else {
                continue;
            };
            match key.decrypt_secret(pw) {
                Ok(key) if ka.primary() => unlocked.push(key.role_into_primary().into()),
                Ok(key) => unlocked.push(key.role_into_subordinate().into()),
                // A key the passphrase does not open stays locked.
                Err(_) => {}
            }
        }
        if locked > 0 && unlocked.is_empty() {
            return Err(if password.is_none() {
                Error::PassphraseRequired
            } else {
                Error::BadPassphrase
            });
        }
        let cert = if unlocked.is_empty() {
            cert
        } else {
            cert.insert_packets(unlocked)?.0
        };
        Ok(SecretKey { cert })
    }

    /// The certificate, secret parts included.
    pub fn cert(&self) -> &Cert {
        &self.cert
    }

    /// The public certificate (secret parts stripped).
    pub fn public_cert(&self) -> Cert {
        self.cert.clone().strip_secret_key_material()
    }

    /// The primary fingerprint, upper-case hex.
    pub fn fingerprint(&self) -> String {
        self.cert.fingerprint().to_hex()
    }

    /// The ASCII-armored transferable secret key (unprotected: the caller
    /// must store it safely).
    pub fn to_armored(&self) -> Result<Vec<u8>> {
        Ok(self.cert.as_tsk().armored().to_vec()?)
    }

    /// A signing key pair valid at `now`.
    pub(crate) fn signer(&self, now: SystemTime) -> Result<KeyPair> {
        let vc = valid_cert(&self.cert, now)?;
        let ka = vc
            .keys()
            .unencrypted_secret()
            .alive()
            .revoked(false)
            .for_signing()
            .next()
            .ok_or_else(|| Error::UnusableKey {
                fingerprint: self.fingerprint(),
                problem: key_problem(&self.cert, now, Purpose::Signing),
            })?;
        Ok(ka.key().clone().into_keypair()?)
    }

    /// Every key pair that could decrypt a message (expired or revoked
    /// encryption keys still decrypt old mail).
    pub(crate) fn decryptors(&self) -> Vec<KeyPair> {
        self.cert
            .keys()
            .unencrypted_secret()
            .filter(|ka| {
                ka.key().pk_algo().for_encryption()
                    || ka
                        .self_signatures()
                        .next()
                        .and_then(|s| s.key_flags())
                        .is_some_and(|f| f.for_transport_encryption() || f.for_storage_encryption())
            })
            .filter_map(|ka| ka.key().clone().into_keypair().ok())
            .collect()
    }
}

/// The OpenPGP version of generated keys.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyVersion {
    /// v4 keys (RFC 4880): Ed25519 signing, X25519 encryption; every
    /// current OpenPGP implementation, GnuPG 2.2 included, reads them.
    #[default]
    V4,
    /// v6 keys (RFC 9580): Ed25519/X25519 with the new packet formats and
    /// SEIPDv2 (AEAD) encryption. GnuPG 2.2 cannot read them.
    V6,
}

/// Key generation options (a builder). `Debug` never shows the passphrase,
/// which is wiped from memory when the builder is dropped.
#[derive(Clone)]
pub struct KeyGen {
    user_ids: Vec<String>,
    version: KeyVersion,
    validity: Option<Duration>,
    created: Option<SystemTime>,
    passphrase: Option<zeroize::Zeroizing<Vec<u8>>>,
}

impl std::fmt::Debug for KeyGen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyGen")
            .field("user_ids", &self.user_ids)
            .field("version", &self.version)
            .field("validity", &self.validity)
            .field("created", &self.created)
            .field(
                "passphrase",
                &self.passphrase.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl KeyGen {
    /// A key for this user id (`"Alice <alice@example.org>"`).
    pub fn new(user_id: impl Into<String>) -> Self {
        KeyGen {
            user_ids: vec![user_id.into()],
            version: KeyVersion::V4,
            validity: Some(Duration::from_secs(3 * 365 * 24 * 3600)),
            created: None,
            passphrase: None,
        }
    }

    /// Adds another user id.
    pub fn user_id(mut self, user_id: impl Into<String>) -> Self {
        self.user_ids.push(user_id.into());
        self
    }

    /// Chooses v4 (default) or v6 keys.
    pub fn version(mut self, version: KeyVersion) -> Self {
        self.version = version;
        self
    }

    /// How long the key is valid (default three years; `None` for ever).
    pub fn validity(mut self, validity: Option<Duration>) -> Self {
        self.validity = validity;
        self
    }

    /// The creation time (default: now).
    pub fn created(mut self, created: SystemTime) -> Self {
        self.created = Some(created);
        self
    }

    /// Protects the exported secret key with a passphrase.
    pub fn passphrase(mut self, passphrase: &[u8]) -> Self {
        self.passphrase = Some(zeroize::Zeroizing::new(passphrase.to_vec()));
        self
    }

    /// Generates the key: a certification-only primary key, a signing subkey
    /// and an encryption subkey. Returns the key (unlocked, ready for use)
    /// and its armored form (protected by the passphrase when one was set),
    /// plus a revocation certificate to keep aside.
    pub fn generate(self) -> Result<GeneratedKey> {
        let mut b = CertBuilder::new()
            .set_cipher_suite(CipherSuite::Cv25519)
            .set_profile(match self.version {
                KeyVersion::V4 => Profile::RFC4880,
                KeyVersion::V6 => Profile::RFC9580,
            })?
            .set_primary_key_flags(openpgp::types::KeyFlags::empty().set_certification())
            .add_signing_subkey()
            .add_subkey(
                openpgp::types::KeyFlags::empty()
                    .set_transport_encryption()
                    .set_storage_encryption(),
                None,
                None,
            )
            .set_validity_period(self.validity);
        if self.version == KeyVersion::V4 {
            // Advertise SEIPDv1 only: senders then use the packet formats
            // GnuPG 2.2 reads (v3 PKESK, SEIPDv1 with MDC).
            b = b.set_features(openpgp::types::Features::empty().set_seipdv1())?;
        }
        if let Some(t) = self.created {
            b = b.set_creation_time(t);
        }
        for uid in &self.user_ids {
            b = b.add_userid(uid.as_str());
        }
        let (cert, revocation) = b.generate()?;
        let armored_secret = match &self.passphrase {
            None => cert.as_tsk().armored().to_vec()?,
            Some(pw) => {
                let pw = Password::from(pw.as_slice());
                let mut packets: Vec<Packet> = Vec::new();
                for ka in cert.keys().secret() {
                    let k = ka.key().clone().encrypt_secret(&pw)?;
                    packets.push(if ka.primary() {
                        k.role_into_primary().into()
                    } else {
                        k.role_into_subordinate().into()
                    });
                }
                let locked = cert.clone().insert_packets(packets)?.0;
                locked.as_tsk().armored().to_vec()?
            }
        };
        let armored_revocation = {
            let mut out = Vec::new();
            {
                use openpgp::serialize::Serialize;
                let mut w = openpgp::armor::Writer::new(&mut out, openpgp::armor::Kind::PublicKey)?;
                Packet::from(revocation).serialize(&mut w)?;
                w.finalize()?;
            }
            out
        };
        Ok(GeneratedKey {
            key: SecretKey { cert },
            armored_secret: zeroize::Zeroizing::new(armored_secret),
            armored_revocation,
        })
    }
}

/// A freshly generated key. `Debug` shows the fingerprint only; the armored
/// secret key is wiped from memory on drop.
#[derive(Clone)]
pub struct GeneratedKey {
    key: SecretKey,
    armored_secret: zeroize::Zeroizing<Vec<u8>>,
    armored_revocation: Vec<u8>,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl GeneratedKey {
    /// The key, unlocked.
    pub fn key(&self) -> &SecretKey {
        &self.key
    }
    /// Takes the key.
    pub fn into_key(self) -> SecretKey {
        self.key
    }
    /// The armored secret key (passphrase-protected when one was given).
    pub fn armored_secret(&self) -> &[u8] {
        &self.armored_secret
    }
    /// The armored public certificate.
    pub fn armored_cert(&self) -> Result<Vec<u8>> {
        Ok(self.key.public_cert().armored().to_vec()?)
    }
    /// An armored revocation signature for the certificate, to keep aside.
    pub fn armored_revocation(&self) -> &[u8] {
        &self.armored_revocation
    }
}

/// The state of a certificate at some time.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertStatus {
    /// Valid: not expired, not revoked.
    Valid,
    /// Expired (or not yet valid) at that time.
    Expired,
    /// Revoked.
    Revoked,
    /// Not valid under the standard policy (bad self-signatures, weak algorithms).
    Invalid,
}

/// The state of `cert` at `now`.
pub fn cert_status(cert: &Cert, now: SystemTime) -> CertStatus {
    if matches!(
        cert.revocation_status(policy(), now),
        RevocationStatus::Revoked(_)
    ) {
        return CertStatus::Revoked;
    }
    match cert.with_policy(policy(), now) {
        Ok(vc) => {
            if vc.alive().is_ok() {
                CertStatus::Valid
            } else {
                CertStatus::Expired
            }
        }
        // Binding signatures may not exist yet at `now` (created later), or the
        // primary key's self-signature may have expired.
        Err(_) => {
            let born = cert.primary_key().key().creation_time() + Duration::from_secs(1);
            if cert.with_policy(policy(), None).is_ok() || cert.with_policy(policy(), born).is_ok()
            {
                CertStatus::Expired
            } else {
                CertStatus::Invalid
            }
        }
    }
}

#[derive(Clone, Copy)]
pub(crate) enum Purpose {
    Signing,
    Encryption,
}

pub(crate) fn key_problem(cert: &Cert, now: SystemTime, purpose: Purpose) -> KeyProblem {
    match cert_status(cert, now) {
        CertStatus::Revoked => KeyProblem::Revoked,
        CertStatus::Expired => KeyProblem::Expired,
        CertStatus::Invalid => KeyProblem::NoSuitableKey,
        CertStatus::Valid => {
            // The certificate is fine; are the candidate subkeys expired or revoked?
            let Ok(vc) = cert.with_policy(policy(), now) else {
                return KeyProblem::NoSuitableKey;
            };
            let capable: Vec<_> = match purpose {
                Purpose::Signing => vc.keys().for_signing().collect(),
                Purpose::Encryption => vc
                    .keys()
                    .for_transport_encryption()
                    .for_storage_encryption()
                    .collect(),
            };
            if capable.is_empty() {
                if matches!(purpose, Purpose::Signing) && !cert.is_tsk() {
                    KeyProblem::NoSecret
                } else {
                    KeyProblem::NoSuitableKey
                }
            } else if capable
                .iter()
                .all(|ka| matches!(ka.revocation_status(), RevocationStatus::Revoked(_)))
            {
                KeyProblem::Revoked
            } else if capable.iter().all(|ka| ka.alive().is_err()) {
                KeyProblem::Expired
            } else {
                KeyProblem::NoSecret
            }
        }
    }
}

pub(crate) fn valid_cert(cert: &Cert, now: SystemTime) -> Result<ValidCert<'_>> {
    cert.with_policy(policy(), now)
        .map_err(|_| Error::UnusableKey {
            fingerprint: cert.fingerprint().to_hex(),
            problem: key_problem(cert, now, Purpose::Encryption),
        })
}

/// The encryption subkeys of `cert` usable at `now` (alive, not revoked,
/// flagged for transport or storage encryption).
pub(crate) fn encryption_keys(
    cert: &Cert,
    now: SystemTime,
) -> Result<Vec<ValidErasedKeyAmalgamation<'_, openpgp::packet::key::PublicParts>>> {
    let vc = valid_cert(cert, now)?;
    if vc.alive().is_err() {
        return Err(Error::UnusableKey {
            fingerprint: cert.fingerprint().to_hex(),
            problem: KeyProblem::Expired,
        });
    }
    if matches!(vc.revocation_status(), RevocationStatus::Revoked(_)) {
        return Err(Error::UnusableKey {
            fingerprint: cert.fingerprint().to_hex(),
            problem: KeyProblem::Revoked,
        });
    }
    let keys: Vec<_> = vc
        .keys()
        .supported()
        .alive()
        .revoked(false)
        .for_transport_encryption()
        .for_storage_encryption()
        .collect();
    if keys.is_empty() {
        return Err(Error::UnusableKey {
            fingerprint: cert.fingerprint().to_hex(),
            problem: key_problem(cert, now, Purpose::Encryption),
        });
    }
    Ok(keys)
}

/// The e-mail addresses in a certificate's user ids, lower-cased.
pub fn cert_addresses(cert: &Cert) -> Vec<String> {
    cert.userids()
        .filter_map(|u| u.userid().email().ok().flatten())
        .map(|e| e.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_v4_and_v6() {
        for v in [KeyVersion::V4, KeyVersion::V6] {
            let g = KeyGen::new("Alice <alice@example.org>")
                .version(v)
                .generate()
                .unwrap();
            let cert = g.key().public_cert();
            assert_eq!(
                cert.primary_key().key().version(),
                if v == KeyVersion::V4 { 4 } else { 6 }
            );
            assert_eq!(cert_status(&cert, SystemTime::now()), CertStatus::Valid);
            assert_eq!(encryption_keys(&cert, SystemTime::now()).unwrap().len(), 1);
            assert!(g.key().signer(SystemTime::now()).is_ok());
            let vc = cert.with_policy(policy(), None).unwrap();
            use openpgp::cert::Preferences as _;
            let seipdv2 = vc.features().is_some_and(|f| f.supports_seipdv2());
            assert_eq!(
                seipdv2,
                v == KeyVersion::V6,
                "GnuPG 2.2 needs SEIPDv1 for v4 keys"
            );
            let back = read_cert(&g.armored_cert().unwrap()).unwrap();
            assert_eq!(back.fingerprint(), cert.fingerprint());
        }
    }

    #[test]
    fn passphrase_protected_export() {
        let g = KeyGen::new("Bob <bob@example.org>")
            .passphrase(b"secret")
            .generate()
            .unwrap();
        assert!(matches!(
            SecretKey::from_bytes(g.armored_secret(), None),
            Err(Error::PassphraseRequired)
        ));
        assert!(matches!(
            SecretKey::from_bytes(g.armored_secret(), Some(b"wrong")),
            Err(Error::BadPassphrase)
        ));
        let k = SecretKey::from_bytes(g.armored_secret(), Some(b"secret")).unwrap();
        assert!(k.signer(SystemTime::now()).is_ok());
        assert_eq!(k.decryptors().len(), 1);
    }

    #[test]
    fn expiry_is_honoured() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let g = KeyGen::new("c@example.org")
            .created(t0)
            .validity(Some(Duration::from_secs(3600)))
            .generate()
            .unwrap();
        let cert = g.key().public_cert();
        let later = t0 + Duration::from_secs(7200);
        assert_eq!(cert_status(&cert, later), CertStatus::Expired);
        assert!(matches!(
            encryption_keys(&cert, later),
            Err(Error::UnusableKey {
                problem: KeyProblem::Expired,
                ..
            })
        ));
    }
}
