//! `mailsec auth`: SPF, DKIM, DMARC and ARC on one message.

use std::path::PathBuf;

use crate::ctx::{Ctx, not_yet};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The connecting client's IP address (without it SPF is `none`).
    #[arg(long)]
    ip: Option<std::net::IpAddr>,
    /// The HELO/EHLO name the client gave.
    #[arg(long)]
    helo: Option<String>,
    /// The envelope sender (MAIL FROM); '' or '<>' for a bounce.
    #[arg(long, value_name = "ADDR")]
    mail_from: Option<String>,
    /// Print JSON instead of the Authentication-Results value.
    #[arg(long)]
    json: bool,
    /// The message file.
    file: PathBuf,
}

pub(crate) fn run(args: Args, _ctx: &Ctx) -> anyhow::Result<()> {
    let _ = args;
    Err(not_yet("auth"))
}
