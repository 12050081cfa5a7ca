//! Train the lexical URL model on the development URL lists and write
//! `data/url_model.txt` (the weights the crate embeds).
//!
//! ```text
//! cargo run --release -p mailsec-links --example train_url_model [-- OUT]
//! ```
//!
//! URLs are split by registered domain into five folds: fold 0 is never
//! used here (the evaluation measures on it), fold 1 picks the thresholds,
//! folds 1-4 train the final weights. Schemes are normalised to `http://`
//! before features are taken, and the features never look at the scheme.
//! Each URL is weighted by 1/sqrt(URLs of its domain) so that a few hosts
//! with thousands of deep URLs do not dominate, and both classes weigh the same.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../eval/corpus.rs"]
mod corpus;

use std::collections::{HashMap, HashSet};

use mailsec_links::{LinkChecker, UrlModel, normalize_url_lenient, sigmoid};

const DIM: usize = 1 << 15;
const EPOCHS: usize = 12;
const LEARNING_RATE: f32 = 0.2;
const L2: f32 = 1e-6;

struct Sample {
    features: Vec<(u32, f32)>,
    label: f32,
    weight: f32,
    fold: u32,
}

fn samples(checker: &LinkChecker, urls: &[String], label: f32, out: &mut Vec<Sample>) {
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    let mut per_domain: HashMap<String, usize> = HashMap::new();
    for raw in urls {
        let norm = corpus::scheme_normalised(raw);
        if !seen.insert(norm.clone()) {
            continue;
        }
        let Some(u) = normalize_url_lenient(&norm) else {
            continue;
        };
        let domain = u
            .registered_domain()
            .or(u.host_str())
            .unwrap_or_default()
            .to_owned();
        *per_domain.entry(domain.clone()).or_default() += 1;
        rows.push((checker.url_features(&u, DIM), domain));
    }
    let start = out.len();
    for (features, domain) in rows {
        let n = per_domain.get(&domain).copied().unwrap_or(1) as f32;
        out.push(Sample {
            features,
            label,
            weight: 1.0 / n.sqrt(),
            fold: corpus::fold(&domain),
        });
    }
    // Both classes weigh the same in total (over the training folds).
    let total: f32 = out[start..]
        .iter()
        .filter(|s| s.fold != corpus::TEST_FOLD)
        .map(|s| s.weight)
        .sum();
    let count = out[start..]
        .iter()
        .filter(|s| s.fold != corpus::TEST_FOLD)
        .count() as f32;
    for s in &mut out[start..] {
        s.weight *= count / total;
    }
}

fn train(samples: &[Sample], folds: &[u32]) -> (Vec<f32>, f32) {
    let mut w = vec![0f32; DIM];
    let mut g2 = vec![1e-6f32; DIM];
    let mut bias = 0f32;
    let mut bias_g2 = 1e-6f32;
    let mut order: Vec<usize> = (0..samples.len())
        .filter(|&i| folds.contains(&samples[i].fold))
        .collect();
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..EPOCHS {
        for i in (1..order.len()).rev() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            order.swap(i, (rng % (i as u64 + 1)) as usize);
        }
        for &i in &order {
            let s = &samples[i];
            let mut z = bias;
            for &(j, v) in &s.features {
                z += w[j as usize] * v;
            }
            let g = (sigmoid(z) - s.label) * s.weight;
            for &(j, v) in &s.features {
                let j = j as usize;
                let grad = g * v + L2 * w[j];
                g2[j] += grad * grad;
                w[j] -= LEARNING_RATE * grad / g2[j].sqrt();
            }
            bias_g2 += g * g;
            bias -= LEARNING_RATE * g / bias_g2.sqrt();
        }
    }
    (w, bias)
}

fn predict(w: &[f32], bias: f32, s: &Sample) -> f32 {
    let mut z = bias;
    for &(j, v) in &s.features {
        z += w[j as usize] * v;
    }
    sigmoid(z)
}

fn main() {
    let out_path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/data/url_model.txt").to_owned());
    let checker = LinkChecker::builder().without_model().build().unwrap();
    let (phish, benign) = corpus::load_urls();
    let mut all = Vec::new();
    samples(&checker, &phish, 1.0, &mut all);
    samples(&checker, &benign, 0.0, &mut all);
    println!(
        "samples: {} ({} phishing rows, {} benign rows)",
        all.len(),
        phish.len(),
        benign.len()
    );

    // Thresholds from a model that never saw the validation fold.
    let (w, b) = train(&all, &[2, 3, 4]);
    let mut ph: Vec<f32> = Vec::new();
    let mut be: Vec<f32> = Vec::new();
    for s in all.iter().filter(|s| s.fold == corpus::VALIDATION_FOLD) {
        let p = predict(&w, b, s);
        if s.label > 0.5 {
            ph.push(p)
        } else {
            be.push(p)
        }
    }
    ph.sort_by(f32::total_cmp);
    be.sort_by(f32::total_cmp);
    // Phishing: at most 0.3% of validation benign URLs at or above it.
    let k = ((be.len() as f32) * 0.997).floor() as usize;
    let phishing = be
        .get(k.min(be.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.9)
        .max(0.5)
        + 1e-4;
    // Suspicious: 95% of validation phishing URLs at or above it.
    let k = ((ph.len() as f32) * 0.05).floor() as usize;
    let suspicious = ph.get(k).copied().unwrap_or(0.5).min(phishing);
    let rate =
        |v: &[f32], t: f32| v.iter().filter(|&&p| p >= t).count() as f32 / v.len().max(1) as f32;
    println!(
        "validation fold: {} phishing, {} benign URLs; thresholds suspicious {suspicious:.4} phishing {phishing:.4}",
        ph.len(),
        be.len()
    );
    println!(
        "  phishing URLs >= phishing {:.2}%, >= suspicious {:.2}%; benign >= phishing {:.2}%, >= suspicious {:.2}%",
        100.0 * rate(&ph, phishing),
        100.0 * rate(&ph, suspicious),
        100.0 * rate(&be, phishing),
        100.0 * rate(&be, suspicious)
    );

    // Final weights from every training fold.
    let (w, b) = train(&all, &[1, 2, 3, 4]);
    let w: Vec<f32> = w
        .into_iter()
        .map(|x| {
            if x.abs() < 1e-4 {
                0.0
            } else {
                (x * 1e4).round() / 1e4
            }
        })
        .collect();
    let model = UrlModel::new(w, (b * 1e4).round() / 1e4, suspicious, phishing).unwrap();
    std::fs::write(&out_path, model.to_text()).unwrap();
    println!("wrote {out_path}");
}
