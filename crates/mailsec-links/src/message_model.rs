//! The message model: logistic regression over explained message features.
//!
//! Every feature is something a reader can be told ("the sender name says
//! PayPal", "3 links show one domain and go to another", "the text asks to
//! verify an account under threat"). The checker computes them for every
//! message ([`MessageFeatures`], see [`crate::MessageReport::features`]);
//! the weights are learned offline by `examples/train_message_model.rs`
//! (k-fold cross-validation split by sender domain or brand) and shipped as
//! `data/message_model.txt`, with a content threshold: a message whose
//! content-model log-odds alone reach it is phishing whatever the other
//! features say ([`MessageModel::with_content_threshold`]).

use crate::LinksError;
use crate::model::sigmoid;

/// The weights shipped with the crate.
const SHIPPED: &str = include_str!("../data/message_model.txt");

/// The names of the message features, in vector order. Each is an explained
/// fact about the message; counts are given as `ln(1 + n)`. `content_words`
/// is the content model's log-odds ([`crate::TextModel`]), clamped to ±10.
pub const MESSAGE_FEATURES: &[&str] = &[
    "link_rule_score",
    "url_model_max",
    "display_mismatch",
    "display_mismatch_address",
    "brand_lookalike_link",
    "brand_in_path",
    "ip_host_link",
    "userinfo_link",
    "shortener_link",
    "suspicious_tld_link",
    "free_hosting_link",
    "credential_words_link",
    "non_standard_port_link",
    "dangerous_scheme_link",
    "brand_display_name",
    "reply_to_mismatch",
    "credential_requests",
    "pressure_phrases",
    "generic_greeting",
    "lure_phrases",
    "html_form",
    "password_field",
    "html_attachment",
    "only_link",
    "brand_named_not_sender",
    "brand_sender_links_elsewhere",
    "action_anchor_text",
    "link_domains",
    "no_clickable_link",
    "links_off_sender_domain",
    "words",
    "sender_name_other_address",
    "reply_to_freemail",
    "sender_domain_abused",
    "from_header_malformed",
    "content_words",
    "risky_attachment",
    "brand_sender_with_signs",
    "sender_name_exclaim",
    "sender_disguised",
];

/// File name endings of archives and disk images: containers that hide
/// what they carry from a reader (and from most scanners).
const ARCHIVE_ENDINGS: &[&str] = &[
    ".zip", ".rar", ".7z", ".gz", ".tgz", ".bz2", ".xz", ".tar", ".ace", ".arj", ".cab", ".lzh",
    ".uue", ".iso", ".img", ".vhd",
];

/// File name endings of programs, scripts, shortcuts and macro-enabled
/// Office files: nothing an ordinary message needs to carry.
const EXECUTABLE_ENDINGS: &[&str] = &[
    ".exe", ".scr", ".com", ".pif", ".bat", ".cmd", ".js", ".jse", ".vbs", ".vbe", ".wsf", ".wsh",
    ".hta", ".jar", ".msi", ".lnk", ".ps1", ".reg", ".cpl", ".docm", ".dotm", ".xlsm", ".xlam",
    ".pptm", ".ppam",
];

/// MIME subtypes of archives (for attachments without a telling name).
const ARCHIVE_TYPES: &[&str] = &[
    "zip",
    "x-zip",
    "x-zip-compressed",
    "x-rar",
    "x-rar-compressed",
    "vnd.rar",
    "x-7z-compressed",
    "x-iso9660-image",
];

/// MIME subtypes of programs, scripts and macro-enabled documents.
const EXECUTABLE_TYPES: &[&str] = &[
    "x-msdownload",
    "x-msdos-program",
    "x-dosexec",
    "x-executable",
    "x-ms-shortcut",
    "java-archive",
    "x-javascript",
    "javascript",
    "hta",
    "vnd.ms-word.document.macroenabled.12",
    "vnd.ms-excel.sheet.macroenabled.12",
    "vnd.ms-powerpoint.presentation.macroenabled.12",
];

/// What kind of payload an attachment (its file name and MIME subtype) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Payload {
    /// A document, image or anything else.
    Ordinary,
    /// An archive or disk image.
    Archive,
    /// A program, script, shortcut or macro-enabled document.
    Executable,
}

/// The payload kind of an attachment.
pub(crate) fn payload_kind(name: &str, subtype: Option<&str>) -> Payload {
    let lower = name
        .trim()
        .trim_end_matches(['"', '\'', ' ', '.'])
        .to_ascii_lowercase();
    let is = |endings: &[&str], types: &[&str]| {
        endings.iter().any(|e| lower.ends_with(e))
            || subtype.is_some_and(|t| types.iter().any(|r| t.eq_ignore_ascii_case(r)))
    };
    if is(EXECUTABLE_ENDINGS, EXECUTABLE_TYPES) {
        Payload::Executable
    } else if is(ARCHIVE_ENDINGS, ARCHIVE_TYPES) {
        Payload::Archive
    } else {
        Payload::Ordinary
    }
}

/// Index of a feature by name (for the checker; names are fixed).
pub(crate) fn index(name: &str) -> usize {
    MESSAGE_FEATURES
        .iter()
        .position(|n| *n == name)
        .unwrap_or(MESSAGE_FEATURES.len())
}

/// The message features of one message (see [`MESSAGE_FEATURES`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MessageFeatures {
    pub(crate) values: Vec<f32>,
}

impl MessageFeatures {
    pub(crate) fn new() -> Self {
        MessageFeatures {
            values: vec![0.0; MESSAGE_FEATURES.len()],
        }
    }

    pub(crate) fn set(&mut self, name: &str, value: f32) {
        if let Some(v) = self.values.get_mut(index(name)) {
            *v = if value.is_finite() { value } else { 0.0 };
        }
    }

    /// Features from values in the order of [`MESSAGE_FEATURES`] (for
    /// training tools; missing values are 0, extra ones ignored, values
    /// that are not finite become 0).
    pub fn from_values(values: &[f32]) -> Self {
        let mut f = Self::new();
        for (v, x) in f.values.iter_mut().zip(values) {
            *v = if x.is_finite() { *x } else { 0.0 };
        }
        f
    }

    /// The values, in the order of [`MESSAGE_FEATURES`].
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// `(name, value)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, f32)> + '_ {
        MESSAGE_FEATURES
            .iter()
            .copied()
            .zip(self.values.iter().copied())
    }

    /// The value of the feature `name` (0 when unknown).
    pub fn get(&self, name: &str) -> f32 {
        self.values.get(index(name)).copied().unwrap_or(0.0)
    }
}

/// Most nodes one tree of a [`MessageModel`] may have (depth 8).
const MAX_TREE_NODES: usize = 511;
/// Most trees a [`MessageModel`] may have.
const MAX_TREES: usize = 2000;

/// One node of a regression tree, in pre-order: a split sends `x < threshold`
/// to the next node and the rest to `right`; `value` is the model's
/// log-odds contribution at this node (for a leaf: the tree's output; for a
/// split: what the tree would say had it stopped here, which gives each
/// split's contribution along a path).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Node {
    /// Feature index, or `None` for a leaf.
    feature: Option<usize>,
    threshold: f32,
    value: f32,
    right: usize,
}

/// A logistic regression (one weight per feature) or gradient-boosted
/// regression trees over [`MessageFeatures`], with thresholds; either kind
/// explains itself ([`MessageModel::evidence`]).
#[derive(Debug, Clone)]
pub struct MessageModel {
    weights: Vec<f32>,
    /// Boosted trees, each a pre-order node list (empty: linear model).
    trees: Vec<Vec<Node>>,
    bias: f32,
    suspicious: f32,
    phishing: f32,
    /// Content-model log-odds at or above which a message is phishing on
    /// its words alone (`None`: no such rule).
    content_phishing: Option<f32>,
    /// Second-order terms: `(feature a, feature b, weight)` adds
    /// `weight · x_a · x_b` to the log-odds.
    pairs: Vec<(usize, usize, f32)>,
}

impl MessageModel {
    /// The model shipped with the crate.
    pub fn shipped() -> Result<Self, LinksError> {
        Self::from_text(SHIPPED)
    }

    /// A model from one weight per feature of [`MESSAGE_FEATURES`], a bias and
    /// the probabilities at which a message becomes suspicious and phishing.
    pub fn new(
        weights: Vec<f32>,
        bias: f32,
        suspicious: f32,
        phishing: f32,
    ) -> Result<Self, LinksError> {
        if weights.len() != MESSAGE_FEATURES.len() {
            return Err(LinksError::Model(format!(
                "{} weights for {} features",
                weights.len(),
                MESSAGE_FEATURES.len()
            )));
        }
        Ok(MessageModel {
            weights,
            trees: Vec::new(),
            bias,
            suspicious,
            phishing,
            content_phishing: None,
            pairs: Vec::new(),
        })
    }

    /// Whether this is a tree model (gradient-boosted trees) rather than a
    /// logistic regression.
    pub fn is_trees(&self) -> bool {
        !self.trees.is_empty()
    }

    /// The number of trees (0 for a logistic regression).
    pub fn tree_count(&self) -> usize {
        self.trees.len()
    }

    /// The same model with second-order terms: each `(a, b, weight)` adds
    /// `weight · x_a · x_b` to the log-odds, `a` and `b` named as in
    /// [`MESSAGE_FEATURES`]. Unknown names are an error. A tree model
    /// ignores them (its trees already combine features).
    pub fn with_pairs(mut self, pairs: &[(&str, &str, f32)]) -> Result<Self, LinksError> {
        let mut out = Vec::with_capacity(pairs.len());
        for (a, b, w) in pairs {
            let (i, j) = (index(a), index(b));
            if i >= MESSAGE_FEATURES.len() || j >= MESSAGE_FEATURES.len() || !w.is_finite() {
                return Err(LinksError::Model(format!("bad pair {a}*{b}")));
            }
            out.push((i, j, *w));
        }
        self.pairs = out;
        Ok(self)
    }

    /// The second-order terms `(a, b, weight)`.
    pub fn pairs(&self) -> Vec<(&'static str, &'static str, f32)> {
        self.pairs
            .iter()
            .filter_map(|&(i, j, w)| {
                Some((*MESSAGE_FEATURES.get(i)?, *MESSAGE_FEATURES.get(j)?, w))
            })
            .collect()
    }

    /// The same model with a content threshold: a message whose
    /// `content_words` (the content model's log-odds) reach `log_odds` is
    /// judged phishing on its words alone, whatever the other features say
    /// (its probability is raised to the phishing threshold). `None` (the
    /// default of [`MessageModel::new`]) turns the rule off.
    pub fn with_content_threshold(mut self, log_odds: Option<f32>) -> Self {
        self.content_phishing = log_odds.filter(|v| v.is_finite());
        self
    }

    /// The content-model log-odds at or above which a message is phishing
    /// on its words alone, if set.
    pub fn content_threshold(&self) -> Option<f32> {
        self.content_phishing
    }

    /// Read weights in the text format [`MessageModel::to_text`] writes:
    /// a header, `bias`, `suspicious`, `phishing`, optionally
    /// `content_phishing`, then `name weight` lines and, for second-order
    /// terms, `name*name weight` lines.
    ///
    /// A tree model starts `mailsec-message-trees 1`, then the same
    /// `bias` (the base log-odds), `suspicious`, `phishing` and optional
    /// `content_phishing` lines, then each tree: a `tree` line followed by
    /// its nodes in pre-order, `split <feature> <threshold> <value>` (values
    /// below the threshold go to the next node) or `leaf <value>`.
    pub fn from_text(text: &str) -> Result<Self, LinksError> {
        let bad = |what: String| LinksError::Model(what);
        let mut lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        match lines.next() {
            Some("mailsec-message-model 1") => {}
            Some("mailsec-message-trees 1") => return Self::trees_from_lines(lines),
            _ => return Err(bad("missing header `mailsec-message-model 1`".to_owned())),
        }
        let mut bias = None;
        let mut suspicious = None;
        let mut phishing = None;
        let mut content_phishing = None;
        let mut weights = vec![0f32; MESSAGE_FEATURES.len()];
        let mut pairs = Vec::new();
        for line in lines {
            let (k, v) = line
                .split_once(' ')
                .ok_or_else(|| bad(format!("expected `name value`: {line}")))?;
            let v: f32 = v
                .trim()
                .parse()
                .map_err(|_| bad(format!("bad number for {k}")))?;
            if !v.is_finite() {
                return Err(bad(format!("bad number for {k}")));
            }
            match k {
                "bias" => bias = Some(v),
                "suspicious" => suspicious = Some(v),
                "phishing" => phishing = Some(v),
                "content_phishing" => content_phishing = Some(v),
                pair if pair.contains('*') => {
                    let (a, b) = pair.split_once('*').unwrap_or_default();
                    let (i, j) = (index(a), index(b));
                    if i >= MESSAGE_FEATURES.len() || j >= MESSAGE_FEATURES.len() {
                        return Err(bad(format!("unknown feature pair {pair}")));
                    }
                    pairs.push((i, j, v));
                }
                name => {
                    let w = weights
                        .get_mut(index(name))
                        .ok_or_else(|| bad(format!("unknown feature {name}")))?;
                    *w = v;
                }
            }
        }
        Ok(MessageModel {
            weights,
            trees: Vec::new(),
            bias: bias.ok_or_else(|| bad("no bias".to_owned()))?,
            suspicious: suspicious.ok_or_else(|| bad("no suspicious".to_owned()))?,
            phishing: phishing.ok_or_else(|| bad("no phishing".to_owned()))?,
            content_phishing,
            pairs,
        })
    }

    /// The tree format after its header (see [`MessageModel::from_text`]).
    fn trees_from_lines<'a>(lines: impl Iterator<Item = &'a str>) -> Result<Self, LinksError> {
        let bad = |what: String| LinksError::Model(what);
        let num = |v: Option<&str>, what: &str| -> Result<f32, LinksError> {
            v.and_then(|v| v.parse::<f32>().ok())
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(format!("bad number in {what}")))
        };
        let mut bias = None;
        let mut suspicious = None;
        let mut phishing = None;
        let mut content_phishing = None;
        let mut trees: Vec<Vec<Node>> = Vec::new();
        for line in lines {
            let mut it = line.split_ascii_whitespace();
            let key = it.next().unwrap_or_default();
            match key {
                "bias" => bias = Some(num(it.next(), line)?),
                "suspicious" => suspicious = Some(num(it.next(), line)?),
                "phishing" => phishing = Some(num(it.next(), line)?),
                "content_phishing" => content_phishing = Some(num(it.next(), line)?),
                "tree" => {
                    if trees.len() >= MAX_TREES {
                        return Err(bad(format!("more than {MAX_TREES} trees")));
                    }
                    trees.push(Vec::new());
                }
                "split" | "leaf" => {
                    let tree = trees
                        .last_mut()
                        .ok_or_else(|| bad(format!("node before `tree`: {line}")))?;
                    if tree.len() >= MAX_TREE_NODES {
                        return Err(bad(format!("a tree of more than {MAX_TREE_NODES} nodes")));
                    }
                    let node = if key == "split" {
                        let name = it.next().unwrap_or_default();
                        let feature = Some(index(name))
                            .filter(|i| *i < MESSAGE_FEATURES.len())
                            .ok_or_else(|| bad(format!("unknown feature {name}")))?;
                        Node {
                            feature: Some(feature),
                            threshold: num(it.next(), line)?,
                            value: num(it.next(), line)?,
                            right: 0,
                        }
                    } else {
                        Node {
                            feature: None,
                            threshold: 0.0,
                            value: num(it.next(), line)?,
                            right: 0,
                        }
                    };
                    tree.push(node);
                }
                _ => return Err(bad(format!("unexpected line: {line}"))),
            }
            if it.next().is_some() {
                return Err(bad(format!("trailing words: {line}")));
            }
        }
        if trees.is_empty() {
            return Err(bad("a tree model without trees".to_owned()));
        }
        for tree in &mut trees {
            link_tree(tree)?;
        }
        Ok(MessageModel {
            weights: vec![0.0; MESSAGE_FEATURES.len()],
            trees,
            bias: bias.ok_or_else(|| bad("no bias".to_owned()))?,
            suspicious: suspicious.ok_or_else(|| bad("no suspicious".to_owned()))?,
            phishing: phishing.ok_or_else(|| bad("no phishing".to_owned()))?,
            content_phishing,
            pairs: Vec::new(),
        })
    }

    /// The model as text.
    pub fn to_text(&self) -> String {
        if self.is_trees() {
            return self.trees_to_text();
        }
        let mut s = format!(
            "mailsec-message-model 1\nbias {}\nsuspicious {}\nphishing {}\n",
            self.bias, self.suspicious, self.phishing
        );
        if let Some(c) = self.content_phishing {
            s.push_str(&format!("content_phishing {c}\n"));
        }
        for (name, w) in MESSAGE_FEATURES.iter().zip(&self.weights) {
            s.push_str(&format!("{name} {w}\n"));
        }
        for (a, b, w) in self.pairs() {
            s.push_str(&format!("{a}*{b} {w}\n"));
        }
        s
    }

    fn trees_to_text(&self) -> String {
        let mut s = format!(
            "mailsec-message-trees 1\nbias {}\nsuspicious {}\nphishing {}\n",
            self.bias, self.suspicious, self.phishing
        );
        if let Some(c) = self.content_phishing {
            s.push_str(&format!("content_phishing {c}\n"));
        }
        for tree in &self.trees {
            s.push_str("tree\n");
            for n in tree {
                match n.feature.and_then(|f| MESSAGE_FEATURES.get(f)) {
                    Some(name) => {
                        s.push_str(&format!("split {name} {} {}\n", n.threshold, n.value));
                    }
                    None => s.push_str(&format!("leaf {}\n", n.value)),
                }
            }
        }
        s
    }

    /// Probability at or above which a message is suspicious.
    pub fn suspicious_threshold(&self) -> f32 {
        self.suspicious
    }

    /// Probability at or above which a message is phishing.
    pub fn phishing_threshold(&self) -> f32 {
        self.phishing
    }

    /// The weights, in the order of [`MESSAGE_FEATURES`] (all zero for a
    /// tree model).
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// The bias (for a tree model: the base log-odds before any tree).
    pub fn bias(&self) -> f32 {
        self.bias
    }

    /// The log-odds of a feature vector (in [`MESSAGE_FEATURES`] order):
    /// bias, weights and second-order terms; no content threshold.
    pub fn log_odds(&self, values: &[f32]) -> f32 {
        let x = |i: usize| values.get(i).copied().unwrap_or(0.0);
        if self.is_trees() {
            return self.bias
                + self
                    .trees
                    .iter()
                    .map(|t| leaf_value(t, values, |_, _, _| {}))
                    .sum::<f32>();
        }
        self.bias
            + self
                .weights
                .iter()
                .zip(values)
                .map(|(w, x)| w * x)
                .sum::<f32>()
            + self
                .pairs
                .iter()
                .map(|&(i, j, w)| w * x(i) * x(j))
                .sum::<f32>()
    }

    /// The probability that a message with these features is phishing;
    /// at least the phishing threshold when its `content_words` reach the
    /// content threshold ([`MessageModel::with_content_threshold`]).
    pub fn probability(&self, f: &MessageFeatures) -> f32 {
        let p = sigmoid(self.log_odds(&f.values));
        match self.content_phishing {
            Some(t) if f.get("content_words") >= t => p.max(self.phishing),
            _ => p,
        }
    }

    /// Each feature's contribution to the log-odds of `f`, in the order of
    /// [`MESSAGE_FEATURES`]. Linear: weight × value (a second-order term's
    /// contribution is shared evenly by its two features). Trees: along
    /// each tree's path, every split adds the change of the node value it
    /// causes to its feature (Saabas); with the tree roots and the bias
    /// they sum to the log-odds.
    pub fn contributions(&self, f: &MessageFeatures) -> Vec<f32> {
        if self.is_trees() {
            let mut c = vec![0f32; MESSAGE_FEATURES.len()];
            for t in &self.trees {
                leaf_value(t, &f.values, |feature, from, to| {
                    if let Some(v) = c.get_mut(feature) {
                        *v += to - from;
                    }
                });
            }
            return c;
        }
        let mut c: Vec<f32> = self
            .weights
            .iter()
            .zip(&f.values)
            .map(|(w, x)| w * x)
            .collect();
        for &(i, j, w) in &self.pairs {
            let half = 0.5
                * w
                * f.values.get(i).copied().unwrap_or(0.0)
                * f.values.get(j).copied().unwrap_or(0.0);
            for k in [i, j] {
                if let Some(v) = c.get_mut(k) {
                    *v += half;
                }
            }
        }
        c
    }

    /// The features that push towards phishing most, strongest first
    /// (`name`, contribution to the log-odds, see
    /// [`MessageModel::contributions`]), at most `n`.
    pub fn evidence(&self, f: &MessageFeatures, n: usize) -> Vec<(&'static str, f32)> {
        let c = self.contributions(f);
        let mut v: Vec<(&'static str, f32)> = MESSAGE_FEATURES
            .iter()
            .copied()
            .zip(c)
            .filter(|(_, c)| *c > 0.05)
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        v.truncate(n);
        v
    }
}

/// Set each split's `right` child (pre-order: the left child is the next
/// node); an error unless the nodes form exactly one complete tree.
fn link_tree(tree: &mut [Node]) -> Result<(), LinksError> {
    fn walk(tree: &mut [Node], i: usize, depth: usize) -> Result<usize, LinksError> {
        let bad = || LinksError::Model("incomplete or too deep tree".to_owned());
        if depth > 8 {
            return Err(bad());
        }
        let leaf = tree.get(i).ok_or_else(bad)?.feature.is_none();
        if leaf {
            return Ok(i + 1);
        }
        let right = walk(tree, i + 1, depth + 1)?;
        if let Some(n) = tree.get_mut(i) {
            n.right = right;
        }
        walk(tree, right, depth + 1)
    }
    if walk(tree, 0, 0)? != tree.len() {
        return Err(LinksError::Model("nodes after a complete tree".to_owned()));
    }
    Ok(())
}

/// The leaf value of `x` in `tree`; `step(feature, from, to)` sees each
/// split on the path with the node values before and after it.
fn leaf_value(tree: &[Node], x: &[f32], mut step: impl FnMut(usize, f32, f32)) -> f32 {
    let mut i = 0;
    // Every child index is larger than its parent's, so this ends.
    while let Some(n) = tree.get(i) {
        let Some(f) = n.feature else {
            return n.value;
        };
        let next = if x.get(f).copied().unwrap_or(0.0) < n.threshold {
            i + 1
        } else {
            n.right
        };
        if let Some(child) = tree.get(next) {
            step(f, n.value, child.value);
        }
        i = next;
    }
    0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_model_loads_and_round_trips() {
        let m = MessageModel::shipped().unwrap();
        let again = MessageModel::from_text(&m.to_text()).unwrap();
        assert_eq!(m.weights(), again.weights());
        assert!(m.phishing_threshold() >= m.suspicious_threshold());
    }

    #[test]
    fn bad_models_are_errors() {
        assert!(MessageModel::from_text("").is_err());
        assert!(MessageModel::from_text("mailsec-message-model 1\nbias 1\n").is_err());
        assert!(
            MessageModel::from_text(
                "mailsec-message-model 1\nbias 0\nsuspicious 0.5\nphishing 0.9\nnope 1\n"
            )
            .is_err()
        );
        assert!(MessageModel::new(vec![0.0; 3], 0.0, 0.5, 0.9).is_err());
    }

    #[test]
    fn content_threshold_alone_makes_phishing() {
        let mut w = vec![0.0; MESSAGE_FEATURES.len()];
        w[index("content_words")] = 0.1;
        let m = MessageModel::new(w, -5.0, 0.5, 0.9)
            .unwrap()
            .with_content_threshold(Some(4.0));
        let mut f = MessageFeatures::new();
        f.set("content_words", 3.9);
        assert!(m.probability(&f) < 0.5);
        f.set("content_words", 4.0);
        assert!(m.probability(&f) >= m.phishing_threshold());
        let again = MessageModel::from_text(&m.to_text()).unwrap();
        assert_eq!(again.content_threshold(), Some(4.0));
        let off =
            MessageModel::from_text(&m.clone().with_content_threshold(None).to_text()).unwrap();
        assert_eq!(off.content_threshold(), None);
        assert!(off.probability(&f) < 0.5);
    }

    #[test]
    fn pairs_add_second_order_terms_and_round_trip() {
        let m = MessageModel::new(vec![0.0; MESSAGE_FEATURES.len()], -1.0, 0.5, 0.9)
            .unwrap()
            .with_pairs(&[("content_words", "url_model_max", 0.5)])
            .unwrap();
        let mut f = MessageFeatures::new();
        f.set("content_words", 2.0);
        assert!((m.probability(&f) - sigmoid(-1.0)).abs() < 1e-6);
        f.set("url_model_max", 1.0);
        assert!((m.probability(&f) - sigmoid(0.0)).abs() < 1e-6);
        assert_eq!(
            m.evidence(&f, 3),
            // A tie keeps the order of MESSAGE_FEATURES.
            vec![("url_model_max", 0.5), ("content_words", 0.5)]
        );
        let again = MessageModel::from_text(&m.to_text()).unwrap();
        assert_eq!(again.pairs(), vec![("content_words", "url_model_max", 0.5)]);
        assert!(m.clone().with_pairs(&[("nope", "words", 1.0)]).is_err());
        assert!(
            MessageModel::from_text(
                "mailsec-message-model 1\nbias 0\nsuspicious 0.5\nphishing 0.9\nwords*nope 1\n"
            )
            .is_err()
        );
    }

    #[test]
    fn evidence_names_the_strong_features() {
        let mut w = vec![0.0; MESSAGE_FEATURES.len()];
        w[index("html_form")] = 2.0;
        w[index("words")] = -1.0;
        let m = MessageModel::new(w, -1.0, 0.5, 0.9).unwrap();
        let mut f = MessageFeatures::new();
        f.set("html_form", 1.0);
        f.set("words", 1.0);
        assert_eq!(m.evidence(&f, 3), vec![("html_form", 2.0)]);
        assert!((m.probability(&f) - sigmoid(0.0)).abs() < 1e-6);
    }

    /// Two depth-2 trees over `password_field` and `html_form`.
    const TREES: &str = "mailsec-message-trees 1
bias -1
suspicious 0.5
phishing 0.75
content_phishing 6
tree
split password_field 0.5 0.1
leaf -0.5
split html_form 0.5 1
leaf 0.5
leaf 2
tree
leaf 0.25
";

    #[test]
    fn trees_load_score_explain_and_round_trip() {
        let m = MessageModel::from_text(TREES).unwrap();
        assert!(m.is_trees());
        assert_eq!(m.tree_count(), 2);
        let mut f = MessageFeatures::new();
        // No password field: left leaf.
        assert!((m.log_odds(f.values()) - (-1.0 - 0.5 + 0.25)).abs() < 1e-6);
        assert!(m.evidence(&f, 3).is_empty());
        f.set("password_field", 1.0);
        f.set("html_form", 1.0);
        assert!((m.log_odds(f.values()) - (-1.0 + 2.0 + 0.25)).abs() < 1e-6);
        // Saabas: 0.1 → 1 by password_field, 1 → 2 by html_form.
        assert_eq!(
            m.evidence(&f, 3),
            vec![("html_form", 1.0), ("password_field", 0.9)]
        );
        let c = m.contributions(&f);
        let roots = 0.1 + 0.25;
        assert!((m.bias() + roots + c.iter().sum::<f32>() - m.log_odds(f.values())).abs() < 1e-6);
        assert!(m.probability(&f) >= m.phishing_threshold());
        f.set("password_field", 0.0);
        f.set("content_words", 6.0);
        assert!(m.probability(&f) >= m.phishing_threshold());
        let again = MessageModel::from_text(&m.to_text()).unwrap();
        assert_eq!(again.to_text(), m.to_text());
        assert_eq!(again.log_odds(f.values()), m.log_odds(f.values()));
        assert_eq!(again.content_threshold(), Some(6.0));
    }

    #[test]
    fn bad_trees_are_errors() {
        let head = "mailsec-message-trees 1\nbias 0\nsuspicious 0.5\nphishing 0.9\n";
        for body in [
            "",
            "leaf 1\n",
            "tree\nsplit words 1 0\nleaf 1\n",
            "tree\nleaf 1\nleaf 2\n",
            "tree\nsplit nope 1 0\nleaf 1\nleaf 2\n",
            "tree\nleaf NaN\n",
            "tree\nleaf 1 2\n",
            "tree\nbranch 1\n",
        ] {
            assert!(
                MessageModel::from_text(&format!("{head}{body}")).is_err(),
                "{body:?}"
            );
        }
        // Deeper than 8.
        let deep = "split words 1 0\n".repeat(10) + &"leaf 1\n".repeat(11);
        assert!(MessageModel::from_text(&format!("{head}tree\n{deep}")).is_err());
        assert!(MessageModel::from_text(&format!("{head}tree\nleaf 1\n")).is_ok());
    }

    #[test]
    fn payload_kinds() {
        for (name, sub, kind) in [
            ("invoice.zip", None, Payload::Archive),
            ("", Some("x-zip-compressed"), Payload::Archive),
            ("disk.ISO", None, Payload::Archive),
            ("scan.PDF.exe", None, Payload::Executable),
            ("\"order.docm\"", None, Payload::Executable),
            ("doc.js", Some("octet-stream"), Payload::Executable),
            ("invoice.zip.js", None, Payload::Executable),
            ("report.pdf", Some("pdf"), Payload::Ordinary),
            ("notes.txt", None, Payload::Ordinary),
            ("patch.diff", None, Payload::Ordinary),
            ("photo.jpg", Some("jpeg"), Payload::Ordinary),
            ("", None, Payload::Ordinary),
        ] {
            assert_eq!(payload_kind(name, sub), kind, "{name}");
        }
    }

    fn with_attachment(from: &str, subject: &str, text: &str, name: &str) -> Vec<u8> {
        format!(
            "From: {from}\r\nTo: b@example.org\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
             Content-Type: text/plain\r\n\r\n{text}\r\n--b\r\n\
             Content-Type: application/octet-stream; name=\"{name}\"\r\n\
             Content-Disposition: attachment; filename=\"{name}\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\nUEsDBAo=\r\n--b--\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn payload_features_are_computed() {
        let checker = crate::LinkChecker::new().unwrap();
        let raw = with_attachment(
            "Staff <staff@mail.example.net>",
            "YOUR EMAIL ACCOUNT IS SUSPENDED FOR SECURITY REASONS",
            "Your account has been suspended. Details are in the attached file.",
            "email-text.zip",
        );
        let r = checker.check_raw(&raw).unwrap();
        assert_eq!(r.features().get("risky_attachment"), 1.0);
        assert_eq!(r.features().get("brand_sender_with_signs"), 0.0);
        assert_eq!(r.verdict(), crate::Verdict::Phishing, "{:?}", r.reasons());
        let raw = with_attachment(
            "PayPal <service@paypal.com>",
            "Your account will be limited",
            "Please confirm your account details.",
            "statement.pdf",
        );
        let r = checker.check_raw(&raw).unwrap();
        assert_eq!(r.features().get("risky_attachment"), 0.0);
        assert_eq!(r.features().get("brand_sender_with_signs"), 1.0);
    }

    #[test]
    fn an_ordinary_archive_attachment_is_not_phishing() {
        // A zip of photos between people: an archive without pressure or
        // credential wording is not a risky attachment (the corpus has no
        // ham with archives to learn that from), and not phishing.
        let checker = crate::LinkChecker::new().unwrap();
        let raw = with_attachment(
            "Anna Berg <anna@berg-family.example.org>",
            "photos from the weekend",
            "Hi Tom,\r\n\r\nhere are the photos from Saturday, zipped because \
             there are forty of them. The ones by the lake came out best.\r\n\r\n\
             See you next week,\r\nAnna",
            "photos.zip",
        );
        let r = checker.check_raw(&raw).unwrap();
        assert_eq!(r.features().get("risky_attachment"), 0.0);
        assert_ne!(r.verdict(), crate::Verdict::Phishing, "{:?}", r.reasons());
    }

    fn plain(headers: &str, text: &str) -> Vec<u8> {
        format!("{headers}To: b@example.org\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n")
            .into_bytes()
    }

    #[test]
    fn replies_to_another_free_mailbox_of_the_same_provider() {
        let checker = crate::LinkChecker::new().unwrap();
        let get = |headers: &str| {
            checker
                .check_raw(&plain(headers, "Please write back."))
                .unwrap()
                .features()
                .get("reply_to_freemail")
        };
        // Another mailbox at the same free-mail provider.
        assert_eq!(
            get(
                "From: Mrs Nelson <gosstom3@gmail.com>\r\nReply-To: margretnelson111@gmail.com\r\n"
            ),
            1.0
        );
        // The sender's own mailbox (case aside) is not "another" one.
        assert_eq!(
            get("From: Ann Lee <ann.lee@gmail.com>\r\nReply-To: Ann.Lee@gmail.com\r\n"),
            0.0
        );
        // Replies to a company address are not to a free mailbox.
        assert_eq!(
            get(
                "From: Ann Lee <ann.lee@gmail.com>\r\nReply-To: sales@lee-consulting.example.com\r\n"
            ),
            0.0
        );
    }

    #[test]
    fn disguised_and_shouting_sender_names() {
        let checker = crate::LinkChecker::new().unwrap();
        let features = |headers: &str| {
            let r = checker.check_raw(&plain(headers, "Hello.")).unwrap();
            (
                r.features().get("sender_disguised"),
                r.features().get("sender_name_exclaim"),
            )
        };
        // Cyrillic letters inside a Latin word.
        assert_eq!(
            features(
                "From: \"\u{41e}sm\u{43e}sis.zone\" <news@b2b2c.example>\r\nSubject: News\r\n"
            ),
            (1.0, 0.0)
        );
        // Invisible characters splitting a word of the Subject.
        assert_eq!(
            features("From: Prime <a@shop.example>\r\nSubject: Mem\u{200e}ber\u{200e}ship\r\n"),
            (1.0, 0.0)
        );
        assert_eq!(
            features("From: \"Congratulations! $500 reward\" <a@shop.example>\r\nSubject: Hi\r\n"),
            (0.0, 1.0)
        );
        // Whole words of one script are not a disguise: Russian, Greek, Japanese.
        for name in [
            "\u{418}\u{432}\u{430}\u{43d} \u{41f}\u{435}\u{442}\u{440}\u{43e}\u{432}",
            "\u{393}\u{3b9}\u{3ce}\u{3c1}\u{3b3}\u{3bf}\u{3c2}",
            "\u{5c71}\u{7530}\u{3055}\u{3093}",
            "Jos\u{e9} M\u{fc}ller-\u{d8}stergaard",
        ] {
            assert_eq!(
                features(&format!(
                    "From: {name} <a@mail.example>\r\nSubject: Meeting on Tuesday\r\n"
                )),
                (0.0, 0.0),
                "{name}"
            );
        }
    }

    #[test]
    fn a_tree_model_in_the_checker_explains_its_verdict() {
        let checker = crate::LinkChecker::builder()
            .message_model(MessageModel::from_text(TREES).unwrap())
            .without_text_model()
            .build()
            .unwrap();
        let raw = "From: Accounts <accounts@mailer.example.net>\r\nSubject: Sign in\r\n\
                   Content-Type: text/html\r\n\r\n<p>Sign in below.</p>\
                   <form action=\"https://mailer.example.net/p\"><input type=password name=p></form>\r\n";
        let r = checker.check_raw(raw.as_bytes()).unwrap();
        let evidence = r
            .reasons()
            .iter()
            .find_map(|x| match x {
                crate::Reason::MessageModel {
                    phishing, evidence, ..
                } => Some((*phishing, evidence.clone())),
                _ => None,
            })
            .unwrap();
        assert_eq!(
            evidence,
            (
                true,
                vec!["html_form".to_owned(), "password_field".to_owned()]
            )
        );
        assert_eq!(r.verdict(), crate::Verdict::Phishing);
    }

    #[test]
    fn url_model_max_reads_the_probability_below_the_threshold() {
        let checker = crate::LinkChecker::new().unwrap();
        let threshold = crate::UrlModel::shipped().unwrap().suspicious_threshold();
        // An ordinary shop link: judged by the URL model, below its threshold.
        let url = "http://www.garden-tools-shop.net/catalog/spades.html";
        let alone = checker.check_url(url);
        assert!(
            alone.url_p > 0.0 && alone.url_p < threshold,
            "{}",
            alone.url_p
        );
        assert!(
            !alone
                .reasons()
                .iter()
                .any(|r| matches!(r, crate::Reason::Model { .. }))
        );
        let raw = format!(
            "From: Shop <news@garden-tools-shop.net>\r\nTo: a@b.example\r\nSubject: spades\r\n\r\nNew spades: {url}\r\n"
        );
        let report = checker.check_raw(raw.as_bytes()).unwrap();
        assert_eq!(report.features().get("url_model_max"), alone.url_p);
        // A brand's own domain is not given to the model: 0.
        let own = checker.check_url("https://www.paypal.com/signin");
        assert_eq!(own.url_p, 0.0);
    }
}
