//! `mailsec expiry set|check`.

use std::path::PathBuf;

use crate::ctx::{Ctx, not_yet};

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

pub(crate) fn run(command: Command, _ctx: &Ctx) -> anyhow::Result<()> {
    match command {
        Command::Set(_) => Err(not_yet("expiry set")),
        Command::Check(_) => Err(not_yet("expiry check")),
    }
}
