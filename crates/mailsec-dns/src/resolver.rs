//! The resolver trait.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use async_trait::async_trait;

use crate::{Answer, DnsError, Mx, Record, RecordType, Tlsa, Txt, reverse_name};

/// Answers DNS questions for mail-security checks.
///
/// An implementation provides [`Resolver::lookup`]; the typed methods
/// ([`txt`](Resolver::txt), [`a`](Resolver::a), ...) are built on it. A
/// lookup that yields no records of the asked type must return
/// [`DnsError::NoData`] (or [`DnsError::NxDomain`] when the name does not
/// exist), never an empty answer. CNAME chains are followed by the resolver:
/// a lookup of type `A` returns the `A` records at the end of the chain.
///
/// The trait is object safe, so checks take `&dyn Resolver`.
#[async_trait]
pub trait Resolver: Send + Sync {
    /// Looks up the records of type `rtype` at `name` (absolute; a trailing
    /// dot is optional, case does not matter).
    async fn lookup(&self, name: &str, rtype: RecordType) -> Result<Answer<Record>, DnsError>;

    /// TXT records at `name`.
    async fn txt(&self, name: &str) -> Result<Answer<Txt>, DnsError> {
        typed(self.lookup(name, RecordType::Txt).await?, |r| match r {
            Record::Txt(t) => Some(t),
            _ => None,
        })
    }

    /// IPv4 addresses of `name`.
    async fn a(&self, name: &str) -> Result<Answer<Ipv4Addr>, DnsError> {
        typed(self.lookup(name, RecordType::A).await?, |r| match r {
            Record::A(ip) => Some(ip),
            _ => None,
        })
    }

    /// IPv6 addresses of `name`.
    async fn aaaa(&self, name: &str) -> Result<Answer<Ipv6Addr>, DnsError> {
        typed(self.lookup(name, RecordType::Aaaa).await?, |r| match r {
            Record::Aaaa(ip) => Some(ip),
            _ => None,
        })
    }

    /// Addresses of `name` of the same family as `like` (A for IPv4, AAAA
    /// for IPv6), as SPF's `a` and `mx` mechanisms ask.
    async fn addresses(&self, name: &str, like: IpAddr) -> Result<Answer<IpAddr>, DnsError> {
        match like {
            IpAddr::V4(_) => Ok(self.a(name).await?.filter_map(|ip| Some(IpAddr::V4(ip)))),
            IpAddr::V6(_) => Ok(self.aaaa(name).await?.filter_map(|ip| Some(IpAddr::V6(ip)))),
        }
    }

    /// MX records of `name`, sorted by preference.
    async fn mx(&self, name: &str) -> Result<Answer<Mx>, DnsError> {
        let mut answer = typed(self.lookup(name, RecordType::Mx).await?, |r| match r {
            Record::Mx(mx) => Some(mx),
            _ => None,
        })?;
        let (ttl, secure) = (answer.ttl(), answer.is_authenticated());
        let mut records = std::mem::take(&mut answer).into_records();
        records.sort_by_key(|mx| mx.preference);
        Ok(Answer::new(records, ttl, secure))
    }

    /// Host names that `ip` points back to (PTR at the reverse name).
    async fn ptr(&self, ip: IpAddr) -> Result<Answer<String>, DnsError> {
        typed(
            self.lookup(&reverse_name(ip), RecordType::Ptr).await?,
            |r| match r {
                Record::Ptr(name) => Some(name),
                _ => None,
            },
        )
    }

    /// TLSA records at `name` (for SMTP: `_25._tcp.mx.example.org`).
    async fn tlsa(&self, name: &str) -> Result<Answer<Tlsa>, DnsError> {
        typed(self.lookup(name, RecordType::Tlsa).await?, |r| match r {
            Record::Tlsa(t) => Some(t),
            _ => None,
        })
    }
}

impl<T> Default for Answer<T> {
    fn default() -> Self {
        Answer::new(Vec::new(), 0, false)
    }
}

fn typed<T>(
    answer: Answer<Record>,
    f: impl FnMut(Record) -> Option<T>,
) -> Result<Answer<T>, DnsError> {
    let answer = answer.filter_map(f);
    if answer.records().is_empty() {
        Err(DnsError::no_data())
    } else {
        Ok(answer)
    }
}

#[async_trait]
impl<R: Resolver + ?Sized> Resolver for &R {
    async fn lookup(&self, name: &str, rtype: RecordType) -> Result<Answer<Record>, DnsError> {
        (**self).lookup(name, rtype).await
    }
}

#[async_trait]
impl<R: Resolver + ?Sized> Resolver for std::sync::Arc<R> {
    async fn lookup(&self, name: &str, rtype: RecordType) -> Result<Answer<Record>, DnsError> {
        (**self).lookup(name, rtype).await
    }
}

#[async_trait]
impl<R: Resolver + ?Sized> Resolver for Box<R> {
    async fn lookup(&self, name: &str, rtype: RecordType) -> Result<Answer<Record>, DnsError> {
        (**self).lookup(name, rtype).await
    }
}
