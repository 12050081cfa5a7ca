//! The message model's data, training and cross-validation, shared by
//! `examples/train_message_model.rs`, `examples/evaluate.rs` and the
//! evaluation test. (Not part of the library.)
#![allow(dead_code)]

use std::path::PathBuf;
use std::rc::Rc;

use mail_parser::MessageParser;
use mailsec_links::{
    LinkChecker, MESSAGE_FEATURES, MessageModel, Reason, Verdict, registered_domain_of,
};

use crate::corpus;

/// One message of the corpus, as the message model sees it.
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    pub path: PathBuf,
    /// Phishing (true) or ham.
    pub phishing: bool,
    /// `nazario`, `phishing_pot`, `easy_ham`, `easy_ham_2`, `hard_ham`, `hard_ham_2`.
    pub folder: String,
    /// Cross-validation group: the brand the sender name claims, else the
    /// From registered domain (so no sender domain or brand is on both sides).
    pub group: String,
    /// The message features.
    pub x: Vec<f32>,
    /// The rules' verdict (without the message model).
    pub rule: Verdict,
    /// The text the content model reads.
    pub text: Rc<str>,
    /// The content model's features: (bucket, count) sorted by bucket, and
    /// the number of tokens and pairs.
    pub tf: Rc<(Vec<(u32, u32)>, u32)>,
}

impl Sample {
    pub(crate) fn is_hard_ham(&self) -> bool {
        self.folder.starts_with("hard_ham")
    }
}

/// Every `step`-th message of the phishing and ham folders, masked, with
/// features from `checker` (which should be built without a message model).
pub(crate) fn samples(checker: &LinkChecker, step: usize) -> Vec<Sample> {
    let dirs = corpus::phishing_dirs()
        .into_iter()
        .map(|d| (d, true))
        .chain(corpus::ham_dirs().into_iter().map(|d| (d, false)));
    samples_of(checker, step, dirs)
}

/// Every `step`-th message of the SpamAssassin spam folders, as positives
/// for the content model only (never judged, never in the message model).
pub(crate) fn spam_samples(checker: &LinkChecker, step: usize) -> Vec<Sample> {
    samples_of(
        checker,
        step,
        corpus::spam_dirs().into_iter().map(|d| (d, true)),
    )
}

fn samples_of(
    checker: &LinkChecker,
    step: usize,
    dirs: impl Iterator<Item = (PathBuf, bool)>,
) -> Vec<Sample> {
    let mut out = Vec::new();
    for (dir, phishing) in dirs {
        let folder = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for path in corpus::message_files(&dir).into_iter().step_by(step) {
            let raw = corpus::mask_artefacts(&std::fs::read(&path).unwrap_or_default());
            let Some(msg) = MessageParser::default().parse(&raw) else {
                continue;
            };
            let r = checker.check_message(&msg);
            let mut text = checker.message_text(&msg).replace(corpus::MASK, " ");
            if std::env::var("TEXT_PATH").is_ok() {
                // Experiment: words of link paths, tagged `lp`.
                for l in r.links() {
                    let u = l.url();
                    let path = u
                        .split_once("://")
                        .and_then(|(_, rest)| rest.split_once('/'))
                        .map(|(_, p)| p)
                        .unwrap_or("");
                    for w in path.split(|c: char| !c.is_alphanumeric()) {
                        if w.len() >= 3 && w.len() <= 20 && !w.chars().any(|c| c.is_ascii_digit()) {
                            text.push_str(" lp");
                            text.push_str(w);
                        }
                    }
                    text.push('.');
                }
            }
            let text: Rc<str> = text.into();
            let name = msg
                .from()
                .and_then(|a| a.first())
                .and_then(|a| a.name())
                .map(|n| n.replace(corpus::MASK, " "))
                .unwrap_or_default();
            let tf = Rc::new(crate::text::term_counts(&text, &name, crate::text::bits()));
            let brand = r.reasons().iter().find_map(|x| match x {
                Reason::BrandDisplayName { brand, .. } => Some(brand.clone()),
                _ => None,
            });
            let from = msg
                .from()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .and_then(|a| a.rsplit_once('@'))
                .map(|(_, d)| d.to_ascii_lowercase());
            let group = match (brand, from) {
                (Some(b), _) => format!("brand:{b}"),
                (None, Some(d)) => {
                    format!("from:{}", registered_domain_of(&d).unwrap_or(d))
                }
                (None, None) => format!("none:{}", path.display()),
            };
            let x = r.features().values().to_vec();
            out.push(Sample {
                path,
                phishing,
                folder: folder.clone(),
                group,
                x,
                rule: r.verdict(),
                text,
                tf,
            });
        }
    }
    out
}

/// Fold of a group (FNV-1a).
pub(crate) fn group_fold(group: &str, k: u32) -> u32 {
    corpus::fold(group) % 5 % k.max(1)
}

/// Training settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// L2 penalty on the standardised weights.
    pub l2: f64,
    /// Gradient steps.
    pub steps: usize,
    /// Largest share of training ham the phishing threshold may pass.
    pub ham_phishing: f64,
    /// Largest share of training ham the suspicious threshold may pass.
    pub ham_suspicious: f64,
    /// Extra weight of the ham class in the loss (`MSG_HAMW`, 5; 1 =
    /// balanced classes): the thresholds sit in the far ham tail, so the
    /// fit is pushed to rank ham low rather than to fit phishing well.
    pub ham_weight: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            l2: 0.1,
            steps: 3000,
            ham_phishing: 0.0005,
            ham_suspicious: 0.02,
            ham_weight: std::env::var("MSG_HAMW")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(5.0),
        }
    }
}

/// Train logistic regression (class-balanced, L2, Adam on standardised
/// features) and pick thresholds on the training ham.
pub(crate) fn train(samples: &[&Sample], s: Settings) -> MessageModel {
    let pairs = pairs();
    let d0 = MESSAGE_FEATURES.len();
    let d = d0 + pairs.len();
    let expand = |x: &[f32]| -> Vec<f32> {
        let mut v = x.to_vec();
        v.extend(pairs.iter().map(|&(i, j)| x[i] * x[j]));
        v
    };
    let xs: Vec<Vec<f32>> = samples.iter().map(|x| expand(&x.x)).collect();
    let n = samples.len().max(1) as f64;
    let mut mean = vec![0f64; d];
    let mut sd = vec![0f64; d];
    for x in &xs {
        for (j, v) in x.iter().enumerate() {
            mean[j] += f64::from(*v) / n;
        }
    }
    for x in &xs {
        for (j, v) in x.iter().enumerate() {
            sd[j] += (f64::from(*v) - mean[j]).powi(2) / n;
        }
    }
    for v in &mut sd {
        *v = v.sqrt().max(1e-6);
    }
    let pos = samples.iter().filter(|x| x.phishing).count().max(1) as f64;
    let neg = samples.iter().filter(|x| !x.phishing).count().max(1) as f64;
    let (wp, wn) = (n / (2.0 * pos), s.ham_weight * n / (2.0 * neg));
    let z: Vec<Vec<f64>> = xs
        .iter()
        .map(|x| {
            x.iter()
                .enumerate()
                .map(|(j, v)| (f64::from(*v) - mean[j]) / sd[j])
                .collect()
        })
        .collect();
    let mut w = vec![0f64; d + 1];
    let (mut m1, mut m2) = (vec![0f64; d + 1], vec![0f64; d + 1]);
    let (b1, b2, lr) = (0.9, 0.999, 0.05);
    for t in 1..=s.steps {
        let mut g = vec![0f64; d + 1];
        for (x, sample) in z.iter().zip(samples) {
            let logit = w[d] + x.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>();
            let p = 1.0 / (1.0 + (-logit).exp());
            let (y, cw) = if sample.phishing {
                (1.0, wp)
            } else {
                (0.0, wn)
            };
            let e = cw * (p - y) / n;
            for j in 0..d {
                g[j] += e * x[j];
            }
            g[d] += e;
        }
        for j in 0..d {
            g[j] += s.l2 * w[j];
        }
        for j in 0..=d {
            m1[j] = b1 * m1[j] + (1.0 - b1) * g[j];
            m2[j] = b2 * m2[j] + (1.0 - b2) * g[j] * g[j];
            let mh = m1[j] / (1.0 - b1.powi(t as i32));
            let vh = m2[j] / (1.0 - b2.powi(t as i32));
            w[j] -= lr * mh / (vh.sqrt() + 1e-8);
        }
    }
    // Back to raw feature units.
    let weights: Vec<f32> = (0..d0).map(|j| (w[j] / sd[j]) as f32).collect();
    // Weighing ham ×h moves the intercept by −ln h: undo it, so that
    // probabilities stay on the class-balanced scale (and the suspicious
    // band below the phishing threshold keeps its meaning); the ranking,
    // and so what the thresholds let through, is unchanged.
    let bias = (w[d] - (0..d).map(|j| w[j] * mean[j] / sd[j]).sum::<f64>()
        + s.ham_weight.max(1e-6).ln()) as f32;
    let named: Vec<(&str, &str, f32)> = pairs
        .iter()
        .enumerate()
        .map(|(k, &(i, j))| {
            (
                MESSAGE_FEATURES[i],
                MESSAGE_FEATURES[j],
                (w[d0 + k] / sd[d0 + k]) as f32,
            )
        })
        .collect();
    let model = MessageModel::new(weights, bias, 1.0, 1.0)
        .expect("dimensions")
        .with_pairs(&named)
        .expect("pairs");
    let mut ham: Vec<f32> = samples
        .iter()
        .filter(|x| !x.phishing)
        .map(|x| probability(&model, x))
        .collect();
    ham.sort_by(|a, b| b.total_cmp(a));
    let above = |share: f64| {
        let k = (share * ham.len() as f64).floor() as usize;
        // At most k training ham at or above the threshold.
        ham.get(k).map_or(0.5, |p| next_up(*p)).max(0.5)
    };
    let phishing = above(s.ham_phishing);
    let suspicious = above(s.ham_suspicious).min(phishing);
    MessageModel::new(model.weights().to_vec(), model.bias(), suspicious, phishing)
        .expect("dimensions")
        .with_pairs(&named)
        .expect("pairs")
}

/// The second-order terms learned by default (session 6): "no link to
/// click, and replies go to a free mailbox the sender does not use" — the
/// reply-based scam — is more than the sum of its two facts.
pub(crate) const DEFAULT_PAIRS: &str = "no_clickable_link*reply_to_freemail";

/// Second-order terms to learn (`MSG_PAIRS`, [`DEFAULT_PAIRS`] when unset,
/// `none` for none): `a*b,c*d`, or `content` for `content_words` times
/// every other feature, or `all` for every pair.
pub(crate) fn pairs() -> Vec<(usize, usize)> {
    let spec = std::env::var("MSG_PAIRS").unwrap_or_else(|_| DEFAULT_PAIRS.to_owned());
    let idx = |n: &str| {
        MESSAGE_FEATURES
            .iter()
            .position(|x| *x == n)
            .unwrap_or_else(|| panic!("unknown feature {n}"))
    };
    let d = MESSAGE_FEATURES.len();
    match spec.as_str() {
        "" | "none" => Vec::new(),
        "content" => {
            let c = idx("content_words");
            (0..d).filter(|&j| j != c).map(|j| (c, j)).collect()
        }
        "all" => (0..d)
            .flat_map(|i| (i + 1..d).map(move |j| (i, j)))
            .collect(),
        list => list
            .split(',')
            .map(|p| {
                let (a, b) = p.split_once('*').expect("a*b");
                (idx(a), idx(b))
            })
            .collect(),
    }
}

fn next_up(p: f32) -> f32 {
    (p + 1e-6).min(1.0)
}

/// The model's probability for a sample.
pub(crate) fn probability(m: &MessageModel, s: &Sample) -> f32 {
    let z = m.log_odds(&s.x);
    let p = mailsec_links::sigmoid(z);
    let content = MESSAGE_FEATURES
        .iter()
        .position(|n| *n == "content_words")
        .and_then(|j| s.x.get(j));
    match (m.content_threshold(), content) {
        (Some(t), Some(&c)) if c >= t => p.max(m.phishing_threshold()),
        _ => p,
    }
}

/// The final verdict: the rules' verdict raised by the model.
pub(crate) fn verdict(m: &MessageModel, s: &Sample) -> Verdict {
    let p = probability(m, s);
    let model = if p >= m.phishing_threshold() {
        Verdict::Phishing
    } else if p >= m.suspicious_threshold() {
        Verdict::Suspicious
    } else {
        Verdict::Safe
    };
    model.max(s.rule)
}

/// Figures of a set of judged samples.
#[derive(Debug, Default, Clone)]
pub(crate) struct Figures {
    pub phishing: usize,
    pub phishing_caught: usize,
    pub phishing_suspicious: usize,
    pub ham: usize,
    pub ham_phishing: usize,
    pub ham_suspicious: usize,
    pub hard_ham: usize,
    pub hard_ham_phishing: usize,
    pub false_alarms: Vec<PathBuf>,
    pub missed: Vec<PathBuf>,
}

impl Figures {
    pub(crate) fn add(&mut self, s: &Sample, v: Verdict) {
        if s.phishing {
            self.phishing += 1;
            match v {
                Verdict::Phishing => self.phishing_caught += 1,
                Verdict::Suspicious => {
                    self.phishing_suspicious += 1;
                    self.missed.push(s.path.clone());
                }
                _ => self.missed.push(s.path.clone()),
            }
        } else {
            self.ham += 1;
            if s.is_hard_ham() {
                self.hard_ham += 1;
            }
            match v {
                Verdict::Phishing => {
                    self.ham_phishing += 1;
                    if s.is_hard_ham() {
                        self.hard_ham_phishing += 1;
                    }
                    self.false_alarms.push(PathBuf::from(format!(
                        "{} {}",
                        s.path.display(),
                        s.group
                    )));
                }
                Verdict::Suspicious => self.ham_suspicious += 1,
                _ => {}
            }
        }
    }
    pub(crate) fn recall(&self) -> f64 {
        self.phishing_caught as f64 / self.phishing.max(1) as f64
    }
    pub(crate) fn ham_rate(&self) -> f64 {
        self.ham_phishing as f64 / self.ham.max(1) as f64
    }
    pub(crate) fn hard_ham_rate(&self) -> f64 {
        self.hard_ham_phishing as f64 / self.hard_ham.max(1) as f64
    }
    pub(crate) fn line(&self) -> String {
        format!(
            "phishing recall {:.2}% ({}/{}, {} more suspicious); ham flagged phishing {:.3}% ({}/{}; {} suspicious); hard_ham {:.2}% ({}/{})",
            100.0 * self.recall(),
            self.phishing_caught,
            self.phishing,
            self.phishing_suspicious,
            100.0 * self.ham_rate(),
            self.ham_phishing,
            self.ham,
            self.ham_suspicious,
            100.0 * self.hard_ham_rate(),
            self.hard_ham_phishing,
            self.hard_ham
        )
    }
}

/// k-fold cross-validation grouped by sender domain/brand: each fold is
/// judged by a model (weights and thresholds) trained on the other folds.
pub(crate) fn cross_validate(samples: &[Sample], k: u32, s: Settings) -> Figures {
    let mut f = Figures::default();
    for fold in 0..k {
        let train_set: Vec<&Sample> = samples
            .iter()
            .filter(|x| group_fold(&x.group, k) != fold)
            .collect();
        let m = train(&train_set, s);
        for x in samples.iter().filter(|x| group_fold(&x.group, k) == fold) {
            f.add(x, verdict(&m, x));
        }
    }
    f
}

/// Figures of one model on every sample (training-set figures when the
/// model was trained on them).
pub(crate) fn judge_all(m: &MessageModel, samples: &[Sample]) -> Figures {
    let mut f = Figures::default();
    for x in samples {
        f.add(x, verdict(m, x));
    }
    f
}
