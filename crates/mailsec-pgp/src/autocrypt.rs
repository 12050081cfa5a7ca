//! The Autocrypt header (Autocrypt Level 1 §2.1) and Autocrypt-Gossip: parse
//! and write the header format only; key-management policy is the caller's.

use base64::Engine as _;
use sequoia_openpgp::Cert;
use sequoia_openpgp::serialize::Serialize;

use crate::error::{Error, Result};
use crate::keys::read_cert;
use crate::mime::{Entity, to_crlf};

/// The sender's `prefer-encrypt` preference.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PreferEncrypt {
    /// `prefer-encrypt=mutual`.
    Mutual,
    /// No preference (attribute absent).
    #[default]
    NoPreference,
}

/// One `Autocrypt:` or `Autocrypt-Gossip:` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutocryptHeader {
    addr: String,
    prefer_encrypt: PreferEncrypt,
    keydata: Vec<u8>,
}

impl AutocryptHeader {
    /// A header for `addr` carrying `cert` (public parts only).
    pub fn new(addr: &str, cert: &Cert, prefer_encrypt: PreferEncrypt) -> Result<Self> {
        let mut keydata = Vec::new();
        cert.clone()
            .strip_secret_key_material()
            .serialize(&mut keydata)?;
        Ok(AutocryptHeader {
            addr: addr.trim().to_owned(),
            prefer_encrypt,
            keydata,
        })
    }

    /// Parses an `Autocrypt:` header value.
    pub fn parse(value: &str) -> Result<Self> {
        Self::parse_inner(value, true)
    }

    /// Parses an `Autocrypt-Gossip:` header value (no `prefer-encrypt`).
    pub fn parse_gossip(value: &str) -> Result<Self> {
        Self::parse_inner(value, false)
    }

    fn parse_inner(value: &str, allow_prefer: bool) -> Result<Self> {
        let (mut addr, mut prefer, mut keydata) = (None, PreferEncrypt::NoPreference, None);
        for attr in value.split(';') {
            let attr = attr.trim();
            if attr.is_empty() {
                continue;
            }
            let (k, v) = attr
                .split_once('=')
                .ok_or(Error::Autocrypt("attribute without ="))?;
            let k = k.trim().to_ascii_lowercase();
            match k.as_str() {
                "addr" if addr.is_none() => addr = Some(v.trim().to_owned()),
                "prefer-encrypt" if allow_prefer => {
                    if v.trim() == "mutual" {
                        prefer = PreferEncrypt::Mutual;
                    }
                }
                "keydata" if keydata.is_none() => {
                    let clean: String = v.chars().filter(|c| !c.is_whitespace()).collect();
                    keydata = Some(
                        base64::engine::general_purpose::STANDARD
                            .decode(clean.as_bytes())
                            .map_err(|_| Error::Autocrypt("keydata is not base64"))?,
                    );
                }
                k if k.starts_with('_') => {}
                _ => return Err(Error::Autocrypt("unknown critical attribute")),
            }
        }
        let addr = addr.ok_or(Error::Autocrypt("no addr"))?;
        if !addr.contains('@') {
            return Err(Error::Autocrypt("addr is not an address"));
        }
        let keydata = keydata.ok_or(Error::Autocrypt("no keydata"))?;
        if keydata.is_empty() {
            return Err(Error::Autocrypt("empty keydata"));
        }
        Ok(AutocryptHeader {
            addr,
            prefer_encrypt: prefer,
            keydata,
        })
    }

    /// Every `Autocrypt:` header of a message that parses (the spec says a
    /// message with several valid headers for the From address must be
    /// ignored; that decision is the caller's).
    pub fn from_message(message: &[u8]) -> Vec<Self> {
        let message = to_crlf(message);
        Entity::parse(&message)
            .headers
            .iter()
            .filter(|h| h.is("Autocrypt"))
            .filter_map(|h| Self::parse(&h.value()).ok())
            .collect()
    }

    /// The address the key is for.
    pub fn addr(&self) -> &str {
        &self.addr
    }
    /// The sender's preference.
    pub fn prefer_encrypt(&self) -> PreferEncrypt {
        self.prefer_encrypt
    }
    /// The binary key data.
    pub fn keydata(&self) -> &[u8] {
        &self.keydata
    }
    /// The certificate in the key data.
    pub fn cert(&self) -> Result<Cert> {
        read_cert(&self.keydata)
    }

    fn write(&self, name: &str, with_prefer: bool) -> String {
        let mut s = format!("{name}: addr={};", self.addr);
        if with_prefer && self.prefer_encrypt == PreferEncrypt::Mutual {
            s.push_str(" prefer-encrypt=mutual;");
        }
        s.push_str(" keydata=");
        let b64 = base64::engine::general_purpose::STANDARD.encode(&self.keydata);
        for (i, chunk) in b64.as_bytes().chunks(76).enumerate() {
            s.push_str("\r\n ");
            if i == 0 && chunk.is_empty() {
                break;
            }
            s.push_str(&String::from_utf8_lossy(chunk));
        }
        s.push_str("\r\n");
        s
    }

    /// The folded `Autocrypt:` header line (CRLF-terminated).
    pub fn to_header(&self) -> String {
        self.write("Autocrypt", true)
    }
    /// The folded `Autocrypt-Gossip:` header line (CRLF-terminated).
    pub fn to_gossip_header(&self) -> String {
        self.write("Autocrypt-Gossip", false)
    }
}
