//! The `Received-SPF` header field (RFC 7208 section 9.1).
//!
//! Every value that came from the SMTP session or DNS is written either as
//! a dot-atom (when it is one) or as a quoted string, and comments escape
//! their delimiters; control characters (CR, LF, ...) become spaces, so no
//! input can end the header line or start a new field.

use std::fmt::Write as _;

use super::{SpfIdentity, SpfOutput, SpfResult};

impl SpfOutput {
    /// The `Received-SPF` field value (without the field name), on one line:
    /// the result, a comment for humans, and the `key=value` pairs.
    ///
    /// `receiver` is this host's name (the `receiver=` key).
    pub fn received_spf(&self, receiver: &str) -> String {
        let pairs = self.key_values(receiver);
        let mut out = String::new();
        out.push_str(self.result.as_str());
        out.push_str(" (");
        push_comment(&mut out, &self.comment(receiver));
        out.push(')');
        for (key, value) in pairs {
            out.push(' ');
            out.push_str(key);
            out.push('=');
            push_value(&mut out, &value);
            out.push(';');
        }
        out
    }

    /// The whole `Received-SPF:` field, folded before each `key=value`
    /// pair, each line ending in CRLF.
    pub fn received_spf_header(&self, receiver: &str) -> String {
        let mut out = String::from("Received-SPF: ");
        out.push_str(self.result.as_str());
        out.push_str(" (");
        push_comment(&mut out, &self.comment(receiver));
        out.push(')');
        for (key, value) in self.key_values(receiver) {
            out.push_str("\r\n\t");
            out.push_str(key);
            out.push('=');
            push_value(&mut out, &value);
            out.push(';');
        }
        out.push_str("\r\n");
        out
    }

    fn comment(&self, receiver: &str) -> String {
        let (sender, ip) = (&self.sender, self.ip);
        let who = match self.identity {
            SpfIdentity::MailFrom => format!("domain of {sender}"),
            SpfIdentity::Helo => format!("domain of {}", self.domain),
        };
        let problem = self.problem.as_deref().unwrap_or("unknown problem");
        match self.result {
            SpfResult::Pass => format!("{receiver}: {who} designates {ip} as permitted sender"),
            SpfResult::Fail => {
                format!("{receiver}: {who} does not designate {ip} as permitted sender")
            }
            SpfResult::SoftFail => format!(
                "{receiver}: {who} is transitioning and does not designate {ip} as permitted sender"
            ),
            SpfResult::Neutral => {
                format!("{receiver}: {ip} is neither permitted nor denied by {who}")
            }
            SpfResult::None => format!("{receiver}: {who} does not designate permitted senders"),
            SpfResult::TempError => {
                format!("{receiver}: temporary error checking {who}: {problem}")
            }
            SpfResult::PermError => {
                format!("{receiver}: permanent error in the SPF record of {who}: {problem}")
            }
        }
    }

    fn key_values(&self, receiver: &str) -> Vec<(&'static str, String)> {
        let mut pairs = vec![
            ("client-ip", self.ip.to_string()),
            ("envelope-from", self.sender.clone()),
            ("helo", self.helo.clone()),
        ];
        if let Some(problem) = &self.problem {
            pairs.push(("problem", problem.clone()));
        }
        if let Some(mechanism) = &self.mechanism {
            pairs.push(("mechanism", mechanism.clone()));
        }
        pairs.push(("receiver", receiver.to_owned()));
        pairs.push(("identity", self.identity.as_str().to_owned()));
        pairs
    }
}

/// Comment text: `(`, `)` and `\` escaped, controls made spaces.
fn push_comment(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

/// A dot-atom as is, anything else as a quoted string.
fn push_value(out: &mut String, value: &str) {
    let dot_atom = !value.is_empty()
        && value
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(is_atext));
    if dot_atom {
        out.push_str(value);
        return;
    }
    out.push('"');
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                let _ = write!(out, "\\{c}");
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    fn output(sender: &str, helo: &str, result: SpfResult) -> SpfOutput {
        SpfOutput {
            result,
            explanation: None,
            identity: SpfIdentity::MailFrom,
            domain: "example.com".into(),
            sender: sender.into(),
            ip: "192.0.2.1".parse::<IpAddr>().unwrap(),
            helo: helo.into(),
            mechanism: Some("ip4:192.0.2.0/24".into()),
            problem: None,
            dns_lookups: 0,
            void_lookups: 0,
        }
    }

    #[test]
    fn rfc_shape() {
        let out = output("myname@example.com", "foo.example.com", SpfResult::Pass);
        assert_eq!(
            out.received_spf("mybox.example.org"),
            "pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as \
             permitted sender) client-ip=192.0.2.1; envelope-from=\"myname@example.com\"; \
             helo=foo.example.com; mechanism=\"ip4:192.0.2.0/24\"; receiver=mybox.example.org; \
             identity=mailfrom;"
        );
    }

    #[test]
    fn no_injection() {
        let out = output(
            "evil\r\nX-Injected: yes\"; (a)\\@example.com",
            "helo\r\n\r\nBody: x; receiver=spoof",
            SpfResult::Fail,
        );
        for text in [
            out.received_spf("rx.example.org"),
            out.received_spf_header("rx.example.org"),
        ] {
            // No bare CR or LF except the header's own folding.
            for line in text.split("\r\n").filter(|l| !l.is_empty()) {
                assert!(!line.contains('\r') && !line.contains('\n'));
                assert!(
                    line.starts_with("Received-SPF:")
                        || line.starts_with('\t')
                        || !text.contains("\r\n"),
                    "{line:?}"
                );
            }
            assert!(text.contains("helo=\"helo    Body: x; receiver=spoof\";"));
            assert!(
                text.contains("envelope-from=\"evil  X-Injected: yes\\\"; (a)\\\\@example.com\";")
            );
            assert!(text.contains("evil  X-Injected: yes\"; \\(a\\)\\\\@example.com"));
        }
    }
}
