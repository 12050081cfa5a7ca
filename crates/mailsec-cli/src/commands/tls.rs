//! `mailsec tls check`: MTA-STS and DANE verdicts.

use std::path::PathBuf;

use crate::ctx::{Ctx, not_yet};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// MTA-STS and DANE verdicts for delivering to an MX with a certificate chain.
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// The MX host delivered to.
    #[arg(long)]
    mx: String,
    /// The certificate chain the MX presented (PEM).
    #[arg(long, value_name = "PEM")]
    cert_chain: PathBuf,
    /// The recipient domain (for MTA-STS).
    #[arg(long)]
    domain: Option<String>,
    /// Print JSON: {mta_sts: {mode, result}, dane: {result, reason}}.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(command: Command, _ctx: &Ctx) -> anyhow::Result<()> {
    match command {
        Command::Check(_) => Err(not_yet("tls check")),
    }
}
