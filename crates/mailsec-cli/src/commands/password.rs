//! `mailsec password encrypt|decrypt`.

use std::path::PathBuf;

use anyhow::Context as _;
use mailsec_password::{Delivery, Password, PasswordEncryptor, PasswordMail, decrypt_mail};
use sequoia_openpgp::Cert;
use sequoia_openpgp::parse::Parse;

use crate::ctx::{Ctx, read_message, write_stdout};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Protect a message with a password; writes message.eml and notification.eml.
    Encrypt(EncryptArgs),
    /// Open a password-protected message; prints the original message.
    Decrypt(DecryptArgs),
}

/// Where the protected message goes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Mode {
    /// Attached to the notification mail.
    Attach,
    /// Hosted by the caller; the notification carries only the link.
    Link,
}

#[derive(Debug, clap::Args)]
pub(crate) struct EncryptArgs {
    /// A file holding the password.
    #[arg(long, value_name = "F")]
    password_file: PathBuf,
    /// A hint shown to the recipient (never the password).
    #[arg(long, value_name = "TEXT")]
    hint: Option<String>,
    /// How long the message may be opened (e.g. 7d).
    #[arg(long, value_name = "DURATION")]
    expires: Option<String>,
    /// The sender's address.
    #[arg(long, value_name = "ADDR")]
    from: Option<String>,
    /// The outside recipient's address (the notification goes there).
    #[arg(long, value_name = "ADDR")]
    to_addr: Option<String>,
    /// The unlock link, with {id} where the message id goes.
    #[arg(long, value_name = "TEMPLATE")]
    unlock_url: Option<String>,
    /// Also encrypt to this certificate (e.g. the sender's own); repeat for more.
    #[arg(long = "also-to", value_name = "CERT")]
    also_to: Vec<PathBuf>,
    /// attach: the notification carries the message; link: the caller hosts it.
    #[arg(long, value_enum, default_value = "attach")]
    mode: Mode,
    /// Where to write message.eml and notification.eml (default: current directory).
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// The message file.
    file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub(crate) struct DecryptArgs {
    /// A file holding the password.
    #[arg(long, value_name = "F")]
    password_file: PathBuf,
    /// The protected message file.
    file: PathBuf,
}

pub(crate) fn run(command: Command, ctx: &Ctx) -> anyhow::Result<()> {
    match command {
        Command::Encrypt(args) => encrypt(args, ctx),
        Command::Decrypt(args) => decrypt(args),
    }
}

fn read_password(path: &std::path::Path) -> anyhow::Result<Password> {
    let contents = std::fs::read(path)
        .with_context(|| format!("cannot read --password-file {}", path.display()))?;
    Password::from_file_contents(contents)
        .with_context(|| format!("unusable password in {}", path.display()))
}

/// The first address of a header field, bare (`Name <a@b>` gives `a@b`).
fn header_address(raw: &[u8], name: &str) -> Option<String> {
    let (fields, _) = mailsec_expiry::header_fields(raw);
    let value = fields
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))?
        .1;
    let first = value.split(',').next()?.trim();
    let bare = match (first.rfind('<'), first.rfind('>')) {
        (Some(a), Some(b)) if a < b => first.get(a + 1..b)?,
        _ => first,
    };
    let bare = bare.trim();
    bare.contains('@').then(|| bare.to_owned())
}

fn encrypt(args: EncryptArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let password = read_password(&args.password_file)?;
    let message = read_message(&args.file)?;
    let from = match args.from {
        Some(f) => f,
        None => header_address(&message, "From")
            .context("no --from given and the message has no From address")?,
    };
    let to = match args.to_addr {
        Some(t) => t,
        None => header_address(&message, "To")
            .context("no --to-addr given and the message has no To address")?,
    };
    let mut encryptor = PasswordEncryptor::new(password).at(ctx.now());
    for path in &args.also_to {
        let cert = Cert::from_file(path)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("cannot read certificate {}", path.display()))?;
        encryptor = encryptor.add_recipient(cert);
    }
    let mut mail = PasswordMail::new(encryptor, &from, &to)?.delivery(match args.mode {
        Mode::Attach => Delivery::Attach,
        Mode::Link => Delivery::Link,
    });
    if let Some(hint) = &args.hint {
        mail = mail.hint(hint)?;
    }
    if let Some(url) = &args.unlock_url {
        mail = mail.unlock_url_template(url)?;
    }
    if let Some(d) = &args.expires {
        mail = mail.expires_in(mailsec_expiry::parse_duration(d)?);
    }
    let sealed = mail.seal(&message, ctx.now())?;

    let strength = sealed.password_strength();
    if strength.is_weak() {
        let why = strength.warning().unwrap_or("easy to guess");
        eprintln!(
            "mailsec: warning: weak password (score {}/4: {why})",
            strength.score()
        );
    }

    let dir = args.out_dir.unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let message_path = dir.join("message.eml");
    let note_path = dir.join("notification.eml");
    std::fs::write(&message_path, sealed.envelope())
        .with_context(|| format!("cannot write {}", message_path.display()))?;
    std::fs::write(&note_path, sealed.notification())
        .with_context(|| format!("cannot write {}", note_path.display()))?;
    println!(
        "{} {} id={} expires_at={}",
        message_path.display(),
        note_path.display(),
        sealed.id(),
        mailsec_expiry::format_rfc3339(sealed.expires_at())?
    );
    Ok(())
}

fn decrypt(args: DecryptArgs) -> anyhow::Result<()> {
    let password = read_password(&args.password_file)?;
    let raw = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let plain = decrypt_mail(&raw, &password)?;
    write_stdout(&plain)
}
