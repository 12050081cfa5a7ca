//! Zero-access encryption at rest: a received plaintext message becomes a
//! PGP/MIME message only the mailbox owner can read.

use std::time::SystemTime;

use sequoia_openpgp::Cert;

use crate::error::Result;
use crate::mime::to_crlf;
use crate::pgpmime::Encrypt;
use crate::protect::{self, Mode, STORAGE_CLEAR_HEADERS};

/// Encrypts received mail for storage (a builder).
///
/// The routing and authentication headers the server needs
/// ([`STORAGE_CLEAR_HEADERS`] by default) stay readable outside; every
/// header is also copied into the encrypted payload (RFC 9788
/// `hp="cipher"`), so decrypting gives back the original message byte for
/// byte. The outer Subject reads `[...]`.
#[derive(Debug, Clone)]
pub struct StorageProtector<'a> {
    owners: Vec<&'a Cert>,
    keep_clear: Vec<String>,
    now: SystemTime,
}

impl<'a> StorageProtector<'a> {
    /// Protects for the owner certificate `owner`, judged at `now`.
    pub fn new(owner: &'a Cert, now: SystemTime) -> Self {
        StorageProtector {
            owners: vec![owner],
            keep_clear: STORAGE_CLEAR_HEADERS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            now,
        }
    }
    /// Adds another certificate (a second device, an escrow key).
    pub fn owner(mut self, cert: &'a Cert) -> Self {
        self.owners.push(cert);
        self
    }
    /// Replaces the list of headers left in the clear.
    pub fn keep_clear<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.keep_clear = names.into_iter().map(Into::into).collect();
        self
    }
    /// Encrypts `message` for storage.
    pub fn protect(&self, message: &[u8]) -> Result<Vec<u8>> {
        let message = to_crlf(message);
        let split = protect::split(&message, Mode::Storage, &self.keep_clear);
        Encrypt::new(self.now)
            .recipients(self.owners.iter().copied())
            .seal(split)
    }
}
