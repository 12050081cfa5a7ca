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
];

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

/// Logistic regression over [`MessageFeatures`].
#[derive(Debug, Clone)]
pub struct MessageModel {
    weights: Vec<f32>,
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
            bias,
            suspicious,
            phishing,
            content_phishing: None,
            pairs: Vec::new(),
        })
    }

    /// The same model with second-order terms: each `(a, b, weight)` adds
    /// `weight · x_a · x_b` to the log-odds, `a` and `b` named as in
    /// [`MESSAGE_FEATURES`]. Unknown names are an error.
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
    pub fn from_text(text: &str) -> Result<Self, LinksError> {
        let bad = |what: String| LinksError::Model(what);
        let mut lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        if lines.next() != Some("mailsec-message-model 1") {
            return Err(bad("missing header `mailsec-message-model 1`".to_owned()));
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
            bias: bias.ok_or_else(|| bad("no bias".to_owned()))?,
            suspicious: suspicious.ok_or_else(|| bad("no suspicious".to_owned()))?,
            phishing: phishing.ok_or_else(|| bad("no phishing".to_owned()))?,
            content_phishing,
            pairs,
        })
    }

    /// The model as text.
    pub fn to_text(&self) -> String {
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

    /// Probability at or above which a message is suspicious.
    pub fn suspicious_threshold(&self) -> f32 {
        self.suspicious
    }

    /// Probability at or above which a message is phishing.
    pub fn phishing_threshold(&self) -> f32 {
        self.phishing
    }

    /// The weights, in the order of [`MESSAGE_FEATURES`].
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// The bias.
    pub fn bias(&self) -> f32 {
        self.bias
    }

    /// The log-odds of a feature vector (in [`MESSAGE_FEATURES`] order):
    /// bias, weights and second-order terms; no content threshold.
    pub fn log_odds(&self, values: &[f32]) -> f32 {
        let x = |i: usize| values.get(i).copied().unwrap_or(0.0);
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

    /// The features that push towards phishing most, strongest first
    /// (`name`, contribution to the log-odds), at most `n`. A second-order
    /// term's contribution is shared evenly by its two features.
    pub fn evidence(&self, f: &MessageFeatures, n: usize) -> Vec<(&'static str, f32)> {
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
}
