//! `mailsec password encrypt|decrypt`.

use std::path::PathBuf;

use crate::ctx::{Ctx, not_yet};

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

pub(crate) fn run(command: Command, _ctx: &Ctx) -> anyhow::Result<()> {
    match command {
        Command::Encrypt(_) => Err(not_yet("password encrypt")),
        Command::Decrypt(_) => Err(not_yet("password decrypt")),
    }
}
