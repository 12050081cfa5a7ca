//! Message stores a sweep walks: the [`MessageStore`] trait, an in-memory
//! store and a Maildir store.

use std::collections::BTreeMap;
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use crate::ExpiryError;
use crate::date::parse_rfc5322;
use crate::headers::header_fields;
use crate::report::ExpiryReport;

/// One stored message as a sweep sees it: its id, when it expires, when it
/// was sent and whether it is end-to-end encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<Id> {
    id: Id,
    expires_at: Option<SystemTime>,
    sent: Option<SystemTime>,
    encrypted: bool,
}

impl<Id> Listed<Id> {
    /// An entry from values a store already knows (e.g. from its index).
    pub fn new(
        id: Id,
        expires_at: Option<SystemTime>,
        sent: Option<SystemTime>,
        encrypted: bool,
    ) -> Self {
        Listed {
            id,
            expires_at,
            sent,
            encrypted,
        }
    }

    /// An entry read from the raw message: its expiry (protected one first,
    /// see [`ExpiryReport::from_message`]), its `Date:` and whether it is
    /// end-to-end encrypted ([`is_end_to_end_encrypted`]).
    pub fn from_message(id: Id, raw: &[u8]) -> Self {
        let report = ExpiryReport::from_message(raw, SystemTime::UNIX_EPOCH);
        let (fields, body) = header_fields(raw);
        let sent = fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("Date"))
            .and_then(|(_, v)| parse_rfc5322(v).ok());
        let encrypted = is_end_to_end_encrypted(&fields, raw.get(body..).unwrap_or_default());
        Listed::new(id, report.expires_at(), sent, encrypted)
    }

    /// The store's id for the message.
    pub fn id(&self) -> &Id {
        &self.id
    }

    /// When the message expires, if it says.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// When the message was sent (`Date:`), if known.
    pub fn sent(&self) -> Option<SystemTime> {
        self.sent
    }

    /// Whether the message is end-to-end encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.encrypted
    }
}

/// Whether a message is end-to-end encrypted, from its top-level header
/// fields and body: PGP/MIME (`multipart/encrypted`), S/MIME enveloped data
/// (`application/pkcs7-mime` other than signed-data or certs-only), or an
/// inline PGP message.
pub fn is_end_to_end_encrypted<N: AsRef<str>, V: AsRef<str>>(
    fields: &[(N, V)],
    body: &[u8],
) -> bool {
    let content_type = fields
        .iter()
        .rev()
        .find(|(n, _)| n.as_ref().eq_ignore_ascii_case("Content-Type"))
        .map(|(_, v)| v.as_ref().to_ascii_lowercase());
    if let Some(ct) = content_type {
        let mime = ct.split(';').next().unwrap_or_default().trim();
        match mime {
            "multipart/encrypted" | "application/pgp-encrypted" => return true,
            "application/pkcs7-mime" | "application/x-pkcs7-mime" => {
                return !(ct.contains("signed-data") || ct.contains("certs-only"));
            }
            _ => {}
        }
    }
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    body.get(start..)
        .unwrap_or_default()
        .starts_with(b"-----BEGIN PGP MESSAGE-----")
}

/// Where messages are kept, as far as expiry needs it: list them, delete one.
///
/// Implementations must make `delete` atomic per message (a message is
/// either fully there or gone) and answer `Ok(false)` for a message that is
/// already gone, so that a sweep can be repeated and interrupted safely.
pub trait MessageStore {
    /// How the store names a message.
    type Id: Clone + std::fmt::Debug;

    /// Every message in the store.
    fn list(&self) -> Result<Vec<Listed<Self::Id>>, ExpiryError>;

    /// Delete one message: `Ok(true)` when it was removed, `Ok(false)` when it
    /// was not there.
    fn delete(&mut self, id: &Self::Id) -> Result<bool, ExpiryError>;
}

/// A store in memory, for tests and small embedded uses.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    messages: BTreeMap<u64, Vec<u8>>,
    next: u64,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a message; returns its id.
    pub fn insert(&mut self, raw: impl Into<Vec<u8>>) -> u64 {
        let id = self.next;
        self.next += 1;
        self.messages.insert(id, raw.into());
        id
    }

    /// A message by id.
    pub fn get(&self, id: u64) -> Option<&[u8]> {
        self.messages.get(&id).map(Vec::as_slice)
    }

    /// The ids present, in order.
    pub fn ids(&self) -> Vec<u64> {
        self.messages.keys().copied().collect()
    }

    /// How many messages are stored.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

impl MessageStore for MemoryStore {
    type Id = u64;

    fn list(&self) -> Result<Vec<Listed<u64>>, ExpiryError> {
        Ok(self
            .messages
            .iter()
            .map(|(id, raw)| Listed::from_message(*id, raw))
            .collect())
    }

    fn delete(&mut self, id: &u64) -> Result<bool, ExpiryError> {
        Ok(self.messages.remove(id).is_some())
    }
}

/// A message in a Maildir: its unique name (the file name before `:`, which
/// stays the same when a mail reader moves it from `new/` to `cur/` or
/// changes its flags) and the path it was listed at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MaildirId {
    unique: String,
    path: PathBuf,
}

impl MaildirId {
    /// The unique part of the file name.
    pub fn unique(&self) -> &str {
        &self.unique
    }

    /// Where the message was when it was listed.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A Maildir (`cur/`, `new/`, `tmp/`) as a message store.
///
/// Messages in `tmp/` are still being delivered and are never listed nor
/// deleted. Deleting is one `unlink`, so a sweep interrupted at any point
/// leaves every message either intact or gone.
#[derive(Debug, Clone)]
pub struct MaildirStore {
    root: PathBuf,
}

static DELIVERIES: AtomicU64 = AtomicU64::new(0);

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ExpiryError + '_ {
    move |source| ExpiryError::Io {
        path: path.to_owned(),
        source,
    }
}

impl MaildirStore {
    /// Open an existing Maildir; fails unless `cur/`, `new/` and `tmp/` exist.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, ExpiryError> {
        let root = root.into();
        for sub in ["cur", "new", "tmp"] {
            let dir = root.join(sub);
            let meta = fs::metadata(&dir).map_err(io_err(&dir))?;
            if !meta.is_dir() {
                return Err(ExpiryError::Io {
                    path: dir,
                    source: std::io::Error::new(ErrorKind::NotADirectory, "not a directory"),
                });
            }
        }
        Ok(MaildirStore { root })
    }

    /// Open a Maildir, creating it (and its sub-directories) if needed.
    pub fn create(root: impl Into<PathBuf>) -> Result<Self, ExpiryError> {
        let root = root.into();
        for sub in ["cur", "new", "tmp"] {
            let dir = root.join(sub);
            fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        }
        Ok(MaildirStore { root })
    }

    /// The Maildir's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Deliver a message the Maildir way: write to `tmp/`, sync, then rename
    /// into `new/`. Returns its id.
    pub fn deliver(&self, raw: &[u8]) -> Result<MaildirId, ExpiryError> {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let seq = DELIVERIES.fetch_add(1, Ordering::Relaxed);
        let host = fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().replace(['/', ':'], "_"))
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_owned());
        let unique = format!(
            "{}.M{}P{}Q{}.{}",
            now.as_secs(),
            now.subsec_micros(),
            std::process::id(),
            seq,
            host
        );
        let tmp = self.root.join("tmp").join(&unique);
        let mut file = fs::File::create_new(&tmp).map_err(io_err(&tmp))?;
        file.write_all(raw).map_err(io_err(&tmp))?;
        file.sync_all().map_err(io_err(&tmp))?;
        drop(file);
        let dest = self.root.join("new").join(&unique);
        fs::rename(&tmp, &dest).map_err(io_err(&dest))?;
        Ok(MaildirId { unique, path: dest })
    }

    /// Read a listed message, wherever it has moved since.
    pub fn read(&self, id: &MaildirId) -> Result<Option<Vec<u8>>, ExpiryError> {
        match self.locate(id)? {
            Some(path) => match fs::read(&path) {
                Ok(raw) => Ok(Some(raw)),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(io_err(&path)(e)),
            },
            None => Ok(None),
        }
    }

    fn entries(&self) -> Result<Vec<(String, PathBuf)>, ExpiryError> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let dir = self.root.join(sub);
            for entry in fs::read_dir(&dir).map_err(io_err(&dir))? {
                let entry = entry.map_err(io_err(&dir))?;
                let name = entry.file_name();
                let Some(name) = name.to_str() else { continue };
                if name.starts_with('.') {
                    continue;
                }
                let unique = name.split(':').next().unwrap_or(name).to_owned();
                out.push((unique, entry.path()));
            }
        }
        Ok(out)
    }

    fn locate(&self, id: &MaildirId) -> Result<Option<PathBuf>, ExpiryError> {
        if id.path.starts_with(&self.root) && fs::symlink_metadata(&id.path).is_ok() {
            return Ok(Some(id.path.clone()));
        }
        Ok(self
            .entries()?
            .into_iter()
            .find(|(unique, _)| *unique == id.unique)
            .map(|(_, path)| path))
    }
}

impl MessageStore for MaildirStore {
    type Id = MaildirId;

    fn list(&self) -> Result<Vec<Listed<MaildirId>>, ExpiryError> {
        let mut out = Vec::new();
        for (unique, path) in self.entries()? {
            let raw = match fs::read(&path) {
                Ok(raw) => raw,
                // Moved or deleted by someone else since the directory was read.
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                // A directory or other non-file entry: not a message.
                Err(e) if e.kind() == ErrorKind::IsADirectory => continue,
                Err(e) => return Err(io_err(&path)(e)),
            };
            out.push(Listed::from_message(MaildirId { unique, path }, &raw));
        }
        out.sort_by(|a, b| a.id().cmp(b.id()));
        Ok(out)
    }

    fn delete(&mut self, id: &MaildirId) -> Result<bool, ExpiryError> {
        // A mail reader may rename the file between list and delete; retry once.
        for _ in 0..2 {
            let Some(path) = self.locate(id)? else {
                return Ok(false);
            };
            match fs::remove_file(&path) {
                Ok(()) => return Ok(true),
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_encryption() {
        let f = |ct: &str| vec![("Content-Type".to_owned(), ct.to_owned())];
        assert!(is_end_to_end_encrypted(
            &f("multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=x"),
            b""
        ));
        assert!(is_end_to_end_encrypted(
            &f("application/pkcs7-mime; smime-type=enveloped-data"),
            b""
        ));
        assert!(!is_end_to_end_encrypted(
            &f("application/pkcs7-mime; smime-type=signed-data"),
            b""
        ));
        assert!(!is_end_to_end_encrypted(&f("text/plain"), b"hello"));
        assert!(is_end_to_end_encrypted(
            &f("text/plain"),
            b"\r\n-----BEGIN PGP MESSAGE-----\r\n"
        ));
    }

    #[test]
    fn maildir_deliver_list_move_delete() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = MaildirStore::create(dir.path().join("Maildir")).unwrap();
        assert!(MaildirStore::open(dir.path().join("nope")).is_err());
        let id = store
            .deliver(b"Expires: Tue, 01 Dec 2026 00:00:00 +0000\r\nDate: Mon, 30 Nov 2026 00:00:00 +0000\r\n\r\nx")
            .unwrap();
        fs::write(
            store.root().join("tmp").join("inflight"),
            b"Expires: Thu, 01 Jan 1970 00:00:00 +0000\r\n\r\n",
        )
        .unwrap();
        let listed = store.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].expires_at().is_some() && listed[0].sent().is_some());
        // A mail reader moves it to cur/ with flags: the id still finds it.
        let moved = store
            .root()
            .join("cur")
            .join(format!("{}:2,S", id.unique()));
        fs::rename(id.path(), &moved).unwrap();
        assert!(store.read(&id).unwrap().is_some());
        assert!(store.delete(&id).unwrap());
        assert!(!moved.exists());
        assert!(!store.delete(&id).unwrap());
        assert!(store.root().join("tmp").join("inflight").exists());
    }
}
