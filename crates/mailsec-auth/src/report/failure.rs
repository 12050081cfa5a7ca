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

/// The outer headers of a failure report message written by
/// [`FailureReport::to_message`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ArfEnvelope {
    /// `From:` (the reporting address).
    pub from: String,
    /// `To:` (the `ruf=` addresses).
    pub to: Vec<String>,
    /// `Subject:`.
    pub subject: String,
    /// `Date:`, an RFC 5322 date (the caller owns the clock).
    pub date: String,
    /// `Message-ID:` without angle brackets.
    pub message_id: String,
}

impl ArfEnvelope {
    /// An envelope; add `to` addresses with [`ArfEnvelope::with_to`].
    pub fn new(
        from: impl Into<String>,
        subject: impl Into<String>,
        date: impl Into<String>,
        message_id: impl Into<String>,
    ) -> Self {
        ArfEnvelope {
            from: from.into(),
            to: Vec::new(),
            subject: subject.into(),
            date: date.into(),
            message_id: message_id.into(),
        }
    }

    /// Adds a recipient.
    #[must_use]
    pub fn with_to(mut self, to: impl Into<String>) -> Self {
        self.to.push(to.into());
        self
    }
}

/// A header value on one line: CR, LF and other controls become spaces.
fn one_line(v: &str) -> String {
    v.chars()
        .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// A field name reduced to letters, digits and `-`.
fn field_name(n: &str) -> String {
    n.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// Bare LF and bare CR become CRLF.
fn crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 32);
    let mut i = 0;
    while let Some(&b) = data.get(i) {
        match b {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if data.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

impl FailureReport {
    /// Writes the report as an RFC 5965 / RFC 6591 message
    /// (`multipart/report; report-type=feedback-report`) with CRLF line
    /// endings: the human-readable part, the `message/feedback-report` part
    /// and, when present, the original message (`message/rfc822`) or its
    /// headers (`text/rfc822-headers`). Every field value is written on one
    /// line (CR and LF become spaces), so no value can add a header field.
    pub fn to_message(&self, envelope: &ArfEnvelope) -> Vec<u8> {
        let original = self.original.as_deref().map(crlf);
        let human = crlf(
            self.human_readable
                .as_deref()
                .unwrap_or("This is an authentication failure report.")
                .as_bytes(),
        );
        // A boundary that appears in no part.
        let mut boundary = String::from("=_mailsec_arf_0");
        let mut n = 0u32;
        let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
        while contains(&human, boundary.as_bytes())
            || original
                .as_deref()
                .is_some_and(|o| contains(o, boundary.as_bytes()))
        {
            n += 1;
            boundary = format!("=_mailsec_arf_{n}");
        }

        let mut fields: Vec<(String, String)> = Vec::new();
        let mut f = |name: &str, v: &str| fields.push((name.to_string(), one_line(v)));
        f(
            "Feedback-Type",
            if self.feedback_type.is_empty() {
                "auth-failure"
            } else {
                &self.feedback_type
            },
        );
        f(
            "User-Agent",
            self.user_agent.as_deref().unwrap_or("mailsec"),
        );
        f("Version", self.version.as_deref().unwrap_or("1"));
        let opt = [
            ("Original-Mail-From", &self.original_mail_from),
            ("Original-Envelope-Id", &self.original_envelope_id),
            ("Arrival-Date", &self.arrival_date),
            ("Reporting-MTA", &self.reporting_mta),
        ];
        for (name, v) in opt {
            if let Some(v) = v {
                f(name, v);
            }
        }
        for v in &self.original_rcpt_to {
            f("Original-Rcpt-To", v);
        }
        if let Some(ip) = self.source_ip {
            f("Source-IP", &ip.to_string());
        }
        if let Some(i) = self.incidents {
            f("Incidents", &i.to_string());
        }
        let lists = [
            ("Reported-Domain", &self.reported_domain),
            ("Reported-URI", &self.reported_uri),
            ("Authentication-Results", &self.authentication_results),
            ("Auth-Failure", &self.auth_failure),
            ("SPF-DNS", &self.spf_dns),
        ];
        for (name, list) in lists {
            for v in list {
                f(name, v);
            }
        }
        let opt = [
            ("Delivery-Result", &self.delivery_result),
            ("DKIM-Domain", &self.dkim_domain),
            ("DKIM-Identity", &self.dkim_identity),
            ("DKIM-Selector", &self.dkim_selector),
            ("DKIM-Canonicalized-Header", &self.dkim_canonicalized_header),
            ("DKIM-Canonicalized-Body", &self.dkim_canonicalized_body),
        ];
        for (name, v) in opt {
            if let Some(v) = v {
                f(name, v);
            }
        }
        if !self.identity_alignment.is_empty() {
            f("Identity-Alignment", &self.identity_alignment.join(","));
        }
        for (name, v) in &self.other_fields {
            let name = field_name(name);
            if !name.is_empty() {
                f(&name, v);
            }
        }

        let mut out = String::new();
        out.push_str(&format!("From: {}\r\n", one_line(&envelope.from)));
        if !envelope.to.is_empty() {
            let to: Vec<String> = envelope.to.iter().map(|t| one_line(t)).collect();
            out.push_str(&format!("To: {}\r\n", to.join(", ")));
        }
        out.push_str(&format!("Subject: {}\r\n", one_line(&envelope.subject)));
        out.push_str(&format!("Date: {}\r\n", one_line(&envelope.date)));
        out.push_str(&format!(
            "Message-ID: <{}>\r\n",
            one_line(&envelope.message_id).trim_matches(['<', '>'])
        ));
        out.push_str("MIME-Version: 1.0\r\n");
        out.push_str(&format!(
            "Content-Type: multipart/report; report-type=feedback-report;\r\n\tboundary=\"{boundary}\"\r\n\r\n"
        ));
        out.push_str("This is a multi-part message in MIME format.\r\n\r\n");
        out.push_str(&format!("--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&human);
        if !human.ends_with(b"\r\n") {
            bytes.extend_from_slice(b"\r\n");
        }
        let mut part = format!("\r\n--{boundary}\r\nContent-Type: message/feedback-report\r\n\r\n");
        for (name, v) in &fields {
            part.push_str(&format!("{name}: {v}\r\n"));
        }
        bytes.extend_from_slice(part.as_bytes());
        if let Some(o) = original {
            let ctype = if self.original_is_headers_only {
                "text/rfc822-headers"
            } else {
                "message/rfc822"
            };
            bytes.extend_from_slice(
                format!("\r\n--{boundary}\r\nContent-Type: {ctype}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n").as_bytes(),
            );
            bytes.extend_from_slice(&o);
            if !o.ends_with(b"\r\n") {
                bytes.extend_from_slice(b"\r\n");
            }
        }
        bytes.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        bytes
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_parse() {
        let r = FailureReport {
            feedback_type: "auth-failure".into(),
            user_agent: Some("mailsec/0.1".into()),
            version: Some("1".into()),
            original_mail_from: Some("bounce@example.net".into()),
            original_rcpt_to: vec!["user@example.org".into()],
            arrival_date: Some("Thu, 8 Mar 2005 14:00:00 EDT".into()),
            source_ip: "192.0.2.1".parse().ok(),
            reported_domain: vec!["example.com".into()],
            authentication_results: vec![
                "mx.example.org; dmarc=fail header.from=example.com".into(),
            ],
            auth_failure: vec!["dmarc".into()],
            delivery_result: Some("reject".into()),
            identity_alignment: vec!["dkim".into(), "spf".into()],
            other_fields: vec![("x-extra\r\nbcc".into(), "v\r\nBcc: evil@example.com".into())],
            human_readable: Some("A DMARC failure.\n".into()),
            original: Some(b"From: a@example.com\nSubject: hi\n\nbody\n".to_vec()),
            original_is_headers_only: false,
            ..Default::default()
        };
        let env = ArfEnvelope::new(
            "dmarc@example.org",
            "DMARC failure report",
            "Thu, 1 Jan 2026 00:00:00 +0000",
            "r1@example.org",
        )
        .with_to("ruf@example.com");
        let msg = r.to_message(&env);
        let text = String::from_utf8_lossy(&msg);
        assert!(!text.contains("\nBcc:"), "{text}");
        assert!(
            !msg.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'),
            "bare LF"
        );
        let back = FailureReport::parse_message(&msg).unwrap();
        assert_eq!(back.original_mail_from, r.original_mail_from);
        assert_eq!(back.source_ip, r.source_ip);
        assert_eq!(back.auth_failure, r.auth_failure);
        assert_eq!(back.identity_alignment, r.identity_alignment);
        assert_eq!(back.authentication_results, r.authentication_results);
        assert_eq!(
            back.other_fields,
            vec![(
                "x-extrabcc".to_string(),
                "v  Bcc: evil@example.com".to_string()
            )]
        );
        assert_eq!(
            back.human_readable.as_deref().map(str::trim),
            Some("A DMARC failure.")
        );
        let orig = back.original.unwrap();
        assert!(
            orig.starts_with(b"From: a@example.com\r\nSubject: hi\r\n\r\nbody"),
            "{}",
            String::from_utf8_lossy(&orig)
        );
    }
}
