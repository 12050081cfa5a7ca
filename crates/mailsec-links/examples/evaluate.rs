//! Print the detection figures on the development corpus.
//!
//! ```text
//! cargo run --release -p mailsec-links --example evaluate [-- --verbose]
//! ```
//!
//! URLs: the test fold of the split by registered domain (the training tool
//! never uses it), schemes normalised to `http://`. Mail: every message of
//! nazario/, phishing_pot/ and the SpamAssassin ham folders, label-leaking
//! artefacts masked; then the message model's cross-validation figures
//! (models trained on four folds grouped by sender brand/domain, judged on
//! the fifth), which are the honest figures for unseen mail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../eval/corpus.rs"]
mod corpus;
#[path = "../eval/figures.rs"]
mod figures;
#[path = "../eval/gbt.rs"]
mod gbt;
#[path = "../eval/messages.rs"]
mod messages;
#[path = "../eval/text.rs"]
mod text;

use std::time::Instant;

use mailsec_links::LinkChecker;

fn main() {
    let verbose = std::env::args().any(|a| a == "--verbose");
    let checker = LinkChecker::new().unwrap();

    let t = Instant::now();
    let u = figures::urls(&checker, corpus::TEST_FOLD);
    println!(
        "URLs (test fold, split by registered domain, schemes normalised) in {:.1?}",
        t.elapsed()
    );
    println!(
        "  phishing URLs: {} — phishing or suspicious {:.2}% (phishing {:.2}%)",
        u.phishing_urls,
        100.0 * u.phishing_detected(),
        100.0 * u.phishing_as_phishing as f64 / u.phishing_urls.max(1) as f64
    );
    println!(
        "  benign URLs: {} — phishing {:.2}%, suspicious {:.2}%",
        u.benign_urls,
        100.0 * u.benign_phishing_rate(),
        100.0 * u.benign_suspicious as f64 / u.benign_urls.max(1) as f64
    );
    println!(
        "  benign hosts: {} — with any phishing verdict {} ({:.2}%)",
        u.benign_hosts,
        u.benign_hosts_with_phishing,
        100.0 * u.benign_host_rate()
    );
    if verbose {
        for e in &u.benign_phishing_examples {
            println!("    benign flagged: {e}");
        }
    }

    let t = Instant::now();
    let m = figures::mails(&checker, 1);
    println!("Mail in {:.1?}", t.elapsed());
    println!(
        "  phishing mails: {} — verdict phishing {:.2}% ({}), suspicious {}, without any link {}",
        m.phishing_mails,
        100.0 * m.phishing_rate(),
        m.phishing_as_phishing,
        m.phishing_as_suspicious,
        m.phishing_without_links
    );
    println!(
        "  ham mails: {} — verdict phishing {:.3}% ({}), suspicious {}; hard_ham {} — phishing {:.2}% ({})",
        m.ham_mails,
        100.0 * m.ham_phishing_rate(),
        m.ham_phishing,
        m.ham_suspicious,
        m.hard_ham_mails,
        100.0 * m.hard_ham_phishing_rate(),
        m.hard_ham_phishing
    );
    println!(
        "  links: ham messages with a clickable link suspicious or worse {} ({:.1}%; {} by the URL model alone); phishing messages {} ({:.1}%)",
        m.ham_with_flagged_link,
        100.0 * m.ham_with_flagged_link as f64 / m.ham_mails.max(1) as f64,
        m.ham_with_model_only_link,
        m.phishing_with_flagged_link,
        100.0 * m.phishing_with_flagged_link as f64 / m.phishing_mails.max(1) as f64
    );
    println!(
        "  (the shipped message model was trained on these messages: see the CV figures below)"
    );
    let t = Instant::now();
    let rules = LinkChecker::builder()
        .without_message_model()
        .without_text_model()
        .build()
        .unwrap();
    let samples = messages::samples(&rules, 1);
    let extra = text::extra_samples(&rules);
    let cv = text::cross_validate_nested(
        &samples,
        &extra,
        5,
        messages::Settings::default(),
        text::TextSettings::default(),
    );
    println!(
        "Content + message model, nested 5-fold cross-validation grouped by sender brand/domain, in {:.1?}",
        t.elapsed()
    );
    println!("  {}", cv.combined.line());
    for (folder, caught, total) in &cv.by_folder {
        println!(
            "    {folder}: phishing {:.2}% ({caught}/{total})",
            100.0 * *caught as f64 / (*total).max(1) as f64
        );
    }
    println!("  content model alone: {}", cv.text_alone.line());
    let without = messages::cross_validate(&samples, 5, messages::Settings::default());
    println!(
        "  message model without the content model: {}",
        without.line()
    );
    if m.unparsable > 0 {
        println!("  unparsable: {}", m.unparsable);
    }
    if verbose {
        for (name, v) in [
            ("phishing", &m.phishing_model_max),
            ("ham", &m.ham_model_max),
        ] {
            let mut v = v.clone();
            v.sort_by(f32::total_cmp);
            let q = |x: f32| {
                v.get(((v.len() as f32 - 1.0) * x) as usize)
                    .copied()
                    .unwrap_or(0.0)
            };
            println!(
                "  {name}: max model probability per message p10 {:.4} p25 {:.4} p50 {:.4} p75 {:.4} p90 {:.4}",
                q(0.1),
                q(0.25),
                q(0.5),
                q(0.75),
                q(0.9)
            );
            for t in [0.95f32, 0.98, 0.99, 0.995, 0.999] {
                let share = v.iter().filter(|&&p| p >= t).count() as f32 / v.len().max(1) as f32;
                println!("    >= {t}: {:.2}%", 100.0 * share);
            }
        }
        for (p, d) in &m.false_alarms {
            println!("    ham flagged: {} {d}", p.display());
        }
        for (p, d) in &m.ham_suspicious_list {
            println!("    ham suspicious: {} {d}", p.display());
        }
        for (p, d) in &m.missed {
            println!("    missed: {} {d}", p.display());
        }
    }
}
