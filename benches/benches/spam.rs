//! Full spam scoring (tokenize + classify + rules) of the median-size
//! corpus message, against a model learned from the whole development
//! corpus. The anchor is rspamd at ~150 messages/s on one
//! connection (measured by `scripts/compare-spam`); the target is
//! >= 5,000 messages/s/core.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mail_parser::MessageParser;
use mailsec_spam::{
    Analysis, Class, Evidence, MemoryStore, RedbStore, Scorer, TokenStore, Trainer,
};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");

fn corpus() -> Vec<(PathBuf, Vec<u8>, Class)> {
    let mut out = Vec::new();
    for (dir, class) in [
        ("spamassassin/easy_ham", Class::Ham),
        ("spamassassin/easy_ham_2", Class::Ham),
        ("spamassassin/hard_ham", Class::Ham),
        ("spamassassin/hard_ham_2", Class::Ham),
        ("spamassassin/spam", Class::Spam),
        ("spamassassin/spam_2", Class::Spam),
        ("nazario", Class::Spam),
        ("phishing_pot", Class::Spam),
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(Path::new(CORPUS).join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            let raw = std::fs::read(&f).unwrap();
            out.push((f, raw, class));
        }
    }
    out
}

fn train(store: &dyn TokenStore, corpus: &[(PathBuf, Vec<u8>, Class)]) {
    let mut t = Trainer::new(store, 20_000);
    for (_, raw, class) in corpus {
        let msg = MessageParser::default().parse(raw).unwrap_or_default();
        t.learn(&Analysis::of(&msg), *class).unwrap();
    }
    t.commit().unwrap();
}

fn spam(c: &mut Criterion) {
    let corpus = corpus();
    let mut sizes: Vec<usize> = (0..corpus.len()).collect();
    sizes.sort_by_key(|&i| corpus[i].1.len());
    let median = &corpus[sizes[sizes.len() / 2]];
    eprintln!(
        "median message: {} ({} bytes)",
        median.0.display(),
        median.1.len()
    );
    let raw = median.1.clone();

    let memory = MemoryStore::new();
    train(&memory, &corpus);
    let db_path = std::env::temp_dir().join(format!("mailsec-bench-{}.redb", std::process::id()));
    let redb = RedbStore::open(&db_path).unwrap();
    train(&redb, &corpus);

    let scorer = Scorer::default();
    let evidence = Evidence::default();
    let mut group = c.benchmark_group("spam");
    group.throughput(Throughput::Elements(1));
    group.bench_function("score_bytes/memory", |b| {
        b.iter(|| {
            scorer
                .score_bytes(black_box(&raw), &evidence, Some(&memory))
                .unwrap()
                .score()
        })
    });
    let parsed = MessageParser::default().parse(&raw).unwrap();
    group.bench_function("score_parsed/memory", |b| {
        b.iter(|| {
            scorer
                .score(black_box(&parsed), &evidence, Some(&memory))
                .score()
        })
    });
    group.bench_function("score_parsed/redb", |b| {
        b.iter(|| {
            scorer
                .score(black_box(&parsed), &evidence, Some(&redb))
                .score()
        })
    });
    group.bench_function("tokenize_only", |b| {
        b.iter(|| Analysis::of(black_box(&parsed)).tokens().len())
    });
    // The floor in the same run: the parse alone, which `score_bytes`
    // includes.
    group.bench_function("parse_floor", |b| {
        b.iter(|| {
            MessageParser::default()
                .parse(black_box(&raw[..]))
                .map(|m| m.parts.len())
        })
    });
    group.finish();
    drop(redb);
    let _ = std::fs::remove_file(&db_path);
}

criterion_group!(benches, spam);
criterion_main!(benches);
