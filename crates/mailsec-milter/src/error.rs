//! The crate's error type.

use std::io;
use std::time::Duration;

/// Everything that can go wrong while speaking the milter protocol or serving it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MilterError {
    /// A packet announced a length above the configured maximum; nothing was allocated for it.
    #[error("milter packet of {len} bytes exceeds the limit of {max} bytes")]
    PacketTooLarge {
        /// The announced length (command byte included).
        len: usize,
        /// The configured maximum.
        max: usize,
    },
    /// A packet with a length of zero (it must at least hold the command byte).
    #[error("empty milter packet")]
    EmptyPacket,
    /// A command or response code this implementation does not know.
    #[error("unknown milter code {code:#04x}")]
    UnknownCode {
        /// The code byte.
        code: u8,
    },
    /// A packet whose payload does not match its command's layout.
    #[error("malformed milter {what} packet: {reason}")]
    Malformed {
        /// The command or response name.
        what: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// A command that is not allowed in the current session state.
    #[error("unexpected milter command {what} in state {state}")]
    UnexpectedCommand {
        /// The command name.
        what: &'static str,
        /// The session state.
        state: &'static str,
    },
    /// The MTA offered a protocol version this milter cannot speak.
    #[error("unsupported milter protocol version {version}")]
    UnsupportedVersion {
        /// The version the MTA offered.
        version: u32,
    },
    /// A value that cannot be sent (NUL byte, CR/LF in a reply, a bad SMTP code, ...).
    #[error("invalid {what}: {reason}")]
    InvalidValue {
        /// The kind of value.
        what: &'static str,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The peer did not send a full packet in time.
    #[error("milter peer timed out after {after:?}")]
    Timeout {
        /// How long we waited.
        after: Duration,
    },
    /// A listen address that is neither `HOST:PORT` nor `unix:PATH`.
    #[error("invalid listen address {addr:?}: expected HOST:PORT or unix:PATH")]
    InvalidListenAddr {
        /// The address given.
        addr: String,
    },
    /// Socket I/O failed.
    #[error("milter I/O error")]
    Io(#[from] io::Error),
}
