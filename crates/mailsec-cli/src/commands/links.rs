//! `mailsec links`: link findings for a message, or verdicts for a URL list.

use std::path::PathBuf;

use crate::ctx::{Ctx, not_yet};

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
    let _ = args;
    Err(not_yet("links"))
}
