//! `mailsec milter`: serve the pipeline to Postfix or Sendmail.

use crate::ctx::{Ctx, not_yet};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Where to listen: ADDR:PORT or unix:PATH.
    #[arg(long, value_name = "ADDR:PORT|unix:PATH")]
    listen: String,
}

pub(crate) fn run(args: Args, _ctx: &Ctx) -> anyhow::Result<()> {
    let _ = args;
    Err(not_yet("milter"))
}
