//! The crate's error type.

/// Why a spam check, a learning step or a store operation could not run.
///
/// A spam verdict is never an error: a message that scores high is a
/// [`Report`](crate::Report) with a high score.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpamError {
    /// The configuration (TOML) could not be read.
    #[error("invalid spam configuration: {0}")]
    Config(#[from] toml::de::Error),
    /// A configuration value is out of range.
    #[error("invalid spam configuration: {0}")]
    ConfigValue(String),
    /// The message could not be parsed at all.
    #[error("the message could not be parsed")]
    Parse,
    /// The embedded token store (redb) failed.
    #[cfg(feature = "redb")]
    #[error("token store (redb): {0}")]
    Redb(#[from] redb::Error),
    /// The Redis token store failed.
    #[cfg(feature = "redis")]
    #[error("token store (redis): {0}")]
    Redis(#[from] redis::RedisError),
    /// A file or directory could not be used.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// A store held a value this version cannot read.
    #[error("token store holds an unreadable value: {0}")]
    Corrupt(String),
}
