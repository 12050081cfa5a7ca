//! Gradient-boosted regression trees for the message model (our own small
//! trainer), the per-fold cache of the nested cross-validation (so message
//! models can be compared in seconds) and the cross-validation over it.
//! (Not part of the library.)
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use mailsec_links::{MESSAGE_FEATURES, MessageModel, Verdict};

use crate::messages::{self, Figures, Sample, Settings};

/// Boosting settings (`GBT_TREES`, `GBT_DEPTH`, `GBT_ETA`, `GBT_LEAF`,
/// `GBT_L2`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct GbtSettings {
    /// Number of trees.
    pub trees: usize,
    /// Depth of each tree (1 = stumps).
    pub depth: usize,
    /// Shrinkage: each tree's values are multiplied by it.
    pub eta: f64,
    /// Fewest training messages in a leaf.
    pub min_leaf: usize,
    /// L2 penalty on leaf values (Newton step `-G / (H + λ)`).
    pub l2: f64,
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Default for GbtSettings {
    fn default() -> Self {
        GbtSettings {
            trees: env("GBT_TREES", 100),
            depth: env("GBT_DEPTH", 2),
            eta: env("GBT_ETA", 0.1),
            min_leaf: env("GBT_LEAF", 20),
            l2: env("GBT_L2", 1.0),
        }
    }
}

/// Whether the message model is boosted trees (`MSG_KIND=gbt`) rather than
/// logistic regression.
pub(crate) fn use_trees() -> bool {
    std::env::var("MSG_KIND").is_ok_and(|v| v == "gbt")
}

/// A tree node in pre-order (left child = next node).
#[derive(Debug, Clone, Copy)]
struct Node {
    feature: Option<usize>,
    threshold: f32,
    value: f32,
    right: usize,
}

fn tree_value(t: &[Node], x: &[f32]) -> f32 {
    let mut i = 0;
    while let Some(n) = t.get(i) {
        match n.feature {
            None => return n.value,
            Some(f) => i = if x[f] < n.threshold { i + 1 } else { n.right },
        }
    }
    0.0
}

/// A node while growing a tree (arena form).
struct Grow {
    feature: Option<usize>,
    threshold: f32,
    value: f32,
    children: Option<(usize, usize)>,
}

/// Grow one tree level by level on gradients `g` and hessians `h`.
fn grow(xs: &[Vec<f32>], order: &[Vec<usize>], g: &[f64], h: &[f64], s: GbtSettings) -> Vec<Node> {
    let n = xs.len();
    let d = order.len();
    let value = |gs: f64, hs: f64| (-gs / (hs + s.l2) * s.eta) as f32;
    let score = |gs: f64, hs: f64| gs * gs / (hs + s.l2);
    let mut nodes = vec![Grow {
        feature: None,
        threshold: 0.0,
        value: value(g.iter().sum(), h.iter().sum()),
        children: None,
    }];
    // Node of each sample at the current level (usize::MAX: in a finished leaf).
    let mut at = vec![0usize; n];
    let mut active = vec![0usize];
    for _ in 0..s.depth {
        // Totals per active node.
        let slot = |node: usize| active.iter().position(|a| *a == node);
        let mut tot = vec![(0f64, 0f64, 0usize); active.len()];
        for i in 0..n {
            if let Some(k) = slot(at[i]) {
                tot[k].0 += g[i];
                tot[k].1 += h[i];
                tot[k].2 += 1;
            }
        }
        // Best split per active node: (gain, feature, threshold).
        let mut best: Vec<Option<(f64, usize, f32)>> = vec![None; active.len()];
        let slots: Vec<Option<usize>> = (0..nodes.len()).map(slot).collect();
        for f in 0..d {
            let mut run = vec![(0f64, 0f64, 0usize, f32::NAN); active.len()];
            for &i in &order[f] {
                let Some(k) = at.get(i).and_then(|&a| slots.get(a).copied().flatten()) else {
                    continue;
                };
                let v = xs[i][f];
                let r = &mut run[k];
                if r.2 >= s.min_leaf && tot[k].2 - r.2 >= s.min_leaf && v > r.3 {
                    let (gl, hl) = (r.0, r.1);
                    let (gr, hr) = (tot[k].0 - gl, tot[k].1 - hl);
                    let gain = score(gl, hl) + score(gr, hr) - score(tot[k].0, tot[k].1);
                    if gain > 1e-9 && best[k].is_none_or(|b| gain > b.0) {
                        best[k] = Some((gain, f, r.3 + (v - r.3) / 2.0));
                    }
                }
                r.0 += g[i];
                r.1 += h[i];
                r.2 += 1;
                r.3 = v;
            }
        }
        let mut next = Vec::new();
        let mut child_of = vec![None; active.len()];
        for (k, b) in best.iter().enumerate() {
            if let Some((_, f, t)) = *b {
                let l = nodes.len();
                for _ in 0..2 {
                    nodes.push(Grow {
                        feature: None,
                        threshold: 0.0,
                        value: 0.0,
                        children: None,
                    });
                }
                let node = &mut nodes[active[k]];
                node.feature = Some(f);
                node.threshold = t;
                node.children = Some((l, l + 1));
                child_of[k] = Some((l, f, t));
                next.push(l);
                next.push(l + 1);
            }
        }
        let mut sums = vec![(0f64, 0f64); nodes.len()];
        for i in 0..n {
            let Some(k) = slots.get(at[i]).copied().flatten() else {
                at[i] = usize::MAX;
                continue;
            };
            match child_of[k] {
                Some((l, f, t)) => {
                    at[i] = if xs[i][f] < t { l } else { l + 1 };
                    sums[at[i]].0 += g[i];
                    sums[at[i]].1 += h[i];
                }
                None => at[i] = usize::MAX,
            }
        }
        for &c in &next {
            nodes[c].value = value(sums[c].0, sums[c].1);
        }
        if next.is_empty() {
            break;
        }
        active = next;
    }
    // Pre-order.
    fn emit(nodes: &[Grow], i: usize, out: &mut Vec<Node>) {
        let n = &nodes[i];
        let me = out.len();
        out.push(Node {
            feature: n.feature,
            threshold: n.threshold,
            value: n.value,
            right: 0,
        });
        if let Some((l, r)) = n.children {
            emit(nodes, l, out);
            out[me].right = out.len();
            emit(nodes, r, out);
        }
    }
    let mut out = Vec::new();
    emit(&nodes, 0, &mut out);
    out
}

/// A trained tree model (trainer side).
pub(crate) struct Trees {
    base: f32,
    trees: Vec<Vec<Node>>,
}

impl Trees {
    pub(crate) fn log_odds(&self, x: &[f32]) -> f32 {
        self.base + self.trees.iter().map(|t| tree_value(t, x)).sum::<f32>()
    }

    /// The library's text format (thresholds and content rule added later).
    pub(crate) fn to_text(&self, suspicious: f32, phishing: f32) -> String {
        let mut s = format!(
            "mailsec-message-trees 1\nbias {}\nsuspicious {suspicious}\nphishing {phishing}\n",
            self.base
        );
        for t in &self.trees {
            s.push_str("tree\n");
            for n in t {
                match n.feature {
                    Some(f) => {
                        let _ = writeln!(
                            s,
                            "split {} {} {}",
                            MESSAGE_FEATURES[f], n.threshold, n.value
                        );
                    }
                    None => {
                        let _ = writeln!(s, "leaf {}", n.value);
                    }
                }
            }
        }
        s
    }
}

/// Boost trees on `samples` with the message model's class weights (ham
/// ×`ham_weight` beyond balance; the base moved back by ln of it, as the
/// logistic regression's intercept).
pub(crate) fn boost(samples: &[&Sample], ms: Settings, s: GbtSettings) -> Trees {
    let xs: Vec<Vec<f32>> = samples.iter().map(|x| x.x.clone()).collect();
    let n = xs.len();
    let d = MESSAGE_FEATURES.len();
    let order: Vec<Vec<usize>> = (0..d)
        .map(|f| {
            let mut o: Vec<usize> = (0..n).collect();
            o.sort_by(|&a, &b| xs[a][f].total_cmp(&xs[b][f]));
            o
        })
        .collect();
    let pos = samples.iter().filter(|x| x.phishing).count().max(1) as f64;
    let neg = samples.iter().filter(|x| !x.phishing).count().max(1) as f64;
    let nf = n.max(1) as f64;
    let (wp, wn) = (nf / (2.0 * pos), ms.ham_weight * nf / (2.0 * neg));
    let y: Vec<f64> = samples
        .iter()
        .map(|x| if x.phishing { 1.0 } else { 0.0 })
        .collect();
    let w: Vec<f64> = samples
        .iter()
        .map(|x| if x.phishing { wp } else { wn })
        .collect();
    let base = (pos * wp / (neg * wn)).ln();
    let mut f = vec![base; n];
    let mut trees = Vec::with_capacity(s.trees);
    for _ in 0..s.trees {
        let mut g = vec![0f64; n];
        let mut h = vec![0f64; n];
        for i in 0..n {
            let p = 1.0 / (1.0 + (-f[i]).exp());
            g[i] = w[i] * (p - y[i]);
            h[i] = (w[i] * p * (1.0 - p)).max(1e-12);
        }
        let t = grow(&xs, &order, &g, &h, s);
        for i in 0..n {
            f[i] += f64::from(tree_value(&t, &xs[i]));
        }
        trees.push(t);
    }
    Trees {
        base: (base + ms.ham_weight.max(1e-6).ln()) as f32,
        trees,
    }
}

/// Inner fold (0..4) of a group, independent of the outer folds.
fn inner_fold(group: &str) -> u32 {
    crate::corpus::fold(&format!("{group}#inner")) % 4
}

fn threshold_at(mut ham: Vec<f32>, share: f64) -> f32 {
    ham.sort_by(|a, b| b.total_cmp(a));
    let k = (share * ham.len() as f64).floor() as usize;
    ham.get(k).map_or(0.5, |p| (p + 1e-6).min(1.0)).max(0.5)
}

/// Train a tree message model on `samples`: trees on all of them, the
/// thresholds on the *out-of-fold* probabilities of their ham (4 inner
/// folds grouped like the outer ones): trees fit their training ham too
/// closely for its training-set scores to set a threshold.
pub(crate) fn train(samples: &[&Sample], ms: Settings, s: GbtSettings) -> MessageModel {
    let mut oof_ham = Vec::new();
    if std::env::var("GBT_INSAMPLE").is_ok() {
        let trees = boost(samples, ms, s);
        let ham: Vec<f32> = samples
            .iter()
            .filter(|x| !x.phishing)
            .map(|x| mailsec_links::sigmoid(trees.log_odds(&x.x)))
            .collect();
        let phishing = threshold_at(ham.clone(), ms.ham_phishing);
        let suspicious = threshold_at(ham, ms.ham_suspicious).min(phishing);
        return MessageModel::from_text(&trees.to_text(suspicious, phishing)).expect("tree model");
    }
    for k in 0..4 {
        let tr: Vec<&Sample> = samples
            .iter()
            .copied()
            .filter(|x| inner_fold(&x.group) != k)
            .collect();
        let m = boost(&tr, ms, s);
        for x in samples.iter().filter(|x| inner_fold(&x.group) == k) {
            if !x.phishing {
                oof_ham.push(mailsec_links::sigmoid(m.log_odds(&x.x)));
            }
        }
    }
    let trees = boost(samples, ms, s);
    let phishing = threshold_at(oof_ham.clone(), ms.ham_phishing);
    let suspicious = threshold_at(oof_ham, ms.ham_suspicious).min(phishing);
    MessageModel::from_text(&trees.to_text(suspicious, phishing)).expect("tree model")
}

/// Train the message model of the kind chosen (`MSG_KIND`).
pub(crate) fn train_any(samples: &[&Sample], ms: Settings) -> MessageModel {
    if use_trees() {
        train(samples, ms, GbtSettings::default())
    } else {
        messages::train(samples, ms)
    }
}

// ---- the per-fold cache ----

/// One outer fold of the nested CV: the content threshold, the training
/// part and the test part.
pub(crate) type Fold = (f32, Vec<Sample>, Vec<Sample>);

fn verdict_code(v: Verdict) -> u8 {
    match v {
        Verdict::Phishing => 2,
        Verdict::Suspicious => 1,
        _ => 0,
    }
}

fn verdict_of(c: u8) -> Verdict {
    match c {
        2 => Verdict::Phishing,
        1 => Verdict::Suspicious,
        _ => Verdict::Safe,
    }
}

fn sample_line(out: &mut String, part: char, s: &Sample) {
    let x: Vec<String> = s.x.iter().map(|v| v.to_string()).collect();
    let _ = writeln!(
        out,
        "{part}\t{}\t{}\t{}\t{}\t{}\t{}",
        u8::from(s.phishing),
        s.folder,
        s.group,
        verdict_code(s.rule),
        s.path.display(),
        x.join(",")
    );
}

/// Write the nested CV's folds (`MSG_CACHE`).
pub(crate) fn write_cache(path: &Path, folds: &[Fold]) {
    let mut out = format!("features {}\n", MESSAGE_FEATURES.join(","));
    for (t, train, test) in folds {
        let _ = writeln!(out, "fold {t}");
        for s in train {
            sample_line(&mut out, 'T', s);
        }
        for s in test {
            sample_line(&mut out, 'E', s);
        }
    }
    std::fs::write(path, out).expect("write cache");
}

/// Read a cache written by [`write_cache`] (`None` if the features differ).
pub(crate) fn read_cache(path: &Path) -> Option<Vec<Fold>> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    if lines.next()? != format!("features {}", MESSAGE_FEATURES.join(",")) {
        return None;
    }
    let mut folds: Vec<Fold> = Vec::new();
    for l in lines {
        if let Some(t) = l.strip_prefix("fold ") {
            folds.push((t.parse().ok()?, Vec::new(), Vec::new()));
            continue;
        }
        let c: Vec<&str> = l.split('\t').collect();
        let s = Sample {
            path: PathBuf::from(c[5]),
            phishing: c[1] == "1",
            folder: c[2].to_owned(),
            group: c[3].to_owned(),
            x: c[6].split(',').map(|v| v.parse().unwrap_or(0.0)).collect(),
            rule: verdict_of(c[4].parse().unwrap_or(0)),
            text: Rc::from(""),
            tf: Rc::new((Vec::new(), 0)),
        };
        let f = folds.last_mut()?;
        if c[0] == "T" { &mut f.1 } else { &mut f.2 }.push(s);
    }
    Some(folds)
}

/// Cross-validation of the message model alone over cached folds (content
/// features as the nested CV computed them): `(figures, per-folder
/// (folder, caught, total), detail lines)`.
pub(crate) fn cross_validate_cached(
    folds: &[Fold],
    ms: Settings,
    train_fn: &dyn Fn(&[&Sample], Settings) -> MessageModel,
) -> (Figures, Vec<(String, usize, usize)>, Vec<String>) {
    let mut f = Figures::default();
    let mut by: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    let mut details = Vec::new();
    let mut margins: Vec<(f32, bool)> = Vec::new();
    let logit = |p: f32| (p / (1.0 - p).max(1e-7)).max(1e-7).ln();
    for (t, train, test) in folds {
        let refs: Vec<&Sample> = train.iter().collect();
        let m = train_fn(&refs, ms).with_content_threshold(Some(*t));
        for x in test {
            // Margin over the fold's phishing threshold (rules' phishing: always over).
            let margin = if x.rule == Verdict::Phishing {
                f32::INFINITY
            } else {
                logit(messages::probability(&m, x)) - logit(m.phishing_threshold())
            };
            margins.push((margin, x.phishing));
            let v = messages::verdict(&m, x);
            f.add(x, v);
            if x.phishing {
                let e = by.entry(x.folder.clone()).or_default();
                e.1 += 1;
                e.0 += usize::from(v == Verdict::Phishing);
            }
            if (x.phishing && v != Verdict::Phishing) || (!x.phishing && v == Verdict::Phishing) {
                let feats = mailsec_links::MessageFeatures::from_values(&x.x);
                let ev: Vec<String> = m
                    .evidence(&feats, 4)
                    .iter()
                    .map(|(n, c)| format!("{n}:{c:+.2}"))
                    .collect();
                let nz: Vec<String> = MESSAGE_FEATURES
                    .iter()
                    .zip(&x.x)
                    .filter(|(_, v)| **v != 0.0)
                    .map(|(n, v)| format!("{n}={v:.2}"))
                    .collect();
                details.push(format!(
                    "{} {:?} p={:.3} (phish {:.3}) {} | ev {} | {}",
                    if x.phishing { "MISS" } else { "FALSE" },
                    v,
                    messages::probability(&m, x),
                    m.phishing_threshold(),
                    x.path.display(),
                    ev.join(" "),
                    nz.join(" ")
                ));
            }
        }
    }
    // The trade-off: the fold thresholds all shifted by one offset, so that
    // k ham are over them, and the phishing caught then.
    let mut ham: Vec<f32> = margins.iter().filter(|m| !m.1).map(|m| m.0).collect();
    ham.sort_by(|a, b| b.total_cmp(a));
    let phish = margins.iter().filter(|m| m.1).count().max(1);
    let mut curve = Vec::new();
    for k in 0..8 {
        let Some(&h) = ham.get(k) else { break };
        let caught = margins.iter().filter(|m| m.1 && m.0 > h).count();
        curve.push(format!(
            "{k} ham {:.2}%",
            100.0 * caught as f64 / phish as f64
        ));
    }
    details.insert(0, format!("curve: {}", curve.join(", ")));
    (
        f,
        by.into_iter().map(|(k, (a, b))| (k, a, b)).collect(),
        details,
    )
}
