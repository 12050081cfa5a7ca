//! Bounds on the work one message may cause.

use mail_parser::{Message, MessageParser, PartType};
use serde::{Deserialize, Serialize};

/// Limits enforced where a message is parsed.
///
/// Every field has a documented default chosen to pass any legitimate mail
/// while bounding what a hostile message can cost. They can be set from the
/// `[limits]` table of the configuration file:
///
/// ```toml
/// [limits]
/// max_message_bytes = 52428800
/// max_header_count = 1000
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ParseLimits {
    /// Largest raw message, in bytes. Default: 50 MiB.
    pub max_message_bytes: usize,
    /// Most header fields in the top-level header section. Default: 1,000.
    pub max_header_count: usize,
    /// Largest top-level header section, in bytes. Default: 256 KiB.
    pub max_header_bytes: usize,
    /// Deepest nesting of multiparts and attached messages. Default: 20.
    pub max_mime_depth: usize,
    /// Most MIME parts, counting nested messages. Default: 1,000.
    pub max_parts: usize,
    /// Largest total size of decoded part bodies, in bytes. Default: 100 MiB.
    pub max_decoded_bytes: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_message_bytes: 50 * 1024 * 1024,
            max_header_count: 1_000,
            max_header_bytes: 256 * 1024,
            max_mime_depth: 20,
            max_parts: 1_000,
            max_decoded_bytes: 100 * 1024 * 1024,
        }
    }
}

/// A message went past one of the [`ParseLimits`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitError {
    /// The raw message is larger than `max_message_bytes`.
    #[error("message of {size} bytes exceeds the limit of {limit} bytes")]
    MessageTooLarge {
        /// Size of the message.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The header section has more fields than `max_header_count`.
    #[error("more than {limit} header fields")]
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// The header section is larger than `max_header_bytes`.
    #[error("header section exceeds {limit} bytes")]
    HeaderTooLarge {
        /// The limit.
        limit: usize,
    },
    /// MIME nesting deeper than `max_mime_depth`.
    #[error("MIME nesting deeper than {limit}")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// More MIME parts than `max_parts`.
    #[error("more than {limit} MIME parts")]
    TooManyParts {
        /// The limit.
        limit: usize,
    },
    /// Decoded bodies larger than `max_decoded_bytes` in total.
    #[error("decoded parts exceed {limit} bytes")]
    DecodedTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The bytes are not a message at all.
    #[error("not a parsable message")]
    Unparsable,
}

impl ParseLimits {
    /// Checks the raw bytes against the size and header limits, without
    /// parsing MIME. Cheap: one pass over the header section.
    pub fn check_raw(&self, raw: &[u8]) -> Result<(), LimitError> {
        if raw.len() > self.max_message_bytes {
            return Err(LimitError::MessageTooLarge {
                size: raw.len(),
                limit: self.max_message_bytes,
            });
        }
        let mut fields = 0usize;
        let mut offset = 0usize;
        for line in raw.split_inclusive(|&b| b == b'\n') {
            if line == b"\n" || line == b"\r\n" {
                break;
            }
            offset += line.len();
            if offset > self.max_header_bytes {
                return Err(LimitError::HeaderTooLarge {
                    limit: self.max_header_bytes,
                });
            }
            if !matches!(line.first(), Some(b' ' | b'\t')) {
                fields += 1;
                if fields > self.max_header_count {
                    return Err(LimitError::TooManyHeaders {
                        limit: self.max_header_count,
                    });
                }
            }
        }
        Ok(())
    }

    /// Checks a parsed message against the MIME limits (depth, parts,
    /// decoded size), nested messages included.
    pub fn check_parsed(&self, message: &Message<'_>) -> Result<(), LimitError> {
        let mut budget = Budget {
            parts: 0,
            decoded: 0,
        };
        self.walk(message, 0, 0, 1, &mut budget)
    }

    /// Checks `raw`, parses it once and checks the parse.
    pub fn parse<'x>(&self, raw: &'x [u8]) -> Result<Message<'x>, LimitError> {
        self.check_raw(raw)?;
        let message = MessageParser::default()
            .parse(raw)
            .ok_or(LimitError::Unparsable)?;
        self.check_parsed(&message)?;
        Ok(message)
    }

    fn walk(
        &self,
        message: &Message<'_>,
        part: usize,
        depth: usize,
        message_depth: usize,
        budget: &mut Budget,
    ) -> Result<(), LimitError> {
        if depth + message_depth > self.max_mime_depth + 1 {
            return Err(LimitError::TooDeep {
                limit: self.max_mime_depth,
            });
        }
        budget.parts += 1;
        if budget.parts > self.max_parts {
            return Err(LimitError::TooManyParts {
                limit: self.max_parts,
            });
        }
        let Some(p) = message.parts.get(part) else {
            return Ok(());
        };
        let decoded = match &p.body {
            PartType::Text(t) | PartType::Html(t) => t.len(),
            PartType::Binary(b) | PartType::InlineBinary(b) => b.len(),
            PartType::Message(_) | PartType::Multipart(_) => 0,
        };
        budget.decoded = budget.decoded.saturating_add(decoded);
        if budget.decoded > self.max_decoded_bytes {
            return Err(LimitError::DecodedTooLarge {
                limit: self.max_decoded_bytes,
            });
        }
        match &p.body {
            PartType::Multipart(children) => {
                for &child in children {
                    let child = child as usize;
                    // Part indices only point forward; anything else would loop.
                    if child > part {
                        self.walk(message, child, depth + 1, message_depth, budget)?;
                    }
                }
            }
            PartType::Message(inner) => {
                self.walk(inner, 0, depth, message_depth + 1, budget)?;
            }
            _ => {}
        }
        Ok(())
    }
}

struct Budget {
    parts: usize,
    decoded: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> Vec<u8> {
        let mut msg = String::from("From: a@example.org\r\nMIME-Version: 1.0\r\n");
        for i in 0..depth {
            msg.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
            ));
        }
        msg.push_str("Content-Type: text/plain\r\n\r\nhi\r\n");
        for i in (0..depth).rev() {
            msg.push_str(&format!("--b{i}--\r\n"));
        }
        msg.into_bytes()
    }

    #[test]
    fn depth_limit() {
        let limits = ParseLimits {
            max_mime_depth: 5,
            ..ParseLimits::default()
        };
        assert!(limits.parse(&nested(4)).is_ok());
        assert_eq!(
            limits.parse(&nested(8)).unwrap_err(),
            LimitError::TooDeep { limit: 5 }
        );
    }

    #[test]
    fn header_limits() {
        let mut raw = Vec::new();
        for i in 0..2000 {
            raw.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
        }
        raw.extend_from_slice(b"\r\nbody\r\n");
        assert_eq!(
            ParseLimits::default().check_raw(&raw),
            Err(LimitError::TooManyHeaders { limit: 1000 })
        );
        let small = ParseLimits {
            max_header_bytes: 100,
            ..ParseLimits::default()
        };
        assert_eq!(
            small.check_raw(&raw),
            Err(LimitError::HeaderTooLarge { limit: 100 })
        );
    }

    #[test]
    fn size_and_parts() {
        let limits = ParseLimits {
            max_message_bytes: 10,
            ..ParseLimits::default()
        };
        assert!(matches!(
            limits.check_raw(b"Subject: far too long\r\n\r\n"),
            Err(LimitError::MessageTooLarge { .. })
        ));
        let few = ParseLimits {
            max_parts: 2,
            ..ParseLimits::default()
        };
        assert!(matches!(
            few.parse(&nested(3)),
            Err(LimitError::TooManyParts { limit: 2 })
        ));
    }

    #[test]
    fn limits_from_toml() {
        let limits: ParseLimits = toml::from_str("max_parts = 7").unwrap();
        assert_eq!(limits.max_parts, 7);
        assert_eq!(limits.max_header_count, 1000);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_no_panic(raw in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let _ = ParseLimits::default().parse(&raw);
        }
    }
}
