//! The milter protocol (version 6), serving a mail check to Postfix and Sendmail.
//!
//! Three layers, each usable alone:
//!
//! - [`protocol`]: a pure codec. Bytes become typed [`Command`]s (option negotiation,
//!   macros, connect, helo, envelope, headers, body, end of message, abort, quit) and typed
//!   [`Response`]s become bytes (continue, accept, reject, tempfail, reply codes, discard,
//!   quarantine, header edits, body replacement, progress). Lengths are checked against a
//!   limit before anything is allocated.
//! - [`session`]: one connection as a state machine without I/O: negotiation (actions,
//!   no-reply flags, macro requests), the envelope, the raw message put back together
//!   (headers as received, a blank line, the body), a size cap, and the translation of a
//!   [`Verdict`] into responses.
//! - [`server`]: [`MilterServer`], a tokio server on `HOST:PORT` or `unix:PATH` with a
//!   bounded number of connections, timeouts, progress messages while the check runs and
//!   graceful shutdown. It calls a [`MessageHandler`] once per complete message.
//!
//! With the `pipeline` feature (on by default), `pipeline::PipelineHandler` is the
//! handler that serves the `mailsec` pipeline: inbound Authentication-Results and spam
//! verdicts, zero-access body replacement for mailboxes with a certificate, outbound
//! DKIM signing and ARC sealing of forwarded mail.
//!
//! # Example
//!
//! A milter that tags every message and rejects one subject:
//!
//! ```no_run
//! use std::sync::Arc;
//! use mailsec_milter::{Envelope, HeaderEdit, MessageHandler, MilterConfig, MilterServer, Verdict};
//!
//! struct Tagger;
//!
//! #[async_trait::async_trait]
//! impl MessageHandler for Tagger {
//!     async fn on_message(&self, envelope: &Envelope, message: &[u8]) -> Verdict {
//!         let head = message.split(|&b| b == b'\n').take_while(|l| l != b"\r");
//!         if head.into_iter().any(|l| l.starts_with(b"Subject: buy now")) {
//!             return Verdict::reject(550, Some("5.7.1"), "spam refused")
//!                 .unwrap_or_else(|_| Verdict::accept());
//!         }
//!         let who = envelope.auth_authen().unwrap_or("anonymous");
//!         match HeaderEdit::add("X-Checked-For", who) {
//!             Ok(edit) => Verdict::accept().edit(edit),
//!             Err(_) => Verdict::accept(),
//!         }
//!     }
//! }
//!
//! # async fn run() -> Result<(), mailsec_milter::MilterError> {
//! let config = MilterConfig::new("127.0.0.1:8891".parse()?).with_max_connections(64);
//! let server = MilterServer::bind(config, Arc::new(Tagger)).await?;
//! server.serve_until_signal().await
//! # }
//! ```
//!
//! The session layer runs without sockets, which is how the server is tested:
//!
//! ```
//! use mailsec_milter::protocol::{Actions, Command, OptNeg, ProtocolFlags, Response};
//! use mailsec_milter::session::{Session, SessionConfig, Step};
//! use mailsec_milter::Verdict;
//!
//! let mut s = Session::new(SessionConfig::default());
//! let offer = OptNeg { version: 6, actions: Actions(0x1ff), protocol: ProtocolFlags(0x1f_ffff), macros: vec![] };
//! let Ok(Step::Reply(r)) = s.handle(Command::OptNeg(offer)) else { unreachable!() };
//! assert!(matches!(r.first(), Some(Response::OptNeg(_))));
//! s.handle(Command::Header { name: "Subject".into(), value: b" hi".to_vec() }).unwrap();
//! s.handle(Command::Body(b"hello\r\n".to_vec())).unwrap();
//! assert_eq!(s.handle(Command::EndOfMessage(vec![])).unwrap(), Step::Message);
//! assert_eq!(s.message(), b"Subject: hi\r\n\r\nhello\r\n");
//! assert_eq!(s.verdict_responses(&Verdict::discard()), vec![Response::Discard]);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod message;
#[cfg(feature = "pipeline")]
pub mod pipeline;
pub mod protocol;
pub mod server;
pub mod session;

pub use error::MilterError;
pub use message::{Action, Envelope, HeaderEdit, Macros, Verdict};
#[cfg(feature = "pipeline")]
pub use pipeline::{Direction, IpNetwork, OnDnsFailure, PipelineHandler, PipelineHandlerBuilder};
pub use protocol::{Command, ReplyCode, Response};
pub use server::{ListenAddr, MessageHandler, MilterConfig, MilterServer};
pub use session::{OversizeAction, SessionConfig};
