//! Zone files in RFC 1035 master-file syntax.

use std::path::Path;

use crate::StaticResolver;

/// A zone file could not be read or parsed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ZoneError {
    /// The file could not be read.
    #[error("cannot read zone file {path}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A line is not valid master-file syntax.
    #[error("zone file line {line}: {message}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl StaticResolver {
    /// Loads a zone file (RFC 1035 master-file syntax).
    pub fn from_zone_file(path: impl AsRef<Path>) -> Result<Self, ZoneError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ZoneError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_zone_str(&text, None)
    }

    /// Parses zone-file text; `origin` is the initial `$ORIGIN` (none: names
    /// must be absolute until a `$ORIGIN` line).
    pub fn from_zone_str(text: &str, origin: Option<&str>) -> Result<Self, ZoneError> {
        let _ = (text, origin);
        Err(ZoneError::Syntax {
            line: 0,
            message: "zone-file parsing is not implemented yet".into(),
        })
    }
}
