//! Typed signature results and the sequoia helper that produces them.

use std::time::{Duration, SystemTime};

use openpgp::cert::prelude::*;
use openpgp::crypto::SessionKey;
use openpgp::packet::{PKESK, SKESK};
use openpgp::parse::stream::{
    DecryptionHelper, MessageLayer, MessageStructure, VerificationError, VerificationHelper,
};
use openpgp::types::{RevocationStatus, SymmetricAlgorithm};
use openpgp::{Cert, KeyHandle};
use sequoia_openpgp as openpgp;

use crate::keys::{SecretKey, policy};

/// How far a signature's creation time may lie after the verification time
/// by default (30 minutes, sequoia's own tolerance when it reads the clock
/// itself): senders' clocks run ahead.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(30 * 60);

/// The verdict on one signature.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureResult {
    /// The signature checks out with a valid key.
    Good {
        /// The signer certificate's primary fingerprint (upper-case hex).
        fingerprint: String,
        /// The signer's user id: the one matching the From address when
        /// there is one, else the primary user id.
        signer_user_id: Option<String>,
        /// When the signature was made.
        created: SystemTime,
    },
    /// The signature does not match the data (or is malformed).
    Bad {
        /// The signer's fingerprint, when the key is known.
        fingerprint: Option<String>,
    },
    /// No certificate given can check this signature.
    UnknownKey {
        /// The issuer named in the signature (fingerprint or key id), if any.
        issuer: Option<String>,
    },
    /// The signature checks out but the signing key has expired.
    ExpiredKey {
        /// The signer certificate's primary fingerprint.
        fingerprint: String,
    },
    /// The signature was made by a revoked key.
    RevokedKey {
        /// The signer certificate's primary fingerprint.
        fingerprint: String,
    },
    /// The signature claims to be made later than the verification time
    /// plus the allowed clock skew, so it was not checked. The CLI contract
    /// word is `bad`.
    NotYetValid {
        /// The signer certificate's primary fingerprint.
        fingerprint: String,
        /// The creation time the signature claims.
        created: SystemTime,
    },
    /// The message carries no signature at all.
    NotSigned,
}

impl SignatureResult {
    /// The result word of the CLI contract: `good`, `bad`, `unknown_key`,
    /// `expired_key`, `revoked_key`, `not_signed` ([`SignatureResult::NotYetValid`]
    /// is `bad`: the contract has no word of its own for it).
    pub fn word(&self) -> &'static str {
        match self {
            SignatureResult::Good { .. } => "good",
            SignatureResult::Bad { .. } | SignatureResult::NotYetValid { .. } => "bad",
            SignatureResult::UnknownKey { .. } => "unknown_key",
            SignatureResult::ExpiredKey { .. } => "expired_key",
            SignatureResult::RevokedKey { .. } => "revoked_key",
            SignatureResult::NotSigned => "not_signed",
        }
    }

    /// The fingerprint (or issuer) the result names, if any.
    pub fn fingerprint(&self) -> Option<&str> {
        match self {
            SignatureResult::Good { fingerprint, .. }
            | SignatureResult::ExpiredKey { fingerprint }
            | SignatureResult::RevokedKey { fingerprint }
            | SignatureResult::NotYetValid { fingerprint, .. } => Some(fingerprint),
            SignatureResult::Bad { fingerprint } => fingerprint.as_deref(),
            SignatureResult::UnknownKey { issuer } => issuer.as_deref(),
            SignatureResult::NotSigned => None,
        }
    }

    /// Whether this is [`SignatureResult::Good`].
    pub fn is_good(&self) -> bool {
        matches!(self, SignatureResult::Good { .. })
    }
}

/// One signature's verdict and whether its signer is the From address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureCheck {
    result: SignatureResult,
    signer_matches_from: bool,
}

impl SignatureCheck {
    pub(crate) fn new(result: SignatureResult, signer_matches_from: bool) -> Self {
        SignatureCheck {
            result,
            signer_matches_from,
        }
    }

    /// The verdict.
    pub fn result(&self) -> &SignatureResult {
        &self.result
    }

    /// Whether one of the signer certificate's user ids carries the
    /// message's From address (always false unless the result names a
    /// known key).
    pub fn signer_matches_from(&self) -> bool {
        self.signer_matches_from
    }
}

/// A signature as sequoia reported it, before the From check.
#[derive(Debug, Clone)]
pub(crate) struct RawCheck {
    pub(crate) result: SignatureResult,
    pub(crate) cert: Option<Cert>,
}

/// Turns raw checks into [`SignatureCheck`]s against a From address.
pub(crate) fn finish(raw: Vec<RawCheck>, from: Option<&str>) -> Vec<SignatureCheck> {
    if raw.is_empty() {
        return vec![SignatureCheck::new(SignatureResult::NotSigned, false)];
    }
    let from = from.map(str::to_ascii_lowercase);
    raw.into_iter()
        .map(|c| {
            let matching_uid = match (&c.cert, &from) {
                (Some(cert), Some(f)) => cert
                    .userids()
                    .find(|u| {
                        u.userid()
                            .email()
                            .ok()
                            .flatten()
                            .is_some_and(|e| e.to_ascii_lowercase() == *f)
                    })
                    .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned()),
                _ => None,
            };
            let matches =
                matching_uid.is_some() && !matches!(c.result, SignatureResult::UnknownKey { .. });
            let result = match c.result {
                SignatureResult::Good {
                    fingerprint,
                    signer_user_id,
                    created,
                } => SignatureResult::Good {
                    fingerprint,
                    signer_user_id: matching_uid.or(signer_user_id),
                    created,
                },
                other => other,
            };
            SignatureCheck::new(result, matches)
        })
        .collect()
}

/// Feeds sequoia's streaming decryptor/verifier: tries the secret keys on
/// the PKESKs, hands out certificates, and records each signature.
pub(crate) struct Helper<'a> {
    pub(crate) keys: &'a [SecretKey],
    pub(crate) certs: &'a [Cert],
    pub(crate) now: SystemTime,
    pub(crate) checks: Vec<RawCheck>,
    pub(crate) encrypted: bool,
    /// How far after `now` a signature may be made (sender clock skew).
    pub(crate) clock_skew: Duration,
    /// Set when a signature was made after the time sequoia judged at but
    /// within the skew: the caller runs the pass again at this time (the
    /// latest such creation time). Key status is still judged at `now`.
    pub(crate) retry_at: Option<SystemTime>,
}

impl<'a> Helper<'a> {
    pub(crate) fn new(
        keys: &'a [SecretKey],
        certs: &'a [Cert],
        now: SystemTime,
        clock_skew: Duration,
    ) -> Self {
        Helper {
            keys,
            certs,
            now,
            checks: Vec::new(),
            encrypted: false,
            clock_skew,
            retry_at: None,
        }
    }

    fn status_result(
        &self,
        cert: &Cert,
        key_fpr: &openpgp::Fingerprint,
    ) -> Option<SignatureResult> {
        let fingerprint = cert.fingerprint().to_hex();
        if matches!(
            cert.revocation_status(policy(), self.now),
            RevocationStatus::Revoked(_)
        ) {
            return Some(SignatureResult::RevokedKey { fingerprint });
        }
        let key_revoked = cert
            .keys()
            .key_handle(key_fpr.clone())
            .next()
            .and_then(|ka| ka.with_policy(policy(), self.now).ok())
            .is_some_and(|vka| matches!(vka.revocation_status(), RevocationStatus::Revoked(_)));
        if key_revoked {
            return Some(SignatureResult::RevokedKey { fingerprint });
        }
        let alive = cert.with_policy(policy(), self.now).ok().is_some_and(|vc| {
            vc.alive().is_ok()
                && vc
                    .keys()
                    .key_handle(key_fpr.clone())
                    .next()
                    .is_some_and(|ka| ka.alive().is_ok())
        });
        if !alive {
            return Some(SignatureResult::ExpiredKey { fingerprint });
        }
        None
    }

    fn record(
        &mut self,
        r: Result<openpgp::parse::stream::GoodChecksum<'_>, VerificationError<'_>>,
    ) {
        let check = match r {
            Ok(good) => {
                let cert = good.ka.cert().clone();
                let key_fpr = good.ka.key().fingerprint();
                let result = self.status_result(&cert, &key_fpr).unwrap_or_else(|| {
                    let signer_user_id = good
                        .ka
                        .valid_cert()
                        .primary_userid()
                        .ok()
                        .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned());
                    SignatureResult::Good {
                        fingerprint: cert.fingerprint().to_hex(),
                        signer_user_id,
                        created: good
                            .sig
                            .signature_creation_time()
                            .unwrap_or(std::time::UNIX_EPOCH),
                    }
                });
                RawCheck {
                    result,
                    cert: Some(cert),
                }
            }
            Err(VerificationError::MissingKey { sig }) => RawCheck {
                result: SignatureResult::UnknownKey {
                    issuer: sig.get_issuers().first().map(KeyHandle::to_hex),
                },
                cert: None,
            },
            Err(VerificationError::UnboundKey { cert, .. }) => {
                let c = cert.clone();
                let fingerprint = c.fingerprint().to_hex();
                let result = match crate::keys::cert_status(&c, self.now) {
                    crate::keys::CertStatus::Revoked => SignatureResult::RevokedKey { fingerprint },
                    crate::keys::CertStatus::Expired => SignatureResult::ExpiredKey { fingerprint },
                    _ => SignatureResult::Bad {
                        fingerprint: Some(fingerprint),
                    },
                };
                RawCheck {
                    result,
                    cert: Some(c),
                }
            }
            Err(VerificationError::BadKey { ka, .. }) => {
                let cert = ka.cert().clone();
                let key_fpr = ka.key().fingerprint();
                let result = self
                    .status_result(&cert, &key_fpr)
                    .unwrap_or(SignatureResult::Bad {
                        fingerprint: Some(cert.fingerprint().to_hex()),
                    });
                RawCheck {
                    result,
                    cert: Some(cert),
                }
            }
            Err(VerificationError::BadSignature { ka, sig, error }) => {
                let fingerprint = ka.cert().fingerprint().to_hex();
                let future = match error.downcast_ref::<openpgp::Error>() {
                    Some(openpgp::Error::NotYetLive(_)) => sig.signature_creation_time(),
                    _ => None,
                };
                let result = match future {
                    Some(created) if created > self.now => {
                        let within = created
                            .duration_since(self.now)
                            .is_ok_and(|ahead| ahead <= self.clock_skew);
                        if within {
                            self.retry_at = Some(self.retry_at.map_or(created, |t| t.max(created)));
                        }
                        SignatureResult::NotYetValid {
                            fingerprint,
                            created,
                        }
                    }
                    _ => SignatureResult::Bad {
                        fingerprint: Some(fingerprint),
                    },
                };
                RawCheck {
                    result,
                    cert: Some(ka.cert().clone()),
                }
            }
            Err(_) => RawCheck {
                result: SignatureResult::Bad { fingerprint: None },
                cert: None,
            },
        };
        self.checks.push(check);
    }
}

impl VerificationHelper for Helper<'_> {
    fn get_certs(&mut self, ids: &[KeyHandle]) -> openpgp::Result<Vec<Cert>> {
        Ok(self
            .certs
            .iter()
            .filter(|c| {
                c.keys()
                    .any(|k| ids.iter().any(|id| id.aliases(k.key().key_handle())))
            })
            .cloned()
            .collect())
    }

    fn check(&mut self, structure: MessageStructure<'_>) -> openpgp::Result<()> {
        for layer in structure {
            match layer {
                MessageLayer::Encryption { .. } => self.encrypted = true,
                MessageLayer::SignatureGroup { results } => {
                    for r in results {
                        self.record(r);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl DecryptionHelper for Helper<'_> {
    fn decrypt(
        &mut self,
        pkesks: &[PKESK],
        _skesks: &[SKESK],
        sym_algo: Option<SymmetricAlgorithm>,
        decrypt: &mut dyn FnMut(Option<SymmetricAlgorithm>, &SessionKey) -> bool,
    ) -> openpgp::Result<Option<Cert>> {
        // First the PKESKs addressed to one of our keys, then the anonymous
        // ones (hidden recipients) with every key.
        for anonymous in [false, true] {
            for key in self.keys {
                for mut pair in key.decryptors() {
                    let handle = pair.public().key_handle();
                    for pkesk in pkesks {
                        let addressed = match pkesk.recipient() {
                            Some(r) => !anonymous && r.aliases(&handle),
                            None => anonymous,
                        };
                        if !addressed {
                            continue;
                        }
                        if let Some((algo, sk)) = pkesk.decrypt(&mut pair, sym_algo)
                            && decrypt(algo, &sk)
                        {
                            return Ok(Some(key.cert().clone()));
                        }
                    }
                }
            }
        }
        // Opaque on purpose: nothing about which key or step failed.
        Err(openpgp::anyhow::anyhow!("no key to decrypt the message"))
    }
}
