//! Which OpenPGP profile and key-derivation cost to use.

use sequoia_openpgp::crypto::S2K;
use sequoia_openpgp::types::HashAlgorithm;

use crate::PasswordError;

/// The OpenPGP generation of the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Profile {
    /// RFC 4880 packets (v4 SKESK, SEIPD v1 with MDC), iterated and salted
    /// S2K with SHA-256: what GnuPG 2.2 and Debian's sqop read. The default.
    #[default]
    V4,
    /// RFC 9580 packets (v6 SKESK, SEIPD v2 with OCB), Argon2 S2K.
    V6,
}

/// Argon2 parameters as RFC 9580 section 3.7.1.4 encodes them: passes `t`,
/// parallelism `p`, memory `2^m_log2` KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    t: u8,
    p: u8,
    m_log2: u8,
}

impl Argon2Params {
    /// RFC 9580's second recommended option, used by default: `t = 3`,
    /// `p = 4`, 64 MiB of memory (`m = 16`).
    pub const DEFAULT: Argon2Params = Argon2Params {
        t: 3,
        p: 4,
        m_log2: 16,
    };

    /// RFC 9580's first recommended option: `t = 1`, `p = 4`, 2 GiB (`m = 21`).
    pub const RFC9580_FIRST: Argon2Params = Argon2Params {
        t: 1,
        p: 4,
        m_log2: 21,
    };

    /// Parameters with at least 64 MiB of memory (`m_log2 >= 16`, the
    /// floor of RFC 9580's recommendations; raise `t`, `p` or `m` from
    /// there), within what RFC 9580 allows (`t >= 1`, `2^m >= 8 p` KiB,
    /// `m <= 31`).
    pub fn new(t: u8, p: u8, m_log2: u8) -> Result<Self, PasswordError> {
        if m_log2 < Self::DEFAULT.m_log2 {
            return Err(PasswordError::InvalidParameters(
                "Argon2 memory below 64 MiB (m < 16) is not allowed",
            ));
        }
        Self::checked(t, p, m_log2)
    }

    fn checked(t: u8, p: u8, m_log2: u8) -> Result<Self, PasswordError> {
        if t == 0 || p == 0 || m_log2 > 31 || (1u64 << m_log2) < 8 * u64::from(p) {
            return Err(PasswordError::InvalidParameters(
                "Argon2 needs t >= 1, p >= 1, 8p <= 2^m KiB, m <= 31",
            ));
        }
        Ok(Argon2Params { t, p, m_log2 })
    }

    /// Passes.
    pub fn t(&self) -> u8 {
        self.t
    }

    /// Parallelism.
    pub fn p(&self) -> u8 {
        self.p
    }

    /// Memory as a power of two in KiB.
    pub fn m_log2(&self) -> u8 {
        self.m_log2
    }
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How costly deriving the key from the password is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfCost {
    /// Bytes hashed by the v4 iterated-and-salted S2K.
    iterated_bytes: u32,
    argon2: Argon2Params,
}

impl KdfCost {
    /// The largest iteration count OpenPGP can express: 65,011,712 bytes hashed.
    pub const MAX_ITERATED_BYTES: u32 = 0x03e0_0000;

    /// Production defaults: the maximum v4 count, and [`Argon2Params::DEFAULT`].
    pub fn new() -> Self {
        KdfCost {
            iterated_bytes: Self::MAX_ITERATED_BYTES,
            argon2: Argon2Params::DEFAULT,
        }
    }

    /// Use these Argon2 parameters for v6 output.
    pub fn with_argon2(mut self, params: Argon2Params) -> Self {
        self.argon2 = params;
        self
    }

    /// Cheap parameters **for tests only** (1,024 bytes hashed; Argon2 with
    /// `t = 1`, `p = 1`, 64 KiB), so property tests stay fast in debug
    /// builds. Output made with them is trivially brute-forced.
    #[doc(hidden)]
    pub fn insecure_for_tests() -> Self {
        KdfCost {
            iterated_bytes: 1_024,
            argon2: Argon2Params {
                t: 1,
                p: 1,
                m_log2: 6,
            },
        }
    }

    /// Bytes hashed by the v4 S2K.
    pub fn iterated_bytes(&self) -> u32 {
        self.iterated_bytes
    }

    /// The Argon2 parameters for v6.
    pub fn argon2(&self) -> Argon2Params {
        self.argon2
    }

    /// A fresh S2K (new random salt) for `profile`.
    pub(crate) fn s2k(&self, profile: Profile) -> Result<S2K, PasswordError> {
        match profile {
            Profile::V4 => S2K::new_iterated(HashAlgorithm::SHA256, self.iterated_bytes)
                .map_err(crate::error::encrypt_err),
            Profile::V6 => {
                let mut salt = [0u8; 16];
                sequoia_openpgp::crypto::random(&mut salt).map_err(crate::error::encrypt_err)?;
                Ok(S2K::Argon2 {
                    salt,
                    t: self.argon2.t,
                    p: self.argon2.p,
                    m: self.argon2.m_log2,
                })
            }
        }
    }
}

impl Default for KdfCost {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_bounds() {
        assert!(Argon2Params::new(3, 4, 16).is_ok());
        assert!(Argon2Params::new(4, 8, 20).is_ok());
        assert_eq!(
            Argon2Params::new(1, 4, 21).unwrap(),
            Argon2Params::RFC9580_FIRST
        );
        assert!(Argon2Params::new(0, 4, 21).is_err());
        assert!(Argon2Params::new(3, 4, 15).is_err());
        assert!(Argon2Params::new(3, 4, 32).is_err());
        assert_eq!(Argon2Params::default(), Argon2Params::DEFAULT);
    }

    #[test]
    fn defaults_are_strong() {
        let k = KdfCost::default();
        assert_eq!(k.iterated_bytes(), 65_011_712);
        assert_eq!(k.argon2(), Argon2Params::DEFAULT);
    }
}
