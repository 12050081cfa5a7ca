//! Inline PGP: armored messages and cleartext signatures inside text parts.

use std::io::Read;
use std::time::SystemTime;

use openpgp::parse::Parse;
use openpgp::parse::stream::VerifierBuilder;
use sequoia_openpgp as openpgp;

use crate::error::{Error, Result};
use crate::keys::policy;
use crate::pgpmime::{Open, from_address};
use crate::verify::{Helper, SignatureCheck, finish};

/// What an inline block was.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InlineKind {
    /// `-----BEGIN PGP MESSAGE-----`: encrypted (possibly signed).
    Encrypted,
    /// `-----BEGIN PGP SIGNED MESSAGE-----`: a cleartext signature.
    ClearSigned,
}

/// One armored block found in a text part.
#[derive(Debug, Clone)]
pub struct InlineBlock {
    kind: InlineKind,
    text: Vec<u8>,
    signatures: Vec<SignatureCheck>,
}

impl InlineBlock {
    /// What the block was.
    pub fn kind(&self) -> InlineKind {
        self.kind
    }
    /// The decrypted or verified text.
    pub fn text(&self) -> &[u8] {
        &self.text
    }
    /// The signature verdicts.
    pub fn signatures(&self) -> &[SignatureCheck] {
        &self.signatures
    }
}

const MSG_BEGIN: &str = "-----BEGIN PGP MESSAGE-----";
const MSG_END: &str = "-----END PGP MESSAGE-----";
const CSF_BEGIN: &str = "-----BEGIN PGP SIGNED MESSAGE-----";
const SIG_END: &str = "-----END PGP SIGNATURE-----";

impl Open<'_> {
    /// Reads inline PGP from every text part of `message`: decrypts armored
    /// messages and verifies cleartext signatures. A block that cannot be
    /// decrypted fails the whole call ([`Error::DecryptionFailed`]).
    pub fn inline(&self, message: &[u8]) -> Result<Vec<InlineBlock>> {
        let parsed = mail_parser::MessageParser::default()
            .parse(message)
            .ok_or(Error::Malformed("not a message"))?;
        let from = from_address(message);
        let mut blocks = Vec::new();
        for part in parsed.parts.iter() {
            let mail_parser::PartType::Text(text) = &part.body else {
                continue;
            };
            let mut rest: &str = text;
            loop {
                let b_msg = rest.find(MSG_BEGIN);
                let b_csf = rest.find(CSF_BEGIN);
                let (start, kind, end_marker) = match (b_msg, b_csf) {
                    (Some(m), Some(c)) if c < m => (c, InlineKind::ClearSigned, SIG_END),
                    (Some(m), _) => (m, InlineKind::Encrypted, MSG_END),
                    (None, Some(c)) => (c, InlineKind::ClearSigned, SIG_END),
                    (None, None) => break,
                };
                let Some(after) = rest.get(start..) else {
                    break;
                };
                let Some(end) = after.find(end_marker) else {
                    break;
                };
                let block_end = end + end_marker.len();
                let block = after.get(..block_end).unwrap_or_default();
                blocks.push(self.inline_block(kind, block.as_bytes(), from.as_deref())?);
                rest = after.get(block_end..).unwrap_or_default();
            }
        }
        Ok(blocks)
    }

    fn inline_block(
        &self,
        kind: InlineKind,
        block: &[u8],
        from: Option<&str>,
    ) -> Result<InlineBlock> {
        match kind {
            InlineKind::Encrypted => {
                let (text, checks) = self.decrypt_openpgp(block)?;
                Ok(InlineBlock {
                    kind,
                    text,
                    signatures: finish(checks, from),
                })
            }
            InlineKind::ClearSigned => {
                let limit = self.limits.max_decompressed_size;
                type Pass = (Vec<u8>, Vec<crate::verify::RawCheck>, Option<SystemTime>);
                let run = |at: SystemTime| -> openpgp::Result<Pass> {
                    let helper = Helper::new(&[], &self.certs, self.now, self.clock_skew);
                    let mut v =
                        VerifierBuilder::from_bytes(block)?.with_policy(policy(), at, helper)?;
                    let mut text = Vec::new();
                    (&mut v).take(limit as u64 + 1).read_to_end(&mut text)?;
                    let helper = v.into_helper();
                    Ok((text, helper.checks, helper.retry_at))
                };
                let mut pass = run(self.now).map_err(Error::OpenPgp)?;
                if let Some(at) = pass.2 {
                    pass = run(at).map_err(Error::OpenPgp)?;
                }
                let (text, checks, _) = pass;
                if text.len() > limit {
                    return Err(Error::TooLarge { limit });
                }
                Ok(InlineBlock {
                    kind,
                    text,
                    signatures: finish(checks, from),
                })
            }
        }
    }
}
