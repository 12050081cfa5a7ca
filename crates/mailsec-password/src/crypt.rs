//! Encrypting a message under a password (and keys), and decrypting it.

use std::io::{Read, Write};
use std::time::SystemTime;

use openpgp::armor;
use openpgp::cert::Cert;
use openpgp::crypto::SessionKey;
use openpgp::packet::prelude::*;
use openpgp::packet::{PKESK, SKESK};
use openpgp::parse::Parse;
use openpgp::parse::stream::{
    DecryptionHelper, DecryptorBuilder, MessageLayer, MessageStructure, VerificationHelper,
};
use openpgp::policy::StandardPolicy;
use openpgp::serialize::Serialize;
use openpgp::serialize::stream::{Encryptor, LiteralWriter, Message};
use openpgp::types::{AEADAlgorithm, DataFormat, SymmetricAlgorithm};
use openpgp::{Fingerprint, KeyHandle};
use sequoia_openpgp as openpgp;

use crate::error::encrypt_err;
use crate::{KdfCost, Password, PasswordError, Profile};

/// The cipher for the payload and for wrapping the session key.
const CIPHER: SymmetricAlgorithm = SymmetricAlgorithm::AES256;
/// The AEAD mode of v6 output (RFC 9580's mandatory-to-implement mode).
const AEAD: AEADAlgorithm = AEADAlgorithm::OCB;

/// Most password packets (SKESKs) of one message tried when decrypting: each
/// costs a full key derivation, so a message listing thousands of them must
/// not cost thousands of derivations. Real messages carry one per password.
pub const MAX_SKESKS_TRIED: usize = 4;

/// Largest Argon2 memory accepted when decrypting, as `m` (2^m KiB): 2 GiB,
/// RFC 9580's first recommended option. More is refused without deriving.
pub const MAX_ARGON2_M_LOG2: u8 = 21;

/// Largest Argon2 work accepted when decrypting, as passes × memory in KiB:
/// 2^23 (e.g. 4 passes over 2 GiB, or 128 over 64 MiB).
pub const MAX_ARGON2_WORK_KIB: u64 = 1 << 23;

/// Whether deriving a key with this S2K stays within the decryption bounds.
/// Iterated-and-salted S2K is bounded by its encoding (at most 62 MiB hashed).
fn s2k_within_bounds(s2k: &openpgp::crypto::S2K) -> bool {
    match s2k {
        openpgp::crypto::S2K::Argon2 { t, m, .. } => {
            *m <= MAX_ARGON2_M_LOG2 && u64::from(*t) << u64::from(*m) <= MAX_ARGON2_WORK_KIB
        }
        _ => true,
    }
}

fn skesk_s2k(skesk: &SKESK) -> Option<&openpgp::crypto::S2K> {
    match skesk {
        SKESK::V4(s) => Some(s.s2k()),
        SKESK::V6(s) => Some(s.s2k()),
        _ => None,
    }
}

/// Encrypts whole messages under a password, optionally also to public keys.
///
/// The output is a standard OpenPGP message: one password-encrypted session
/// key packet (SKESK), one public-key packet (PKESK) per recipient key, then
/// the encrypted data, ASCII-armored unless told otherwise. Any OpenPGP tool
/// opens it with the password (`gpg --decrypt`, `sqop decrypt
/// --with-password`), and every listed key opens it too.
///
/// ```
/// use mailsec_password::{KdfCost, Password, PasswordEncryptor, decrypt};
/// # let cost = KdfCost::insecure_for_tests(); // fast doctest; use KdfCost::default()
/// let pw = Password::new("orbit-tangerine-harbor-71")?;
/// let sealed = PasswordEncryptor::new(pw.clone()).cost(cost).encrypt(b"Subject: hi\r\n\r\nsecret\r\n")?;
/// assert!(sealed.starts_with(b"-----BEGIN PGP MESSAGE-----"));
/// assert_eq!(decrypt(&sealed, &pw)?, b"Subject: hi\r\n\r\nsecret\r\n");
/// assert!(decrypt(&sealed, &Password::new("wrong")?).is_err());
/// # Ok::<(), mailsec_password::PasswordError>(())
/// ```
#[derive(Debug, Clone)]
pub struct PasswordEncryptor {
    password: Password,
    profile: Profile,
    cost: KdfCost,
    recipients: Vec<Cert>,
    armor: bool,
    at: Option<SystemTime>,
}

impl PasswordEncryptor {
    /// Encrypt under `password`, v4 profile, default (high) S2K cost, armored.
    pub fn new(password: Password) -> Self {
        PasswordEncryptor {
            password,
            profile: Profile::V4,
            cost: KdfCost::default(),
            recipients: Vec::new(),
            armor: true,
            at: None,
        }
    }

    /// Choose v4 (default) or v6 (RFC 9580, Argon2) output.
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }

    /// Set the key-derivation cost.
    pub fn cost(mut self, cost: KdfCost) -> Self {
        self.cost = cost;
        self
    }

    /// Also encrypt to this certificate's encryption-capable keys (e.g. the
    /// sender's own, to keep a readable copy).
    pub fn add_recipient(mut self, cert: Cert) -> Self {
        self.recipients.push(cert);
        self
    }

    /// ASCII armor (default) or binary output.
    pub fn armor(mut self, armor: bool) -> Self {
        self.armor = armor;
        self
    }

    /// Judge the validity of recipient keys at `at` (default: now).
    pub fn at(mut self, at: SystemTime) -> Self {
        self.at = Some(at);
        self
    }

    /// The strength of the password this encryptor uses (zxcvbn), with
    /// `user_inputs` counted against it.
    pub fn password_strength(&self, user_inputs: &[&str]) -> crate::Strength {
        self.password.strength(user_inputs)
    }

    /// The profile in use.
    pub fn profile_in_use(&self) -> Profile {
        self.profile
    }

    /// Encrypt `message` (any bytes; a whole MIME message with its
    /// attachments) as one binary literal.
    pub fn encrypt(&self, message: &[u8]) -> Result<Vec<u8>, PasswordError> {
        let policy = StandardPolicy::new();
        let sk = SessionKey::new(CIPHER.key_size().map_err(encrypt_err)?).map_err(encrypt_err)?;
        let mut binary = Vec::with_capacity(message.len() + 512);

        for cert in &self.recipients {
            let keys: Vec<_> = cert
                .keys()
                .with_policy(&policy, self.at)
                .supported()
                .alive()
                .revoked(false)
                .for_transport_encryption()
                .for_storage_encryption()
                .collect();
            if keys.is_empty() {
                return Err(PasswordError::UnusableCertificate {
                    fingerprint: cert.fingerprint().to_hex(),
                });
            }
            for ka in keys {
                let packet: Packet = match self.profile {
                    Profile::V4 => PKESK3::for_recipient(CIPHER, &sk, ka.key())
                        .map_err(encrypt_err)?
                        .into(),
                    Profile::V6 => PKESK6::for_recipient(&sk, ka.key())
                        .map_err(encrypt_err)?
                        .into(),
                };
                packet.serialize(&mut binary).map_err(encrypt_err)?;
            }
        }

        let s2k = self.cost.s2k(self.profile)?;
        let pw = self.password.to_openpgp();
        let skesk: Packet = match self.profile {
            Profile::V4 => SKESK4::with_password(CIPHER, CIPHER, s2k, &sk, &pw)
                .map_err(encrypt_err)?
                .into(),
            Profile::V6 => SKESK6::with_password(CIPHER, CIPHER, AEAD, s2k, &sk, &pw)
                .map_err(encrypt_err)?
                .into(),
        };
        skesk.serialize(&mut binary).map_err(encrypt_err)?;

        {
            let sink = Message::new(&mut binary);
            let mut encryptor =
                Encryptor::with_session_key(sink, CIPHER, sk).map_err(encrypt_err)?;
            if self.profile == Profile::V6 {
                encryptor = encryptor.aead_algo(AEAD);
            }
            let encrypted = encryptor.build().map_err(encrypt_err)?;
            let mut literal = LiteralWriter::new(encrypted)
                .format(DataFormat::Binary)
                .build()
                .map_err(encrypt_err)?;
            literal.write_all(message)?;
            literal.finalize().map_err(encrypt_err)?;
        }

        if !self.armor {
            return Ok(binary);
        }
        let mut out = Vec::with_capacity(binary.len() * 4 / 3 + 128);
        let mut w = armor::Writer::new(&mut out, armor::Kind::Message)?;
        if self.profile == Profile::V6 {
            w.set_profile(openpgp::Profile::RFC9580)?;
        }
        w.write_all(&binary)?;
        w.finalize()?;
        Ok(out)
    }
}

/// Decrypt a password-protected OpenPGP message (armored or binary) and
/// return the plaintext.
///
/// Every failure is the one opaque [`PasswordError::Decrypt`], and no
/// plaintext is returned unless the whole message decrypted and its
/// integrity check (MDC or AEAD tags) passed. A message that is not
/// encrypted at all is refused the same way.
pub fn decrypt(message: &[u8], password: &Password) -> Result<Vec<u8>, PasswordError> {
    run_decryptor(message, Secret::Password(password.to_openpgp()))
}

/// Decrypt with secret keys instead of the password (the sender's readable
/// copy of a mixed message). Keys must have unencrypted secret material.
pub fn decrypt_with_keys(message: &[u8], keys: &[Cert]) -> Result<Vec<u8>, PasswordError> {
    run_decryptor(message, Secret::Keys(keys))
}

enum Secret<'a> {
    Password(openpgp::crypto::Password),
    Keys(&'a [Cert]),
}

struct Helper<'a> {
    secret: Secret<'a>,
    policy: &'a StandardPolicy<'a>,
    decrypted: bool,
}

impl VerificationHelper for Helper<'_> {
    fn get_certs(&mut self, _ids: &[KeyHandle]) -> openpgp::Result<Vec<Cert>> {
        Ok(Vec::new())
    }

    fn check(&mut self, structure: MessageStructure<'_>) -> openpgp::Result<()> {
        if structure
            .iter()
            .any(|layer| matches!(layer, MessageLayer::Encryption { .. }))
            && self.decrypted
        {
            Ok(())
        } else {
            Err(openpgp::Error::InvalidOperation("not an encrypted message".into()).into())
        }
    }
}

impl DecryptionHelper for Helper<'_> {
    fn decrypt(
        &mut self,
        pkesks: &[PKESK],
        skesks: &[SKESK],
        sym_algo: Option<SymmetricAlgorithm>,
        decrypt: &mut dyn FnMut(Option<SymmetricAlgorithm>, &SessionKey) -> bool,
    ) -> openpgp::Result<Option<Cert>> {
        match &self.secret {
            Secret::Password(pw) => {
                // Try every SKESK (up to MAX_SKESKS_TRIED): a wrong password costs the
                // same whichever packet is last. Derivations beyond the bounds are skipped.
                for skesk in skesks.iter().take(MAX_SKESKS_TRIED) {
                    if !skesk_s2k(skesk).is_some_and(s2k_within_bounds) {
                        continue;
                    }
                    if let Ok((algo, sk)) = skesk.decrypt(pw)
                        && !self.decrypted
                        && decrypt(algo, &sk)
                    {
                        self.decrypted = true;
                    }
                }
            }
            Secret::Keys(certs) => {
                for cert in certs.iter() {
                    let keys = cert
                        .keys()
                        .with_policy(self.policy, None)
                        .supported()
                        .secret()
                        .for_transport_encryption()
                        .for_storage_encryption();
                    for ka in keys {
                        let Ok(mut pair) = ka.key().clone().into_keypair() else {
                            continue;
                        };
                        let fp: Fingerprint = ka.key().fingerprint();
                        for pkesk in pkesks {
                            let for_us = pkesk
                                .recipient()
                                .is_none_or(|r| r.aliases(KeyHandle::from(&fp)));
                            if !for_us || self.decrypted {
                                continue;
                            }
                            if let Some((algo, sk)) = pkesk.decrypt(&mut pair, sym_algo)
                                && decrypt(algo, &sk)
                            {
                                self.decrypted = true;
                            }
                        }
                    }
                }
            }
        }
        if self.decrypted {
            Ok(None)
        } else {
            Err(openpgp::Error::MissingSessionKey("no session key".into()).into())
        }
    }
}

/// Runs sequoia's decryptor, turning a panic inside it into the opaque error.
///
/// Hostile input reaches an `unwrap` in sequoia-openpgp 2.4.2's SEIPD v1 parser
/// (`parse.rs`, "Consume the header. This shouldn't fail"): fuzzing found a 206-byte
/// message that panics there. A panic must not cross our API, so it is caught here.
fn run_decryptor(message: &[u8], secret: Secret<'_>) -> Result<Vec<u8>, PasswordError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_decryptor_inner(message, secret)
    }))
    .unwrap_or(Err(PasswordError::Decrypt))
}

fn run_decryptor_inner(message: &[u8], secret: Secret<'_>) -> Result<Vec<u8>, PasswordError> {
    let policy = StandardPolicy::new();
    let helper = Helper {
        secret,
        policy: &policy,
        decrypted: false,
    };
    let mut decryptor = DecryptorBuilder::from_bytes(message)
        .map_err(|_| PasswordError::Decrypt)?
        .with_policy(&policy, None, helper)
        .map_err(|_| PasswordError::Decrypt)?;
    let mut plaintext = zeroize::Zeroizing::new(Vec::with_capacity(message.len()));
    decryptor
        .read_to_end(&mut plaintext)
        .map_err(|_| PasswordError::Decrypt)?;
    if !decryptor.message_processed() || !decryptor.helper_ref().decrypted {
        return Err(PasswordError::Decrypt);
    }
    Ok(std::mem::take(&mut *plaintext))
}

/// Decrypt a password-protected message however it arrived: a bare OpenPGP
/// message (armored or binary), the PGP/MIME envelope
/// ([`crate::Sealed::envelope`]), or a notification carrying it as an
/// attachment. Each candidate part is tried; failures stay one opaque
/// [`PasswordError::Decrypt`].
pub fn decrypt_mail(raw: &[u8], password: &Password) -> Result<Vec<u8>, PasswordError> {
    if let Ok(plain) = decrypt(raw, password) {
        return Ok(plain);
    }
    let Some(message) = mail_parser::MessageParser::default().parse(raw) else {
        return Err(PasswordError::Decrypt);
    };
    for part in &message.parts {
        let contents = part.contents();
        let armored = contents
            .windows(27)
            .any(|w| w == b"-----BEGIN PGP MESSAGE-----");
        if !armored || matches!(part.body, mail_parser::PartType::Multipart(_)) {
            continue;
        }
        if let Ok(plain) = decrypt(contents, password) {
            return Ok(plain);
        }
    }
    Err(PasswordError::Decrypt)
}
