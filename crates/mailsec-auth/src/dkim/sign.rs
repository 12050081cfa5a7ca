//! Signing: keys, the typestate builder, and DKIM-Signature generation.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ring::rand::SecureRandom;
use ring::signature::{Ed25519KeyPair, KeyPair, RsaKeyPair};

use super::body::{BodyHash, BodyHasher};
use super::header::{self, Field};
use super::verify::signed_header_data;
use super::{Algorithm, Canonicalization, DkimError, HashAlgorithm, KeyType, base64, der};

enum Inner {
    /// RSA of 2048 bits or more: ring.
    Ring(RsaKeyPair),
    /// RSA of 1024 to 2047 bits: the `rsa` crate (ring refuses them).
    Small(Box<rsa::PrivateKey>),
    /// Ed25519: ring.
    Ed25519(Ed25519KeyPair),
}

/// A private key that signs DKIM signatures and ARC seals.
///
/// RSA keys of 2048 bits and more and Ed25519 keys sign through `ring`; RSA
/// keys of 1024 to 2047 bits (allowed by RFC 8301, refused by ring) sign
/// through the RustCrypto `rsa` crate, PKCS#1 v1.5 with blinding.
pub struct SigningKey {
    inner: Inner,
    /// The `p=` value: SubjectPublicKeyInfo for RSA, the raw key for Ed25519.
    public: Vec<u8>,
    /// PKCS#8 DER of the private key, wiped when the key is dropped.
    pkcs8: zeroize::Zeroizing<Vec<u8>>,
    bits: Option<usize>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("type", &self.key_type())
            .field("bits", &self.bits)
            .finish_non_exhaustive()
    }
}

/// ring's system random source, as the `rsa` crate wants it.
struct RingRng(ring::rand::SystemRandom);

#[derive(Debug)]
struct RngFailed;

impl std::fmt::Display for RngFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("system random source failed")
    }
}

impl std::error::Error for RngFailed {}

impl rsa::rand_core::TryRng for RingRng {
    type Error = RngFailed;
    fn try_next_u32(&mut self) -> Result<u32, RngFailed> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, RngFailed> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), RngFailed> {
        self.0.fill(dst).map_err(|_| RngFailed)
    }
}

impl rsa::rand_core::TryCryptoRng for RingRng {}

impl SigningKey {
    /// Reads a PEM private key as openssl writes it: `PRIVATE KEY` (PKCS#8,
    /// RSA or Ed25519, v1 or v2) or `RSA PRIVATE KEY` (PKCS#1).
    pub fn from_pem(pem: &str) -> Result<SigningKey, DkimError> {
        let mut label: Option<&str> = None;
        let mut body = String::new();
        for line in pem.lines() {
            let line = line.trim();
            if let Some(l) = line
                .strip_prefix("-----BEGIN ")
                .and_then(|l| l.strip_suffix("-----"))
            {
                label = Some(l);
                body.clear();
            } else if let Some(l) = line
                .strip_prefix("-----END ")
                .and_then(|l| l.strip_suffix("-----"))
            {
                match (label, l) {
                    (Some(a), b) if a == b => match a {
                        "PRIVATE KEY" => return Self::from_pkcs8_der(&decode_pem(&body)?),
                        "RSA PRIVATE KEY" => return Self::from_pkcs1_der(&decode_pem(&body)?),
                        "ENCRYPTED PRIVATE KEY" => return Err(DkimError::EncryptedKey),
                        _ => label = None,
                    },
                    _ => return Err(DkimError::Pem("mismatched BEGIN/END lines".into())),
                }
            } else if label.is_some() {
                if line.starts_with("Proc-Type:") && line.contains("ENCRYPTED") {
                    return Err(DkimError::EncryptedKey);
                }
                if !line.contains(':') {
                    body.push_str(line);
                }
            }
        }
        Err(DkimError::Pem(
            "no PRIVATE KEY or RSA PRIVATE KEY block".into(),
        ))
    }

    /// Reads a PKCS#8 PrivateKeyInfo (DER), RSA or Ed25519.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<SigningKey, DkimError> {
        let (oid, key) = der::pkcs8(der).ok_or(DkimError::InvalidKey("not PKCS#8".into()))?;
        if oid == der::OID_RSA {
            Self::from_pkcs1_der(key)
        } else if oid == der::OID_ED25519 {
            let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                .map_err(|e| DkimError::InvalidKey(e.to_string()))?;
            Ok(SigningKey {
                public: pair.public_key().as_ref().to_vec(),
                inner: Inner::Ed25519(pair),
                pkcs8: zeroize::Zeroizing::new(der.to_vec()),
                bits: None,
            })
        } else {
            Err(DkimError::UnsupportedKey)
        }
    }

    /// Reads a PKCS#1 RSAPrivateKey (DER).
    pub fn from_pkcs1_der(pkcs1: &[u8]) -> Result<SigningKey, DkimError> {
        let bits = der::rsa_private_key_bits(pkcs1)
            .ok_or(DkimError::InvalidKey("not a PKCS#1 RSA private key".into()))?;
        if bits < 1024 {
            return Err(DkimError::KeyTooSmall { bits });
        }
        let public_pkcs1 = der::rsa_public_from_private(pkcs1)
            .ok_or(DkimError::InvalidKey("not a PKCS#1 RSA private key".into()))?;
        let inner = if bits >= 2048 {
            Inner::Ring(
                RsaKeyPair::from_der(pkcs1).map_err(|e| DkimError::InvalidKey(e.to_string()))?,
            )
        } else {
            use rsa::pkcs1::DecodeRsaPrivateKey;
            Inner::Small(Box::new(
                rsa::PrivateKey::from_pkcs1_der(pkcs1)
                    .map_err(|e| DkimError::InvalidKey(e.to_string()))?,
            ))
        };
        Ok(SigningKey {
            inner,
            public: der::rsa_spki(&public_pkcs1),
            pkcs8: zeroize::Zeroizing::new(der::rsa_pkcs8(pkcs1)),
            bits: Some(bits),
        })
    }

    /// An Ed25519 key from its 32-byte seed (the private key of RFC 8032, as
    /// dkimpy's `dknewkey` writes it in base64).
    pub fn from_ed25519_seed(seed: &[u8]) -> Result<SigningKey, DkimError> {
        // PKCS#8 v1: SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 },
        // OCTET STRING { OCTET STRING seed } }.
        if seed.len() != 32 {
            return Err(DkimError::InvalidKey("an Ed25519 seed is 32 bytes".into()));
        }
        let mut body = der::tlv(0x02, &[0]);
        body.extend_from_slice(&der::tlv(0x30, &der::tlv(0x06, der::OID_ED25519)));
        body.extend_from_slice(&der::tlv(0x04, &der::tlv(0x04, seed)));
        Self::from_pkcs8_der(&der::tlv(0x30, &body))
    }

    /// Makes a new Ed25519 key.
    pub fn generate_ed25519() -> Result<SigningKey, DkimError> {
        let rng = ring::rand::SystemRandom::new();
        let doc = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| DkimError::Crypto)?;
        Self::from_pkcs8_der(doc.as_ref())
    }

    /// Makes a new RSA key of `bits` bits (1024 to 4096; 2048 is usual).
    pub fn generate_rsa(bits: usize) -> Result<SigningKey, DkimError> {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        if bits < 1024 {
            return Err(DkimError::KeyTooSmall { bits });
        }
        if bits > 4096 {
            return Err(DkimError::InvalidKey(format!(
                "{bits} bits is more than 4096"
            )));
        }
        let mut rng = RingRng(ring::rand::SystemRandom::new());
        let key = rsa::PrivateKey::new(&mut rng, bits).map_err(DkimError::Rsa)?;
        let doc = key
            .to_pkcs1_der()
            .map_err(|e| DkimError::InvalidKey(e.to_string()))?;
        Self::from_pkcs1_der(doc.as_bytes())
    }

    /// The key type.
    pub fn key_type(&self) -> KeyType {
        match self.inner {
            Inner::Ring(_) | Inner::Small(_) => KeyType::Rsa,
            Inner::Ed25519(_) => KeyType::Ed25519,
        }
    }

    /// The RSA modulus size; `None` for Ed25519.
    pub fn bits(&self) -> Option<usize> {
        self.bits
    }

    /// Which implementation signs with this key: `"ring"` or `"rsa"` (the
    /// RustCrypto crate, for RSA keys under 2048 bits).
    pub fn backend(&self) -> &'static str {
        match self.inner {
            Inner::Small(_) => "rsa",
            Inner::Ring(_) | Inner::Ed25519(_) => "ring",
        }
    }

    /// The algorithm this key signs with: `rsa-sha256` or `ed25519-sha256`.
    pub fn algorithm(&self) -> Algorithm {
        match self.key_type() {
            KeyType::Rsa => Algorithm::RsaSha256,
            KeyType::Ed25519 => Algorithm::Ed25519Sha256,
        }
    }

    /// The public key as it goes in `p=` (base64).
    pub fn public_key_base64(&self) -> String {
        base64::encode(&self.public)
    }

    /// The DNS TXT record to publish at `selector._domainkey.domain`.
    pub fn dns_record(&self) -> String {
        let k = match self.key_type() {
            KeyType::Rsa => "rsa",
            KeyType::Ed25519 => "ed25519",
        };
        format!("v=DKIM1; k={k}; p={}", self.public_key_base64())
    }

    /// The private key as PKCS#8 DER.
    pub fn to_pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn to_pkcs8_pem(&self) -> String {
        let b64 = base64::encode(&self.pkcs8);
        let mut out = String::from("-----BEGIN PRIVATE KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(line));
            out.push('\n');
        }
        out.push_str("-----END PRIVATE KEY-----\n");
        out
    }

    /// Signs header data: RSA signs it with SHA-256 (PKCS#1 v1.5), Ed25519
    /// signs its SHA-256 hash (RFC 8463).
    pub(crate) fn sign(&self, data: &[u8]) -> Result<Vec<u8>, DkimError> {
        match &self.inner {
            Inner::Ring(pair) => {
                let rng = ring::rand::SystemRandom::new();
                let mut sig = vec![0u8; pair.public().modulus_len()];
                pair.sign(&ring::signature::RSA_PKCS1_SHA256, &rng, data, &mut sig)
                    .map_err(|_| DkimError::Crypto)?;
                Ok(sig)
            }
            Inner::Small(key) => {
                let digest = ring::digest::digest(&ring::digest::SHA256, data);
                let mut rng = RingRng(ring::rand::SystemRandom::new());
                key.sign_with_rng(
                    &mut rng,
                    rsa::Pkcs1v15Sign::new::<rsa::sha2::Sha256>(),
                    digest.as_ref(),
                )
                .map_err(DkimError::Rsa)
            }
            Inner::Ed25519(pair) => {
                let digest = ring::digest::digest(&ring::digest::SHA256, data);
                Ok(pair.sign(digest.as_ref()).as_ref().to_vec())
            }
        }
    }
}

fn decode_pem(body: &str) -> Result<Vec<u8>, DkimError> {
    base64::decode(body.as_bytes()).ok_or(DkimError::Pem("bad base64".into()))
}

/// The builder's mark for "no domain given yet".
#[derive(Debug, Clone, Copy)]
pub struct NoDomain;
/// The builder's mark for "no selector given yet".
#[derive(Debug, Clone, Copy)]
pub struct NoSelector;
/// The builder's mark for "no key given yet".
#[derive(Debug, Clone, Copy)]
pub struct NoKey;

/// The header fields signed by default, when present: RFC 6376 section
/// 5.4.1's list.
pub const DEFAULT_HEADERS: &[&str] = &[
    "From",
    "Reply-To",
    "Subject",
    "Date",
    "To",
    "Cc",
    "Resent-Date",
    "Resent-From",
    "Resent-To",
    "Resent-Cc",
    "In-Reply-To",
    "References",
    "List-Id",
    "List-Help",
    "List-Unsubscribe",
    "List-Subscribe",
    "List-Post",
    "List-Owner",
    "List-Archive",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Sender",
];

#[derive(Debug, Clone)]
struct Options {
    headers: Vec<String>,
    over_sign: bool,
    expiry: Option<Duration>,
    header_canon: Canonicalization,
    body_canon: Canonicalization,
    identity: Option<String>,
    body_length: bool,
    timestamp: bool,
}

/// Builds a [`Signer`]; [`SignerBuilder::build`] exists only once a domain,
/// a selector and a key are given.
///
/// ```compile_fail
/// use mailsec_auth::dkim::Signer;
/// let signer = Signer::builder().domain("example.org").selector("s").build(); // no key
/// ```
#[derive(Debug)]
pub struct SignerBuilder<D, S, K> {
    domain: D,
    selector: S,
    key: K,
    options: Options,
}

impl<D, S, K> SignerBuilder<D, S, K> {
    /// The signing domain (`d=`).
    pub fn domain(self, domain: impl Into<String>) -> SignerBuilder<String, S, K> {
        SignerBuilder {
            domain: domain.into(),
            selector: self.selector,
            key: self.key,
            options: self.options,
        }
    }

    /// The selector (`s=`).
    pub fn selector(self, selector: impl Into<String>) -> SignerBuilder<D, String, K> {
        SignerBuilder {
            domain: self.domain,
            selector: selector.into(),
            key: self.key,
            options: self.options,
        }
    }

    /// The private key.
    pub fn key(self, key: SigningKey) -> SignerBuilder<D, S, SigningKey> {
        SignerBuilder {
            domain: self.domain,
            selector: self.selector,
            key,
            options: self.options,
        }
    }

    /// The header fields to sign (default [`DEFAULT_HEADERS`]); From is
    /// always added. Each is signed as many times as it occurs.
    pub fn headers<I, T>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.options.headers = names.into_iter().map(Into::into).collect();
        self
    }

    /// Over-sign: name each header field once more than it occurs, so that
    /// adding one breaks the signature (default off).
    pub fn over_sign(mut self, over_sign: bool) -> Self {
        self.options.over_sign = over_sign;
        self
    }

    /// Set `x=` this long after the signing time.
    pub fn expiry(mut self, after: Duration) -> Self {
        self.options.expiry = Some(after);
        self
    }

    /// Header and body canonicalization (default relaxed/relaxed).
    pub fn canonicalization(mut self, header: Canonicalization, body: Canonicalization) -> Self {
        self.options.header_canon = header;
        self.options.body_canon = body;
        self
    }

    /// The `i=` identity (must be within the domain).
    pub fn identity(mut self, identity: impl Into<String>) -> Self {
        self.options.identity = Some(identity.into());
        self
    }

    /// Write `l=` with the body length (default off; RFC 6376 section 8.2
    /// explains the risk).
    pub fn body_length(mut self, write: bool) -> Self {
        self.options.body_length = write;
        self
    }

    /// Write `t=` (default on).
    pub fn timestamp(mut self, write: bool) -> Self {
        self.options.timestamp = write;
        self
    }
}

impl SignerBuilder<String, String, SigningKey> {
    /// The signer.
    pub fn build(self) -> Signer {
        Signer {
            domain: self.domain,
            selector: self.selector,
            key: self.key,
            options: self.options,
        }
    }
}

/// Signs messages with one key for one domain and selector.
#[derive(Debug)]
pub struct Signer {
    domain: String,
    selector: String,
    key: SigningKey,
    options: Options,
}

impl Signer {
    /// A builder with the defaults: relaxed/relaxed, the RFC 6376 header
    /// list, `t=` written, no `x=`, no `l=`, no over-signing.
    pub fn builder() -> SignerBuilder<NoDomain, NoSelector, NoKey> {
        SignerBuilder {
            domain: NoDomain,
            selector: NoSelector,
            key: NoKey,
            options: Options {
                headers: DEFAULT_HEADERS.iter().map(|s| (*s).to_owned()).collect(),
                over_sign: false,
                expiry: None,
                header_canon: Canonicalization::Relaxed,
                body_canon: Canonicalization::Relaxed,
                identity: None,
                body_length: false,
                timestamp: true,
            },
        }
    }

    /// The key.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// A body hasher for streaming signing: feed it the body, then call
    /// [`Signer::sign_with_body_hash`].
    pub fn body_hasher(&self) -> BodyHasher {
        BodyHasher::new(self.options.body_canon, HashAlgorithm::Sha256, None)
    }

    /// Signs a whole message at time `now`; returns the DKIM-Signature header
    /// field (name, value, folded, ending in CRLF) to prepend.
    pub fn sign(&self, message: &[u8], now: SystemTime) -> Result<String, DkimError> {
        let (headers, body) = header::split_message(message);
        let mut h = self.body_hasher();
        h.update(body);
        self.sign_with_body_hash(headers, &h.finish(), now)
    }

    /// Signs a message and returns it with the DKIM-Signature prepended.
    pub fn sign_message(&self, message: &[u8], now: SystemTime) -> Result<Vec<u8>, DkimError> {
        let header = self.sign(message, now)?;
        let mut out = Vec::with_capacity(header.len() + message.len());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(message);
        Ok(out)
    }

    /// Signs from the header block and the hash of the body.
    pub fn sign_with_body_hash(
        &self,
        headers: &[u8],
        body: &BodyHash,
        now: SystemTime,
    ) -> Result<String, DkimError> {
        if matches!(headers.first(), Some(b' ' | b'\t')) {
            return Err(DkimError::FoldedFirstLine);
        }
        let fields = header::fields(headers);
        if !fields.iter().any(|f| f.name.eq_ignore_ascii_case(b"From")) {
            return Err(DkimError::NoFrom);
        }
        let names = choose_headers(&fields, &self.options.headers, self.options.over_sign);
        let t = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut tags = vec![
            "v=1".to_owned(),
            format!("a={}", self.key.algorithm()),
            format!(
                "c={}/{}",
                self.options.header_canon.as_str(),
                self.options.body_canon.as_str()
            ),
            format!("d={}", self.domain),
            format!("s={}", self.selector),
        ];
        if let Some(i) = &self.options.identity {
            tags.push(format!("i={i}"));
        }
        if self.options.timestamp {
            tags.push(format!("t={t}"));
        }
        if let Some(x) = self.options.expiry {
            tags.push(format!("x={}", t.saturating_add(x.as_secs())));
        }
        if self.options.body_length {
            tags.push(format!("l={}", body.canonical_len()));
        }
        tags.push(format!("h={}", names.join(":")));
        tags.push(format!("bh={}", base64::encode(body.digest())));
        let unsigned = format!("DKIM-Signature: {}", fold_tags(&tags));
        let signature = sign_field(
            &self.key,
            &fields,
            &names,
            self.options.header_canon,
            &unsigned,
        )?;
        Ok(signature)
    }
}

/// Signs `unsigned` (a header field ending in `b=`, no CRLF) over the named
/// fields and returns it completed with the folded signature and CRLF.
pub(crate) fn sign_field(
    key: &SigningKey,
    fields: &[Field<'_>],
    names: &[String],
    canon: Canonicalization,
    unsigned: &str,
) -> Result<String, DkimError> {
    let last_line = unsigned.rsplit('\n').next().map_or(0, str::len);
    let first = 76usize.saturating_sub(last_line).max(8);
    sign_field_around(key, fields, names, canon, unsigned, "", (first, 72))
}

/// Like [`sign_field`], for a field whose `b=` is followed by more tags:
/// the unsigned field is `pre + post`, `pre` ending in `b=`.
pub(crate) fn sign_field_around(
    key: &SigningKey,
    fields: &[Field<'_>],
    names: &[String],
    canon: Canonicalization,
    pre: &str,
    post: &str,
    widths: (usize, usize),
) -> Result<String, DkimError> {
    let unsigned = format!("{pre}{post}");
    let own = header::fields(unsigned.as_bytes());
    let mut all: Vec<Field<'_>> = fields.to_vec();
    let own_index = all.len();
    all.extend(own.first().copied());
    let data = signed_header_data(&all, own_index, names, canon);
    let sig = base64::encode(&key.sign(&data)?);
    Ok(format!(
        "{pre}{}{post}\r\n",
        fold_widths(&sig, widths.0, widths.1)
    ))
}

/// `h=` names for the fields present (and, over-signing, one more each).
pub(crate) fn choose_headers(
    fields: &[Field<'_>],
    wanted: &[String],
    over_sign: bool,
) -> Vec<String> {
    let mut names = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let from = "from".to_owned();
    for name in std::iter::once(&from).chain(wanted.iter()) {
        let lower = name.to_ascii_lowercase();
        if seen.contains(&lower) {
            continue;
        }
        let count = fields
            .iter()
            .filter(|f| f.name.eq_ignore_ascii_case(lower.as_bytes()))
            .count();
        let n = count + usize::from(over_sign);
        names.extend(std::iter::repeat_n(lower.clone(), n));
        seen.push(lower);
    }
    names
}

/// Joins tags with "; ", folding lines before 78 characters; ends with
/// "; b=" (the signature follows).
pub(crate) fn fold_tags(tags: &[String]) -> String {
    let mut out = String::new();
    let mut line_len = "DKIM-Signature: ".len();
    for tag in tags.iter().map(String::as_str).chain(std::iter::once("b=")) {
        let piece = if out.is_empty() {
            tag.to_owned()
        } else {
            format!(" {tag}")
        };
        if !out.is_empty() && line_len + piece.len() + 1 > 78 {
            out.push_str("\r\n\t");
            out.push_str(tag);
            line_len = 1 + tag.len();
        } else {
            out.push_str(&piece);
            line_len += piece.len();
        }
        if tag != "b=" {
            out.push(';');
            line_len += 1;
        }
    }
    out
}

/// Folds a base64 value: `first` characters, then lines of `rest`.
pub(crate) fn fold_widths(sig: &str, first: usize, rest_width: usize) -> String {
    let mut out = String::with_capacity(sig.len() + sig.len() / 64 * 3);
    let mut room = first.max(1);
    let mut rest = sig;
    while !rest.is_empty() {
        let n = room.min(rest.len());
        let (a, b) = rest.split_at(n);
        out.push_str(a);
        rest = b;
        if !rest.is_empty() {
            out.push_str("\r\n\t");
            room = rest_width.max(1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding() {
        let tags: Vec<String> = [
            "v=1",
            "a=rsa-sha256",
            "d=example.org",
            "s=selector",
            "h=from:to:subject:date:message-id:mime-version",
            "bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let text = format!("DKIM-Signature: {}", fold_tags(&tags));
        for line in text.split("\r\n") {
            assert!(line.len() <= 78, "{line}");
        }
        assert!(text.ends_with("b="));
        let b = fold_widths(&"A".repeat(344), 70, 72);
        assert!(b.split("\r\n").all(|l| l.len() <= 78));
    }
}
