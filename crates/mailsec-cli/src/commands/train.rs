//! `mailsec train`: learn spam and ham.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use mailsec_spam::{
    Analysis, Class, ExpiryPolicy, LearnOutcome, StoreLocation, TokenStore, Trainer, day_of,
};

use crate::ctx::Ctx;

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).multiple(true).args(["spam", "ham"])))]
pub(crate) struct Args {
    /// Spam messages to learn (file or directory); repeat the flag for more.
    #[arg(long, value_name = "PATH")]
    spam: Vec<PathBuf>,
    /// Ham (wanted) messages to learn (file or directory); repeat the flag for more.
    #[arg(long, value_name = "PATH")]
    ham: Vec<PathBuf>,
    /// The token store file (redb). Default: $MAILSEC_SPAM_DB, else
    /// $XDG_DATA_HOME/mailsec/spam.redb, else ~/.local/share/mailsec/spam.redb.
    #[arg(long, value_name = "PATH", conflicts_with = "redis")]
    db: Option<PathBuf>,
    /// A Redis server holding the token store (redis://127.0.0.1/).
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
}

/// Messages learned per transaction (bounds memory on huge trees).
const BATCH: usize = 5_000;

pub(crate) fn run(args: Args, ctx: &Ctx) -> anyhow::Result<()> {
    let mut files: Vec<(PathBuf, Class)> = Vec::new();
    for (paths, class) in [(&args.spam, Class::Spam), (&args.ham, Class::Ham)] {
        for p in paths {
            let mut found = Vec::new();
            collect(p, &mut found).with_context(|| format!("cannot read {}", p.display()))?;
            found.sort();
            files.extend(found.into_iter().map(|f| (f, class)));
        }
    }
    let location = StoreLocation::from_args(args.db.as_deref(), args.redis.as_deref());
    let store = location
        .open()
        .with_context(|| format!("cannot open the token store {location}"))?;
    let day = day_of(ctx.now());
    let limits = mailsec::ParseLimits::default();

    let started = Instant::now();
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} messages  {elapsed} (eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut counts = Counts::default();
    let mut trainer = Trainer::new(store.as_ref(), day);
    for (path, class) in &files {
        let raw = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        match limits.parse(&raw) {
            Ok(message) => {
                let analysis = Analysis::of(&message);
                match trainer.learn(&analysis, *class)? {
                    LearnOutcome::AlreadyLearned => counts.known += 1,
                    _ if *class == Class::Spam => counts.spam += 1,
                    _ => counts.ham += 1,
                }
            }
            Err(_) => counts.skipped += 1,
        }
        if trainer.pending() >= BATCH {
            trainer.commit().context("cannot write the token store")?;
        }
        bar.inc(1);
    }
    trainer.commit().context("cannot write the token store")?;
    bar.finish_and_clear();
    let expired = store
        .expire(&ExpiryPolicy::new(day))
        .context("cannot age the token store")?;
    let stats = store.stats().context("cannot read the token store")?;
    println!(
        "learned {} spam and {} ham in {:.1}s ({} already known, {} unreadable); \
         {location} now holds {} spam, {} ham, {} tokens ({} expired)",
        counts.spam,
        counts.ham,
        started.elapsed().as_secs_f64(),
        counts.known,
        counts.skipped,
        stats.totals.spam,
        stats.totals.ham,
        stats.tokens,
        expired.tokens_removed,
    );
    Ok(())
}

#[derive(Default)]
struct Counts {
    spam: usize,
    ham: usize,
    known: usize,
    skipped: usize,
}

/// Regular files under `path` (itself when it is a file); hidden entries in
/// directories are skipped.
pub(crate) fn collect(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        out.push(path.to_owned());
        return Ok(());
    }
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let p = entry.path();
        if entry.file_type()?.is_dir() {
            collect(&p, out)?;
        } else if p.is_file() {
            out.push(p);
        }
    }
    Ok(())
}
