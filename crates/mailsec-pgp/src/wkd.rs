//! Web Key Directory (draft-koch-openpgp-webkey-service) lookup URLs: the
//! local part is lower-cased, hashed with SHA-1 and z-base-32 encoded.
//! Fetching is the caller's, through [`WkdFetcher`].

use sequoia_openpgp::Cert;
use sequoia_openpgp::types::HashAlgorithm;

use crate::error::{Error, Result};

/// The two lookup URLs for an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WkdUrls {
    /// `https://openpgpkey.DOMAIN/.well-known/openpgpkey/DOMAIN/hu/HASH?l=LOCAL`
    pub advanced: String,
    /// `https://DOMAIN/.well-known/openpgpkey/hu/HASH?l=LOCAL`
    pub direct: String,
    /// The z-base-32 hash of the lower-cased local part.
    pub hash: String,
}

const ZBASE32: &[u8; 32] = b"ybndrfg8ejkmcpqxot1uwisza345h769";

/// z-base-32 encoding (RFC 6189 §5.1.6 alphabet), without padding.
pub fn zbase32(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in data {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ZBASE32[((acc >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ZBASE32[((acc << (5 - bits)) & 31) as usize]));
    }
    out
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The WKD lookup URLs for `address` (`local@domain`).
pub fn wkd_urls(address: &str) -> Result<WkdUrls> {
    let address = address.trim();
    let (local, domain) = address
        .rsplit_once('@')
        .filter(|(l, d)| !l.is_empty() && !d.is_empty() && !d.contains(['/', '?', '#', '@', ' ']))
        .ok_or_else(|| Error::Address(address.to_owned()))?;
    let domain = domain.to_ascii_lowercase();
    let mut ctx = HashAlgorithm::SHA1.context()?.for_digest();
    ctx.update(local.to_lowercase().as_bytes());
    let digest = ctx.into_digest()?;
    let hash = zbase32(&digest);
    let l = percent_encode(local);
    Ok(WkdUrls {
        advanced: format!(
            "https://openpgpkey.{domain}/.well-known/openpgpkey/{domain}/hu/{hash}?l={l}"
        ),
        direct: format!("https://{domain}/.well-known/openpgpkey/hu/{hash}?l={l}"),
        hash,
    })
}

/// Fetches a URL for a WKD lookup; the application supplies the HTTP client.
pub trait WkdFetcher {
    /// The body at `url`, `Ok(None)` when there is none (404, no such host).
    fn fetch(&self, url: &str) -> std::io::Result<Option<Vec<u8>>>;
}

/// Looks `address` up: the advanced URL first, then the direct one; keeps
/// only certificates with a user id for that address.
pub fn wkd_lookup(fetcher: &dyn WkdFetcher, address: &str) -> Result<Vec<Cert>> {
    let urls = wkd_urls(address)?;
    let want = address.trim().to_ascii_lowercase();
    for url in [&urls.advanced, &urls.direct] {
        if let Some(body) = fetcher.fetch(url)? {
            let certs: Vec<Cert> = crate::keys::read_certs(&body)?
                .into_iter()
                .filter(|c| crate::keys::cert_addresses(c).contains(&want))
                .collect();
            return Ok(certs);
        }
    }
    Ok(Vec::new())
}
