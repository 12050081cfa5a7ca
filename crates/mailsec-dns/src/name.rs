//! Domain-name helpers shared by every resolver.

use std::borrow::Cow;
use std::net::IpAddr;

use crate::DnsError;

/// Longest domain name in presentation form (RFC 1035 section 2.3.4).
const MAX_NAME_LEN: usize = 253;
/// Longest label (RFC 1035 section 2.3.4).
const MAX_LABEL_LEN: usize = 63;

/// Lower-cases a domain name and strips one trailing dot, checking the
/// lengths of the name and of each label.
///
/// ```
/// assert_eq!(mailsec_dns::normalize_name("Mail.Example.ORG.").unwrap(), "mail.example.org");
/// assert!(mailsec_dns::normalize_name("a..b").is_err());
/// ```
pub fn normalize_name(name: &str) -> Result<String, DnsError> {
    normalized(name).map(Cow::into_owned)
}

/// [`normalize_name`], borrowing `name` when it is already normal (lower
/// case, no trailing dot), as most names a check asks for are.
pub(crate) fn normalized(name: &str) -> Result<Cow<'_, str>, DnsError> {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    if trimmed.is_empty() {
        // The root itself.
        return Ok(Cow::Borrowed(""));
    }
    // One pass: label lengths, and whether anything needs lower-casing.
    let (mut label_len, mut upper) = (0usize, false);
    for &b in trimmed.as_bytes() {
        if b == b'.' {
            if label_len == 0 {
                break;
            }
            label_len = 0;
        } else {
            label_len += 1;
            if label_len > MAX_LABEL_LEN {
                break;
            }
            upper |= b.is_ascii_uppercase();
        }
    }
    if trimmed.len() > MAX_NAME_LEN || label_len == 0 || label_len > MAX_LABEL_LEN {
        return Err(DnsError::InvalidName(name.to_owned()));
    }
    if upper {
        Ok(Cow::Owned(trimmed.to_ascii_lowercase()))
    } else {
        Ok(Cow::Borrowed(trimmed))
    }
}

/// The reverse-lookup name of an address: `4.3.2.1.in-addr.arpa` for
/// `1.2.3.4`, nibbles under `ip6.arpa` for IPv6.
///
/// ```
/// let ip = "192.0.2.1".parse().unwrap();
/// assert_eq!(mailsec_dns::reverse_name(ip), "1.2.0.192.in-addr.arpa");
/// ```
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut out = String::with_capacity(72);
            for byte in v6.octets().iter().rev() {
                for nibble in [byte & 0x0f, byte >> 4] {
                    out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
                    out.push('.');
                }
            }
            out.push_str("ip6.arpa");
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_v6() {
        let ip: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(
            reverse_name(ip),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        );
    }

    #[test]
    fn long_label_rejected() {
        let label = "a".repeat(64);
        assert!(normalize_name(&format!("{label}.org")).is_err());
        assert!(normalize_name(&"a.".repeat(130)).is_err());
    }

    /// The length rules as RFC 1035 states them, label by label.
    fn by_labels(name: &str) -> Result<String, ()> {
        let trimmed = name.strip_suffix('.').unwrap_or(name);
        if trimmed.is_empty() {
            return Ok(String::new());
        }
        if trimmed.len() > MAX_NAME_LEN
            || trimmed
                .split('.')
                .any(|label| label.is_empty() || label.len() > MAX_LABEL_LEN)
        {
            return Err(());
        }
        Ok(trimmed.to_ascii_lowercase())
    }

    proptest::proptest! {
        #[test]
        fn one_pass_agrees_with_the_label_rules(name in "([a-zA-Z0-9-]{0,3}|x{60,66}|\\.){0,12}") {
            proptest::prop_assert_eq!(normalize_name(&name).map_err(|_| ()), by_labels(&name));
            if let Ok(Cow::Borrowed(b)) = normalized(&name) {
                proptest::prop_assert!(!b.bytes().any(|c| c.is_ascii_uppercase()));
            }
        }
    }
}
