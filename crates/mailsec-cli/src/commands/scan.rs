//! `mailsec scan`: every check on each message.

use std::path::PathBuf;

use crate::ctx::{Ctx, not_yet};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The connecting client's IP address (for SPF and DNS blocklists).
    #[arg(long)]
    ip: Option<std::net::IpAddr>,
    /// The HELO/EHLO name the client gave.
    #[arg(long)]
    helo: Option<String>,
    /// The envelope sender (MAIL FROM); '' or '<>' for a bounce.
    #[arg(long, value_name = "ADDR")]
    mail_from: Option<String>,
    /// The spam token store file (redb).
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

pub(crate) fn run(args: Args, _ctx: &Ctx) -> anyhow::Result<()> {
    let _ = args;
    Err(not_yet("scan"))
}
