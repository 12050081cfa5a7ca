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
        typed(self.lookup(name, RecordType::Txt).await?, Record::into_txt)
    }

    /// IPv4 addresses of `name`.
    async fn a(&self, name: &str) -> Result<Answer<Ipv4Addr>, DnsError> {
        typed(self.lookup(name, RecordType::A).await?, Record::into_a)
    }

    /// IPv6 addresses of `name`.
    async fn aaaa(&self, name: &str) -> Result<Answer<Ipv6Addr>, DnsError> {
        typed(
            self.lookup(name, RecordType::Aaaa).await?,
            Record::into_aaaa,
        )
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
        typed(self.lookup(name, RecordType::Mx).await?, Record::into_mx).map(by_preference)
    }

    /// Host names that `ip` points back to (PTR at the reverse name).
    async fn ptr(&self, ip: IpAddr) -> Result<Answer<String>, DnsError> {
        typed(
            self.lookup(&reverse_name(ip), RecordType::Ptr).await?,
            Record::into_ptr,
        )
    }

    /// TLSA records at `name` (for SMTP: `_25._tcp.mx.example.org`).
    async fn tlsa(&self, name: &str) -> Result<Answer<Tlsa>, DnsError> {
        typed(
            self.lookup(name, RecordType::Tlsa).await?,
            Record::into_tlsa,
        )
    }
}

impl<T> Default for Answer<T> {
    fn default() -> Self {
        Answer::new(Vec::new(), 0, false)
    }
}

/// The MX records of `answer` sorted by preference (lowest first).
pub(crate) fn by_preference(answer: Answer<Mx>) -> Answer<Mx> {
    let (ttl, secure) = (answer.ttl(), answer.is_authenticated());
    let mut records = answer.into_records();
    records.sort_by_key(|mx| mx.preference);
    Answer::new(records, ttl, secure)
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
