//! DMARC failure reports: the Abuse Reporting Format (RFC 5965) with the
//! authentication-failure extensions of RFC 6591.

use super::ReportError;
use crate::authres::AuthenticationResults;
use mail_parser::{MessageParser, MimeHeaders, PartType};
use std::net::IpAddr;

/// A parsed ARF report (`multipart/report; report-type=feedback-report`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct FailureReport {
    /// `Feedback-Type` (`auth-failure` for DMARC, also `abuse`, `fraud`, ...), lower case.
    pub feedback_type: String,
    /// `User-Agent`.
    pub user_agent: Option<String>,
    /// `Version`.
    pub version: Option<String>,
    /// `Original-Mail-From`.
    pub original_mail_from: Option<String>,
    /// `Original-Rcpt-To` (may repeat).
    pub original_rcpt_to: Vec<String>,
    /// `Original-Envelope-Id`.
    pub original_envelope_id: Option<String>,
    /// `Arrival-Date`, as written.
    pub arrival_date: Option<String>,
    /// `Reporting-MTA`.
    pub reporting_mta: Option<String>,
    /// `Source-IP` (a trailing comment is dropped).
    pub source_ip: Option<IpAddr>,
    /// `Incidents`.
    pub incidents: Option<u32>,
    /// `Reported-Domain` (may repeat).
    pub reported_domain: Vec<String>,
    /// `Reported-URI` (may repeat).
    pub reported_uri: Vec<String>,
    /// `Authentication-Results` fields, raw.
    pub authentication_results: Vec<String>,
    /// `Auth-Failure` (RFC 6591: `adsp`, `bodyhash`, `revoked`, `signature`, `spf`, `dmarc`), lower case.
    pub auth_failure: Vec<String>,
    /// `Delivery-Result` (RFC 6591: `delivered`, `spam`, `policy`, `reject`, `other`), lower case.
    pub delivery_result: Option<String>,
    /// `DKIM-Domain`.
    pub dkim_domain: Option<String>,
    /// `DKIM-Identity`.
    pub dkim_identity: Option<String>,
    /// `DKIM-Selector`.
    pub dkim_selector: Option<String>,
    /// `DKIM-Canonicalized-Header` (base64, as written).
    pub dkim_canonicalized_header: Option<String>,
    /// `DKIM-Canonicalized-Body` (base64, as written).
    pub dkim_canonicalized_body: Option<String>,
    /// `SPF-DNS` (may repeat).
    pub spf_dns: Vec<String>,
    /// `Identity-Alignment` (RFC 7489: `none`, `spf`, `dkim`), lower case.
    pub identity_alignment: Vec<String>,
    /// Any other field of the report part, `(name, value)`.
    pub other_fields: Vec<(String, String)>,
    /// The human-readable first part.
    pub human_readable: Option<String>,
    /// The third part: the original message or its headers.
    pub original: Option<Vec<u8>>,
    /// The third part was `text/rfc822-headers` (headers only).
    pub original_is_headers_only: bool,
}

impl FailureReport {
    /// The `Authentication-Results` fields that parse.
    pub fn parsed_authentication_results(&self) -> Vec<AuthenticationResults> {
        self.authentication_results
            .iter()
            .filter_map(|v| AuthenticationResults::parse(v).ok())
            .collect()
    }

    /// Parses a report message. A message without a
    /// `message/feedback-report` part gives [`ReportError::NotAReport`].
    pub fn parse_message(raw: &[u8]) -> Result<Self, ReportError> {
        let msg = MessageParser::default()
            .parse(raw)
            .ok_or_else(|| ReportError::NotAReport("not a MIME message".into()))?;
        let mut report: Option<FailureReport> = None;
        let mut human = None;
        let mut original = None;
        for part in &msg.parts {
            let Some(ct) = part.content_type() else {
                continue;
            };
            let ctype = ct.ctype().to_ascii_lowercase();
            let sub = ct.subtype().unwrap_or("").to_ascii_lowercase();
            match (ctype.as_str(), sub.as_str()) {
                ("message", "feedback-report") if report.is_none() => {
                    report = Some(Self::parse_fields(part.contents())?);
                }
                ("text", "plain") if human.is_none() && report.is_none() => {
                    human = part.text_contents().map(str::to_string);
                }
                ("message", "rfc822") | ("message", "global") if original.is_none() => {
                    let bytes = match &part.body {
                        PartType::Message(m) => m.raw_message().to_vec(),
                        _ => part.contents().to_vec(),
                    };
                    original = Some((bytes, false));
                }
                ("text", "rfc822-headers") | ("message", "rfc822-headers")
                    if original.is_none() =>
                {
                    original = Some((part.contents().to_vec(), true));
                }
                _ => {}
            }
        }
        let mut report = report.ok_or_else(|| {
            ReportError::NotAReport("no message/feedback-report part (not an ARF report)".into())
        })?;
        report.human_readable = human;
        if let Some((bytes, headers_only)) = original {
            report.original = Some(bytes);
            report.original_is_headers_only = headers_only;
        }
        Ok(report)
    }

    /// Parses the fields of a `message/feedback-report` part.
    pub fn parse_fields(body: &[u8]) -> Result<Self, ReportError> {
        let text = String::from_utf8_lossy(body);
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some((_, v)) = fields.last_mut() {
                    v.push(' ');
                    v.push_str(line.trim());
                }
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
            if let Some((name, value)) = line.split_once(':') {
                fields.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
            }
        }
        let mut r = FailureReport::default();
        for (name, value) in fields {
            let lower = value.to_ascii_lowercase();
            match name.as_str() {
                "feedback-type" => r.feedback_type = lower,
                "user-agent" => r.user_agent = Some(value),
                "version" => r.version = Some(value),
                "original-mail-from" => r.original_mail_from = Some(value),
                "original-rcpt-to" => r.original_rcpt_to.push(value),
                "original-envelope-id" => r.original_envelope_id = Some(value),
                "arrival-date" | "received-date" => r.arrival_date = Some(value),
                "reporting-mta" => r.reporting_mta = Some(value),
                "source-ip" => {
                    let ip = value.split([' ', '(']).next().unwrap_or("");
                    r.source_ip = ip.trim_matches(['[', ']']).parse().ok();
                }
                "incidents" => r.incidents = value.parse().ok(),
                "reported-domain" => r.reported_domain.push(value),
                "reported-uri" => r.reported_uri.push(value),
                "authentication-results" => r.authentication_results.push(value),
                "auth-failure" => r.auth_failure.push(lower),
                "delivery-result" => r.delivery_result = Some(lower),
                "dkim-domain" => r.dkim_domain = Some(value),
                "dkim-identity" => r.dkim_identity = Some(value),
                "dkim-selector" => r.dkim_selector = Some(value),
                "dkim-canonicalized-header" => r.dkim_canonicalized_header = Some(value),
                "dkim-canonicalized-body" => r.dkim_canonicalized_body = Some(value),
                "spf-dns" => r.spf_dns.push(value),
                "identity-alignment" => {
                    r.identity_alignment = lower
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect();
                }
                _ => r.other_fields.push((name, value)),
            }
        }
        if r.feedback_type.is_empty() {
            return Err(ReportError::Missing("Feedback-Type"));
        }
        Ok(r)
    }
}
