//! A test MTA: speaks the MTA side of the milter protocol over a socket, with the crate's codec.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    dead_code,
    unreachable_pub
)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailsec_milter::protocol::{
    Actions, Command, Connect, EnvelopeAddress, Family, OptNeg, ProtocolFlags, frame_len,
};
use mailsec_milter::{
    Envelope, HeaderEdit, MessageHandler, MilterConfig, MilterServer, Response, Verdict,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const ALL_ACTIONS: Actions = Actions(0x1ff);
pub const ALL_PROTOCOL: ProtocolFlags = ProtocolFlags(0x1f_ffff);

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub struct Mta {
    io: Box<dyn Io>,
    pub negotiated: Option<OptNeg>,
}

pub fn is_final(r: &Response) -> bool {
    matches!(
        r,
        Response::Accept
            | Response::Continue
            | Response::Reject
            | Response::Tempfail
            | Response::Discard
            | Response::ReplyCode(_)
            | Response::ConnFail
            | Response::Shutdown
    )
}

impl Mta {
    pub async fn connect(addr: SocketAddr) -> Mta {
        let s = tokio::net::TcpStream::connect(addr).await.unwrap();
        Mta {
            io: Box::new(s),
            negotiated: None,
        }
    }

    pub async fn connect_unix(path: &std::path::Path) -> Mta {
        let s = tokio::net::UnixStream::connect(path).await.unwrap();
        Mta {
            io: Box::new(s),
            negotiated: None,
        }
    }

    pub async fn send(&mut self, cmd: &Command) {
        let mut out = Vec::new();
        cmd.encode(&mut out).unwrap();
        self.io.write_all(&out).await.unwrap();
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.io.write_all(bytes).await
    }

    /// The next response, or `None` when the milter closed the connection.
    pub async fn try_recv(&mut self, wait: Duration) -> Result<Option<Response>, &'static str> {
        let mut prefix = [0u8; 4];
        match tokio::time::timeout(wait, self.io.read_exact(&mut prefix)).await {
            Err(_) => return Err("timeout"),
            Ok(Err(_)) => return Ok(None),
            Ok(Ok(_)) => {}
        }
        let len = frame_len(prefix, 1 << 20).unwrap();
        let mut buf = vec![0; len];
        self.io.read_exact(&mut buf).await.unwrap();
        Ok(Some(Response::decode(&buf).unwrap()))
    }

    pub async fn recv(&mut self) -> Response {
        self.try_recv(Duration::from_secs(10))
            .await
            .expect("response in time")
            .expect("connection open")
    }

    /// Whether the milter closed the connection (EOF) within `wait`.
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        let mut b = [0u8; 1];
        matches!(
            tokio::time::timeout(wait, self.io.read(&mut b)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }

    pub async fn negotiate_with(
        &mut self,
        version: u32,
        actions: Actions,
        protocol: ProtocolFlags,
    ) -> OptNeg {
        self.send(&Command::OptNeg(OptNeg {
            version,
            actions,
            protocol,
            macros: vec![],
        }))
        .await;
        match self.recv().await {
            Response::OptNeg(o) => {
                self.negotiated = Some(o.clone());
                o
            }
            other => panic!("expected optneg, got {other:?}"),
        }
    }

    pub async fn negotiate(&mut self) -> OptNeg {
        self.negotiate_with(6, ALL_ACTIONS, ALL_PROTOCOL).await
    }

    fn no_reply(&self, flag: ProtocolFlags) -> bool {
        self.negotiated
            .as_ref()
            .map(|o| o.protocol.contains(flag))
            .unwrap_or(false)
    }

    /// Sends a command and, unless the milter negotiated no reply for it, expects `continue`.
    pub async fn step(&mut self, cmd: Command, nr: ProtocolFlags) {
        self.send(&cmd).await;
        if !self.no_reply(nr) {
            let r = self.recv().await;
            assert_eq!(r, Response::Continue, "reply to {}", cmd.name());
        }
    }

    pub async fn macros(&mut self, stage: u8, pairs: &[(&str, &str)]) {
        self.send(&Command::Macro {
            stage,
            macros: pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        })
        .await;
    }

    pub async fn connect_helo(&mut self, ip: &str, helo: &str) {
        self.macros(b'C', &[("j", "mx.test"), ("{client_addr}", ip)])
            .await;
        self.step(
            Command::Connect(Connect {
                hostname: format!("[{ip}]"),
                family: if ip.contains(':') {
                    Family::Inet6
                } else {
                    Family::Inet4
                },
                port: 40000,
                address: ip.to_owned(),
            }),
            ProtocolFlags::NR_CONNECT,
        )
        .await;
        self.step(Command::Helo(helo.to_owned()), ProtocolFlags::NR_HELO)
            .await;
    }

    /// MAIL .. headers .. body (not EOM).
    pub async fn start_message(
        &mut self,
        queue_id: &str,
        auth: Option<&str>,
        from: &str,
        rcpts: &[&str],
        headers: &[(&str, &str)],
        body: &[u8],
    ) {
        let mut m = vec![("i", queue_id), ("{mail_addr}", from)];
        if let Some(a) = auth {
            m.push(("{auth_authen}", a));
        }
        self.macros(b'M', &m).await;
        self.step(
            Command::Mail(EnvelopeAddress {
                address: format!("<{from}>"),
                args: vec!["BODY=8BITMIME".into()],
            }),
            ProtocolFlags::NR_MAIL,
        )
        .await;
        for r in rcpts {
            self.macros(b'R', &[("{rcpt_addr}", r)]).await;
            self.step(
                Command::Rcpt(EnvelopeAddress {
                    address: format!("<{r}>"),
                    args: vec![],
                }),
                ProtocolFlags::NR_RCPT,
            )
            .await;
        }
        self.step(Command::Data, ProtocolFlags::NR_DATA).await;
        let lead = self.no_reply(ProtocolFlags::HEADER_LEADING_SPACE);
        for (n, v) in headers {
            let value = if lead {
                format!(" {v}")
            } else {
                (*v).to_owned()
            };
            self.step(
                Command::Header {
                    name: (*n).to_owned(),
                    value: value.into_bytes(),
                },
                ProtocolFlags::NR_HEADER,
            )
            .await;
        }
        self.step(Command::EndOfHeaders, ProtocolFlags::NR_EOH)
            .await;
        for chunk in body.chunks(65535) {
            self.step(Command::Body(chunk.to_vec()), ProtocolFlags::NR_BODY)
                .await;
        }
    }

    /// Sends end of message; returns every response up to and including the final one.
    pub async fn eom(&mut self) -> Vec<Response> {
        self.macros(b'E', &[("i", "EOM")]).await;
        self.send(&Command::EndOfMessage(vec![])).await;
        let mut out = Vec::new();
        loop {
            let r = self.recv().await;
            let fin = is_final(&r);
            out.push(r);
            if fin {
                return out;
            }
        }
    }

    pub async fn message(
        &mut self,
        queue_id: &str,
        subject: &str,
        rcpts: &[&str],
        body: &[u8],
    ) -> Vec<Response> {
        self.start_message(
            queue_id,
            None,
            "sender@example.org",
            rcpts,
            &[("From", "sender@example.org"), ("Subject", subject)],
            body,
        )
        .await;
        self.eom().await
    }
}

/// What the handler saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub envelope: Envelope,
    pub message: Vec<u8>,
}

/// A handler that decides by Subject marker and records what it saw.
#[derive(Default)]
pub struct Recorder {
    pub seen: Mutex<Vec<Seen>>,
    pub delay: Duration,
}

fn subject_of(message: &[u8]) -> String {
    let text = String::from_utf8_lossy(message);
    text.lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix("Subject:"))
        .unwrap_or("")
        .trim()
        .to_owned()
}

#[async_trait::async_trait]
impl MessageHandler for Recorder {
    async fn on_message(&self, envelope: &Envelope, message: &[u8]) -> Verdict {
        self.seen.lock().unwrap().push(Seen {
            envelope: envelope.clone(),
            message: message.to_vec(),
        });
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        let s = subject_of(message);
        match s.as_str() {
            "reject" => Verdict::reject(550, Some("5.7.1"), "go away").unwrap(),
            "tempfail" => Verdict::tempfail(451, Some("4.7.1"), "later").unwrap(),
            "discard" => Verdict::discard(),
            "quarantine" => {
                Verdict::quarantine("suspicious").edit(HeaderEdit::add("X-Q", "1").unwrap())
            }
            "replace" => Verdict::accept().replace_body(vec![b'z'; 150_000]),
            "edits" => Verdict::accept()
                .edit(HeaderEdit::insert(0, "Authentication-Results", "mx.test; none").unwrap())
                .edit(HeaderEdit::add("X-Spam-Score", "1.5\r\n\tfolded").unwrap())
                .edit(HeaderEdit::change("Subject", 1, "changed").unwrap())
                .edit(HeaderEdit::delete("X-Old", 2).unwrap()),
            _ => Verdict::accept(),
        }
    }
}

pub struct Running {
    pub addr: SocketAddr,
    pub stop: Option<oneshot::Sender<()>>,
    pub task: JoinHandle<()>,
}

impl Running {
    pub async fn shutdown(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("server stops in time")
            .unwrap();
    }
}

pub async fn start(config: MilterConfig, handler: Arc<dyn MessageHandler>) -> Running {
    let server = MilterServer::bind(config, handler).await.unwrap();
    let addr = server.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        server
            .serve(async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    Running {
        addr,
        stop: Some(tx),
        task,
    }
}

pub fn local_config() -> MilterConfig {
    MilterConfig::new("127.0.0.1:0".parse().unwrap())
}
