//! The lexical URL model: logistic regression over features of the URL text.
//!
//! The model sees only the URL (never the scheme: `http` and `https` give
//! the same features), so it can judge hosts that no feed knows. Its weights
//! are trained offline by `examples/train_url_model.rs` and shipped as
//! `data/url_model.txt`.

use crate::LinksError;
use crate::lists::{Brands, SuffixSet};
use crate::normalize::{HostKind, NormalizedUrl};

/// The weights shipped with the crate.
const SHIPPED: &str = include_str!("../data/url_model.txt");

/// Number of dense (named) features; hashed features follow them.
pub const DENSE_FEATURES: usize = 64;

/// A sparse feature vector: `(index, value)` pairs.
pub type Features = Vec<(u32, f32)>;

/// Logistic regression over dense and hashed URL features.
#[derive(Debug, Clone)]
pub struct UrlModel {
    dim: usize,
    weights: Vec<f32>,
    bias: f32,
    suspicious: f32,
    phishing: f32,
}

impl UrlModel {
    /// The model shipped with the crate.
    pub fn shipped() -> Result<Self, LinksError> {
        Self::from_text(SHIPPED)
    }

    /// A model from weights: `dim` features (a power of two, more than
    /// [`DENSE_FEATURES`]), a bias, and the probabilities at which a URL
    /// becomes suspicious and phishing.
    pub fn new(
        weights: Vec<f32>,
        bias: f32,
        suspicious: f32,
        phishing: f32,
    ) -> Result<Self, LinksError> {
        let dim = weights.len();
        if !dim.is_power_of_two() || dim <= DENSE_FEATURES {
            return Err(LinksError::Model(format!(
                "dimension {dim} is not a power of two above {DENSE_FEATURES}"
            )));
        }
        Ok(UrlModel {
            dim,
            weights,
            bias,
            suspicious,
            phishing,
        })
    }

    /// Read weights in the text format [`UrlModel::to_text`] writes.
    pub fn from_text(text: &str) -> Result<Self, LinksError> {
        let bad = |what: &str| LinksError::Model(what.to_owned());
        let mut lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        if lines.next() != Some("mailsec-url-model 1") {
            return Err(bad("missing header line `mailsec-url-model 1`"));
        }
        let mut field = |name: &str| -> Result<f64, LinksError> {
            let line = lines.next().ok_or_else(|| bad("truncated"))?;
            let (k, v) = line
                .split_once(' ')
                .ok_or_else(|| bad("expected `name value`"))?;
            if k != name {
                return Err(LinksError::Model(format!("expected {name}, found {k}")));
            }
            v.trim()
                .parse::<f64>()
                .map_err(|_| LinksError::Model(format!("bad number for {name}")))
        };
        let dim = field("dim")? as usize;
        let bias = field("bias")? as f32;
        let suspicious = field("suspicious")? as f32;
        let phishing = field("phishing")? as f32;
        if !dim.is_power_of_two() || dim <= DENSE_FEATURES || dim > 1 << 24 {
            return Err(bad("bad dimension"));
        }
        let mut weights = vec![0f32; dim];
        for line in lines {
            let (i, w) = line
                .split_once(' ')
                .ok_or_else(|| bad("expected `index weight`"))?;
            let i: usize = i.parse().map_err(|_| bad("bad index"))?;
            let w: f32 = w.trim().parse().map_err(|_| bad("bad weight"))?;
            *weights
                .get_mut(i)
                .ok_or_else(|| bad("index out of range"))? = w;
        }
        Ok(UrlModel {
            dim,
            weights,
            bias,
            suspicious,
            phishing,
        })
    }

    /// The weights in a line-oriented text format (non-zero weights only).
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "mailsec-url-model 1\ndim {}\nbias {}\nsuspicious {}\nphishing {}\n",
            self.dim, self.bias, self.suspicious, self.phishing
        );
        for (i, w) in self.weights.iter().enumerate() {
            if *w != 0.0 {
                s.push_str(&format!("{i} {w}\n"));
            }
        }
        s
    }

    /// Number of features (dense and hashed).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Probability at or above which a URL counts as suspicious.
    pub fn suspicious_threshold(&self) -> f32 {
        self.suspicious
    }

    /// Probability at or above which a URL counts as phishing.
    pub fn phishing_threshold(&self) -> f32 {
        self.phishing
    }

    /// The probability that URL features belong to a phishing URL.
    pub fn probability_of(&self, features: &[(u32, f32)]) -> f32 {
        let mut z = self.bias;
        for &(i, v) in features {
            z += self.weights.get(i as usize).copied().unwrap_or(0.0) * v;
        }
        sigmoid(z)
    }
}

/// The logistic function.
pub fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// Words in URLs that ask for credentials or payment.
pub(crate) const CREDENTIAL_WORDS: &[&str] = &[
    "login",
    "logon",
    "signin",
    "sign-in",
    "verify",
    "verification",
    "account",
    "update",
    "secure",
    "security",
    "banking",
    "confirm",
    "password",
    "webscr",
    "auth",
    "wallet",
    "unlock",
    "suspend",
    "billing",
    "payment",
    "recover",
    "validate",
    "credential",
    "authenticate",
    "session",
    "reactivate",
];

/// Distinct credential words in a URL's host, path and query.
pub(crate) fn credential_word_count(
    ac: &aho_corasick::AhoCorasick,
    host: &str,
    path: &str,
    query: &str,
) -> usize {
    let mut seen = 0u64;
    for part in [host, path, query] {
        for m in ac.find_overlapping_iter(part) {
            seen |= 1u64 << (m.pattern().as_usize() % 64);
        }
    }
    seen.count_ones() as usize
}

/// An automaton over [`CREDENTIAL_WORDS`] (ASCII case-insensitive).
pub(crate) fn credential_words() -> Result<aho_corasick::AhoCorasick, aho_corasick::BuildError> {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .prefilter(false)
        .build(CREDENTIAL_WORDS)
}

/// Brand tokens and [`CREDENTIAL_WORDS`] in one automaton (brands first,
/// pattern index = brand index), so that a URL's host, path and query are
/// each scanned once for the rules and the model's features together.
/// Overlapping search reports every occurrence of every pattern, ordered by
/// end and, at one end, longest first: the brands' matches come in the same
/// order as from the brands' own automaton.
#[derive(Debug)]
pub(crate) struct UrlWords {
    ac: aho_corasick::AhoCorasick,
    brands: usize,
}

/// What [`UrlWords::scan`] found in one URL.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct UrlWordHits {
    /// Distinct credential words in host, path and query
    /// (= [`credential_word_count`]).
    pub(crate) credential_words: usize,
    /// A brand (not a common word, four letters or more) in the host.
    pub(crate) brand_in_host: bool,
    /// Such a brand in the path or the query.
    pub(crate) brand_in_path_or_query: bool,
    /// The first brand (not a common word, five letters or more) in the
    /// path as a whole word, when the path is more than `/`.
    pub(crate) brand_word_in_path: Option<usize>,
}

impl UrlWords {
    pub(crate) fn new(brands: &Brands) -> Result<Self, aho_corasick::BuildError> {
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .prefilter(false)
            .build(
                brands
                    .list
                    .iter()
                    .map(|b| b.token.as_str())
                    .chain(CREDENTIAL_WORDS.iter().copied()),
            )?;
        Ok(UrlWords {
            ac,
            brands: brands.list.len(),
        })
    }

    pub(crate) fn scan(&self, brands: &Brands, host: &str, path: &str, query: &str) -> UrlWordHits {
        let mut hits = UrlWordHits::default();
        let mut seen = 0u64;
        let usable = |b: &crate::lists::Brand| !b.common_word && b.token.len() >= 4;
        let path_bytes = path.as_bytes();
        for (part, text) in [host, path, query].into_iter().enumerate() {
            for m in self.ac.find_overlapping_iter(text) {
                let i = m.pattern().as_usize();
                match i.checked_sub(self.brands) {
                    Some(word) => seen |= 1u64 << (word % 64),
                    None => {
                        let Some(b) = brands.list.get(i) else {
                            continue;
                        };
                        match part {
                            0 => hits.brand_in_host |= usable(b),
                            _ => hits.brand_in_path_or_query |= usable(b),
                        }
                        if part == 1
                            && hits.brand_word_in_path.is_none()
                            && path.len() > 1
                            && !b.common_word
                            && b.token.len() >= 5
                            && (m.start() == 0
                                || path_bytes
                                    .get(m.start() - 1)
                                    .is_some_and(|c| !c.is_ascii_alphanumeric()))
                            && path_bytes
                                .get(m.end())
                                .is_none_or(|c| !c.is_ascii_alphanumeric())
                        {
                            hits.brand_word_in_path = Some(i);
                        }
                    }
                }
            }
        }
        hits.credential_words = seen.count_ones() as usize;
        hits
    }
}

/// The lists the features refer to.
pub(crate) struct FeatureLists<'a> {
    pub(crate) credential_words: &'a aho_corasick::AhoCorasick,
    pub(crate) brands: &'a Brands,
    pub(crate) suspicious_tlds: &'a SuffixSet,
    pub(crate) free_hosting: &'a SuffixSet,
    pub(crate) shorteners: &'a SuffixSet,
}

struct Sink {
    f: Features,
    mask: u32,
}

impl Sink {
    fn dense(&mut self, i: usize, v: f32) {
        if v != 0.0 {
            self.f.push((i as u32, v));
        }
    }
    #[cfg(test)]
    fn hashed(&mut self, ns: &str, token: &str) {
        let h = token.bytes().fold(hash_start(ns), hash_byte);
        self.push_hash(h);
    }

    /// [`Sink::hashed`] of [`shape`]`(word)`, without building the string.
    fn hashed_shape(&mut self, ns: &str, word: &str) {
        self.push_hash(shape_hash(ns, word));
    }

    fn push_hash(&mut self, h: u32) {
        let span = self.mask + 1 - DENSE_FEATURES as u32;
        self.f.push((DENSE_FEATURES as u32 + h % span, 1.0));
    }
}

/// The hash [`Sink::hashed`] gives [`shape`]`(word)`, without building the string.
fn shape_hash(ns: &str, word: &str) -> u32 {
    let mut h = hash_start(ns);
    let mut prev_digit = false;
    let mut buf = [0u8; 4];
    for c in word.chars() {
        if c.is_ascii_digit() {
            if !prev_digit {
                h = hash_byte(h, b'0');
            }
            prev_digit = true;
        } else {
            if c.is_ascii() {
                h = hash_byte(h, c.to_ascii_lowercase() as u8);
            } else {
                for lc in c.to_lowercase() {
                    h = lc.encode_utf8(&mut buf).bytes().fold(h, hash_byte);
                }
            }
            prev_digit = false;
        }
    }
    h
}

/// FNV-1a over the namespace and a separator byte: the start of a token's hash.
fn hash_start(ns: &str) -> u32 {
    ns.bytes().chain([0xff]).fold(0x811c_9dc5, hash_byte)
}

/// One FNV-1a step.
fn hash_byte(h: u32, b: u8) -> u32 {
    (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
}

fn ln1p(x: usize) -> f32 {
    LN1P.get(x).copied().unwrap_or_else(|| (x as f32).ln_1p())
}

/// `ln1p` of the small counts, computed once by the same function.
static LN1P: std::sync::LazyLock<[f32; 256]> =
    std::sync::LazyLock::new(|| std::array::from_fn(|i| (i as f32).ln_1p()));

/// Collapse digit runs to `0` so numbers do not become separate tokens.
#[cfg(test)]
fn shape(word: &str) -> String {
    let mut s = String::with_capacity(word.len());
    let mut prev_digit = false;
    for c in word.chars() {
        if c.is_ascii_digit() {
            if !prev_digit {
                s.push('0');
            }
            prev_digit = true;
        } else {
            s.extend(c.to_lowercase());
            prev_digit = false;
        }
    }
    s
}

/// The features of one URL. The scheme is deliberately not among them.
pub(crate) fn features(url: &NormalizedUrl, lists: &FeatureLists<'_>, dim: usize) -> Features {
    features_with(url, lists, dim, None)
}

/// [`features`], with the URL's brand and credential words when the caller
/// has scanned for them ([`UrlWords::scan`]).
pub(crate) fn features_with(
    url: &NormalizedUrl,
    lists: &FeatureLists<'_>,
    dim: usize,
    words: Option<&UrlWordHits>,
) -> Features {
    features_on_host(url, lists, dim, words, &host_features(url, lists))
}

/// The features that depend on the host alone (its kind, name, registered
/// domain and the lists): computed once per distinct host of a message.
#[derive(Debug, Clone)]
pub(crate) struct HostFeatures {
    /// The host's dense features, `(index, value)` by index.
    dense: Vec<(u32, f32)>,
    /// Hashes of the `tld` and `sub` tokens, in order.
    hashes: Vec<u32>,
    /// Whether the registered domain belongs to no protected brand.
    unowned: bool,
}

impl HostFeatures {
    /// Whether these are the features of an IP literal host.
    pub(crate) fn is_ip(&self) -> bool {
        self.dense
            .first()
            .is_some_and(|&(i, _)| i as usize == ix::IP)
    }
}

/// Indices of the dense features (the names are in
/// `examples/train_url_model.rs`). Host features are one-hot buckets or
/// flags, so that an unusual but ordinary host shape (a two-letter or a
/// long registered label) is one bucket among others, not an extreme value.
mod ix {
    /// The host is an IPv4 or IPv6 literal.
    pub(super) const IP: usize = 0;
    /// Buckets of the longest hyphen-separated piece of the registered
    /// label: 1-3, 4-5, 6-8, 9-12, 13-18, 19+ characters.
    pub(super) const LABEL_LEN: usize = 1;
    /// Subdomain levels (a leading `www` not counted): 1, 2, 3, 4+.
    pub(super) const SUB_LEVELS: usize = 7;
    /// Hyphens in the registered label: 1, 2, 3+.
    pub(super) const LABEL_HYPHENS: usize = 11;
    /// A hyphen in the subdomain.
    pub(super) const SUB_HYPHEN: usize = 14;
    /// Digits in the registered label.
    pub(super) const LABEL_DIGITS: usize = 15;
    /// A run of four or more digits in the host.
    pub(super) const HOST_DIGIT_RUN: usize = 16;
    /// Letter-bigram improbability of the registered label, buckets
    /// ([`super::RANDOM_BUCKETS`]); labels with fewer than [`super::MIN_RANDOM_LETTERS`]
    /// letters have none.
    pub(super) const LABEL_RANDOM: usize = 17;
    /// A random-looking subdomain label (six letters or more).
    pub(super) const SUB_RANDOM: usize = 22;
    /// The TLD is on the suspicious-TLD list.
    pub(super) const SUSPICIOUS_TLD: usize = 23;
    /// The host is under a free-hosting or dynamic-DNS domain.
    pub(super) const FREE_HOSTING: usize = 24;
    /// The host is a URL shortener.
    pub(super) const SHORTENER: usize = 25;
    /// The host has Unicode (IDN) labels.
    pub(super) const IDN: usize = 26;
    /// A subdomain label that is a generic TLD (`paypal.com.example.net`).
    pub(super) const TLD_IN_SUB: usize = 27;
    /// Public-suffix length buckets: one label, two labels or more.
    pub(super) const MULTI_LABEL_SUFFIX: usize = 28;
    /// The registered label is all digits and hyphens.
    pub(super) const NUMERIC_LABEL: usize = 29;
    /// The host starts with `www` (`www2`...).
    pub(super) const WWW: usize = 30;

    /// Path length (ln).
    pub(super) const PATH_LEN: usize = 32;
    /// Path depth (segments / 5, at most 2).
    pub(super) const PATH_DEPTH: usize = 33;
    /// Query length (ln).
    pub(super) const QUERY_LEN: usize = 34;
    /// Query pairs (/ 5, at most 2).
    pub(super) const QUERY_PAIRS: usize = 35;
    // 36: "no path, no query" (2002 mail links are mostly bare `www.`
    // hosts; it fitted the era, not phishing) was dropped.
    /// Percent escapes in the path (ln).
    pub(super) const PATH_ESCAPES: usize = 37;
    /// User information in the authority.
    pub(super) const USERINFO: usize = 38;
    /// A brand in the host of a domain the brand does not own.
    pub(super) const BRAND_IN_HOST: usize = 39;
    /// A brand in the path or query of such a domain.
    pub(super) const BRAND_IN_PATH: usize = 40;
    /// Distinct credential words (ln).
    pub(super) const CREDENTIAL_WORDS: usize = 41;
    /// An explicit port.
    pub(super) const PORT: usize = 42;
    /// Share of upper-case letters in the path.
    pub(super) const PATH_UPPER: usize = 43;
    /// Hyphens in the path (ln).
    pub(super) const PATH_HYPHENS: usize = 44;
    /// Digits in the path (ln).
    pub(super) const PATH_DIGITS: usize = 45;
    /// Dots in the path (ln).
    pub(super) const PATH_DOTS: usize = 46;
    /// The path ends with `/` below the root.
    pub(super) const PATH_SLASH: usize = 47;
    /// The last path segment names a script page (`.php`, `.asp`, `.aspx`,
    /// `.jsp`, `.cgi`).
    pub(super) const SCRIPT_PAGE: usize = 48;
    /// The last path segment names a static page (`.html`, `.htm`).
    pub(super) const HTML_PAGE: usize = 49;
}

/// Upper bounds of the registered label's improbability buckets (mean
/// negative log-probability per letter bigram, nats): below the first,
/// ..., at or above the last.
const RANDOM_BUCKETS: [f32; 4] = [3.0, 3.6, 4.2, 4.8];

/// Labels with fewer letters get no improbability bucket: a few letters
/// (`zoom`, `docs`) say too little.
const MIN_RANDOM_LETTERS: usize = 6;

/// A subdomain label at or above this improbability (and six letters or
/// more) counts as random-looking.
const SUB_RANDOM_AT: f32 = 4.2;

/// Letter-bigram counts of English text (`data/letter_bigrams.txt`, made by
/// `examples/train_url_model.rs --letter-bigrams`).
const LETTER_BIGRAMS: &str = include_str!("../data/letter_bigrams.txt");

/// Letters `a`-`z` and the word boundary.
const SYMBOLS: usize = 27;
const BOUNDARY: usize = 26;

/// `-ln P(next | previous)` over letters and the word boundary.
struct Bigrams {
    cost: [[f32; SYMBOLS]; SYMBOLS],
}

static BIGRAMS: std::sync::LazyLock<Bigrams> =
    std::sync::LazyLock::new(|| Bigrams::from_counts(LETTER_BIGRAMS));

fn symbol(c: u8) -> usize {
    match c {
        b'a'..=b'z' => usize::from(c - b'a'),
        _ => BOUNDARY,
    }
}

impl Bigrams {
    /// From lines `xy count` (`x`, `y` letters or `_` for the boundary);
    /// add-one smoothing, so bad lines only lose their counts.
    fn from_counts(text: &str) -> Self {
        let mut counts = [[1u32; SYMBOLS]; SYMBOLS];
        for line in text.lines() {
            let mut parts = line.split_whitespace();
            let (Some(pair), Some(n)) = (parts.next(), parts.next()) else {
                continue;
            };
            let (&[a, b], Ok(n)) = (pair.as_bytes(), n.parse::<u32>()) else {
                continue;
            };
            if let Some(row) = counts.get_mut(symbol(a))
                && let Some(slot) = row.get_mut(symbol(b))
            {
                *slot = slot.saturating_add(n);
            }
        }
        let mut cost = [[0f32; SYMBOLS]; SYMBOLS];
        for (row, counts) in cost.iter_mut().zip(&counts) {
            let total: f32 = counts.iter().map(|&c| c as f32).sum();
            for (slot, &c) in row.iter_mut().zip(counts) {
                *slot = -(c as f32 / total).ln();
            }
        }
        Bigrams { cost }
    }

    /// Mean bigram cost of a label's letter runs (digits, hyphens and other
    /// characters are word boundaries) and the number of letters.
    fn improbability(&self, label: &str) -> (f32, usize) {
        let mut prev = BOUNDARY;
        let mut sum = 0f32;
        let mut pairs = 0usize;
        let mut letters = 0usize;
        for b in label.bytes().chain([b'.']) {
            let s = symbol(b.to_ascii_lowercase());
            if s == BOUNDARY && prev == BOUNDARY {
                continue;
            }
            letters += usize::from(s != BOUNDARY);
            sum += self
                .cost
                .get(prev)
                .and_then(|r| r.get(s))
                .copied()
                .unwrap_or(0.0);
            pairs += 1;
            prev = s;
        }
        if pairs == 0 {
            (0.0, 0)
        } else {
            (sum / pairs as f32, letters)
        }
    }
}

/// Generic TLDs that, as a subdomain label, make a host read like another
/// domain (`paypal.com.example.net`).
const GENERIC_TLDS: &[&str] = &["com", "net", "org", "gov", "edu", "co", "info", "biz"];

/// Compute the host part of a URL's features.
pub(crate) fn host_features(url: &NormalizedUrl, lists: &FeatureLists<'_>) -> HostFeatures {
    host_features_known(url, lists, None)
}

/// [`host_features`], with the host's free-hosting and shortener look-ups
/// (`lists.free_hosting.matching(host).is_some()`,
/// `lists.shorteners.matching(host).is_some()`) when the caller has them.
pub(crate) fn host_features_known(
    url: &NormalizedUrl,
    lists: &FeatureLists<'_>,
    known: Option<(bool, bool)>,
) -> HostFeatures {
    let mut d: Vec<(u32, f32)> = Vec::with_capacity(12);
    let mut flag = |i: usize, on: bool| {
        if on {
            d.push((i as u32, 1.0));
        }
    };
    let host = url.host_str().unwrap_or_default();
    let ip = matches!(url.host_kind(), HostKind::Ipv4 | HostKind::Ipv6);
    flag(ix::IP, ip);
    let mut hashes = Vec::with_capacity(4);
    if !ip {
        let reg = url.registered_domain().unwrap_or(host);
        let (reg_label, suffix) = reg.split_once('.').unwrap_or((reg, ""));
        let sub = host
            .strip_suffix(reg)
            .map(|p| p.trim_end_matches('.'))
            .unwrap_or_default();
        flag(ix::WWW, host.split('.').next().is_some_and(is_www));
        // A leading `www` (or `www2`...) is not a subdomain level.
        let sub = match sub.split_once('.') {
            Some((first, rest)) if is_www(first) => rest,
            None if is_www(sub) => "",
            _ => sub,
        };
        // The longest hyphen-separated piece: hyphens have features of
        // their own, and `northwind-traders` is two ordinary words.
        let len = reg_label
            .split('-')
            .map(|p| p.chars().count())
            .max()
            .unwrap_or(0);
        let len_bucket = match len {
            0..=3 => 0,
            4..=5 => 1,
            6..=8 => 2,
            9..=12 => 3,
            13..=18 => 4,
            _ => 5,
        };
        flag(ix::LABEL_LEN + len_bucket, len > 0);
        let levels = if sub.is_empty() {
            0
        } else {
            sub.split('.').count()
        };
        flag(ix::SUB_LEVELS + levels.clamp(1, 4) - 1, levels > 0);
        let hyphens = reg_label.bytes().filter(|&b| b == b'-').count();
        flag(ix::LABEL_HYPHENS + hyphens.clamp(1, 3) - 1, hyphens > 0);
        flag(ix::SUB_HYPHEN, sub.contains('-'));
        flag(
            ix::LABEL_DIGITS,
            reg_label.bytes().any(|b| b.is_ascii_digit()),
        );
        let mut run = 0;
        let mut max_run = 0;
        for b in host.bytes() {
            run = if b.is_ascii_digit() { run + 1 } else { 0 };
            max_run = max_run.max(run);
        }
        flag(ix::HOST_DIGIT_RUN, max_run >= 4);
        flag(
            ix::NUMERIC_LABEL,
            !reg_label.is_empty() && reg_label.bytes().all(|b| b.is_ascii_digit() || b == b'-'),
        );
        let bigrams = &*BIGRAMS;
        let (cost, letters) = bigrams.improbability(reg_label);
        if letters >= MIN_RANDOM_LETTERS {
            let bucket = RANDOM_BUCKETS.iter().filter(|&&t| cost >= t).count();
            flag(ix::LABEL_RANDOM + bucket, true);
        }
        flag(
            ix::SUB_RANDOM,
            sub.split(['.', '-']).any(|l| {
                let (c, n) = bigrams.improbability(l);
                n >= 6 && c >= SUB_RANDOM_AT
            }),
        );
        flag(
            ix::TLD_IN_SUB,
            sub.split('.').any(|l| GENERIC_TLDS.contains(&l)),
        );
        flag(ix::MULTI_LABEL_SUFFIX, suffix.contains('.'));
        let tld = host.rsplit('.').next().unwrap_or_default();
        flag(ix::SUSPICIOUS_TLD, lists.suspicious_tlds.contains(tld));
        let (free_hosting, shortener) = known.unwrap_or_else(|| {
            (
                lists.free_hosting.matching(host).is_some(),
                lists.shorteners.matching(host).is_some(),
            )
        });
        flag(ix::FREE_HOSTING, free_hosting);
        flag(ix::SHORTENER, shortener);
        flag(ix::IDN, url.is_idn());
        hashes.push(tld.bytes().fold(hash_start("tld"), hash_byte));
        for w in sub.split(['.', '-']).filter(|w| !w.is_empty()).take(6) {
            hashes.push(shape_hash("sub", w));
        }
        d.sort_unstable_by_key(|&(i, _)| i);
        HostFeatures {
            dense: d,
            hashes,
            unowned: lists.brands.owner_of(reg).is_none(),
        }
    } else {
        HostFeatures {
            dense: d,
            hashes,
            unowned: true,
        }
    }
}

/// `www`, `www2`, `www3`...
fn is_www(label: &str) -> bool {
    label
        .strip_prefix("www")
        .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit()))
}

/// [`features_with`] with the host part already computed ([`host_features`]
/// of a URL with the same host).
pub(crate) fn features_on_host(
    url: &NormalizedUrl,
    lists: &FeatureLists<'_>,
    dim: usize,
    words: Option<&UrlWordHits>,
    hf: &HostFeatures,
) -> Features {
    let mut s = Sink {
        f: Vec::with_capacity(48),
        mask: (dim as u32).wrapping_sub(1),
    };
    let host = url.host_str().unwrap_or_default();
    let path = url.path();
    let query = url.query().unwrap_or_default();

    // Every per-byte count of the path in one pass.
    let mut depth = 0usize;
    let (mut escapes, mut upper, mut hyphens, mut digits, mut dots) =
        (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut prev = b'/';
    for &b in path.as_bytes() {
        match b {
            b'/' => {}
            b'%' => escapes += 1,
            b'-' => hyphens += 1,
            b'.' => dots += 1,
            b'0'..=b'9' => digits += 1,
            b'A'..=b'Z' => upper += 1,
            _ => {}
        }
        // A segment starts at each non-`/` byte after a `/` (or at the start).
        if prev == b'/' && b != b'/' {
            depth += 1;
        }
        prev = b;
    }

    s.f.extend_from_slice(&hf.dense);
    s.dense(ix::PATH_LEN, ln1p(path.len()));
    s.dense(ix::PATH_DEPTH, depth.min(10) as f32 / 5.0);
    s.dense(ix::QUERY_LEN, ln1p(query.len()));
    s.dense(
        ix::QUERY_PAIRS,
        if query.is_empty() {
            0.0
        } else {
            (query.matches('&').count() + 1).min(10) as f32 / 5.0
        },
    );
    s.dense(ix::PATH_ESCAPES, ln1p(escapes));
    s.dense(ix::USERINFO, f32::from(u8::from(url.has_userinfo())));
    let usable = |b: &crate::lists::Brand| !b.common_word && b.token.len() >= 4;
    let (brand_host, brand_path) = match (hf.unowned, words) {
        (true, Some(w)) => (w.brand_in_host, w.brand_in_path_or_query),
        (true, None) => (
            lists.brands.hits(host).any(|(b, _, _)| usable(b)),
            lists
                .brands
                .hits(path)
                .chain(lists.brands.hits(query))
                .any(|(b, _, _)| usable(b)),
        ),
        (false, _) => (false, false),
    };
    s.dense(ix::BRAND_IN_HOST, f32::from(u8::from(brand_host)));
    s.dense(ix::BRAND_IN_PATH, f32::from(u8::from(brand_path)));
    let cred = match words {
        Some(w) => w.credential_words,
        None => credential_word_count(lists.credential_words, host, path, query),
    };
    s.dense(ix::CREDENTIAL_WORDS, ln1p(cred));
    s.dense(ix::PORT, f32::from(u8::from(url.port().is_some())));
    s.dense(
        ix::PATH_UPPER,
        if path.is_empty() {
            0.0
        } else {
            upper as f32 / path.len() as f32
        },
    );
    s.dense(ix::PATH_HYPHENS, ln1p(hyphens));
    s.dense(ix::PATH_DIGITS, ln1p(digits));
    s.dense(ix::PATH_DOTS, ln1p(dots));
    s.dense(
        ix::PATH_SLASH,
        f32::from(u8::from(path.ends_with('/') && depth > 0)),
    );

    // Hashed tokens.
    for &h in &hf.hashes {
        s.push_hash(h);
    }
    // Split on bytes: every byte of a non-ASCII character is a separator,
    // as the character is, and the empty pieces between are dropped alike.
    for w in path
        .as_bytes()
        .split(|b| !b.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 2 && w.len() <= 24)
        .take(16)
    {
        s.hashed_shape("pw", std::str::from_utf8(w).unwrap_or_default());
    }
    if let Some(last) = path.rsplit('/').next()
        && let Some((_, ext)) = last.rsplit_once('.')
        && ext.len() <= 5
        && !ext.is_empty()
    {
        let h = ext
            .bytes()
            .map(|b| b.to_ascii_lowercase())
            .fold(hash_start("ext"), hash_byte);
        s.push_hash(h);
        let is = |names: &[&str]| names.iter().any(|n| ext.eq_ignore_ascii_case(n));
        s.dense(
            ix::SCRIPT_PAGE,
            f32::from(u8::from(is(&["php", "asp", "aspx", "jsp", "cgi"]))),
        );
        s.dense(ix::HTML_PAGE, f32::from(u8::from(is(&["html", "htm"]))));
    }
    for pair in query.split('&').take(8) {
        let k = pair.split('=').next().unwrap_or_default();
        if !k.is_empty() && k.len() <= 24 {
            s.hashed_shape("qk", k);
        }
    }
    s.f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_model_loads_and_round_trips() {
        let m = UrlModel::shipped().unwrap();
        let again = UrlModel::from_text(&m.to_text()).unwrap();
        assert_eq!(again.to_text(), m.to_text());
        assert!(m.suspicious_threshold() <= m.phishing_threshold());
    }

    #[test]
    fn bad_models_are_errors() {
        assert!(UrlModel::from_text("").is_err());
        assert!(
            UrlModel::from_text(
                "mailsec-url-model 1\ndim 3\nbias 0\nsuspicious 0.5\nphishing 0.9\n"
            )
            .is_err()
        );
        assert!(
            UrlModel::from_text(
                "mailsec-url-model 1\ndim 64\nbias 0\nsuspicious 0.5\nphishing 0.9\n99 1\n"
            )
            .is_err()
        );
    }

    #[test]
    fn shaped_hash_equals_hash_of_shape() {
        for w in [
            "abc12de345",
            "ÄÖÜß",
            "İstanbul",
            "x9",
            "",
            "MiXeD-Case_07",
            "ǅemal",
        ] {
            let mut a = Sink {
                f: Vec::new(),
                mask: (1 << 12) - 1,
            };
            let mut b = Sink {
                f: Vec::new(),
                mask: (1 << 12) - 1,
            };
            a.hashed("pw", &shape(w));
            b.hashed_shape("pw", w);
            assert_eq!(a.f, b.f, "{w}");
        }
    }

    /// Runs `f` with the shipped brand and credential lists and empty TLD,
    /// free-hosting and shortener lists.
    fn with_lists(f: impl FnOnce(&FeatureLists<'_>)) {
        let mut brands = Brands::from_list(crate::lists::BRANDS);
        brands.finish().unwrap();
        let empty = SuffixSet::default();
        let cw = credential_words().unwrap();
        let lists = FeatureLists {
            credential_words: &cw,
            brands: &brands,
            suspicious_tlds: &empty,
            free_hosting: &empty,
            shorteners: &empty,
        };
        f(&lists);
    }

    #[test]
    fn scheme_is_not_a_feature() {
        with_lists(|lists| {
            let a = crate::normalize_url("http://login.example.xyz/a/b?c=1").unwrap();
            let b = crate::normalize_url("https://login.example.xyz/a/b?c=1").unwrap();
            assert_eq!(features(&a, lists, 1 << 12), features(&b, lists, 1 << 12));
        });
    }

    #[test]
    fn host_features_are_reusable_per_host() {
        with_lists(|lists| {
            let first = crate::normalize_url("https://a-1.paypal-login.example.co.uk/").unwrap();
            let hf = host_features(&first, lists);
            assert!(!hf.is_ip());
            for other in [
                "https://a-1.paypal-login.example.co.uk/Verify/2024/x.php?user=1&id=22",
                "http://user@a-1.paypal-login.example.co.uk:8080/signin/paypal/",
            ] {
                let u = crate::normalize_url(other).unwrap();
                assert_eq!(
                    features_on_host(&u, lists, 1 << 12, None, &hf),
                    features(&u, lists, 1 << 12),
                    "{other}"
                );
            }
            let ip = crate::normalize_url("http://0x7f.1/login").unwrap();
            assert!(host_features(&ip, lists).is_ip());
        });
    }

    fn dense_of(url: &str, lists: &FeatureLists<'_>) -> Vec<(u32, f32)> {
        let u = crate::normalize_url(url).unwrap();
        features(&u, lists, 1 << 12)
            .into_iter()
            .filter(|&(i, _)| (i as usize) < DENSE_FEATURES)
            .collect()
    }

    fn has(f: &[(u32, f32)], i: usize) -> bool {
        f.iter().any(|&(j, v)| j as usize == i && v != 0.0)
    }

    #[test]
    fn host_shape_features_are_buckets() {
        with_lists(|lists| {
            for (url, bucket) in [
                ("https://docs.rs/serde", 1),
                ("https://ab.de/", 0),
                ("https://intranet.northwind-traders.com/hr", 3),
                ("https://averyveryverylongcompanyname.com/", 5),
            ] {
                let f = dense_of(url, lists);
                let host: Vec<_> = f.iter().filter(|&&(i, _)| (i as usize) < 32).collect();
                // Host features are flags: no host shape is "extreme".
                assert!(host.iter().all(|&&(_, v)| v == 1.0), "{url}: {host:?}");
                let len: Vec<usize> = (0..6).filter(|&b| has(&f, ix::LABEL_LEN + b)).collect();
                assert_eq!(len, vec![bucket], "{url}");
            }
        });
    }

    #[test]
    fn www_is_a_flag_not_a_subdomain_level() {
        with_lists(|lists| {
            let a = crate::normalize_url("https://www.example.net/a").unwrap();
            let b = crate::normalize_url("https://example.net/a").unwrap();
            let (ha, hb) = (host_features(&a, lists), host_features(&b, lists));
            assert_eq!(ha.hashes, hb.hashes);
            let without_www: Vec<_> = ha
                .dense
                .iter()
                .filter(|&&(i, _)| i as usize != ix::WWW)
                .copied()
                .collect();
            assert_eq!(without_www, hb.dense);
            assert!(has(&ha.dense, ix::WWW));
            assert!(!has(&ha.dense, ix::SUB_LEVELS));
            let c = dense_of("https://www2.shop.example.net/", lists);
            assert!(has(&c, ix::WWW) && has(&c, ix::SUB_LEVELS));
        });
    }

    #[test]
    fn random_labels_cost_more_than_words() {
        let b = &*BIGRAMS;
        let (word, n) = b.improbability("northwind-traders");
        assert_eq!(n, 16);
        let (random, _) = b.improbability("ybrjaouww");
        assert!(random > word + 1.0, "{random} vs {word}");
        assert!(b.improbability("xkqzvjw").0 >= RANDOM_BUCKETS[3]);
        assert!(b.improbability("intranet").0 < RANDOM_BUCKETS[0]);
        assert_eq!(b.improbability("123-456"), (0.0, 0));
        // Without the table, every bigram costs the same.
        let flat = Bigrams::from_counts("");
        assert_eq!(flat.improbability("abc").0, flat.improbability("xqz").0);
    }

    #[test]
    fn structure_flags() {
        with_lists(|lists| {
            let f = dense_of("http://paypal.com.secure.example.net/x/login.php", lists);
            assert!(has(&f, ix::TLD_IN_SUB));
            assert!(has(&f, ix::SUB_LEVELS + 2));
            assert!(has(&f, ix::SCRIPT_PAGE) && !has(&f, ix::HTML_PAGE));
            let f = dense_of("https://www.a-b-c-d.co.uk/index.html", lists);
            assert!(has(&f, ix::LABEL_HYPHENS + 2) && has(&f, ix::MULTI_LABEL_SUFFIX));
            assert!(has(&f, ix::HTML_PAGE));
            let f = dense_of("http://192.0.2.1/x", lists);
            assert!(has(&f, ix::IP));
            assert!(f.iter().all(|&(i, _)| i as usize == ix::IP || i >= 32));
            let f = dense_of("http://2024-0917.com/", lists);
            assert!(has(&f, ix::NUMERIC_LABEL) && has(&f, ix::HOST_DIGIT_RUN));
        });
    }
}
