//! `mailsec scan`: every check on each message.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use mailsec::Report;
use serde_json::json;

use crate::commands::auth::{EnvelopeArgs, auth_fields};
use crate::commands::links::links_json;
use crate::commands::train::collect;
use crate::ctx::{Ctx, into_crlf, read_message};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    envelope: EnvelopeArgs,
    /// The spam token store file (redb; default as for `mailsec train`).
    #[arg(long, value_name = "PATH", conflicts_with = "redis")]
    db: Option<PathBuf>,
    /// A Redis server holding the spam token store (redis://127.0.0.1/).
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
    /// Print one JSON object per message (JSON Lines).
    #[arg(long)]
    json: bool,
    /// Message files, directories (read recursively), or - for stdin.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

pub(crate) fn run(args: Args, ctx: &Ctx) -> anyhow::Result<()> {
    let mut files = Vec::new();
    for path in &args.paths {
        if path.as_os_str() == "-" {
            files.push(path.clone());
        } else {
            let mut found = Vec::new();
            collect(path, &mut found).with_context(|| format!("cannot read {}", path.display()))?;
            found.sort();
            files.extend(found);
        }
    }
    let pipeline = ctx.pipeline(args.db.as_deref(), args.redis.as_deref())?;
    let envelope = args.envelope.envelope();
    let runtime = ctx.runtime()?;
    let mut out = std::io::stdout().lock();
    for file in &files {
        let raw = if file.as_os_str() == "-" {
            read_message(file)?
        } else {
            match std::fs::read(file) {
                Ok(raw) => into_crlf(raw),
                Err(e) => {
                    report_error(&mut out, args.json, file, &format!("cannot read: {e}"))?;
                    continue;
                }
            }
        };
        match runtime.block_on(pipeline.check(&envelope, &raw, ctx.now())) {
            Ok(report) if args.json => {
                writeln!(out, "{}", scan_json(file, &report))?;
            }
            Ok(report) => print_summary(&mut out, file, &report)?,
            Err(e) => report_error(&mut out, args.json, file, &e.to_string())?,
        }
    }
    out.flush()?;
    Ok(())
}

/// One line of `--json` output, fields as the CLI contract names them.
fn scan_json(file: &Path, report: &Report) -> serde_json::Value {
    let spam = report.spam();
    let symbols: Vec<_> = spam
        .symbols()
        .iter()
        .map(|s| json!({"name": s.name(), "score": round2(s.score()), "detail": s.detail()}))
        .collect();
    json!({
        "path": file.display().to_string(),
        "score": round2(spam.score()),
        "action": report.action().as_str(),
        "spam": report.action().is_spam(),
        "phishing": report.phishing(),
        "symbols": symbols,
        "auth": auth_fields(report.auth()),
        "links": links_json(report.links()),
        "authentication_results": report.auth().authentication_results().to_header_value(),
        "signature": signature_json(report),
    })
}

/// The extra `signature` field: the OpenPGP verdict of a PGP/MIME signed
/// message from a sender in the `[pipeline] keyring`, else null.
fn signature_json(report: &Report) -> serde_json::Value {
    match report.signature() {
        Some(sig) => json!({
            "from": sig.from(),
            "result": sig.result(),
            "signatures": sig.checks().iter().map(|c| json!({
                "fingerprint": c.result().fingerprint(),
                "result": c.result().word(),
            })).collect::<Vec<_>>(),
        }),
        None => serde_json::Value::Null,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn print_summary(
    out: &mut impl std::io::Write,
    file: &Path,
    report: &Report,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{}: {} (score {:.2}){}",
        file.display(),
        report.action().as_str(),
        report.spam().score(),
        if report.phishing() { ", phishing" } else { "" }
    )?;
    writeln!(
        out,
        "  Authentication-Results: {}",
        report.auth().authentication_results().to_header_value()
    )?;
    for s in report.spam().symbols() {
        writeln!(out, "  {:>7.2} {} ({})", s.score(), s.name(), s.detail())?;
    }
    Ok(())
}

/// A message that could not be checked is reported in the output, not as a failure.
fn report_error(
    out: &mut impl std::io::Write,
    json: bool,
    file: &Path,
    error: &str,
) -> std::io::Result<()> {
    if json {
        writeln!(
            out,
            "{}",
            json!({"path": file.display().to_string(), "error": error})
        )
    } else {
        writeln!(out, "{}: error: {error}", file.display())
    }
}
