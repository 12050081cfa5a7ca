//! The lists shipped with the crate (embedded data files) and the protected brands.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A fast hash for the short keys (host names, URLs) of the lists and of
/// the per-message caches: eight bytes a step (FxHash's rotate, xor and
/// multiply), then a final mix so the low bits hashbrown indexes with
/// depend on every byte. Not collision-resistant; every map it serves is
/// either built from shipped/caller lists or bounded per message.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Fnv(u64);

impl Fnv {
    #[inline]
    fn add(&mut self, word: u64) {
        const K: u64 = 0xf135_7aea_2e62_a9c5;
        self.0 = (self.0.rotate_left(26) ^ word).wrapping_mul(K);
    }
}

impl Hasher for Fnv {
    #[inline]
    fn finish(&self) -> u64 {
        let h = self.0;
        (h ^ (h >> 32)).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (h >> 29)
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        let n = rest.len() as u64;
        let tail = match rest {
            [] => 0,
            [a] => u64::from(*a),
            [a, b] => u64::from(*a) | u64::from(*b) << 8,
            [a, b, c] => u64::from(*a) | u64::from(*b) << 8 | u64::from(*c) << 16,
            _ => {
                // Four to seven bytes: two overlapping four-byte reads.
                let lo = rest.get(..4).map_or(0, le32);
                let hi = rest.get(rest.len() - 4..).map_or(0, le32);
                lo | hi << 32
            }
        };
        self.add(tail ^ n << 59);
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i) | 1 << 63);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}

/// Four bytes, little-endian (`b` holds exactly four).
#[inline]
fn le32(b: &[u8]) -> u64 {
    let mut w = [0u8; 4];
    if b.len() == 4 {
        w.copy_from_slice(b);
    }
    u64::from(u32::from_le_bytes(w))
}

/// A `HashMap` with [`Fnv`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;
/// A `HashSet` with [`Fnv`].
pub(crate) type FastSet<K> = HashSet<K, BuildHasherDefault<Fnv>>;

use unicode_security::MixedScript as _;

/// Protected brands shipped with the crate: `token domain...` a line.
pub(crate) const BRANDS: &str = include_str!("../data/brands.txt");
/// URL shorteners.
pub(crate) const SHORTENERS: &str = include_str!("../data/shorteners.txt");
/// Free hosting, site builders and dynamic DNS.
pub(crate) const FREE_HOSTING: &str = include_str!("../data/free_hosting.txt");
/// TLDs with a high share of abuse.
pub(crate) const SUSPICIOUS_TLDS: &str = include_str!("../data/suspicious_tlds.txt");
/// Click-tracking and redirect services of legitimate senders.
pub(crate) const REDIRECTORS: &str = include_str!("../data/redirectors.txt");

/// Lines of a list file: trimmed, lower case, without comments and blanks.
pub(crate) fn entries(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// A set of host suffixes: `matches("a.b.example.com")` is true when
/// `example.com` (or `b.example.com` ...) is in the set.
#[derive(Debug, Clone, Default)]
pub(crate) struct SuffixSet {
    set: FastSet<String>,
    /// The longest entry, in bytes: longer suffixes are not looked up.
    max_len: usize,
}

impl SuffixSet {
    pub(crate) fn from_list(text: &str) -> Self {
        let set: FastSet<String> = entries(text).map(|s| s.to_ascii_lowercase()).collect();
        SuffixSet {
            max_len: set.iter().map(String::len).max().unwrap_or(0),
            set,
        }
    }

    pub(crate) fn insert(&mut self, s: &str) {
        let s = s.trim().trim_end_matches('.').to_ascii_lowercase();
        self.max_len = self.max_len.max(s.len());
        self.set.insert(s);
    }

    /// The listed suffix `host` falls under, if any.
    pub(crate) fn matching<'a>(&'a self, host: &str) -> Option<&'a str> {
        if self.set.is_empty() {
            return None;
        }
        let mut rest = host;
        loop {
            if rest.len() <= self.max_len
                && let Some(hit) = self.set.get(rest)
            {
                return Some(hit.as_str());
            }
            match rest.find('.') {
                Some(i) => rest = rest.get(i + 1..)?,
                None => return None,
            }
        }
    }

    pub(crate) fn contains(&self, s: &str) -> bool {
        self.set.contains(s)
    }
}

/// One protected brand.
#[derive(Debug, Clone)]
pub(crate) struct Brand {
    /// Lower-case ASCII token (`paypal`).
    pub(crate) token: String,
    /// Registered domains that belong to the brand.
    pub(crate) domains: Vec<String>,
    /// A common word: only whole labels and words count, no edit distance, no paths.
    pub(crate) common_word: bool,
}

/// The brands and the look-up structures built from them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Brands {
    pub(crate) list: Vec<Brand>,
    /// TR39 skeleton of a brand token or of a brand domain's first label →
    /// (brand index, the form as spelled).
    skeletons: FastMap<String, (usize, String)>,
    /// Registered domain → brand index.
    owned: FastMap<String, Vec<usize>>,
    /// Every brand token, pattern index = brand index (built by `finish`).
    ac: Option<aho_corasick::AhoCorasick>,
    /// Token → brand index.
    by_token: FastMap<String, usize>,
    /// Typosquat candidates: brand index, token histogram and its
    /// [`histogram_mask`] (built by `finish`).
    typo: Vec<(usize, [u8; HIST], u64)>,
}

impl Brands {
    pub(crate) fn from_list(text: &str) -> Self {
        let mut b = Brands::default();
        for line in entries(text) {
            let mut parts = line.split_whitespace();
            let Some(token) = parts.next() else { continue };
            let (token, common_word) = match token.strip_prefix('=') {
                Some(t) => (t, true),
                None => (token, false),
            };
            b.add(token, parts, common_word);
        }
        b
    }

    pub(crate) fn add<'a>(
        &mut self,
        token: &str,
        domains: impl IntoIterator<Item = &'a str>,
        common_word: bool,
    ) {
        let token = token.to_lowercase();
        let domains: Vec<String> = domains
            .into_iter()
            .map(|d| d.trim().to_ascii_lowercase())
            .collect();
        let idx = self.list.len();
        self.skeletons
            .entry(skeleton(&token))
            .or_insert((idx, token.clone()));
        for d in &domains {
            self.owned.entry(d.clone()).or_default().push(idx);
            if let Some(first) = d.split('.').next()
                && first.len() >= 4
            {
                self.skeletons
                    .entry(skeleton(first))
                    .or_insert((idx, first.to_owned()));
            }
        }
        self.by_token.entry(token.clone()).or_insert(idx);
        self.list.push(Brand {
            token,
            domains,
            common_word,
        });
        self.ac = None;
    }

    /// Build the token automaton (after the last `add`).
    pub(crate) fn finish(&mut self) -> Result<(), aho_corasick::BuildError> {
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .prefilter(false)
            .build(self.list.iter().map(|b| b.token.as_str()))?;
        self.ac = Some(ac);
        self.typo = self
            .list
            .iter()
            .enumerate()
            .filter(|(_, b)| !b.common_word && b.token.len() >= 6)
            .map(|(i, b)| {
                let h = letter_histogram(b.token.as_bytes());
                (i, h, histogram_mask(&h))
            })
            .collect();
        Ok(())
    }

    /// Brands whose token occurs in `hay`, non-overlapping matches only,
    /// with the match's byte range (what the message-text scan reproduces).
    #[cfg(test)]
    pub(crate) fn hits_nonoverlapping<'a>(
        &'a self,
        hay: &'a str,
    ) -> impl Iterator<Item = (&'a Brand, usize, usize)> + 'a {
        self.ac.iter().flat_map(move |ac| {
            ac.find_iter(hay).filter_map(move |m| {
                Some((self.list.get(m.pattern().as_usize())?, m.start(), m.end()))
            })
        })
    }

    /// Brands a registered label of `len` bytes may typosquat (tokens of
    /// six letters or more, not common words, within two of `len`), with
    /// their letter histograms and [`histogram_mask`]s (built by `finish`).
    pub(crate) fn typosquat_candidates(
        &self,
        len: usize,
    ) -> impl Iterator<Item = (&Brand, &[u8; HIST], u64)> + '_ {
        self.typo.iter().filter_map(move |(i, h, m)| {
            let b = self.list.get(*i)?;
            (b.token.len().abs_diff(len) <= 2).then_some((b, h, *m))
        })
    }

    /// Brands whose token occurs in `hay`, with the match's byte range.
    pub(crate) fn hits<'a>(
        &'a self,
        hay: &'a str,
    ) -> impl Iterator<Item = (&'a Brand, usize, usize)> + 'a {
        self.ac.iter().flat_map(move |ac| {
            ac.find_overlapping_iter(hay).filter_map(move |m| {
                Some((self.list.get(m.pattern().as_usize())?, m.start(), m.end()))
            })
        })
    }

    /// The index in `list` of a brand reference this set handed out.
    pub(crate) fn index_of(&self, brand: &Brand) -> Option<usize> {
        self.list.iter().position(|b| std::ptr::eq(b, brand))
    }

    /// The brand whose token is exactly `word`.
    pub(crate) fn by_token(&self, word: &str) -> Option<&Brand> {
        self.by_token.get(word).and_then(|&i| self.list.get(i))
    }

    /// Whether `registered_domain` belongs to any brand.
    pub(crate) fn owner_of(&self, registered_domain: &str) -> Option<&Brand> {
        self.owned
            .get(registered_domain)
            .and_then(|v| v.first())
            .and_then(|&i| self.list.get(i))
    }

    /// Whether `registered_domain` belongs to `brand`.
    pub(crate) fn owns(brand: &Brand, registered_domain: &str) -> bool {
        brand.domains.iter().any(|d| d == registered_domain)
    }

    /// The brand whose name (or a domain label of it) has the skeleton
    /// `label_skeleton`, with that name as spelled.
    pub(crate) fn by_skeleton(&self, label_skeleton: &str) -> Option<(&Brand, &str)> {
        self.skeletons
            .get(label_skeleton)
            .and_then(|(i, form)| Some((self.list.get(*i)?, form.as_str())))
    }

    /// [`by_skeleton`](Self::by_skeleton) of [`skeleton`]`(label)`: for an
    /// ASCII label, the skeleton is built in a stack buffer from the
    /// per-character table [`ascii_skeleton_into`] reads.
    pub(crate) fn by_label_skeleton(&self, label: &str) -> Option<(&Brand, &str)> {
        let mut buf = [0u8; SKELETON_BUF];
        match ascii_skeleton_into(label, &mut buf) {
            Some(sk) => self.by_skeleton(sk),
            None => self.by_skeleton(&skeleton(label)),
        }
    }
}

/// Buckets of [`letter_histogram`]: a–z, 0–9, anything else.
pub(crate) const HIST: usize = 37;

/// How often each letter and digit occurs (saturating), the rest in one bucket.
pub(crate) fn letter_histogram(s: &[u8]) -> [u8; HIST] {
    let mut h = [0u8; HIST];
    for b in s {
        let i = match b.to_ascii_lowercase() {
            c @ b'a'..=b'z' => usize::from(c - b'a'),
            c @ b'0'..=b'9' => 26 + usize::from(c - b'0'),
            _ => HIST - 1,
        };
        if let Some(x) = h.get_mut(i) {
            *x = x.saturating_add(1);
        }
    }
    h
}

/// One bit per non-empty bucket of a [`letter_histogram`]. A bucket
/// empty in one histogram and not in the other adds at least one to their
/// difference, so `(a ^ b).count_ones() > limit` rules out
/// [`histograms_within`]`(.., limit)` at once.
pub(crate) fn histogram_mask(h: &[u8; HIST]) -> u64 {
    h.iter()
        .enumerate()
        .fold(0, |m, (i, &n)| m | u64::from(n > 0) << i)
}

/// Whether two histograms differ by at most `limit` in total. An edit
/// (insertion, deletion) changes the total by 1, a substitution by 2, a
/// transposition by 0: strings within `d` edits are within `2d` here, so
/// this rules out most candidates before the edit-distance table.
pub(crate) fn histograms_within(a: &[u8; HIST], b: &[u8; HIST], limit: usize) -> bool {
    let mut total = 0usize;
    for (x, y) in a.iter().zip(b) {
        total += usize::from(x.abs_diff(*y));
        if total > limit {
            return false;
        }
    }
    true
}

/// The TR39 skeleton of a string, lower-cased afterwards so case does not matter.
pub(crate) fn skeleton(s: &str) -> String {
    let sk = raw_skeleton(s);
    let lower = sk.to_lowercase();
    // Lower-casing can itself produce confusable forms; one more pass settles it.
    if lower == sk {
        lower
    } else {
        raw_skeleton(&lower)
    }
}

/// The TR39 skeleton (`unicode_security`'s), with a table for ASCII text.
///
/// For ASCII text NFD changes nothing and no character is default-ignorable,
/// so the skeleton is the concatenation of the characters' prototypes, as
/// long as those are ASCII too (then the final NFD changes nothing either).
fn raw_skeleton(s: &str) -> String {
    if s.is_ascii() {
        let table = &*ASCII_PROTOTYPES;
        let mut out = String::with_capacity(s.len() + 4);
        for b in s.bytes() {
            match table.get(usize::from(b)).and_then(Option::as_deref) {
                Some(p) => out.push_str(p),
                None => return unicode_security::confusable_detection::skeleton(s).collect(),
            }
        }
        out
    } else {
        unicode_security::confusable_detection::skeleton(s).collect()
    }
}

/// The skeleton of each ASCII character, `None` where it is not ASCII.
static ASCII_PROTOTYPES: std::sync::LazyLock<Vec<Option<String>>> =
    std::sync::LazyLock::new(|| {
        (0u8..128)
            .map(|b| {
                let c = char::from(b).to_string();
                let p: String = unicode_security::confusable_detection::skeleton(&c).collect();
                p.is_ascii().then_some(p)
            })
            .collect()
    });

/// The stack buffer [`ascii_skeleton_into`] writes to.
pub(crate) const SKELETON_BUF: usize = 256;

/// [`skeleton`]`(s)` of an ASCII `s`, written into `buf`; `None` (use
/// [`skeleton`]) when `s` is not ASCII, a character has no ASCII skeleton,
/// or the result may not fit.
///
/// For ASCII text [`skeleton`] is per character: its first pass is the
/// concatenation of the characters' prototypes ([`raw_skeleton`]), and its
/// lower-casing and second pass are per character too, so that each
/// character contributes `skeleton(char)` — as long as every prototype
/// without upper case is its own skeleton (then a character the second
/// pass reaches with an unchanged prototype keeps it). `ASCII_SKELETONS`
/// checks that when it is built and is empty (never used) if it fails.
pub(crate) fn ascii_skeleton_into<'a>(s: &str, buf: &'a mut [u8; SKELETON_BUF]) -> Option<&'a str> {
    let table = &*ASCII_SKELETONS;
    if table.is_empty() || s.len() * MAX_ASCII_SKELETON > SKELETON_BUF || !s.is_ascii() {
        return None;
    }
    let mut n = 0;
    for b in s.bytes() {
        let p = table.get(usize::from(b))?.as_deref()?.as_bytes();
        buf.get_mut(n..n + p.len())?.copy_from_slice(p);
        n += p.len();
    }
    std::str::from_utf8(buf.get(..n)?).ok()
}

/// The longest skeleton `ASCII_SKELETONS` may hold (longer: `None`).
const MAX_ASCII_SKELETON: usize = 4;

/// [`skeleton`] of each ASCII character, `None` where it is not ASCII or
/// is longer than [`MAX_ASCII_SKELETON`]; empty when the per-character
/// reading of [`ascii_skeleton_into`] does not hold.
static ASCII_SKELETONS: std::sync::LazyLock<Vec<Option<String>>> = std::sync::LazyLock::new(|| {
    let holds = (0u8..128).all(|b| {
        let raw = raw_skeleton(char::from(b).encode_utf8(&mut [0; 4]));
        !raw.is_ascii() || raw.bytes().any(|c| c.is_ascii_uppercase()) || raw_skeleton(&raw) == raw
    });
    if !holds {
        return Vec::new();
    }
    (0u8..128)
        .map(|b| {
            let sk = skeleton(char::from(b).encode_utf8(&mut [0; 4]));
            (sk.is_ascii() && sk.len() <= MAX_ASCII_SKELETON).then_some(sk)
        })
        .collect()
});

/// Whether a label mixes scripts in a way TR39 calls not single-script.
pub(crate) fn is_mixed_script(label: &str) -> bool {
    !label.is_ascii() && !label.is_single_script()
}

/// [`edit_distance`] for ASCII strings of at most 63 bytes, without allocating.
pub(crate) fn edit_distance_ascii(a: &[u8], b: &[u8], max: usize) -> usize {
    const W: usize = 64;
    if a.len() >= W || b.len() >= W {
        return edit_distance(
            &String::from_utf8_lossy(a),
            &String::from_utf8_lossy(b),
            max,
        );
    }
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    // Three rolling rows (two back, one back, current), distances fit in u8.
    let mut rows = [[0u8; W]; 3];
    for (j, p) in rows[1].iter_mut().enumerate().take(b.len() + 1) {
        *p = j as u8;
    }
    let (mut p2, mut p1, mut c) = (0usize, 1usize, 2usize);
    for i in 1..=a.len() {
        rows[c][0] = i as u8;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = u8::from(a[i - 1] != b[j - 1]);
            let mut v = (rows[p1][j] + 1)
                .min(rows[c][j - 1] + 1)
                .min(rows[p1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(rows[p2][j - 2] + 1);
            }
            rows[c][j] = v;
            row_min = row_min.min(usize::from(v));
        }
        if row_min > max {
            return max + 1;
        }
        (p2, p1, c) = (p1, c, p2);
    }
    usize::from(rows[p1][b.len()])
}

/// Damerau-Levenshtein (optimal string alignment) distance, bounded:
/// returns `max + 1` as soon as the distance must exceed `max`.
pub(crate) fn edit_distance(a: &str, b: &str, max: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    let w = b.len() + 1;
    let mut prev2 = vec![0usize; w];
    let mut prev: Vec<usize> = (0..w).collect();
    let mut cur = vec![0usize; w];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..w {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return max + 1;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_lists_parse() {
        let mut b = Brands::from_list(BRANDS);
        b.finish().unwrap();
        assert!(b.list.len() > 50);
        assert!(
            b.hits("www.paypal-secure.example")
                .any(|(br, _, _)| br.token == "paypal")
        );
        assert!(b.owner_of("paypal.com").is_some());
        assert!(SuffixSet::from_list(SHORTENERS).contains("bit.ly"));
        let fh = SuffixSet::from_list(FREE_HOSTING);
        assert_eq!(
            fh.matching("evil.000webhostapp.com"),
            Some("000webhostapp.com")
        );
        assert_eq!(fh.matching("example.org"), None);
    }

    #[test]
    fn ascii_skeleton_table_equals_tr39() {
        let all: String = (0u8..128).map(char::from).collect();
        for s in [
            all.as_str(),
            "paypal",
            "rnicrosoft",
            "PAYPA1",
            "g00gle-l0gin",
            "a|b`c~",
            "",
        ] {
            let tr39: String = unicode_security::confusable_detection::skeleton(s).collect();
            assert_eq!(raw_skeleton(s), tr39, "{s:?}");
        }
    }

    fn shipped_brands() -> &'static Brands {
        static B: std::sync::OnceLock<Brands> = std::sync::OnceLock::new();
        B.get_or_init(|| {
            let mut b = Brands::from_list(BRANDS);
            b.finish().unwrap();
            b
        })
    }

    fn fast_skeleton(s: &str) -> Option<String> {
        ascii_skeleton_into(s, &mut [0; SKELETON_BUF]).map(str::to_owned)
    }

    #[test]
    fn ascii_skeletons_per_character_equal_skeleton() {
        assert!(!ASCII_SKELETONS.is_empty());
        // Every pair of ASCII characters (the second pass depends on the
        // whole string's case, so mixed pairs matter).
        for a in 0u8..128 {
            for b in 0u8..128 {
                let s: String = [char::from(a), char::from(b)].iter().collect();
                if let Some(fast) = fast_skeleton(&s) {
                    assert_eq!(fast, skeleton(&s), "{s:?}");
                }
            }
        }
        for s in [
            "paypal",
            "PayPal",
            "rnicrosoft",
            "MICROSOFT",
            "g00gle-l0gin",
            "PAYPA1",
            "",
        ] {
            assert_eq!(
                fast_skeleton(s).as_deref(),
                Some(skeleton(s).as_str()),
                "{s:?}"
            );
        }
        assert_eq!(fast_skeleton("pаypal"), None);
        assert_eq!(fast_skeleton(&"m".repeat(SKELETON_BUF)), None);
    }

    proptest::proptest! {
        #[test]
        fn ascii_skeleton_equals_skeleton(s in "[ -~]{0,24}") {
            if let Some(fast) = fast_skeleton(&s) {
                proptest::prop_assert_eq!(fast, skeleton(&s));
            }
        }

        #[test]
        fn label_skeleton_lookup_equals_slow(s in "[a-zA-Z0-9а-я.-]{0,12}") {
            let b = shipped_brands();
            let fast = b.by_label_skeleton(&s).map(|(br, f)| (br.token.clone(), f.to_owned()));
            let slow = b.by_skeleton(&skeleton(&s)).map(|(br, f)| (br.token.clone(), f.to_owned()));
            proptest::prop_assert_eq!(fast, slow);
        }

        #[test]
        fn histogram_mask_filter_is_exact(a in "[a-z0-9-]{0,12}", b in "[a-z0-9-]{0,12}", limit in 0usize..6) {
            let (ha, hb) = (letter_histogram(a.as_bytes()), letter_histogram(b.as_bytes()));
            if (histogram_mask(&ha) ^ histogram_mask(&hb)).count_ones() as usize > limit {
                proptest::prop_assert!(!histograms_within(&ha, &hb, limit));
            }
        }
    }

    #[test]
    fn skeletons_and_scripts() {
        assert_eq!(skeleton("pаypal"), skeleton("paypal"));
        assert_eq!(skeleton("PayPal"), skeleton("paypal"));
        assert!(is_mixed_script("pаypal"));
        assert!(!is_mixed_script("paypal"));
        assert!(!is_mixed_script("日本語"));
    }

    #[test]
    fn histogram_filter_never_rejects_close_strings() {
        let h = |s: &str| letter_histogram(s.as_bytes());
        for (a, b, d) in [
            ("paypol", "paypal", 1),
            ("micorsoft", "microsoft", 2),
            ("amazom", "amazon", 1),
            ("netfliix", "netflix", 1),
        ] {
            assert!(edit_distance_ascii(a.as_bytes(), b.as_bytes(), 2) <= d);
            assert!(histograms_within(&h(a), &h(b), 2 * d), "{a} {b}");
        }
        assert!(!histograms_within(&h("example"), &h("paypal"), 2));
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("paypal", "paypal", 2), 0);
        assert_eq!(edit_distance("paypal", "paypa1", 2), 1);
        assert_eq!(edit_distance("paypal", "papyal", 2), 1);
        assert_eq!(edit_distance("paypal", "pay", 2), 3);
        assert_eq!(edit_distance("microsoft", "micorsoft", 2), 1);
        for (a, b) in [
            ("paypal", "paypa1"),
            ("paypal", "papyal"),
            ("paypal", "pay"),
            ("microsoft", "micorsoft"),
            ("abc", "abc"),
        ] {
            assert_eq!(
                edit_distance_ascii(a.as_bytes(), b.as_bytes(), 2),
                edit_distance(a, b, 2)
            );
        }
    }
}
