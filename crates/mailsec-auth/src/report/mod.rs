//! DMARC reports: aggregate reports (RFC 9990; RFC 7489 appendix C) written
//! and parsed, including gzip and zip attachments, and failure reports
//! (ARF, RFC 5965 / RFC 6591) written and parsed.
//!
//! ```
//! use mailsec_auth::report::{AggregateReport, PolicyPublished, ReportFormat, ReportMetadata, ReportRecord};
//!
//! let mut metadata = ReportMetadata::default();
//! metadata.org_name = "mx.example.org".into();
//! metadata.email = "dmarc-reports@example.org".into();
//! metadata.report_id = "r-1".into();
//! metadata.begin = 1_700_000_000;
//! metadata.end = 1_700_086_399;
//! let mut policy = PolicyPublished::default();
//! policy.domain = "example.com".into();
//! let mut report = AggregateReport::new(metadata, policy);
//! report.add_record(ReportRecord::new("192.0.2.1".parse()?, "example.com"));
//! report.add_record(ReportRecord::new("192.0.2.1".parse()?, "example.com"));
//!
//! let xml = report.to_xml(ReportFormat::Rfc9990);
//! let back = mailsec_auth::report::parse_aggregate(xml.as_bytes())?;
//! assert_eq!(back.records.len(), 1);
//! assert_eq!(back.message_count(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod aggregate;
mod failure;
mod xml;

pub use aggregate::{
    AggregateReport, AuthWord, DiscoveryMethod, Disposition, DkimAuthResult, OverrideReason,
    OverrideType, PolicyPublished, RFC9990_NAMESPACE, ReportFormat, ReportMetadata, ReportRecord,
    SpfAuthResult,
};
pub use failure::{ArfEnvelope, FailureReport};

use mail_parser::{MessageParser, MimeHeaders};
use std::io::Read;

/// The largest report accepted after decompression (guards against zip and
/// gzip bombs): 64 MiB.
pub const MAX_REPORT_SIZE: u64 = 64 << 20;

/// Why a report could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The XML is not well-formed.
    #[error("invalid XML at byte {position}: {message}")]
    Xml {
        /// Byte offset in the (decompressed) document.
        position: u64,
        /// What the XML reader said.
        message: String,
    },
    /// A required element or field is missing.
    #[error("report is missing {0}")]
    Missing(&'static str),
    /// An element has a value outside its type.
    #[error("invalid value {value:?} for {field}")]
    Invalid {
        /// The element.
        field: &'static str,
        /// The value (at most 64 characters).
        value: String,
    },
    /// The input is not a report of the expected kind.
    #[error("not a DMARC report: {0}")]
    NotAReport(String),
    /// gzip data could not be inflated.
    #[error("gzip: {0}")]
    Gzip(#[source] std::io::Error),
    /// The zip archive could not be read.
    #[error("zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// The report is larger than [`MAX_REPORT_SIZE`] once decompressed.
    #[error("report larger than {MAX_REPORT_SIZE} bytes once decompressed")]
    TooLarge,
}

fn read_limited(mut r: impl Read, limit: u64) -> Result<Vec<u8>, std::io::Error> {
    let mut out = Vec::new();
    r.by_ref()
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)?;
    Ok(out)
}

/// Decompresses a report: gzip (`1f 8b`), zip (`PK\x03\x04`, the first
/// `.xml` member, else the first file) or plain XML, told apart by content.
pub fn decompress(bytes: &[u8]) -> Result<Vec<u8>, ReportError> {
    decompress_within(bytes, MAX_REPORT_SIZE)
}

/// [`decompress`] with at most `limit` bytes of output (at most
/// [`MAX_REPORT_SIZE`]); more is [`ReportError::TooLarge`].
fn decompress_within(bytes: &[u8], limit: u64) -> Result<Vec<u8>, ReportError> {
    let limit = limit.min(MAX_REPORT_SIZE);
    let out = if bytes.starts_with(&[0x1f, 0x8b]) {
        // One gzip member; trailing bytes after it (seen from Mimecast) are ignored.
        read_limited(flate2::read::GzDecoder::new(bytes), limit).map_err(ReportError::Gzip)?
    } else if bytes.starts_with(b"PK\x03\x04") {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
        let names: Vec<String> = archive
            .file_names()
            .map(|n| n.map(|n| n.into_owned()).unwrap_or_default())
            .collect();
        let pick = names
            .iter()
            .position(|n| n.to_ascii_lowercase().ends_with(".xml"))
            .or_else(|| (!names.is_empty()).then_some(0))
            .ok_or_else(|| ReportError::NotAReport("empty zip archive".into()))?;
        let file = archive.by_index(pick)?;
        if file.size() > limit {
            return Err(ReportError::TooLarge);
        }
        read_limited(file, limit).map_err(|e| ReportError::Zip(e.into()))?
    } else {
        return Ok(bytes.to_vec());
    };
    if out.len() as u64 > limit {
        return Err(ReportError::TooLarge);
    }
    Ok(out)
}

/// Parses an aggregate report from XML, gzip or zip bytes.
pub fn parse_aggregate(bytes: &[u8]) -> Result<AggregateReport, ReportError> {
    AggregateReport::from_xml(&decompress(bytes)?)
}

/// Parses every aggregate report attached to a report mail (XML, gzip or
/// zip parts, or an XML body). [`ReportError::NotAReport`] when the message
/// carries none; the first report's error when none of the candidates parse.
///
/// All attachments of one message share one decompression budget of
/// [`MAX_REPORT_SIZE`] bytes, so a mail of many small bombs costs no more
/// than one report.
pub fn parse_aggregate_message(raw: &[u8]) -> Result<Vec<AggregateReport>, ReportError> {
    let mut budget = MAX_REPORT_SIZE;
    let msg = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| ReportError::NotAReport("not a MIME message".into()))?;
    let mut reports = Vec::new();
    let mut first_error = None;
    for part in &msg.parts {
        if part.sub_parts().is_some() {
            continue;
        }
        let ct = part.content_type();
        let ctype = ct
            .map(|c| c.ctype().to_ascii_lowercase())
            .unwrap_or_default();
        let sub = ct
            .and_then(|c| c.subtype())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let name = part.attachment_name().unwrap_or("").to_ascii_lowercase();
        let body = part.contents();
        let candidate = body.starts_with(&[0x1f, 0x8b])
            || body.starts_with(b"PK\x03\x04")
            || sub.contains("xml")
            || sub.contains("gzip")
            || sub.contains("zip")
            || name.ends_with(".xml")
            || name.ends_with(".gz")
            || name.ends_with(".zip")
            || (ctype == "text"
                && String::from_utf8_lossy(body)
                    .trim_start()
                    .starts_with("<?xml"));
        if !candidate {
            continue;
        }
        let parsed = decompress_within(body, budget).and_then(|xml| {
            budget = budget.saturating_sub(xml.len() as u64);
            AggregateReport::from_xml(&xml)
        });
        match parsed {
            Ok(r) => reports.push(r),
            Err(e) => {
                let exhausted = matches!(e, ReportError::TooLarge);
                first_error.get_or_insert(e);
                if exhausted {
                    budget = 0;
                }
            }
        }
    }
    match (reports.is_empty(), first_error) {
        (false, _) => Ok(reports),
        (true, Some(e)) => Err(e),
        (true, None) => Err(ReportError::NotAReport(
            "no aggregate report attachment found".into(),
        )),
    }
}
