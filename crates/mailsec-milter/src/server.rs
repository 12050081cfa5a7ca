//! The tokio milter server: sockets, limits, timeouts and graceful shutdown around [`Session`].

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, interval_at, sleep, timeout};
use tracing::{debug, info, warn};

use crate::error::MilterError;
use crate::message::{Action, Envelope, Verdict};
use crate::protocol::{Command, DEFAULT_MAX_PACKET, Response, frame_len};
use crate::session::{Session, SessionConfig, Step};

/// The check a milter serves: called once per complete message.
///
/// `message` is the message as the MTA received it: headers as received (CRLF line ends),
/// a blank line, then the body, so the handler can parse it once.
#[async_trait]
pub trait MessageHandler: Send + Sync {
    /// Decides what happens to one message.
    async fn on_message(&self, envelope: &Envelope, message: &[u8]) -> Verdict;
}

#[async_trait]
impl<T: MessageHandler + ?Sized> MessageHandler for Arc<T> {
    async fn on_message(&self, envelope: &Envelope, message: &[u8]) -> Verdict {
        (**self).on_message(envelope, message).await
    }
}

/// Where the milter listens: `HOST:PORT` (also `inet:HOST:PORT`) or `unix:PATH`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListenAddr {
    /// A TCP address.
    Tcp(SocketAddr),
    /// A Unix socket path.
    Unix(PathBuf),
}

impl FromStr for ListenAddr {
    type Err = MilterError;
    fn from_str(s: &str) -> Result<ListenAddr, MilterError> {
        let bad = || MilterError::InvalidListenAddr { addr: s.to_owned() };
        if let Some(path) = s.strip_prefix("unix:").or_else(|| s.strip_prefix("local:")) {
            if path.is_empty() {
                return Err(bad());
            }
            return Ok(ListenAddr::Unix(PathBuf::from(path)));
        }
        let hostport = s.strip_prefix("inet:").unwrap_or(s);
        // Postfix writes inet:PORT@HOST too.
        let hostport = match hostport.split_once('@') {
            Some((port, host)) => format!("{host}:{port}"),
            None => hostport.to_owned(),
        };
        hostport
            .parse::<SocketAddr>()
            .map(ListenAddr::Tcp)
            .map_err(|_| bad())
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddr::Tcp(a) => write!(f, "{a}"),
            ListenAddr::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// Server settings. Build with [`MilterConfig::new`] and the `with_*` methods.
#[derive(Clone, Debug)]
pub struct MilterConfig {
    listen: ListenAddr,
    max_connections: usize,
    max_packet: usize,
    idle_timeout: Duration,
    read_timeout: Duration,
    write_timeout: Duration,
    handler_timeout: Duration,
    progress_interval: Duration,
    shutdown_grace: Duration,
    unix_socket_mode: u32,
    session: SessionConfig,
}

impl MilterConfig {
    /// Defaults: 256 connections, 256 KiB packets, 32 MiB messages (oversize → tempfail),
    /// 10 min idle, 30 s read/write, 240 s handler timeout with progress every 10 s,
    /// 30 s shutdown grace, Unix socket mode 0660.
    pub fn new(listen: ListenAddr) -> MilterConfig {
        MilterConfig {
            listen,
            max_connections: 256,
            max_packet: DEFAULT_MAX_PACKET,
            idle_timeout: Duration::from_secs(600),
            read_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            handler_timeout: Duration::from_secs(240),
            progress_interval: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(30),
            unix_socket_mode: 0o660,
            session: SessionConfig::default(),
        }
    }
    /// Most connections served at once; further ones wait in the listen backlog.
    #[must_use]
    pub fn with_max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }
    /// Largest packet accepted (code byte and data); larger ones close the connection.
    /// At least 65,540 bytes so Postfix's 64 KiB body chunks fit.
    #[must_use]
    pub fn with_max_packet(mut self, n: usize) -> Self {
        self.max_packet = n.max(65_540);
        self
    }
    /// Longest wait for the next command between packets.
    #[must_use]
    pub fn with_idle_timeout(mut self, d: Duration) -> Self {
        self.idle_timeout = d;
        self
    }
    /// Longest wait for the rest of a packet once it started.
    #[must_use]
    pub fn with_read_timeout(mut self, d: Duration) -> Self {
        self.read_timeout = d;
        self
    }
    /// Longest wait for a response to be written.
    #[must_use]
    pub fn with_write_timeout(mut self, d: Duration) -> Self {
        self.write_timeout = d;
        self
    }
    /// Longest time the handler may take on one message; past it the message is tempfailed.
    #[must_use]
    pub fn with_handler_timeout(mut self, d: Duration) -> Self {
        self.handler_timeout = d;
        self
    }
    /// How often to tell the MTA the handler is still working (`SMFIR_PROGRESS`).
    #[must_use]
    pub fn with_progress_interval(mut self, d: Duration) -> Self {
        self.progress_interval = d.max(Duration::from_millis(10));
        self
    }
    /// How long in-flight messages may take to finish after shutdown starts.
    #[must_use]
    pub fn with_shutdown_grace(mut self, d: Duration) -> Self {
        self.shutdown_grace = d;
        self
    }
    /// Permission bits of a Unix listening socket.
    #[must_use]
    pub fn with_unix_socket_mode(mut self, mode: u32) -> Self {
        self.unix_socket_mode = mode & 0o777;
        self
    }
    /// Protocol-level settings (message size cap and oversize action, no-reply, macros).
    #[must_use]
    pub fn with_session(mut self, session: SessionConfig) -> Self {
        self.session = session;
        self
    }
    /// The listen address.
    pub fn listen(&self) -> &ListenAddr {
        &self.listen
    }
    /// The protocol-level settings.
    pub fn session(&self) -> &SessionConfig {
        &self.session
    }
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

/// A bound milter server. [`MilterServer::serve`] runs it until a shutdown future completes.
pub struct MilterServer {
    config: Arc<MilterConfig>,
    handler: Arc<dyn MessageHandler>,
    listener: Listener,
}

impl fmt::Debug for MilterServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MilterServer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl MilterServer {
    /// Binds the listening socket (a stale Unix socket file is replaced).
    pub async fn bind(
        config: MilterConfig,
        handler: Arc<dyn MessageHandler>,
    ) -> Result<MilterServer, MilterError> {
        let listener = match &config.listen {
            ListenAddr::Tcp(a) => Listener::Tcp(TcpListener::bind(a).await?),
            ListenAddr::Unix(p) => {
                use std::os::unix::fs::{FileTypeExt, PermissionsExt};
                if let Ok(meta) = std::fs::symlink_metadata(p)
                    && meta.file_type().is_socket()
                {
                    std::fs::remove_file(p)?;
                }
                let l = UnixListener::bind(p)?;
                std::fs::set_permissions(
                    p,
                    std::fs::Permissions::from_mode(config.unix_socket_mode),
                )?;
                Listener::Unix(l, p.clone())
            }
        };
        info!(listen = %config.listen, "milter listening");
        Ok(MilterServer {
            config: Arc::new(config),
            handler,
            listener,
        })
    }

    /// The bound TCP address (useful with port 0), or `None` for a Unix socket.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match &self.listener {
            Listener::Tcp(l) => l.local_addr().ok(),
            Listener::Unix(..) => None,
        }
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully.
    pub async fn serve_until_signal(self) -> Result<(), MilterError> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        self.serve(async move {
            tokio::select! {
                _ = term.recv() => info!("SIGTERM received"),
                _ = int.recv() => info!("SIGINT received"),
            }
        })
        .await
    }

    /// Serves until `shutdown` completes; then stops accepting, lets in-flight messages
    /// finish (up to the shutdown grace) and returns.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> Result<(), MilterError> {
        let MilterServer {
            config,
            handler,
            listener,
        } = self;
        let sem = Arc::new(Semaphore::new(config.max_connections));
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            while let Some(done) = tasks.try_join_next() {
                if let Err(e) = done {
                    warn!(error = %e, "milter connection task failed");
                }
            }
            let permit = tokio::select! {
                biased;
                () = &mut shutdown => break,
                p = Arc::clone(&sem).acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => break,
                },
            };
            let accepted = tokio::select! {
                biased;
                () = &mut shutdown => break,
                a = accept(&listener) => a,
            };
            match accepted {
                Ok((stream, peer)) => {
                    let config = Arc::clone(&config);
                    let handler = Arc::clone(&handler);
                    let stop = stop_rx.clone();
                    let span = tracing::info_span!("milter_conn", %peer);
                    tasks.spawn(tracing::Instrument::instrument(
                        async move {
                            let _permit = permit;
                            debug!("milter connection");
                            let r = match stream {
                                Stream::Tcp(s) => connection(s, &*handler, &config, stop).await,
                                Stream::Unix(s) => connection(s, &*handler, &config, stop).await,
                            };
                            match r {
                                Ok(()) => debug!("milter connection closed"),
                                Err(e) => warn!(error = %e, "milter connection ended"),
                            }
                        },
                        span,
                    ));
                }
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    warn!(error = %e, "accept failed");
                    sleep(Duration::from_millis(100)).await;
                }
            }
        }
        info!(
            in_flight = tasks.len(),
            "milter shutting down: no new connections"
        );
        let path = match listener {
            Listener::Tcp(l) => {
                drop(l);
                None
            }
            Listener::Unix(l, p) => {
                drop(l);
                Some(p)
            }
        };
        let _ = stop_tx.send(true);
        let drained = timeout(config.shutdown_grace, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            warn!(
                left = tasks.len(),
                "shutdown grace over; closing remaining connections"
            );
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
        if let Some(p) = path {
            let _ = std::fs::remove_file(p);
        }
        info!("milter stopped");
        Ok(())
    }
}

enum Stream {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

async fn accept(l: &Listener) -> std::io::Result<(Stream, String)> {
    match l {
        Listener::Tcp(l) => {
            let (s, a) = l.accept().await?;
            let _ = s.set_nodelay(true);
            Ok((Stream::Tcp(s), a.to_string()))
        }
        Listener::Unix(l, p) => {
            let (s, _) = l.accept().await?;
            Ok((Stream::Unix(s), format!("unix:{}", p.display())))
        }
    }
}

/// Reads one packet payload; `None` on a clean end of stream between packets.
async fn read_packet<R: AsyncRead + Unpin>(
    rd: &mut R,
    config: &MilterConfig,
) -> Result<Option<Vec<u8>>, MilterError> {
    let mut prefix = [0u8; 4];
    let first = timeout(config.idle_timeout, rd.read(&mut prefix[..1]))
        .await
        .map_err(|_| MilterError::Timeout {
            after: config.idle_timeout,
        })??;
    if first == 0 {
        return Ok(None);
    }
    let rt = config.read_timeout;
    timeout(rt, rd.read_exact(&mut prefix[1..]))
        .await
        .map_err(|_| MilterError::Timeout { after: rt })??;
    let len = frame_len(prefix, config.max_packet)?;
    let mut buf = vec![0u8; len];
    timeout(rt, rd.read_exact(&mut buf))
        .await
        .map_err(|_| MilterError::Timeout { after: rt })??;
    Ok(Some(buf))
}

async fn write_responses<W: AsyncWrite + Unpin>(
    wr: &mut W,
    responses: &[Response],
    config: &MilterConfig,
) -> Result<(), MilterError> {
    if responses.is_empty() {
        return Ok(());
    }
    let mut out = Vec::new();
    for r in responses {
        r.encode(&mut out)?;
    }
    let wt = config.write_timeout;
    timeout(wt, async {
        wr.write_all(&out).await?;
        wr.flush().await
    })
    .await
    .map_err(|_| MilterError::Timeout { after: wt })??;
    Ok(())
}

async fn connection<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    handler: &dyn MessageHandler,
    config: &MilterConfig,
    mut stop: watch::Receiver<bool>,
) -> Result<(), MilterError> {
    let (mut rd, mut wr) = tokio::io::split(stream);
    let mut session = Session::new(config.session.clone());
    loop {
        let packet = if session.in_message() {
            read_packet(&mut rd, config).await?
        } else {
            tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => {
                    debug!("shutdown: closing idle milter connection");
                    return Ok(());
                }
                p = read_packet(&mut rd, config) => p?,
            }
        };
        let Some(packet) = packet else {
            return Ok(());
        };
        let cmd = Command::decode(&packet)?;
        match session.handle(cmd)? {
            Step::Reply(r) => write_responses(&mut wr, &r, config).await?,
            Step::Close => return Ok(()),
            Step::Message => {
                let verdict = run_handler(&session, handler, &mut wr, config).await?;
                let env = session.envelope();
                info!(
                    queue_id = env.queue_id().unwrap_or("-"),
                    client = %env.client_ip().map(|i| i.to_string()).unwrap_or_else(|| "-".into()),
                    from = env.mail_from().map(|m| m.bare()).unwrap_or("-"),
                    rcpts = env.rcpts().len(),
                    size = session.message().len(),
                    action = action_word(verdict.action()),
                    edits = verdict.header_edits().len(),
                    "milter verdict"
                );
                let responses = session.verdict_responses(&verdict);
                write_responses(&mut wr, &responses, config).await?;
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
}

fn action_word(a: &Action) -> &'static str {
    match a {
        Action::Accept => "accept",
        Action::Reject(_) => "reject",
        Action::Tempfail(_) => "tempfail",
        Action::Discard => "discard",
        Action::Quarantine(_) => "quarantine",
        #[allow(unreachable_patterns)]
        _ => "other",
    }
}

async fn run_handler<W: AsyncWrite + Unpin>(
    session: &Session,
    handler: &dyn MessageHandler,
    wr: &mut W,
    config: &MilterConfig,
) -> Result<Verdict, MilterError> {
    let fut = handler.on_message(session.envelope(), session.message());
    tokio::pin!(fut);
    let start = Instant::now();
    let mut ticks = interval_at(start + config.progress_interval, config.progress_interval);
    let deadline = sleep(config.handler_timeout);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            v = &mut fut => return Ok(v),
            _ = ticks.tick() => write_responses(wr, &[Response::Progress], config).await?,
            () = &mut deadline => {
                warn!(after = ?config.handler_timeout, "handler timed out; tempfailing the message");
                return Verdict::tempfail(451, Some("4.3.0"), "content check timed out");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses() {
        assert_eq!(
            "127.0.0.1:8891".parse::<ListenAddr>().unwrap(),
            ListenAddr::Tcp("127.0.0.1:8891".parse().unwrap())
        );
        assert_eq!(
            "inet:127.0.0.1:8891".parse::<ListenAddr>().unwrap(),
            ListenAddr::Tcp("127.0.0.1:8891".parse().unwrap())
        );
        assert_eq!(
            "inet:8891@127.0.0.1".parse::<ListenAddr>().unwrap(),
            ListenAddr::Tcp("127.0.0.1:8891".parse().unwrap())
        );
        assert_eq!(
            "[::1]:25".parse::<ListenAddr>().unwrap(),
            ListenAddr::Tcp("[::1]:25".parse().unwrap())
        );
        assert_eq!(
            "unix:/run/m.sock".parse::<ListenAddr>().unwrap(),
            ListenAddr::Unix("/run/m.sock".into())
        );
        assert!("unix:".parse::<ListenAddr>().is_err());
        assert!("localhost".parse::<ListenAddr>().is_err());
        assert_eq!(
            ListenAddr::Unix("/x".into()).to_string(),
            "unix:/x".to_owned()
        );
    }
}
