//! `mailsec expiry set|check`.

use std::path::PathBuf;

use anyhow::Context as _;
use mailsec_expiry::{ExpiryReport, format_rfc3339, parse_duration, parse_rfc3339, set_expiry};

use crate::ctx::{Ctx, read_message, write_stdout};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Write expiry metadata; prints the message.
    Set(SetArgs),
    /// Report a message's expiry.
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub(crate) struct When {
    /// Expire after this long (e.g. 36h, 7d).
    #[arg(long = "in", value_name = "DURATION")]
    after: Option<String>,
    /// Expire at this time (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct SetArgs {
    #[command(flatten)]
    when: When,
    /// The message file.
    file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// Print JSON: {state, expires_at, protected, mismatch}.
    #[arg(long)]
    json: bool,
    /// The message file.
    file: PathBuf,
}

pub(crate) fn run(command: Command, ctx: &Ctx) -> anyhow::Result<()> {
    match command {
        Command::Set(args) => set(args, ctx),
        Command::Check(args) => check(args, ctx),
    }
}

fn set(args: SetArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let at = match (&args.when.after, &args.when.at) {
        (Some(d), _) => {
            let d = parse_duration(d)?;
            ctx.now()
                .checked_add(d)
                .context("--in is too far in the future")?
        }
        (None, Some(t)) => {
            parse_rfc3339(t).with_context(|| format!("--at {t:?} is not an RFC 3339 time"))?
        }
        (None, None) => anyhow::bail!("give --in DURATION or --at RFC3339"),
    };
    let raw = read_message(&args.file)?;
    let out = set_expiry(&raw, at)?;
    write_stdout(&out)
}

fn check(args: CheckArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let raw = read_message(&args.file)?;
    let report = ExpiryReport::from_message(&raw, ctx.now());
    let expires_at = match report.expires_at() {
        Some(t) => Some(format_rfc3339(t)?),
        None => None,
    };
    if args.json {
        let json = serde_json::json!({
            "state": report.state().as_str(),
            "expires_at": expires_at,
            "protected": report.is_protected(),
            "mismatch": report.is_mismatch(),
        });
        println!("{json}");
    } else {
        let mut line = report.state().as_str().to_owned();
        if let Some(t) = &expires_at {
            line.push_str(&format!(" expires_at={t}"));
        }
        line.push_str(&format!(
            " protected={} mismatch={}",
            report.is_protected(),
            report.is_mismatch()
        ));
        println!("{line}");
    }
    Ok(())
}
