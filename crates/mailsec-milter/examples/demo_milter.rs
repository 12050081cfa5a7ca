//! A small milter for end-to-end tests with a real MTA (`scripts/postfix-e2e`).
//!
//! ```text
//! cargo run -p mailsec-milter --example demo_milter -- --listen 127.0.0.1:8891
//! ```
//!
//! Every accepted message gets `X-Mailsec-Test` appended and `X-Mailsec-Top` inserted at
//! the top. By the Subject:
//! `MAILSEC-REJECT` → 550 5.7.1, `MAILSEC-TEMPFAIL` → 451 4.7.1, `MAILSEC-DISCARD` → discard,
//! `MAILSEC-QUARANTINE` → quarantine (Postfix: hold), `MAILSEC-REPLACE` → body replaced.
//! Stops gracefully on SIGTERM/SIGINT. `--no-reply` negotiates the `SMFIP_NR_*` flags.

use std::sync::Arc;

use mailsec_milter::{
    Envelope, HeaderEdit, MessageHandler, MilterConfig, MilterError, MilterServer, SessionConfig,
    Verdict,
};

struct Demo;

/// The unfolded Subject value, from the header section only.
fn subject(message: &[u8]) -> String {
    let mut out = String::new();
    let mut in_subject = false;
    for line in message.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with(b" ") || line.starts_with(b"\t") {
            if in_subject {
                out.push_str(&String::from_utf8_lossy(line));
            }
            continue;
        }
        in_subject = line
            .get(..8)
            .is_some_and(|n| n.eq_ignore_ascii_case(b"subject:"));
        if in_subject {
            out.push_str(&String::from_utf8_lossy(line.get(8..).unwrap_or(b"")));
        }
    }
    out
}

/// Whether every line of the reassembled message ends in CRLF.
fn crlf_only(message: &[u8]) -> bool {
    message
        .iter()
        .enumerate()
        .all(|(i, &b)| b != b'\n' || (i > 0 && message.get(i - 1) == Some(&b'\r')))
}

fn decide(envelope: &Envelope, message: &[u8]) -> Result<Verdict, MilterError> {
    let subject = subject(message);
    if subject.contains("MAILSEC-REJECT") {
        return Verdict::reject(
            550,
            Some("5.7.1"),
            "mailsec demo: rejected by marker (100% sure)",
        );
    }
    if subject.contains("MAILSEC-TEMPFAIL") {
        return Verdict::tempfail(451, Some("4.7.1"), "mailsec demo: try again later");
    }
    if subject.contains("MAILSEC-DISCARD") {
        return Ok(Verdict::discard());
    }
    let info = format!(
        "ok; queue={}; client={}; auth={}; rcpts={}; size={}; crlf={}",
        envelope.queue_id().unwrap_or("-"),
        envelope
            .client_ip()
            .map(|i| i.to_string())
            .unwrap_or_else(|| "-".into()),
        envelope.auth_authen().unwrap_or("-"),
        envelope.rcpts().len(),
        message.len(),
        if crlf_only(message) { "ok" } else { "bare-lf" }
    );
    let mut v = if subject.contains("MAILSEC-QUARANTINE") {
        Verdict::quarantine("mailsec demo: quarantine marker")
    } else {
        Verdict::accept()
    };
    v = v
        .edit(HeaderEdit::add("X-Mailsec-Test", &info)?)
        .edit(HeaderEdit::insert(0, "X-Mailsec-Top", "first")?);
    if subject.contains("MAILSEC-REPLACE") {
        v = v.replace_body(b"This body was replaced by the mailsec demo milter.\r\n".to_vec());
    }
    Ok(v)
}

#[async_trait::async_trait]
impl MessageHandler for Demo {
    async fn on_message(&self, envelope: &Envelope, message: &[u8]) -> Verdict {
        decide(envelope, message).unwrap_or_else(|e| {
            tracing::error!(error = %e, "demo verdict failed");
            Verdict::accept()
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let mut listen = "127.0.0.1:8891".to_owned();
    let mut session = SessionConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--listen" => listen = args.next().ok_or("--listen needs a value")?,
            // Ask the MTA not to wait for replies before end of message (SMFIP_NR_*).
            "--no-reply" => session.no_reply = true,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let config = MilterConfig::new(listen.parse()?).with_session(session);
    let server = MilterServer::bind(config, Arc::new(Demo)).await?;
    server.serve_until_signal().await?;
    Ok(())
}
