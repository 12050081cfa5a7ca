//! `mailsec dkim sign|verify|keygen`.

use std::path::PathBuf;

use crate::ctx::{Ctx, not_yet};

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

pub(crate) fn run(command: Command, _ctx: &Ctx) -> anyhow::Result<()> {
    match command {
        Command::Sign(_) => Err(not_yet("dkim sign")),
        Command::Verify(_) => Err(not_yet("dkim verify")),
        Command::Keygen(_) => Err(not_yet("dkim keygen")),
    }
}
