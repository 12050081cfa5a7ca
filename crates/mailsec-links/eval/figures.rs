//! The evaluation on the development corpus, shared by `examples/evaluate.rs`
//! (prints everything) and `tests/corpus_eval.rs` (asserts the targets).
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use mailsec_links::{LinkChecker, Verdict};

use crate::corpus;

/// URL figures on the test fold (split by registered domain).
#[derive(Debug, Default)]
pub(crate) struct UrlFigures {
    pub phishing_urls: usize,
    pub phishing_flagged: usize,
    pub phishing_as_phishing: usize,
    pub benign_urls: usize,
    pub benign_phishing: usize,
    pub benign_suspicious: usize,
    pub benign_hosts: usize,
    pub benign_hosts_with_phishing: usize,
    pub benign_phishing_examples: Vec<String>,
}

impl UrlFigures {
    pub(crate) fn phishing_detected(&self) -> f64 {
        self.phishing_flagged as f64 / self.phishing_urls.max(1) as f64
    }
    pub(crate) fn benign_phishing_rate(&self) -> f64 {
        self.benign_phishing as f64 / self.benign_urls.max(1) as f64
    }
    pub(crate) fn benign_host_rate(&self) -> f64 {
        self.benign_hosts_with_phishing as f64 / self.benign_hosts.max(1) as f64
    }
}

/// Judge the test fold of the URL lists, schemes normalised to `http://`.
pub(crate) fn urls(checker: &LinkChecker, fold: u32) -> UrlFigures {
    let (phish, benign) = corpus::load_urls();
    let mut f = UrlFigures::default();
    let mut seen = HashSet::new();
    for raw in &phish {
        let norm = corpus::scheme_normalised(raw);
        if corpus::fold(&corpus::url_domain(&norm)) != fold || !seen.insert(norm.clone()) {
            continue;
        }
        f.phishing_urls += 1;
        match checker.check_url(&norm).verdict() {
            Verdict::Phishing => {
                f.phishing_flagged += 1;
                f.phishing_as_phishing += 1;
            }
            Verdict::Suspicious => f.phishing_flagged += 1,
            _ => {}
        }
    }
    let mut hosts: HashMap<String, bool> = HashMap::new();
    for raw in &benign {
        let norm = corpus::scheme_normalised(raw);
        if corpus::fold(&corpus::url_domain(&norm)) != fold || !seen.insert(norm.clone()) {
            continue;
        }
        f.benign_urls += 1;
        let finding = checker.check_url(&norm);
        let host = finding.host().unwrap_or_default().to_owned();
        let bad = finding.verdict() == Verdict::Phishing;
        *hosts.entry(host).or_default() |= bad;
        match finding.verdict() {
            Verdict::Phishing => {
                f.benign_phishing += 1;
                if f.benign_phishing_examples.len() < 10 {
                    let codes: Vec<&str> = finding.reasons().iter().map(|r| r.code()).collect();
                    f.benign_phishing_examples.push(format!("{norm} {codes:?}"));
                }
            }
            Verdict::Suspicious => f.benign_suspicious += 1,
            _ => {}
        }
    }
    f.benign_hosts = hosts.len();
    f.benign_hosts_with_phishing = hosts.values().filter(|b| **b).count();
    f
}

/// Message figures.
#[derive(Debug, Default)]
pub(crate) struct MailFigures {
    pub phishing_mails: usize,
    pub phishing_as_phishing: usize,
    pub phishing_as_suspicious: usize,
    pub phishing_without_links: usize,
    pub ham_mails: usize,
    pub ham_phishing: usize,
    pub ham_suspicious: usize,
    pub hard_ham_mails: usize,
    pub hard_ham_phishing: usize,
    pub unparsable: usize,
    pub missed: Vec<(PathBuf, String)>,
    /// Highest model probability over each message's clickable links.
    pub phishing_model_max: Vec<f32>,
    pub ham_model_max: Vec<f32>,
    pub false_alarms: Vec<(PathBuf, String)>,
    pub ham_suspicious_list: Vec<(PathBuf, String)>,
    /// Ham messages with a clickable link judged `suspicious` or worse.
    pub ham_with_flagged_link: usize,
    /// ... of which with a link flagged by the lexical URL model alone.
    pub ham_with_model_only_link: usize,
    /// Phishing messages with a clickable link judged `suspicious` or worse.
    pub phishing_with_flagged_link: usize,
}

impl MailFigures {
    pub(crate) fn phishing_rate(&self) -> f64 {
        self.phishing_as_phishing as f64 / self.phishing_mails.max(1) as f64
    }
    pub(crate) fn ham_phishing_rate(&self) -> f64 {
        self.ham_phishing as f64 / self.ham_mails.max(1) as f64
    }
    pub(crate) fn hard_ham_phishing_rate(&self) -> f64 {
        self.hard_ham_phishing as f64 / self.hard_ham_mails.max(1) as f64
    }
}

fn model_max(r: &mailsec_links::MessageReport) -> f32 {
    r.links()
        .iter()
        .filter(|l| l.source().is_clickable())
        .flat_map(|l| l.reasons())
        .filter_map(|x| match x {
            mailsec_links::Reason::Model { probability } => Some(*probability),
            _ => None,
        })
        .fold(0.0, f32::max)
}

/// (a clickable link is `suspicious` or worse, one is so by the URL model alone).
fn flagged_links(r: &mailsec_links::MessageReport) -> (bool, bool) {
    let flagged: Vec<&mailsec_links::LinkFinding> = r
        .links()
        .iter()
        .filter(|l| l.source().is_clickable() && l.verdict() != Verdict::Safe)
        .collect();
    let model_only = flagged.iter().any(|l| {
        l.reasons()
            .iter()
            .all(|x| matches!(x, mailsec_links::Reason::Model { .. }) || x.weight() <= 0.0)
    });
    (!flagged.is_empty(), model_only)
}

fn describe(r: &mailsec_links::MessageReport) -> String {
    let msg: Vec<&str> = r.reasons().iter().map(|x| x.code()).collect();
    let worst = r
        .links()
        .iter()
        .max_by(|a, b| a.score().total_cmp(&b.score()));
    let link = worst
        .map(|l| {
            let codes: Vec<&str> = l.reasons().iter().map(|x| x.code()).collect();
            format!("{} {:?} shown={:?}", l.url(), codes, l.shown())
        })
        .unwrap_or_default();
    format!("score {:.2} msg {msg:?} link {link}", r.score())
}

/// Judge every `step`-th message of the phishing and ham folders.
pub(crate) fn mails(checker: &LinkChecker, step: usize) -> MailFigures {
    let mut f = MailFigures::default();
    for dir in corpus::phishing_dirs() {
        for path in corpus::message_files(&dir).into_iter().step_by(step) {
            let raw = corpus::mask_artefacts(&std::fs::read(&path).unwrap_or_default());
            let Ok(r) = checker.check_raw(&raw) else {
                f.unparsable += 1;
                continue;
            };
            f.phishing_mails += 1;
            f.phishing_with_flagged_link += usize::from(flagged_links(&r).0);
            f.phishing_model_max.push(model_max(&r));
            if r.links().iter().all(|l| !l.source().is_clickable()) {
                f.phishing_without_links += 1;
            }
            match r.verdict() {
                Verdict::Phishing => f.phishing_as_phishing += 1,
                v => {
                    if v == Verdict::Suspicious {
                        f.phishing_as_suspicious += 1;
                    }
                    f.missed.push((path.clone(), describe(&r)));
                }
            }
        }
    }
    for dir in corpus::ham_dirs() {
        let hard = dir.to_string_lossy().contains("hard_ham");
        for path in corpus::message_files(&dir).into_iter().step_by(step) {
            let raw = corpus::mask_artefacts(&std::fs::read(&path).unwrap_or_default());
            let Ok(r) = checker.check_raw(&raw) else {
                f.unparsable += 1;
                continue;
            };
            f.ham_mails += 1;
            let (flagged, model_only) = flagged_links(&r);
            f.ham_with_flagged_link += usize::from(flagged);
            f.ham_with_model_only_link += usize::from(model_only);
            f.hard_ham_mails += usize::from(hard);
            f.ham_model_max.push(model_max(&r));
            match r.verdict() {
                Verdict::Phishing => {
                    f.ham_phishing += 1;
                    f.hard_ham_phishing += usize::from(hard);
                    f.false_alarms.push((path.clone(), describe(&r)));
                }
                Verdict::Suspicious => {
                    f.ham_suspicious += 1;
                    f.ham_suspicious_list.push((path.clone(), describe(&r)));
                }
                _ => {}
            }
        }
    }
    f
}
