//! `mailsec spf`: one SPF check.

use crate::ctx::{Ctx, not_yet};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The connecting client's IP address.
    #[arg(long)]
    ip: std::net::IpAddr,
    /// The envelope sender; '' or '<>' for a bounce (then postmaster@HELO is checked).
    #[arg(long, value_name = "ADDR")]
    mail_from: String,
    /// The HELO/EHLO name the client gave.
    #[arg(long)]
    helo: Option<String>,
    /// Print JSON: {result, explanation}.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args, _ctx: &Ctx) -> anyhow::Result<()> {
    let _ = args;
    Err(not_yet("spf"))
}
