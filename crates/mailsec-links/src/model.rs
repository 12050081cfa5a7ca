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
pub const DENSE_FEATURES: usize = 40;

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
    (x as f32).ln_1p()
}

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

fn entropy(s: &str) -> f32 {
    let mut counts = [0u32; 256];
    let mut n = 0u32;
    for b in s.bytes() {
        counts[b as usize] += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = n as f32;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f32 / n;
            -p * p.log2()
        })
        .sum()
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
    /// Dense values by index; only the host indices are read.
    dense: [f32; DENSE_FEATURES],
    /// Hashes of the `tld` and `sub` tokens, in order.
    hashes: Vec<u32>,
    /// Whether the registered domain belongs to no protected brand.
    unowned: bool,
}

impl HostFeatures {
    /// Whether these are the features of an IP literal host.
    pub(crate) fn is_ip(&self) -> bool {
        self.dense.get(5).is_some_and(|&v| v != 0.0)
    }
}

/// Compute the host part of a URL's features.
pub(crate) fn host_features(url: &NormalizedUrl, lists: &FeatureLists<'_>) -> HostFeatures {
    let mut d = [0.0f32; DENSE_FEATURES];
    let host = url.host_str().unwrap_or_default();
    let reg = url.registered_domain().unwrap_or(host);
    let suffix_len = reg.find('.').map(|i| reg.len() - i - 1).unwrap_or(0);
    let reg_label = reg.split('.').next().unwrap_or_default();
    let sub = host
        .strip_suffix(reg)
        .map(|p| p.trim_end_matches('.'))
        .unwrap_or_default();
    let labels = host.split('.').count();
    let mut set = |i: usize, v: f32| {
        if let Some(slot) = d.get_mut(i) {
            *slot = v;
        }
    };
    set(0, ln1p(host.len()));
    set(1, labels.min(8) as f32 / 4.0);
    set(2, ln1p(reg_label.len()));
    let host_digits = host.bytes().filter(u8::is_ascii_digit).count();
    set(
        3,
        if host.is_empty() {
            0.0
        } else {
            host_digits as f32 / host.len() as f32
        },
    );
    set(4, host.bytes().filter(|&b| b == b'-').count().min(5) as f32);
    set(
        5,
        f32::from(u8::from(matches!(
            url.host_kind(),
            HostKind::Ipv4 | HostKind::Ipv6
        ))),
    );
    set(12, entropy(reg_label) / 4.0);
    let vowels = reg_label.bytes().filter(|b| b"aeiou".contains(b)).count();
    set(
        13,
        if reg_label.is_empty() {
            0.0
        } else {
            vowels as f32 / reg_label.len() as f32
        },
    );
    let mut run = 0;
    let mut max_run = 0;
    for b in host.bytes() {
        if b.is_ascii_digit() {
            run += 1;
            max_run = max_run.max(run);
        } else {
            run = 0;
        }
    }
    set(14, max_run.min(10) as f32 / 5.0);
    let sub_labels = if sub.is_empty() {
        0
    } else {
        sub.split('.').count()
    };
    set(15, sub_labels.min(6) as f32 / 3.0);
    let tld = host.rsplit('.').next().unwrap_or_default();
    set(19, f32::from(u8::from(lists.suspicious_tlds.contains(tld))));
    set(
        20,
        f32::from(u8::from(lists.free_hosting.matching(host).is_some())),
    );
    set(
        21,
        f32::from(u8::from(lists.shorteners.matching(host).is_some())),
    );
    set(23, f32::from(u8::from(url.is_idn())));
    set(
        29,
        f32::from(u8::from(reg_label.bytes().any(|b| b.is_ascii_digit()))),
    );
    set(30, f32::from(u8::from(host.starts_with("www."))));
    let mut cons = 0;
    let mut max_cons = 0;
    for b in reg_label.bytes() {
        if b.is_ascii_alphabetic() && !b"aeiouy".contains(&b) {
            cons += 1;
            max_cons = max_cons.max(cons);
        } else {
            cons = 0;
        }
    }
    set(31, max_cons.min(10) as f32 / 5.0);
    set(33, suffix_len.min(10) as f32 / 5.0);
    let mut hashes = vec![tld.bytes().fold(hash_start("tld"), hash_byte)];
    for w in sub.split(['.', '-']).filter(|w| !w.is_empty()).take(6) {
        hashes.push(shape_hash("sub", w));
    }
    HostFeatures {
        dense: d,
        hashes,
        unowned: lists.brands.owner_of(reg).is_none(),
    }
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
        f: Vec::with_capacity(64),
        mask: (dim as u32).wrapping_sub(1),
    };
    let hd = |i: usize| hf.dense.get(i).copied().unwrap_or(0.0);
    let host = url.host_str().unwrap_or_default();
    let path = url.url().path();
    let query = url.url().query().unwrap_or_default();

    for i in 0..=5 {
        s.dense(i, hd(i));
    }
    s.dense(6, ln1p(path.len()));
    let depth = path.split('/').filter(|p| !p.is_empty()).count();
    s.dense(7, depth.min(10) as f32 / 5.0);
    s.dense(8, ln1p(query.len()));
    s.dense(
        9,
        if query.is_empty() {
            0.0
        } else {
            (query.matches('&').count() + 1).min(10) as f32 / 5.0
        },
    );
    s.dense(10, f32::from(u8::from(path.len() <= 1 && query.is_empty())));
    s.dense(11, ln1p(path.matches('%').count()));
    for i in 12..=15 {
        s.dense(i, hd(i));
    }
    s.dense(16, f32::from(u8::from(url.has_userinfo())));
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
    s.dense(17, f32::from(u8::from(brand_host)));
    s.dense(18, f32::from(u8::from(brand_path)));
    for i in 19..=21 {
        s.dense(i, hd(i));
    }
    let cred = match words {
        Some(w) => w.credential_words,
        None => credential_word_count(lists.credential_words, host, path, query),
    };
    s.dense(22, ln1p(cred));
    s.dense(23, hd(23));
    s.dense(24, f32::from(u8::from(url.url().port().is_some())));
    let upper = path.bytes().filter(u8::is_ascii_uppercase).count();
    s.dense(
        25,
        if path.is_empty() {
            0.0
        } else {
            upper as f32 / path.len() as f32
        },
    );
    s.dense(26, ln1p(path.bytes().filter(|&b| b == b'-').count()));
    s.dense(27, ln1p(path.bytes().filter(u8::is_ascii_digit).count()));
    s.dense(28, ln1p(path.bytes().filter(|&b| b == b'.').count()));
    for i in 29..=31 {
        s.dense(i, hd(i));
    }
    s.dense(32, f32::from(u8::from(path.ends_with('/') && depth > 0)));
    s.dense(33, hd(33));

    // Hashed tokens.
    for &h in &hf.hashes {
        s.push_hash(h);
    }
    for w in path
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 2 && w.len() <= 24)
        .take(16)
    {
        s.hashed_shape("pw", w);
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
}
