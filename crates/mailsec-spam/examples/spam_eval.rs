//! Evaluation of the spam scorer on the development corpus.
//!
//! ```text
//! cargo run --release -p mailsec-spam --example spam_eval -- crossval [--folds 5] [--every N] [--links] [--stage2]
//! cargo run --release -p mailsec-spam --example spam_eval -- fit-stage2 --out crates/mailsec-spam/src/stage2.toml
//! cargo run --release -p mailsec-spam --example spam_eval -- mask OUT_DIR
//! cargo run --release -p mailsec-spam --example spam_eval -- score --train-list FILE --test-list FILE
//! ```
//!
//! `crossval` runs a k-fold cross-validation over `../shared/corpus` (ham:
//! SpamAssassin easy_ham*, hard_ham*; spam: SpamAssassin spam*, Nazario and
//! phishing_pot) with the label-leaking artefacts masked, and prints the
//! table. `--every N` keeps every N-th message (a quick run in debug);
//! `--links` feeds the link checker's verdicts (`mailsec-links`, as the
//! `mailsec` pipeline does) as evidence.
//! `mask` writes the masked corpus and a `labels.tsv` (path, label, group)
//! for other filters to read the same bytes. `score` learns the messages in
//! a list (`path<TAB>spam|ham` per line) and prints `path<TAB>score<TAB>action`
//! for each message of another list.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use mail_parser::MessageParser;
use mailsec_spam::{Analysis, Class, Evidence, MemoryStore, Scorer, Trainer};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

/// Where a message comes from (the table's rows).
const GROUPS: [(&str, &str, bool); 8] = [
    ("spamassassin/easy_ham", "easy_ham", false),
    ("spamassassin/easy_ham_2", "easy_ham", false),
    ("spamassassin/hard_ham", "hard_ham", false),
    ("spamassassin/hard_ham_2", "hard_ham", false),
    ("spamassassin/spam", "sa_spam", true),
    ("spamassassin/spam_2", "sa_spam", true),
    ("nazario", "nazario", true),
    ("phishing_pot", "phishing_pot", true),
];

struct Item {
    path: PathBuf,
    group: &'static str,
    spam: bool,
    raw: Vec<u8>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    match args.first().map(String::as_str) {
        Some("crossval") => {
            let folds = opt("--folds").map_or(5, |v| v.parse().unwrap());
            let every = opt("--every").map_or(1, |v| v.parse().unwrap());
            crossval(
                folds,
                every,
                args.iter().any(|a| a == "--links"),
                args.iter().any(|a| a == "--stage2"),
            );
        }
        Some("speed") => speed(),
        Some("one") => one(
            Path::new(args.get(1).expect("FILE")),
            args.iter().any(|a| a == "--links"),
        ),
        Some("fit-stage2") => {
            if let Some(cap) = opt("--rule-cap") {
                RULE_CAP
                    .set(cap.parse().expect("--rule-cap POINTS"))
                    .unwrap();
            }
            fit_out(Path::new(&opt("--out").expect("--out FILE")))
        }
        Some("learn") => learn_redb(Path::new(&opt("--db").expect("--db PATH"))),
        Some("mask") => mask_out(Path::new(args.get(1).expect("OUT_DIR"))),
        Some("score") => score_lists(
            Path::new(&opt("--train-list").expect("--train-list")),
            Path::new(&opt("--test-list").expect("--test-list")),
        ),
        _ => {
            eprintln!(
                "usage: spam_eval crossval [--folds K] [--every N] [--links] | speed | learn --db F | mask OUT_DIR | score --train-list F --test-list F"
            );
            std::process::exit(2);
        }
    }
}

fn load(every: usize) -> Vec<Item> {
    let mut items = Vec::new();
    for (dir, group, spam) in GROUPS {
        let mut files: Vec<PathBuf> = std::fs::read_dir(Path::new(CORPUS).join(dir))
            .unwrap_or_else(|e| panic!("{CORPUS}/{dir}: {e}"))
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for (i, path) in files.into_iter().enumerate() {
            if i % every != 0 {
                continue;
            }
            let raw = mask(&std::fs::read(&path).unwrap());
            items.push(Item {
                path,
                group,
                spam,
                raw,
            });
        }
    }
    items
}

/// Masks the corpus artefacts that give away a message's source (see
/// `shared/corpus/SOURCES.md`): the SpamAssassin maintainers' domains, the
/// honeypot and Nazario recipient placeholders, and example.com.
fn mask(raw: &[u8]) -> Vec<u8> {
    let mut out = raw.to_vec();
    for (needle, with) in [
        (&b"phishing@pot"[..], &b"user@masked.invalid"[..]),
        (b"username@domain.com", b"user@masked.invalid"),
    ] {
        out = replace_ci(&out, needle, with, false);
    }
    for dom in [
        &b"spamassassin.taint.org"[..],
        b"taint.org",
        b"jmason.org",
        b"example.com",
        b"monkey.org",
    ] {
        out = replace_ci(&out, dom, b"masked.invalid", true);
    }
    out
}

/// Replaces `needle` (case-insensitive). With `host`, the match grows left
/// over the host's other labels, and over an address's local part (which
/// becomes `user`).
fn replace_ci(hay: &[u8], needle: &[u8], with: &[u8], host: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    let hostch = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'.';
    let localch = |b: u8| b.is_ascii_alphanumeric() || b"._%+-=".contains(&b);
    while i < hay.len() {
        let m =
            hay.len() >= i + needle.len() && hay[i..i + needle.len()].eq_ignore_ascii_case(needle);
        let boundary = !host
            || i + needle.len() >= hay.len()
            || !hay[i + needle.len()].is_ascii_alphanumeric();
        if m && boundary {
            if host {
                let mut start = out.len();
                while start > 0 && hostch(out[start - 1]) {
                    start -= 1;
                }
                let mut replacement = with.to_vec();
                if start > 0 && out[start - 1] == b'@' {
                    start -= 1;
                    while start > 0 && localch(out[start - 1]) {
                        start -= 1;
                    }
                    replacement = [&b"user@"[..], with].concat();
                }
                out.truncate(start);
                out.extend_from_slice(&replacement);
            } else {
                out.extend_from_slice(with);
            }
            i += needle.len();
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    out
}

/// The default scorer, or one configured by the TOML file in
/// `SPAM_EVAL_CONFIG` (for tuning).
fn scorer() -> Scorer {
    match std::env::var("SPAM_EVAL_CONFIG") {
        Ok(path) => Scorer::new(
            mailsec_spam::Config::from_toml_str(&std::fs::read_to_string(path).unwrap()).unwrap(),
        ),
        Err(_) => Scorer::default(),
    }
}

fn analyze(raw: &[u8]) -> Analysis {
    let msg = MessageParser::default().parse(raw).unwrap_or_default();
    Analysis::of(&msg)
}

#[derive(Default, Clone, Copy)]
struct Tally {
    n: usize,
    flagged: usize,
    rejected: usize,
}

/// The link checker's findings as spam evidence, as the `mailsec`
/// pipeline fills them.
fn link_evidence(checker: &mailsec_links::LinkChecker, raw: &[u8]) -> Evidence {
    use mailsec_links::Verdict;
    use mailsec_spam::LinkVerdict;
    let msg = MessageParser::default().parse(raw).unwrap_or_default();
    let report = checker.check_message(&msg);
    let word = |v: Verdict| match v {
        Verdict::Phishing => LinkVerdict::Phishing,
        Verdict::Suspicious => LinkVerdict::Suspicious,
        _ => LinkVerdict::Safe,
    };
    let mut ev = mailsec_spam::LinkEvidence::default();
    for l in report.links() {
        match word(l.verdict()) {
            LinkVerdict::Phishing => ev.phishing += 1,
            LinkVerdict::Suspicious => ev.suspicious += 1,
            _ => ev.safe += 1,
        }
    }
    ev.message = Some(word(report.verdict()));
    ev.message_score = report.score();
    for r in report.reasons() {
        let code = r.code().to_owned();
        if !ev.message_reasons.contains(&code) {
            ev.message_reasons.push(code);
        }
    }
    Evidence {
        links: ev,
        ..Evidence::default()
    }
}

fn crossval(folds: usize, every: usize, links: bool, stage2: bool) {
    let t0 = Instant::now();
    let items = load(every);
    let analyses: Vec<Analysis> = items.iter().map(|it| analyze(&it.raw)).collect();
    let evidence: Vec<Evidence> = if links {
        let checker = mailsec_links::LinkChecker::new().unwrap();
        items
            .iter()
            .map(|it| link_evidence(&checker, &it.raw))
            .collect()
    } else {
        vec![Evidence::default(); items.len()]
    };
    if let Ok(path) = std::env::var("SPAM_EVAL_DUMP_LINKS") {
        let mut out = String::new();
        for (it, ev) in items.iter().zip(&evidence) {
            let l = &ev.links;
            out.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{:.3}\t{}\n",
                it.path.display(),
                it.group,
                l.safe,
                l.suspicious,
                l.phishing,
                l.message.map_or("-", |m| m.as_str()),
                l.message_score,
                l.message_reasons.join(",")
            ));
        }
        std::fs::write(path, out).unwrap();
    }
    if std::env::var_os("SPAM_EVAL_SENDER_DUMP").is_some() {
        let all: Vec<usize> = (0..items.len()).collect();
        let h = sender_hist(&items, &analyses, &all);
        let masked = analyses.iter().filter(|a| sender_keys(a).is_none()).count();
        let masked_ham = analyses
            .iter()
            .zip(&items)
            .filter(|(a, it)| !it.spam && sender_keys(a).is_none())
            .count();
        println!("no usable From (none or masked): {masked} ({masked_ham} ham)");
        for (label, map) in [("address", &h.addr), ("domain", &h.dom)] {
            let mut v: Vec<(&String, &(u32, u32))> = map.iter().collect();
            v.sort_by(|a, b| (b.1.0 + b.1.1).cmp(&(a.1.0 + a.1.1)).then(a.0.cmp(b.0)));
            let repeat_ham = v
                .iter()
                .filter(|(_, c)| c.0 >= 2)
                .map(|(_, c)| c.0)
                .sum::<u32>();
            let repeat_spam = v
                .iter()
                .filter(|(_, c)| c.1 >= 2)
                .map(|(_, c)| c.1)
                .sum::<u32>();
            let both = v.iter().filter(|(_, c)| c.0 > 0 && c.1 > 0).count();
            println!(
                "{label}: {} distinct; ham from a repeat {label} {repeat_ham}, spam {repeat_spam}; {both} with both classes",
                v.len()
            );
            for (k, c) in v.iter().take(40) {
                println!("  {k}: ham {} spam {}", c.0, c.1);
            }
        }
        return;
    }
    let mut fired: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    let t_an = t0.elapsed();
    let scorer = scorer();
    let groups = ["easy_ham", "hard_ham", "sa_spam", "nazario", "phishing_pot"];
    let mut tallies = vec![[Tally::default(); 5]; folds];
    let mut misses: Vec<String> = Vec::new();
    let mut scores: Vec<(f64, bool)> = Vec::new();
    for (fold, tally) in tallies.iter_mut().enumerate() {
        let train_idx: Vec<usize> = (0..items.len())
            .filter(|&i| fold_of(i, folds) != fold)
            .collect();
        let store = train_model(&items, &analyses, &train_idx);
        let nb = nbsvm_on().then(|| Nbsvm::fit(&items, &analyses, &train_idx));
        let hist = sender_hist(&items, &analyses, &train_idx);
        // The second stage, fitted on out-of-fold scores of the training
        // folds only (an inner 4-fold split of them).
        let mut shape_w: Vec<(String, f64)> = Vec::new();
        let fold_scorer = if stage2 {
            let idx = train_idx.clone();
            let rows = oof_rows(&items, &analyses, &idx, folds - 1);
            let fit = fit_stage2(&rows, scorer.config().actions.add_header);
            let overlay = format!("fitted = false\n{}", fit.toml());
            eprintln!(
                "fold {fold}: stage 2 scale {:.3}, train FP {}/{}\n{}",
                fit.scale, fit.train_fp, fit.n_ham, overlay
            );
            shape_w = fit
                .weights
                .iter()
                .filter(|(n, _)| outside_toml(n))
                .map(|(n, w)| (n.clone(), w * fit.scale))
                .collect();
            if !shape_w.is_empty() {
                eprintln!("fold {fold}: inputs outside the TOML: {shape_w:?}");
            }
            Scorer::new(tweak(
                mailsec_spam::Config::from_toml_str(&overlay).unwrap(),
            ))
        } else {
            scorer.clone()
        };
        for (i, (it, a)) in items.iter().zip(&analyses).enumerate() {
            if fold_of(i, folds) != fold {
                continue;
            }
            let report = fold_scorer.score_analysis(a, &evidence[i], Some(&store));
            let shape_score: f64 = shape_names(a)
                .iter()
                .filter_map(|n| shape_w.iter().find(|(m, _)| m == n).map(|(_, w)| *w))
                .sum();
            let nb_score = match &nb {
                Some(nb) => {
                    shape_w
                        .iter()
                        .find(|(n, _)| n == "NBSVM")
                        .map_or(0.0, |(_, w)| *w)
                        * nb.margin(a)
                }
                None => 0.0,
            };
            let knot = env_f64("SPAM_EVAL_KNOT", 0.0);
            let knot_score = if knot > 0.0 {
                let z = report.bayes_log_odds().unwrap_or(0.0).min(15.0);
                let bs = if report.bayes_probability().unwrap_or(0.5) > 0.6 {
                    z
                } else {
                    0.0
                };
                shape_w
                    .iter()
                    .find(|(n, _)| n == "BAYES_KNOT")
                    .map_or(0.0, |(_, w)| *w)
                    * (bs - knot).max(0.0)
            } else {
                0.0
            };
            let sender_score: f64 = if sender_in_store() {
                Vec::new()
            } else {
                sender_names()
            }
            .iter()
            .zip(sender_feats(&hist, a))
            .map(|(n, x)| {
                shape_w
                    .iter()
                    .find(|(m, _)| m == n)
                    .map_or(0.0, |(_, w)| *w)
                    * x
            })
            .sum();
            let total = report.score() + shape_score + nb_score + knot_score + sender_score;
            let is_spam = total >= fold_scorer.config().actions.add_header;
            for s in report.symbols() {
                let e = fired.entry(s.name().to_owned()).or_default();
                if it.spam {
                    e.1 += 1;
                } else {
                    e.0 += 1;
                }
            }
            let g = groups.iter().position(|g| *g == it.group).unwrap();
            let t = &mut tally[g];
            t.n += 1;
            scores.push((total, it.spam));
            if let Ok(p) = std::env::var("SPAM_EVAL_SCORES") {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .unwrap();
                writeln!(
                    f,
                    "{:.3}\t{}\t{}\t{:.3}",
                    total,
                    it.group,
                    it.path.strip_prefix(CORPUS).unwrap_or(&it.path).display(),
                    report.bayes_log_odds().unwrap_or(0.0)
                )
                .unwrap();
            }
            if is_spam {
                t.flagged += 1;
            }
            if report.action() == mailsec_spam::Action::Reject {
                t.rejected += 1;
            }
            if is_spam != it.spam
                && std::env::var("SPAM_EVAL_EXPLAIN")
                    .is_ok_and(|p| p.split(',').any(|p| it.path.to_string_lossy().contains(p)))
            {
                explain(&it.raw, &store, report.score());
            }
            if is_spam != it.spam {
                let syms: Vec<String> = report
                    .symbols()
                    .iter()
                    .map(|s| format!("{}({:.2})", s.name(), s.score()))
                    .collect();
                misses.push(format!(
                    "{} {} score={:.2} {}",
                    if it.spam { "MISSED" } else { "FALSE+" },
                    it.path.strip_prefix(CORPUS).unwrap_or(&it.path).display(),
                    report.score(),
                    syms.join(" ")
                ));
            }
        }
    }
    let total = |g: usize| {
        tallies.iter().fold(Tally::default(), |acc, f| Tally {
            n: acc.n + f[g].n,
            flagged: acc.flagged + f[g].flagged,
            rejected: acc.rejected + f[g].rejected,
        })
    };
    println!(
        "{folds}-fold cross-validation, {} messages (artefacts masked{}), analysis {:.2?}, total {:.2?}",
        items.len(),
        if links {
            ", link checker evidence fed"
        } else {
            ""
        },
        t_an,
        t0.elapsed()
    );
    println!();
    println!("| group | messages | flagged (add_header or reject) | rate | rejected |");
    println!("|---|---:|---:|---:|---:|");
    for (g, name) in groups.iter().enumerate() {
        let t = total(g);
        println!(
            "| {name} | {} | {} | {:.2}% | {} |",
            t.n,
            t.flagged,
            pct(t.flagged, t.n),
            t.rejected
        );
    }
    let ham = [total(0), total(1)];
    let spam = [total(2), total(3), total(4)];
    let hn: usize = ham.iter().map(|t| t.n).sum();
    let hf: usize = ham.iter().map(|t| t.flagged).sum();
    let sn: usize = spam.iter().map(|t| t.n).sum();
    let sf: usize = spam.iter().map(|t| t.flagged).sum();
    println!(
        "| **all ham (false positives)** | {hn} | {hf} | {:.2}% | |",
        pct(hf, hn)
    );
    println!(
        "| **all spam (recall)** | {sn} | {sf} | {:.2}% | |",
        pct(sf, sn)
    );
    println!();
    println!("per fold (ham FP / hard_ham FP / spam recall):");
    for (k, f) in tallies.iter().enumerate() {
        let hn = f[0].n + f[1].n;
        let hf = f[0].flagged + f[1].flagged;
        let sn = f[2].n + f[3].n + f[4].n;
        let sf = f[2].flagged + f[3].flagged + f[4].flagged;
        println!(
            "  fold {k}: {hf}/{hn} ({:.2}%)  {}/{}  {sf}/{sn} ({:.2}%)",
            pct(hf, hn),
            f[1].flagged,
            f[1].n,
            pct(sf, sn)
        );
    }
    // Recall at other thresholds, for tuning.
    println!();
    println!("threshold sweep (score >= t): t, ham FP, spam recall");
    for t in [3.0, 4.0, 5.0, 6.0, 7.0, 8.0] {
        let fp = scores.iter().filter(|(s, spam)| !spam && *s >= t).count();
        let tp = scores.iter().filter(|(s, spam)| *spam && *s >= t).count();
        println!(
            "  {t:>4.1}  {fp:>3} ({:.2}%)  {:.2}%",
            pct(fp, hn),
            pct(tp, sn)
        );
    }
    // Recall where the false positives stay within a budget (the threshold
    // read off the pooled scores: optimistic, for comparing variants).
    println!();
    println!("recall at a ham FP budget (pooled threshold):");
    for (label, fp) in [("0.2%", hn / 500), ("0.5%", hn / 200), ("1%", hn / 100)] {
        let (t, r) = recall_at_fp(&scores, fp);
        println!("  FP <= {fp} ({label}): recall {r:.2}% (score >= {t:.2})");
    }
    let b: Vec<String> = [hn / 500, hn / 200, hn / 100]
        .iter()
        .map(|&fp| format!("{:.2}", recall_at_fp(&scores, fp).1))
        .collect();
    println!(
        "SUMMARY | {hf} ({:.2}%) | {} | {:.2}% | {} |",
        pct(hf, hn),
        total(1).flagged,
        pct(sf, sn),
        b.join(" / ")
    );
    println!();
    println!("symbols fired (ham messages / spam messages):");
    for (name, (h, s)) in &fired {
        println!("  {name}: {h} / {s}");
    }
    if std::env::var_os("SPAM_EVAL_VERBOSE").is_some() {
        println!();
        for m in &misses {
            println!("{m}");
        }
    }
}

/// The fold of message `i`: by position (`i mod k`), or, with
/// `SPAM_EVAL_SPLIT_SEED` set, by a hash of the position and the seed (for
/// seeing how much a figure moves with the split).
fn fold_of(i: usize, folds: usize) -> usize {
    let seed = env_f64("SPAM_EVAL_SPLIT_SEED", 0.0) as u64;
    if seed == 0 {
        return i % folds;
    }
    let mut h =
        (i as u64 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 29;
    (h % folds as u64) as usize
}

/// Prints the tokens of a message with their counts and log-likelihood
/// ratios in `store`: the strongest each way.
fn explain(raw: &[u8], store: &MemoryStore, score: f64) {
    use mailsec_spam::TokenStore;
    let msg = MessageParser::default().parse(raw).unwrap_or_default();
    let (a, names) = Analysis::explain(&msg);
    let lookup = store.lookup(a.tokens()).unwrap();
    let (ns, nh) = (lookup.totals.spam as f64, lookup.totals.ham as f64);
    let al = 0.1;
    let mut rows: Vec<(f64, u32, u32, String)> = a
        .tokens()
        .iter()
        .zip(&lookup.counts)
        .filter(|(_, c)| c.spam + c.ham > 0)
        .map(|(t, c)| {
            let llr = ((f64::from(c.spam) + al) / (ns + 2.0 * al)).ln()
                - ((f64::from(c.ham) + al) / (nh + 2.0 * al)).ln();
            (
                llr,
                c.spam,
                c.ham,
                names.get(t).cloned().unwrap_or_else(|| format!("#{t:x}")),
            )
        })
        .collect();
    let known = rows.len();
    let sum: f64 = rows.iter().map(|r| r.0).sum();
    rows.sort_by(|x, y| y.0.total_cmp(&x.0));
    println!(
        "--- {} score {score:.2}: {} tokens, {known} known, sum {sum:.1}, z {:.2}",
        msg.subject().unwrap_or(""),
        a.tokens().len(),
        sum / (a.tokens().len() as f64).sqrt()
    );
    let show = |r: &(f64, u32, u32, String)| format!("{:+.1} {}/{} {}", r.0, r.1, r.2, r.3);
    let top: Vec<String> = rows.iter().take(25).map(show).collect();
    let bottom: Vec<String> = rows.iter().rev().take(12).map(show).collect();
    println!("  spam-ward: {}", top.join(" | "));
    println!("  ham-ward:  {}", bottom.join(" | "));
    let hdr: Vec<String> = rows
        .iter()
        .filter(|r| r.3.starts_with("H ") || r.3.contains(':'))
        .map(show)
        .collect();
    println!("  header/meta: {}", hdr.join(" | "));
}

/// Learns the whole corpus into a redb file in one transaction and prints
/// the time it took (reading, parsing, tokenizing and the commit).
fn learn_redb(path: &Path) {
    let items = load(1);
    let start = Instant::now();
    let store = mailsec_spam::RedbStore::open(path).unwrap();
    let mut trainer = Trainer::new(&store, 20_000);
    for it in &items {
        trainer
            .learn(
                &analyze(&it.raw),
                if it.spam { Class::Spam } else { Class::Ham },
            )
            .unwrap();
    }
    trainer.commit().unwrap();
    let stats = mailsec_spam::TokenStore::stats(&store).unwrap();
    println!(
        "learned {} messages into {} in {:.2} s ({} tokens)",
        items.len(),
        path.display(),
        start.elapsed().as_secs_f64(),
        stats.tokens
    );
}

/// CPU time of this thread in nanoseconds (Linux `/proc/thread-self/schedstat`),
/// so that a loaded machine does not distort a per-core figure.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// Scores the median-size corpus message repeatedly against a model of the
/// whole corpus and prints messages per CPU-second (wall time too).
fn speed() {
    let items = load(1);
    let store = MemoryStore::new();
    let mut trainer = Trainer::new(&store, 20_000);
    for it in &items {
        trainer
            .learn(
                &analyze(&it.raw),
                if it.spam { Class::Spam } else { Class::Ham },
            )
            .unwrap();
    }
    trainer.commit().unwrap();
    let mut by_size: Vec<&Item> = items.iter().collect();
    by_size.sort_by_key(|it| it.raw.len());
    let median = by_size[by_size.len() / 2];
    let scorer = scorer();
    let parsed = MessageParser::default().parse(&median.raw[..]).unwrap();
    println!(
        "median message {} ({} bytes)",
        median.path.display(),
        median.raw.len()
    );
    for (name, parse) in [
        ("score_bytes (parse + tokenize + classify + rules)", true),
        ("score (parsed once by the pipeline)", false),
    ] {
        let mut rates = Vec::new();
        for _ in 0..7 {
            let n = 2_000;
            let (c0, w0) = (cpu_ns(), Instant::now());
            for _ in 0..n {
                let r = if parse {
                    scorer
                        .score_bytes(&median.raw, &Evidence::default(), Some(&store))
                        .unwrap()
                } else {
                    scorer.score(&parsed, &Evidence::default(), Some(&store))
                };
                std::hint::black_box(r.score());
            }
            let cpu = (cpu_ns() - c0) as f64 / 1e9;
            rates.push((n as f64 / cpu, n as f64 / w0.elapsed().as_secs_f64()));
        }
        rates.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (cpu_rate, wall_rate) = rates[rates.len() / 2];
        println!("{name}: median {cpu_rate:.0} msgs per CPU-second ({wall_rate:.0} msgs/s wall)");
    }
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

fn mask_out(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let mut labels = String::new();
    for (i, it) in load(1).iter().enumerate() {
        let name = format!("{i:05}.eml");
        std::fs::write(dir.join(&name), &it.raw).unwrap();
        labels.push_str(&format!(
            "{}\t{}\t{}\n",
            dir.join(&name).display(),
            if it.spam { "spam" } else { "ham" },
            it.group
        ));
    }
    std::fs::write(dir.join("labels.tsv"), labels).unwrap();
}

fn read_list(path: &Path) -> Vec<(PathBuf, bool)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut f = l.split('\t');
            let p = PathBuf::from(f.next().unwrap());
            (p, f.next() == Some("spam"))
        })
        .collect()
}

fn score_lists(train: &Path, test: &Path) {
    let train: Vec<Item> = read_list(train)
        .into_iter()
        .map(|(path, spam)| Item {
            raw: std::fs::read(&path).unwrap(),
            path,
            group: "",
            spam,
        })
        .collect();
    let analyses: Vec<Analysis> = train.iter().map(|it| analyze(&it.raw)).collect();
    let store = MemoryStore::new();
    let mut trainer = Trainer::new(&store, 20_000);
    for (it, a) in train.iter().zip(&analyses) {
        trainer
            .learn(a, if it.spam { Class::Spam } else { Class::Ham })
            .unwrap();
    }
    trainer.commit().unwrap();
    // The second stage is fitted on the training list only (5-fold
    // out-of-fold scores), not the embedded one fitted on the whole corpus.
    let scorer = if std::env::var_os("SPAM_EVAL_CONFIG").is_none() && scorer().config().fitted {
        let idx: Vec<usize> = (0..train.len()).collect();
        let rows = oof_rows(&train, &analyses, &idx, 5);
        let fit = fit_stage2(&rows, scorer().config().actions.add_header);
        let overlay = format!("fitted = false\n{}", fit.toml());
        eprintln!("second stage fitted on the training list:\n{overlay}");
        Scorer::new(mailsec_spam::Config::from_toml_str(&overlay).unwrap())
    } else {
        scorer()
    };
    let start = Instant::now();
    for (p, _) in read_list(test) {
        let a = analyze(&std::fs::read(&p).unwrap());
        let r = scorer.score_analysis(&a, &Evidence::default(), Some(&store));
        println!("{}\t{:.3}\t{}", p.display(), r.score(), r.action());
    }
    eprintln!("scoring took {:.3} s", start.elapsed().as_secs_f64());
}

/// Recall at the lowest threshold with at most `max_fp` ham above it.
fn recall_at_fp(scores: &[(f64, bool)], max_fp: usize) -> (f64, f64) {
    let mut ham: Vec<f64> = scores.iter().filter(|s| !s.1).map(|s| s.0).collect();
    ham.sort_by(|a, b| b.total_cmp(a));
    let t = ham.get(max_fp).map_or(f64::NEG_INFINITY, |v| v + 1e-9);
    let n = scores.iter().filter(|s| s.1).count();
    let tp = scores.iter().filter(|s| s.1 && s.0 >= t).count();
    (t, pct(tp, n))
}

// ---------------------------------------------------------------------
// The second stage: a logistic regression over the classifier's log-odds
// and the rule symbols, fitted on out-of-fold scores only.

/// Symbols the second stage does not fit: the classifier's own, and the
/// evidence of other checks (not in the corpus runs, or fitted on it).
fn evidence_symbol(name: &str) -> bool {
    name.starts_with("BAYES_")
        || [
            "SPF_", "DKIM_", "DMARC_", "LINK", "URIBL_", "RBL_", "SENDER_",
        ]
        .iter()
        .any(|p| name.starts_with(p))
}

/// Bucketed shape facts as 0/1 second-stage inputs (`SPAM_EVAL_SHAPE=1`).
fn shape_names(a: &Analysis) -> Vec<String> {
    if std::env::var_os("SPAM_EVAL_SHAPE").is_none() {
        return Vec::new();
    }
    let [words, hosts, images, text, html] = a.shape_facts();
    let mut v = Vec::new();
    v.push(
        match words {
            0..=49 => "SHAPE_WORDS_LT50",
            50..=199 => "SHAPE_WORDS_50",
            200..=999 => "SHAPE_WORDS_200",
            _ => "SHAPE_WORDS_1000",
        }
        .to_owned(),
    );
    v.push(
        match hosts {
            0 => "SHAPE_LINKS_0",
            1..=2 => "SHAPE_LINKS_1",
            3..=9 => "SHAPE_LINKS_3",
            _ => "SHAPE_LINKS_10",
        }
        .to_owned(),
    );
    v.push(
        match images {
            0 => "SHAPE_IMAGES_0",
            1..=2 => "SHAPE_IMAGES_1",
            _ => "SHAPE_IMAGES_3",
        }
        .to_owned(),
    );
    let ratio = (html * 100).checked_div(text + html).unwrap_or(0);
    v.push(
        match (text, html, ratio) {
            (_, 0, _) => "SHAPE_HTML_NONE",
            (0, _, _) => "SHAPE_HTML_ONLYTEXT",
            (_, _, 0..=60) => "SHAPE_HTML_LOW",
            _ => "SHAPE_HTML_HIGH",
        }
        .to_owned(),
    );
    v
}

/// One message as the second stage sees it.
#[derive(Clone)]
struct Row {
    p: f64,
    z: f64,
    voted: bool,
    rules: Vec<String>,
    spam: bool,
    /// The NBSVM margin (`SPAM_EVAL_NBSVM=1`), else 0.
    extra: f64,
    /// Sender-history inputs (`SPAM_EVAL_SENDER`), in `sender_names()` order.
    sender: Vec<f64>,
}

fn row_of(report: &mailsec_spam::Report, spam: bool) -> Row {
    Row {
        p: report.bayes_probability().unwrap_or(0.5),
        z: report.bayes_log_odds().unwrap_or(0.0),
        voted: report.bayes_probability().is_some(),
        rules: report
            .symbols()
            .iter()
            .map(|s| s.name().to_owned())
            .filter(|n| !evidence_symbol(n))
            .collect(),
        spam,
        extra: 0.0,
        sender: Vec::new(),
    }
}

// ---------------------------------------------------------------------
// Sender history: what the training folds say about the From address and
// domain (as a store's `from_dom:` token counts would), as second-stage
// inputs beside the Bayes sum.

/// Sender history of a set of training messages: (ham, spam) per From
/// address and per From domain.
#[derive(Default)]
struct SenderHist {
    addr: std::collections::HashMap<String, (u32, u32)>,
    dom: std::collections::HashMap<String, (u32, u32)>,
}

/// `SPAM_EVAL_SENDER`: `store` (the default since round 5: the crate's
/// `SENDER_*` symbols from the fold's store), `off`, or an experiment
/// computed here from the training folds: `counts` (address and domain,
/// ham and spam, log(1 + n)), `addr`, `dom` (one level only), `ratio`
/// (smoothed log ratio per level), `hamonly` (ham counts only).
fn sender_mode() -> String {
    std::env::var("SPAM_EVAL_SENDER").unwrap_or_else(|_| "store".into())
}

fn sender_names() -> Vec<String> {
    let v: &[&str] = match sender_mode().as_str() {
        "off" => &[],
        "counts" | "store" => &[
            "SENDER_ADDR_HAM",
            "SENDER_ADDR_SPAM",
            "SENDER_DOM_HAM",
            "SENDER_DOM_SPAM",
        ],
        "addr" => &["SENDER_ADDR_HAM", "SENDER_ADDR_SPAM"],
        "dom" => &["SENDER_DOM_HAM", "SENDER_DOM_SPAM"],
        "ratio" => &["SENDER_ADDR_RATIO", "SENDER_DOM_RATIO"],
        "hamonly" => &["SENDER_ADDR_HAM", "SENDER_DOM_HAM"],
        m => panic!("SPAM_EVAL_SENDER={m}?"),
    };
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// The From address and domain a sender history may key on: none for the
/// collection's masked artefacts (`user@masked.invalid`).
fn sender_keys(a: &Analysis) -> Option<(String, String)> {
    let addr = a.from_address()?;
    let (_, dom) = addr.rsplit_once('@')?;
    let dom = dom.trim().trim_end_matches('.').trim_end_matches('>');
    if dom.is_empty() || dom == "masked.invalid" || dom.ends_with(".masked.invalid") {
        return None;
    }
    Some((addr.to_owned(), dom.to_owned()))
}

fn sender_hist(items: &[Item], analyses: &[Analysis], idx: &[usize]) -> SenderHist {
    let mut h = SenderHist::default();
    for &i in idx {
        if let Some((addr, dom)) = sender_keys(&analyses[i]) {
            for (map, k) in [(&mut h.addr, addr), (&mut h.dom, dom)] {
                let e = map.entry(k).or_default();
                if items[i].spam {
                    e.1 += 1;
                } else {
                    e.0 += 1;
                }
            }
        }
    }
    h
}

fn sender_feats(h: &SenderHist, a: &Analysis) -> Vec<f64> {
    let cap = env_f64("SPAM_EVAL_SENDER_CAP", 50.0);
    let (ca, cd) = match sender_keys(a) {
        Some((addr, dom)) => (
            h.addr.get(&addr).copied().unwrap_or_default(),
            h.dom.get(&dom).copied().unwrap_or_default(),
        ),
        None => ((0, 0), (0, 0)),
    };
    let l = |n: u32| (1.0 + f64::from(n).min(cap)).ln();
    let r = |(hm, sp): (u32, u32)| {
        ((f64::from(hm).min(cap) + 1.0) / (f64::from(sp).min(cap) + 1.0)).ln()
    };
    sender_names()
        .iter()
        .map(|n| match n.as_str() {
            "SENDER_ADDR_HAM" => l(ca.0),
            "SENDER_ADDR_SPAM" => l(ca.1),
            "SENDER_DOM_HAM" => l(cd.0),
            "SENDER_DOM_SPAM" => l(cd.1),
            "SENDER_ADDR_RATIO" => r(ca),
            "SENDER_DOM_RATIO" => r(cd),
            _ => 0.0,
        })
        .collect()
}

/// `SPAM_EVAL_SENDER=store`: the sender history as the crate computes it
/// (the fold's store, `Classifier::classify_with_sender`, the `SENDER_*`
/// symbols with their cap and authentication gate); otherwise computed here.
fn sender_in_store() -> bool {
    sender_mode() == "store"
}

/// The same inputs from the store's answer.
fn sender_feats_store(store: &MemoryStore, a: &Analysis, scorer: &Scorer) -> Vec<f64> {
    let cap = f64::from(scorer.config().rules.sender_count_cap);
    let h = scorer
        .classifier()
        .classify_with_sender(store, a)
        .unwrap()
        .1
        .unwrap_or_default();
    // As the scorer does: ln((1 + this) / (1 + other)) when positive.
    let l = |this: u32, other: u32| {
        ((1.0 + f64::from(this).min(cap)) / (1.0 + f64::from(other).min(cap)))
            .ln()
            .max(0.0)
    };
    let (a, d) = (h.address, h.domain);
    sender_names()
        .iter()
        .map(|n| match n.as_str() {
            "SENDER_ADDR_HAM" => l(a.ham, a.spam),
            "SENDER_ADDR_SPAM" => l(a.spam, a.ham),
            "SENDER_DOM_HAM" => l(d.ham, d.spam),
            "SENDER_DOM_SPAM" => l(d.spam, d.ham),
            _ => 0.0,
        })
        .collect()
}

/// Inputs the TOML overlay does not carry (added to the score by hand).
fn outside_toml(name: &str) -> bool {
    name.starts_with("SHAPE_")
        || (name.starts_with("SENDER_") && !sender_in_store())
        || name == "NBSVM"
        || name == "BAYES_KNOT"
}

/// Inputs whose fitted weight may be negative (not dropped and refitted).
fn continuous(name: &str) -> bool {
    outside_toml(name) || name.starts_with("SENDER_")
}

fn nbsvm_on() -> bool {
    std::env::var_os("SPAM_EVAL_NBSVM").is_some()
}

/// NBSVM (Wang & Manning 2012, logistic-regression form): binary token
/// features scaled by their naive-Bayes log-count ratio, L2-regularised
/// logistic regression by Adagrad.
struct Nbsvm {
    /// token → (r, w)
    weights: std::collections::HashMap<u64, (f64, f64)>,
    bias: f64,
}

impl Nbsvm {
    fn fit(items: &[Item], analyses: &[Analysis], idx: &[usize]) -> Nbsvm {
        use std::collections::HashMap;
        let alpha = 1.0;
        let mut vocab: HashMap<u64, usize> = HashMap::new();
        let mut counts: Vec<(f64, f64)> = Vec::new();
        let mut docs: Vec<(Vec<usize>, f64)> = Vec::with_capacity(idx.len());
        for &i in idx {
            let mut d = Vec::with_capacity(analyses[i].tokens().len());
            for t in analyses[i].tokens() {
                let n = vocab.len();
                let k = *vocab.entry(*t).or_insert(n);
                if k == counts.len() {
                    counts.push((0.0, 0.0));
                }
                if items[i].spam {
                    counts[k].0 += 1.0;
                } else {
                    counts[k].1 += 1.0;
                }
                d.push(k);
            }
            docs.push((d, if items[i].spam { 1.0 } else { 0.0 }));
        }
        let (ps, qs) = counts
            .iter()
            .fold((0.0, 0.0), |(a, b), c| (a + c.0 + alpha, b + c.1 + alpha));
        let r: Vec<f64> = counts
            .iter()
            .map(|c| ((c.0 + alpha) / ps).ln() - ((c.1 + alpha) / qs).ln())
            .collect();
        let lambda = env_f64("SPAM_EVAL_NB_L2", 1e-4);
        let epochs = env_f64("SPAM_EVAL_NB_EPOCHS", 15.0) as usize;
        let mut w = vec![0.0f64; r.len()];
        let mut g2 = vec![1e-8f64; r.len()];
        let (mut b, mut bg2) = (0.0f64, 1e-8f64);
        let eta = 0.1;
        let mut order: Vec<usize> = (0..docs.len()).collect();
        for e in 0..epochs {
            order.sort_by_key(|&j| {
                ((j as u64) ^ (e as u64 * 0x51_7cc1)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
            });
            for &j in &order {
                let (d, y) = &docs[j];
                let z: f64 = b + d.iter().map(|&k| w[k] * r[k]).sum::<f64>();
                let p = 1.0 / (1.0 + (-z).exp());
                let g = p - y;
                for &k in d {
                    let gk = g * r[k] + lambda * w[k];
                    g2[k] += gk * gk;
                    w[k] -= eta * gk / g2[k].sqrt();
                }
                bg2 += g * g;
                b -= eta * g / bg2.sqrt();
            }
        }
        let weights = vocab.into_iter().map(|(t, k)| (t, (r[k], w[k]))).collect();
        Nbsvm { weights, bias: b }
    }

    fn margin(&self, a: &Analysis) -> f64 {
        self.bias
            + a.tokens()
                .iter()
                .filter_map(|t| self.weights.get(t).map(|(r, w)| r * w))
                .sum::<f64>()
    }
}

/// A store that forgets which messages it learned, so that learning one
/// again adds its counts again (for train-on-error "tune" passes).
struct NoMarks<'a>(&'a MemoryStore);

impl mailsec_spam::TokenStore for NoMarks<'_> {
    fn lookup(
        &self,
        tokens: &[u64],
    ) -> Result<mailsec_spam::store::Lookup, mailsec_spam::SpamError> {
        self.0.lookup(tokens)
    }
    fn learned(&self, digests: &[u64]) -> Result<Vec<Option<Class>>, mailsec_spam::SpamError> {
        Ok(vec![None; digests.len()])
    }
    fn apply(
        &self,
        batch: &mailsec_spam::store::LearnBatch,
    ) -> Result<(), mailsec_spam::SpamError> {
        self.0.apply(batch)
    }
    fn expire(
        &self,
        policy: &mailsec_spam::store::ExpiryPolicy,
    ) -> Result<mailsec_spam::store::ExpiryReport, mailsec_spam::SpamError> {
        self.0.expire(policy)
    }
    fn stats(&self) -> Result<mailsec_spam::store::StoreStats, mailsec_spam::SpamError> {
        self.0.stats()
    }
}

/// Learns the messages `idx` into a new memory store: all of them
/// (default), or as `SPAM_EVAL_TRAIN` says: `toe` (in a fixed shuffled
/// order, only those the model so far gets wrong or scores within
/// `SPAM_EVAL_MARGIN` of 0), `tune` (all, then up to
/// `SPAM_EVAL_TUNE_PASSES` passes learning again those the model gets
/// wrong or within the margin).
fn train_model(items: &[Item], analyses: &[Analysis], idx: &[usize]) -> MemoryStore {
    use mailsec_spam::TokenStore;
    let mode = std::env::var("SPAM_EVAL_TRAIN").unwrap_or_default();
    let margin = env_f64("SPAM_EVAL_MARGIN", 0.0);
    let class = |i: usize| {
        if items[i].spam {
            Class::Spam
        } else {
            Class::Ham
        }
    };
    let store = MemoryStore::new();
    let classifier = mailsec_spam::Classifier::new(
        tweak(mailsec_spam::Config::from_toml_str("fitted = false").unwrap()).bayes,
    );
    let wrong = |store: &dyn TokenStore, i: usize| match classifier
        .classify(store, &analyses[i])
        .unwrap()
    {
        mailsec_spam::BayesVerdict::Probability { log_odds, .. } => {
            (log_odds > 0.0) != items[i].spam || log_odds.abs() < margin
        }
        _ => true,
    };
    match mode.as_str() {
        "toe" => {
            let mut order: Vec<usize> = idx.to_vec();
            order.sort_by_key(|&i| (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 7);
            let mut learned = 0;
            for i in order {
                if wrong(&store, i) {
                    let mut t = Trainer::new(&store, 20_000);
                    t.learn(&analyses[i], class(i)).unwrap();
                    t.commit().unwrap();
                    learned += 1;
                }
            }
            eprintln!("toe: learned {learned} of {}", idx.len());
        }
        _ => {
            let mut trainer = Trainer::new(&store, 20_000);
            for &i in idx {
                trainer.learn(&analyses[i], class(i)).unwrap();
            }
            trainer.commit().unwrap();
            if mode == "tune_loo" {
                // Leave-one-out: each training message scored by the
                // model without it (exact for counts), then those it gets
                // wrong (or within the margin) learned once more.
                let mut again = Vec::new();
                for &i in idx {
                    let mut t = Trainer::new(&store, 20_000);
                    t.unlearn(&analyses[i]).unwrap();
                    t.commit().unwrap();
                    if wrong(&store, i) {
                        again.push(i);
                    }
                    let mut t = Trainer::new(&store, 20_000);
                    t.learn(&analyses[i], class(i)).unwrap();
                    t.commit().unwrap();
                }
                let nm = NoMarks(&store);
                let mut t = Trainer::new(&nm, 20_000);
                let copies = env_f64("SPAM_EVAL_TUNE_COPIES", 1.0) as usize;
                for _ in 0..copies {
                    for &i in &again {
                        t.learn(&analyses[i], class(i)).unwrap();
                    }
                }
                t.commit().unwrap();
                eprintln!("tune_loo: learned {} again of {}", again.len(), idx.len());
            }
            if mode == "tune" {
                let passes = env_f64("SPAM_EVAL_TUNE_PASSES", 1.0) as usize;
                for _ in 0..passes {
                    let again: Vec<usize> =
                        idx.iter().copied().filter(|&i| wrong(&store, i)).collect();
                    let nm = NoMarks(&store);
                    let mut t = Trainer::new(&nm, 20_000);
                    for &i in &again {
                        t.learn(&analyses[i], class(i)).unwrap();
                    }
                    t.commit().unwrap();
                    eprintln!("tune: learned {} again of {}", again.len(), idx.len());
                }
            }
        }
    }
    store
}

/// Out-of-fold rows for the messages `idx`: each scored by a model learned
/// from the other `k − 1` parts of `idx` only.
fn oof_rows(items: &[Item], analyses: &[Analysis], idx: &[usize], k: usize) -> Vec<Row> {
    let scorer = Scorer::new(tweak(
        mailsec_spam::Config::from_toml_str("fitted = false").unwrap(),
    ));
    let mut rows: Vec<Option<Row>> = vec![None; idx.len()];
    for part in 0..k {
        let train: Vec<usize> = idx
            .iter()
            .enumerate()
            .filter(|(j, _)| j % k != part)
            .map(|(_, &i)| i)
            .collect();
        let store = train_model(items, analyses, &train);
        let nb = nbsvm_on().then(|| Nbsvm::fit(items, analyses, &train));
        let hist = sender_hist(items, analyses, &train);
        for (j, &i) in idx.iter().enumerate() {
            if j % k == part {
                let r = scorer.score_analysis(&analyses[i], &Evidence::default(), Some(&store));
                let mut row = row_of(&r, items[i].spam);
                row.rules.extend(shape_names(&analyses[i]));
                if let Some(nb) = &nb {
                    row.extra = nb.margin(&analyses[i]);
                }
                row.sender = if sender_in_store() {
                    sender_feats_store(&store, &analyses[i], &scorer)
                } else {
                    sender_feats(&hist, &analyses[i])
                };
                rows[j] = Some(row);
            }
        }
    }
    rows.into_iter().map(Option::unwrap).collect()
}

/// The shipped rule cap (round 6): `crossval --stage2`, `score` and
/// `fit-stage2` fit the way `stage2.toml` was fitted unless told otherwise
/// (`SPAM_EVAL_RULE_CAP=0` or `--rule-cap 0`: no cap).
const DEFAULT_RULE_CAP: f64 = 4.0;

/// `fit-stage2 --rule-cap N`: the largest weight of a rule symbol, in points.
static RULE_CAP: std::sync::OnceLock<f64> = std::sync::OnceLock::new();

/// A fitted second stage.
struct Stage2 {
    /// Points per unit of each feature (BAYES_SPAM, BAYES_HAM per unit of
    /// log-odds; rules per hit).
    weights: Vec<(String, f64)>,
    scale: f64,
    cap: f64,
    n_ham: usize,
    n_spam: usize,
    train_fp: usize,
    /// `reject`: a quarter above the highest-scoring training ham (at
    /// least 15), so that no ham seen in fitting would be refused.
    reject: f64,
}

impl Stage2 {
    fn toml(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("[actions]\nreject = {:.1}\n\n", self.reject));
        out.push_str("[bayes]\ncontribution = \"log_odds\"\n");
        out.push_str(&format!("log_odds_cap = {:.1}\n\n[symbols]\n", self.cap));
        for (name, w) in &self.weights {
            if outside_toml(name) {
                continue;
            }
            out.push_str(&format!("{name} = {:.3}\n", w * self.scale));
        }
        out
    }
}

fn bayes_parts(row: &Row, cap: f64) -> (f64, f64) {
    if !row.voted {
        return (0.0, 0.0);
    }
    let mut b = mailsec_spam::Config::from_toml_str("fitted = false")
        .unwrap()
        .bayes;
    b.contribution = mailsec_spam::Contribution::LogOdds;
    b.log_odds_cap = cap;
    match b.scale(row.p, row.z) {
        Some(("BAYES_SPAM", s)) => (s, 0.0),
        Some((_, s)) => (0.0, s),
        None => (0.0, 0.0),
    }
}

/// Logistic regression (Newton's method, L2 `lambda` on the weights, rule
/// weights kept ≥ 0 by dropping negative ones and refitting); the scale
/// maps the training rows' `fp_budget` quantile of ham to `add_header`.
fn fit_stage2(rows: &[Row], add_header: f64) -> Stage2 {
    let cap: f64 = env_f64("SPAM_EVAL_CAP", 15.0);
    let lambda = env_f64("SPAM_EVAL_L2", 1.0);
    let min_hits = env_f64("SPAM_EVAL_MIN_HITS", 10.0) as usize;
    let fp_budget = env_f64("SPAM_EVAL_FP_BUDGET", 0.002);
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for r in rows {
        for n in &r.rules {
            *counts.entry(n.as_str()).or_default() += 1;
        }
    }
    let mut names: Vec<String> = vec!["BAYES_SPAM".into(), "BAYES_HAM".into()];
    if nbsvm_on() {
        names.push("NBSVM".into());
    }
    let knot = env_f64("SPAM_EVAL_KNOT", 0.0);
    if knot > 0.0 {
        names.push("BAYES_KNOT".into());
    }
    let snames = sender_names();
    names.extend(snames.iter().cloned());
    names.extend(
        counts
            .iter()
            .filter(|(_, c)| **c >= min_hits)
            .map(|(n, _)| (*n).to_owned()),
    );
    let features = |r: &Row, names: &[String]| -> Vec<f64> {
        let (bs, bh) = bayes_parts(r, cap);
        let mut x = vec![1.0, bs, bh];
        x.extend(names[2..].iter().map(|n| {
            if n == "BAYES_KNOT" {
                (bs - knot).max(0.0)
            } else if n == "NBSVM" {
                r.extra
            } else if let Some(k) = snames.iter().position(|s| s == n) {
                r.sender[k]
            } else if r.rules.contains(n) {
                1.0
            } else {
                0.0
            }
        }));
        x
    };
    let w = loop {
        let xs: Vec<Vec<f64>> = rows.iter().map(|r| features(r, &names)).collect();
        let ys: Vec<f64> = rows.iter().map(|r| f64::from(u8::from(r.spam))).collect();
        let w = newton(&xs, &ys, lambda);
        let negative: Vec<usize> = (2..names.len())
            .filter(|&j| w[j + 1] < 0.0 && !continuous(&names[j]))
            .collect();
        if negative.is_empty() {
            break w;
        }
        for j in negative.into_iter().rev() {
            names.remove(j);
        }
    };
    // s(x) = w·x without the bias, for each training row.
    let s = |r: &Row| -> f64 {
        features(r, &names)
            .iter()
            .zip(&w)
            .skip(1)
            .map(|(a, b)| a * b)
            .sum()
    };
    let mut ham: Vec<f64> = rows.iter().filter(|r| !r.spam).map(s).collect();
    ham.sort_by(|a, b| b.total_cmp(a));
    let budget = (fp_budget * ham.len() as f64).floor() as usize;
    // A little above the budget's ham, so that after the scale and the
    // report's rounding to 0.001 point that ham stays below add_header
    // (with + 1e-6 a ham scoring exactly that rounded up to add_header).
    let mut tau = ham.get(budget).copied().unwrap_or(0.0) * 1.001 + 1e-6;
    assert!(tau > 0.0, "threshold {tau} not above 0");
    // `--rule-cap N` / `SPAM_EVAL_RULE_CAP` (default 4, 0 = none): no rule
    // symbol above N points (0/1 rules only; the Bayes and sender inputs are not capped). The
    // capped weights are held and the threshold placed again (the budget's
    // ham moves), until the weights stop changing.
    let rule_cap = RULE_CAP
        .get()
        .copied()
        .unwrap_or_else(|| env_f64("SPAM_EVAL_RULE_CAP", DEFAULT_RULE_CAP));
    let mut w = w;
    if rule_cap > 0.0 {
        for _ in 0..20 {
            let limit = rule_cap * tau / add_header;
            let mut changed = false;
            for (j, n) in names.iter().enumerate().skip(2) {
                if !continuous(n)
                    && n != "NBSVM"
                    && n != "BAYES_KNOT"
                    && w[j + 1] > limit * 1.000_001
                {
                    w[j + 1] = limit;
                    changed = true;
                }
            }
            let s = |r: &Row| -> f64 {
                features(r, &names)
                    .iter()
                    .zip(&w)
                    .skip(1)
                    .map(|(a, b)| a * b)
                    .sum()
            };
            ham = rows.iter().filter(|r| !r.spam).map(s).collect();
            ham.sort_by(|a, b| b.total_cmp(a));
            tau = ham.get(budget).copied().unwrap_or(0.0) * 1.001 + 1e-6;
            assert!(tau > 0.0, "threshold {tau} not above 0");
            if !changed {
                break;
            }
        }
    }
    // Fitted weights in points; rules below min_hits keep their hand weight.
    let mut weights: Vec<(String, f64)> = names
        .iter()
        .zip(w.iter().skip(1))
        .map(|(n, w)| (n.clone(), *w))
        .collect();
    let scale = add_header / tau;
    for (name, c) in &counts {
        if !names.iter().any(|n| n == name) && *c >= min_hits {
            weights.push(((*name).to_owned(), 0.0)); // dropped: fired for ham
        }
    }
    let _ = &mut weights;
    Stage2 {
        weights,
        scale,
        cap,
        n_ham: ham.len(),
        n_spam: rows.len() - ham.len(),
        train_fp: ham.iter().filter(|v| **v >= tau).count(),
        reject: (1.25 * ham.first().copied().unwrap_or(0.0) * scale)
            .ceil()
            .max(15.0),
    }
}

/// Classifier parameters from the environment (`SPAM_EVAL_LEN_EXP`,
/// `SPAM_EVAL_SMOOTH`, `SPAM_EVAL_MIN_COUNT`), for tuning with the
/// second stage fitted in-fold.
fn tweak(mut c: mailsec_spam::Config) -> mailsec_spam::Config {
    c.bayes.length_exponent = env_f64("SPAM_EVAL_LEN_EXP", c.bayes.length_exponent);
    c.bayes.smoothing = env_f64("SPAM_EVAL_SMOOTH", c.bayes.smoothing);
    c.bayes.min_token_count =
        env_f64("SPAM_EVAL_MIN_COUNT", f64::from(c.bayes.min_token_count)) as u32;
    c.bayes.top_tokens = env_f64("SPAM_EVAL_TOP", c.bayes.top_tokens as f64) as usize;
    if let Ok(v) = std::env::var("SPAM_EVAL_BACKOFF") {
        c.bayes.backoff = v == "1";
    }
    c.rules.sender_max_bonus = env_f64("SPAM_EVAL_SENDER_BONUS", c.rules.sender_max_bonus);
    c.rules.sender_max_penalty = env_f64("SPAM_EVAL_SENDER_PENALTY", c.rules.sender_max_penalty);
    c
}

fn env_f64(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Newton's method for L2-regularised logistic regression; `xs[i][0]` is
/// the bias feature (not regularised).
#[allow(clippy::needless_range_loop)] // index loops read clearest in linear algebra
fn newton(xs: &[Vec<f64>], ys: &[f64], lambda: f64) -> Vec<f64> {
    let d = xs[0].len();
    let ham_w = env_f64("SPAM_EVAL_HAM_W", 1.0);
    let mut w = vec![0.0; d];
    for _ in 0..30 {
        let mut g = vec![0.0; d];
        let mut h = vec![vec![0.0; d]; d];
        for (x, y) in xs.iter().zip(ys) {
            let z: f64 = x.iter().zip(&w).map(|(a, b)| a * b).sum();
            let p = 1.0 / (1.0 + (-z).exp());
            // Ham may weigh more than spam (`SPAM_EVAL_HAM_W`): the fit
            // then cares more about the high-scoring ham.
            let sw = if *y > 0.5 { 1.0 } else { ham_w };
            let q = sw * (p * (1.0 - p)).max(1e-9);
            for j in 0..d {
                g[j] += sw * (p - y) * x[j];
                if x[j] != 0.0 {
                    for k in 0..d {
                        h[j][k] += q * x[j] * x[k];
                    }
                }
            }
        }
        for j in 1..d {
            g[j] += lambda * w[j];
            h[j][j] += lambda;
        }
        h[0][0] += 1e-6;
        let step = solve(h, g);
        let mut change = 0.0f64;
        for j in 0..d {
            w[j] -= step[j];
            change = change.max(step[j].abs());
        }
        if change < 1e-7 {
            break;
        }
    }
    w
}

/// Solves `a·x = b` (Gaussian elimination, partial pivoting).
#[allow(clippy::needless_range_loop)]
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for c in 0..n {
        let piv = (c..n)
            .max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))
            .unwrap();
        a.swap(c, piv);
        b.swap(c, piv);
        let d = a[c][c];
        if d.abs() < 1e-12 {
            continue;
        }
        for r in c + 1..n {
            let f = a[r][c] / d;
            if f != 0.0 {
                for k in c..n {
                    a[r][k] -= f * a[c][k];
                }
                b[r] -= f * b[c];
            }
        }
    }
    let mut x = vec![0.0; n];
    for c in (0..n).rev() {
        let s: f64 = (c + 1..n).map(|k| a[c][k] * x[k]).sum();
        x[c] = if a[c][c].abs() < 1e-12 {
            0.0
        } else {
            (b[c] - s) / a[c][c]
        };
    }
    x
}

/// `fit-stage2 --out FILE`: out-of-fold rows of the whole corpus (5-fold),
/// the regression, and the TOML overlay the crate embeds.
fn fit_out(out: &Path) {
    let items = load(1);
    let analyses: Vec<Analysis> = items.iter().map(|it| analyze(&it.raw)).collect();
    let idx: Vec<usize> = (0..items.len()).collect();
    let rows = oof_rows(&items, &analyses, &idx, 5);
    let add_header = mailsec_spam::Config::from_toml_str("fitted = false")
        .unwrap()
        .actions
        .add_header;
    let fit = fit_stage2(&rows, add_header);
    let text = format!(
        "# mailsec-spam fitted second stage (generated; do not edit by hand).\n\
         # Written by:\n\
         #   cargo run --release -p mailsec-spam --example spam_eval -- fit-stage2 --rule-cap 4 --out crates/mailsec-spam/src/stage2.toml\n\
         # A logistic regression over the classifier's out-of-fold log-odds\n\
         # (5-fold, artefacts masked), the sender history (SENDER_*: ln(1 + learned\n\
         # ham/spam from the From address/domain), out-of-fold too) and the rule\n\
         # symbols, on {} ham and {} spam\n\
         # of the development corpus; rule weights kept >= 0, rules that fired on\n\
         # fewer than 10 messages keep their default.toml weight; no rule above\n\
         # {} points (--rule-cap; 0 = none). Scaled so that\n\
         # add_header ({add_header}) has {} of the {} ham above it (0.2%).\n\
         # Evidence symbols (SPF, DKIM, DMARC, links, DNSBL) are not fitted.\n\n{}",
        fit.n_ham,
        fit.n_spam,
        RULE_CAP
            .get()
            .copied()
            .unwrap_or_else(|| env_f64("SPAM_EVAL_RULE_CAP", DEFAULT_RULE_CAP)),
        fit.train_fp,
        fit.n_ham,
        fit.toml()
    );
    std::fs::write(out, &text).unwrap();
    print!("{text}");
}

/// `one FILE [--links]`: the report on one message without a trained
/// model (rules and, with `--links`, the link checker's evidence).
fn one(path: &Path, links: bool) {
    let raw = std::fs::read(path).unwrap();
    let ev = if links {
        link_evidence(&mailsec_links::LinkChecker::new().unwrap(), &raw)
    } else {
        Evidence::default()
    };
    let r = scorer().score_analysis(&analyze(&raw), &ev, None);
    println!("{} {}", r.score(), r.action());
    for s in r.symbols() {
        println!("  {:>6.2} {} ({})", s.score(), s.name(), s.detail());
    }
}
