//! Base64 (RFC 4648) as DKIM uses it: the encoder writes no line breaks, the
//! decoder skips folding white space inside the value (RFC 6376 section 3.5,
//! `b=` and `bh=` may be folded).

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encodes `data` with padding and no line breaks.
pub(crate) fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        let sym = |shift: u32| char::from(ALPHABET[((n >> shift) & 63) as usize]);
        out.push(sym(18));
        out.push(sym(12));
        out.push(if chunk.len() > 1 { sym(6) } else { '=' });
        out.push(if chunk.len() > 2 { sym(0) } else { '=' });
    }
    out
}

/// Decoding table: the 6-bit value of each alphabet byte, or one of the
/// markers below.
const DECODE: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t[b' ' as usize] = SPACE;
    t[b'\t' as usize] = SPACE;
    t[b'\r' as usize] = SPACE;
    t[b'\n' as usize] = SPACE;
    t[b'=' as usize] = PAD;
    t
};
const INVALID: u8 = 0xff;
const SPACE: u8 = 0xfe;
const PAD: u8 = 0xfd;

/// Decodes base64, skipping spaces, tabs, CR and LF anywhere. Padding is
/// optional; anything after padding other than white space or more `=` is an
/// error, as is any character outside the alphabet.
pub(crate) fn decode(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut padded = false;
    let mut rest = text;
    loop {
        // Whole quads of alphabet bytes, the usual case, three bytes at a time.
        while let Some((quad, after)) = rest.split_first_chunk::<4>() {
            let [a, b, c, d] = quad.map(|c| DECODE[usize::from(c)]);
            if (a | b | c | d) >= 64 || bits != 0 || padded {
                break;
            }
            let n =
                (u32::from(a) << 18) | (u32::from(b) << 12) | (u32::from(c) << 6) | u32::from(d);
            out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
            rest = after;
        }
        // Then one byte at a time: white space, padding, a quad cut by folding.
        let Some((&c, after)) = rest.split_first() else {
            break;
        };
        rest = after;
        let v = DECODE[usize::from(c)];
        if v < 64 {
            if padded {
                return None;
            }
            acc = (acc << 6) | u32::from(v);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
            continue;
        }
        match v {
            SPACE => {}
            PAD => padded = true,
            _ => return None,
        }
    }
    // Six leftover bits can never come from whole bytes.
    if bits >= 6 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain bit-by-bit decoder the fast one must agree with.
    fn reference(text: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let (mut acc, mut bits, mut padded) = (0u32, 0u32, false);
        for &c in text {
            match c {
                b' ' | b'\t' | b'\r' | b'\n' => continue,
                b'=' => {
                    padded = true;
                    continue;
                }
                _ if padded => return None,
                _ => {}
            }
            let v = ALPHABET.iter().position(|&a| a == c)? as u32;
            acc = (acc << 6) | v;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        (bits < 6).then_some(out)
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_reference(text in proptest::collection::vec(
            proptest::sample::select(b"AZaz09+/= \r\n\t!Qx".to_vec()), 0..80)) {
            proptest::prop_assert_eq!(decode(&text), reference(&text));
        }

        #[test]
        fn folded_round_trip(
            data in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
            folds in proptest::collection::vec(0usize..300, 0..6),
        ) {
            let mut text = encode(&data).into_bytes();
            let mut folds = folds;
            folds.sort_unstable();
            for f in folds.into_iter().rev() {
                let at = f.min(text.len());
                text.splice(at..at, b"\r\n\t".iter().copied());
            }
            proptest::prop_assert_eq!(decode(&text), Some(data));
        }
    }

    #[test]
    fn round_trip() {
        for n in 0..40u8 {
            let data: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            let text = encode(&data);
            assert_eq!(decode(text.as_bytes()).unwrap(), data);
        }
        assert_eq!(encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(encode(b"fo"), "Zm8=");
        assert_eq!(decode(b"Zm9v\r\n YmE=").unwrap(), b"fooba");
        assert_eq!(decode(b"Zm9vYmE").unwrap(), b"fooba");
        assert!(decode(b"Zm9v!").is_none());
        assert!(decode(b"Zm==9v").is_none());
        assert!(decode(b"Z").is_none());
    }
}
