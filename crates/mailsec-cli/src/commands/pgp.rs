//! `mailsec pgp encrypt|decrypt|sign|verify|protect`.

use std::path::PathBuf;

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, bail};
use mailsec_pgp::openpgp::Cert;
use mailsec_pgp::{
    Encrypt, Error as PgpError, HeaderProtection, Open, SecretKey, Sign, SignatureCheck,
    StorageProtector,
};

use crate::ctx::{Ctx, read_input};

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

pub(crate) fn run(command: Command, ctx: &Ctx) -> anyhow::Result<()> {
    let now = ctx.now();
    match command {
        Command::Encrypt(a) => {
            let certs = read_cert_files(&a.to)?;
            let key = match &a.sign_with {
                Some(path) => Some(read_key(path, &a.passphrase)?),
                None => None,
            };
            let message = read_input(&a.file)?;
            let mut enc = Encrypt::new(now).recipients(certs.iter());
            if let Some(k) = &key {
                enc = enc.sign_with(k);
            }
            if a.protect_headers {
                enc = enc.protect_headers(HeaderProtection::Rfc9788);
            }
            let out = enc.encrypt(&message).map_err(explain)?;
            write_out(&out)
        }
        Command::Decrypt(a) => {
            let key = read_key(&a.key, &a.passphrase)?;
            let certs = read_cert_files(&a.verify_with)?;
            let message = read_input(&a.file)?;
            let d = Open::new(now)
                .key(&key)
                .certs(certs.iter())
                .decrypt(&message)
                .map_err(explain)?;
            if a.json {
                let json = serde_json::json!({
                    "signatures": signatures_json(d.signatures()),
                    "message": String::from_utf8_lossy(d.message()),
                });
                write_out(format!("{json}\n").as_bytes())
            } else {
                write_out(d.message())
            }
        }
        Command::Sign(a) => {
            let key = read_key(&a.key, &a.passphrase)?;
            let message = read_input(&a.file)?;
            let out = Sign::new(&key, now).sign(&message).map_err(explain)?;
            write_out(&out)
        }
        Command::Verify(a) => {
            let certs = read_cert_files(&a.cert)?;
            let message = read_input(&a.file)?;
            let v = Open::new(now)
                .certs(certs.iter())
                .verify(&message)
                .map_err(explain)?;
            if a.json {
                let json = serde_json::json!({ "signatures": signatures_json(v.signatures()) });
                write_out(format!("{json}\n").as_bytes())
            } else {
                let mut text = String::new();
                for s in v.signatures() {
                    text.push_str(s.result().word());
                    if let Some(f) = s.result().fingerprint() {
                        text.push(' ');
                        text.push_str(f);
                    }
                    text.push('\n');
                }
                write_out(text.as_bytes())
            }
        }
        Command::Protect(a) => {
            let certs = read_cert_files(&a.to)?;
            let message = read_input(&a.file)?;
            let Some((first, rest)) = certs.split_first() else {
                bail!("no certificate given with --to");
            };
            let mut p = StorageProtector::new(first, now);
            for c in rest {
                p = p.owner(c);
            }
            let out = p.protect(&message).map_err(explain)?;
            write_out(&out)
        }
    }
}

/// `{fingerprint, result}` per signature, as the CLI contract fixes them.
fn signatures_json(sigs: &[SignatureCheck]) -> serde_json::Value {
    sigs.iter()
        .map(|s| {
            serde_json::json!({
                "fingerprint": s.result().fingerprint(),
                "result": s.result().word(),
            })
        })
        .collect()
}

/// Library errors become one-line reasons (decryption stays opaque).
fn explain(e: PgpError) -> anyhow::Error {
    anyhow::Error::new(e)
}

fn read_cert_files(paths: &[PathBuf]) -> anyhow::Result<Vec<Cert>> {
    let mut certs = Vec::new();
    for path in paths {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let found = mailsec_pgp::read_certs(&bytes)
            .map_err(anyhow::Error::new)
            .with_context(|| format!("{} holds no usable OpenPGP certificate", path.display()))?;
        certs.extend(found.into_iter().map(Cert::strip_secret_key_material));
    }
    Ok(certs)
}

fn read_key(path: &Path, passphrase: &KeyPassphrase) -> anyhow::Result<SecretKey> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let pass = match &passphrase.key_passphrase_file {
        Some(f) => {
            let mut p = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
            while p.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                p.pop();
            }
            Some(p)
        }
        None => None,
    };
    SecretKey::from_bytes(&bytes, pass.as_deref())
        .map_err(anyhow::Error::new)
        .with_context(|| format!("cannot use the secret key {}", path.display()))
}

fn write_out(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).context("cannot write the output")?;
    out.flush().context("cannot write the output")
}
