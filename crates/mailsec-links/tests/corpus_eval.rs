#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The evaluation on the development corpus, asserted.
//!
//! URLs: the test fold of the split by registered domain (never trained
//! on), schemes normalised. Mail: every second message of each folder (the
//! full run, with figures printed, is `cargo run --release --example evaluate`).
//! Needs `../shared/corpus` beside the repository.

#[path = "../eval/corpus.rs"]
mod corpus;
#[path = "../eval/figures.rs"]
mod figures;

use std::sync::LazyLock;

use mailsec_links::LinkChecker;

static CHECKER: LazyLock<LinkChecker> = LazyLock::new(|| LinkChecker::new().unwrap());

#[test]
fn urls_split_by_registered_domain() {
    let f = figures::urls(&CHECKER, corpus::TEST_FOLD);
    println!("{f:?}");
    assert!(
        f.phishing_urls > 3000 && f.benign_urls > 1000,
        "corpus missing? {f:?}"
    );
    // Targets: >= 90% of phishing URLs phishing or suspicious, <= 1% of benign URLs phishing.
    assert!(
        f.phishing_detected() >= 0.90,
        "phishing URLs detected {:.4}",
        f.phishing_detected()
    );
    assert!(
        f.benign_phishing_rate() <= 0.01,
        "benign URLs phishing {:.4}",
        f.benign_phishing_rate()
    );
}

#[test]
fn mail_verdicts() {
    let f = figures::mails(&CHECKER, 2);
    println!(
        "phishing {}/{} = {:.4}; ham phishing {}/{} = {:.4}",
        f.phishing_as_phishing,
        f.phishing_mails,
        f.phishing_rate(),
        f.ham_phishing,
        f.ham_mails,
        f.ham_phishing_rate()
    );
    for (p, d) in &f.false_alarms {
        println!("ham flagged: {} {d}", p.display());
    }
    assert!(
        f.phishing_mails > 400 && f.ham_mails > 1000,
        "corpus missing? {f:?}"
    );
    // Target: <= 0.2% of ham flagged phishing.
    assert!(
        f.ham_phishing_rate() <= HAM_PHISHING_MAX,
        "ham flagged phishing {:.4}",
        f.ham_phishing_rate()
    );
    // The 95% target for phishing mail is not reached (see docs/links.md:
    // 87.3% in nested cross-validation with the content model, session 7;
    // the shipped models, trained on this mail, call about 97% of it
    // phishing: training-set figures, not estimates); this floor guards
    // against regressions of what is reached.
    assert!(
        f.phishing_rate() >= PHISHING_FLOOR,
        "phishing mail detected {:.4}",
        f.phishing_rate()
    );
}

const HAM_PHISHING_MAX: f64 = 0.002;
const PHISHING_FLOOR: f64 = 0.95;

#[test]
fn url_model_alone_does_not_flag_links_of_a_safe_message() {
    // An ordinary link the lexical model still rates above its threshold
    // (the ham link this test used before, digichapman.com/index.php?..., is
    // below it since the model learned from the links of ham mail).
    let url = "https://intranet.northwind-traders.com/hr/holidays";
    // On its own the lexical model asks for confirmation...
    let alone = CHECKER.check_url(url);
    let codes: Vec<&str> = alone.reasons().iter().map(|r| r.code()).collect();
    assert_eq!(
        alone.verdict(),
        mailsec_links::Verdict::Suspicious,
        "{codes:?}"
    );
    assert_eq!(codes, vec!["url_model"]);
    // ...but in a message nothing else finds suspicious, the link is safe
    // (the reason stays listed).
    let raw = format!(
        "From: Dan <dan@mail.example.org>\r\nTo: list@lists.example.net\r\nSubject: Re: photos\r\n\r\n\
         Thanks for the lift on Saturday, it was a great day out and the kids are still talking\r\n\
         about the boat. I put the rest of the pictures up here: {url}\r\nThe second set is a bit\r\n\
         blurry, sorry; the light was going by then. Let me know if you want the originals, I kept\r\n\
         them all at full size, and say hello to everyone from us.\r\n\r\nDan\r\n"
    );
    let r = CHECKER.check_raw(raw.as_bytes()).unwrap();
    let why: Vec<String> = r.reasons().iter().map(|x| x.to_string()).collect();
    assert_eq!(r.verdict(), mailsec_links::Verdict::Safe, "{why:?}");
    let link = r.links().iter().find(|l| l.url() == url).unwrap();
    assert_eq!(link.verdict(), mailsec_links::Verdict::Safe);
    assert!(link.reasons().iter().any(|x| x.code() == "url_model"));
}
