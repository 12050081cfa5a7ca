//! Train the message model on the development corpus and write
//! `data/message_model.txt`.
//!
//! ```text
//! cargo run --release -p mailsec-links --example train_message_model [-- --write] [--verbose]
//! ```
//!
//! Every message (nazario + phishing_pot = phishing, SpamAssassin easy/hard
//! ham = ham) is masked first (recipient placeholders and corpus-specific
//! domains replaced, see `eval/messages.rs`), then judged by the checker
//! without a message model to get its explained features and the rules'
//! verdict. The figures printed are 5-fold cross-validation figures, the
//! folds grouped by the sender's claimed brand or From registered domain
//! (weights and thresholds learned on four folds, judged on the fifth).
//! With `--write` the model trained on all messages is written.
//! `CHECK_SCORES=1` only checks that the library's content-model log-odds
//! equal the training side's for every message (words, pairs, n-grams).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../eval/corpus.rs"]
mod corpus;
#[path = "../eval/gbt.rs"]
mod gbt;
#[path = "../eval/messages.rs"]
mod messages;
#[path = "../eval/text.rs"]
mod text;

use mailsec_links::{LinkChecker, MESSAGE_FEATURES};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let write = args.iter().any(|a| a == "--write");
    let verbose = args.iter().any(|a| a == "--verbose");
    if let Ok(cache) = std::env::var("MSG_FROM_CACHE") {
        from_cache(std::path::Path::new(&cache), verbose);
        return;
    }
    let checker = LinkChecker::builder()
        .without_message_model()
        .without_text_model()
        .build()
        .unwrap();
    let mut samples = messages::samples(&checker, 1);
    let extra = text::extra_samples(&checker);
    // Feature ablation for experiments: MSG_DROP=name,name zeroes those features.
    if let Ok(drop) = std::env::var("MSG_DROP") {
        for name in drop.split(',') {
            if let Some(j) = MESSAGE_FEATURES.iter().position(|n| *n == name) {
                for s in &mut samples {
                    s.x[j] = 0.0;
                }
            }
        }
    }
    if std::env::var("CHECK_SCORES").is_ok() {
        // The library must score a text as training saw it: compare
        // TextModel::log_odds with the training-side counts (no sender name).
        let tm = text::train_text(
            &samples.iter().collect::<Vec<_>>(),
            text::TextSettings::default(),
        );
        let mut worst = 0f32;
        for s in &samples {
            let tf = std::rc::Rc::new(text::term_counts(&s.text, "", text::bits()));
            let mut t = s.clone();
            t.tf = tf;
            let d = (text::log_odds(&tm, &t) - tm.log_odds(&s.text)).abs();
            worst = worst.max(d);
        }
        println!("library vs training log-odds: largest difference {worst:.6}");
        return;
    }
    let mut settings = messages::Settings::default();
    if let Some(v) = std::env::var("MSG_L2").ok().and_then(|v| v.parse().ok()) {
        settings.l2 = v;
    }
    if let Some(v) = std::env::var("MSG_HAM").ok().and_then(|v| v.parse().ok()) {
        settings.ham_phishing = v;
    }
    println!(
        "{} messages ({} phishing), {} features, settings {settings:?}",
        samples.len(),
        samples.iter().filter(|s| s.phishing).count(),
        MESSAGE_FEATURES.len()
    );
    let rules = {
        let mut f = messages::Figures::default();
        for s in &samples {
            f.add(s, s.rule);
        }
        f
    };
    println!("rules alone:        {}", rules.line());
    let ts = text::TextSettings::default();
    println!("content model settings {ts:?}, {} hash bits", text::bits());
    if std::env::var("NO_TEXT").is_ok() {
        let cv = messages::cross_validate(&samples, 5, settings);
        println!("5-fold CV (grouped), no content model: {}", cv.line());
    }
    let t = std::time::Instant::now();
    let cv = text::cross_validate_nested(&samples, &extra, 5, settings, ts);
    println!("nested 5-fold CV (grouped), in {:.1?}:", t.elapsed());
    println!("  content + message model: {}", cv.combined.line());
    for (folder, caught, total) in &cv.by_folder {
        println!(
            "    {folder}: {:.2}% ({caught}/{total})",
            100.0 * *caught as f64 / (*total).max(1) as f64
        );
    }
    println!("  content model alone:     {}", cv.text_alone.line());
    if let Ok(cache) = std::env::var("MSG_CACHE") {
        gbt::write_cache(std::path::Path::new(&cache), &cv.folds);
        println!("  wrote the folds to {cache}");
    }
    println!(
        "  message model without the content threshold: {}",
        cv.message_only.line()
    );
    if verbose {
        for p in &cv.combined.false_alarms {
            println!("  CV false alarm: {}", p.display());
        }
        for d in &cv.details {
            println!("  {d}");
        }
    }
    let (tm, model, xs) = text::train_all(&samples, &extra, 5, settings, ts);
    println!(
        "trained on all (content feature out-of-fold): {}",
        messages::judge_all(&model, &xs).line()
    );
    println!("content model: strongest words (weight, tokens in the bucket)");
    for (w, names) in text::top_tokens(&tm, &samples, 40) {
        println!("  {w:+.3} {names}");
    }
    if model.is_trees() {
        println!(
            "  {} trees, base {:+.3}; thresholds suspicious {:.4} phishing {:.4}; content alone {:?}",
            model.tree_count(),
            model.bias(),
            model.suspicious_threshold(),
            model.phishing_threshold(),
            model.content_threshold()
        );
    }
    let mut by_weight: Vec<(&str, f32)> = MESSAGE_FEATURES
        .iter()
        .copied()
        .zip(model.weights().iter().copied())
        .collect();
    by_weight.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (n, w) in &by_weight {
        println!("  {n:28} {w:+.3}");
    }
    for (a, b, w) in model.pairs() {
        println!("  {a}*{b} {w:+.3}");
    }
    println!(
        "  bias {:+.3}; thresholds suspicious {:.4} phishing {:.4}; content alone {:?}",
        model.bias(),
        model.suspicious_threshold(),
        model.phishing_threshold(),
        model.content_threshold()
    );
    if write {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/message_model.txt");
        let text = format!(
            "# Message model: logistic regression over the explained features of\n\
             # src/message_model.rs, written by examples/train_message_model.rs\n\
             # (development corpus, masked; nested 5-fold CV grouped by sender brand/domain,\n\
             # content model in-fold: {}).\n{}",
            cv.combined.line(),
            model.to_text()
        );
        std::fs::write(path, text).unwrap();
        println!("wrote {path}");
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/text_model.bin");
        std::fs::write(path, tm.to_bytes()).unwrap();
        println!("wrote {path} ({} bytes)", tm.to_bytes().len());
    }
}

/// Message-model experiments on the folds a nested CV wrote (`MSG_CACHE`):
/// the logistic regression and boosted trees (`GBT_*`; `GBT_GRID=1` tries a
/// small grid), each with the content threshold of its fold.
fn from_cache(path: &std::path::Path, verbose: bool) {
    let mut folds = gbt::read_cache(path).expect("cache of the current features");
    if let Ok(drop) = std::env::var("MSG_DROP") {
        for name in drop.split(',') {
            if let Some(j) = MESSAGE_FEATURES.iter().position(|n| *n == name) {
                for (_, train, test) in &mut folds {
                    for s in train.iter_mut().chain(test.iter_mut()) {
                        s.x[j] = 0.0;
                    }
                }
            }
        }
    }
    let mut ms = messages::Settings::default();
    if let Some(v) = std::env::var("MSG_HAM").ok().and_then(|v| v.parse().ok()) {
        ms.ham_phishing = v;
    }
    let report = |name: &str, r: (messages::Figures, Vec<(String, usize, usize)>, Vec<String>)| {
        let by: Vec<String> = r.1.iter().map(|(f, a, b)| format!("{f} {a}/{b}")).collect();
        println!("{name}: {} [{}]", r.0.line(), by.join(", "));
        println!("  {}", r.2.first().map_or("", |s| s.as_str()));
        if verbose {
            for d in r.2.iter().skip(1) {
                println!("  {d}");
            }
        }
    };
    if std::env::var("MSG_KIND").is_err() {
        report(
            "logistic",
            gbt::cross_validate_cached(&folds, ms, &messages::train),
        );
    }
    let grid: Vec<gbt::GbtSettings> = if std::env::var("GBT_GRID").is_ok() {
        let mut v = Vec::new();
        for depth in [1, 2, 3] {
            for trees in [50, 150] {
                for min_leaf in [10, 40] {
                    v.push(gbt::GbtSettings {
                        depth,
                        trees,
                        min_leaf,
                        ..gbt::GbtSettings::default()
                    });
                }
            }
        }
        v
    } else {
        vec![gbt::GbtSettings::default()]
    };
    // Scoring cost of a tree model (probability and evidence per message).
    if let Some((_, train, test)) = folds.first() {
        let refs: Vec<&messages::Sample> = train.iter().collect();
        let m = gbt::train(&refs, ms, grid[0]);
        let feats: Vec<mailsec_links::MessageFeatures> = test
            .iter()
            .map(|x| mailsec_links::MessageFeatures::from_values(&x.x))
            .collect();
        let t = std::time::Instant::now();
        let mut sink = 0f32;
        for _ in 0..20 {
            for f in &feats {
                sink += m.probability(f);
            }
        }
        let alone = t.elapsed().as_nanos() as f64 / (20 * feats.len().max(1)) as f64;
        println!("tree model: {alone:.0} ns per message for the probability alone");
        let t = std::time::Instant::now();
        for _ in 0..20 {
            for f in &feats {
                sink += m.probability(f);
                sink += m.evidence(f, 4).len() as f32;
            }
        }
        let ns = t.elapsed().as_nanos() as f64 / (20 * feats.len().max(1)) as f64;
        println!(
            "tree model of {} trees: {ns:.0} ns per message for probability + evidence ({sink:.0})",
            m.tree_count()
        );
    }
    for g in grid {
        let t = std::time::Instant::now();
        let r = gbt::cross_validate_cached(&folds, ms, &|s, ms| gbt::train(s, ms, g));
        report(&format!("trees {g:?} ({:.1?})", t.elapsed()), r);
    }
}
