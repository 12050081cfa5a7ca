//! `mailsec milter`: serve the pipeline to Postfix or Sendmail.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use mailsec::auth::arc::ArcSealer;
use mailsec::auth::dkim::{Signer, SigningKey};
use mailsec_milter::{MilterConfig, MilterServer, OnDnsFailure, PipelineHandler};
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
    /// DKIM signing of outbound mail: key file (PEM), domain and selector.
    dkim_key: Option<PathBuf>,
    dkim_domain: Option<String>,
    dkim_selector: Option<String>,
    /// ARC sealing of forwarded outbound mail: key file (PEM), domain and selector.
    arc_key: Option<PathBuf>,
    arc_domain: Option<String>,
    arc_selector: Option<String>,
    /// Client networks (CIDR) whose mail is outbound, besides authenticated submissions.
    client_networks: Vec<String>,
    /// Our domains: outbound mail from another From domain counts as forwarded.
    local_domains: Vec<String>,
    /// Mailboxes stored zero-access encrypted: address = certificate file.
    zero_access: BTreeMap<String, PathBuf>,
}

fn signing_key(path: &Path, what: &str) -> anyhow::Result<SigningKey> {
    let pem = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the {what} key {}", path.display()))?;
    SigningKey::from_pem(&pem).with_context(|| format!("unusable {what} key {}", path.display()))
}

fn handler(
    settings: &MilterSettings,
    pipeline: mailsec::Pipeline,
    ctx: &Ctx,
) -> anyhow::Result<PipelineHandler> {
    let mut b = PipelineHandler::builder(pipeline)
        .reject(settings.reject.unwrap_or(true))
        .on_dns_failure(match settings.on_dns_failure.as_deref() {
            None | Some("tempfail") => OnDnsFailure::Tempfail,
            Some("accept") => OnDnsFailure::Accept,
            Some(other) => anyhow::bail!(
                "[milter] on_dns_failure must be \"tempfail\" or \"accept\", not {other:?}"
            ),
        });
    match (
        &settings.dkim_key,
        &settings.dkim_domain,
        &settings.dkim_selector,
    ) {
        (Some(key), Some(domain), Some(selector)) => {
            b = b.dkim_signer(
                Signer::builder()
                    .domain(domain.clone())
                    .selector(selector.clone())
                    .key(signing_key(key, "DKIM")?)
                    .build(),
            );
        }
        (None, None, None) => {}
        _ => anyhow::bail!("[milter] needs dkim_key, dkim_domain and dkim_selector together"),
    }
    match (
        &settings.arc_key,
        &settings.arc_domain,
        &settings.arc_selector,
    ) {
        (Some(key), Some(domain), Some(selector)) => {
            b = b.arc_sealer(ArcSealer::new(
                domain.clone(),
                selector.clone(),
                signing_key(key, "ARC")?,
            ));
        }
        (None, None, None) => {}
        _ => anyhow::bail!("[milter] needs arc_key, arc_domain and arc_selector together"),
    }
    for net in &settings.client_networks {
        b = b.client_network(net.parse().with_context(|| "[milter] client_networks")?);
    }
    for domain in &settings.local_domains {
        b = b.local_domain(domain);
    }
    for (mailbox, path) in &settings.zero_access {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read the certificate {}", path.display()))?;
        let certs = mailsec::pgp::read_certs(&bytes)
            .with_context(|| format!("unusable certificate {}", path.display()))?;
        for cert in certs {
            b = b.zero_access(mailbox, cert);
        }
    }
    if let Some(now) = ctx.fixed_now() {
        b = b.now(now);
    }
    Ok(b.build())
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
    let pipeline = ctx.pipeline(args.db.as_deref(), args.redis.as_deref())?;
    let handler = handler(&settings, pipeline, ctx)?;
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
