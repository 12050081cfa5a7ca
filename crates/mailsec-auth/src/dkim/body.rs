//! Streaming body canonicalization and hashing (RFC 6376 section 3.4.3,
//! 3.4.4 and 3.7).
//!
//! The canonicalizer works on the bytes as they come, in chunks of any size,
//! without allocating: it scans eight bytes at a time for the few bytes that
//! canonicalization may change (white space, line ends) and hands the
//! untouched stretches between them straight to the hash. Line ends may be
//! CRLF or a bare LF (taken as CRLF); a bare CR is an ordinary byte.

use ring::digest;

use super::{Canonicalization, HashAlgorithm};

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;
const CRLFS: &[u8; 64] = b"\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n";

/// High bit set in each byte of `x` below `n` (`n` at most 0x80).
#[inline(always)]
fn below(x: u64, n: u8) -> u64 {
    let ge = ((x & !HI).wrapping_add(LO * u64::from(0x80 - n)) | x) & HI;
    !ge & HI
}

/// High bit set in each byte of `x` equal to `c`.
#[inline(always)]
fn equal(x: u64, c: u8) -> u64 {
    let y = x ^ (LO * u64::from(c));
    !(((y & !HI).wrapping_add(!HI)) | y | !HI)
}

#[inline(always)]
fn word(b: &[u8], i: usize) -> Option<u64> {
    let bytes: [u8; 8] = b.get(i..i + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// Whether the 32 bytes `w[2..34]` (with two bytes of context on each side)
/// need no attention from relaxed canonicalization: every byte below 0x21 is
/// either a single space before a visible byte, or part of a CRLF that ends a
/// line of content (a visible byte before it) and is followed by a visible
/// byte. Such a stretch is hashed exactly as it is. Written lane by lane so
/// that the compiler turns it into SIMD compares (SSE2 on x86-64) without
/// `unsafe`.
#[inline(always)]
fn relaxed_block_clean(w: &[u8; 36]) -> bool {
    let mut acc = 0u8;
    for k in 0..32 {
        let (pp, p, c, n, nn) = (w[k], w[k + 1], w[k + 2], w[k + 3], w[k + 4]);
        let low = u8::from(c < 0x21);
        let visible_next = u8::from(n >= 0x21);
        let space = u8::from(c == b' ') & visible_next;
        let cr = u8::from(c == b'\r')
            & u8::from(p >= 0x21)
            & u8::from(n == b'\n')
            & u8::from(nn >= 0x21);
        let lf = u8::from(c == b'\n') & u8::from(p == b'\r') & u8::from(pp >= 0x21) & visible_next;
        acc |= low & !(space | cr | lf);
    }
    acc == 0
}

/// Whether a 32-byte block holds no CR and no LF (see [`relaxed_block_clean`]).
#[inline(always)]
fn simple_block_clean(w: &[u8; 32]) -> bool {
    let mut acc = 0u8;
    for &c in w {
        acc |= u8::from(c == b'\r') | u8::from(c == b'\n');
    }
    acc == 0
}

/// Position of the next byte at or after `i` that relaxed canonicalization
/// must look at: any byte below 0x21 except a single space followed by a
/// visible byte.
#[inline]
fn scan_relaxed(b: &[u8], mut i: usize) -> usize {
    // Skip clean 32-byte blocks fast; the word loop below finds the byte in
    // the first block that is not clean.
    while let Some(w) = i
        .checked_sub(2)
        .and_then(|from| b.get(from..from + 36))
        .and_then(|w| <&[u8; 36]>::try_from(w).ok())
    {
        if !relaxed_block_clean(w) {
            break;
        }
        // A CR in the last lane was accepted for the LF after the block: step
        // back one byte so that the CRLF is never split between two scans.
        i += if w[33] == b'\r' { 31 } else { 32 };
    }
    while let Some(w) = word(b, i) {
        let low = below(w, 0x21);
        if low != 0 {
            let next_low = match b.get(i + 8) {
                Some(&n) if n >= 0x21 => 0,
                _ => 1 << 63,
            };
            let after = (low >> 8) | next_low;
            let bad = low & !(equal(w, b' ') & !after);
            if bad != 0 {
                return i + (bad.trailing_zeros() / 8) as usize;
            }
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c < 0x21 && !(c == b' ' && b.get(i + 1).is_some_and(|&n| n >= 0x21)) {
            return i;
        }
        i += 1;
    }
    i
}

/// Position of the next CR or LF at or after `i`.
#[inline]
fn scan_simple(b: &[u8], mut i: usize) -> usize {
    while let Some(w) = b.get(i..i + 32).and_then(|w| <&[u8; 32]>::try_from(w).ok()) {
        if !simple_block_clean(w) {
            break;
        }
        i += 32;
    }
    while let Some(w) = word(b, i) {
        let bad = equal(w, b'\r') | equal(w, b'\n');
        if bad != 0 {
            return i + (bad.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'\r' || c == b'\n' {
            return i;
        }
        i += 1;
    }
    i
}

/// Canonicalizes a message body and hashes it, chunk by chunk.
///
/// Feeding the body in any number of chunks gives the same result as
/// feeding it at once.
///
/// ```
/// use mailsec_auth::dkim::{BodyHasher, Canonicalization, HashAlgorithm};
///
/// let mut h = BodyHasher::new(Canonicalization::Relaxed, HashAlgorithm::Sha256, None);
/// h.update(b"Hi.\r\n\r\nWe lost the game. Are you hungry yet?\r\n\r\nJoe.\r\n\r\n");
/// let hash = h.finish();
/// assert_eq!(hash.canonical_len(), 54);
/// ```
pub struct BodyHasher {
    canon: Canonicalization,
    pub(crate) hash_algorithm: HashAlgorithm,
    ctx: digest::Context,
    limit: Option<u64>,
    hashed: u64,
    total: u64,
    /// White space seen and not yet written (relaxed).
    wsp: bool,
    /// Line ends of empty lines not yet written.
    crlf: u64,
    /// The previous chunk ended with a CR.
    cr: bool,
    /// The current line has content.
    line_content: bool,
    #[cfg(test)]
    out: Vec<u8>,
}

impl std::fmt::Debug for BodyHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyHasher")
            .field("canon", &self.canon)
            .field("limit", &self.limit)
            .field("canonical_len", &self.total)
            .finish_non_exhaustive()
    }
}

/// The result of [`BodyHasher::finish`].
#[derive(Debug, Clone)]
pub struct BodyHash {
    digest: digest::Digest,
    hashed_len: u64,
    canonical_len: u64,
}

impl BodyHash {
    /// The hash of the canonical body (of its first `l=` bytes when a limit was set).
    pub fn digest(&self) -> &[u8] {
        self.digest.as_ref()
    }

    /// How many canonical bytes were hashed.
    pub fn hashed_len(&self) -> u64 {
        self.hashed_len
    }

    /// The length of the whole canonical body.
    pub fn canonical_len(&self) -> u64 {
        self.canonical_len
    }
}

impl BodyHasher {
    /// A hasher for one canonicalization and hash algorithm; `limit` is the
    /// `l=` value (hash only that many canonical bytes), if any.
    pub fn new(canon: Canonicalization, hash: HashAlgorithm, limit: Option<u64>) -> Self {
        BodyHasher {
            canon,
            hash_algorithm: hash,
            ctx: digest::Context::new(hash.ring()),
            limit,
            hashed: 0,
            total: 0,
            wsp: false,
            crlf: 0,
            cr: false,
            line_content: false,
            #[cfg(test)]
            out: Vec::new(),
        }
    }

    /// The canonicalization this hasher applies.
    pub fn canonicalization(&self) -> Canonicalization {
        self.canon
    }

    /// The `l=` limit this hasher applies.
    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    #[inline]
    fn emit(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let len = bytes.len() as u64;
        self.total += len;
        #[cfg(test)]
        self.out.extend_from_slice(bytes);
        match self.limit {
            None => {
                self.hashed += len;
                self.ctx.update(bytes);
            }
            Some(limit) => {
                let room = limit.saturating_sub(self.hashed).min(len);
                if room > 0 {
                    self.hashed += room;
                    self.ctx
                        .update(bytes.get(..room as usize).unwrap_or_default());
                }
            }
        }
    }

    /// Writes content, after any pending empty lines and white space.
    #[inline]
    fn emit_content(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        while self.crlf > 0 {
            let n = self.crlf.min(32);
            self.emit(CRLFS.get(..(n * 2) as usize).unwrap_or_default());
            self.crlf -= n;
        }
        if self.wsp {
            self.wsp = false;
            self.emit(b" ");
        }
        self.emit(bytes);
    }

    /// A line end (CRLF or bare LF) that is not inside a span.
    fn line_end(&mut self) {
        self.wsp = false;
        if self.line_content {
            self.line_content = false;
            self.emit(b"\r\n");
        } else {
            self.crlf += 1;
        }
    }

    /// Feeds the next chunk of the body.
    pub fn update(&mut self, chunk: &[u8]) {
        let relaxed = self.canon == Canonicalization::Relaxed;
        let mut i = 0;
        if self.cr {
            self.cr = false;
            if chunk.first() == Some(&b'\n') {
                self.line_end();
                i = 1;
            } else if !chunk.is_empty() {
                self.emit_content(b"\r");
                self.line_content = true;
            } else {
                self.cr = true;
                return;
            }
        }
        if relaxed && self.wsp {
            while matches!(chunk.get(i), Some(b' ' | b'\t')) {
                i += 1;
            }
        }
        let len = chunk.len();
        let mut s = i; // start of the span written verbatim
        loop {
            let j = if relaxed {
                scan_relaxed(chunk, i)
            } else {
                scan_simple(chunk, i)
            };
            if j > i {
                self.line_content = true;
            }
            let Some(&c) = chunk.get(j) else {
                break;
            };
            match c {
                b' ' | b'\t' if relaxed => {
                    let mut k = j + 1;
                    while matches!(chunk.get(k), Some(b' ' | b'\t')) {
                        k += 1;
                    }
                    let single = c == b' ' && k == j + 1;
                    if single && chunk.get(k).is_some_and(|&n| n != b'\r' && n != b'\n') {
                        // One space before content stays as it is.
                        i = k;
                    } else {
                        // A run to reduce, or white space that a line end may
                        // drop: keep it pending.
                        self.emit_content(chunk.get(s..j).unwrap_or_default());
                        self.wsp = true;
                        s = k;
                        i = k;
                    }
                }
                b'\r' => match chunk.get(j + 1) {
                    None => {
                        self.emit_content(chunk.get(s..j).unwrap_or_default());
                        self.cr = true;
                        s = len;
                        i = len;
                    }
                    Some(b'\n') => {
                        if s == j {
                            self.wsp = false;
                        }
                        if self.line_content {
                            self.line_content = false;
                            i = j + 2;
                        } else {
                            self.emit_content(chunk.get(s..j).unwrap_or_default());
                            self.crlf += 1;
                            s = j + 2;
                            i = j + 2;
                        }
                    }
                    Some(_) => {
                        self.line_content = true;
                        i = j + 1;
                    }
                },
                b'\n' => {
                    self.emit_content(chunk.get(s..j).unwrap_or_default());
                    self.line_end();
                    s = j + 1;
                    i = j + 1;
                }
                _ => {
                    self.line_content = true;
                    i = j + 1;
                }
            }
        }
        self.emit_content(chunk.get(s..).unwrap_or_default());
    }

    /// Ends the body and returns its hash.
    pub fn finish(mut self) -> BodyHash {
        if self.cr {
            self.cr = false;
            self.emit_content(b"\r");
            self.line_content = true;
        }
        self.wsp = false;
        if self.line_content || (self.canon == Canonicalization::Simple && self.total == 0) {
            self.crlf = 0;
            self.emit(b"\r\n");
        }
        BodyHash {
            digest: self.ctx.finish(),
            hashed_len: self.hashed,
            canonical_len: self.total,
        }
    }
}

/// The canonical form of a whole body (for tests and tools; the verifier and
/// signer hash without building it).
pub fn canonical_body(canon: Canonicalization, body: &[u8]) -> Vec<u8> {
    // A reference implementation, line by line, kept simple on purpose: the
    // property tests compare the streaming hasher against it.
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let (line, after) = match rest.iter().position(|&c| c == b'\n') {
            Some(p) => (
                rest.get(..p).unwrap_or_default(),
                rest.get(p + 1..).unwrap_or_default(),
            ),
            None => (rest, &[][..]),
        };
        let terminated = rest.contains(&b'\n');
        let line = if terminated {
            line.strip_suffix(b"\r").unwrap_or(line)
        } else {
            line
        };
        let line = match canon {
            Canonicalization::Simple => line.to_vec(),
            Canonicalization::Relaxed => {
                let mut out = Vec::new();
                let mut ws = false;
                for &c in line {
                    if c == b' ' || c == b'\t' {
                        ws = true;
                    } else {
                        if ws {
                            out.push(b' ');
                            ws = false;
                        }
                        out.push(c);
                    }
                }
                out
            }
        };
        lines.push(line);
        rest = after;
    }
    while lines.last().is_some_and(Vec::is_empty) {
        lines.pop();
    }
    let mut out = Vec::new();
    for line in &lines {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    if out.is_empty() && canon == Canonicalization::Simple {
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stream_out(canon: Canonicalization, body: &[u8]) -> Vec<u8> {
        let mut h = BodyHasher::new(canon, HashAlgorithm::Sha256, None);
        h.update(body);
        let out = h.out.clone();
        let _ = h.finish();
        out
    }

    #[test]
    fn debug_out() {
        let body = b" C \r\nD \t E\r\n\r\n\r\n";
        assert_eq!(
            String::from_utf8_lossy(&stream_out(Canonicalization::Relaxed, body)),
            " C\r\nD E\r\n"
        );
    }

    fn hash_chunks(canon: Canonicalization, body: &[u8], cuts: &[usize]) -> (Vec<u8>, u64) {
        let mut h = BodyHasher::new(canon, HashAlgorithm::Sha256, None);
        let mut last = 0;
        for &c in cuts {
            let c = c.min(body.len()).max(last);
            h.update(&body[last..c]);
            last = c;
        }
        h.update(&body[last..]);
        let r = h.finish();
        (r.digest().to_vec(), r.canonical_len())
    }

    fn reference(canon: Canonicalization, body: &[u8]) -> (Vec<u8>, u64) {
        let c = canonical_body(canon, body);
        (
            digest::digest(&digest::SHA256, &c).as_ref().to_vec(),
            c.len() as u64,
        )
    }

    #[test]
    fn rfc_examples() {
        // RFC 6376 section 3.4.6.
        let body = b" C \r\nD \t E\r\n\r\n\r\n";
        assert_eq!(
            canonical_body(Canonicalization::Relaxed, body),
            b" C\r\nD E\r\n"
        );
        assert_eq!(
            canonical_body(Canonicalization::Simple, body),
            b" C \r\nD \t E\r\n"
        );
        for canon in [Canonicalization::Simple, Canonicalization::Relaxed] {
            assert_eq!(hash_chunks(canon, body, &[]), reference(canon, body));
        }
        assert_eq!(canonical_body(Canonicalization::Simple, b""), b"\r\n");
        assert_eq!(canonical_body(Canonicalization::Relaxed, b""), b"");
        // The empty-body hashes of RFC 6376 section 3.4.3 and 3.4.4.
        let empty = |c| crate::dkim::base64::encode(&hash_chunks(c, b"", &[]).0);
        assert_eq!(
            empty(Canonicalization::Simple),
            "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY="
        );
        assert_eq!(
            empty(Canonicalization::Relaxed),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn limits() {
        let mut h = BodyHasher::new(Canonicalization::Simple, HashAlgorithm::Sha256, Some(3));
        h.update(b"abcdef\r\n");
        let r = h.finish();
        assert_eq!((r.hashed_len(), r.canonical_len()), (3, 8));
        assert_eq!(r.digest(), digest::digest(&digest::SHA256, b"abc").as_ref());
    }

    fn body_strategy() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop::sample::select(vec![b'a', b'b', b' ', b'\t', b'\r', b'\n', b'x', 0u8, 0xff]),
            0..200,
        )
    }

    /// Mail-like text: lines of words with single spaces, mostly CRLF line
    /// ends, now and then trailing white space, runs of spaces, bare LF or CR,
    /// empty lines; so that whole 32-byte blocks are clean (line ends
    /// included) and the block scan is exercised around its edges.
    fn texty_body_strategy() -> impl Strategy<Value = Vec<u8>> {
        let word = prop::sample::select(vec![
            &b"a"[..],
            b"the",
            b"quarterly",
            b"figures,",
            b"x",
            b"0xff\xff",
            b"\x00",
        ]);
        let sep = prop::sample::select(vec![
            &b" "[..],
            b" ",
            b" ",
            b" ",
            b" ",
            b"  ",
            b"\t",
            b" \t",
        ]);
        let end = prop::sample::select(vec![
            &b"\r\n"[..],
            b"\r\n",
            b"\r\n",
            b"\r\n",
            b"\n",
            b"\r",
            b" \r\n",
            b"\t\r\n",
            b"",
        ]);
        let line = (prop::collection::vec((word, sep), 0..12), end).prop_map(|(words, end)| {
            let mut l = Vec::new();
            for (i, (w, s)) in words.iter().enumerate() {
                if i > 0 {
                    l.extend_from_slice(s);
                }
                l.extend_from_slice(w);
            }
            l.extend_from_slice(end);
            l
        });
        prop::collection::vec(line, 0..14).prop_map(|lines| lines.concat())
    }

    proptest! {
        #[test]
        fn texty_any_chunking_equals_reference(
            body in texty_body_strategy(),
            cuts in prop::collection::vec(0usize..1200, 0..8),
        ) {
            let mut cuts = cuts;
            cuts.sort_unstable();
            for canon in [Canonicalization::Simple, Canonicalization::Relaxed] {
                let reference = reference(canon, &body);
                prop_assert_eq!(&hash_chunks(canon, &body, &[]), &reference);
                prop_assert_eq!(&hash_chunks(canon, &body, &cuts), &reference);
            }
        }

        #[test]
        fn any_chunking_equals_one_shot(
            body in body_strategy(),
            cuts in prop::collection::vec(0usize..200, 0..8),
        ) {
            let mut cuts = cuts;
            cuts.sort_unstable();
            for canon in [Canonicalization::Simple, Canonicalization::Relaxed] {
                let one = hash_chunks(canon, &body, &[]);
                prop_assert_eq!(&one, &reference(canon, &body));
                prop_assert_eq!(&hash_chunks(canon, &body, &cuts), &one);
            }
        }

        #[test]
        fn byte_by_byte_equals_one_shot(body in body_strategy()) {
            let cuts: Vec<usize> = (0..body.len()).collect();
            for canon in [Canonicalization::Simple, Canonicalization::Relaxed] {
                prop_assert_eq!(hash_chunks(canon, &body, &cuts), reference(canon, &body));
            }
        }

        #[test]
        fn relaxed_is_idempotent(body in body_strategy()) {
            let once = canonical_body(Canonicalization::Relaxed, &body);
            prop_assert_eq!(canonical_body(Canonicalization::Relaxed, &once), once.clone());
        }
    }
}
