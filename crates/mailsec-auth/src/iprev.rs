//! iprev: does the client's reverse DNS name lead back to it? (RFC 8601
//! section 3)
//!
//! The PTR records of the client IP are looked up; each name (at most
//! [`IprevConfig::max_names`]) is resolved forward (A for IPv4, AAAA for
//! IPv6) and the check passes when one of them gives the client's address.
//!
//! ```
//! use mailsec_auth::iprev::{self, IprevConfig, IprevResult};
//! use mailsec_dns::{Record, StaticResolver};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let mut dns = StaticResolver::new();
//! dns.add("7.2.0.192.in-addr.arpa", Record::ptr("mx.example.org"));
//! dns.add("mx.example.org", Record::A("192.0.2.7".parse().unwrap()));
//! let out = iprev::check(&dns, "192.0.2.7".parse().unwrap(), &IprevConfig::default()).await;
//! assert_eq!(out.result(), IprevResult::Pass);
//! assert_eq!(out.name(), Some("mx.example.org"));
//! # });
//! ```

use std::fmt;
use std::net::IpAddr;

use mailsec_dns::Resolver;

/// The iprev result words of RFC 8601 section 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IprevResult {
    /// A PTR name resolves back to the client's address.
    Pass,
    /// PTR names exist but none of them resolves back to the address.
    Fail,
    /// A lookup failed in a way that may be transient.
    TempError,
    /// The address has no PTR records.
    PermError,
}

impl IprevResult {
    /// The result word: `pass`, `fail`, `temperror` or `permerror`.
    pub fn as_str(self) -> &'static str {
        match self {
            IprevResult::Pass => "pass",
            IprevResult::Fail => "fail",
            IprevResult::TempError => "temperror",
            IprevResult::PermError => "permerror",
        }
    }
}

impl fmt::Display for IprevResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Limits of the iprev check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IprevConfig {
    max_names: usize,
}

impl Default for IprevConfig {
    fn default() -> Self {
        IprevConfig { max_names: 10 }
    }
}

impl IprevConfig {
    /// At most this many PTR names are resolved forward (default 10, as
    /// SPF's `ptr` limit); the others are ignored.
    pub fn with_max_names(mut self, n: usize) -> Self {
        self.max_names = n;
        self
    }

    /// See [`IprevConfig::with_max_names`].
    pub fn max_names(&self) -> usize {
        self.max_names
    }
}

/// The outcome of an iprev check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IprevOutput {
    result: IprevResult,
    ip: IpAddr,
    name: Option<String>,
    problem: Option<String>,
}

impl IprevOutput {
    /// The result.
    pub fn result(&self) -> IprevResult {
        self.result
    }

    /// The client IP checked (the `policy.iprev` property of RFC 8601).
    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// On `pass` the verified name; otherwise the first PTR name, if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// For errors, what went wrong.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }
}

/// Checks that a PTR name of `ip` resolves back to `ip`.
///
/// A PTR answer of NXDOMAIN or no records is `permerror`; a temporary
/// failure of the PTR lookup is `temperror`; names that do not lead back
/// give `fail`, unless a forward lookup failed temporarily, which gives
/// `temperror` (a retry could still pass).
pub async fn check(resolver: &dyn Resolver, ip: IpAddr, config: &IprevConfig) -> IprevOutput {
    let ip = ip.to_canonical();
    let names = match resolver.ptr(ip).await {
        Ok(answer) => answer.into_records(),
        Err(e) if e.is_temporary() => {
            return IprevOutput {
                result: IprevResult::TempError,
                ip,
                name: None,
                problem: Some(format!("PTR lookup failed: {e}")),
            };
        }
        Err(e) => {
            return IprevOutput {
                result: IprevResult::PermError,
                ip,
                name: None,
                problem: Some(format!("no PTR record: {e}")),
            };
        }
    };
    let first = names.first().cloned();
    let mut temporary = None;
    for name in names.into_iter().take(config.max_names) {
        match resolver.addresses(&name, ip).await {
            Ok(answer) if answer.records().contains(&ip) => {
                return IprevOutput {
                    result: IprevResult::Pass,
                    ip,
                    name: Some(name),
                    problem: None,
                };
            }
            Ok(_) => {}
            Err(e) if e.is_temporary() => {
                temporary.get_or_insert_with(|| format!("forward lookup of {name} failed: {e}"));
            }
            Err(_) => {}
        }
    }
    match temporary {
        Some(problem) => IprevOutput {
            result: IprevResult::TempError,
            ip,
            name: first,
            problem: Some(problem),
        },
        None => IprevOutput {
            result: IprevResult::Fail,
            ip,
            name: first,
            problem: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailsec_dns::{Failure, Record, StaticResolver};

    use mailsec_testkit::block_on;

    fn run(dns: &StaticResolver, ip: &str) -> IprevOutput {
        block_on(check(dns, ip.parse().unwrap(), &IprevConfig::default()))
    }

    #[test]
    fn results() {
        let mut dns = StaticResolver::new();
        dns.add("1.2.0.192.in-addr.arpa", Record::ptr("good.example.org"));
        dns.add("good.example.org", Record::A("192.0.2.1".parse().unwrap()));
        dns.add("2.2.0.192.in-addr.arpa", Record::ptr("liar.example.org"));
        dns.add("liar.example.org", Record::A("192.0.2.99".parse().unwrap()));
        dns.add("3.2.0.192.in-addr.arpa", Record::ptr("slow.example.org"));
        dns.fail("slow.example.org", Failure::Timeout);
        dns.fail("4.2.0.192.in-addr.arpa", Failure::ServFail);
        dns.add("5.2.0.192.in-addr.arpa", Record::ptr("gone.example.org"));
        assert_eq!(run(&dns, "192.0.2.1").result(), IprevResult::Pass);
        assert_eq!(run(&dns, "::ffff:192.0.2.1").result(), IprevResult::Pass);
        assert_eq!(run(&dns, "192.0.2.2").result(), IprevResult::Fail);
        assert_eq!(run(&dns, "192.0.2.2").name(), Some("liar.example.org"));
        assert_eq!(run(&dns, "192.0.2.3").result(), IprevResult::TempError);
        assert_eq!(run(&dns, "192.0.2.4").result(), IprevResult::TempError);
        assert_eq!(run(&dns, "192.0.2.5").result(), IprevResult::Fail);
        assert_eq!(run(&dns, "192.0.2.6").result(), IprevResult::PermError);
    }

    #[test]
    fn bounded_names() {
        let mut dns = StaticResolver::new();
        for n in 0..20 {
            dns.add(
                "9.2.0.192.in-addr.arpa",
                Record::ptr(&format!("h{n}.example.org")),
            );
        }
        dns.add("h15.example.org", Record::A("192.0.2.9".parse().unwrap()));
        assert_eq!(run(&dns, "192.0.2.9").result(), IprevResult::Fail);
        let out = block_on(check(
            &dns,
            "192.0.2.9".parse().unwrap(),
            &IprevConfig::default().with_max_names(20),
        ));
        assert_eq!(out.result(), IprevResult::Pass);
    }
}
