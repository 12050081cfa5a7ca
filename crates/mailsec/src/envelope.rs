//! The SMTP envelope of a message.

use std::net::IpAddr;

/// What the SMTP session said about a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// The connecting client's address; without it SPF and iprev are not run.
    pub client_ip: Option<IpAddr>,
    /// The HELO/EHLO name.
    pub helo: Option<String>,
    /// The envelope sender (MAIL FROM), without angle brackets; empty for a bounce.
    pub mail_from: Option<String>,
    /// The envelope recipients (RCPT TO).
    pub recipients: Vec<String>,
    /// The SASL login of an authenticated submission.
    pub authenticated_user: Option<String>,
}

impl Envelope {
    /// An envelope with only the client's address, HELO and MAIL FROM.
    pub fn new(client_ip: Option<IpAddr>, helo: Option<&str>, mail_from: Option<&str>) -> Self {
        Envelope {
            client_ip,
            helo: helo.map(str::to_owned),
            mail_from: mail_from.map(str::to_owned),
            ..Envelope::default()
        }
    }
}
