//! ARC sealing (RFC 8617 section 5.1).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::validate::{ArcOutput, existing_sets};
use super::{ChainValidation, MAX_INSTANCES};
use crate::dkim::header::{self, Field};
use crate::dkim::sign::sign_field_around;
use crate::dkim::{
    Canonicalization, DEFAULT_HEADERS, DkimError, HashAlgorithm, SigningKey, base64,
};

/// Adds ARC sets to messages for one domain, selector and key.
#[derive(Debug)]
pub struct ArcSealer {
    domain: String,
    selector: String,
    key: SigningKey,
    headers: Option<Vec<String>>,
    expiry: Option<Duration>,
}

impl ArcSealer {
    /// A sealer; the ARC-Message-Signature signs RFC 6376's default header
    /// list (those present) unless [`ArcSealer::headers`] says otherwise.
    pub fn new(domain: impl Into<String>, selector: impl Into<String>, key: SigningKey) -> Self {
        ArcSealer {
            domain: domain.into(),
            selector: selector.into(),
            key,
            headers: None,
            expiry: None,
        }
    }

    /// Writes `x=` on the ARC-Message-Signature this long after the sealing
    /// time (default: no `x=`). Validators treat an expired AMS as DKIM
    /// treats an expired signature (RFC 8617 section 4.1.2); the ARC-Seal
    /// has no `x=`.
    ///
    /// ```
    /// use mailsec_auth::arc::ArcSealer;
    /// use mailsec_auth::dkim::SigningKey;
    /// use std::time::Duration;
    ///
    /// let key = SigningKey::generate_ed25519()?;
    /// let sealer = ArcSealer::new("forwarder.example", "arc", key)
    ///     .expiry(Duration::from_secs(7 * 86400));
    /// # Ok::<(), mailsec_auth::dkim::DkimError>(())
    /// ```
    pub fn expiry(mut self, after: Duration) -> Self {
        self.expiry = Some(after);
        self
    }

    /// The exact `h=` list of the ARC-Message-Signature, in order.
    pub fn headers<I, T>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.headers = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Seals a message whose chain was validated as `chain`, with
    /// `authres` as the ARC-Authentication-Results payload (an
    /// Authentication-Results value: `authserv-id; results`). Returns the
    /// three header fields to prepend: ARC-Seal, ARC-Message-Signature,
    /// ARC-Authentication-Results, each ending in CRLF.
    pub fn seal(
        &self,
        message: &[u8],
        chain: &ArcOutput,
        authres: &str,
        now: SystemTime,
    ) -> Result<String, DkimError> {
        if chain.newest_seal_failed() {
            return Err(DkimError::Seal(
                "the newest ARC-Seal already says cv=fail".into(),
            ));
        }
        let instance = chain.instances() + 1;
        if instance > MAX_INSTANCES {
            return Err(DkimError::Seal(format!(
                "more than {MAX_INSTANCES} instances"
            )));
        }
        let cv = match (chain.cv(), instance) {
            (_, 1) => ChainValidation::None,
            (ChainValidation::Pass, _) => ChainValidation::Pass,
            _ => ChainValidation::Fail,
        };
        let t = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let alg = self.key.algorithm();
        let (headers, body) = header::split_message(message);
        if matches!(headers.first(), Some(b' ' | b'\t')) {
            return Err(DkimError::FoldedFirstLine);
        }
        let fields = header::fields(headers);

        let aar = format!(
            "ARC-Authentication-Results: i={instance}; {}\r\n",
            authres.trim_start()
        );

        let names: Vec<String> = match &self.headers {
            Some(h) => h.clone(),
            None => DEFAULT_HEADERS
                .iter()
                .filter(|n| {
                    fields
                        .iter()
                        .any(|f| f.name.eq_ignore_ascii_case(n.as_bytes()))
                })
                .map(|n| n.to_ascii_lowercase())
                .collect(),
        };
        let mut hasher =
            crate::dkim::BodyHasher::new(Canonicalization::Relaxed, HashAlgorithm::Sha256, None);
        hasher.update(body);
        let bh = base64::encode(hasher.finish().digest());
        let ams_pre = format!("ARC-Message-Signature: a={alg};\r\n\tb=");
        let x = self
            .expiry
            .map(|after| format!("; x={}", t.saturating_add(after.as_secs())))
            .unwrap_or_default();
        let ams_post = format!(
            ";\r\n\tbh={bh}; c=relaxed/relaxed;\r\n\td={}; h={};\r\n\ti={instance}; s={}; t={t}{x}",
            self.domain,
            names.join(":"),
            self.selector
        );
        let ams = sign_field_around(
            &self.key,
            &fields,
            &names,
            Canonicalization::Relaxed,
            &ams_pre,
            &ams_post,
            // b= unfolded, on its own line: relaxed canonicalization turns a
            // fold into a space, and the seal hashes this field as written.
            // The ValiMail signing suite's seals are made over this layout.
            (usize::MAX, usize::MAX),
        )?;

        // The seal covers every set, oldest first, then the new one.
        // A seal with cv=fail covers only its own set (RFC 8617 section
        // 5.1.1: the chain is broken, nothing before it is vouched for).
        let mut existing = existing_sets(&fields);
        existing.retain(|(i, _)| *i < instance && cv != ChainValidation::Fail);
        let mut data = Vec::with_capacity(2048);
        for i in 1..instance {
            for kind in [
                "ARC-Authentication-Results",
                "ARC-Message-Signature",
                "ARC-Seal",
            ] {
                if let Some((_, f)) = existing
                    .iter()
                    .find(|(j, f)| *j == i && f.name.eq_ignore_ascii_case(kind.as_bytes()))
                {
                    header::canonicalize(Canonicalization::Relaxed, f, &mut data);
                }
            }
        }
        let new_fields = format!("{aar}{ams}");
        for f in header::fields(new_fields.as_bytes()) {
            header::canonicalize(Canonicalization::Relaxed, &f, &mut data);
        }
        let as_pre = format!("ARC-Seal: a={alg};\r\n\tb=");
        let as_post = format!(
            "; cv={cv};\r\n\td={}; i={instance}; s={}; t={t}",
            self.domain, self.selector
        );
        let unsigned = format!("{as_pre}{as_post}");
        let own: Vec<Field<'_>> = header::fields(unsigned.as_bytes());
        if let Some(f) = own.first() {
            header::canonicalize_signature_field(Canonicalization::Relaxed, f, &mut data);
        }
        let sig = base64::encode(&self.key.sign(&data)?);
        let seal = format!(
            "{as_pre}{}{as_post}\r\n",
            crate::dkim::sign::fold_widths(&sig, 70, 72)
        );
        Ok(format!("{seal}{ams}{aar}"))
    }

    /// Seals a message and returns it with the new set prepended.
    pub fn seal_message(
        &self,
        message: &[u8],
        chain: &ArcOutput,
        authres: &str,
        now: SystemTime,
    ) -> Result<Vec<u8>, DkimError> {
        let set = self.seal(message, chain, authres, now)?;
        let mut out = Vec::with_capacity(set.len() + message.len());
        out.extend_from_slice(set.as_bytes());
        out.extend_from_slice(message);
        Ok(out)
    }
}
