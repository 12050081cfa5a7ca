//! `mailsec train`: learn spam and ham.

use std::path::PathBuf;

use crate::ctx::{Ctx, not_yet};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Spam messages to learn (file or directory); repeat the flag for more.
    #[arg(long, value_name = "PATH")]
    spam: Vec<PathBuf>,
    /// Ham (wanted) messages to learn (file or directory); repeat the flag for more.
    #[arg(long, value_name = "PATH")]
    ham: Vec<PathBuf>,
    /// The token store file (redb).
    #[arg(long, value_name = "PATH", conflicts_with = "redis")]
    db: Option<PathBuf>,
    /// A Redis server holding the token store (redis://127.0.0.1/).
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
}

pub(crate) fn run(args: Args, _ctx: &Ctx) -> anyhow::Result<()> {
    let _ = args;
    Err(not_yet("train"))
}
