//! The milter wire protocol (version 6), as a pure codec: no I/O.
//!
//! Every packet is a 4-byte big-endian length (counting the code byte), a
//! one-byte code, then data. Strings are NUL-terminated. The MTA sends
//! [`Command`]s, the milter answers with [`Response`]s. Both directions encode
//! and decode here, so a test MTA (or a milter client) can reuse the codec.
//!
//! Decoding never allocates by a length read from the wire before checking it
//! against the configured maximum ([`frame_len`]).

use std::net::IpAddr;

use crate::error::MilterError;

/// The protocol version this implementation speaks.
pub const MILTER_VERSION: u32 = 6;

/// The largest body chunk one `SMFIR_REPLBODY` (or `SMFIC_BODY`) packet carries.
pub const MAX_BODY_CHUNK: usize = 65535;

/// Default limit on one packet (code byte and data).
pub const DEFAULT_MAX_PACKET: usize = 256 * 1024;

/// The actions (`SMFIF_*`) a milter may take, negotiated at connection start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Actions(pub u32);

impl Actions {
    /// `SMFIF_ADDHDRS`: add headers.
    pub const ADD_HEADERS: Actions = Actions(0x01);
    /// `SMFIF_CHGBODY`: replace the body.
    pub const CHANGE_BODY: Actions = Actions(0x02);
    /// `SMFIF_ADDRCPT`: add recipients.
    pub const ADD_RCPT: Actions = Actions(0x04);
    /// `SMFIF_DELRCPT`: delete recipients.
    pub const DELETE_RCPT: Actions = Actions(0x08);
    /// `SMFIF_CHGHDRS`: change or delete headers (and insert them).
    pub const CHANGE_HEADERS: Actions = Actions(0x10);
    /// `SMFIF_QUARANTINE`: quarantine (Postfix: hold) the message.
    pub const QUARANTINE: Actions = Actions(0x20);
    /// `SMFIF_CHGFROM`: change the envelope sender.
    pub const CHANGE_FROM: Actions = Actions(0x40);
    /// `SMFIF_ADDRCPT_PAR`: add recipients with ESMTP arguments.
    pub const ADD_RCPT_PAR: Actions = Actions(0x80);
    /// `SMFIF_SETSYMLIST`: request the macros to be sent at each stage.
    pub const SET_SYMLIST: Actions = Actions(0x100);

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: Actions) -> bool {
        self.0 & other.0 == other.0
    }
    /// The bits set in both.
    #[must_use]
    pub fn intersect(self, other: Actions) -> Actions {
        Actions(self.0 & other.0)
    }
}

impl std::ops::BitOr for Actions {
    type Output = Actions;
    fn bitor(self, rhs: Actions) -> Actions {
        Actions(self.0 | rhs.0)
    }
}

/// The protocol flags (`SMFIP_*`): steps the MTA may skip and replies the milter omits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProtocolFlags(pub u32);

impl ProtocolFlags {
    /// `SMFIP_NOCONNECT`: do not send connect.
    pub const NO_CONNECT: ProtocolFlags = ProtocolFlags(0x1);
    /// `SMFIP_NOHELO`: do not send HELO.
    pub const NO_HELO: ProtocolFlags = ProtocolFlags(0x2);
    /// `SMFIP_NOMAIL`: do not send MAIL FROM.
    pub const NO_MAIL: ProtocolFlags = ProtocolFlags(0x4);
    /// `SMFIP_NORCPT`: do not send RCPT TO.
    pub const NO_RCPT: ProtocolFlags = ProtocolFlags(0x8);
    /// `SMFIP_NOBODY`: do not send the body.
    pub const NO_BODY: ProtocolFlags = ProtocolFlags(0x10);
    /// `SMFIP_NOHDRS`: do not send headers.
    pub const NO_HEADERS: ProtocolFlags = ProtocolFlags(0x20);
    /// `SMFIP_NOEOH`: do not send end of headers.
    pub const NO_EOH: ProtocolFlags = ProtocolFlags(0x40);
    /// `SMFIP_NR_HDR` (`SMFIP_NOHREPL`): no reply to headers.
    pub const NR_HEADER: ProtocolFlags = ProtocolFlags(0x80);
    /// `SMFIP_NOUNKNOWN`: do not send unknown SMTP commands.
    pub const NO_UNKNOWN: ProtocolFlags = ProtocolFlags(0x100);
    /// `SMFIP_NODATA`: do not send DATA.
    pub const NO_DATA: ProtocolFlags = ProtocolFlags(0x200);
    /// `SMFIP_SKIP`: the MTA understands `SMFIR_SKIP`.
    pub const SKIP: ProtocolFlags = ProtocolFlags(0x400);
    /// `SMFIP_RCPT_REJ`: also send rejected recipients.
    pub const RCPT_REJECTED: ProtocolFlags = ProtocolFlags(0x800);
    /// `SMFIP_NR_CONN`: no reply to connect.
    pub const NR_CONNECT: ProtocolFlags = ProtocolFlags(0x1000);
    /// `SMFIP_NR_HELO`: no reply to HELO.
    pub const NR_HELO: ProtocolFlags = ProtocolFlags(0x2000);
    /// `SMFIP_NR_MAIL`: no reply to MAIL FROM.
    pub const NR_MAIL: ProtocolFlags = ProtocolFlags(0x4000);
    /// `SMFIP_NR_RCPT`: no reply to RCPT TO.
    pub const NR_RCPT: ProtocolFlags = ProtocolFlags(0x8000);
    /// `SMFIP_NR_DATA`: no reply to DATA.
    pub const NR_DATA: ProtocolFlags = ProtocolFlags(0x1_0000);
    /// `SMFIP_NR_UNKN`: no reply to unknown commands.
    pub const NR_UNKNOWN: ProtocolFlags = ProtocolFlags(0x2_0000);
    /// `SMFIP_NR_EOH`: no reply to end of headers.
    pub const NR_EOH: ProtocolFlags = ProtocolFlags(0x4_0000);
    /// `SMFIP_NR_BODY`: no reply to body chunks.
    pub const NR_BODY: ProtocolFlags = ProtocolFlags(0x8_0000);
    /// `SMFIP_HDR_LEADSPC`: header values keep their leading space.
    pub const HEADER_LEADING_SPACE: ProtocolFlags = ProtocolFlags(0x10_0000);

    /// Every no-reply flag.
    pub const ALL_NO_REPLY: ProtocolFlags = ProtocolFlags(
        Self::NR_HEADER.0
            | Self::NR_CONNECT.0
            | Self::NR_HELO.0
            | Self::NR_MAIL.0
            | Self::NR_RCPT.0
            | Self::NR_DATA.0
            | Self::NR_UNKNOWN.0
            | Self::NR_EOH.0
            | Self::NR_BODY.0,
    );

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: ProtocolFlags) -> bool {
        self.0 & other.0 == other.0
    }
    /// The bits set in both.
    #[must_use]
    pub fn intersect(self, other: ProtocolFlags) -> ProtocolFlags {
        ProtocolFlags(self.0 & other.0)
    }
}

impl std::ops::BitOr for ProtocolFlags {
    type Output = ProtocolFlags;
    fn bitor(self, rhs: ProtocolFlags) -> ProtocolFlags {
        ProtocolFlags(self.0 | rhs.0)
    }
}

/// The stages at which macros are sent, for macro-list requests (`SMFIM_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MacroStage {
    /// `SMFIM_CONNECT`.
    Connect,
    /// `SMFIM_HELO`.
    Helo,
    /// `SMFIM_ENVFROM`.
    EnvFrom,
    /// `SMFIM_ENVRCPT`.
    EnvRcpt,
    /// `SMFIM_DATA`.
    Data,
    /// `SMFIM_EOM`.
    EndOfMessage,
    /// `SMFIM_EOH`.
    EndOfHeaders,
}

impl MacroStage {
    fn to_wire(self) -> u32 {
        match self {
            MacroStage::Connect => 0,
            MacroStage::Helo => 1,
            MacroStage::EnvFrom => 2,
            MacroStage::EnvRcpt => 3,
            MacroStage::Data => 4,
            MacroStage::EndOfMessage => 5,
            MacroStage::EndOfHeaders => 6,
        }
    }
    fn from_wire(v: u32) -> Option<MacroStage> {
        Some(match v {
            0 => MacroStage::Connect,
            1 => MacroStage::Helo,
            2 => MacroStage::EnvFrom,
            3 => MacroStage::EnvRcpt,
            4 => MacroStage::Data,
            5 => MacroStage::EndOfMessage,
            6 => MacroStage::EndOfHeaders,
            _ => return None,
        })
    }
}

/// The option negotiation packet (`SMFIC_OPTNEG` from the MTA, `O` back from the milter).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptNeg {
    /// Protocol version.
    pub version: u32,
    /// Actions offered (MTA) or requested (milter).
    pub actions: Actions,
    /// Protocol flags offered (MTA) or requested (milter).
    pub protocol: ProtocolFlags,
    /// Macro lists the milter requests per stage (milter side only; space-separated names).
    pub macros: Vec<(MacroStage, String)>,
}

/// The address family of a connecting client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Family {
    /// `U`: unknown (no port or address follows).
    Unknown,
    /// `L`: a local (Unix) socket.
    Unix,
    /// `4`: IPv4.
    Inet4,
    /// `6`: IPv6.
    Inet6,
}

/// The connect packet (`SMFIC_CONNECT`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connect {
    /// The client's host name (as resolved by the MTA, or `[addr]`).
    pub hostname: String,
    /// The address family.
    pub family: Family,
    /// The client port (0 for unknown and Unix).
    pub port: u16,
    /// The address as sent: dotted quad, IPv6 text (maybe `IPv6:`-prefixed) or socket path.
    pub address: String,
}

impl Connect {
    /// The client IP, when the family is IPv4/IPv6 and the address parses.
    pub fn ip(&self) -> Option<IpAddr> {
        match self.family {
            Family::Inet4 | Family::Inet6 => {
                let a = self.address.trim();
                let a = a.strip_prefix("IPv6:").unwrap_or(a);
                let a = a.trim_start_matches('[').trim_end_matches(']');
                a.parse().ok()
            }
            Family::Unknown | Family::Unix => None,
        }
    }
}

/// `MAIL FROM` or `RCPT TO`: the address and its ESMTP arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeAddress {
    /// The address as the client gave it (usually in angle brackets).
    pub address: String,
    /// ESMTP arguments (`SIZE=123`, `BODY=8BITMIME`, ...).
    pub args: Vec<String>,
}

impl EnvelopeAddress {
    /// The address without angle brackets.
    pub fn bare(&self) -> &str {
        let a = self.address.trim();
        a.strip_prefix('<')
            .and_then(|s| s.strip_suffix('>'))
            .unwrap_or(a)
    }
}

/// A command from the MTA.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `O`: option negotiation.
    OptNeg(OptNeg),
    /// `D`: macros for the command with the given code that follows.
    Macro {
        /// The code of the command these macros belong to (`C`, `H`, `M`, ...).
        stage: u8,
        /// Name/value pairs, names as sent (`j`, `{client_addr}`).
        macros: Vec<(String, String)>,
    },
    /// `C`: a client connected.
    Connect(Connect),
    /// `H`: HELO/EHLO.
    Helo(String),
    /// `M`: MAIL FROM.
    Mail(EnvelopeAddress),
    /// `R`: RCPT TO.
    Rcpt(EnvelopeAddress),
    /// `T`: DATA.
    Data,
    /// `L`: one header (value as sent, folded lines included).
    Header {
        /// Header name.
        name: String,
        /// Header value bytes.
        value: Vec<u8>,
    },
    /// `N`: end of headers.
    EndOfHeaders,
    /// `B`: a body chunk.
    Body(Vec<u8>),
    /// `E`: end of message (may carry a last body chunk).
    EndOfMessage(Vec<u8>),
    /// `A`: abort the current message (the connection goes on).
    Abort,
    /// `Q`: quit.
    Quit,
    /// `K`: quit, and a new connection follows on this socket.
    QuitNewConnection,
    /// `U`: an SMTP command the MTA did not recognise.
    Unknown(String),
}

impl Command {
    /// The command's name, for logs and errors.
    pub fn name(&self) -> &'static str {
        match self {
            Command::OptNeg(_) => "optneg",
            Command::Macro { .. } => "macro",
            Command::Connect(_) => "connect",
            Command::Helo(_) => "helo",
            Command::Mail(_) => "mail",
            Command::Rcpt(_) => "rcpt",
            Command::Data => "data",
            Command::Header { .. } => "header",
            Command::EndOfHeaders => "eoh",
            Command::Body(_) => "body",
            Command::EndOfMessage(_) => "eom",
            Command::Abort => "abort",
            Command::Quit => "quit",
            Command::QuitNewConnection => "quit-nc",
            Command::Unknown(_) => "unknown",
        }
    }

    /// Decodes one packet payload (code byte and data, without the length prefix).
    pub fn decode(payload: &[u8]) -> Result<Command, MilterError> {
        let (&code, data) = payload.split_first().ok_or(MilterError::EmptyPacket)?;
        let mut r = Reader::new(data);
        let cmd = match code {
            b'O' => {
                let what = "optneg";
                let version = r.u32(what)?;
                let actions = Actions(r.u32(what)?);
                let protocol = ProtocolFlags(r.u32(what)?);
                // Extra bytes after the three words are ignored, as libmilter does.
                r.rest();
                Command::OptNeg(OptNeg {
                    version,
                    actions,
                    protocol,
                    macros: Vec::new(),
                })
            }
            b'D' => {
                let what = "macro";
                let stage = r.u8(what)?;
                let mut macros = Vec::new();
                while !r.is_empty() {
                    let name = r.string(what)?;
                    // Some MTAs end the list with a lone name; treat a missing value as empty.
                    let value = if r.is_empty() {
                        String::new()
                    } else {
                        r.string(what)?
                    };
                    macros.push((name, value));
                }
                Command::Macro { stage, macros }
            }
            b'C' => {
                let what = "connect";
                let hostname = r.string(what)?;
                let family = match r.u8(what)? {
                    b'U' => Family::Unknown,
                    b'L' => Family::Unix,
                    b'4' => Family::Inet4,
                    b'6' => Family::Inet6,
                    _ => {
                        return Err(MilterError::Malformed {
                            what,
                            reason: "unknown address family",
                        });
                    }
                };
                let (port, address) = if family == Family::Unknown {
                    r.rest();
                    (0, String::new())
                } else {
                    let port = r.u16(what)?;
                    (port, r.string(what)?)
                };
                r.end(what)?;
                Command::Connect(Connect {
                    hostname,
                    family,
                    port,
                    address,
                })
            }
            b'H' => {
                let helo = r.string("helo")?;
                r.end("helo")?;
                Command::Helo(helo)
            }
            b'M' | b'R' => {
                let what = if code == b'M' { "mail" } else { "rcpt" };
                let address = r.string(what)?;
                let mut args = Vec::new();
                while !r.is_empty() {
                    args.push(r.string(what)?);
                }
                let a = EnvelopeAddress { address, args };
                if code == b'M' {
                    Command::Mail(a)
                } else {
                    Command::Rcpt(a)
                }
            }
            b'T' => Command::Data,
            b'L' => {
                let what = "header";
                let name = r.string(what)?;
                let value = r.bytes_nul(what)?.to_vec();
                r.end(what)?;
                Command::Header { name, value }
            }
            b'N' => Command::EndOfHeaders,
            b'B' => Command::Body(r.rest().to_vec()),
            b'E' => Command::EndOfMessage(r.rest().to_vec()),
            b'A' => Command::Abort,
            b'Q' => Command::Quit,
            b'K' => Command::QuitNewConnection,
            b'U' => {
                // The command line, NUL-terminated; tolerate a missing NUL.
                let rest = r.rest();
                let line = rest.strip_suffix(b"\0").unwrap_or(rest);
                Command::Unknown(String::from_utf8_lossy(line).into_owned())
            }
            other => return Err(MilterError::UnknownCode { code: other }),
        };
        Ok(cmd)
    }

    /// Encodes the command as one packet (length prefix included), appending to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), MilterError> {
        let mut w = Writer::start(out);
        match self {
            Command::OptNeg(o) => {
                w.code(b'O');
                w.u32(o.version);
                w.u32(o.actions.0);
                w.u32(o.protocol.0);
            }
            Command::Macro { stage, macros } => {
                w.code(b'D');
                w.u8(*stage);
                for (n, v) in macros {
                    w.string("macro name", n)?;
                    w.string("macro value", v)?;
                }
            }
            Command::Connect(c) => {
                w.code(b'C');
                w.string("hostname", &c.hostname)?;
                let fam = match c.family {
                    Family::Unknown => b'U',
                    Family::Unix => b'L',
                    Family::Inet4 => b'4',
                    Family::Inet6 => b'6',
                };
                w.u8(fam);
                if c.family != Family::Unknown {
                    w.u16(c.port);
                    w.string("address", &c.address)?;
                }
            }
            Command::Helo(h) => {
                w.code(b'H');
                w.string("helo", h)?;
            }
            Command::Mail(a) | Command::Rcpt(a) => {
                w.code(if matches!(self, Command::Mail(_)) {
                    b'M'
                } else {
                    b'R'
                });
                w.string("address", &a.address)?;
                for arg in &a.args {
                    w.string("esmtp argument", arg)?;
                }
            }
            Command::Data => w.code(b'T'),
            Command::Header { name, value } => {
                w.code(b'L');
                w.string("header name", name)?;
                w.bytes_nul("header value", value)?;
            }
            Command::EndOfHeaders => w.code(b'N'),
            Command::Body(b) => {
                w.code(b'B');
                w.raw(b);
            }
            Command::EndOfMessage(b) => {
                w.code(b'E');
                w.raw(b);
            }
            Command::Abort => w.code(b'A'),
            Command::Quit => w.code(b'Q'),
            Command::QuitNewConnection => w.code(b'K'),
            Command::Unknown(u) => {
                w.code(b'U');
                w.string("unknown command", u)?;
            }
        }
        w.finish()
    }
}

/// An SMTP reply a milter asks the MTA to give: `4xx`/`5xx`, optional enhanced status, one line of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyCode {
    code: u16,
    enhanced: Option<String>,
    text: String,
}

impl ReplyCode {
    /// Validates and builds a reply. `code` must be 400–599; `enhanced` (e.g. `5.7.1`) must
    /// be `class.subject.detail` with the class equal to the code's first digit; `text` must
    /// be printable (no CR, LF or NUL) and at most 900 bytes.
    pub fn new(code: u16, enhanced: Option<&str>, text: &str) -> Result<ReplyCode, MilterError> {
        let bad = |reason| MilterError::InvalidValue {
            what: "reply code",
            reason,
        };
        if !(400..=599).contains(&code) {
            return Err(bad("the code must be 4xx or 5xx"));
        }
        let class = char::from(b'0' + (code / 100) as u8);
        if let Some(e) = enhanced {
            let parts: Vec<&str> = e.split('.').collect();
            let ok = parts.len() == 3
                && parts.iter().all(|p| {
                    !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit())
                })
                && parts.first().map(|p| p.len() == 1 && p.starts_with(class)) == Some(true);
            if !ok {
                return Err(bad(
                    "the enhanced status must be class.subject.detail matching the code",
                ));
            }
        }
        if text.len() > 900 {
            return Err(bad("the text is longer than 900 bytes"));
        }
        if text.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            return Err(bad("the text contains CR, LF or NUL"));
        }
        Ok(ReplyCode {
            code,
            enhanced: enhanced.map(str::to_owned),
            text: text.to_owned(),
        })
    }

    /// The three-digit SMTP code.
    pub fn code(&self) -> u16 {
        self.code
    }
    /// The enhanced status code, if any.
    pub fn enhanced(&self) -> Option<&str> {
        self.enhanced.as_deref()
    }
    /// The reply text.
    pub fn text(&self) -> &str {
        &self.text
    }
    /// Whether this is a permanent (5xx) reply.
    pub fn is_permanent(&self) -> bool {
        self.code >= 500
    }

    /// The reply line as sent: `550 5.7.1 text`.
    pub fn line(&self) -> String {
        let mut s = self.code.to_string();
        if let Some(e) = &self.enhanced {
            s.push(' ');
            s.push_str(e);
        }
        if !self.text.is_empty() {
            s.push(' ');
            s.push_str(&self.text);
        }
        s
    }

    /// The reply as sent in `SMFIR_REPLYCODE`: a space always follows the code (Postfix
    /// refuses `550` alone) and `%` is doubled (libmilter's convention, undone by the MTA).
    fn wire_line(&self) -> String {
        let mut s = self.line().replace('%', "%%");
        if self.enhanced.is_none() && self.text.is_empty() {
            s.push(' ');
        }
        s
    }

    fn parse(line: &str) -> Result<ReplyCode, MilterError> {
        let bad = MilterError::Malformed {
            what: "replycode",
            reason: "not `NNN [x.y.z] text`",
        };
        let code: u16 = line.get(..3).and_then(|c| c.parse().ok()).ok_or(bad)?;
        let rest = line.get(3..).unwrap_or("");
        let rest = rest
            .strip_prefix(' ')
            .or_else(|| rest.strip_prefix('-'))
            .unwrap_or(rest);
        let (enhanced, text) = match rest.split_once(' ') {
            Some((first, text)) if first.contains('.') => (Some(first), text),
            None if rest.contains('.') && rest.bytes().all(|b| b.is_ascii_digit() || b == b'.') => {
                (Some(rest), "")
            }
            _ => (None, rest),
        };
        ReplyCode::new(code, enhanced, text).or_else(|_| ReplyCode::new(code, None, rest))
    }
}

/// A response from the milter.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response {
    /// `O`: the negotiation answer.
    OptNeg(OptNeg),
    /// `c`: continue.
    Continue,
    /// `a`: accept this message (or connection) without further checks.
    Accept,
    /// `r`: reject with the MTA's default 5xx.
    Reject,
    /// `t`: tempfail with the MTA's default 4xx.
    Tempfail,
    /// `d`: accept and silently discard.
    Discard,
    /// `y`: reject or tempfail with this reply.
    ReplyCode(ReplyCode),
    /// `q`: quarantine (Postfix: hold) with a reason.
    Quarantine(String),
    /// `h`: add a header at the end.
    AddHeader {
        /// Name.
        name: String,
        /// Value (folds as `\n\t` or `\r\n\t`).
        value: String,
    },
    /// `i`: insert a header at a position (0 = top).
    InsertHeader {
        /// Position among all headers.
        index: u32,
        /// Name.
        name: String,
        /// Value.
        value: String,
    },
    /// `m`: change the `index`-th (1-based) header of that name; an empty value deletes it.
    ChangeHeader {
        /// Occurrence, 1-based.
        index: u32,
        /// Name.
        name: String,
        /// New value, empty to delete.
        value: String,
    },
    /// `b`: one chunk of the replacement body (at most [`MAX_BODY_CHUNK`] bytes).
    ReplaceBody(Vec<u8>),
    /// `+`: add a recipient.
    AddRcpt(String),
    /// `-`: delete a recipient.
    DeleteRcpt(String),
    /// `p`: still working; resets the MTA's timeout.
    Progress,
    /// `s`: skip the rest of the body chunks.
    Skip,
    /// `f`: the connection failed.
    ConnFail,
    /// `4`: shut down.
    Shutdown,
}

impl Response {
    /// The response's name, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Response::OptNeg(_) => "optneg",
            Response::Continue => "continue",
            Response::Accept => "accept",
            Response::Reject => "reject",
            Response::Tempfail => "tempfail",
            Response::Discard => "discard",
            Response::ReplyCode(_) => "replycode",
            Response::Quarantine(_) => "quarantine",
            Response::AddHeader { .. } => "addheader",
            Response::InsertHeader { .. } => "insheader",
            Response::ChangeHeader { .. } => "chgheader",
            Response::ReplaceBody(_) => "replbody",
            Response::AddRcpt(_) => "addrcpt",
            Response::DeleteRcpt(_) => "delrcpt",
            Response::Progress => "progress",
            Response::Skip => "skip",
            Response::ConnFail => "connfail",
            Response::Shutdown => "shutdown",
        }
    }

    /// Splits a replacement body into `ReplaceBody` chunks of at most [`MAX_BODY_CHUNK`] bytes.
    pub fn replace_body_chunks(body: &[u8]) -> Vec<Response> {
        if body.is_empty() {
            return vec![Response::ReplaceBody(Vec::new())];
        }
        body.chunks(MAX_BODY_CHUNK)
            .map(|c| Response::ReplaceBody(c.to_vec()))
            .collect()
    }

    /// Encodes the response as one packet (length prefix included), appending to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), MilterError> {
        let mut w = Writer::start(out);
        match self {
            Response::OptNeg(o) => {
                w.code(b'O');
                w.u32(o.version);
                w.u32(o.actions.0);
                w.u32(o.protocol.0);
                for (stage, names) in &o.macros {
                    w.u32(stage.to_wire());
                    w.string("macro list", names)?;
                }
            }
            Response::Continue => w.code(b'c'),
            Response::Accept => w.code(b'a'),
            Response::Reject => w.code(b'r'),
            Response::Tempfail => w.code(b't'),
            Response::Discard => w.code(b'd'),
            Response::ReplyCode(r) => {
                w.code(b'y');
                w.string("reply", &r.wire_line())?;
            }
            Response::Quarantine(reason) => {
                w.code(b'q');
                w.string("quarantine reason", reason)?;
            }
            Response::AddHeader { name, value } => {
                w.code(b'h');
                w.string("header name", name)?;
                w.string("header value", value)?;
            }
            Response::InsertHeader { index, name, value } => {
                w.code(b'i');
                w.u32(*index);
                w.string("header name", name)?;
                w.string("header value", value)?;
            }
            Response::ChangeHeader { index, name, value } => {
                w.code(b'm');
                w.u32(*index);
                w.string("header name", name)?;
                w.string("header value", value)?;
            }
            Response::ReplaceBody(chunk) => {
                if chunk.len() > MAX_BODY_CHUNK {
                    return Err(MilterError::InvalidValue {
                        what: "body chunk",
                        reason: "longer than 65535 bytes",
                    });
                }
                w.code(b'b');
                w.raw(chunk);
            }
            Response::AddRcpt(r) => {
                w.code(b'+');
                w.string("recipient", r)?;
            }
            Response::DeleteRcpt(r) => {
                w.code(b'-');
                w.string("recipient", r)?;
            }
            Response::Progress => w.code(b'p'),
            Response::Skip => w.code(b's'),
            Response::ConnFail => w.code(b'f'),
            Response::Shutdown => w.code(b'4'),
        }
        w.finish()
    }

    /// Decodes one packet payload (code byte and data, without the length prefix).
    pub fn decode(payload: &[u8]) -> Result<Response, MilterError> {
        let (&code, data) = payload.split_first().ok_or(MilterError::EmptyPacket)?;
        let mut r = Reader::new(data);
        let resp = match code {
            b'O' => {
                let what = "optneg reply";
                let version = r.u32(what)?;
                let actions = Actions(r.u32(what)?);
                let protocol = ProtocolFlags(r.u32(what)?);
                let mut macros = Vec::new();
                while !r.is_empty() {
                    let stage =
                        MacroStage::from_wire(r.u32(what)?).ok_or(MilterError::Malformed {
                            what,
                            reason: "unknown macro stage",
                        })?;
                    macros.push((stage, r.string(what)?));
                }
                Response::OptNeg(OptNeg {
                    version,
                    actions,
                    protocol,
                    macros,
                })
            }
            b'c' => Response::Continue,
            b'a' => Response::Accept,
            b'r' => Response::Reject,
            b't' => Response::Tempfail,
            b'd' => Response::Discard,
            b'p' => Response::Progress,
            b's' => Response::Skip,
            b'f' => Response::ConnFail,
            b'4' => Response::Shutdown,
            b'y' => {
                let line = r.string("replycode")?;
                r.end("replycode")?;
                Response::ReplyCode(ReplyCode::parse(&line.replace("%%", "%"))?)
            }
            b'q' => {
                let reason = r.string("quarantine")?;
                Response::Quarantine(reason)
            }
            b'h' => {
                let name = r.string("addheader")?;
                let value = r.string("addheader")?;
                Response::AddHeader { name, value }
            }
            b'i' | b'm' => {
                let what = if code == b'i' {
                    "insheader"
                } else {
                    "chgheader"
                };
                let index = r.u32(what)?;
                let name = r.string(what)?;
                let value = r.string(what)?;
                if code == b'i' {
                    Response::InsertHeader { index, name, value }
                } else {
                    Response::ChangeHeader { index, name, value }
                }
            }
            b'b' => Response::ReplaceBody(r.rest().to_vec()),
            b'+' => Response::AddRcpt(r.string("addrcpt")?),
            b'-' => Response::DeleteRcpt(r.string("delrcpt")?),
            other => return Err(MilterError::UnknownCode { code: other }),
        };
        Ok(resp)
    }
}

/// Checks a packet's 4-byte length prefix against `max_packet` before anything is allocated.
/// Returns the payload length (code byte included).
pub fn frame_len(prefix: [u8; 4], max_packet: usize) -> Result<usize, MilterError> {
    let len = u32::from_be_bytes(prefix) as usize;
    if len == 0 {
        return Err(MilterError::EmptyPacket);
    }
    if len > max_packet {
        return Err(MilterError::PacketTooLarge {
            len,
            max: max_packet,
        });
    }
    Ok(len)
}

/// A streaming decoder of MTA commands: push bytes as they arrive, take commands out.
///
/// Its buffer holds at most one partial packet beyond what was pushed; a length prefix
/// above the limit is an error as soon as its four bytes are in.
#[derive(Debug)]
pub struct Decoder {
    buf: Vec<u8>,
    /// Start of the unread bytes in `buf`: packets taken out only move this
    /// offset, so a burst of many small packets costs linear time.
    pos: usize,
    max_packet: usize,
}

impl Decoder {
    /// A decoder that refuses packets longer than `max_packet` bytes.
    pub fn new(max_packet: usize) -> Decoder {
        Decoder {
            buf: Vec::new(),
            pos: 0,
            max_packet,
        }
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole packet's payload, if one is buffered.
    pub fn next_packet(&mut self) -> Result<Option<Vec<u8>>, MilterError> {
        let unread = self.buf.get(self.pos..).unwrap_or_default();
        let Some(prefix) = unread.first_chunk::<4>() else {
            return Ok(None);
        };
        let len = frame_len(*prefix, self.max_packet)?;
        let Some(payload) = unread.get(4..4 + len) else {
            return Ok(None);
        };
        let payload = payload.to_vec();
        self.pos += 4 + len;
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        Ok(Some(payload))
    }

    /// The next decoded command, if a whole packet is buffered.
    pub fn next_command(&mut self) -> Result<Option<Command>, MilterError> {
        match self.next_packet()? {
            Some(p) => Command::decode(&p).map(Some),
            None => Ok(None),
        }
    }

    /// Bytes buffered but not yet decoded.
    pub fn buffered(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }
}

struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }
    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
    fn end(&self, what: &'static str) -> Result<(), MilterError> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err(MilterError::Malformed {
                what,
                reason: "trailing bytes",
            })
        }
    }
    fn take<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], MilterError> {
        let (head, tail) = self
            .data
            .split_first_chunk::<N>()
            .ok_or(MilterError::Malformed {
                what,
                reason: "truncated",
            })?;
        self.data = tail;
        Ok(*head)
    }
    fn u8(&mut self, what: &'static str) -> Result<u8, MilterError> {
        Ok(u8::from_be_bytes(self.take::<1>(what)?))
    }
    fn u16(&mut self, what: &'static str) -> Result<u16, MilterError> {
        Ok(u16::from_be_bytes(self.take::<2>(what)?))
    }
    fn u32(&mut self, what: &'static str) -> Result<u32, MilterError> {
        Ok(u32::from_be_bytes(self.take::<4>(what)?))
    }
    fn bytes_nul(&mut self, what: &'static str) -> Result<&'a [u8], MilterError> {
        let pos = self
            .data
            .iter()
            .position(|&b| b == 0)
            .ok_or(MilterError::Malformed {
                what,
                reason: "string without NUL terminator",
            })?;
        let (s, rest) = self.data.split_at(pos);
        self.data = rest.get(1..).unwrap_or(&[]);
        Ok(s)
    }
    fn string(&mut self, what: &'static str) -> Result<String, MilterError> {
        Ok(String::from_utf8_lossy(self.bytes_nul(what)?).into_owned())
    }
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
    start: usize,
}

impl<'a> Writer<'a> {
    fn start(out: &'a mut Vec<u8>) -> Self {
        let start = out.len();
        out.extend_from_slice(&[0, 0, 0, 0]);
        Writer { out, start }
    }
    fn code(&mut self, c: u8) {
        self.out.push(c);
    }
    fn u8(&mut self, v: u8) {
        self.out.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }
    fn raw(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }
    fn bytes_nul(&mut self, what: &'static str, b: &[u8]) -> Result<(), MilterError> {
        if b.contains(&0) {
            self.out.truncate(self.start);
            return Err(MilterError::InvalidValue {
                what,
                reason: "contains a NUL byte",
            });
        }
        self.out.extend_from_slice(b);
        self.out.push(0);
        Ok(())
    }
    fn string(&mut self, what: &'static str, s: &str) -> Result<(), MilterError> {
        self.bytes_nul(what, s.as_bytes())
    }
    fn finish(self) -> Result<(), MilterError> {
        let len = self.out.len() - self.start - 4;
        let len32 = u32::try_from(len).map_err(|_| MilterError::InvalidValue {
            what: "packet",
            reason: "longer than 4 GiB",
        })?;
        if let Some(prefix) = self.out.get_mut(self.start..self.start + 4) {
            prefix.copy_from_slice(&len32.to_be_bytes());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip_cmd(c: Command) {
        let mut out = Vec::new();
        c.encode(&mut out).unwrap();
        let mut d = Decoder::new(DEFAULT_MAX_PACKET);
        d.push(&out);
        assert_eq!(d.next_command().unwrap(), Some(c));
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn commands_roundtrip() {
        roundtrip_cmd(Command::OptNeg(OptNeg {
            version: 6,
            actions: Actions(0x1ff),
            protocol: ProtocolFlags(0x1f_ffff),
            macros: vec![],
        }));
        roundtrip_cmd(Command::Connect(Connect {
            hostname: "mx.example".into(),
            family: Family::Inet4,
            port: 25,
            address: "192.0.2.1".into(),
        }));
        roundtrip_cmd(Command::Connect(Connect {
            hostname: "unknown".into(),
            family: Family::Unknown,
            port: 0,
            address: String::new(),
        }));
        roundtrip_cmd(Command::Mail(EnvelopeAddress {
            address: "<a@b>".into(),
            args: vec!["SIZE=10".into(), "BODY=8BITMIME".into()],
        }));
        roundtrip_cmd(Command::Header {
            name: "Subject".into(),
            value: b" hi\n\tthere".to_vec(),
        });
        roundtrip_cmd(Command::Macro {
            stage: b'C',
            macros: vec![
                ("j".into(), "mx".into()),
                ("{client_addr}".into(), "1.2.3.4".into()),
            ],
        });
        roundtrip_cmd(Command::Body(vec![0, 1, 2, 255]));
        roundtrip_cmd(Command::EndOfMessage(vec![]));
        roundtrip_cmd(Command::Unknown("XYZZY".into()));
    }

    #[test]
    fn connect_ip_variants() {
        let mut c = Connect {
            hostname: "h".into(),
            family: Family::Inet6,
            port: 1,
            address: "IPv6:2001:db8::1".into(),
        };
        assert_eq!(c.ip(), "2001:db8::1".parse().ok());
        c.address = "2001:db8::2".into();
        assert_eq!(c.ip(), "2001:db8::2".parse().ok());
        c.family = Family::Unix;
        assert_eq!(c.ip(), None);
    }

    #[test]
    fn oversized_length_is_refused_before_allocation() {
        let mut d = Decoder::new(1024);
        d.push(&[0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(
            d.next_packet(),
            Err(MilterError::PacketTooLarge { .. })
        ));
        let mut d = Decoder::new(1024);
        d.push(&[0, 0, 0, 0]);
        assert!(matches!(d.next_packet(), Err(MilterError::EmptyPacket)));
    }

    #[test]
    fn replycode_validation() {
        assert!(ReplyCode::new(550, Some("5.7.1"), "no").is_ok());
        assert!(ReplyCode::new(451, Some("4.7.1"), "later").is_ok());
        assert!(ReplyCode::new(250, None, "ok").is_err());
        assert!(ReplyCode::new(550, Some("4.7.1"), "mismatch").is_err());
        assert!(ReplyCode::new(550, Some("5.7"), "short").is_err());
        assert!(ReplyCode::new(550, None, "a\r\nb").is_err());
        let r = ReplyCode::new(554, Some("5.7.0"), "spam detected").unwrap();
        assert_eq!(r.line(), "554 5.7.0 spam detected");
        let mut out = Vec::new();
        Response::ReplyCode(r.clone()).encode(&mut out).unwrap();
        assert_eq!(&out[4..], b"y554 5.7.0 spam detected\0");
        assert_eq!(Response::decode(&out[4..]).unwrap(), Response::ReplyCode(r));
    }

    #[test]
    fn replycode_wire_form() {
        let r = ReplyCode::new(550, Some("5.7.1"), "100% spam").unwrap();
        let mut out = Vec::new();
        Response::ReplyCode(r.clone()).encode(&mut out).unwrap();
        assert_eq!(&out[4..], b"y550 5.7.1 100%% spam\0");
        assert_eq!(Response::decode(&out[4..]).unwrap(), Response::ReplyCode(r));
        let bare = ReplyCode::new(451, None, "").unwrap();
        let mut out = Vec::new();
        Response::ReplyCode(bare.clone()).encode(&mut out).unwrap();
        assert_eq!(&out[4..], b"y451 \0");
        assert_eq!(
            Response::decode(&out[4..]).unwrap(),
            Response::ReplyCode(bare)
        );
    }

    #[test]
    fn body_chunks_are_bounded() {
        let body = vec![b'x'; MAX_BODY_CHUNK * 2 + 10];
        let chunks = Response::replace_body_chunks(&body);
        assert_eq!(chunks.len(), 3);
        assert!(
            Response::ReplaceBody(vec![0; MAX_BODY_CHUNK + 1])
                .encode(&mut Vec::new())
                .is_err()
        );
    }

    #[test]
    fn nul_in_strings_is_refused_and_output_untouched() {
        let mut out = vec![1, 2, 3];
        let r = Response::AddHeader {
            name: "X".into(),
            value: "a\0b".into(),
        };
        assert!(r.encode(&mut out).is_err());
        assert_eq!(out, vec![1, 2, 3]);
    }

    #[test]
    fn optneg_reply_with_macros_roundtrips() {
        let r = Response::OptNeg(OptNeg {
            version: 6,
            actions: Actions::ADD_HEADERS | Actions::QUARANTINE,
            protocol: ProtocolFlags::NR_HEADER,
            macros: vec![(MacroStage::EnvFrom, "{auth_authen} i".into())],
        });
        let mut out = Vec::new();
        r.encode(&mut out).unwrap();
        assert_eq!(Response::decode(&out[4..]).unwrap(), r);
    }
}
