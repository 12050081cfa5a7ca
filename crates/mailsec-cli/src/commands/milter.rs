//! `mailsec milter`: serve the pipeline to Postfix or Sendmail.

use std::sync::Arc;

use anyhow::Context as _;
use mailsec::auth::dkim::{Signer, SigningKey};
use mailsec::{Envelope, Pipeline};
use mailsec_milter::{
    Envelope as MilterEnvelope, HeaderEdit, MessageHandler, MilterConfig, MilterServer, Verdict,
};
use mailsec_spam::Action;
use serde::Deserialize;

use crate::ctx::Ctx;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Where to listen: ADDR:PORT or unix:PATH.
    #[arg(long, value_name = "ADDR:PORT|unix:PATH")]
    listen: String,
    /// The spam token store file (redb; default as for `mailsec train`).
    #[arg(long, value_name = "PATH", conflicts_with = "redis")]
    db: Option<std::path::PathBuf>,
    /// A Redis server holding the spam token store (redis://127.0.0.1/).
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
}

/// The `[milter]` table of `--config`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct MilterSettings {
    /// Most connections served at once.
    max_connections: Option<usize>,
    /// What a temporary DNS failure in authentication does: "tempfail" (default) or "accept".
    on_dns_failure: Option<String>,
    /// Reject mail whose action is `reject` (default true); otherwise only add headers.
    reject: Option<bool>,
    /// DKIM signing of authenticated submissions: key file (PEM), domain and selector.
    dkim_key: Option<std::path::PathBuf>,
    dkim_domain: Option<String>,
    dkim_selector: Option<String>,
}

struct Handler {
    pipeline: Pipeline,
    signer: Option<Signer>,
    tempfail_on_dns_failure: bool,
    reject: bool,
    fixed_now: Option<std::time::SystemTime>,
}

impl Handler {
    fn now(&self) -> std::time::SystemTime {
        self.fixed_now.unwrap_or_else(std::time::SystemTime::now)
    }

    fn outbound(&self, message: &[u8]) -> Verdict {
        let Some(signer) = &self.signer else {
            return Verdict::accept();
        };
        match signer.sign(message, self.now()) {
            Ok(field) => {
                let value = field
                    .split_once(':')
                    .map_or("", |(_, v)| v)
                    .replace("\r\n", "")
                    .trim()
                    .to_owned();
                match HeaderEdit::insert(0, "DKIM-Signature", &value) {
                    Ok(edit) => Verdict::accept().edit(edit),
                    Err(e) => {
                        tracing::error!(error = %e, "cannot add the DKIM signature");
                        Verdict::accept()
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "DKIM signing failed");
                Verdict::accept()
            }
        }
    }

    async fn inbound(&self, envelope: &MilterEnvelope, message: &[u8]) -> Verdict {
        let ours = Envelope {
            client_ip: envelope.client_ip(),
            helo: envelope.helo().map(str::to_owned),
            mail_from: envelope.mail_from().map(|a| a.bare().to_owned()),
            recipients: envelope
                .rcpts()
                .iter()
                .map(|a| a.bare().to_owned())
                .collect(),
            authenticated_user: None,
        };
        let report = match self.pipeline.check(&ours, message, self.now()).await {
            Ok(report) => report,
            Err(e) => {
                tracing::warn!(error = %e, "message over the parse limits; accepted unscanned");
                return Verdict::accept();
            }
        };
        let auth = report.auth();
        let dns_failed = auth.spf_word() == "temperror"
            || auth.dmarc().result().as_str() == "temperror"
            || auth
                .dkim()
                .iter()
                .any(|d| d.result().as_str() == "temperror");
        if dns_failed && self.tempfail_on_dns_failure {
            return tempfail(
                "4.4.3",
                "temporary DNS failure while authenticating the sender",
            );
        }
        let verdict = match report.action() {
            Action::Reject if self.reject => {
                return Verdict::reject(550, Some("5.7.1"), "message rejected as spam")
                    .unwrap_or_else(|_| Verdict::accept());
            }
            Action::Greylist => {
                return tempfail("4.7.1", "greylisted, please try again later");
            }
            _ => Verdict::accept(),
        };
        let mut verdict = verdict;
        for (name, value) in report.headers() {
            match HeaderEdit::insert(0, &name, &value) {
                Ok(edit) => verdict = verdict.edit(edit),
                Err(e) => tracing::warn!(error = %e, header = %name, "header not added"),
            }
        }
        verdict
    }
}

fn tempfail(enhanced: &str, text: &str) -> Verdict {
    Verdict::tempfail(451, Some(enhanced), text).unwrap_or_else(|_| Verdict::accept())
}

#[async_trait::async_trait]
impl MessageHandler for Handler {
    async fn on_message(&self, envelope: &MilterEnvelope, message: &[u8]) -> Verdict {
        if envelope.auth_authen().is_some() {
            self.outbound(message)
        } else {
            self.inbound(envelope, message).await
        }
    }
}

fn settings(ctx: &Ctx) -> anyhow::Result<MilterSettings> {
    let Some(path) = ctx.config_path() else {
        return Ok(MilterSettings::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --config {}", path.display()))?;
    let file: toml::Table = toml::from_str(&text)
        .with_context(|| format!("--config {} is not valid TOML", path.display()))?;
    match file.get("milter") {
        Some(table) => table
            .clone()
            .try_into()
            .with_context(|| format!("--config {}: bad [milter] table", path.display())),
        None => Ok(MilterSettings::default()),
    }
}

pub(crate) fn run(args: Args, ctx: &Ctx) -> anyhow::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let settings = settings(ctx)?;
    let signer = match (
        &settings.dkim_key,
        &settings.dkim_domain,
        &settings.dkim_selector,
    ) {
        (Some(key), Some(domain), Some(selector)) => {
            let pem = std::fs::read_to_string(key)
                .with_context(|| format!("cannot read the DKIM key {}", key.display()))?;
            let key = SigningKey::from_pem(&pem).context("unusable DKIM key")?;
            Some(
                Signer::builder()
                    .domain(domain.clone())
                    .selector(selector.clone())
                    .key(key)
                    .build(),
            )
        }
        (None, None, None) => None,
        _ => anyhow::bail!("[milter] needs dkim_key, dkim_domain and dkim_selector together"),
    };
    let pipeline = ctx.pipeline(args.db.as_deref(), args.redis.as_deref())?;
    let handler = Handler {
        pipeline,
        signer,
        tempfail_on_dns_failure: settings.on_dns_failure.as_deref() != Some("accept"),
        reject: settings.reject.unwrap_or(true),
        fixed_now: ctx.fixed_now(),
    };
    let listen = args
        .listen
        .parse()
        .with_context(|| format!("--listen {:?}", args.listen))?;
    let mut config = MilterConfig::new(listen);
    if let Some(n) = settings.max_connections {
        config = config.with_max_connections(n);
    }
    ctx.runtime()?.block_on(async {
        let server = MilterServer::bind(config, Arc::new(handler))
            .await
            .context("cannot listen")?;
        server
            .serve_until_signal()
            .await
            .context("milter server failed")
    })
}
