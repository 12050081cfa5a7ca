//! The content model: what the words of a message say.
//!
//! A compact linear classifier over hashed word unigrams and adjacent
//! bigrams of the text the checker already reads (Subject, text parts,
//! visible HTML text including anchor texts). Words are lower-cased; digits
//! are folded to a shape (`a1b2` → `a0b0`, `123` → `000`); four-digit
//! numbers (years, time zones, times) are dropped, as
//! are whole chunks between spaces that are addresses, URLs or dates and
//! times (`://`, `@` or `www.` in them; a digit with `:` or `/`, or digits
//! around `-`), so neither the era of a text nor its links' hosts and
//! schemes are learned (links are judged by the link checks); CJK and
//! Thai characters, written without spaces, are one token each (their
//! bigrams are then character bigrams); tokens longer than
//! [`MAX_TOKEN_CHARS`] characters (encoded blobs, identifiers) are skipped.
//!
//! Each token and bigram is hashed (FNV-1a, then a 32-bit finaliser) into
//! one of `2^bits` buckets holding a weight quantised to `i8`. The log-odds
//! are `bias + scale · Σ w[bucket] / √d` over the `d` *distinct* buckets the
//! unigrams and bigrams of the text fall in (binary features: a word said
//! ten times counts once, so repetition does not sharpen the score): one
//! pass over the text, one bitmap of seen buckets per message. The sender's
//! display name adds its own tokens, tagged ([`for_each_name_token`]).
//! A model may also read the character n-grams of each word
//! ([`for_each_char_ngram`], [`TextModel::with_char_ngrams`]; the shipped
//! model reads 4-grams), hashed into the same buckets: each new word's,
//! for the first [`MAX_NGRAM_WORDS`] new words of a message.
//!
//! The weights are learned offline (`examples/train_message_model.rs`:
//! class-balanced L2 logistic regression on the same binary `1 / √d`
//! features) and shipped as `data/text_model.bin`. Its log-odds are one
//! feature of the message model (`content_words`); when the message model
//! fires, [`TextModel::top_words`] names the words that pushed most.

use crate::LinksError;
use crate::extract::word_at;
use crate::model::sigmoid;

/// The weights shipped with the crate.
const SHIPPED: &[u8] = include_bytes!("../data/text_model.bin");

/// The first bytes of the weight file (words and pairs only).
const MAGIC: &[u8] = b"mailsec-text-model 1\n";

/// The first bytes of the weight file of a model with character n-grams.
const MAGIC_2: &[u8] = b"mailsec-text-model 2\n";

/// Tokens longer than this (in characters) are skipped.
pub const MAX_TOKEN_CHARS: usize = 24;

/// Smallest and largest number of hash bits a model may use.
const BITS: std::ops::RangeInclusive<u32> = 10..=24;

/// Salt that keeps bigram hashes apart from unigram hashes.
const BIGRAM_SALT: u32 = 0x9e37_79b9;

/// The content model: a linear model over hashed words and adjacent word
/// pairs of a message's text (Subject, text parts, visible HTML text).
///
/// Words are lower-cased, digits folded to a shape; four-digit numbers and
/// whole chunks that are addresses, URLs, dates or times are skipped (see
/// [`for_each_token`]). Each token and pair falls in one of `2^bits`
/// buckets holding an `i8` weight; the log-odds are
/// `bias + scale · Σ w / √d` over the `d` distinct buckets of the tokens and
/// pairs (each counted once) — one pass over the text. The checker uses its log-odds as the message
/// feature `content_words`; [`TextModel::top_words`] explains it.
///
/// ```
/// use mailsec_links::TextModel;
///
/// let model = TextModel::shipped()?;
/// let lure = model.log_odds("Congratulations! Claim your reward today, offer ends soon");
/// let chat = model.log_odds("Re: the build broke again, I think the patch I sent yesterday is wrong");
/// assert!(lure > chat);
/// # Ok::<(), mailsec_links::LinksError>(())
/// ```
#[derive(Clone)]
pub struct TextModel {
    bits: u32,
    weights: Vec<i8>,
    scale: f32,
    bias: f32,
    /// In-word character n-gram lengths `(min, max)`, if read.
    char_ngrams: Option<(u8, u8)>,
}

impl std::fmt::Debug for TextModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextModel")
            .field("bits", &self.bits)
            .field("scale", &self.scale)
            .field("bias", &self.bias)
            .field("char_ngrams", &self.char_ngrams)
            .finish_non_exhaustive()
    }
}

/// One token (or pair of adjacent tokens) of a text: its bucket-independent
/// hash and the byte range it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// 32-bit hash of the token (a pair hashes both tokens).
    pub hash: u32,
    /// Start byte of the token (of the first token of a pair).
    pub start: usize,
    /// End byte (exclusive).
    pub end: usize,
    /// Whether this is a pair of adjacent tokens.
    pub bigram: bool,
}

impl Token {
    /// The bucket of this token in a table of `2^bits` entries.
    pub fn bucket(&self, bits: u32) -> usize {
        (self.hash >> (32 - bits.clamp(1, 32))) as usize
    }
}

/// The per-thread scratch of [`TextModel::message_log_odds`]: the bitmap of
/// seen buckets and the list of the buckets set in it.
struct Scratch {
    seen: Vec<u64>,
    buckets: Vec<u32>,
}

thread_local! {
    /// Reused across messages on a thread (a fresh 32 KiB zeroed
    /// allocation per message cost more than clearing). Only the bits a
    /// message set are cleared, by the next message, through their list.
    static SEEN: std::cell::RefCell<Scratch> = const {
        std::cell::RefCell::new(Scratch { seen: Vec::new(), buckets: Vec::new() })
    };
}

/// The distinct buckets of one message.
struct Bag<'a> {
    /// One bit per bucket: already counted.
    seen: &'a mut [u64],
    /// The buckets counted, in the order first met.
    buckets: &'a mut Vec<u32>,
    /// `32 - bits`: a hash's bucket is its top bits.
    shift: u32,
}

impl Bag<'_> {
    /// Count the bucket of `hash`; whether it is new to this message.
    #[inline(always)]
    fn add(&mut self, hash: u32) -> bool {
        let b = hash >> self.shift;
        let Some(word) = self.seen.get_mut((b / 64) as usize) else {
            return false;
        };
        let bit = 1u64 << (b % 64);
        if *word & bit != 0 {
            return false;
        }
        // Listed before the bit is set: the list covers every set bit.
        self.buckets.push(b);
        *word |= bit;
        true
    }

    /// Count the buckets of the character n-grams of `word` (out of line:
    /// read for new words only, it keeps the per-token path small).
    #[inline(never)]
    fn add_char_ngrams(&mut self, word: &str, min: usize, max: usize) {
        for_each_char_ngram(word, min, max, |h| {
            self.add(h);
        });
    }
}

/// Murmur3's 32-bit finaliser.
fn fmix(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

const FNV_OFFSET: u32 = 0x811c_9dc5;
const FNV_PRIME: u32 = 0x0100_0193;

fn fnv_char(h: u32, c: char) -> u32 {
    let mut h = h;
    let mut buf = [0u8; 4];
    for b in c.encode_utf8(&mut buf).bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// Scripts written without spaces between words: each character is a token.
fn is_unspaced(c: char) -> bool {
    matches!(u32::from(c),
        0x0E00..=0x0E7F      // Thai
        | 0x0E80..=0x0EFF    // Lao
        | 0x1000..=0x109F    // Myanmar
        | 0x1780..=0x17FF    // Khmer
        | 0x3040..=0x30FF    // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0xFF66..=0xFF9F    // half-width Katakana
        | 0x20000..=0x2FFFF) // CJK extensions B..
}

/// Where the tokenizer hands its tokens and pairs.
trait Sink {
    /// One token or pair.
    fn token(&mut self, t: Token);
}

/// The sink of [`for_each_token`]: a closure.
struct Each<F>(F);

impl<F: FnMut(Token)> Sink for Each<F> {
    #[inline(always)]
    fn token(&mut self, t: Token) {
        (self.0)(t)
    }
}

/// The sink of [`TextModel::message_log_odds`]: counts each token's bucket
/// and, for the first [`MAX_NGRAM_WORDS`] words whose bucket is new, their
/// character n-grams' buckets (inlined into the tokenizer's loop).
struct Counter<'a, 't> {
    bag: Bag<'a>,
    text: &'t str,
    /// The model's n-gram lengths, if it reads them.
    ngrams: Option<(usize, usize)>,
    /// Words whose n-grams were read.
    words: usize,
}

impl Sink for Counter<'_, '_> {
    #[inline(always)]
    fn token(&mut self, t: Token) {
        if self.bag.add(t.hash)
            && !t.bigram
            && let Some((min, max)) = self.ngrams
            && self.words < MAX_NGRAM_WORDS
        {
            self.words += 1;
            let word = self.text.get(t.start..t.end).unwrap_or_default();
            self.bag.add_char_ngrams(word, min, max);
        }
    }
}

/// The tokenizer's state: the token being read and the previous kept token.
struct Reader<'s, S: Sink> {
    f: &'s mut S,
    /// Tokens and pairs given so far.
    n: usize,
    /// Hash of the token being read (FNV-1a so far).
    hash: u32,
    start: usize,
    chars: usize,
    digits: usize,
    /// The previous kept token (hash, start), for pairs.
    prev: Option<(u32, usize)>,
}

impl<S: Sink> Reader<'_, S> {
    #[inline(always)]
    fn push(&mut self, i: usize, folded: u8) {
        if self.chars == 0 {
            self.start = i;
        }
        self.chars += 1;
        self.hash = (self.hash ^ u32::from(folded)).wrapping_mul(FNV_PRIME);
    }

    /// End the token being read at byte `end`.
    #[inline(always)]
    fn emit(&mut self, end: usize) {
        if self.chars == 0 {
            return;
        }
        let four_digits = self.digits == 4 && self.chars == 4;
        if self.chars > MAX_TOKEN_CHARS || four_digits {
            self.prev = None;
        } else {
            let h = fmix(self.hash);
            self.f.token(Token {
                hash: h,
                start: self.start,
                end,
                bigram: false,
            });
            self.n += 1;
            if let Some((p, pstart)) = self.prev {
                self.f.token(Token {
                    hash: fmix(p.wrapping_mul(BIGRAM_SALT) ^ h ^ BIGRAM_SALT),
                    start: pstart,
                    end,
                    bigram: true,
                });
                self.n += 1;
            }
            self.prev = Some((h, self.start));
        }
        self.hash = FNV_OFFSET;
        self.chars = 0;
        self.digits = 0;
    }
}

const OTHER: u8 = 0;
const SPACE: u8 = 1;
const ALPHA: u8 = 2;
const DIGIT: u8 = 3;
const CONTINUATION: u8 = 4;
const LEAD: u8 = 5;

/// The class of each byte (ASCII whitespace as `u8::is_ascii_whitespace`).
const CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut b = 0usize;
    while b < 256 {
        t[b] = match b as u8 {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => SPACE,
            b'a'..=b'z' | b'A'..=b'Z' => ALPHA,
            b'0'..=b'9' => DIGIT,
            0x80..=0xBF => CONTINUATION,
            0xC0..=0xFF => LEAD,
            _ => OTHER,
        };
        b += 1;
    }
    t
};

/// What [`chunk_at`] looks at in a byte: nothing (0), the end of the
/// chunk (ASCII white space), a digit, `@`, `:`, `/` or `-`.
const CHUNK_END: u8 = 1;
const CHUNK_DIGIT: u8 = 2;
const CHUNK_AT: u8 = 3;
const CHUNK_COLON: u8 = 4;
const CHUNK_SLASH: u8 = 5;
const CHUNK_DASH: u8 = 6;
const CHUNK: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0usize;
    while b < 256 {
        t[b] = match b as u8 {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => CHUNK_END,
            b'0'..=b'9' => CHUNK_DIGIT,
            b'@' => CHUNK_AT,
            b':' => CHUNK_COLON,
            b'/' => CHUNK_SLASH,
            b'-' => CHUNK_DASH,
            _ => 0,
        };
        b += 1;
    }
    t
};

/// The high bit of each byte of `x` that is below 0x41 (`A`), in the
/// lowest such byte exactly (bytes above it may be flagged by the borrow,
/// so only the lowest flag is read).
#[inline(always)]
fn below_a(x: u64) -> u64 {
    x.wrapping_sub(0x4141_4141_4141_4141) & !x & 0x8080_8080_8080_8080
}

/// Whether the chunk of text starting at `at` (up to the next ASCII
/// space) is an address, a URL or a date or time, skipped whole; and where
/// it ends.
///
/// Every byte [`CHUNK`] looks at is below `A` (0x41); letters, other
/// punctuation and non-ASCII bytes are passed eight at a time. The scan
/// starts at `from` (≥ `at`): the caller has read ASCII letters up to there.
#[inline]
fn chunk_at(bytes: &[u8], at: usize, from: usize) -> (bool, usize) {
    let chunk = bytes.get(at..).unwrap_or_default();
    let mut skip = matches!(chunk.first(), Some(b'w' | b'W'))
        && chunk
            .get(..4)
            .is_some_and(|c| c.eq_ignore_ascii_case(b"www."));
    let mut digit = false;
    let mut i = from.saturating_sub(at);
    loop {
        while let Some(x) = word_at(chunk, i) {
            let m = below_a(x);
            if m != 0 {
                i += (m.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        let Some(&b) = chunk.get(i) else {
            return (skip, at + chunk.len());
        };
        match CHUNK.get(usize::from(b)).copied().unwrap_or(0) {
            0 => {}
            CHUNK_END => return (skip, at + i),
            CHUNK_DIGIT => digit = true,
            CHUNK_AT => skip = true,
            CHUNK_COLON => skip |= digit || chunk.get(i + 1..i + 3) == Some(b"//"),
            CHUNK_SLASH => skip |= digit,
            CHUNK_DASH => skip |= digit && chunk.get(i + 1).is_some_and(u8::is_ascii_digit),
            _ => {}
        }
        i += 1;
    }
}

/// Call `f` for every token and adjacent pair of `text`, in order (a pair
/// right after its second token). Returns how many were given.
///
/// Tokens are runs of letters and digits, lower-cased, digits folded to
/// `0`; soft hyphens and zero-width characters do not split them. CJK,
/// kana, Thai, Lao, Myanmar and Khmer characters are one token each. Not
/// given (and breaking pairs): tokens longer than [`MAX_TOKEN_CHARS`],
/// four-digit numbers, and whole space-separated chunks that contain `@`,
/// `://`, start with `www.`, or hold a digit followed by `:` or `/` or
/// digits around `-` (addresses, URLs, dates, times, phone numbers).
pub fn for_each_token(text: &str, f: impl FnMut(Token)) -> usize {
    tokenize(text, &mut Each(f))
}

/// [`for_each_token`] into a [`Sink`].
#[inline(always)]
fn tokenize<S: Sink>(text: &str, f: &mut S) -> usize {
    let bytes = text.as_bytes();
    let mut r = Reader {
        f,
        n: 0,
        hash: FNV_OFFSET,
        start: 0,
        chars: 0,
        digits: 0,
        prev: None,
    };
    let mut at_chunk_start = true;
    let mut next = 0usize;
    while let Some(&b) = bytes.get(next) {
        let i = next;
        next += 1;
        let class = CLASS.get(usize::from(b)).copied().unwrap_or(OTHER);
        if class == SPACE {
            r.emit(i);
            at_chunk_start = true;
            continue;
        }
        if class == CONTINUATION {
            // Read with its leading byte.
            continue;
        }
        if at_chunk_start {
            at_chunk_start = false;
            // A chunk that starts with ASCII letters: read them first (as
            // `push` would, one at a time). A chunk of letters only (most
            // words) cannot be skipped and needs no `chunk_at`.
            let mut from = i;
            let mut h = r.hash;
            if class == ALPHA {
                while let Some(&l) = bytes.get(from)
                    && l.is_ascii_alphabetic()
                {
                    h = (h ^ u32::from(l | 0x20)).wrapping_mul(FNV_PRIME);
                    from += 1;
                }
            }
            if from == i
                || bytes
                    .get(from)
                    .is_some_and(|&e| CLASS.get(usize::from(e)).copied() != Some(SPACE))
            {
                // The letters read are nothing to `chunk_at`: it scans on from there.
                let (skip, end) = chunk_at(bytes, i, from);
                if skip {
                    r.emit(i);
                    r.prev = None;
                    // The chunk's bytes are not read.
                    next = end.max(next);
                    continue;
                }
            }
            if from > i {
                if r.chars == 0 {
                    r.start = i;
                }
                r.chars += from - i;
                r.hash = h;
                next = from;
                continue;
            }
        }
        match class {
            ALPHA => {
                r.push(i, b | 0x20);
                // The rest of a run of ASCII letters, in a tight loop (the
                // same as one `push` each: the token has started).
                let run = next;
                let mut h = r.hash;
                while let Some(&l) = bytes.get(next)
                    && l.is_ascii_alphabetic()
                {
                    h = (h ^ u32::from(l | 0x20)).wrapping_mul(FNV_PRIME);
                    next += 1;
                }
                r.hash = h;
                r.chars += next - run;
                continue;
            }
            DIGIT => {
                r.digits += 1;
                r.push(i, b'0');
                continue;
            }
            OTHER => {
                r.emit(i);
                continue;
            }
            _ => {}
        }
        let Some(c) = text.get(i..).and_then(|s| s.chars().next()) else {
            continue;
        };
        if is_unspaced(c) {
            r.emit(i);
            r.start = i;
            r.chars = 1;
            r.hash = fnv_char(FNV_OFFSET, c);
            r.emit(i + c.len_utf8());
        } else if c.is_alphanumeric() {
            if c.is_numeric() {
                r.digits += 1;
                r.push(i, b'0');
            } else {
                if r.chars == 0 {
                    r.start = i;
                }
                r.chars += 1;
                for l in c.to_lowercase() {
                    r.hash = fnv_char(r.hash, l);
                }
            }
        } else if matches!(
            c,
            '\u{AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
        ) {
            // Soft hyphens and zero-width characters hide words from filters:
            // read through them.
        } else if c.is_whitespace() {
            r.emit(i);
            at_chunk_start = true;
        } else {
            r.emit(i);
        }
    }
    r.emit(bytes.len());
    r.n
}

/// Salt that keeps the sender name's tokens apart from the text's.
const NAME_SALT: u32 = 0x85eb_ca77;

/// [`for_each_token`] over a sender's display name: the same tokens and
/// pairs, their hashes tagged so that `support` in a From name and
/// `support` in the text are different features.
pub fn for_each_name_token(name: &str, mut f: impl FnMut(Token)) -> usize {
    for_each_token(name, |mut t| {
        t.hash = fmix(t.hash ^ NAME_SALT);
        f(t)
    })
}

/// Salt that keeps in-word character n-gram hashes apart from word hashes.
const CHAR_SALT: u32 = 0x27d4_eb2f;

/// Longest word (in characters) whose character n-grams are read.
const MAX_NGRAM_WORD: usize = 24;

/// Most distinct words of a message whose character n-grams are read (a
/// bound on their cost: about 7 µs for a text of only new words).
pub const MAX_NGRAM_WORDS: usize = 256;

/// Call `f` with the hash of every character n-gram of `word`, for `n` in
/// `min..=max` (clamped to `3..=6`), of the word framed as `<word>`: the
/// word's letters lower-cased, digits folded to `0`, soft hyphens,
/// zero-width and other non-alphanumeric characters skipped. Words shorter
/// than two characters or longer than 24 give none. Returns how many were
/// given.
///
/// These hashes are what a content model with character n-grams adds for
/// each new word of a message ([`TextModel::with_char_ngrams`]): a misspelt
/// or obfuscated word (`acc0unt`, `verifiy`) still shares most of its
/// n-grams with the word it imitates.
pub fn for_each_char_ngram(word: &str, min: usize, max: usize, mut f: impl FnMut(u32)) -> usize {
    let (min, max) = (min.clamp(3, 6), max.clamp(3, 6));
    let mut buf = [0u32; MAX_NGRAM_WORD + 2];
    buf[0] = u32::from('<');
    let mut len = 1usize;
    let mut put = |len: &mut usize, c: u32| {
        if let Some(slot) = buf.get_mut(*len) {
            *slot = c;
        }
        *len += 1;
    };
    if word.is_ascii() {
        for &b in word.as_bytes() {
            match CLASS.get(usize::from(b)).copied().unwrap_or(OTHER) {
                ALPHA => put(&mut len, u32::from(b | 0x20)),
                DIGIT => put(&mut len, u32::from(b'0')),
                _ => {}
            }
        }
    } else {
        for c in word.chars() {
            if c.is_numeric() {
                put(&mut len, u32::from('0'));
            } else if c.is_alphanumeric() {
                put(&mut len, u32::from(c.to_lowercase().next().unwrap_or(c)));
            }
        }
    }
    // `<` + at least two characters, at most MAX_NGRAM_WORD.
    if !(3..=MAX_NGRAM_WORD + 1).contains(&len) {
        return 0;
    }
    put(&mut len, u32::from('>'));
    let chars = buf.get(..len).unwrap_or_default();
    let mut given = 0;
    for i in 0..len.saturating_sub(min - 1) {
        let mut h = FNV_OFFSET ^ CHAR_SALT;
        for (k, &c) in chars
            .get(i..)
            .unwrap_or_default()
            .iter()
            .take(max)
            .enumerate()
        {
            h = (h ^ c).wrapping_mul(FNV_PRIME);
            if k + 1 >= min {
                f(fmix(h));
                given += 1;
            }
        }
    }
    given
}

impl TextModel {
    /// The model shipped with the crate.
    pub fn shipped() -> Result<Self, LinksError> {
        Self::from_bytes(SHIPPED)
    }

    /// A model from `2^bits` quantised weights, their scale and a bias.
    pub fn new(bits: u32, weights: Vec<i8>, scale: f32, bias: f32) -> Result<Self, LinksError> {
        if !BITS.contains(&bits) {
            return Err(LinksError::Model(format!("text model: {bits} hash bits")));
        }
        if weights.len() != 1 << bits {
            return Err(LinksError::Model(format!(
                "text model: {} weights for {} buckets",
                weights.len(),
                1u32 << bits
            )));
        }
        if !scale.is_finite() || !bias.is_finite() {
            return Err(LinksError::Model(
                "text model: bad scale or bias".to_owned(),
            ));
        }
        Ok(TextModel {
            bits,
            weights,
            scale,
            bias,
            char_ngrams: None,
        })
    }

    /// The same model reading, besides words and pairs, the character
    /// n-grams of each word for `n` in `min..=max` ([`for_each_char_ngram`],
    /// hashed into the same buckets). `None` (the default) reads words and
    /// pairs only. Lengths are clamped to `3..=6`.
    pub fn with_char_ngrams(mut self, ngrams: Option<(usize, usize)>) -> Self {
        self.char_ngrams = ngrams
            .map(|(a, b)| (a.clamp(3, 6) as u8, b.clamp(3, 6) as u8))
            .filter(|(a, b)| a <= b);
        self
    }

    /// The character n-gram lengths `(min, max)` this model reads, if any.
    pub fn char_ngrams(&self) -> Option<(usize, usize)> {
        self.char_ngrams
            .map(|(a, b)| (usize::from(a), usize::from(b)))
    }

    /// Read the binary format [`TextModel::to_bytes`] writes: the line
    /// `mailsec-text-model 1`, one byte of hash bits, scale and bias as
    /// little-endian `f32`, then one `i8` weight per bucket; or the line
    /// `mailsec-text-model 2`, the hash bits, two bytes of character n-gram
    /// lengths (min, max), then the same.
    pub fn from_bytes(b: &[u8]) -> Result<Self, LinksError> {
        let bad = |what: &str| LinksError::Model(format!("text model: {what}"));
        let (bits, ngrams, rest) = match (b.strip_prefix(MAGIC), b.strip_prefix(MAGIC_2)) {
            (Some([bits, rest @ ..]), _) => (*bits, None, rest),
            (None, Some([bits, min, max, rest @ ..])) => (*bits, Some((*min, *max)), rest),
            (None, None) => return Err(bad("missing header")),
            _ => return Err(bad("truncated")),
        };
        let f32_at = |at: usize| -> Result<f32, LinksError> {
            let bytes: [u8; 4] = rest
                .get(at..at + 4)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| bad("truncated"))?;
            Ok(f32::from_le_bytes(bytes))
        };
        let scale = f32_at(0)?;
        let bias = f32_at(4)?;
        let weights: Vec<i8> = rest
            .get(8..)
            .unwrap_or_default()
            .iter()
            .map(|&x| x as i8)
            .collect();
        let m = Self::new(u32::from(bits), weights, scale, bias)?;
        match ngrams {
            None => Ok(m),
            Some((min, max)) if (3..=6).contains(&min) && (min..=6).contains(&max) => {
                Ok(m.with_char_ngrams(Some((usize::from(min), usize::from(max)))))
            }
            Some(_) => Err(bad("bad character n-gram lengths")),
        }
    }

    /// The model in its binary format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(MAGIC_2.len() + 11 + self.weights.len());
        match self.char_ngrams {
            None => {
                v.extend_from_slice(MAGIC);
                v.push(self.bits as u8);
            }
            Some((min, max)) => {
                v.extend_from_slice(MAGIC_2);
                v.push(self.bits as u8);
                v.push(min);
                v.push(max);
            }
        }
        v.extend_from_slice(&self.scale.to_le_bytes());
        v.extend_from_slice(&self.bias.to_le_bytes());
        v.extend(self.weights.iter().map(|&w| w as u8));
        v
    }

    /// Hash bits: the table has `2^bits` buckets.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// The quantised weights, one per bucket.
    pub fn weights(&self) -> &[i8] {
        &self.weights
    }

    /// What one quantised unit of weight is worth in log-odds.
    pub fn scale(&self) -> f32 {
        self.scale
    }

    /// The bias (log-odds of a text without tokens).
    pub fn bias(&self) -> f32 {
        self.bias
    }

    fn weight(&self, t: &Token) -> i32 {
        i32::from(self.weights.get(t.bucket(self.bits)).copied().unwrap_or(0))
    }

    /// The log-odds that `text` is from a phishing message:
    /// `bias + scale · Σ w / √d` over the `d` distinct buckets its tokens
    /// and pairs fall in. Each bucket counts once, so repeating a text does
    /// not sharpen its score. One pass; the bitmap of seen buckets
    /// (`2^bits` bits) is kept per thread and reused.
    pub fn log_odds(&self, text: &str) -> f32 {
        self.message_log_odds(text, None)
    }

    /// [`log_odds`](Self::log_odds) of a message's text together with the
    /// sender's display name, whose words are tagged (hashed apart from the
    /// same words in the text, see [`for_each_name_token`]).
    pub fn message_log_odds(&self, text: &str, sender_name: Option<&str>) -> f32 {
        SEEN.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => {
                let Scratch { seen, buckets } = &mut *scratch;
                self.log_odds_with(text, sender_name, seen, buckets)
            }
            // Re-entered on this thread (cannot happen today): a bitmap of its own.
            Err(_) => self.log_odds_with(text, sender_name, &mut Vec::new(), &mut Vec::new()),
        })
    }

    /// [`message_log_odds`](Self::message_log_odds) with `seen` as the
    /// bitmap of seen buckets and `buckets` the list of the buckets set in
    /// it (the bits of the previous call are cleared here, through its list).
    fn log_odds_with(
        &self,
        text: &str,
        sender_name: Option<&str>,
        seen: &mut Vec<u64>,
        buckets: &mut Vec<u32>,
    ) -> f32 {
        let words_needed = self.weights.len().div_ceil(64);
        if seen.len() == words_needed {
            for &b in buckets.iter() {
                if let Some(w) = seen.get_mut((b / 64) as usize) {
                    *w = 0;
                }
            }
        } else {
            seen.clear();
            seen.resize(words_needed, 0);
        }
        buckets.clear();
        let mut counter = Counter {
            bag: Bag {
                seen,
                buckets,
                shift: 32 - self.bits.clamp(1, 32),
            },
            text,
            ngrams: self.char_ngrams(),
            words: 0,
        };
        tokenize(text, &mut counter);
        let mut bag = counter.bag;
        if let Some(name) = sender_name {
            for_each_name_token(name, |t| {
                bag.add(t.hash);
            });
        }
        // The weights are read once the text is through, in one run of
        // independent loads (the sum is the same in any order).
        let buckets: &[u32] = bag.buckets;
        let distinct = buckets.len() as u32;
        if distinct == 0 {
            return self.bias;
        }
        let sum: i64 = buckets
            .iter()
            .map(|&b| i64::from(self.weights.get(b as usize).copied().unwrap_or(0)))
            .sum();
        self.bias + self.scale * sum as f32 / (distinct as f32).sqrt()
    }

    /// The probability that `text` is from a phishing message.
    pub fn probability(&self, text: &str) -> f32 {
        sigmoid(self.log_odds(text))
    }

    /// The distinct words and word pairs of `text` that push most towards
    /// phishing, strongest first, at most `n` (a second pass over the text,
    /// for explanations).
    pub fn top_words(&self, text: &str, n: usize) -> Vec<String> {
        // The strongest few (weight, start, end), strongest first; on a tie
        // the earlier, then the longer (a pair). Bounded: no sort of every token.
        let cap = n.saturating_mul(4).max(1);
        let mut best: Vec<(i32, usize, usize)> = Vec::with_capacity(cap + 1);
        // The hashes of `best`, in the same order (each word once).
        let mut seen: Vec<u32> = Vec::with_capacity(cap + 1);
        let before = |a: &(i32, usize, usize), b: &(i32, usize, usize)| {
            (a.0, std::cmp::Reverse(a.1), a.2) > (b.0, std::cmp::Reverse(b.1), b.2)
        };
        for_each_token(text, |t| {
            let w = self.weight(&t);
            if w <= 0 {
                return;
            }
            let item = (w, t.start, t.end);
            if seen.contains(&t.hash) {
                return;
            }
            if best.len() == cap && best.last().is_some_and(|last| !before(&item, last)) {
                return;
            }
            let at = best
                .iter()
                .position(|x| before(&item, x))
                .unwrap_or(best.len());
            best.insert(at, item);
            seen.insert(at, t.hash);
            best.truncate(cap);
            seen.truncate(cap);
        });
        let mut out: Vec<String> = Vec::new();
        for (_, s, e) in best {
            if out.len() >= n {
                break;
            }
            let word = text
                .get(s..e)
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase();
            if !word.is_empty() && !out.contains(&word) {
                out.push(word);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<(String, bool)> {
        let mut v = Vec::new();
        for_each_token(text, |t| {
            v.push((text[t.start..t.end].to_owned(), t.bigram))
        });
        v
    }

    fn hashes(text: &str) -> Vec<u32> {
        let mut v = Vec::new();
        for_each_token(text, |t| v.push(t.hash));
        v
    }

    #[test]
    fn words_and_pairs() {
        assert_eq!(
            tokens("Claim your prize!"),
            vec![
                ("Claim".to_owned(), false),
                ("your".to_owned(), false),
                ("Claim your".to_owned(), true),
                ("prize".to_owned(), false),
                ("your prize".to_owned(), true),
            ]
        );
        assert_eq!(tokens(""), vec![]);
        assert_eq!(tokens(" ,.; "), vec![]);
    }

    #[test]
    fn case_digits_years_and_blobs() {
        // Lower-cased.
        assert_eq!(hashes("PRIZE Now"), hashes("prize now"));
        assert_eq!(hashes("ÉTÉ"), hashes("été"));
        // Digits folded to a shape.
        assert_eq!(hashes("code 4711"), hashes("code 1234"));
        assert_ne!(hashes("code 47"), hashes("code 4711"));
        assert_eq!(hashes("ref a1b2"), hashes("ref a9b9"));
        // Four-digit numbers (years) dropped, and they break pairs.
        assert_eq!(tokens("in 2002 and"), tokens("in 1999 and"));
        assert_eq!(tokens("in 2002 and").len(), 2);
        assert_eq!(tokens("in 21000 and").len(), 5);
        // Addresses, URLs, dates and times skipped whole.
        for skipped in [
            "jo@mail.example",
            "https://x.example/a",
            "www.x.example",
            "12/08/2002",
            "18:51",
            "2002-10-06T18:12:00",
            "+1-555-0100",
        ] {
            assert_eq!(tokens(&format!("a {skipped} b")).len(), 2, "{skipped}");
        }
        assert_eq!(tokens("paypal.com login-page $1,000").len(), 11);
        // Long blobs skipped.
        assert_eq!(tokens("x QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo y").len(), 2);
        // Zero-width characters do not split words.
        assert_eq!(hashes("pass\u{200B}word"), hashes("password"));
    }

    #[test]
    fn unspaced_scripts_are_one_token_a_character() {
        let t = tokens("お客様");
        assert_eq!(t.len(), 5);
        assert_eq!(t[2], ("お客".to_owned(), true));
        // A word right before them is its own token.
        assert_eq!(tokens("Amazonお")[0], ("Amazon".to_owned(), false));
    }

    #[test]
    fn scores_and_round_trips() {
        let bits = 10;
        let mut w = vec![0i8; 1 << bits];
        for_each_token("prize", |t| w[t.bucket(bits)] = 100);
        let m = TextModel::new(bits, w, 0.01, -1.0).unwrap();
        assert!((m.log_odds("") + 1.0).abs() < 1e-6);
        assert!((m.log_odds("prize") - 0.0).abs() < 1e-6);
        // Two distinct buckets ("prize" counted once, and the pair):
        // 100 · 0.01 / √2.
        let lo = m.log_odds("prize prize");
        assert!((lo - (-1.0 + 1.0 / 2f32.sqrt())).abs() < 1e-5, "{lo}");
        assert_eq!(m.top_words("You won a PRIZE today", 3), vec!["prize"]);
        let again = TextModel::from_bytes(&m.to_bytes()).unwrap();
        assert_eq!(again.weights(), m.weights());
        assert_eq!(again.bias(), m.bias());
        assert!(TextModel::from_bytes(b"nope").is_err());
        assert!(TextModel::from_bytes(&m.to_bytes()[..40]).is_err());
        assert!(TextModel::new(3, vec![0; 8], 1.0, 0.0).is_err());
        assert!(TextModel::new(10, vec![0; 8], 1.0, 0.0).is_err());
        assert!(TextModel::new(10, vec![0; 1024], f32::NAN, 0.0).is_err());
    }

    #[test]
    fn the_checker_explains_the_words() {
        use crate::{LinkChecker, MESSAGE_FEATURES, MessageModel, Reason};
        let bits = 12;
        let mut w = vec![0i8; 1 << bits];
        for_each_token("jackpot winner", |t| w[t.bucket(bits)] = 127);
        let text = TextModel::new(bits, w, 0.1, -2.0).unwrap();
        let mut mw = vec![0.0; MESSAGE_FEATURES.len()];
        mw[crate::message_model::index("content_words")] = 1.0;
        let message = MessageModel::new(mw, 0.0, 0.6, 0.9).unwrap();
        let checker = LinkChecker::builder()
            .text_model(text)
            .message_model(message)
            .build()
            .unwrap();
        let raw = b"From: Lotto <info@lotto.example.net>\r\nSubject: You are our jackpot winner\r\n\r\nDear jackpot winner, reply to claim.\r\n";
        let r = checker.check_raw(raw).unwrap();
        assert!(
            r.features().get("content_words") > 2.0,
            "{:?}",
            r.features()
        );
        assert_eq!(r.verdict(), crate::Verdict::Phishing);
        let words = r
            .reasons()
            .iter()
            .find_map(|x| match x {
                Reason::ContentWords { words, .. } => Some(words.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(words, vec!["jackpot winner", "jackpot", "winner"]);
        // Ordinary words: no content reason, safe.
        let raw =
            b"From: Ann <ann@lotto.example.net>\r\nSubject: Lunch\r\n\r\nSee you at noon.\r\n";
        let r = checker.check_raw(raw).unwrap();
        assert!(r.features().get("content_words") < 0.0);
        assert!(r.reasons().iter().all(|x| x.code() != "content_words"));
    }

    #[test]
    fn char_ngrams_of_a_word() {
        let grams = |w: &str, a, b| {
            let mut v = Vec::new();
            let n = for_each_char_ngram(w, a, b, |h| v.push(h));
            assert_eq!(n, v.len());
            v
        };
        // `<pay>`: 3 trigrams, 2 four-grams, 1 five-gram.
        assert_eq!(grams("pay", 3, 5).len(), 6);
        assert_eq!(grams("pay", 4, 4).len(), 2);
        // Case, digits, soft hyphens and zero-width characters fold away.
        assert_eq!(grams("PayPal", 3, 5), grams("paypal", 3, 5));
        assert_eq!(grams("pay\u{AD}pal", 3, 5), grams("paypal", 3, 5));
        assert_eq!(grams("acc1unt", 3, 5), grams("acc9unt", 3, 5));
        assert_eq!(grams("ÉTÉ", 3, 3), grams("été", 3, 3));
        // A misspelling shares most n-grams with the word.
        let a = grams("account", 3, 5);
        let b = grams("acc0unt", 3, 5);
        let shared = a.iter().filter(|h| b.contains(h)).count();
        assert!(shared * 3 >= a.len(), "{shared} of {}", a.len());
        // Too short or too long: none.
        assert!(grams("a", 3, 5).is_empty());
        assert!(grams(&"x".repeat(25), 3, 5).is_empty());
        // N-gram hashes are not word hashes.
        let word = hashes("pay")[0];
        assert!(!grams("pay", 3, 5).contains(&word));
    }

    #[test]
    fn char_ngram_models_score_and_round_trip() {
        let bits = 12;
        let mut w = vec![0i8; 1 << bits];
        for_each_char_ngram("password", 4, 4, |h| w[(h >> (32 - bits)) as usize] = 100);
        let words = TextModel::new(bits, w, 0.01, 0.0).unwrap();
        let grams = words.clone().with_char_ngrams(Some((4, 4)));
        assert_eq!(grams.char_ngrams(), Some((4, 4)));
        // Only the n-gram model sees the n-grams, and a misspelling still scores.
        assert!(words.log_odds("passw0rd").abs() < 1e-6);
        assert!(grams.log_odds("password") > 0.5);
        assert!(grams.log_odds("passwrd") > 0.2);
        // Repetition does not sharpen it.
        let once = grams.log_odds("enter password now");
        let ten = grams.log_odds(&"enter password now ".repeat(10));
        assert!((ten - once).abs() < 0.1, "{once} {ten}");
        let again = TextModel::from_bytes(&grams.to_bytes()).unwrap();
        assert_eq!(again.char_ngrams(), Some((4, 4)));
        assert_eq!(again.log_odds("passwrd"), grams.log_odds("passwrd"));
        // Words-only models keep the version-1 format.
        assert!(words.to_bytes().starts_with(MAGIC));
        assert_eq!(
            TextModel::from_bytes(&words.to_bytes())
                .unwrap()
                .char_ngrams(),
            None
        );
        let mut bad = grams.to_bytes();
        bad[MAGIC_2.len() + 1] = 9;
        assert!(TextModel::from_bytes(&bad).is_err());
        assert!(TextModel::from_bytes(&grams.to_bytes()[..MAGIC_2.len() + 2]).is_err());
    }

    #[test]
    fn repetition_does_not_sharpen_the_score() {
        let bits = 12;
        let mut w = vec![0i8; 1 << bits];
        for_each_token("review", |t| w[t.bucket(bits)] = 100);
        let m = TextModel::new(bits, w, 0.01, -1.0).unwrap();
        let para = "Dear customer, please review the quarterly report before the meeting. ";
        let once = m.log_odds(para);
        let ten = m.log_odds(&para.repeat(10));
        // Ten copies add one pair (the last word with the first) and nothing else.
        assert!(once > -1.0);
        assert!((ten - once).abs() < 0.01, "{once} {ten}");
        // Each bucket counts once: "review" ten times weighs as much as once.
        let a = m.log_odds("review the report");
        let b = m.log_odds("review review review review the report");
        assert!(b <= a + 0.01, "{a} {b}");
    }

    #[test]
    fn sender_name_words_are_tagged() {
        let bits = 12;
        let mut w = vec![0i8; 1 << bits];
        for_each_name_token("support", |t| w[t.bucket(bits)] = 100);
        let m = TextModel::new(bits, w, 0.01, 0.0).unwrap();
        assert!(m.log_odds("support").abs() < 1e-6);
        assert!(m.message_log_odds("hello", Some("Support")) > 0.5);
        assert!(m.message_log_odds("hello", None).abs() < 1e-6);
    }

    #[test]
    fn repeated_business_text_is_not_flagged() {
        // The known flaw of the session-3 model (count / √n): ten copies of
        // an ordinary business paragraph became `phishing`.
        let checker = crate::LinkChecker::new().unwrap();
        let para = "Dear customer, we are writing to let you know that the quarterly \
                    report for your team is ready. Please review the figures before \
                    Thursday's meeting and send any questions to the usual address.\r\n";
        let mail = |n: usize| {
            format!(
                "From: Team <team@example.org>\r\nTo: you@example.net\r\nSubject: Quarterly report\r\n\r\n{}",
                para.repeat(n)
            )
        };
        let once = checker.check_raw(mail(1).as_bytes()).unwrap();
        let ten = checker.check_raw(mail(10).as_bytes()).unwrap();
        let (a, b) = (
            once.features().get("content_words"),
            ten.features().get("content_words"),
        );
        assert!((a - b).abs() < 0.2, "{a} {b}");
        assert!(ten.verdict() <= once.verdict(), "{:?}", ten.reasons());
        assert_ne!(ten.verdict(), crate::Verdict::Phishing);
    }

    #[test]
    fn shipped_model_loads() {
        let m = TextModel::shipped().unwrap();
        assert!(BITS.contains(&m.bits()));
        let p = m.probability("Hello, the meeting moved to Tuesday.");
        assert!((0.0..=1.0).contains(&p));
    }

    /// Text made of pieces that hit every branch of the tokenizer.
    fn pieces() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::collection::vec(
            proptest::sample::select(vec![
                "word",
                "Word",
                "WWW.",
                "www.x",
                "w",
                "ww",
                " ",
                "  ",
                "\t",
                "\n",
                "\r",
                "\x0c",
                "1",
                "12",
                "2002",
                "12:30",
                "1/2",
                "1-2",
                "a-1",
                "-",
                "/",
                ":",
                "://",
                "@",
                ".",
                ",",
                "!",
                "[",
                "`",
                "{",
                "~",
                "\u{7f}",
                "é",
                "É",
                "ß",
                "İ",
                "\u{AD}",
                "\u{200B}",
                "\u{FEFF}",
                "\u{A0}",
                "\u{2003}",
                "\u{3000}",
                "お",
                "客",
                "ไทย",
                "٣",
                "Ⅻ",
                "abcdefghijklmnopqrstuvwxyzabc",
                "verylongwordwithoutanyspace",
                "x",
                "http",
                "mailto:",
                "a@b",
                "\u{1F600}",
                "\u{10FFFF}",
            ]),
            0..40,
        )
        .prop_map(|v| v.concat())
    }

    fn all_tokens(text: &str, reference: bool) -> Vec<Token> {
        let mut v = Vec::new();
        if reference {
            reference::ref_for_each_token(text, |t| v.push(t));
        } else {
            for_each_token(text, |t| v.push(t));
        }
        v
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        #[test]
        fn fast_tokenizer_is_the_reference(text in pieces(), junk in ".{0,40}") {
            for t in [text.clone(), format!("{junk}{text}"), format!("{text} {junk}")] {
                proptest::prop_assert_eq!(all_tokens(&t, false), all_tokens(&t, true), "{:?}", t);
            }
        }

        #[test]
        fn log_odds_are_the_reference_bit_for_bit(text in pieces(), name in ".{0,20}") {
            let m = TextModel::shipped().unwrap();
            let words = m.clone().with_char_ngrams(None);
            for (model, sender) in [(&m, None), (&m, Some(name.as_str())), (&words, Some(name.as_str()))] {
                let fast = model.message_log_odds(&text, sender);
                let slow = reference::ref_log_odds(model, &text, sender);
                proptest::prop_assert_eq!(fast.to_bits(), slow.to_bits(), "{:?}", text);
            }
        }
    }

    #[test]
    fn fast_paths_on_long_text() {
        // Runs longer than eight bytes before and after the interesting
        // byte, chunks ending at the text's end, a large bitmap reused.
        let m = TextModel::shipped().unwrap();
        let texts = [
            "abcdefghijklmnop:qrstuvwxyz 1234567890abcdef- wwwwwwwwwwww.example more words",
            "abcdefghijklmnopqrstuvwxyz",
            "verification-required-2002-immediately account@@ suspended:// now",
            "Sehr geehrte Kundin, Ihr Konto wurde gesperrt. Bitte bestätigen Sie Ihre Daten",
        ];
        for t in texts {
            assert_eq!(all_tokens(t, false), all_tokens(t, true), "{t}");
            for _ in 0..2 {
                assert_eq!(
                    m.message_log_odds(t, Some("Bank")).to_bits(),
                    reference::ref_log_odds(&m, t, Some("Bank")).to_bits()
                );
            }
        }
    }

    /// The tokenizer and the log-odds as they were before the round-6 fast
    /// paths (one `chunk_at` scan per chunk, weights summed as met), kept to
    /// check the fast paths give the same tokens and bit-identical log-odds.
    #[allow(clippy::wrong_self_convention, dead_code)]
    mod reference {
        use super::super::*;

        /// The tokenizer's state: the token being read and the previous kept token.
        struct RefReader<F: FnMut(Token)> {
            f: F,
            /// Tokens and pairs given so far.
            n: usize,
            /// Hash of the token being read (FNV-1a so far).
            hash: u32,
            start: usize,
            chars: usize,
            digits: usize,
            /// The previous kept token (hash, start), for pairs.
            prev: Option<(u32, usize)>,
        }

        impl<F: FnMut(Token)> RefReader<F> {
            #[inline]
            fn push(&mut self, i: usize, folded: u8) {
                if self.chars == 0 {
                    self.start = i;
                }
                self.chars += 1;
                self.hash = (self.hash ^ u32::from(folded)).wrapping_mul(FNV_PRIME);
            }

            /// End the token being read at byte `end`.
            #[inline]
            fn emit(&mut self, end: usize) {
                if self.chars == 0 {
                    return;
                }
                let four_digits = self.digits == 4 && self.chars == 4;
                if self.chars > MAX_TOKEN_CHARS || four_digits {
                    self.prev = None;
                } else {
                    let h = fmix(self.hash);
                    (self.f)(Token {
                        hash: h,
                        start: self.start,
                        end,
                        bigram: false,
                    });
                    self.n += 1;
                    if let Some((p, pstart)) = self.prev {
                        (self.f)(Token {
                            hash: fmix(p.wrapping_mul(BIGRAM_SALT) ^ h ^ BIGRAM_SALT),
                            start: pstart,
                            end,
                            bigram: true,
                        });
                        self.n += 1;
                    }
                    self.prev = Some((h, self.start));
                }
                self.hash = FNV_OFFSET;
                self.chars = 0;
                self.digits = 0;
            }
        }

        /// Whether the chunk of text starting at `at` (up to the next ASCII
        /// space) is an address, a URL or a date or time, skipped whole; and where
        /// it ends.
        fn ref_chunk_at(bytes: &[u8], at: usize) -> (bool, usize) {
            let chunk = bytes.get(at..).unwrap_or_default();
            let starts = |p: &[u8]| {
                chunk
                    .get(..p.len())
                    .is_some_and(|c| c.eq_ignore_ascii_case(p))
            };
            let mut skip = starts(b"www.");
            let mut digit = false;
            let mut len = chunk.len();
            for (i, &b) in chunk.iter().enumerate() {
                // Most bytes (letters) matter for nothing: one table look-up.
                match CHUNK.get(usize::from(b)).copied().unwrap_or(0) {
                    0 => {}
                    CHUNK_END => {
                        len = i;
                        break;
                    }
                    CHUNK_DIGIT => digit = true,
                    CHUNK_AT => skip = true,
                    CHUNK_COLON => skip |= digit || chunk.get(i + 1..i + 3) == Some(b"//"),
                    CHUNK_SLASH => skip |= digit,
                    CHUNK_DASH => skip |= digit && chunk.get(i + 1).is_some_and(u8::is_ascii_digit),
                    _ => {}
                }
            }
            (skip, at + len)
        }

        /// Call `f` for every token and adjacent pair of `text`, in order (a pair
        /// right after its second token). Returns how many were given.
        ///
        /// Tokens are runs of letters and digits, lower-cased, digits folded to
        /// `0`; soft hyphens and zero-width characters do not split them. CJK,
        /// kana, Thai, Lao, Myanmar and Khmer characters are one token each. Not
        /// given (and breaking pairs): tokens longer than [`MAX_TOKEN_CHARS`],
        /// four-digit numbers, and whole space-separated chunks that contain `@`,
        /// `://`, start with `www.`, or hold a digit followed by `:` or `/` or
        /// digits around `-` (addresses, URLs, dates, times, phone numbers).
        pub(super) fn ref_for_each_token(text: &str, f: impl FnMut(Token)) -> usize {
            let bytes = text.as_bytes();
            let mut r = RefReader {
                f,
                n: 0,
                hash: FNV_OFFSET,
                start: 0,
                chars: 0,
                digits: 0,
                prev: None,
            };
            let mut at_chunk_start = true;
            let mut next = 0usize;
            while let Some(&b) = bytes.get(next) {
                let i = next;
                next += 1;
                let class = CLASS.get(usize::from(b)).copied().unwrap_or(OTHER);
                if class == SPACE {
                    r.emit(i);
                    at_chunk_start = true;
                    continue;
                }
                if class == CONTINUATION {
                    // Read with its leading byte.
                    continue;
                }
                if at_chunk_start {
                    at_chunk_start = false;
                    let (skip, end) = ref_chunk_at(bytes, i);
                    if skip {
                        r.emit(i);
                        r.prev = None;
                        // The chunk's bytes are not read.
                        next = end.max(next);
                        continue;
                    }
                }
                match class {
                    ALPHA => {
                        r.push(i, b | 0x20);
                        // The rest of a run of ASCII letters, in a tight loop (the
                        // same as one `push` each: the token has started).
                        while let Some(&l) = bytes.get(next)
                            && CLASS.get(usize::from(l)).copied() == Some(ALPHA)
                        {
                            r.chars += 1;
                            r.hash = (r.hash ^ u32::from(l | 0x20)).wrapping_mul(FNV_PRIME);
                            next += 1;
                        }
                        continue;
                    }
                    DIGIT => {
                        r.digits += 1;
                        r.push(i, b'0');
                        continue;
                    }
                    OTHER => {
                        r.emit(i);
                        continue;
                    }
                    _ => {}
                }
                let Some(c) = text.get(i..).and_then(|s| s.chars().next()) else {
                    continue;
                };
                if is_unspaced(c) {
                    r.emit(i);
                    r.start = i;
                    r.chars = 1;
                    r.hash = fnv_char(FNV_OFFSET, c);
                    r.emit(i + c.len_utf8());
                } else if c.is_alphanumeric() {
                    if c.is_numeric() {
                        r.digits += 1;
                        r.push(i, b'0');
                    } else {
                        if r.chars == 0 {
                            r.start = i;
                        }
                        r.chars += 1;
                        for l in c.to_lowercase() {
                            r.hash = fnv_char(r.hash, l);
                        }
                    }
                } else if matches!(
                    c,
                    '\u{AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
                ) {
                    // Soft hyphens and zero-width characters hide words from filters:
                    // read through them.
                } else if c.is_whitespace() {
                    r.emit(i);
                    at_chunk_start = true;
                } else {
                    r.emit(i);
                }
            }
            r.emit(bytes.len());
            r.n
        }

        /// The log-odds as `log_odds_with` computed them before round 6.
        pub(super) fn ref_log_odds(m: &TextModel, text: &str, sender_name: Option<&str>) -> f32 {
            let mut seen = vec![0u64; m.weights.len().div_ceil(64)];
            let mut sum = 0i64;
            let mut distinct = 0u32;
            let shift = 32 - m.bits.clamp(1, 32);
            let mut add = |hash: u32| {
                let b = (hash >> shift) as usize;
                let Some(word) = seen.get_mut(b / 64) else {
                    return false;
                };
                let bit = 1u64 << (b % 64);
                if *word & bit == 0 {
                    *word |= bit;
                    distinct += 1;
                    sum += i64::from(m.weights.get(b).copied().unwrap_or(0));
                    true
                } else {
                    false
                }
            };
            match m.char_ngrams {
                None => {
                    ref_for_each_token(text, |t| {
                        add(t.hash);
                    });
                }
                Some((min, max)) => {
                    let (min, max) = (usize::from(min), usize::from(max));
                    let mut words = 0usize;
                    ref_for_each_token(text, |t| {
                        if add(t.hash) && !t.bigram && words < MAX_NGRAM_WORDS {
                            words += 1;
                            let word = text.get(t.start..t.end).unwrap_or_default();
                            for_each_char_ngram(word, min, max, |h| {
                                add(h);
                            });
                        }
                    });
                }
            }
            if let Some(name) = sender_name {
                ref_for_each_token(name, |t| {
                    add(fmix(t.hash ^ NAME_SALT));
                });
            }
            if distinct == 0 {
                return m.bias;
            }
            m.bias + m.scale * sum as f32 / (distinct as f32).sqrt()
        }
    }
}
