//! The content model's training and the nested cross-validation of content
//! model + message model, shared by `examples/train_message_model.rs`,
//! `examples/evaluate.rs` and the evaluation test. (Not part of the library.)
#![allow(dead_code)]

use std::collections::HashMap;

use mailsec_links::{MESSAGE_FEATURES, MessageModel, TextModel, for_each_token};

use crate::messages::{self, Figures, Sample, Settings, group_fold};

/// Hash bits of the content model (2^bits one-byte weights): `TEXT_BITS`,
/// 18 by default.
pub(crate) fn bits() -> u32 {
    env_f64("TEXT_BITS", 18.0) as u32
}

/// Content model training settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextSettings {
    /// L2 penalty (`TEXT_L2`, 1e-6).
    pub l2: f64,
    /// Full-batch Adam steps.
    pub steps: usize,
    /// Adam learning rate.
    pub lr: f64,
}

impl Default for TextSettings {
    fn default() -> Self {
        TextSettings {
            l2: env_f64("TEXT_L2", 1e-6),
            steps: env_f64("TEXT_STEPS", 150.0) as usize,
            lr: env_f64("TEXT_LR", 0.05),
        }
    }
}

/// Extra positives for the content model with `TEXT_SPAM=1`: the
/// SpamAssassin spam (of the ham's era). Tried and off by default: the
/// content model then learns 2002 spam wording and ranks the most
/// commercial ham high (nested CV: 71 % instead of 78 % phishing recall).
pub(crate) fn extra_samples(checker: &mailsec_links::LinkChecker) -> Vec<Sample> {
    if env_f64("TEXT_SPAM", 0.0) == 0.0 {
        return Vec::new();
    }
    messages::spam_samples(checker, 1)
}

fn env_f64(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// (bucket, count) of `text`'s tokens and pairs, sorted by bucket, and their number.
pub(crate) fn term_counts(text: &str, name: &str, bits: u32) -> (Vec<(u32, u32)>, u32) {
    let mut buckets = Vec::new();
    let (cmin, cmax) = char_ngrams();
    let shift = 32 - bits;
    // As the library reads them: a word's n-grams when its bucket is new.
    let mut seen = std::collections::HashSet::new();
    let mut words = 0usize;
    let mut n = for_each_token(text, |t| {
        let b = t.bucket(bits) as u32;
        buckets.push(b);
        if seen.insert(b) && cmax > 0 && !t.bigram && words < mailsec_links::MAX_NGRAM_WORDS {
            words += 1;
            let word = text.get(t.start..t.end).unwrap_or_default();
            mailsec_links::for_each_char_ngram(word, cmin, cmax, |h| {
                seen.insert(h >> shift);
                buckets.push(h >> shift);
            });
        }
    });
    if use_name() {
        n += mailsec_links::for_each_name_token(name, |t| buckets.push(t.bucket(bits) as u32));
    }
    buckets.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for b in buckets {
        match out.last_mut() {
            Some((last, c)) if *last == b => *c += 1,
            _ => out.push((b, 1)),
        }
    }
    (out, n as u32)
}

/// In-word character n-grams (`TEXT_CHAR=min-max`; `4-4` by default, off
/// with `TEXT_CHAR=0-0`).
pub(crate) fn char_ngrams() -> (usize, usize) {
    std::env::var("TEXT_CHAR")
        .ok()
        .and_then(|v| {
            let (a, b) = v.split_once('-')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .unwrap_or((4, 4))
}

/// Whether the sender's display name is read (tagged tokens): `TEXT_NAME`,
/// on by default (as the library scores).
pub(crate) fn use_name() -> bool {
    env_f64("TEXT_NAME", 1.0) != 0.0
}

/// How a message's token counts become feature values (`TEXT_MODE`):
/// `binary` (default, as the library scores): each distinct bucket once,
/// `1 / √distinct`; `sqrt`: `count / √n` (the session-3 model, which lets
/// repetition sharpen the score).
pub(crate) fn mode_binary() -> bool {
    std::env::var("TEXT_MODE").map_or(true, |m| m != "sqrt")
}

fn scaled(tf: &(Vec<(u32, u32)>, u32)) -> impl Iterator<Item = (usize, f64)> + '_ {
    let binary = mode_binary();
    let n = if binary { tf.0.len() as u32 } else { tf.1 };
    let norm = 1.0 / f64::from(n.max(1)).sqrt();
    tf.0.iter().map(move |&(b, c)| {
        let v = if binary { 1.0 } else { f64::from(c) };
        (b as usize, v * norm)
    })
}

/// NBSVM-style log-count ratios (`TEXT_NB=alpha`, 1 by default, off with 0): each
/// bucket's feature is scaled by `ln((p_j/|p|) / (q_j/|q|))` of the binary
/// counts of the training samples, and the ratio folded back into the
/// weights after training (the shipped model stays linear).
fn nb_ratios(samples: &[&Sample], d: usize) -> Option<Vec<f64>> {
    let alpha = env_f64("TEXT_NB", 1.0);
    if alpha <= 0.0 {
        return None;
    }
    let mut p = vec![alpha; d];
    let mut q = vec![alpha; d];
    for x in samples {
        let t = if x.phishing { &mut p } else { &mut q };
        for &(b, _) in &x.tf.0 {
            t[b as usize] += 1.0;
        }
    }
    let sp: f64 = p.iter().sum();
    let sq: f64 = q.iter().sum();
    Some(
        p.iter()
            .zip(&q)
            .map(|(a, b)| ((a / sp) / (b / sq)).ln())
            .collect(),
    )
}

/// Class-balanced L2 logistic regression over the binary `1 / √d` features
/// (`count / √n` with `TEXT_MODE=sqrt`), NBSVM-scaled unless `TEXT_NB=0`, full-batch
/// Adam, then weights quantised to `i8`.
pub(crate) fn train_text(samples: &[&Sample], s: TextSettings) -> TextModel {
    let d = 1usize << bits();
    let n = samples.len().max(1) as f64;
    let pos = samples.iter().filter(|x| x.phishing).count().max(1) as f64;
    let neg = samples.iter().filter(|x| !x.phishing).count().max(1) as f64;
    // `TEXT_HAMW` (experiment, 1 = balanced): extra weight of the ham class.
    let ham_weight = env_f64("TEXT_HAMW", 1.0).max(1e-6);
    let (wp, wn) = (n / (2.0 * pos), ham_weight * n / (2.0 * neg));
    let mut w = vec![0f64; d];
    let mut b = 0f64;
    let (mut m1, mut m2) = (vec![0f64; d], vec![0f64; d]);
    let (mut bm1, mut bm2) = (0f64, 0f64);
    let (b1, b2) = (0.9f64, 0.999f64);
    let mut g = vec![0f64; d];
    let r = nb_ratios(samples, d);
    let rv = |j: usize| r.as_ref().map_or(1.0, |r| r[j]);
    for t in 1..=s.steps {
        g.iter_mut().for_each(|x| *x = 0.0);
        let mut gb = 0.0;
        for x in samples {
            let z = b + scaled(&x.tf).map(|(j, v)| w[j] * v * rv(j)).sum::<f64>();
            let p = 1.0 / (1.0 + (-z).exp());
            let (y, cw) = if x.phishing { (1.0, wp) } else { (0.0, wn) };
            let e = cw * (p - y) / n;
            for (j, v) in scaled(&x.tf) {
                g[j] += e * v * rv(j);
            }
            gb += e;
        }
        let c1 = 1.0 - b1.powi(t as i32);
        let c2 = 1.0 - b2.powi(t as i32);
        for j in 0..d {
            let gj = g[j] + s.l2 * w[j];
            if gj == 0.0 && m1[j] == 0.0 {
                continue;
            }
            m1[j] = b1 * m1[j] + (1.0 - b1) * gj;
            m2[j] = b2 * m2[j] + (1.0 - b2) * gj * gj;
            w[j] -= s.lr * (m1[j] / c1) / ((m2[j] / c2).sqrt() + 1e-8);
        }
        bm1 = b1 * bm1 + (1.0 - b1) * gb;
        bm2 = b2 * bm2 + (1.0 - b2) * gb * gb;
        b -= s.lr * (bm1 / c1) / ((bm2 / c2).sqrt() + 1e-8);
    }
    // Back to the class-balanced scale (as the message model does).
    b += ham_weight.ln();
    if let Some(r) = &r {
        for (wj, rj) in w.iter_mut().zip(r) {
            *wj *= rj;
        }
    }
    let max = w.iter().fold(0f64, |a, x| a.max(x.abs())).max(1e-9);
    let scale = max / 127.0;
    let q: Vec<i8> = w.iter().map(|x| (x / scale).round() as i8).collect();
    let (cmin, cmax) = char_ngrams();
    TextModel::new(bits(), q, scale as f32, b as f32)
        .expect("dimensions")
        .with_char_ngrams((cmax > 0).then_some((cmin, cmax)))
}

/// The content model's log-odds for a sample (equal to
/// `TextModel::log_odds(&sample.text)`, from the counts).
pub(crate) fn log_odds(m: &TextModel, s: &Sample) -> f32 {
    let binary = mode_binary();
    let mut sum = 0i64;
    for &(b, c) in &s.tf.0 {
        let c = if binary { 1 } else { i64::from(c) };
        sum += i64::from(m.weights().get(b as usize).copied().unwrap_or(0)) * c;
    }
    let n = if binary { s.tf.0.len() as u32 } else { s.tf.1 };
    if n == 0 {
        return m.bias();
    }
    m.bias() + m.scale() * sum as f32 / (n as f32).sqrt()
}

fn content_index() -> usize {
    MESSAGE_FEATURES
        .iter()
        .position(|n| *n == "content_words")
        .expect("content_words feature")
}

/// `samples` with the content feature set from `logits` (same order).
fn with_content(samples: &[&Sample], logits: &[f32]) -> Vec<Sample> {
    let j = content_index();
    samples
        .iter()
        .zip(logits)
        .map(|(s, z)| {
            let mut s = (*s).clone();
            s.x[j] = z.clamp(-10.0, 10.0);
            s
        })
        .collect()
}

/// Out-of-fold content log-odds for `samples`: each group fold's log-odds
/// come from a content model trained on the other folds.
pub(crate) fn out_of_fold(
    samples: &[&Sample],
    extra: &[Sample],
    k: u32,
    ts: TextSettings,
) -> Vec<f32> {
    let mut out = vec![0f32; samples.len()];
    for fold in 0..k {
        let mut train: Vec<&Sample> = samples
            .iter()
            .copied()
            .filter(|x| group_fold(&x.group, k) != fold)
            .collect();
        if train.len() == samples.len() {
            continue;
        }
        train.extend(extra);
        let m = train_text(&train, ts);
        for (i, x) in samples.iter().enumerate() {
            if group_fold(&x.group, k) == fold {
                out[i] = log_odds(&m, x);
            }
        }
    }
    out
}

/// What the nested cross-validation measures.
#[derive(Debug, Default)]
pub(crate) struct NestedFigures {
    /// Content model + message model, both trained in-fold.
    pub combined: Figures,
    /// Per phishing folder: (folder, caught, total).
    pub by_folder: Vec<(String, usize, usize)>,
    /// The content model alone at the message model's thresholds' ham rate:
    /// (phishing recall, ham flagged) with its threshold set on training ham.
    pub text_alone: Figures,
    /// The message model without the content threshold (the content
    /// model only as a feature).
    pub message_only: Figures,
    /// One line per missed phishing message and per ham false alarm:
    /// probability, thresholds, content log-odds and the non-zero features.
    pub details: Vec<String>,
    /// Per outer fold: the content threshold, the training part (content
    /// feature out-of-fold) and the test part (content feature from the
    /// fold's content model), for message-model experiments (`MSG_CACHE`).
    pub folds: Vec<(f32, Vec<Sample>, Vec<Sample>)>,
}

/// Whether the message model carries the content threshold (`TEXT_UNION`,
/// on by default).
pub(crate) fn union() -> bool {
    env_f64("TEXT_UNION", 1.0) != 0.0
}

/// The content-model log-odds that at most `s.ham_phishing` of the
/// training ham reach, from their out-of-fold log-odds.
pub(crate) fn content_threshold(train: &[&Sample], oof: &[f32], s: Settings) -> f32 {
    let mut ham: Vec<f32> = train
        .iter()
        .zip(oof)
        .filter(|(x, _)| !x.phishing)
        .map(|(_, z)| z.clamp(-10.0, 10.0))
        .collect();
    ham.sort_by(|a, b| b.total_cmp(a));
    let kth = (s.ham_phishing * ham.len() as f64).floor() as usize;
    ham.get(kth).copied().unwrap_or(10.0) + 1e-4
}

/// Nested k-fold cross-validation grouped by sender brand/domain: for each
/// outer fold, the message model is trained on out-of-fold content
/// log-odds of the training part (inner folds = the other outer folds), and
/// the test part is judged with a content model trained on the whole
/// training part. Nothing of the test fold is seen by either model.
pub(crate) fn cross_validate_nested(
    samples: &[Sample],
    extra: &[Sample],
    k: u32,
    s: Settings,
    ts: TextSettings,
) -> NestedFigures {
    let mut f = NestedFigures::default();
    let mut folders: HashMap<String, (usize, usize)> = HashMap::new();
    for fold in 0..k {
        let train: Vec<&Sample> = samples
            .iter()
            .filter(|x| group_fold(&x.group, k) != fold)
            .collect();
        let test: Vec<&Sample> = samples
            .iter()
            .filter(|x| group_fold(&x.group, k) == fold)
            .collect();
        let oof = out_of_fold(&train, extra, k, ts);
        let train_x = with_content(&train, &oof);
        let refs: Vec<&Sample> = train_x.iter().collect();
        let mm = crate::gbt::train_any(&refs, s);
        let mut text_train = train.clone();
        text_train.extend(extra);
        let tm = train_text(&text_train, ts);
        let test_logits: Vec<f32> = test.iter().map(|x| log_odds(&tm, x)).collect();
        let test_x = with_content(&test, &test_logits);
        // The content model alone: threshold at the same training-ham share.
        let t_alone = content_threshold(&train, &oof, s);
        let plain = mm.clone().with_content_threshold(None);
        let mm = mm.with_content_threshold(union().then_some(t_alone));
        for x in &test_x {
            let v = messages::verdict(&mm, x);
            f.message_only.add(x, messages::verdict(&plain, x));
            f.combined.add(x, v);
            if (x.phishing && v != mailsec_links::Verdict::Phishing)
                || (!x.phishing && v == mailsec_links::Verdict::Phishing)
            {
                let nz: Vec<String> = MESSAGE_FEATURES
                    .iter()
                    .zip(&x.x)
                    .filter(|(_, v)| **v != 0.0)
                    .map(|(n, v)| format!("{n}={v:.2}"))
                    .collect();
                f.details.push(format!(
                    "{} {} {:?} p={:.4} (susp {:.4} phish {:.4}) content={:.2} (alone {:.2}) {}",
                    if x.phishing { "MISS" } else { "FALSE" },
                    x.path.display(),
                    v,
                    messages::probability(&mm, x),
                    mm.suspicious_threshold(),
                    mm.phishing_threshold(),
                    x.x[content_index()],
                    t_alone,
                    nz.join(" ")
                ));
            }
            if x.phishing {
                let e = folders.entry(x.folder.clone()).or_default();
                e.1 += 1;
                if v == mailsec_links::Verdict::Phishing {
                    e.0 += 1;
                }
            }
            let z = x.x[content_index()];
            let alone = if z >= t_alone {
                mailsec_links::Verdict::Phishing
            } else {
                mailsec_links::Verdict::Safe
            };
            f.text_alone.add(x, alone);
        }
        f.folds.push((t_alone, train_x.clone(), test_x.clone()));
    }
    let mut v: Vec<(String, usize, usize)> =
        folders.into_iter().map(|(k, (a, b))| (k, a, b)).collect();
    v.sort();
    f.by_folder = v;
    f
}

/// Train both models on every sample: the content model on all, the
/// message model on out-of-fold content log-odds.
pub(crate) fn train_all(
    samples: &[Sample],
    extra: &[Sample],
    k: u32,
    s: Settings,
    ts: TextSettings,
) -> (TextModel, MessageModel, Vec<Sample>) {
    let all: Vec<&Sample> = samples.iter().collect();
    let oof = out_of_fold(&all, extra, k, ts);
    let xs = with_content(&all, &oof);
    let refs: Vec<&Sample> = xs.iter().collect();
    let mm = crate::gbt::train_any(&refs, s);
    let t = content_threshold(&all, &oof, s);
    let mm = mm.with_content_threshold(union().then_some(t));
    let mut text_train = all.clone();
    text_train.extend(extra);
    let tm = train_text(&text_train, ts);
    (tm, mm, xs)
}

/// The strongest buckets of a content model, each named by the tokens of
/// the samples' texts that fall in it (most frequent first): `(weight,
/// names)`, `n` towards phishing then `n` towards ham.
pub(crate) fn top_tokens(m: &TextModel, samples: &[Sample], n: usize) -> Vec<(f32, String)> {
    let mut order: Vec<usize> = (0..m.weights().len()).collect();
    order.sort_by_key(|&j| std::cmp::Reverse(m.weights()[j]));
    let mut wanted: Vec<usize> = order.iter().take(n).copied().collect();
    wanted.extend(order.iter().rev().take(n).copied());
    let set: std::collections::HashSet<usize> = wanted.iter().copied().collect();
    let mut names: HashMap<usize, HashMap<String, usize>> = HashMap::new();
    for s in samples {
        let text = &*s.text;
        for_each_token(text, |t| {
            let b = t.bucket(m.bits());
            if set.contains(&b) {
                let word = text
                    .get(t.start..t.end)
                    .unwrap_or_default()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_lowercase();
                *names.entry(b).or_default().entry(word).or_default() += 1;
            }
        });
    }
    wanted
        .into_iter()
        .map(|b| {
            let mut v: Vec<(String, usize)> = names
                .get(&b)
                .map(|m| m.iter().map(|(k, c)| (k.clone(), *c)).collect())
                .unwrap_or_default();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let label = v
                .iter()
                .take(3)
                .map(|(w, c)| format!("{w:?}×{c}"))
                .collect::<Vec<_>>()
                .join(" ");
            (f32::from(m.weights()[b]) * m.scale(), label)
        })
        .collect()
}
