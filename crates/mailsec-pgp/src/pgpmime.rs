//! PGP/MIME (RFC 3156): encrypt, sign, encrypt+sign, decrypt and verify.

use std::io::{Read, Write};
use std::time::{Duration, SystemTime};

use openpgp::Cert;
use openpgp::cert::Preferences as _;
use openpgp::cert::amalgamation::ValidAmalgamation as _;
use openpgp::parse::Parse;
use openpgp::parse::stream::{DecryptorBuilder, DetachedVerifierBuilder};
use openpgp::serialize::stream::{Encryptor, LiteralWriter, Message, Recipient, Signer};
use openpgp::types::HashAlgorithm;
use sequoia_openpgp as openpgp;

use crate::armor;
use crate::autocrypt::AutocryptHeader;
use crate::error::{Error, Result};
use crate::keys::{SecretKey, encryption_keys, policy};
use crate::mime::{self, Entity, to_crlf};
use crate::protect::{self, HeaderProtection, Mode, ProtectedHeaders};
use crate::verify::{
    DEFAULT_CLOCK_SKEW, Helper, RawCheck, SignatureCheck, SignatureResult, finish,
};

/// Bounds on what decryption and parsing may consume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest decrypted (decompressed) payload accepted, in bytes.
    /// Default 64 MiB. Decompression bombs stop here with
    /// [`Error::TooLarge`] without exhausting memory.
    pub max_decompressed_size: usize,
    /// The deepest MIME nesting accepted in a decrypted payload. Default 32.
    pub max_mime_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_decompressed_size: 64 << 20,
            max_mime_depth: 32,
        }
    }
}

const ENCRYPTED_PREAMBLE: &[u8] =
    b"This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n";
const SIGNED_PREAMBLE: &[u8] = b"This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n";

/// Builds a PGP/MIME `multipart/encrypted` message, optionally signed.
///
/// The message is read with CRLF or LF line ends and written in CRLF form.
#[derive(Debug, Clone)]
pub struct Encrypt<'a> {
    recipients: Vec<&'a Cert>,
    signer: Option<&'a SecretKey>,
    encrypt_to_self: bool,
    hidden: bool,
    protection: Option<HeaderProtection>,
    now: SystemTime,
}

impl<'a> Encrypt<'a> {
    /// A new encryption judged at `now` (key validity, signature time).
    pub fn new(now: SystemTime) -> Self {
        Encrypt {
            recipients: Vec::new(),
            signer: None,
            encrypt_to_self: false,
            hidden: false,
            protection: None,
            now,
        }
    }
    /// Adds a recipient certificate.
    pub fn recipient(mut self, cert: &'a Cert) -> Self {
        self.recipients.push(cert);
        self
    }
    /// Adds several recipients.
    pub fn recipients(mut self, certs: impl IntoIterator<Item = &'a Cert>) -> Self {
        self.recipients.extend(certs);
        self
    }
    /// Signs with this key (one OpenPGP message, RFC 3156 §6.2).
    pub fn sign_with(mut self, key: &'a SecretKey) -> Self {
        self.signer = Some(key);
        self
    }
    /// Also encrypts to the signer's own certificate.
    pub fn encrypt_to_self(mut self, yes: bool) -> Self {
        self.encrypt_to_self = yes;
        self
    }
    /// Hides the recipients' key ids (anonymous PKESKs).
    pub fn hidden_recipients(mut self, yes: bool) -> Self {
        self.hidden = yes;
        self
    }
    /// Moves the headers inside the encrypted part (header protection).
    pub fn protect_headers(mut self, form: HeaderProtection) -> Self {
        self.protection = Some(form);
        self
    }

    /// Encrypts `message` (a full RFC 5322 message) into a PGP/MIME message.
    pub fn encrypt(&self, message: &[u8]) -> Result<Vec<u8>> {
        let mode = self.protection.map_or(Mode::None, Mode::Cipher);
        self.seal(protect::split(&to_crlf(message), mode, &[]))
    }

    pub(crate) fn seal(&self, split: protect::Split) -> Result<Vec<u8>> {
        let armored = self.encrypt_payload(&split.payload)?;
        wrap_encrypted(&split.outer, split.has_mime_version, &armored)
    }

    /// Encrypts (and signs) raw bytes into an armored OpenPGP message.
    pub fn encrypt_payload(&self, payload: &[u8]) -> Result<Vec<u8>> {
        let mut certs: Vec<&Cert> = self.recipients.clone();
        let self_cert;
        if self.encrypt_to_self
            && let Some(k) = self.signer
        {
            self_cert = k.public_cert();
            certs.push(&self_cert);
        }
        if certs.is_empty() {
            return Err(Error::NoRecipient);
        }
        let mut recipients: Vec<Recipient<'_>> = Vec::new();
        for cert in &certs {
            for ka in encryption_keys(cert, self.now)? {
                let r: Recipient<'_> = if self.hidden {
                    let features = ka.valid_cert().features();
                    Recipient::new(features, None, ka.key())
                } else {
                    ka.into()
                };
                recipients.push(r);
            }
        }
        let mut out = Vec::with_capacity(payload.len() + 1024);
        {
            let m = Message::new(&mut out);
            let m = Encryptor::for_recipients(m, recipients).build()?;
            let m = match self.signer {
                Some(k) => {
                    let mut s = Signer::new(m, k.signer(self.now)?)?
                        .hash_algo(HashAlgorithm::SHA512)?
                        .creation_time(self.now);
                    for c in &certs {
                        s = s.add_intended_recipient(c);
                    }
                    s.build()?
                }
                None => m,
            };
            let mut w = LiteralWriter::new(m).build()?;
            w.write_all(payload)?;
            w.finalize()?;
        }
        Ok(armor::encode("MESSAGE", &out))
    }
}

fn wrap_encrypted(outer: &[u8], has_mime_version: bool, armored: &[u8]) -> Result<Vec<u8>> {
    let b = mime::boundary(b"")?;
    let mut out = Vec::with_capacity(outer.len() + armored.len() + armored.len() / 32 + 600);
    out.extend_from_slice(outer);
    if !has_mime_version {
        out.extend_from_slice(b"MIME-Version: 1.0\r\n");
    }
    out.extend_from_slice(
        format!(
            "Content-Type: multipart/encrypted;\r\n protocol=\"application/pgp-encrypted\";\r\n boundary=\"{b}\"\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(ENCRYPTED_PREAMBLE);
    out.extend_from_slice(
        format!(
            "--{b}\r\nContent-Type: application/pgp-encrypted\r\nContent-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n\r\n\
             --{b}\r\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\r\n\
             Content-Description: OpenPGP encrypted message\r\n\
             Content-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(armored);
    out.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    Ok(out)
}

/// Builds a PGP/MIME `multipart/signed` message.
#[derive(Debug, Clone)]
pub struct Sign<'a> {
    key: &'a SecretKey,
    protection: Option<HeaderProtection>,
    now: SystemTime,
}

impl<'a> Sign<'a> {
    /// Signs with `key` at `now`.
    pub fn new(key: &'a SecretKey, now: SystemTime) -> Self {
        Sign {
            key,
            protection: None,
            now,
        }
    }
    /// Copies the headers into the signed part (`hp="clear"`).
    pub fn protect_headers(mut self, form: HeaderProtection) -> Self {
        self.protection = Some(form);
        self
    }

    /// Signs `message` (a full RFC 5322 message). The signature covers the
    /// signed part's bytes exactly as written (CRLF canonical form).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let mode = self.protection.map_or(Mode::None, Mode::Clear);
        let split = protect::split(&to_crlf(message), mode, &[]);
        let sig = detached_signature(self.key, self.now, &split.payload)?;
        let b = mime::boundary(&split.payload)?;
        let mut out = Vec::with_capacity(split.payload.len() + sig.len() + 1024);
        out.extend_from_slice(&split.outer);
        if !split.has_mime_version {
            out.extend_from_slice(b"MIME-Version: 1.0\r\n");
        }
        out.extend_from_slice(
            format!(
                "Content-Type: multipart/signed; micalg=pgp-sha512;\r\n protocol=\"application/pgp-signature\";\r\n boundary=\"{b}\"\r\n\r\n"
            )
            .as_bytes(),
        );
        out.extend_from_slice(SIGNED_PREAMBLE);
        out.extend_from_slice(format!("--{b}\r\n").as_bytes());
        out.extend_from_slice(&split.payload);
        out.extend_from_slice(
            format!(
                "\r\n--{b}\r\nContent-Type: application/pgp-signature; name=\"signature.asc\"\r\n\
                 Content-Description: OpenPGP digital signature\r\n\
                 Content-Disposition: attachment; filename=\"signature.asc\"\r\n\r\n"
            )
            .as_bytes(),
        );
        out.extend_from_slice(&sig);
        out.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
        Ok(out)
    }
}

/// An armored detached signature over `data`.
pub(crate) fn detached_signature(key: &SecretKey, now: SystemTime, data: &[u8]) -> Result<Vec<u8>> {
    let mut sig = Vec::new();
    {
        let m = Message::new(&mut sig);
        let mut s = Signer::new(m, key.signer(now)?)?
            .hash_algo(HashAlgorithm::SHA512)?
            .creation_time(now)
            .detached()
            .build()?;
        s.write_all(data)?;
        s.finalize()?;
    }
    Ok(armor::encode("SIGNATURE", &sig))
}

/// The result of decrypting a PGP/MIME message.
#[derive(Debug, Clone)]
pub struct Decrypted {
    message: Vec<u8>,
    payload: Vec<u8>,
    signatures: Vec<SignatureCheck>,
    protected: Option<ProtectedHeaders>,
    gossip: Vec<AutocryptHeader>,
}

impl Decrypted {
    /// The decrypted message: the outer headers (protected values restored
    /// when the payload carried header protection) and the payload.
    pub fn message(&self) -> &[u8] {
        &self.message
    }
    /// Takes the decrypted message.
    pub fn into_message(self) -> Vec<u8> {
        self.message
    }
    /// The cryptographic payload, byte for byte as the sender wrote it
    /// (for signed-then-encrypted nesting, the signed part).
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }
    /// One entry per signature ([`SignatureResult::NotSigned`] when none).
    pub fn signatures(&self) -> &[SignatureCheck] {
        &self.signatures
    }
    /// Protected headers, when the payload carried them.
    pub fn protected_headers(&self) -> Option<&ProtectedHeaders> {
        self.protected.as_ref()
    }
    /// Autocrypt-Gossip headers found inside the encrypted part.
    pub fn gossip(&self) -> &[AutocryptHeader] {
        &self.gossip
    }
}

/// The result of verifying a `multipart/signed` message.
#[derive(Debug, Clone)]
pub struct Verified {
    payload: Vec<u8>,
    signatures: Vec<SignatureCheck>,
    protected: Option<ProtectedHeaders>,
}

impl Verified {
    /// The signed part, byte for byte.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }
    /// One entry per signature ([`SignatureResult::NotSigned`] when none).
    pub fn signatures(&self) -> &[SignatureCheck] {
        &self.signatures
    }
    /// Protected headers (`hp="clear"` or draft v1), when present.
    pub fn protected_headers(&self) -> Option<&ProtectedHeaders> {
        self.protected.as_ref()
    }
}

/// Decrypts and verifies PGP/MIME messages.
#[derive(Debug, Clone)]
pub struct Open<'a> {
    pub(crate) keys: Vec<&'a SecretKey>,
    pub(crate) certs: Vec<Cert>,
    pub(crate) now: SystemTime,
    pub(crate) limits: Limits,
    pub(crate) clock_skew: Duration,
}

impl<'a> Open<'a> {
    /// A reader judging key validity at `now`.
    ///
    /// A signature made up to [`DEFAULT_CLOCK_SKEW`] after `now` (the
    /// signer's clock runs ahead) still counts as made at `now`; see
    /// [`Open::clock_skew`].
    pub fn new(now: SystemTime) -> Self {
        Open {
            keys: Vec::new(),
            certs: Vec::new(),
            now,
            limits: Limits::default(),
            clock_skew: DEFAULT_CLOCK_SKEW,
        }
    }
    /// How far a signature's creation time may lie after `now` and still be
    /// checked: the sender's clock may run ahead of ours. A signature made
    /// later than that is [`SignatureResult::NotYetValid`]. Zero makes the
    /// check exact. Revocation and expiry of the signer's key are judged at
    /// `now` whatever this is.
    ///
    /// [`SignatureResult::NotYetValid`]: crate::SignatureResult::NotYetValid
    pub fn clock_skew(mut self, tolerance: Duration) -> Self {
        self.clock_skew = tolerance;
        self
    }
    /// A secret key to decrypt with.
    pub fn key(mut self, key: &'a SecretKey) -> Self {
        self.keys.push(key);
        self
    }
    /// A certificate to verify signatures with.
    pub fn cert(mut self, cert: &Cert) -> Self {
        self.certs.push(cert.clone());
        self
    }
    /// Several certificates to verify signatures with.
    pub fn certs<'c>(mut self, certs: impl IntoIterator<Item = &'c Cert>) -> Self {
        self.certs.extend(certs.into_iter().cloned());
        self
    }
    /// Sets the limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    fn owned_keys(&self) -> Vec<SecretKey> {
        self.keys.iter().map(|k| (*k).clone()).collect()
    }

    /// Decrypts an armored or binary OpenPGP message, returning the
    /// plaintext and the raw signature checks.
    pub(crate) fn decrypt_openpgp(&self, data: &[u8]) -> Result<(Vec<u8>, Vec<RawCheck>)> {
        let keys = self.owned_keys();
        let binary = armor::decode(data);
        let data = binary.as_deref().unwrap_or(data);
        let first = self.decrypt_at(&keys, data, self.now)?;
        match first.2 {
            Some(at) => {
                let (plain, checks, _) = self.decrypt_at(&keys, data, at)?;
                Ok((plain, checks))
            }
            None => Ok((first.0, first.1)),
        }
    }

    /// One decryption pass with sequoia judging signatures at `at`; returns
    /// the plaintext, the checks and the time to retry at when a signature
    /// was made within the clock-skew tolerance after `at`.
    fn decrypt_at(
        &self,
        keys: &[SecretKey],
        data: &[u8],
        at: SystemTime,
    ) -> Result<(Vec<u8>, Vec<RawCheck>, Option<SystemTime>)> {
        let helper = Helper::new(keys, &self.certs, self.now, self.clock_skew);
        let limit = self.limits.max_decompressed_size;
        let buffer = limit
            .saturating_add(1)
            .min(openpgp::parse::stream::DEFAULT_BUFFER_SIZE);
        let mut d = DecryptorBuilder::from_bytes(data)
            .map_err(|_| Error::DecryptionFailed)?
            .buffer_size(buffer)
            .with_policy(policy(), at, helper)
            .map_err(|_| Error::DecryptionFailed)?;
        let mut plain = Vec::new();
        (&mut d)
            .take(limit as u64 + 1)
            .read_to_end(&mut plain)
            .map_err(|_| Error::DecryptionFailed)?;
        if plain.len() > limit {
            return Err(Error::TooLarge { limit });
        }
        let helper = d.into_helper();
        if !helper.encrypted {
            return Err(Error::DecryptionFailed);
        }
        Ok((plain, helper.checks, helper.retry_at))
    }

    /// Decrypts a bare OpenPGP message (armored or binary, no MIME around
    /// it) and verifies the signatures inside. No From address is known, so
    /// no signature is reported as matching it.
    pub fn decrypt_openpgp_message(&self, data: &[u8]) -> Result<(Vec<u8>, Vec<SignatureCheck>)> {
        let (plain, checks) = self.decrypt_openpgp(data)?;
        Ok((plain, finish(checks, None)))
    }

    /// Checks a detached signature over `data`.
    pub(crate) fn verify_detached(&self, data: &[u8], sig: &[u8]) -> Vec<RawCheck> {
        let binary = armor::decode(sig);
        let sig = binary.as_deref().unwrap_or(sig);
        let run = |at: SystemTime| -> openpgp::Result<(Vec<RawCheck>, Option<SystemTime>)> {
            let helper = Helper::new(&[], &self.certs, self.now, self.clock_skew);
            let mut v =
                DetachedVerifierBuilder::from_bytes(sig)?.with_policy(policy(), at, helper)?;
            v.verify_bytes(data)?;
            let helper = v.into_helper();
            Ok((helper.checks, helper.retry_at))
        };
        let result = match run(self.now) {
            Ok((_, Some(at))) => run(at),
            other => other,
        };
        match result {
            Ok((c, _)) => c,
            Err(_) => vec![RawCheck {
                result: SignatureResult::Bad { fingerprint: None },
                cert: None,
            }],
        }
    }

    /// Decrypts a PGP/MIME `multipart/encrypted` message (and verifies its
    /// signatures, whether inside the OpenPGP message or as a nested
    /// `multipart/signed` part).
    pub fn decrypt(&self, message: &[u8]) -> Result<Decrypted> {
        let message = to_crlf(message);
        let outer = Entity::parse(&message);
        let armored = encrypted_body(&outer)?;
        self.open_payload(&armored, &outer)
    }

    /// Decrypts a bare OpenPGP message whose plaintext is a MIME entity
    /// (what the second part of a `multipart/encrypted` carries), with the
    /// same processing as [`Open::decrypt`] but no outer headers.
    pub fn decrypt_mime_payload(&self, data: &[u8]) -> Result<Decrypted> {
        self.open_payload(
            data,
            &Entity {
                headers: Vec::new(),
                body: b"",
            },
        )
    }

    fn open_payload(&self, armored: &[u8], outer: &Entity<'_>) -> Result<Decrypted> {
        let (plain, mut checks) = self.decrypt_openpgp(armored)?;
        // RFC 3156 payloads are MIME entities: CRLF canonical form.
        let plain = to_crlf(&plain).into_owned();
        check_depth(&plain, self.limits.max_mime_depth)?;
        let mut payload_raw = plain;
        // RFC 3156 §6.1: signed, then encrypted.
        {
            let inner = Entity::parse(&payload_raw);
            if inner.content_type().is("multipart/signed")
                && let Ok((data, sig)) = signed_parts(&inner)
            {
                let data = data.to_vec();
                checks.extend(self.verify_detached(&data, &sig));
                // Header protection lives in the signed part.
                let signed = Entity::parse(&data);
                if signed.content_type().param("hp").is_some()
                    || signed.content_type().param("protected-headers").is_some()
                {
                    payload_raw = data;
                }
            }
        }
        let payload = Entity::parse(&payload_raw);
        let protected = protect::read(&payload, outer);
        let restored = protect::restore(outer, &payload_raw, protected.is_some());
        let from = from_address(&restored);
        let gossip = payload
            .headers
            .iter()
            .filter(|h| h.is("Autocrypt-Gossip"))
            .filter_map(|h| AutocryptHeader::parse_gossip(&h.value()).ok())
            .collect();
        Ok(Decrypted {
            message: restored,
            signatures: finish(checks, from.as_deref()),
            protected,
            gossip,
            payload: payload_raw,
        })
    }

    /// Verifies a PGP/MIME `multipart/signed` message.
    pub fn verify(&self, message: &[u8]) -> Result<Verified> {
        let message = to_crlf(message);
        let outer = Entity::parse(&message);
        if !outer.content_type().is("multipart/signed") {
            return Err(Error::NotPgpMime {
                expected: "multipart/signed",
            });
        }
        let (data, sig) = signed_parts(&outer)?;
        check_depth(data, self.limits.max_mime_depth)?;
        let checks = self.verify_detached(data, &sig);
        let payload = Entity::parse(data);
        let protected = protect::read(&payload, &outer);
        let from = protected
            .as_ref()
            .and_then(|p| p.get("From").map(str::to_owned))
            .or_else(|| outer.value("From"))
            .and_then(|v| parse_address(&v));
        Ok(Verified {
            payload: data.to_vec(),
            signatures: finish(checks, from.as_deref()),
            protected,
        })
    }
}

/// The armored OpenPGP message inside a `multipart/encrypted` entity.
fn encrypted_body(outer: &Entity<'_>) -> Result<Vec<u8>> {
    let ct = outer.content_type();
    if !ct.is("multipart/encrypted") {
        return Err(Error::NotPgpMime {
            expected: "multipart/encrypted",
        });
    }
    let boundary = ct
        .param("boundary")
        .ok_or(Error::Malformed("no boundary"))?;
    let parts = mime::split_multipart(outer.body, boundary)?;
    let part = parts
        .iter()
        .map(|p| Entity::parse(p))
        .find(|e| e.content_type().is("application/octet-stream"))
        .or_else(|| parts.get(1).map(|p| Entity::parse(p)))
        .ok_or(Error::Malformed("no encrypted part"))?;
    Ok(decode_transfer(&part))
}

/// The signed bytes and the signature of a `multipart/signed` entity.
fn signed_parts<'a>(outer: &Entity<'a>) -> Result<(&'a [u8], Vec<u8>)> {
    let ct = outer.content_type();
    let boundary = ct
        .param("boundary")
        .ok_or(Error::Malformed("no boundary"))?;
    let parts = mime::split_multipart(outer.body, boundary)?;
    let (Some(data), Some(sig)) = (parts.first(), parts.get(1)) else {
        return Err(Error::Malformed("multipart/signed needs two parts"));
    };
    Ok((data, decode_transfer(&Entity::parse(sig))))
}

/// The body of an entity with base64 transfer encoding undone (armored
/// parts are 7bit in practice; base64 is the other form seen in the wild).
fn decode_transfer(e: &Entity<'_>) -> Vec<u8> {
    let cte = e.value("Content-Transfer-Encoding").unwrap_or_default();
    if cte.eq_ignore_ascii_case("base64") {
        use base64::Engine as _;
        let clean: Vec<u8> = e
            .body
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        if let Ok(d) = base64::engine::general_purpose::STANDARD.decode(&clean) {
            return d;
        }
    }
    e.body.to_vec()
}

/// Fails when MIME nesting in `raw` exceeds `max`.
pub(crate) fn check_depth(raw: &[u8], max: usize) -> Result<()> {
    fn walk(raw: &[u8], depth: usize, max: usize) -> Result<()> {
        if depth > max {
            return Err(Error::TooDeep { limit: max });
        }
        let e = Entity::parse(raw);
        let ct = e.content_type();
        if ct.mime.starts_with("multipart/") {
            if let Some(b) = ct.param("boundary")
                && let Ok(parts) = mime::split_multipart(e.body, b)
            {
                for p in parts {
                    walk(p, depth + 1, max)?;
                }
            }
        } else if ct.is("message/rfc822") || ct.is("message/global") {
            walk(e.body, depth + 1, max)?;
        }
        Ok(())
    }
    walk(raw, 0, max)
}

/// The From address of a message's header block, lower-cased.
pub(crate) fn from_address(message: &[u8]) -> Option<String> {
    Entity::parse(message)
        .value("From")
        .and_then(|v| parse_address(&v))
}

/// The first address in an address-list header value, lower-cased.
pub(crate) fn parse_address(value: &str) -> Option<String> {
    let line = format!("From: {value}\r\n\r\n");
    let parsed = mail_parser::MessageParser::default().parse_headers(line.as_bytes())?;
    let addr = parsed
        .from()?
        .first()?
        .address()?
        .trim()
        .to_ascii_lowercase();
    (!addr.is_empty()).then_some(addr)
}
