//! `mailsec links`: link findings for a message, or verdicts for a URL list.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use mailsec_links::{LinkChecker, LinkFinding, MessageReport};
use serde_json::json;

use crate::ctx::{Ctx, read_input};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Read one URL a line from FILE (- for stdin) and print one JSON line per URL.
    #[arg(long, value_name = "FILE", conflicts_with = "file")]
    urls: Option<PathBuf>,
    /// Print JSON: {path, verdict, links: [...]}.
    #[arg(long)]
    json: bool,
    /// The message file.
    #[arg(required_unless_present = "urls")]
    file: Option<PathBuf>,
}

pub(crate) fn run(args: Args, _ctx: &Ctx) -> anyhow::Result<()> {
    let checker = LinkChecker::new().context("cannot load the link checker's data")?;
    match (&args.urls, &args.file) {
        (Some(list), _) => run_urls(&checker, list),
        (None, Some(file)) => run_message(&checker, file, args.json),
        (None, None) => Err(anyhow::anyhow!("give a message FILE or --urls FILE")),
    }
}

fn reason_codes(f: &LinkFinding) -> Vec<&'static str> {
    f.reasons().iter().map(|r| r.code()).collect()
}

fn run_urls(checker: &LinkChecker, list: &Path) -> anyhow::Result<()> {
    let input = read_input(list)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in input.lines() {
        let line = line.context("cannot read the URL list")?;
        let url = line.trim();
        if url.is_empty() || url.starts_with('#') {
            continue;
        }
        let f = checker.check_url(url);
        let score = (f64::from(f.score()) * 1000.0).round() / 1000.0;
        let obj = json!({
            "url": url,
            "verdict": f.verdict().as_str(),
            "score": score,
            "reasons": reason_codes(&f),
        });
        writeln!(out, "{obj}")?;
    }
    out.flush()?;
    Ok(())
}

fn run_message(checker: &LinkChecker, file: &Path, as_json: bool) -> anyhow::Result<()> {
    let raw = read_input(file)?;
    let limits = mailsec::ParseLimits::default();
    let msg = limits
        .parse(&raw)
        .with_context(|| format!("cannot parse {}", file.display()))?;
    let report = checker.check_message(&msg);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if as_json {
        writeln!(out, "{}", report_json(file, &report))?;
    } else {
        print_report(&mut out, file, &report)?;
    }
    Ok(())
}

fn report_json(file: &Path, report: &MessageReport) -> serde_json::Value {
    json!({
        "path": file.display().to_string(),
        "verdict": report.verdict().as_str(),
        "links": links_json(report),
    })
}

/// The `links` list of the contract: `[{url, shown, verdict, reasons}]`.
pub(crate) fn links_json(report: &MessageReport) -> Vec<serde_json::Value> {
    report
        .links()
        .iter()
        .map(|f| {
            json!({
                "url": f.url(),
                "shown": f.shown(),
                "verdict": f.verdict().as_str(),
                "reasons": reason_codes(f),
            })
        })
        .collect()
}

fn print_report(out: &mut impl Write, file: &Path, report: &MessageReport) -> std::io::Result<()> {
    writeln!(
        out,
        "{}: {} (score {:.2})",
        file.display(),
        report.verdict(),
        report.score()
    )?;
    for r in report.reasons() {
        writeln!(out, "  message: {r}")?;
    }
    for f in report.links() {
        writeln!(
            out,
            "  [{}] {} ({})",
            f.verdict(),
            f.url(),
            f.source().as_str()
        )?;
        if let Some(shown) = f.shown() {
            writeln!(out, "      shown: {shown}")?;
        }
        if let Some((before, reg, _)) = f.host_highlight() {
            writeln!(out, "      goes to: {before}[{reg}]")?;
        }
        for r in f.reasons() {
            writeln!(out, "      - {r}")?;
        }
    }
    Ok(())
}
