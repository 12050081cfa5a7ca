//! One milter connection as a pure state machine: commands in, responses or a
//! complete message out. The server wraps it with sockets; tests drive it directly.

use tracing::warn;

use crate::error::MilterError;
use crate::message::{Action, Envelope, HeaderEdit, Verdict};
use crate::protocol::{
    Actions, Command, MILTER_VERSION, MacroStage, OptNeg, ProtocolFlags, ReplyCode, Response,
};

/// What to do when a message exceeds the size cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OversizeAction {
    /// Answer 451 4.3.4: the client retries later (default; never lets unscanned mail through).
    #[default]
    Tempfail,
    /// Let the message through unscanned, unchanged.
    AcceptUnscanned,
}

/// Protocol-level settings of a session.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// Largest message (headers and body) buffered for the handler.
    pub max_message_size: usize,
    /// What to do with a message over `max_message_size`.
    pub oversize_action: OversizeAction,
    /// Ask the MTA not to wait for replies to connect..body (only end of message is answered).
    ///
    /// Off by default: Postfix does not set `TCP_NODELAY` on milter sockets, so a run of
    /// unanswered packets meets Nagle's algorithm and the milter's delayed ACK, which
    /// measured about 40 ms more per message than answering every packet (docs/milter.md).
    pub no_reply: bool,
    /// Ask the MTA for the macros this milter uses (`SMFIF_SETSYMLIST`).
    pub request_macros: bool,
    /// Largest total size of macro names and values kept per connection.
    pub max_macro_bytes: usize,
    /// Most recipients kept per message.
    pub max_recipients: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            max_message_size: 32 * 1024 * 1024,
            oversize_action: OversizeAction::Tempfail,
            no_reply: false,
            request_macros: true,
            max_macro_bytes: 64 * 1024,
            max_recipients: 10_000,
        }
    }
}

/// The actions this milter wants to be able to take.
pub const WANTED_ACTIONS: Actions = Actions(
    Actions::ADD_HEADERS.0
        | Actions::CHANGE_HEADERS.0
        | Actions::CHANGE_BODY.0
        | Actions::QUARANTINE.0
        | Actions::SET_SYMLIST.0,
);

/// The macros requested per stage when the MTA allows it.
pub const REQUESTED_MACROS: &[(MacroStage, &str)] = &[
    (
        MacroStage::Connect,
        "j {client_addr} {client_name} {client_port} {daemon_name} {daemon_addr} _",
    ),
    (
        MacroStage::Helo,
        "{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}",
    ),
    (
        MacroStage::EnvFrom,
        "i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}",
    ),
    (MacroStage::EnvRcpt, "{rcpt_addr} {rcpt_host} {rcpt_mailer}"),
    (MacroStage::EndOfMessage, "i"),
];

/// What the caller must do after feeding a command to the [`Session`].
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// Send these responses (maybe none).
    Reply(Vec<Response>),
    /// A whole message arrived: ask the handler, then call [`Session::verdict_responses`].
    Message,
    /// Close the connection.
    Close,
}

/// The negotiated parameters of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// Protocol version in use.
    pub version: u32,
    /// Actions the milter may take.
    pub actions: Actions,
    /// Protocol flags in force.
    pub protocol: ProtocolFlags,
}

/// The state of one milter connection.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    negotiated: Option<Negotiated>,
    envelope: Envelope,
    raw: Vec<u8>,
    size: usize,
    oversize: bool,
    in_headers: bool,
    in_message: bool,
}

impl Session {
    /// A new session, before negotiation.
    pub fn new(config: SessionConfig) -> Session {
        Session {
            config,
            negotiated: None,
            envelope: Envelope::default(),
            raw: Vec::new(),
            size: 0,
            oversize: false,
            in_headers: true,
            in_message: false,
        }
    }

    /// The negotiated parameters, once negotiation happened.
    pub fn negotiated(&self) -> Option<Negotiated> {
        self.negotiated
    }

    /// The envelope gathered so far.
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// The raw message gathered so far: headers as received, CRLF, body.
    pub fn message(&self) -> &[u8] {
        &self.raw
    }

    /// Whether a message transaction is in progress (MAIL seen, no end of message or abort yet).
    pub fn in_message(&self) -> bool {
        self.in_message
    }

    /// Whether the current message went over the size cap.
    pub fn is_oversize(&self) -> bool {
        self.oversize
    }

    fn reply_unless(&self, flag: ProtocolFlags) -> Step {
        let skip = self
            .negotiated
            .map(|n| n.protocol.contains(flag))
            .unwrap_or(false);
        Step::Reply(if skip {
            Vec::new()
        } else {
            vec![Response::Continue]
        })
    }

    fn reset_message(&mut self) {
        self.envelope.mail_from = None;
        self.envelope.rcpts.clear();
        self.envelope.macros.clear_message();
        self.raw = Vec::new();
        self.size = 0;
        self.oversize = false;
        self.in_headers = true;
        self.in_message = false;
    }

    fn account(&mut self, n: usize) {
        self.size = self.size.saturating_add(n);
        if self.size > self.config.max_message_size && !self.oversize {
            warn!(
                limit = self.config.max_message_size,
                "message over the size cap; no longer buffered"
            );
            self.oversize = true;
            self.raw = Vec::new();
        }
    }

    fn append(&mut self, bytes: &[u8]) {
        self.account(bytes.len());
        if !self.oversize {
            self.raw.extend_from_slice(bytes);
        }
    }

    fn leading_space(&self) -> bool {
        self.negotiated
            .map(|n| n.protocol.contains(ProtocolFlags::HEADER_LEADING_SPACE))
            .unwrap_or(false)
    }

    fn negotiate(&mut self, offer: &OptNeg) -> Result<Step, MilterError> {
        if offer.version < 2 {
            return Err(MilterError::UnsupportedVersion {
                version: offer.version,
            });
        }
        let version = offer.version.min(MILTER_VERSION);
        let mut wanted = ProtocolFlags::HEADER_LEADING_SPACE;
        if self.config.no_reply {
            wanted = wanted | ProtocolFlags::ALL_NO_REPLY;
        }
        let protocol = offer.protocol.intersect(wanted);
        let mut actions = offer.actions.intersect(WANTED_ACTIONS);
        let mut macros = Vec::new();
        if self.config.request_macros && version >= 6 && actions.contains(Actions::SET_SYMLIST) {
            macros = REQUESTED_MACROS
                .iter()
                .map(|(s, m)| (*s, (*m).to_owned()))
                .collect();
        } else {
            actions = Actions(actions.0 & !Actions::SET_SYMLIST.0);
        }
        if !actions.contains(Actions::ADD_HEADERS) {
            warn!(
                offered = offer.actions.0,
                "MTA does not allow adding headers"
            );
        }
        self.negotiated = Some(Negotiated {
            version,
            actions,
            protocol,
        });
        Ok(Step::Reply(vec![Response::OptNeg(OptNeg {
            version,
            actions,
            protocol,
            macros,
        })]))
    }

    /// Feeds one command; returns what to send back.
    pub fn handle(&mut self, cmd: Command) -> Result<Step, MilterError> {
        if self.negotiated.is_none() && !matches!(cmd, Command::OptNeg(_) | Command::Quit) {
            return Err(MilterError::UnexpectedCommand {
                what: cmd.name(),
                state: "before negotiation",
            });
        }
        match cmd {
            Command::OptNeg(o) => {
                if self.negotiated.is_some() {
                    return Err(MilterError::UnexpectedCommand {
                        what: "optneg",
                        state: "after negotiation",
                    });
                }
                self.negotiate(&o)
            }
            Command::Macro { stage, macros } => {
                let add: usize = macros.iter().map(|(n, v)| n.len() + v.len()).sum();
                if self.envelope.macros.weight().saturating_add(add) > self.config.max_macro_bytes {
                    return Err(MilterError::InvalidValue {
                        what: "macros",
                        reason: "over the per-connection limit",
                    });
                }
                self.envelope.macros.set(stage, macros);
                Ok(Step::Reply(Vec::new()))
            }
            Command::Connect(c) => {
                self.envelope.connect = Some(c);
                Ok(self.reply_unless(ProtocolFlags::NR_CONNECT))
            }
            Command::Helo(h) => {
                self.envelope.helo = Some(h);
                Ok(self.reply_unless(ProtocolFlags::NR_HELO))
            }
            Command::Mail(m) => {
                // A new MAIL without abort still starts a fresh message.
                if self.in_message {
                    self.reset_message_keep_macros(b'M');
                }
                self.envelope.mail_from = Some(m);
                self.in_message = true;
                Ok(self.reply_unless(ProtocolFlags::NR_MAIL))
            }
            Command::Rcpt(r) => {
                if self.envelope.rcpts.len() >= self.config.max_recipients {
                    return Err(MilterError::InvalidValue {
                        what: "recipients",
                        reason: "too many recipients",
                    });
                }
                self.envelope.rcpts.push(r);
                Ok(self.reply_unless(ProtocolFlags::NR_RCPT))
            }
            Command::Data => Ok(self.reply_unless(ProtocolFlags::NR_DATA)),
            Command::Unknown(_) => Ok(self.reply_unless(ProtocolFlags::NR_UNKNOWN)),
            Command::Header { name, value } => {
                self.in_message = true;
                let mut line = Vec::with_capacity(name.len() + value.len() + 4);
                line.extend_from_slice(name.as_bytes());
                line.push(b':');
                if !self.leading_space() {
                    line.push(b' ');
                }
                push_crlf_normalised(&mut line, &value);
                line.extend_from_slice(b"\r\n");
                self.append(&line);
                Ok(self.reply_unless(ProtocolFlags::NR_HEADER))
            }
            Command::EndOfHeaders => {
                self.in_message = true;
                self.end_headers();
                Ok(self.reply_unless(ProtocolFlags::NR_EOH))
            }
            Command::Body(chunk) => {
                self.in_message = true;
                self.end_headers();
                self.append(&chunk);
                Ok(self.reply_unless(ProtocolFlags::NR_BODY))
            }
            Command::EndOfMessage(chunk) => {
                self.end_headers();
                self.append(&chunk);
                if self.oversize {
                    let resp = match self.config.oversize_action {
                        OversizeAction::Tempfail => Response::ReplyCode(ReplyCode::new(
                            451,
                            Some("4.3.4"),
                            "message too large for content scanning",
                        )?),
                        OversizeAction::AcceptUnscanned => Response::Accept,
                    };
                    self.reset_message();
                    Ok(Step::Reply(vec![resp]))
                } else {
                    Ok(Step::Message)
                }
            }
            Command::Abort => {
                self.reset_message();
                Ok(Step::Reply(Vec::new()))
            }
            Command::Quit => Ok(Step::Close),
            Command::QuitNewConnection => {
                self.reset_message();
                self.envelope = Envelope::default();
                Ok(Step::Reply(Vec::new()))
            }
        }
    }

    fn reset_message_keep_macros(&mut self, stage: u8) {
        // The MAIL-stage macros for the new message arrived just before this MAIL.
        let keep: Vec<(String, String)> = self
            .envelope
            .macros
            .iter()
            .filter(|(s, _, _)| *s == stage)
            .map(|(_, n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        self.reset_message();
        self.envelope.macros.set(stage, keep);
    }

    fn end_headers(&mut self) {
        if self.in_headers {
            self.in_headers = false;
            self.append(b"\r\n");
        }
    }

    /// Turns the handler's verdict on the message just completed into responses,
    /// and resets the message state for the next one.
    pub fn verdict_responses(&mut self, verdict: &Verdict) -> Vec<Response> {
        let allowed = self.negotiated.map(|n| n.actions).unwrap_or_default();
        let lead = self.leading_space();
        // With SMFIP_HDR_LEADSPC the MTA takes values verbatim: give them their space.
        let lf_folds = |v: &str| {
            let v = lf_folds(v);
            if lead && !v.is_empty() && !v.starts_with([' ', '\t']) {
                format!(" {v}")
            } else {
                v
            }
        };
        let mut out = Vec::new();
        let edits = |out: &mut Vec<Response>| {
            for e in verdict.header_edits() {
                let (need, resp) = match e {
                    HeaderEdit::Add { name, value } => (
                        Actions::ADD_HEADERS,
                        Response::AddHeader {
                            name: name.clone(),
                            value: lf_folds(value),
                        },
                    ),
                    HeaderEdit::Insert { index, name, value } => (
                        Actions::ADD_HEADERS,
                        Response::InsertHeader {
                            index: *index,
                            name: name.clone(),
                            value: lf_folds(value),
                        },
                    ),
                    HeaderEdit::Change {
                        name,
                        occurrence,
                        value,
                    } => (
                        Actions::CHANGE_HEADERS,
                        Response::ChangeHeader {
                            index: *occurrence,
                            name: name.clone(),
                            value: lf_folds(value),
                        },
                    ),
                    HeaderEdit::Delete { name, occurrence } => (
                        Actions::CHANGE_HEADERS,
                        Response::ChangeHeader {
                            index: *occurrence,
                            name: name.clone(),
                            value: String::new(),
                        },
                    ),
                    #[allow(unreachable_patterns)]
                    _ => continue,
                };
                if allowed.contains(need) {
                    out.push(resp);
                } else {
                    warn!(
                        edit = resp.name(),
                        "header edit dropped: the MTA did not allow it"
                    );
                }
            }
            if let Some(body) = verdict.body() {
                if allowed.contains(Actions::CHANGE_BODY) {
                    out.extend(Response::replace_body_chunks(&crlf_body(body)));
                } else {
                    warn!("body replacement dropped: the MTA did not allow it");
                }
            }
        };
        match verdict.action() {
            Action::Accept => {
                edits(&mut out);
                out.push(Response::Accept);
            }
            Action::Quarantine(reason) => {
                edits(&mut out);
                if allowed.contains(Actions::QUARANTINE) {
                    out.push(Response::Quarantine(reason.clone()));
                } else {
                    warn!(%reason, "quarantine not allowed by the MTA; message accepted");
                }
                out.push(Response::Accept);
            }
            Action::Reject(r) | Action::Tempfail(r) => out.push(Response::ReplyCode(r.clone())),
            Action::Discard => out.push(Response::Discard),
            #[allow(unreachable_patterns)]
            _ => out.push(Response::Tempfail),
        }
        self.reset_message();
        out
    }
}

/// Appends a header value, turning bare LF (Postfix sends folds as `\n\t`) into CRLF.
fn push_crlf_normalised(out: &mut Vec<u8>, value: &[u8]) {
    let mut prev = 0u8;
    for &b in value {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
}

/// Header values go back to the MTA with LF folds, as libmilter documents.
fn lf_folds(value: &str) -> String {
    value.replace("\r\n", "\n")
}

/// A replacement body with CRLF line ends (bare LF become CRLF).
fn crlf_body(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / 32);
    push_crlf_normalised(&mut out, body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Connect, EnvelopeAddress, Family};

    fn negotiated(config: SessionConfig) -> Session {
        let mut s = Session::new(config);
        let step = s
            .handle(Command::OptNeg(OptNeg {
                version: 6,
                actions: Actions(0x1ff),
                protocol: ProtocolFlags(0x1f_ffff),
                macros: vec![],
            }))
            .unwrap();
        let Step::Reply(r) = step else { panic!() };
        let Some(Response::OptNeg(o)) = r.first() else {
            panic!()
        };
        assert_eq!(o.version, 6);
        assert!(
            o.actions
                .contains(Actions::ADD_HEADERS | Actions::QUARANTINE)
        );
        assert!(o.protocol.contains(ProtocolFlags::HEADER_LEADING_SPACE));
        assert!(!o.macros.is_empty());
        s
    }

    #[test]
    fn builds_the_raw_message_and_envelope() {
        let mut s = negotiated(SessionConfig::default());
        s.handle(Command::Macro {
            stage: b'C',
            macros: vec![("j".into(), "mx.example".into())],
        })
        .unwrap();
        s.handle(Command::Connect(Connect {
            hostname: "client.example".into(),
            family: Family::Inet4,
            port: 4000,
            address: "192.0.2.7".into(),
        }))
        .unwrap();
        s.handle(Command::Helo("client.example".into())).unwrap();
        s.handle(Command::Macro {
            stage: b'M',
            macros: vec![("{auth_authen}".into(), "bob".into())],
        })
        .unwrap();
        s.handle(Command::Mail(EnvelopeAddress {
            address: "<bob@example.org>".into(),
            args: vec!["SIZE=100".into()],
        }))
        .unwrap();
        s.handle(Command::Header {
            name: "Subject".into(),
            value: b" hello\n\tworld".to_vec(),
        })
        .unwrap();
        s.handle(Command::EndOfHeaders).unwrap();
        s.handle(Command::Body(b"line\r\n".to_vec())).unwrap();
        assert_eq!(
            s.handle(Command::EndOfMessage(vec![])).unwrap(),
            Step::Message
        );
        assert_eq!(s.message(), b"Subject: hello\r\n\tworld\r\n\r\nline\r\n");
        let e = s.envelope();
        assert_eq!(e.client_ip(), "192.0.2.7".parse().ok());
        assert_eq!(e.auth_authen(), Some("bob"));
        assert_eq!(e.mta_name(), Some("mx.example"));
        assert_eq!(e.mail_from().map(|m| m.bare()), Some("bob@example.org"));
        let r = s.verdict_responses(&Verdict::accept().edit(HeaderEdit::add("X-T", "1").unwrap()));
        assert_eq!(r.len(), 2);
        assert_eq!(s.envelope().auth_authen(), None);
        assert_eq!(s.envelope().mta_name(), Some("mx.example"));
    }

    #[test]
    fn oversize_tempfails_or_accepts() {
        for (action, want) in [
            (OversizeAction::Tempfail, "451"),
            (OversizeAction::AcceptUnscanned, "accept"),
        ] {
            let mut s = negotiated(SessionConfig {
                max_message_size: 10,
                oversize_action: action,
                ..SessionConfig::default()
            });
            s.handle(Command::Body(vec![b'x'; 20])).unwrap();
            assert!(s.is_oversize());
            assert!(s.message().is_empty());
            let Step::Reply(r) = s.handle(Command::EndOfMessage(vec![])).unwrap() else {
                panic!()
            };
            let got = match r.first() {
                Some(Response::ReplyCode(c)) => c.code().to_string(),
                Some(other) => other.name().to_owned(),
                None => String::new(),
            };
            assert_eq!(got, want);
            assert!(!s.is_oversize());
        }
    }

    #[test]
    fn commands_before_negotiation_are_refused() {
        let mut s = Session::new(SessionConfig::default());
        assert!(s.handle(Command::Helo("x".into())).is_err());
    }

    #[test]
    fn crlf_normalisation() {
        let mut v = Vec::new();
        push_crlf_normalised(&mut v, b"a\nb\r\nc");
        assert_eq!(v, b"a\r\nb\r\nc");
    }
}
