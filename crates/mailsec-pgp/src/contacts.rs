//! Signed and encrypted contacts: a vCard 4.0 signed and/or encrypted to the
//! owner's key, as Proton stores address-book cards.

use std::time::SystemTime;

use sequoia_openpgp::Cert;

use crate::error::{Error, Result};
use crate::keys::SecretKey;
use crate::pgpmime::{Encrypt, Open, detached_signature};
use crate::verify::{SignatureResult, finish};

/// How a card is protected.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardKind {
    /// The vCard in clear with a detached signature (integrity only).
    Signed,
    /// The vCard encrypted, not signed.
    Encrypted,
    /// The vCard encrypted, with a detached signature over the plaintext.
    EncryptedSigned,
}

/// A protected contact card, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactCard {
    /// How the card is protected.
    pub kind: CardKind,
    /// The clear vCard ([`CardKind::Signed`]) or an armored OpenPGP message.
    pub data: String,
    /// An armored detached signature over the clear vCard, if signed.
    pub signature: Option<String>,
}

/// A card opened again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedContact {
    /// The vCard text.
    pub vcard: String,
    /// The signature verdict ([`SignatureResult::NotSigned`] for unsigned cards).
    pub signature: SignatureResult,
}

/// Checks that `vcard` is a vCard 4.0 (RFC 6350 framing and version).
pub fn check_vcard(vcard: &str) -> Result<()> {
    let mut lines = vcard.lines().map(str::trim_end).filter(|l| !l.is_empty());
    if !lines
        .next()
        .is_some_and(|l| l.eq_ignore_ascii_case("BEGIN:VCARD"))
    {
        return Err(Error::Vcard("no BEGIN:VCARD"));
    }
    if !lines
        .next()
        .is_some_and(|l| l.eq_ignore_ascii_case("VERSION:4.0"))
    {
        return Err(Error::Vcard("VERSION:4.0 must follow BEGIN:VCARD"));
    }
    if !lines
        .next_back()
        .is_some_and(|l| l.eq_ignore_ascii_case("END:VCARD"))
    {
        return Err(Error::Vcard("no END:VCARD"));
    }
    Ok(())
}

fn armored_string(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Signs a vCard with the owner's key.
pub fn sign_contact(vcard: &str, key: &SecretKey, now: SystemTime) -> Result<ContactCard> {
    check_vcard(vcard)?;
    let sig = detached_signature(key, now, vcard.as_bytes())?;
    Ok(ContactCard {
        kind: CardKind::Signed,
        data: vcard.to_owned(),
        signature: Some(armored_string(sig)),
    })
}

/// Encrypts a vCard to `owner`, signing it with `signer` when given.
pub fn encrypt_contact(
    vcard: &str,
    owner: &Cert,
    signer: Option<&SecretKey>,
    now: SystemTime,
) -> Result<ContactCard> {
    check_vcard(vcard)?;
    let data = Encrypt::new(now)
        .recipient(owner)
        .encrypt_payload(vcard.as_bytes())?;
    let signature = match signer {
        Some(k) => Some(armored_string(detached_signature(
            k,
            now,
            vcard.as_bytes(),
        )?)),
        None => None,
    };
    Ok(ContactCard {
        kind: if signature.is_some() {
            CardKind::EncryptedSigned
        } else {
            CardKind::Encrypted
        },
        data: armored_string(data),
        signature,
    })
}

/// Decrypts (when needed) and verifies a card with the keys and
/// certificates of `open`.
pub fn open_contact(card: &ContactCard, open: &Open<'_>) -> Result<OpenedContact> {
    let vcard = match card.kind {
        CardKind::Signed => card.data.clone(),
        _ => {
            let (plain, _) = open.decrypt_openpgp(card.data.as_bytes())?;
            String::from_utf8(plain).map_err(|_| Error::Vcard("not UTF-8"))?
        }
    };
    let signature = match &card.signature {
        Some(sig) => {
            let checks = finish(open.verify_detached(vcard.as_bytes(), sig.as_bytes()), None);
            checks
                .into_iter()
                .next()
                .map_or(SignatureResult::NotSigned, |c| c.result().clone())
        }
        None => SignatureResult::NotSigned,
    };
    check_vcard(&vcard)?;
    Ok(OpenedContact { vcard, signature })
}
