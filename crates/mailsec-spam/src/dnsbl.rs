//! DNS blocklists for the connecting IP, through [`mailsec_dns::Resolver`].

use std::net::{IpAddr, Ipv4Addr};

use mailsec_dns::{DnsError, Resolver};

use crate::config::DnsblZone;
use crate::evidence::DnsblHit;

/// The outcome of asking one zone.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DnsblOutcome {
    /// The zone lists the IP.
    Listed(DnsblHit),
    /// The zone does not list it.
    NotListed,
    /// The zone could not answer (timeout, SERVFAIL, or one of its error
    /// codes such as 127.255.255.254 "query via a public resolver"); the
    /// IP is not treated as listed.
    Unavailable(String),
}

/// The query name for `ip` in `zone` (reversed octets or nibbles).
pub fn query_name(ip: IpAddr, zone: &str) -> String {
    let zone = zone.trim_end_matches('.');
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.{zone}")
        }
        IpAddr::V6(v6) => {
            let mut out = String::with_capacity(64 + zone.len() + 1);
            for byte in v6.octets().iter().rev() {
                for nibble in [byte & 0x0f, byte >> 4] {
                    out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
                    out.push('.');
                }
            }
            out.push_str(zone);
            out
        }
    }
}

/// Asks every zone about `ip`, one outcome per zone in order. Private,
/// loopback and other non-global IPs are not asked (every zone's answer is
/// [`DnsblOutcome::NotListed`]).
pub async fn check(resolver: &dyn Resolver, ip: IpAddr, zones: &[DnsblZone]) -> Vec<DnsblOutcome> {
    let mut out = Vec::with_capacity(zones.len());
    for zone in zones {
        if !is_global(ip) {
            out.push(DnsblOutcome::NotListed);
            continue;
        }
        let name = query_name(ip, &zone.zone);
        let outcome = match resolver.a(&name).await {
            Ok(answer) => {
                let codes: Vec<Ipv4Addr> = answer
                    .records()
                    .iter()
                    .copied()
                    .filter(|a| a.octets()[0] == 127)
                    .collect();
                if codes.is_empty() {
                    DnsblOutcome::Unavailable(format!("{}: answer outside 127/8", zone.zone))
                } else if codes.iter().all(|c| c.octets()[1] == 255) {
                    DnsblOutcome::Unavailable(format!(
                        "{}: error code {:?}",
                        zone.zone,
                        codes.first()
                    ))
                } else {
                    DnsblOutcome::Listed(DnsblHit {
                        zone: zone.zone.clone(),
                        symbol: zone.symbol.clone(),
                        codes: codes.into_iter().filter(|c| c.octets()[1] != 255).collect(),
                    })
                }
            }
            Err(e) if e.is_void() => DnsblOutcome::NotListed,
            Err(e @ DnsError::InvalidName { .. }) => DnsblOutcome::Unavailable(e.to_string()),
            Err(e) => DnsblOutcome::Unavailable(e.to_string()),
        };
        out.push(outcome);
    }
    out
}

/// The hits among `outcomes`, ready for [`Evidence::dnsbl`](crate::Evidence::dnsbl).
pub fn hits(outcomes: Vec<DnsblOutcome>) -> Vec<DnsblHit> {
    outcomes
        .into_iter()
        .filter_map(|o| match o {
            DnsblOutcome::Listed(h) => Some(h),
            _ => None,
        })
        .collect()
}

fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.octets()[0] == 0
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailsec_dns::{Failure, Record, StaticResolver};

    fn zones() -> Vec<DnsblZone> {
        vec![
            DnsblZone {
                zone: "bl.example".into(),
                symbol: "RBL_EXAMPLE".into(),
                weight: 3.0,
            },
            DnsblZone {
                zone: "down.example".into(),
                symbol: "RBL_DOWN".into(),
                weight: 1.0,
            },
        ]
    }

    #[test]
    fn names() {
        assert_eq!(
            query_name("192.0.2.99".parse().unwrap(), "zen.spamhaus.org."),
            "99.2.0.192.zen.spamhaus.org"
        );
        assert!(query_name("2001:db8::1".parse().unwrap(), "z").starts_with("1.0.0.0.0.0"));
        assert!(query_name("2001:db8::1".parse().unwrap(), "z").ends_with(".8.b.d.0.1.0.0.2.z"));
    }

    #[tokio::test]
    async fn listed_not_listed_and_failures() {
        let mut dns = StaticResolver::new();
        dns.add(
            "2.1.33.45.bl.example",
            Record::A(Ipv4Addr::new(127, 0, 0, 2)),
        );
        dns.fail("2.1.33.45.down.example", Failure::Timeout);
        dns.add(
            "9.1.33.45.bl.example",
            Record::A(Ipv4Addr::new(127, 255, 255, 254)),
        );
        let listed = check(&dns, "45.33.1.2".parse().unwrap(), &zones()).await;
        assert!(matches!(&listed[0], DnsblOutcome::Listed(h) if h.symbol == "RBL_EXAMPLE"));
        assert!(matches!(&listed[1], DnsblOutcome::Unavailable(_)));
        let clean = check(&dns, "45.33.1.3".parse().unwrap(), &zones()).await;
        assert_eq!(clean[0], DnsblOutcome::NotListed);
        let err = check(&dns, "45.33.1.9".parse().unwrap(), &zones()).await;
        assert!(matches!(err[0], DnsblOutcome::Unavailable(_)));
        let private = check(&dns, "10.0.0.1".parse().unwrap(), &zones()).await;
        assert_eq!(
            private,
            vec![DnsblOutcome::NotListed, DnsblOutcome::NotListed]
        );
        assert_eq!(hits(listed).len(), 1);
    }
}
