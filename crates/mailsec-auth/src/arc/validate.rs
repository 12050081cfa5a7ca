//! ARC chain validation (RFC 8617 section 5.2).

use std::time::{SystemTime, UNIX_EPOCH};

use mailsec_dns::Resolver;

use super::{ChainValidation, MAX_INSTANCES, Seal, parse_aar, parse_message_signature};
use crate::dkim::header::{self, Field};
use crate::dkim::signature::Signature;
use crate::dkim::verify::{check_key, fetch_key, signed_header_data};
use crate::dkim::{BodyHasher, Canonicalization, DkimReason, DkimResult};

/// Validates ARC chains. Cheap to clone; configure once.
#[derive(Debug, Clone)]
pub struct ArcValidator {
    min_rsa_bits: usize,
}

impl Default for ArcValidator {
    fn default() -> Self {
        ArcValidator::new()
    }
}

/// The outcome of validating a message's ARC chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArcOutput {
    pub(crate) cv: ChainValidation,
    pub(crate) reason: Option<String>,
    pub(crate) instances: u32,
    pub(crate) oldest_pass: Option<u32>,
    pub(crate) seals: Vec<Seal>,
    pub(crate) signatures: Vec<Signature>,
    pub(crate) last_seal_failed: bool,
}

impl ArcOutput {
    fn none() -> Self {
        ArcOutput {
            cv: ChainValidation::None,
            reason: None,
            instances: 0,
            oldest_pass: None,
            seals: Vec::new(),
            signatures: Vec::new(),
            last_seal_failed: false,
        }
    }

    fn fail(reason: impl Into<String>, instances: u32) -> Self {
        ArcOutput {
            cv: ChainValidation::Fail,
            reason: Some(reason.into()),
            instances,
            ..ArcOutput::none()
        }
    }

    /// The chain validation status: `none`, `pass` or `fail`.
    pub fn cv(&self) -> ChainValidation {
        self.cv
    }
    /// Why the chain failed.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
    /// The number of ARC sets (the highest instance).
    pub fn instances(&self) -> u32 {
        self.instances
    }
    /// The oldest instance whose ARC-Message-Signature still validates,
    /// with every newer one (RFC 8617 section 5.2, step 5); 0 when all do.
    /// `None` unless the chain passed.
    pub fn oldest_pass(&self) -> Option<u32> {
        self.oldest_pass
    }
    /// The seals, instance 1 first (filled when the chain passed).
    pub fn seals(&self) -> &[Seal] {
        &self.seals
    }
    /// The ARC-Message-Signatures, instance 1 first (filled when the chain passed).
    pub fn message_signatures(&self) -> &[Signature] {
        &self.signatures
    }
    /// The newest seal itself says `cv=fail`: a sealer must not add a set.
    pub fn newest_seal_failed(&self) -> bool {
        self.last_seal_failed
    }
}

struct Set<'a> {
    aar: Option<Field<'a>>,
    ams: Option<(Field<'a>, usize)>,
    seal: Option<(Field<'a>, usize)>,
}

impl ArcValidator {
    /// A validator accepting RSA keys of 1024 bits and more (RFC 8301).
    pub fn new() -> Self {
        ArcValidator { min_rsa_bits: 1024 }
    }

    /// The smallest RSA key accepted (never below 1024).
    pub fn min_rsa_bits(mut self, bits: usize) -> Self {
        self.min_rsa_bits = bits.max(1024);
        self
    }

    /// Validates the ARC chain of a message at time `now`.
    ///
    /// An ARC-Message-Signature carries DKIM's tags (RFC 8617 section
    /// 4.1.2), so one whose expiry `x=` is before `now` does not validate,
    /// as a DKIM signature would not (RFC 6376 section 3.5): the newest
    /// one expired fails the chain, an older one moves
    /// [`ArcOutput::oldest_pass`] past it. ARC-Seals have no `x=`.
    pub async fn validate(
        &self,
        message: &[u8],
        resolver: &dyn Resolver,
        now: SystemTime,
    ) -> ArcOutput {
        let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let (headers, body) = header::split_message(message);
        let fields = header::fields(headers);
        // Gather the sets.
        let mut sets: Vec<Set<'_>> = Vec::new();
        let mut any = false;
        for (index, f) in fields.iter().enumerate() {
            let kind = if f.name.eq_ignore_ascii_case(b"ARC-Authentication-Results") {
                0
            } else if f.name.eq_ignore_ascii_case(b"ARC-Message-Signature") {
                1
            } else if f.name.eq_ignore_ascii_case(b"ARC-Seal") {
                2
            } else {
                continue;
            };
            any = true;
            let instance = match kind {
                0 => parse_aar(f.value).map(|(i, _)| i),
                1 => instance_tag(f.value),
                _ => instance_tag(f.value),
            };
            let instance = match instance {
                Ok(i) if (1..=MAX_INSTANCES).contains(&i) => i,
                Ok(i) => return ArcOutput::fail(format!("instance {i} out of range"), 0),
                Err(e) => return ArcOutput::fail(format!("malformed ARC header: {e}"), 0),
            };
            let slot = instance as usize - 1;
            while sets.len() <= slot {
                sets.push(Set {
                    aar: None,
                    ams: None,
                    seal: None,
                });
            }
            let Some(set) = sets.get_mut(slot) else {
                continue;
            };
            let duplicate = match kind {
                0 => set.aar.replace(*f).is_some(),
                1 => set.ams.replace((*f, index)).is_some(),
                _ => set.seal.replace((*f, index)).is_some(),
            };
            if duplicate {
                return ArcOutput::fail(format!("duplicate ARC header in instance {instance}"), 0);
            }
        }
        if !any {
            return ArcOutput::none();
        }
        let n = sets.len() as u32;
        let mut seals = Vec::with_capacity(sets.len());
        let mut amss = Vec::with_capacity(sets.len());
        for (k, set) in sets.iter().enumerate() {
            let i = k as u32 + 1;
            let (Some(_), Some((ams, _)), Some((seal, _))) = (&set.aar, &set.ams, &set.seal) else {
                return ArcOutput::fail(format!("instance {i} is incomplete"), n);
            };
            let seal = match Seal::parse(seal.value) {
                Ok(s) => s,
                Err(e) => return ArcOutput::fail(format!("ARC-Seal {i}: {e}"), n),
            };
            let ams = match parse_message_signature(ams.value) {
                Ok(s) => s,
                Err(e) => return ArcOutput::fail(format!("ARC-Message-Signature {i}: {e}"), n),
            };
            seals.push(seal);
            amss.push(ams);
        }
        // RFC 8301: no SHA-1 (RFC 8617 section 4.1.4 names rsa-sha256 only).
        for (k, (seal, ams)) in seals.iter().zip(&amss).enumerate() {
            if seal.algorithm == crate::dkim::Algorithm::RsaSha1
                || ams.algorithm() == crate::dkim::Algorithm::RsaSha1
            {
                return ArcOutput::fail(format!("instance {} uses rsa-sha1", k + 1), n);
            }
        }
        let newest_failed = seals.last().is_some_and(|s| s.cv == ChainValidation::Fail);
        if newest_failed {
            let mut out = ArcOutput::fail("the newest ARC-Seal says cv=fail", n);
            out.last_seal_failed = true;
            return out;
        }
        for (k, seal) in seals.iter().enumerate() {
            let want = if k == 0 {
                ChainValidation::None
            } else {
                ChainValidation::Pass
            };
            if seal.cv != want {
                return ArcOutput::fail(format!("ARC-Seal {} has cv={}", k + 1, seal.cv), n);
            }
        }
        // Body hashes, one per distinct canonicalization and l=.
        let mut hashers: Vec<BodyHasher> = Vec::new();
        for ams in &amss {
            let key = (
                ams.body_canonicalization(),
                ams.algorithm().hash(),
                ams.body_length(),
            );
            if !hashers
                .iter()
                .any(|h| (h.canonicalization(), h.hash(), h.limit()) == key)
            {
                let mut h = BodyHasher::new(key.0, key.1, key.2);
                h.update(body);
                hashers.push(h);
            }
        }
        let hashes: Vec<_> = hashers
            .into_iter()
            .map(|h| ((h.canonicalization(), h.hash(), h.limit()), h.finish()))
            .collect();
        // The newest AMS must validate; older ones give oldest-pass.
        let mut oldest_pass = 0;
        for k in (0..sets.len()).rev() {
            let (Some(ams), Some(set)) = (amss.get(k), sets.get(k)) else {
                continue;
            };
            let Some((_, index)) = set.ams else { continue };
            let key = (
                ams.body_canonicalization(),
                ams.algorithm().hash(),
                ams.body_length(),
            );
            let Some((_, hash)) = hashes.iter().find(|(k2, _)| *k2 == key) else {
                continue;
            };
            let result = self
                .check_ams(resolver, &fields, index, ams, hash, now)
                .await;
            if k + 1 == sets.len() {
                if let Err(r) = result {
                    return ArcOutput::fail(format!("ARC-Message-Signature {}: {r}", k + 1), n);
                }
            } else if result.is_err() {
                oldest_pass = k as u32 + 2;
                break;
            }
        }
        // Every seal, newest first.
        for k in (0..sets.len()).rev() {
            let Some(seal) = seals.get(k) else { continue };
            let data = seal_data(&sets, k);
            if let Err(r) = self.check_seal(resolver, seal, &data).await {
                return ArcOutput::fail(format!("ARC-Seal {}: {r}", k + 1), n);
            }
        }
        ArcOutput {
            cv: ChainValidation::Pass,
            reason: None,
            instances: n,
            oldest_pass: Some(oldest_pass),
            seals,
            signatures: amss,
            last_seal_failed: false,
        }
    }

    async fn check_ams(
        &self,
        resolver: &dyn Resolver,
        fields: &[Field<'_>],
        index: usize,
        ams: &Signature,
        hash: &crate::dkim::BodyHash,
        now: u64,
    ) -> Result<(), DkimResult> {
        if let Some(x) = ams.expiration()
            && x < now
        {
            return Err(DkimResult::PermError(DkimReason::Expired { expired_at: x }));
        }
        let name = format!("{}._domainkey.{}", ams.selector(), ams.domain());
        let key = fetch_key(resolver, &name).await?;
        let vkey = check_key(self.min_rsa_bits, ams, &key).map_err(DkimResult::PermError)?;
        if let Some(l) = ams.body_length()
            && l > hash.canonical_len()
        {
            return Err(DkimResult::PermError(DkimReason::BodyLengthTooLong {
                signed: l,
                actual: hash.canonical_len(),
            }));
        }
        if hash.digest() != ams.body_hash() {
            return Err(DkimResult::Fail(DkimReason::BodyHashMismatch));
        }
        let data = signed_header_data(
            fields,
            index,
            ams.signed_headers(),
            ams.header_canonicalization(),
        );
        if !vkey.verify(ams.algorithm().hash(), &data, ams.signature()) {
            return Err(DkimResult::Fail(DkimReason::BadSignature));
        }
        Ok(())
    }

    async fn check_seal(
        &self,
        resolver: &dyn Resolver,
        seal: &Seal,
        data: &[u8],
    ) -> Result<(), DkimResult> {
        let name = format!("{}._domainkey.{}", seal.selector, seal.domain);
        let key = fetch_key(resolver, &name).await?;
        if key.key_type() != seal.algorithm.key_type() {
            return Err(DkimResult::PermError(DkimReason::KeyTypeMismatch));
        }
        if !key.allows_hash(seal.algorithm.hash()) {
            return Err(DkimResult::PermError(DkimReason::KeyHashNotAllowed));
        }
        let vkey = key
            .verifying_key(self.min_rsa_bits)
            .map_err(DkimResult::PermError)?;
        if !vkey.verify(seal.algorithm.hash(), data, &seal.signature) {
            return Err(DkimResult::Fail(DkimReason::BadSignature));
        }
        Ok(())
    }
}

fn instance_tag(value: &[u8]) -> Result<u32, DkimReason> {
    let list =
        crate::dkim::tags::parse(value).map_err(|e| DkimReason::SignatureSyntax(e.to_string()))?;
    let i = crate::dkim::signature::get(&list, "i").ok_or(DkimReason::MissingTag("i"))?;
    let n = crate::dkim::signature::number(i, "i")?;
    u32::try_from(n).map_err(|_| DkimReason::SignatureSyntax("i= is out of range".into()))
}

/// The ARC-Seal hash input for instance `k + 1`: every set up to it (AAR,
/// AMS, AS, relaxed), the seal itself with `b=` emptied and no final CRLF.
fn seal_data(sets: &[Set<'_>], k: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(1024 * (k + 1));
    for (j, set) in sets.iter().enumerate().take(k + 1) {
        if let Some(aar) = &set.aar {
            header::canonicalize(Canonicalization::Relaxed, aar, &mut data);
        }
        if let Some((ams, _)) = &set.ams {
            header::canonicalize(Canonicalization::Relaxed, ams, &mut data);
        }
        if let Some((seal, _)) = &set.seal {
            if j == k {
                header::canonicalize_signature_field(Canonicalization::Relaxed, seal, &mut data);
            } else {
                header::canonicalize(Canonicalization::Relaxed, seal, &mut data);
            }
        }
    }
    data
}

/// The seal input for a new set: existing sets from the message, then the
/// new AAR, AMS and the unsigned seal.
pub(crate) fn existing_sets<'a>(fields: &[Field<'a>]) -> Vec<(u32, Field<'a>)> {
    let mut out = Vec::new();
    for f in fields {
        let i = if f.name.eq_ignore_ascii_case(b"ARC-Authentication-Results") {
            parse_aar(f.value).map(|(i, _)| i).ok()
        } else if f.name.eq_ignore_ascii_case(b"ARC-Message-Signature")
            || f.name.eq_ignore_ascii_case(b"ARC-Seal")
        {
            instance_tag(f.value).ok()
        } else {
            None
        };
        if let Some(i) = i {
            out.push((i, *f));
        }
    }
    out
}
