//! Global options and what every command shares.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::Context as _;
use clap::Args;
use mailsec::dns::{Resolver, StaticResolver};

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct Globals {
    /// Answer DNS from this zone file (RFC 1035 syntax) instead of the system's DNS.
    #[arg(long, global = true, value_name = "ZONEFILE")]
    dns: Option<PathBuf>,
    /// Serve the --dns zone's answers as DNSSEC-authenticated (for DANE tests).
    #[arg(long, global = true, requires = "dns")]
    dns_secure: bool,
    /// Fix the clock (RFC 3339, e.g. 2026-11-27T12:00:00Z) for reproducible runs.
    #[arg(long, global = true, value_name = "RFC3339")]
    now: Option<String>,
    /// TOML configuration: thresholds, weights, stores and limits.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The name of this server in Authentication-Results (default: the host name).
    #[arg(long, global = true, value_name = "NAME")]
    authserv_id: Option<String>,
}

/// What commands share: the clock, the resolver, the configuration.
pub(crate) struct Ctx {
    globals: Globals,
    now: SystemTime,
}

impl Ctx {
    pub(crate) fn new(globals: Globals) -> anyhow::Result<Self> {
        let now = match &globals.now {
            Some(text) => parse_rfc3339(text)?,
            None => SystemTime::now(),
        };
        Ok(Ctx { globals, now })
    }

    /// The time checks are judged at (`--now`, or the system clock).
    pub(crate) fn now(&self) -> SystemTime {
        self.now
    }

    /// The `--now` time, when one was given.
    pub(crate) fn fixed_now(&self) -> Option<SystemTime> {
        self.globals.now.as_ref().map(|_| self.now)
    }

    /// The configuration file given with `--config`, if any.
    pub(crate) fn config_path(&self) -> Option<&std::path::Path> {
        self.globals.config.as_deref()
    }

    /// The resolver: the static one over `--dns`, else the system's DNS.
    pub(crate) fn resolver(&self) -> anyhow::Result<Arc<dyn Resolver>> {
        match &self.globals.dns {
            Some(path) => {
                let mut dns = StaticResolver::from_zone_file(path)
                    .with_context(|| format!("cannot load --dns {}", path.display()))?;
                dns.set_all_secure(self.globals.dns_secure);
                Ok(Arc::new(dns))
            }
            None => Ok(Arc::new(
                mailsec::dns::HickoryResolver::from_system_conf()
                    .context("cannot read the system's DNS configuration")?,
            )),
        }
    }

    /// The parse limits: the `[limits]` table of `--config`, else the defaults.
    pub(crate) fn limits(&self) -> anyhow::Result<mailsec::ParseLimits> {
        let Some(path) = self.config_path() else {
            return Ok(mailsec::ParseLimits::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read --config {}", path.display()))?;
        let file: toml::Table = toml::from_str(&text)
            .with_context(|| format!("--config {} is not valid TOML", path.display()))?;
        match file.get("limits") {
            Some(table) => table
                .clone()
                .try_into()
                .with_context(|| format!("--config {}: bad [limits] table", path.display())),
            None => Ok(mailsec::ParseLimits::default()),
        }
    }

    /// The spam scorer: the shipped weights with the `[spam]` table of `--config` over them.
    pub(crate) fn scorer(&self) -> anyhow::Result<mailsec_spam::Scorer> {
        let config = match self.config_path() {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read --config {}", path.display()))?;
                mailsec_spam::Config::from_mailsec_toml(&text)
                    .with_context(|| format!("--config {}: bad [spam] table", path.display()))?
            }
            None => mailsec_spam::Config::default(),
        };
        Ok(mailsec_spam::Scorer::new(config))
    }

    /// The pipeline every message-checking command runs: resolver, limits,
    /// authserv-id and spam weights from the global options, and the token
    /// store at `db` or `redis` (else the default location).
    pub(crate) fn pipeline(
        &self,
        db: Option<&std::path::Path>,
        redis: Option<&str>,
    ) -> anyhow::Result<mailsec::Pipeline> {
        let location = mailsec_spam::StoreLocation::from_args(db, redis);
        let store = location
            .open()
            .with_context(|| format!("cannot open the token store {location}"))?;
        let mut builder = mailsec::Pipeline::builder(self.resolver()?)
            .limits(self.limits()?)
            .authserv_id(self.authserv_id())
            .scorer(self.scorer()?)
            .token_store(Arc::from(store));
        if let Some(keyring) = self.keyring()? {
            builder = builder.keyring(keyring);
        }
        builder
            .build()
            .context("cannot load the link checker's data")
    }

    /// Known senders' certificates: `keyring = [FILE, ...]` in the
    /// `[pipeline]` table of `--config` (each file one or more certificates,
    /// indexed by their user ids' addresses).
    fn keyring(&self) -> anyhow::Result<Option<mailsec::Keyring>> {
        #[derive(serde::Deserialize, Default)]
        #[serde(default, deny_unknown_fields)]
        struct PipelineTable {
            keyring: Vec<PathBuf>,
        }
        let Some(path) = self.config_path() else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read --config {}", path.display()))?;
        let file: toml::Table = toml::from_str(&text)
            .with_context(|| format!("--config {} is not valid TOML", path.display()))?;
        let table: PipelineTable = match file.get("pipeline") {
            Some(t) => t
                .clone()
                .try_into()
                .with_context(|| format!("--config {}: bad [pipeline] table", path.display()))?,
            None => return Ok(None),
        };
        if table.keyring.is_empty() {
            return Ok(None);
        }
        let mut keyring = mailsec::Keyring::new();
        for file in &table.keyring {
            let bytes = std::fs::read(file)
                .with_context(|| format!("cannot read the certificate {}", file.display()))?;
            for cert in mailsec::pgp::read_certs(&bytes)
                .with_context(|| format!("unusable certificate {}", file.display()))?
            {
                keyring.add(cert);
            }
        }
        Ok(Some(keyring))
    }

    /// The authserv-id for Authentication-Results.
    pub(crate) fn authserv_id(&self) -> String {
        self.globals.authserv_id.clone().unwrap_or_else(host_name)
    }

    /// A runtime for the async checks.
    pub(crate) fn runtime(&self) -> anyhow::Result<tokio::runtime::Runtime> {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")
    }
}

fn parse_rfc3339(text: &str) -> anyhow::Result<SystemTime> {
    let t = chrono::DateTime::parse_from_rfc3339(text)
        .with_context(|| format!("--now {text:?} is not an RFC 3339 time"))?;
    Ok(SystemTime::from(t))
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Reads a file's bytes as they are (`-` for standard input).
pub(crate) fn read_input(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .context("cannot read standard input")?;
        Ok(buf)
    } else {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
    }
}

/// Reads a message file (`-` for standard input) and makes its line endings CRLF.
pub(crate) fn read_message(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    Ok(into_crlf(read_input(path)?))
}

/// `raw` with CRLF line ends ([`mailsec::to_crlf`]), not copied when it has them already.
pub(crate) fn into_crlf(raw: Vec<u8>) -> Vec<u8> {
    match mailsec::to_crlf(&raw) {
        std::borrow::Cow::Borrowed(_) => raw,
        std::borrow::Cow::Owned(crlf) => crlf,
    }
}

pub(crate) fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .context("cannot write to standard output")?;
    out.flush().context("cannot write to standard output")
}
