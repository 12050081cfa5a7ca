//! A stable 64-bit hash for tokens.
//!
//! Token identifiers are stored in files and shared between servers, so the
//! hash must not change between builds or Rust versions (which rules out
//! `std`'s `DefaultHasher`). This is FNV-1a over the bytes followed by a
//! 64-bit avalanche finaliser (the one of MurmurHash3), which spreads the
//! short keys evenly.

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Hashes `bytes` with a `seed` that separates token families.
pub(crate) fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = FNV_OFFSET ^ seed.wrapping_mul(FNV_PRIME);
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    fmix(h)
}

/// Combines two word hashes and their distance into one OSB token.
pub(crate) fn combine(first: u64, second: u64, distance: u64) -> u64 {
    fmix(
        first.wrapping_mul(0x9e37_79b9_7f4a_7c15)
            ^ second.rotate_left(23)
            ^ distance.wrapping_mul(0xc2b2_ae3d_27d4_eb4f),
    )
}

fn fmix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    const PINNED: u64 = 1_386_941_121_199_962_112;

    #[test]
    fn stable_values() {
        // Pinned: a change here invalidates every stored model.
        assert_eq!(hash_bytes(0, b"viagra"), hash_bytes(0, b"viagra"));
        assert_ne!(hash_bytes(0, b"viagra"), hash_bytes(1, b"viagra"));
        assert_eq!(hash_bytes(0, b"viagra"), PINNED);
        assert_ne!(combine(1, 2, 1), combine(2, 1, 1));
        assert_ne!(combine(1, 2, 1), combine(1, 2, 2));
    }
}

/// A `Hasher` for keys that are already token hashes: it passes the `u64`
/// through (with one multiply for keys written another way), which makes
/// the classifier's maps several times faster than with SipHash.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct TokenHasher(u64);

impl std::hash::Hasher for TokenHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 ^= v;
    }
}

/// Build hasher for maps keyed by tokens.
pub(crate) type TokenBuild = std::hash::BuildHasherDefault<TokenHasher>;
/// A map keyed by tokens.
pub(crate) type TokenMap<V> = std::collections::HashMap<u64, V, TokenBuild>;
/// A set of tokens.
pub(crate) type TokenSet = std::collections::HashSet<u64, TokenBuild>;
