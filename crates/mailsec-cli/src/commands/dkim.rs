//! `mailsec dkim sign|verify|keygen`.

use std::path::PathBuf;

use std::io::Write as _;

use anyhow::{Context as _, bail};
use mailsec_auth::dkim::{Algorithm as DkimAlgorithm, KeyType, Signer, SigningKey, Verifier};

use crate::ctx::{Ctx, read_message};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Sign a message; prints the signed message.
    Sign(SignArgs),
    /// Verify every DKIM signature of a message.
    Verify(VerifyArgs),
    /// Make a new key and print the DNS TXT record to publish.
    Keygen(KeygenArgs),
}

/// DKIM signing algorithms.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Algorithm {
    /// RSA with SHA-256.
    #[value(name = "rsa-sha256")]
    RsaSha256,
    /// Ed25519 with SHA-256 (RFC 8463).
    #[value(name = "ed25519-sha256")]
    Ed25519Sha256,
}

#[derive(Debug, clap::Args)]
pub(crate) struct SignArgs {
    /// The private key, PEM (PKCS#8, or PKCS#1 for RSA).
    #[arg(long, value_name = "PEM")]
    key: PathBuf,
    /// The signing domain (d=).
    #[arg(long)]
    domain: String,
    /// The selector (s=).
    #[arg(long)]
    selector: String,
    /// The algorithm (default: from the key).
    #[arg(long, value_enum)]
    algorithm: Option<Algorithm>,
    /// The message file.
    file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub(crate) struct VerifyArgs {
    /// Print JSON: {signatures: [{domain, selector, algorithm, result, reason}]}.
    #[arg(long)]
    json: bool,
    /// The message file.
    file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub(crate) struct KeygenArgs {
    /// The signing domain.
    #[arg(long)]
    domain: String,
    /// The selector.
    #[arg(long)]
    selector: String,
    /// The algorithm (default: rsa-sha256, 2048 bits).
    #[arg(long, value_enum, default_value = "rsa-sha256")]
    algorithm: Algorithm,
    /// Where to write the private key (PEM, PKCS#8).
    #[arg(long, value_name = "PEM")]
    out: PathBuf,
}

pub(crate) fn run(command: Command, ctx: &Ctx) -> anyhow::Result<()> {
    match command {
        Command::Sign(a) => sign(a, ctx),
        Command::Verify(a) => verify(a, ctx),
        Command::Keygen(a) => keygen(a),
    }
}

fn sign(args: SignArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let pem = std::fs::read_to_string(&args.key)
        .with_context(|| format!("cannot read key {}", args.key.display()))?;
    let key = SigningKey::from_pem(&pem)
        .with_context(|| format!("unusable key {}", args.key.display()))?;
    if let Some(alg) = args.algorithm {
        let want = match alg {
            Algorithm::RsaSha256 => KeyType::Rsa,
            Algorithm::Ed25519Sha256 => KeyType::Ed25519,
        };
        if key.key_type() != want {
            bail!(
                "--algorithm {} does not fit the key ({})",
                match alg {
                    Algorithm::RsaSha256 => DkimAlgorithm::RsaSha256,
                    Algorithm::Ed25519Sha256 => DkimAlgorithm::Ed25519Sha256,
                },
                key.algorithm()
            );
        }
    }
    let message = read_message(&args.file)?;
    let signer = Signer::builder()
        .domain(args.domain)
        .selector(args.selector)
        .key(key)
        .build();
    let signed = signer
        .sign_message(&message, ctx.now())
        .context("cannot sign the message")?;
    let mut out = std::io::stdout().lock();
    out.write_all(&signed)
        .context("cannot write the signed message")?;
    out.flush().context("cannot write the signed message")?;
    Ok(())
}

fn verify(args: VerifyArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let message = read_message(&args.file)?;
    let resolver = ctx.resolver()?;
    let runtime = ctx.runtime()?;
    let outputs = runtime.block_on(Verifier::new().verify(&message, resolver.as_ref(), ctx.now()));
    if args.json {
        let signatures: Vec<serde_json::Value> = outputs
            .iter()
            .map(|o| {
                serde_json::json!({
                    "domain": o.domain(),
                    "selector": o.selector(),
                    "algorithm": o.algorithm(),
                    "result": o.result().as_str(),
                    "reason": o.result().reason().map(ToString::to_string),
                })
            })
            .collect();
        println!("{}", serde_json::json!({ "signatures": signatures }));
    } else if outputs.is_empty() {
        println!("dkim=none (no signatures)");
    } else {
        for o in &outputs {
            let reason = o
                .result()
                .reason()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            println!(
                "dkim={} header.d={} header.s={} header.a={}{reason}",
                o.result().as_str(),
                o.domain(),
                o.selector(),
                o.algorithm()
            );
        }
    }
    Ok(())
}

fn keygen(args: KeygenArgs) -> anyhow::Result<()> {
    let key = match args.algorithm {
        Algorithm::RsaSha256 => SigningKey::generate_rsa(2048),
        Algorithm::Ed25519Sha256 => SigningKey::generate_ed25519(),
    }
    .context("cannot make a key")?;
    write_private(&args.out, key.to_pkcs8_pem().as_bytes())?;
    // Zone-file syntax; TXT character strings hold at most 255 bytes.
    let record = key.dns_record();
    let strings: Vec<String> = record
        .as_bytes()
        .chunks(255)
        .map(|c| format!("\"{}\"", String::from_utf8_lossy(c)))
        .collect();
    println!(
        "{}._domainkey.{}. IN TXT ( {} )",
        args.selector,
        args.domain.trim_end_matches('.'),
        strings.join(" ")
    );
    Ok(())
}

fn write_private(path: &std::path::Path, data: &[u8]) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(data)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
