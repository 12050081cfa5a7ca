//! `mailsec tls check`: MTA-STS and DANE verdicts.

use std::path::PathBuf;

use anyhow::Context as _;
use mailsec_transport::cert::pem_chain_to_der;
use mailsec_transport::dane::check_dane;
use mailsec_transport::mta_sts::{
    FetchError, PkixStatus, PolicyCache, PolicyFetcher, PolicyLookup, StsResult, discover, evaluate,
};

use crate::ctx::Ctx;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// MTA-STS and DANE verdicts for delivering to an MX with a certificate chain.
    ///
    /// DANE: the TLSA records at _25._tcp.<MX> are looked up through the
    /// resolver (--dns ZONEFILE for an offline zone, --dns-secure to serve it
    /// as DNSSEC-authenticated); an answer that is not authenticated gives
    /// `not_applicable`. DANE-TA also accepts the --domain name.
    ///
    /// MTA-STS needs --domain (the recipient domain). This command does no
    /// HTTPS: the policy file is taken from --mta-sts-policy FILE, playing the
    /// part of https://mta-sts.<domain>/.well-known/mta-sts.txt, and is only
    /// used when the domain's _mta-sts TXT record announces a policy. Without
    /// the file, an announced policy counts as unavailable, which RFC 8461
    /// treats as no policy: result `none`. The chain's root is not checked
    /// against a trust store (there is none here): name, dates, key usage and
    /// the links between the certificates are.
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// The MX host delivered to.
    #[arg(long)]
    mx: String,
    /// The certificate chain the MX presented (PEM, end entity first).
    #[arg(long, value_name = "PEM")]
    cert_chain: PathBuf,
    /// The recipient domain (for MTA-STS).
    #[arg(long)]
    domain: Option<String>,
    /// The MTA-STS policy file of --domain, as its HTTPS server would serve it (no HTTPS is done).
    #[arg(long, value_name = "FILE", requires = "domain")]
    mta_sts_policy: Option<PathBuf>,
    /// Print JSON: {mta_sts: {mode, result, reason}, dane: {result, reason}}.
    #[arg(long)]
    json: bool,
}

/// Serves the policy file given on the command line for any URL.
struct FileFetcher(Vec<u8>);

#[async_trait::async_trait]
impl PolicyFetcher for FileFetcher {
    async fn fetch(&self, _url: &str) -> Result<Vec<u8>, FetchError> {
        Ok(self.0.clone())
    }
}

pub(crate) fn run(command: Command, ctx: &Ctx) -> anyhow::Result<()> {
    match command {
        Command::Check(args) => check(args, ctx),
    }
}

fn check(args: CheckArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let pem = std::fs::read(&args.cert_chain)
        .with_context(|| format!("cannot read {}", args.cert_chain.display()))?;
    let chain = pem_chain_to_der(&pem)
        .with_context(|| format!("{} holds no PEM certificate", args.cert_chain.display()))?;
    let fetcher = match &args.mta_sts_policy {
        Some(path) => {
            Some(FileFetcher(std::fs::read(path).with_context(|| {
                format!("cannot read {}", path.display())
            })?))
        }
        None => None,
    };
    let resolver = ctx.resolver()?;
    let now = ctx.now();
    let runtime = ctx.runtime()?;
    let mx = args.mx.trim_end_matches('.').to_ascii_lowercase();

    let (dane, sts) = runtime.block_on(async {
        let extra: Vec<&str> = args.domain.iter().map(String::as_str).collect();
        let dane = check_dane(resolver.as_ref(), &mx, &chain, &extra, now)
            .await
            .with_context(|| format!("cannot look up the TLSA records of {mx}"))?;
        let sts = match &args.domain {
            None => ("none", "none".to_owned(), "no --domain given".to_owned()),
            Some(domain) => {
                let cache = PolicyCache::new();
                let fetcher = fetcher.as_ref().map(|f| f as &dyn PolicyFetcher);
                match discover(resolver.as_ref(), fetcher, &cache, domain, now).await {
                    PolicyLookup::Found { policy, id, .. } => {
                        let d = evaluate(&policy, &mx, &chain, PkixStatus::NotChecked, now);
                        let reason = match d.result() {
                            StsResult::Pass => {
                                format!("policy {id}: {mx} and its certificate comply")
                            }
                            StsResult::Fail(f) => format!("policy {id}: {f} ({})", f.result_type()),
                            StsResult::None => format!("policy {id} has mode none"),
                            _ => format!("policy {id}"),
                        };
                        (
                            policy.mode().as_str(),
                            d.result().as_str().to_owned(),
                            reason,
                        )
                    }
                    PolicyLookup::NoPolicy => (
                        "none",
                        "none".to_owned(),
                        format!("{domain} publishes no MTA-STS policy"),
                    ),
                    PolicyLookup::Unavailable(p) => (
                        "none",
                        "none".to_owned(),
                        format!("policy unavailable ({}): {p}", p.result_type()),
                    ),
                    _ => ("none", "none".to_owned(), "policy unavailable".to_owned()),
                }
            }
        };
        anyhow::Ok((dane, sts))
    })?;

    let (mode, sts_result, sts_reason) = sts;
    if args.json {
        let out = serde_json::json!({
            "mta_sts": { "mode": mode, "result": sts_result, "reason": sts_reason },
            "dane": { "result": dane.as_str(), "reason": dane.reason() },
        });
        println!("{out}");
    } else {
        println!("mta-sts: {sts_result} (mode {mode}): {sts_reason}");
        println!("dane: {}: {}", dane.as_str(), dane.reason());
    }
    Ok(())
}
