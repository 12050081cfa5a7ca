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
    #[allow(dead_code)]
    pub(crate) fn now(&self) -> SystemTime {
        self.now
    }

    /// The configuration file given with `--config`, if any.
    #[allow(dead_code)]
    pub(crate) fn config_path(&self) -> Option<&std::path::Path> {
        self.globals.config.as_deref()
    }

    /// The resolver: the static one over `--dns`, else the system's DNS.
    #[allow(dead_code)]
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

    /// The authserv-id for Authentication-Results.
    #[allow(dead_code)]
    pub(crate) fn authserv_id(&self) -> String {
        self.globals.authserv_id.clone().unwrap_or_else(host_name)
    }

    /// A runtime for the async checks.
    #[allow(dead_code)]
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

/// The error of a sub-command whose issue has not landed yet.
pub(crate) fn not_yet(what: &str) -> anyhow::Error {
    anyhow::anyhow!("`mailsec {what}` is not yet available in this release")
}
