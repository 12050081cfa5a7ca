//! SMTP TLS Reporting (RFC 8460): the `_smtp._tls` TXT record and the JSON
//! aggregate report, built with [`ReportBuilder`] and read with
//! [`Report::from_json`].

use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::TransportError;
use crate::cert::unix_seconds;

/// Largest report accepted by [`Report::from_json`] (bytes).
pub const MAX_REPORT_LEN: usize = 16 * 1024 * 1024;

/// The `_smtp._tls.<domain>` TXT record: where to send reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsRptRecord {
    rua: Vec<String>,
}

/// Why a TLS-RPT record is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsRptRecordError {
    /// The record does not start with `v=TLSRPTv1`.
    #[error("not a TLS-RPT record (must start with v=TLSRPTv1)")]
    NotTlsRpt,
    /// `rua` is missing, or a URI is not `mailto:` or `https:`.
    #[error("TLS-RPT record has no valid rua")]
    Rua,
    /// A field is not `name=value`.
    #[error("TLS-RPT record field is not name=value")]
    Syntax,
}

impl TlsRptRecord {
    /// Parses `v=TLSRPTv1; rua=mailto:reports@example.com,https://r.example.com/x`.
    pub fn parse(text: &str) -> Result<Self, TlsRptRecordError> {
        let mut fields = text.split(';').map(|f| f.trim_matches([' ', '\t']));
        match fields.next() {
            Some("v=TLSRPTv1") => {}
            _ => return Err(TlsRptRecordError::NotTlsRpt),
        }
        let mut rua = None;
        for field in fields {
            if field.is_empty() {
                continue;
            }
            let (name, value) = field.split_once('=').ok_or(TlsRptRecordError::Syntax)?;
            if name.trim() != "rua" {
                continue;
            }
            if rua.is_some() {
                return Err(TlsRptRecordError::Rua);
            }
            let uris: Vec<String> = value
                .split(',')
                .map(|u| u.trim_matches([' ', '\t']).to_owned())
                .collect();
            let valid = |u: &String| {
                let lower = u.to_ascii_lowercase();
                (lower.starts_with("mailto:") && u.len() > 7 && u.contains('@'))
                    || (lower.starts_with("https://") && u.len() > 8)
            };
            if uris.is_empty() || !uris.iter().all(valid) {
                return Err(TlsRptRecordError::Rua);
            }
            rua = Some(uris);
        }
        Ok(TlsRptRecord {
            rua: rua.ok_or(TlsRptRecordError::Rua)?,
        })
    }

    /// The report URIs, in order.
    pub fn rua(&self) -> &[String] {
        &self.rua
    }

    /// The `mailto:` addresses (without the scheme).
    pub fn mailto(&self) -> impl Iterator<Item = &str> {
        self.rua.iter().filter_map(|u| {
            u.get(..7)
                .filter(|s| s.eq_ignore_ascii_case("mailto:"))
                .and(u.get(7..))
        })
    }
}

/// The TLS-RPT record name for a domain: `_smtp._tls.<domain>`.
pub fn record_name(domain: &str) -> String {
    format!("_smtp._tls.{}", domain.strip_suffix('.').unwrap_or(domain))
}

/// Looks up the `_smtp._tls.<domain>` record: `Ok(None)` when there is none
/// (no record, or not exactly one `v=TLSRPTv1` record, RFC 8460 section 3).
pub async fn lookup(
    resolver: &dyn mailsec_dns::Resolver,
    domain: &str,
) -> Result<Option<Result<TlsRptRecord, TlsRptRecordError>>, TransportError> {
    match resolver.txt(&record_name(domain)).await {
        Ok(answer) => {
            let mut found = answer
                .records()
                .iter()
                .map(|t| t.to_string_lossy())
                .filter(|t| t.starts_with("v=TLSRPTv1"));
            match (found.next(), found.next()) {
                (Some(one), None) => Ok(Some(TlsRptRecord::parse(&one))),
                _ => Ok(None),
            }
        }
        Err(e) if e.is_void() => Ok(None),
        Err(e) => Err(TransportError::Dns(e)),
    }
}

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vm])* $variant,)*
            /// Any other value, as written.
            Other(String),
        }

        impl $name {
            /// The value as the report writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(s) => s,
                }
            }

            /// Reads a value (unknown ones become `Other`).
            pub fn parse(s: &str) -> Self {
                match s {
                    $($text => $name::$variant,)*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok($name::parse(&s))
            }
        }
    };
}

string_enum! {
    /// A failure result type (RFC 8460 section 4.3).
    ResultType {
        /// The MX does not offer STARTTLS.
        StarttlsNotSupported = "starttls-not-supported",
        /// The certificate does not name the MX.
        CertificateHostMismatch = "certificate-host-mismatch",
        /// The certificate has expired.
        CertificateExpired = "certificate-expired",
        /// The certificate does not chain to a trusted root.
        CertificateNotTrusted = "certificate-not-trusted",
        /// Any other validation failure.
        ValidationFailure = "validation-failure",
        /// TLSA records are invalid.
        TlsaInvalid = "tlsa-invalid",
        /// DNSSEC validation of the TLSA records failed.
        DnssecInvalid = "dnssec-invalid",
        /// DANE is required but the MX did not satisfy it.
        DaneRequired = "dane-required",
        /// The MTA-STS policy could not be fetched.
        StsPolicyFetchError = "sts-policy-fetch-error",
        /// The MTA-STS policy is invalid.
        StsPolicyInvalid = "sts-policy-invalid",
        /// The MTA-STS policy host's certificate is invalid.
        StsWebpkiInvalid = "sts-webpki-invalid",
    }
}

string_enum! {
    /// The policy type of a report entry (RFC 8460 section 4.4).
    PolicyType {
        /// MTA-STS.
        Sts = "sts",
        /// DANE TLSA.
        Tlsa = "tlsa",
        /// Neither policy found.
        NoPolicyFound = "no-policy-found",
    }
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    })
}

/// The period a report covers (RFC 3339 times as written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct DateRange {
    /// Start, RFC 3339.
    pub start_datetime: String,
    /// End, RFC 3339.
    pub end_datetime: String,
}

/// The policy a report entry is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PolicyDetails {
    /// The policy type.
    pub policy_type: PolicyType,
    /// The policy as text lines (MTA-STS policy lines or TLSA records).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy_string: Vec<String>,
    /// The domain the policy is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_domain: Option<String>,
    /// MX host patterns (a lone string is read as a list of one).
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub mx_host: Vec<String>,
}

impl PolicyDetails {
    /// An MTA-STS policy entry.
    pub fn sts(domain: &str, policy: &crate::mta_sts::StsPolicy) -> Self {
        PolicyDetails {
            policy_type: PolicyType::Sts,
            policy_string: policy.to_lines(),
            policy_domain: Some(domain.to_owned()),
            mx_host: policy.mx().iter().map(|p| p.as_str().to_owned()).collect(),
        }
    }

    /// A DANE TLSA entry.
    pub fn tlsa(domain: &str, records: &[crate::dane::TlsaRecord]) -> Self {
        PolicyDetails {
            policy_type: PolicyType::Tlsa,
            policy_string: records.iter().map(|r| r.to_presentation()).collect(),
            policy_domain: Some(domain.to_owned()),
            mx_host: Vec::new(),
        }
    }

    /// A "no policy found" entry.
    pub fn no_policy(domain: &str) -> Self {
        PolicyDetails {
            policy_type: PolicyType::NoPolicyFound,
            policy_string: Vec::new(),
            policy_domain: Some(domain.to_owned()),
            mx_host: Vec::new(),
        }
    }
}

/// Session counts of a report entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Summary {
    /// Sessions that succeeded.
    #[serde(default)]
    pub total_successful_session_count: u64,
    /// Sessions that failed.
    #[serde(default)]
    pub total_failure_session_count: u64,
}

/// One kind of failure in a report entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct FailureDetail {
    /// What failed.
    pub result_type: ResultType,
    /// The sending MTA's IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sending_mta_ip: Option<String>,
    /// The MX host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiving_mx_hostname: Option<String>,
    /// The MX's HELO name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiving_mx_helo: Option<String>,
    /// The MX's IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiving_ip: Option<String>,
    /// Number of sessions that failed this way.
    #[serde(default)]
    pub failed_session_count: u64,
    /// A URI with more information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_information: Option<String>,
    /// A free-form reason code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason_code: Option<String>,
}

impl FailureDetail {
    /// A failure of `count` sessions with `result_type`, other fields empty.
    pub fn new(result_type: ResultType, count: u64) -> Self {
        FailureDetail {
            result_type,
            sending_mta_ip: None,
            receiving_mx_hostname: None,
            receiving_mx_helo: None,
            receiving_ip: None,
            failed_session_count: count,
            additional_information: None,
            failure_reason_code: None,
        }
    }

    fn same_kind(&self, other: &FailureDetail) -> bool {
        self.result_type == other.result_type
            && self.sending_mta_ip == other.sending_mta_ip
            && self.receiving_mx_hostname == other.receiving_mx_hostname
            && self.receiving_mx_helo == other.receiving_mx_helo
            && self.receiving_ip == other.receiving_ip
            && self.additional_information == other.additional_information
            && self.failure_reason_code == other.failure_reason_code
    }
}

/// One policy's part of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PolicyReport {
    /// The policy.
    pub policy: PolicyDetails,
    /// Session counts.
    #[serde(default)]
    pub summary: Summary,
    /// Failures by kind.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failure_details: Vec<FailureDetail>,
}

/// An aggregate TLS report (RFC 8460 section 4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Report {
    /// The reporting organisation.
    pub organization_name: String,
    /// The period covered.
    pub date_range: DateRange,
    /// Contact address or URI.
    #[serde(default)]
    pub contact_info: String,
    /// The report's unique id.
    pub report_id: String,
    /// One entry per policy.
    #[serde(default)]
    pub policies: Vec<PolicyReport>,
}

impl Report {
    /// Reads a JSON report (at most [`MAX_REPORT_LEN`] bytes).
    pub fn from_json(json: &[u8]) -> Result<Self, TransportError> {
        if json.len() > MAX_REPORT_LEN {
            return Err(TransportError::ReportTooLarge);
        }
        Ok(serde_json::from_slice(json)?)
    }

    /// Writes the report as JSON.
    pub fn to_json(&self) -> String {
        // Serialising plain structs of strings and integers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Total successful sessions over all policies.
    pub fn total_successful(&self) -> u64 {
        self.policies.iter().fold(0u64, |n, p| {
            n.saturating_add(p.summary.total_successful_session_count)
        })
    }

    /// Total failed sessions over all policies.
    pub fn total_failed(&self) -> u64 {
        self.policies.iter().fold(0u64, |n, p| {
            n.saturating_add(p.summary.total_failure_session_count)
        })
    }
}

fn rfc3339(t: SystemTime) -> String {
    let secs = unix_seconds(t);
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Builds an aggregate report from session outcomes.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use mailsec_transport::tlsrpt::{FailureDetail, PolicyDetails, Report, ReportBuilder, ResultType};
///
/// let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_006_400);
/// let mut builder = ReportBuilder::new("Example Sender", "r-1", "mailto:tls@sender.example",
///     start, start + Duration::from_secs(86_399));
/// let policy = PolicyDetails::no_policy("example.com");
/// builder.add_success(&policy, 10);
/// builder.add_failure(&policy, FailureDetail::new(ResultType::StarttlsNotSupported, 2));
/// let report = builder.build();
/// let again = Report::from_json(report.to_json().as_bytes()).unwrap();
/// assert_eq!(again, report);
/// assert_eq!(again.total_failed(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct ReportBuilder {
    report: Report,
}

impl ReportBuilder {
    /// A report with no sessions yet.
    pub fn new(
        organization: &str,
        report_id: &str,
        contact: &str,
        start: SystemTime,
        end: SystemTime,
    ) -> Self {
        ReportBuilder {
            report: Report {
                organization_name: organization.to_owned(),
                date_range: DateRange {
                    start_datetime: rfc3339(start),
                    end_datetime: rfc3339(end),
                },
                contact_info: contact.to_owned(),
                report_id: report_id.to_owned(),
                policies: Vec::new(),
            },
        }
    }

    fn entry(&mut self, policy: &PolicyDetails) -> &mut PolicyReport {
        let index = match self
            .report
            .policies
            .iter()
            .position(|p| &p.policy == policy)
        {
            Some(i) => i,
            None => {
                self.report.policies.push(PolicyReport {
                    policy: policy.clone(),
                    summary: Summary::default(),
                    failure_details: Vec::new(),
                });
                self.report.policies.len() - 1
            }
        };
        &mut self.report.policies[index]
    }

    /// Counts `sessions` successful sessions under `policy`.
    pub fn add_success(&mut self, policy: &PolicyDetails, sessions: u64) -> &mut Self {
        let e = self.entry(policy);
        e.summary.total_successful_session_count = e
            .summary
            .total_successful_session_count
            .saturating_add(sessions);
        self
    }

    /// Counts a failure under `policy`; failures of the same kind are merged.
    pub fn add_failure(&mut self, policy: &PolicyDetails, failure: FailureDetail) -> &mut Self {
        let e = self.entry(policy);
        e.summary.total_failure_session_count = e
            .summary
            .total_failure_session_count
            .saturating_add(failure.failed_session_count);
        match e.failure_details.iter_mut().find(|f| f.same_kind(&failure)) {
            Some(f) => {
                f.failed_session_count = f
                    .failed_session_count
                    .saturating_add(failure.failed_session_count)
            }
            None => e.failure_details.push(failure),
        }
        self
    }

    /// The report.
    pub fn build(&self) -> Report {
        self.report.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record() {
        let r =
            TlsRptRecord::parse("v=TLSRPTv1; rua=mailto:tls@example.com, https://r.example.com/v1")
                .unwrap();
        assert_eq!(r.rua().len(), 2);
        assert_eq!(r.mailto().collect::<Vec<_>>(), ["tls@example.com"]);
        assert_eq!(
            TlsRptRecord::parse("v=TLSRPTv1;"),
            Err(TlsRptRecordError::Rua)
        );
        assert_eq!(
            TlsRptRecord::parse("v=TLSRPTv1; rua=ftp://x"),
            Err(TlsRptRecordError::Rua)
        );
        assert_eq!(
            TlsRptRecord::parse("v=DMARC1; rua=mailto:a@b"),
            Err(TlsRptRecordError::NotTlsRpt)
        );
    }

    #[test]
    fn result_types_round_trip() {
        for s in [
            "dane-required",
            "sts-policy-invalid",
            "certificate-host-mismatch",
            "x-new",
        ] {
            assert_eq!(ResultType::parse(s).as_str(), s);
        }
        assert_eq!(ResultType::parse("dane-required"), ResultType::DaneRequired);
    }
}
