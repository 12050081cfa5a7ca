//! `mailsec pgp encrypt|decrypt|sign|verify|protect`.

use std::path::PathBuf;

use crate::ctx::{Ctx, not_yet};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Encrypt a message to one or more certificates (PGP/MIME).
    Encrypt(EncryptArgs),
    /// Decrypt a PGP/MIME message and verify its signatures.
    Decrypt(DecryptArgs),
    /// Sign a message (PGP/MIME multipart/signed).
    Sign(SignArgs),
    /// Verify a signed message.
    Verify(VerifyArgs),
    /// Encrypt a received plaintext message for storage (zero-access).
    Protect(ProtectArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct KeyPassphrase {
    /// A file holding the passphrase of a protected secret key.
    #[arg(long, value_name = "FILE")]
    pub(crate) key_passphrase_file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct EncryptArgs {
    /// A recipient's certificate (armored or binary); repeat for more.
    #[arg(long = "to", value_name = "CERT", required = true)]
    to: Vec<PathBuf>,
    /// Also sign with this secret key.
    #[arg(long, value_name = "KEY")]
    sign_with: Option<PathBuf>,
    /// Move Subject, From, To, ... inside the encrypted part (RFC 9788).
    #[arg(long)]
    protect_headers: bool,
    #[command(flatten)]
    passphrase: KeyPassphrase,
    /// The message file.
    file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub(crate) struct DecryptArgs {
    /// The secret key to decrypt with.
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    /// A certificate to verify signatures with; repeat for more.
    #[arg(long = "verify-with", value_name = "CERT")]
    verify_with: Vec<PathBuf>,
    /// Print JSON: {signatures: [{fingerprint, result}], message}.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    passphrase: KeyPassphrase,
    /// The message file.
    file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub(crate) struct SignArgs {
    /// The secret key to sign with.
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    #[command(flatten)]
    passphrase: KeyPassphrase,
    /// The message file.
    file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub(crate) struct VerifyArgs {
    /// A certificate to verify with; repeat for more.
    #[arg(long = "cert", value_name = "CERT")]
    cert: Vec<PathBuf>,
    /// Print JSON: {signatures: [{fingerprint, result}]}.
    #[arg(long)]
    json: bool,
    /// The message file.
    file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ProtectArgs {
    /// The mailbox owner's certificate; repeat for more.
    #[arg(long = "to", value_name = "CERT", required = true)]
    to: Vec<PathBuf>,
    /// The message file.
    file: PathBuf,
}

pub(crate) fn run(command: Command, _ctx: &Ctx) -> anyhow::Result<()> {
    match command {
        Command::Encrypt(_) => Err(not_yet("pgp encrypt")),
        Command::Decrypt(_) => Err(not_yet("pgp decrypt")),
        Command::Sign(_) => Err(not_yet("pgp sign")),
        Command::Verify(_) => Err(not_yet("pgp verify")),
        Command::Protect(_) => Err(not_yet("pgp protect")),
    }
}
