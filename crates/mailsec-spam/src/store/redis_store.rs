//! The Redis token store, for a fleet of servers sharing one model.

use std::sync::{Mutex, PoisonError};

use redis::{Client, Connection};

use super::{
    Class, ExpiryPolicy, ExpiryReport, LearnBatch, Lookup, StoreStats, TokenCounts, TokenStore,
    Totals,
};
use crate::SpamError;

/// Commands per round trip when a batch is large.
const CHUNK: usize = 20_000;

/// Applies token deltas: ARGV = day, then (field, spam delta, ham delta)
/// triples. Counts are clamped at zero and a token whose counts both reach
/// zero is deleted, all inside the server, so it is atomic with the rest of
/// the batch.
const APPLY_SCRIPT: &str = r"
local day = ARGV[1]
for i = 2, #ARGV, 3 do
  local f = ARGV[i]
  local ds = tonumber(ARGV[i + 1])
  local dh = tonumber(ARGV[i + 2])
  local s = redis.call('HINCRBY', KEYS[1], f, ds)
  local h = redis.call('HINCRBY', KEYS[2], f, dh)
  if s < 0 then redis.call('HSET', KEYS[1], f, 0); s = 0 end
  if h < 0 then redis.call('HSET', KEYS[2], f, 0); h = 0 end
  if s == 0 and h == 0 then
    redis.call('HDEL', KEYS[1], f)
    redis.call('HDEL', KEYS[2], f)
    redis.call('HDEL', KEYS[3], f)
  elseif ds > 0 or dh > 0 or redis.call('HEXISTS', KEYS[3], f) == 0 then
    redis.call('HSET', KEYS[3], f, day)
  end
end
return 0
";

/// A token store in Redis, shared by every server that points at it.
///
/// Layout under a key prefix `P` (default `mailsec:bayes`): hashes `P:s`
/// and `P:h` (token → spam / ham count), `P:d` (token → last-seen day),
/// `P:m` (message digest → `class:day`) and `P:n` (`spam`, `ham` → messages
/// learned). Fields are the 8 little-endian bytes of the token. A batch is
/// applied in one `MULTI`/`EXEC` transaction, so other servers never see
/// half of it; counts are incremented (`HINCRBY`), so servers learning at
/// the same time do not overwrite each other.
pub struct RedisStore {
    client: Client,
    prefix: String,
    conn: Mutex<Option<Connection>>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://127.0.0.1:6379/`) with the default key
    /// prefix `mailsec:bayes`.
    pub fn open(url: &str) -> Result<Self, SpamError> {
        Self::with_prefix(url, "mailsec:bayes")
    }

    /// Connects to `url`, keeping every key under `prefix`.
    pub fn with_prefix(url: &str, prefix: &str) -> Result<Self, SpamError> {
        let client = Client::open(url)?;
        let conn = client.get_connection()?;
        Ok(RedisStore {
            client,
            prefix: prefix.to_owned(),
            conn: Mutex::new(Some(conn)),
        })
    }

    fn key(&self, what: &str) -> String {
        format!("{}:{}", self.prefix, what)
    }

    /// Runs `f` on the connection, reconnecting once if the connection broke.
    fn with_conn<T>(
        &self,
        mut f: impl FnMut(&mut Connection) -> redis::RedisResult<T>,
    ) -> Result<T, SpamError> {
        let mut guard = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        if guard.is_none() {
            *guard = Some(self.client.get_connection()?);
        }
        let Some(conn) = guard.as_mut() else {
            return Err(SpamError::Corrupt("no redis connection".into()));
        };
        match f(conn) {
            Ok(v) => Ok(v),
            Err(e) if e.is_connection_dropped() || e.is_io_error() => {
                let mut fresh = self.client.get_connection()?;
                let out = f(&mut fresh);
                *guard = Some(fresh);
                Ok(out?)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn totals(&self, conn: &mut Connection) -> redis::RedisResult<Totals> {
        let (spam, ham): (Option<i64>, Option<i64>) = redis::cmd("HMGET")
            .arg(self.key("n"))
            .arg("spam")
            .arg("ham")
            .query(conn)?;
        Ok(Totals {
            spam: clamp_u64(spam),
            ham: clamp_u64(ham),
        })
    }

    fn hash_len(&self, conn: &mut Connection, what: &str) -> redis::RedisResult<u64> {
        redis::cmd("HLEN").arg(self.key(what)).query(conn)
    }
}

fn clamp_u64(v: Option<i64>) -> u64 {
    u64::try_from(v.unwrap_or(0).max(0)).unwrap_or(0)
}

fn clamp_u32(v: Option<i64>) -> u32 {
    u32::try_from(v.unwrap_or(0).clamp(0, i64::from(u32::MAX))).unwrap_or(u32::MAX)
}

fn field(t: u64) -> [u8; 8] {
    t.to_le_bytes()
}

fn unfield(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

fn parse_mark(text: &[u8]) -> Option<(Class, u32)> {
    let text = std::str::from_utf8(text).ok()?;
    let (c, day) = text.split_once(':')?;
    let class = match c {
        "s" => Class::Spam,
        "h" => Class::Ham,
        _ => return None,
    };
    Some((class, day.parse().ok()?))
}

impl TokenStore for RedisStore {
    fn lookup(&self, tokens: &[u64]) -> Result<Lookup, SpamError> {
        self.with_conn(|conn| {
            let totals = self.totals(conn)?;
            let mut counts = Vec::with_capacity(tokens.len());
            for chunk in tokens.chunks(CHUNK) {
                let raw: Vec<[u8; 8]> = chunk.iter().map(|&t| field(t)).collect();
                let fields: Vec<&[u8]> = raw.iter().map(|f| &f[..]).collect();
                let (spam, ham): (Vec<Option<i64>>, Vec<Option<i64>>) = redis::pipe()
                    .cmd("HMGET")
                    .arg(self.key("s"))
                    .arg(&fields)
                    .cmd("HMGET")
                    .arg(self.key("h"))
                    .arg(&fields)
                    .query(conn)?;
                counts.extend(spam.into_iter().zip(ham).map(|(s, h)| TokenCounts {
                    spam: clamp_u32(s),
                    ham: clamp_u32(h),
                }));
            }
            counts.resize(tokens.len(), TokenCounts::default());
            Ok(Lookup { totals, counts })
        })
    }

    fn learned(&self, digests: &[u64]) -> Result<Vec<Option<Class>>, SpamError> {
        if digests.is_empty() {
            return Ok(Vec::new());
        }
        self.with_conn(|conn| {
            let mut out = Vec::with_capacity(digests.len());
            for chunk in digests.chunks(CHUNK) {
                let raw: Vec<[u8; 8]> = chunk.iter().map(|&t| field(t)).collect();
                let fields: Vec<&[u8]> = raw.iter().map(|f| &f[..]).collect();
                let marks: Vec<Option<Vec<u8>>> = redis::cmd("HMGET")
                    .arg(self.key("m"))
                    .arg(&fields)
                    .query(conn)?;
                out.extend(
                    marks
                        .into_iter()
                        .map(|m| m.and_then(|m| parse_mark(&m)).map(|m| m.0)),
                );
            }
            out.resize(digests.len(), None);
            Ok(out)
        })
    }

    fn apply(&self, batch: &LearnBatch) -> Result<(), SpamError> {
        if batch.is_empty() {
            return Ok(());
        }
        let (ks, kh, kd, km, kn) = (
            self.key("s"),
            self.key("h"),
            self.key("d"),
            self.key("m"),
            self.key("n"),
        );
        let day = batch.day.to_string();
        let mut pipe = redis::pipe();
        pipe.atomic();
        let tokens = batch.sorted_tokens();
        for chunk in tokens.chunks(CHUNK / 4) {
            let cmd = pipe
                .cmd("EVAL")
                .arg(APPLY_SCRIPT)
                .arg(3)
                .arg(&ks)
                .arg(&kh)
                .arg(&kd)
                .arg(&day);
            for &(t, ds, dh) in chunk {
                cmd.arg(&field(t)[..]).arg(ds).arg(dh);
            }
            cmd.ignore();
        }
        if batch.spam != 0 {
            pipe.cmd("HINCRBY")
                .arg(&kn)
                .arg("spam")
                .arg(batch.spam)
                .ignore();
        }
        if batch.ham != 0 {
            pipe.cmd("HINCRBY")
                .arg(&kn)
                .arg("ham")
                .arg(batch.ham)
                .ignore();
        }
        for (&d, &m) in &batch.marks {
            match m {
                Some(c) => {
                    let v = format!("{}:{}", if c == Class::Spam { "s" } else { "h" }, batch.day);
                    pipe.cmd("HSET").arg(&km).arg(&field(d)[..]).arg(v).ignore();
                }
                None => {
                    pipe.cmd("HDEL").arg(&km).arg(&field(d)[..]).ignore();
                }
            }
        }
        self.with_conn(|conn| pipe.query::<()>(conn))
    }

    fn expire(&self, policy: &ExpiryPolicy) -> Result<ExpiryReport, SpamError> {
        let (ks, kh, kd, km) = (self.key("s"), self.key("h"), self.key("d"), self.key("m"));
        self.with_conn(|conn| {
            let spam: Vec<(Vec<u8>, i64)> = redis::cmd("HGETALL").arg(&ks).query(conn)?;
            let ham: Vec<(Vec<u8>, i64)> = redis::cmd("HGETALL").arg(&kh).query(conn)?;
            let seen: Vec<(Vec<u8>, u32)> = redis::cmd("HGETALL").arg(&kd).query(conn)?;
            let mut map: std::collections::HashMap<u64, (TokenCounts, u32)> =
                std::collections::HashMap::new();
            for (f, v) in spam {
                if let Some(t) = unfield(&f) {
                    map.entry(t).or_default().0.spam = clamp_u32(Some(v));
                }
            }
            for (f, v) in ham {
                if let Some(t) = unfield(&f) {
                    map.entry(t).or_default().0.ham = clamp_u32(Some(v));
                }
            }
            for (f, v) in seen {
                if let Some(t) = unfield(&f) {
                    map.entry(t).or_default().1 = v;
                }
            }
            let entries: Vec<(u64, TokenCounts, u32)> =
                map.iter().map(|(&t, &(c, d))| (t, c, d)).collect();
            let drop = policy.select(&entries);
            for chunk in drop.chunks(CHUNK) {
                let raw: Vec<[u8; 8]> = chunk.iter().map(|&t| field(t)).collect();
                let fields: Vec<&[u8]> = raw.iter().map(|f| &f[..]).collect();
                redis::pipe()
                    .atomic()
                    .cmd("HDEL")
                    .arg(&ks)
                    .arg(&fields)
                    .ignore()
                    .cmd("HDEL")
                    .arg(&kh)
                    .arg(&fields)
                    .ignore()
                    .cmd("HDEL")
                    .arg(&kd)
                    .arg(&fields)
                    .ignore()
                    .query::<()>(conn)?;
            }
            let marks: Vec<(Vec<u8>, Vec<u8>)> = redis::cmd("HGETALL").arg(&km).query(conn)?;
            let old: Vec<Vec<u8>> = marks
                .into_iter()
                .filter(|(_, v)| parse_mark(v).is_none_or(|(_, day)| policy.mark_expired(day)))
                .map(|(f, _)| f)
                .collect();
            for chunk in old.chunks(CHUNK) {
                redis::cmd("HDEL").arg(&km).arg(chunk).query::<()>(conn)?;
            }
            let left = self.hash_len(conn, "d")?.max(self.hash_len(conn, "s")?);
            Ok(ExpiryReport {
                tokens_removed: drop.len() as u64,
                tokens_left: left,
                marks_removed: old.len() as u64,
            })
        })
    }

    fn stats(&self) -> Result<StoreStats, SpamError> {
        self.with_conn(|conn| {
            let totals = self.totals(conn)?;
            let tokens = self.hash_len(conn, "d")?;
            let marks = self.hash_len(conn, "m")?;
            Ok(StoreStats {
                totals,
                tokens,
                marks,
            })
        })
    }
}
