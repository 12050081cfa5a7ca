//! Known OpenPGP certificates by e-mail address, and the pipeline's verdict
//! on a PGP/MIME signed message from a known sender.

use std::collections::HashMap;

use mailsec_pgp::openpgp::Cert;
use mailsec_pgp::{SignatureCheck, SignatureResult};

/// Certificates indexed by the e-mail addresses of their user ids
/// (compared without regard to ASCII case).
///
/// ```
/// use mailsec::Keyring;
/// use mailsec::pgp::KeyGen;
///
/// let alice = KeyGen::new("Alice <alice@example.org>").generate()?.into_key();
/// let mut keyring = Keyring::new();
/// keyring.add(alice.public_cert());
/// assert_eq!(keyring.certs_for("Alice@Example.org").len(), 1);
/// assert!(keyring.certs_for("bob@example.org").is_empty());
/// # Ok::<(), mailsec::pgp::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    by_address: HashMap<String, Vec<Cert>>,
    len: usize,
}

impl Keyring {
    /// An empty keyring.
    pub fn new() -> Self {
        Keyring::default()
    }

    /// Adds a certificate under every e-mail address of its user ids; a
    /// certificate without one is not added (returns false).
    pub fn add(&mut self, cert: Cert) -> bool {
        let addresses = mailsec_pgp::cert_addresses(&cert);
        if addresses.is_empty() {
            return false;
        }
        for address in addresses {
            let certs = self.by_address.entry(address).or_default();
            if !certs.iter().any(|c| c.fingerprint() == cert.fingerprint()) {
                certs.push(cert.clone());
            }
        }
        self.len += 1;
        true
    }

    /// Adds a certificate under `address` only, whatever its user ids say.
    pub fn add_for(&mut self, address: &str, cert: Cert) {
        let certs = self
            .by_address
            .entry(address.trim().to_ascii_lowercase())
            .or_default();
        if !certs.iter().any(|c| c.fingerprint() == cert.fingerprint()) {
            certs.push(cert);
            self.len += 1;
        }
    }

    /// The certificates known for `address` (empty when none).
    pub fn certs_for(&self, address: &str) -> &[Cert] {
        self.by_address
            .get(&address.trim().to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// How many certificates were added.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no certificate was added.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The verdict on a PGP/MIME signed message whose From address has
/// certificates in the pipeline's [`Keyring`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureReport {
    from: String,
    checks: Vec<SignatureCheck>,
    malformed: bool,
}

impl SignatureReport {
    pub(crate) fn new(from: String, checks: Vec<SignatureCheck>) -> Self {
        SignatureReport {
            from,
            checks,
            malformed: false,
        }
    }

    pub(crate) fn malformed(from: String) -> Self {
        SignatureReport {
            from,
            checks: Vec::new(),
            malformed: true,
        }
    }

    /// The From address whose certificates were used.
    pub fn from(&self) -> &str {
        &self.from
    }

    /// Every signature's verdict (empty when the structure was malformed).
    pub fn checks(&self) -> &[SignatureCheck] {
        &self.checks
    }

    /// The overall result word of the CLI contract: `good` when a signature
    /// is good (only the From address's certificates are asked, so a good
    /// signature is the sender's); else the first signature's word (`bad`,
    /// `unknown_key`, `expired_key`, `revoked_key`, `not_signed`); `bad` for
    /// a malformed signed message.
    pub fn result(&self) -> &'static str {
        if self.malformed {
            return "bad";
        }
        if self
            .checks
            .iter()
            .any(|c| matches!(c.result(), SignatureResult::Good { .. }))
        {
            return "good";
        }
        self.checks
            .first()
            .map_or("not_signed", |c| c.result().word())
    }

    /// True when [`SignatureReport::result`] is `good`.
    pub fn is_good(&self) -> bool {
        self.result() == "good"
    }
}
