//! `mailsec auth`: SPF, DKIM, DMARC and ARC on one message.

use std::path::PathBuf;

use mailsec::{Authenticator, Envelope};
use serde_json::json;

use crate::ctx::{Ctx, read_message};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    envelope: EnvelopeArgs,
    /// Print JSON instead of the Authentication-Results value.
    #[arg(long)]
    json: bool,
    /// The message file (- for standard input).
    file: PathBuf,
}

/// The SMTP envelope options of `mailsec auth` and `mailsec scan`.
#[derive(Debug, clap::Args)]
pub(crate) struct EnvelopeArgs {
    /// The connecting client's IP address (without it SPF is `none` and no
    /// DNS blocklist is asked).
    #[arg(long)]
    ip: Option<std::net::IpAddr>,
    /// The HELO/EHLO name the client gave.
    #[arg(long)]
    helo: Option<String>,
    /// The envelope sender (MAIL FROM); '' or '<>' for a bounce.
    #[arg(long, value_name = "ADDR")]
    mail_from: Option<String>,
}

impl EnvelopeArgs {
    /// The envelope the checks take.
    pub(crate) fn envelope(&self) -> Envelope {
        Envelope::new(self.ip, self.helo.as_deref(), self.mail_from.as_deref())
    }
}

pub(crate) fn run(args: Args, ctx: &Ctx) -> anyhow::Result<()> {
    let raw = read_message(&args.file)?;
    let message = ctx
        .limits()?
        .parse(&raw)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let resolver = ctx.resolver()?;
    let envelope = args.envelope.envelope();
    let auth = Authenticator::new(ctx.authserv_id());
    let report =
        ctx.runtime()?
            .block_on(auth.check(resolver.as_ref(), &envelope, &message, ctx.now()));
    if args.json {
        println!("{}", auth_json(&report));
    } else {
        println!("{}", report.authentication_results().to_header_value());
    }
    Ok(())
}

/// The JSON of the contract: `{auth: {spf, dkim: [...], dmarc, arc}, authentication_results}`.
pub(crate) fn auth_json(report: &mailsec::AuthReport) -> serde_json::Value {
    json!({
        "auth": auth_fields(report),
        "authentication_results": report.authentication_results().to_header_value(),
    })
}

/// The `auth` object shared by `mailsec auth` and `mailsec scan`.
pub(crate) fn auth_fields(report: &mailsec::AuthReport) -> serde_json::Value {
    let dkim: Vec<_> = report
        .dkim()
        .iter()
        .map(|d| {
            json!({
                "domain": d.domain(),
                "selector": d.selector(),
                "result": d.result().as_str(),
            })
        })
        .collect();
    json!({
        "spf": report.spf_word(),
        "dkim": dkim,
        "dmarc": report.dmarc().result().as_str(),
        "arc": report.arc().cv().as_str(),
    })
}
