//! The `mailsec` command. See `docs/cli.md` for the contract.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;
mod ctx;

use commands::*;
use ctx::{Ctx, Globals};

/// Mail security from the shell: authenticate, encrypt, sign, check links and score spam.
///
/// Exit status: 0 when the command did its job (whatever the verdicts), 1 when it could
/// not (with one line on stderr saying why), 2 for usage errors.
#[derive(Debug, Parser)]
#[command(name = "mailsec", version, about, long_about)]
struct Cli {
    #[command(flatten)]
    globals: Globals,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every check on messages (files, directories, or - for stdin).
    Scan(scan::Args),
    /// Teach the spam classifier from sorted messages.
    Train(train::Args),
    /// SPF, DKIM, DMARC and ARC on one message; prints Authentication-Results.
    Auth(auth::Args),
    /// One SPF check for an IP address and a MAIL FROM.
    Spf(spf::Args),
    /// DKIM signing, verification and key generation.
    #[command(subcommand)]
    Dkim(dkim::Command),
    /// OpenPGP (PGP/MIME) encryption, signing, decryption and verification.
    #[command(subcommand)]
    Pgp(pgp::Command),
    /// Password-protected messages for recipients without a key.
    #[command(subcommand)]
    Password(password::Command),
    /// Expiration metadata: set it, check it.
    #[command(subcommand)]
    Expiry(expiry::Command),
    /// Link checking and phishing detection for a message or a list of URLs.
    Links(links::Args),
    /// Transport security: MTA-STS and DANE verdicts for a delivery.
    #[command(subcommand)]
    Tls(tls::Command),
    /// Serve the checks to Postfix or Sendmail as a milter.
    Milter(milter::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ctx = match Ctx::new(cli.globals) {
        Ok(ctx) => ctx,
        Err(e) => return fail(&e),
    };
    let result = match cli.command {
        Command::Scan(a) => scan::run(a, &ctx),
        Command::Train(a) => train::run(a, &ctx),
        Command::Auth(a) => auth::run(a, &ctx),
        Command::Spf(a) => spf::run(a, &ctx),
        Command::Dkim(c) => dkim::run(c, &ctx),
        Command::Pgp(c) => pgp::run(c, &ctx),
        Command::Password(c) => password::run(c, &ctx),
        Command::Expiry(c) => expiry::run(c, &ctx),
        Command::Links(a) => links::run(a, &ctx),
        Command::Tls(c) => tls::run(c, &ctx),
        Command::Milter(a) => milter::run(a, &ctx),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// Prints one line saying why, and exits 1.
fn fail(e: &anyhow::Error) -> ExitCode {
    let mut line = format!("mailsec: {e}");
    for cause in e.chain().skip(1) {
        line.push_str(&format!(": {cause}"));
    }
    eprintln!("{}", line.replace(['\r', '\n'], " "));
    ExitCode::from(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
