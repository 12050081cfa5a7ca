//! Where a token store lives, as a command line or configuration names it.

use std::path::{Path, PathBuf};

use super::TokenStore;
use crate::SpamError;

/// A token store's location: a redb file or a Redis server.
///
/// `Debug` hides the user and password of a Redis URL (`redis://user:pw@host/`).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreLocation {
    /// A redb file.
    Redb(PathBuf),
    /// A Redis URL (`redis://127.0.0.1:6379/`).
    Redis(String),
}

impl std::fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::Redb(path) => f.debug_tuple("Redb").field(path).finish(),
            StoreLocation::Redis(url) => {
                f.debug_tuple("Redis").field(&redact_userinfo(url)).finish()
            }
        }
    }
}

/// `url` with any `user:password@` of its authority replaced by `<redacted>@`.
fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rfind('@') {
        Some(at) => format!("{scheme}://<redacted>@{}{tail}", &authority[at + 1..]),
        None => url.to_owned(),
    }
}

impl StoreLocation {
    /// `--redis URL` if given, else `--db PATH`, else [`default_db_path`].
    pub fn from_args(db: Option<&Path>, redis: Option<&str>) -> StoreLocation {
        match (redis, db) {
            (Some(url), _) => StoreLocation::Redis(url.to_owned()),
            (None, Some(path)) => StoreLocation::Redb(path.to_owned()),
            (None, None) => StoreLocation::Redb(default_db_path()),
        }
    }

    /// Opens the store (creating a redb file, and its directory, if missing).
    #[cfg(all(feature = "redb", feature = "redis"))]
    pub fn open(&self) -> Result<Box<dyn TokenStore>, SpamError> {
        match self {
            StoreLocation::Redb(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)?;
                }
                Ok(Box::new(super::RedbStore::open(path)?))
            }
            StoreLocation::Redis(url) => Ok(Box::new(super::RedisStore::open(url)?)),
        }
    }
}

impl std::fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::Redb(p) => write!(f, "{}", p.display()),
            StoreLocation::Redis(u) => f.write_str(u),
        }
    }
}

/// The default token store file: `$MAILSEC_SPAM_DB` if set, else
/// `$XDG_DATA_HOME/mailsec/spam.redb`, else
/// `$HOME/.local/share/mailsec/spam.redb`, else `mailsec-spam.redb` in the
/// current directory.
pub fn default_db_path() -> PathBuf {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(p) = env("MAILSEC_SPAM_DB") {
        return p;
    }
    if let Some(d) = env("XDG_DATA_HOME") {
        return d.join("mailsec").join("spam.redb");
    }
    if let Some(h) = env("HOME") {
        return h.join(".local/share/mailsec/spam.redb");
    }
    PathBuf::from("mailsec-spam.redb")
}
