//! Verifying DKIM signatures (RFC 6376 section 6).

use std::time::{SystemTime, UNIX_EPOCH};

use mailsec_dns::{DnsError, Resolver};

use super::header::{self, Field};
use super::key::KeyRecord;
use super::signature::{self, Signature};
use super::{Algorithm, BodyHasher, Canonicalization, DkimReason, DkimResult, HashAlgorithm};

/// Checks the DKIM signatures of messages. Cheap to clone; configure once.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use mailsec_auth::dkim::{Verifier, DkimResult};
/// use mailsec_dns::StaticResolver;
/// use std::time::SystemTime;
///
/// let dns = StaticResolver::new();
/// let results = Verifier::new()
///     .verify(b"From: a@example.org\r\n\r\nHi\r\n", &dns, SystemTime::now())
///     .await;
/// assert!(results.is_empty()); // unsigned
/// assert_eq!(Verifier::summary(&results), DkimResult::None);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Verifier {
    allow_sha1: bool,
    honour_body_length: bool,
    max_signatures: usize,
    min_rsa_bits: usize,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier::new()
    }
}

impl Verifier {
    /// A verifier with the RFC 8301 defaults: no `rsa-sha1`, RSA keys of at
    /// least 1024 bits, `l=` reported as `policy`, at most 10 signatures.
    pub fn new() -> Self {
        Verifier {
            allow_sha1: false,
            honour_body_length: false,
            max_signatures: 10,
            min_rsa_bits: 1024,
        }
    }

    /// Verify `rsa-sha1` signatures instead of reporting them as `permerror`.
    pub fn allow_rsa_sha1(mut self, allow: bool) -> Self {
        self.allow_sha1 = allow;
        self
    }

    /// Accept a signature whose `l=` leaves part of the body unsigned as
    /// `pass` instead of reporting it as `policy`.
    pub fn honour_body_length(mut self, honour: bool) -> Self {
        self.honour_body_length = honour;
        self
    }

    /// Check at most this many signatures; later ones are `neutral`.
    pub fn max_signatures(mut self, max: usize) -> Self {
        self.max_signatures = max;
        self
    }

    /// The smallest RSA key accepted, in bits (default and RFC 8301 minimum
    /// 1024; smaller values are raised to 1024).
    pub fn min_rsa_bits(mut self, bits: usize) -> Self {
        self.min_rsa_bits = bits.max(1024);
        self
    }

    /// The overall DKIM result of a message: `pass` when any signature
    /// passed, else the first signature's result, `none` when unsigned.
    pub fn summary(outputs: &[DkimOutput]) -> DkimResult {
        outputs
            .iter()
            .find(|o| o.result.is_pass())
            .or_else(|| outputs.first())
            .map_or(DkimResult::None, |o| o.result.clone())
    }

    /// Verifies every DKIM-Signature of a whole message, judged at `now`.
    /// Returns one output per signature, top to bottom; empty when the
    /// message is unsigned.
    pub async fn verify(
        &self,
        message: &[u8],
        resolver: &dyn Resolver,
        now: SystemTime,
    ) -> Vec<DkimOutput> {
        let (headers, body) = header::split_message(message);
        let mut v = self.start(headers, now);
        v.body(body);
        v.finish(resolver).await
    }

    /// Starts verifying a message from its header block (the fields, with or
    /// without the empty line that ends them); feed the body with
    /// [`Verification::body`], then call [`Verification::finish`].
    pub fn start(&self, headers: &[u8], now: SystemTime) -> Verification {
        let fields = header::fields(headers);
        let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut entries = Vec::new();
        let mut hashers: Vec<BodyHasher> = Vec::new();
        let mut count = 0;
        for (index, field) in fields.iter().enumerate() {
            if !field.name.eq_ignore_ascii_case(b"DKIM-Signature") {
                continue;
            }
            count += 1;
            let (domain, selector) = signature::domain_and_selector(field.value);
            let algorithm = algorithm_text(field.value);
            let mut entry = Entry {
                output: DkimOutput {
                    result: DkimResult::None,
                    domain,
                    selector,
                    algorithm,
                    signature: None,
                    testing: false,
                },
                header_data: Vec::new(),
                hasher: None,
            };
            if count > self.max_signatures {
                entry.output.result = DkimResult::Neutral(DkimReason::SignatureLimit);
                entries.push(entry);
                continue;
            }
            match self.prepare(&fields, index, now) {
                Err(result) => entry.output.result = result,
                Ok((sig, data)) => {
                    let key = (sig.body_canon, sig.algorithm.hash(), sig.body_length);
                    let pos = hashers
                        .iter()
                        .position(|h| (h.canonicalization(), h.hash(), h.limit()) == key)
                        .unwrap_or_else(|| {
                            hashers.push(BodyHasher::new(key.0, key.1, key.2));
                            hashers.len() - 1
                        });
                    entry.hasher = Some(pos);
                    entry.header_data = data;
                    entry.output.signature = Some(sig);
                }
            }
            entries.push(entry);
        }
        Verification {
            verifier: self.clone(),
            entries,
            hashers,
        }
    }

    /// Parses one signature and builds its header hash input, or judges it
    /// without DNS.
    fn prepare(
        &self,
        fields: &[Field<'_>],
        index: usize,
        now: u64,
    ) -> Result<(Signature, Vec<u8>), DkimResult> {
        let field = fields.get(index).ok_or(DkimResult::None)?;
        let sig = Signature::parse(field.value).map_err(DkimResult::PermError)?;
        if let Some(x) = sig.expiration
            && x < now
        {
            return Err(DkimResult::PermError(DkimReason::Expired { expired_at: x }));
        }
        if sig.algorithm == Algorithm::RsaSha1 && !self.allow_sha1 {
            return Err(DkimResult::PermError(DkimReason::RsaSha1NotAccepted));
        }
        let data = signed_header_data(fields, index, &sig.signed_headers, sig.header_canon);
        Ok((sig, data))
    }
}

/// The header hash input: the fields named in `h=`, picked bottom-up, each
/// canonicalized, then the signature field itself with `b=` emptied.
pub(crate) fn signed_header_data(
    fields: &[Field<'_>],
    own: usize,
    names: &[String],
    canon: Canonicalization,
) -> Vec<u8> {
    let mut used = vec![false; fields.len()];
    if let Some(u) = used.get_mut(own) {
        *u = true;
    }
    let mut data = Vec::with_capacity(512);
    for name in names {
        let name = name.trim().as_bytes();
        let found = fields.iter().enumerate().rev().find(|(i, f)| {
            !used.get(*i).copied().unwrap_or(true) && f.name.eq_ignore_ascii_case(name)
        });
        if let Some((i, f)) = found {
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
            header::canonicalize(canon, f, &mut data);
        }
    }
    if let Some(f) = fields.get(own) {
        header::canonicalize_signature_field(canon, f, &mut data);
    }
    data
}

fn algorithm_text(value: &[u8]) -> String {
    value
        .split(|&c| c == b';')
        .find_map(|spec| {
            let eq = spec.iter().position(|&c| c == b'=')?;
            if super::tags::trim_fws(spec.get(..eq)?) != b"a" {
                return None;
            }
            Some(String::from_utf8_lossy(&super::tags::strip_fws(spec.get(eq + 1..)?)).into_owned())
        })
        .unwrap_or_default()
}

struct Entry {
    output: DkimOutput,
    header_data: Vec<u8>,
    hasher: Option<usize>,
}

/// A message being verified: headers read, body hashed chunk by chunk.
pub struct Verification {
    verifier: Verifier,
    entries: Vec<Entry>,
    hashers: Vec<BodyHasher>,
}

impl std::fmt::Debug for Verification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verification")
            .field("signatures", &self.entries.len())
            .field("body_hashers", &self.hashers.len())
            .finish()
    }
}

impl Verification {
    /// The number of signatures found.
    pub fn signature_count(&self) -> usize {
        self.entries.len()
    }

    /// Feeds the next chunk of the body.
    pub fn body(&mut self, chunk: &[u8]) {
        for h in &mut self.hashers {
            h.update(chunk);
        }
    }

    /// Fetches the keys and judges every signature.
    pub async fn finish(self, resolver: &dyn Resolver) -> Vec<DkimOutput> {
        let hashes: Vec<_> = self.hashers.into_iter().map(BodyHasher::finish).collect();
        let mut keys: Vec<(String, Result<KeyRecord, DkimResult>)> = Vec::new();
        let mut out = Vec::with_capacity(self.entries.len());
        for entry in self.entries {
            let Entry {
                mut output,
                header_data,
                hasher,
            } = entry;
            let (Some(sig), Some(hash)) = (
                output.signature.as_ref(),
                hasher.and_then(|h| hashes.get(h)),
            ) else {
                out.push(output);
                continue;
            };
            let name = format!("{}._domainkey.{}", sig.selector, sig.domain);
            let record = match keys.iter().find(|(n, _)| n.eq_ignore_ascii_case(&name)) {
                Some((_, r)) => r.clone(),
                None => {
                    let r = fetch_key(resolver, &name).await;
                    keys.push((name, r.clone()));
                    r
                }
            };
            output.result = match record {
                Err(result) => result,
                Ok(key) => {
                    output.testing = key.is_testing();
                    judge(&self.verifier, sig, &key, hash, &header_data)
                }
            };
            out.push(output);
        }
        out
    }
}

/// Looks up and parses a key record.
pub(crate) async fn fetch_key(
    resolver: &dyn Resolver,
    name: &str,
) -> Result<KeyRecord, DkimResult> {
    match resolver.txt(name).await {
        Ok(answer) => {
            let first = answer
                .records()
                .first()
                .ok_or(DkimResult::PermError(DkimReason::KeyNotFound))?;
            KeyRecord::parse(&first.concat()).map_err(DkimResult::PermError)
        }
        Err(e @ DnsError::TempFail { .. }) => Err(DkimResult::TempError(DkimReason::DnsTempFail(
            e.to_string(),
        ))),
        Err(_) => Err(DkimResult::PermError(DkimReason::KeyNotFound)),
    }
}

/// Checks a key against a signature and verifies body hash and signature.
pub(crate) fn check_key(
    verifier_min_bits: usize,
    sig: &Signature,
    key: &KeyRecord,
) -> Result<super::key::VerifyingKey, DkimReason> {
    if key.key_type() != sig.algorithm.key_type() {
        return Err(DkimReason::KeyTypeMismatch);
    }
    if !key.allows_hash(sig.algorithm.hash()) {
        return Err(DkimReason::KeyHashNotAllowed);
    }
    if !key.allows_email() {
        return Err(DkimReason::KeyServiceNotEmail);
    }
    if key.is_strict()
        && let Some(i) = &sig.identity
    {
        let idomain = i.rsplit('@').next().unwrap_or_default();
        if !idomain
            .trim_end_matches('.')
            .eq_ignore_ascii_case(sig.domain.trim_end_matches('.'))
        {
            return Err(DkimReason::StrictIdentity);
        }
    }
    key.verifying_key(verifier_min_bits)
}

fn judge(
    verifier: &Verifier,
    sig: &Signature,
    key: &KeyRecord,
    hash: &super::BodyHash,
    header_data: &[u8],
) -> DkimResult {
    let vkey = match check_key(verifier.min_rsa_bits, sig, key) {
        Ok(k) => k,
        Err(reason) => return DkimResult::PermError(reason),
    };
    if let Some(l) = sig.body_length
        && l > hash.canonical_len()
    {
        return DkimResult::PermError(DkimReason::BodyLengthTooLong {
            signed: l,
            actual: hash.canonical_len(),
        });
    }
    let fail = |reason: DkimReason| {
        if key.is_testing() {
            DkimResult::Neutral(DkimReason::Testing(Box::new(reason)))
        } else {
            DkimResult::Fail(reason)
        }
    };
    if hash.digest() != sig.body_hash.as_slice() {
        return fail(DkimReason::BodyHashMismatch);
    }
    if !vkey.verify(sig.algorithm.hash(), header_data, &sig.signature) {
        return fail(DkimReason::BadSignature);
    }
    match sig.body_length {
        Some(l) if l < hash.canonical_len() && !verifier.honour_body_length => {
            DkimResult::Policy(DkimReason::UnsignedBodyContent {
                signed: l,
                actual: hash.canonical_len(),
            })
        }
        _ => DkimResult::Pass,
    }
}

impl BodyHasher {
    pub(crate) fn hash(&self) -> HashAlgorithm {
        self.hash_algorithm
    }
}

/// The verdict on one DKIM signature and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimOutput {
    pub(crate) result: DkimResult,
    pub(crate) domain: String,
    pub(crate) selector: String,
    pub(crate) algorithm: String,
    pub(crate) signature: Option<Signature>,
    pub(crate) testing: bool,
}

impl DkimOutput {
    /// The verdict.
    pub fn result(&self) -> &DkimResult {
        &self.result
    }
    /// The signing domain (`d=`), as written (empty if absent).
    pub fn domain(&self) -> &str {
        &self.domain
    }
    /// The selector (`s=`), as written (empty if absent).
    pub fn selector(&self) -> &str {
        &self.selector
    }
    /// The algorithm (`a=`), as written (empty if absent).
    pub fn algorithm(&self) -> &str {
        &self.algorithm
    }
    /// The parsed signature, when it parsed.
    pub fn signature(&self) -> Option<&Signature> {
        self.signature.as_ref()
    }
    /// The `i=` identity, if the signature had one.
    pub fn identity(&self) -> Option<&str> {
        self.signature.as_ref().and_then(Signature::identity)
    }
    /// The `b=` value without white space (for `header.b`), when parsed.
    pub fn b_text(&self) -> Option<&str> {
        self.signature.as_ref().map(Signature::b_text)
    }
    /// The key record was in testing mode (`t=y`).
    pub fn is_testing(&self) -> bool {
        self.testing
    }
}
