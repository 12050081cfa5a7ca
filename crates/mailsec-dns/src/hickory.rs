//! The resolver that asks real DNS servers, over hickory.
//!
//! [`HickoryResolver`] sends each question to the configured recursive
//! name servers through hickory's name-server pool (UDP, with TCP when an
//! answer is truncated) and maps the outcome precisely:
//!
//! | what the server did | result |
//! |---|---|
//! | answered with records of the asked type (after CNAMEs) | `Ok(Answer)`, TTL = lowest TTL of the chain, AD bit as `is_authenticated()` |
//! | NXDOMAIN | [`DnsError::NxDomain`], negative TTL from the SOA when present |
//! | NOERROR without records of the type | [`DnsError::NoData`], negative TTL from the SOA when present |
//! | no answer in time | [`DnsError::TempFail`] [`TempFailKind::Timeout`] |
//! | SERVFAIL (or DNSSEC validation failure) | [`TempFailKind::ServFail`] |
//! | REFUSED | [`TempFailKind::Refused`] |
//! | socket error | [`TempFailKind::Io`] |
//! | anything else (malformed answer, ...) | [`TempFailKind::Other`] |
//!
//! Every query carries the AD bit, which asks a validating resolver to say
//! whether it authenticated the answer with DNSSEC (RFC 6840 section 5.7);
//! hickory itself does no validation here, so the AD bit is only as
//! trustworthy as the path to the resolver (use a local validating resolver
//! for DANE). Names are always asked as absolute names: no search list, no
//! hosts file. The servers are expected to be recursive resolvers (as
//! `/etc/resolv.conf` names): CNAME chains are taken from their answers.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use hickory_resolver::config::{NameServerConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::xfer::{DnsHandle, FirstAnswer, RetryDnsHandle};
use hickory_resolver::net::{DnsError as HickoryDnsError, NetError, NoRecords};
use hickory_resolver::proto::op::{
    DnsRequest, DnsRequestOptions, DnsResponse, Query, ResponseCode,
};
use hickory_resolver::proto::rr::{Name, RData, RecordType as HickoryType};
use hickory_resolver::{NameServerPool, PoolContext, TlsConfig};

use crate::{
    Answer, DnsError, Mx, Record, RecordType, Resolver, TempFailKind, Tlsa, Txt, normalize_name,
};

/// Default time to wait for one answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default number of times a question is sent before giving up.
pub const DEFAULT_ATTEMPTS: usize = 2;

/// Builds a [`HickoryResolver`]: which servers, how long to wait, how often
/// to try.
///
/// ```
/// use std::time::Duration;
/// use mailsec_dns::HickoryResolver;
///
/// let dns = HickoryResolver::builder()
///     .name_server("127.0.0.1:5353".parse().unwrap())
///     .timeout(Duration::from_millis(500))
///     .attempts(3)
///     .build()
///     .unwrap();
/// # drop(dns);
/// ```
#[derive(Debug, Clone)]
pub struct HickoryResolverBuilder {
    servers: Vec<SocketAddr>,
    timeout: Duration,
    attempts: usize,
    tcp: bool,
}

impl Default for HickoryResolverBuilder {
    fn default() -> Self {
        HickoryResolverBuilder {
            servers: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            attempts: DEFAULT_ATTEMPTS,
            tcp: true,
        }
    }
}

impl HickoryResolverBuilder {
    /// Adds a name server (a recursive resolver) at `addr`.
    pub fn name_server(mut self, addr: SocketAddr) -> Self {
        self.servers.push(addr);
        self
    }

    /// Adds name servers.
    pub fn name_servers(mut self, addrs: impl IntoIterator<Item = SocketAddr>) -> Self {
        self.servers.extend(addrs);
        self
    }

    /// Adds the name servers of `/etc/resolv.conf` and takes its `timeout`
    /// and `attempts` options (which later calls may still change).
    pub fn system_conf(mut self) -> Result<Self, DnsError> {
        let (config, opts) =
            hickory_resolver::system_conf::read_system_conf().map_err(map_net_error)?;
        for ns in config.name_servers() {
            for conn in &ns.connections {
                let addr = SocketAddr::new(ns.ip, conn.port);
                if !self.servers.contains(&addr) {
                    self.servers.push(addr);
                }
            }
        }
        self.timeout = opts.timeout;
        self.attempts = opts.attempts.max(1);
        Ok(self)
    }

    /// How long to wait for an answer to one attempt (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many times a question is sent when no answer comes (default 2;
    /// at least 1). NXDOMAIN and NODATA are answers and are not retried.
    pub fn attempts(mut self, attempts: usize) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// Whether a truncated UDP answer is asked again over TCP (default on).
    pub fn tcp_fallback(mut self, on: bool) -> Self {
        self.tcp = on;
        self
    }

    /// The resolver. Fails when no name server was given.
    pub fn build(self) -> Result<HickoryResolver, DnsError> {
        if self.servers.is_empty() {
            return Err(DnsError::TempFail {
                kind: TempFailKind::Other,
                source: Some("no name server configured".into()),
            });
        }
        let mut opts = ResolverOpts::default();
        opts.timeout = self.timeout;
        opts.attempts = self.attempts;
        opts.edns0 = true;
        let configs = self.servers.iter().map(|addr| {
            let mut ns = if self.tcp {
                NameServerConfig::udp_and_tcp(addr.ip())
            } else {
                NameServerConfig::udp(addr.ip())
            };
            for conn in &mut ns.connections {
                conn.port = addr.port();
            }
            ns
        });
        let tls = TlsConfig::new().map_err(map_net_error)?;
        let context = Arc::new(PoolContext::new(opts, tls));
        let pool = NameServerPool::from_config(configs, context, TokioRuntimeProvider::new());
        Ok(HickoryResolver {
            // RetryDnsHandle counts retries after the first try.
            handle: RetryDnsHandle::new(pool, self.attempts.saturating_sub(1)),
            servers: self.servers,
            timeout: self.timeout,
            attempts: self.attempts,
        })
    }
}

/// A resolver that asks real DNS servers (hickory, tokio).
///
/// Lookups must run inside a tokio runtime with I/O and time enabled.
#[derive(Clone)]
pub struct HickoryResolver {
    handle: RetryDnsHandle<NameServerPool<TokioRuntimeProvider>>,
    servers: Vec<SocketAddr>,
    timeout: Duration,
    attempts: usize,
}

impl std::fmt::Debug for HickoryResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HickoryResolver")
            .field("servers", &self.servers)
            .field("timeout", &self.timeout)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl HickoryResolver {
    /// A resolver configured from `/etc/resolv.conf` (servers, timeout,
    /// attempts).
    pub fn from_system_conf() -> Result<Self, DnsError> {
        HickoryResolverBuilder::default().system_conf()?.build()
    }

    /// A resolver asking the given servers (address and port), with the
    /// default timeout and attempts.
    pub fn with_name_servers(
        servers: impl IntoIterator<Item = (IpAddr, u16)>,
    ) -> Result<Self, DnsError> {
        HickoryResolverBuilder::default()
            .name_servers(
                servers
                    .into_iter()
                    .map(|(ip, port)| SocketAddr::new(ip, port)),
            )
            .build()
    }

    /// A builder for a resolver with chosen servers, timeout and attempts.
    pub fn builder() -> HickoryResolverBuilder {
        HickoryResolverBuilder::default()
    }

    /// The servers asked.
    pub fn name_servers(&self) -> &[SocketAddr] {
        &self.servers
    }

    async fn ask(&self, name: &str, rtype: RecordType) -> Result<Answer<Record>, DnsError> {
        let key = normalize_name(name)?;
        let mut qname = if key.is_ascii() {
            Name::from_ascii(&key)
        } else {
            Name::from_utf8(&key)
        }
        .map_err(|_| DnsError::InvalidName(name.to_owned()))?;
        qname.set_fqdn(true);

        let mut options = DnsRequestOptions::default();
        options.use_edns = true;
        options.recursion_desired = true;
        let mut request =
            DnsRequest::from_query(Query::query(qname.clone(), hickory_type(rtype)), options);
        // RFC 6840 section 5.7: AD in a query asks for the AD bit in the answer.
        request.metadata.authentic_data = true;

        // The pool enforces the timeout per attempt; this bound only guards
        // against a stuck transport.
        let budget = self
            .timeout
            .saturating_mul(u32::try_from(self.attempts).unwrap_or(u32::MAX))
            .saturating_add(Duration::from_secs(1));
        let response =
            match tokio::time::timeout(budget, self.handle.send(request).first_answer()).await {
                Ok(Ok(response)) => response,
                Ok(Err(e)) => return Err(map_net_error(e)),
                Err(elapsed) => {
                    return Err(DnsError::TempFail {
                        kind: TempFailKind::Timeout,
                        source: Some(Box::new(elapsed)),
                    });
                }
            };
        answer_from(&response, &qname, rtype)
    }
}

#[async_trait]
impl Resolver for HickoryResolver {
    async fn lookup(&self, name: &str, rtype: RecordType) -> Result<Answer<Record>, DnsError> {
        self.ask(name, rtype).await
    }
}

fn hickory_type(rtype: RecordType) -> HickoryType {
    match rtype {
        RecordType::A => HickoryType::A,
        RecordType::Aaaa => HickoryType::AAAA,
        RecordType::Mx => HickoryType::MX,
        RecordType::Txt => HickoryType::TXT,
        RecordType::Ptr => HickoryType::PTR,
        RecordType::Tlsa => HickoryType::TLSA,
        RecordType::Cname => HickoryType::CNAME,
    }
}

/// Reads the records of the asked type out of a response that hickory did
/// not turn into an error (it has answers, or is NXDOMAIN with a CNAME).
fn answer_from(
    response: &DnsResponse,
    qname: &Name,
    rtype: RecordType,
) -> Result<Answer<Record>, DnsError> {
    // Follow the CNAME chain inside the answer section, from the query name.
    let mut owner = qname.clone();
    let mut ttl = u32::MAX;
    let mut records = Vec::new();
    for _ in 0..=crate::static_resolver::MAX_CNAME_CHAIN {
        for rr in response.answers.iter().filter(|rr| rr.name == owner) {
            if let Some(record) = convert(&rr.data)
                && record.record_type() == rtype
            {
                ttl = ttl.min(rr.ttl);
                records.push(record);
            }
        }
        if !records.is_empty() || rtype == RecordType::Cname {
            break;
        }
        let next = response.answers.iter().find_map(|rr| match &rr.data {
            RData::CNAME(target) if rr.name == owner => Some((target.0.clone(), rr.ttl)),
            _ => None,
        });
        match next {
            Some((target, cname_ttl)) => {
                ttl = ttl.min(cname_ttl);
                owner = target;
            }
            None => break,
        }
    }
    if records.is_empty() {
        let negative_ttl = response.negative_ttl();
        return Err(
            if response.metadata.response_code == ResponseCode::NXDomain {
                DnsError::NxDomain { negative_ttl }
            } else {
                DnsError::NoData { negative_ttl }
            },
        );
    }
    Ok(Answer::new(records, ttl, response.metadata.authentic_data))
}

fn convert(data: &RData) -> Option<Record> {
    Some(match data {
        RData::A(a) => Record::A(a.0),
        RData::AAAA(a) => Record::Aaaa(a.0),
        RData::MX(mx) => Record::Mx(Mx {
            preference: mx.preference,
            exchange: name_text(&mx.exchange),
        }),
        RData::TXT(txt) => Record::Txt(Txt::new(txt.txt_data.iter().map(|s| s.to_vec()).collect())),
        RData::PTR(ptr) => Record::Ptr(name_text(&ptr.0)),
        RData::CNAME(cname) => Record::Cname(name_text(&cname.0)),
        RData::TLSA(t) => Record::Tlsa(Tlsa {
            usage: t.cert_usage.into(),
            selector: t.selector.into(),
            matching: t.matching.into(),
            data: t.cert_data.clone(),
        }),
        _ => return None,
    })
}

/// A name as the rest of the crate writes names: lower case, no trailing dot.
fn name_text(name: &Name) -> String {
    let text = name.to_ascii();
    text.strip_suffix('.').unwrap_or(&text).to_ascii_lowercase()
}

fn map_net_error(error: NetError) -> DnsError {
    let kind = match &error {
        NetError::Dns(HickoryDnsError::NoRecordsFound(NoRecords {
            response_code,
            negative_ttl,
            ..
        })) => match *response_code {
            ResponseCode::NXDomain => {
                return DnsError::NxDomain {
                    negative_ttl: *negative_ttl,
                };
            }
            ResponseCode::NoError => {
                return DnsError::NoData {
                    negative_ttl: *negative_ttl,
                };
            }
            ResponseCode::ServFail => TempFailKind::ServFail,
            ResponseCode::Refused => TempFailKind::Refused,
            _ => TempFailKind::Other,
        },
        NetError::Dns(HickoryDnsError::ResponseCode(code)) => match *code {
            ResponseCode::ServFail => TempFailKind::ServFail,
            ResponseCode::Refused => TempFailKind::Refused,
            _ => TempFailKind::Other,
        },
        NetError::Dns(HickoryDnsError::DnssecBogus) => TempFailKind::ServFail,
        NetError::Timeout => TempFailKind::Timeout,
        NetError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => TempFailKind::Timeout,
        NetError::Io(_) | NetError::NoConnections => TempFailKind::Io,
        _ => TempFailKind::Other,
    };
    DnsError::TempFail {
        kind,
        source: Some(Box::new(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_resolver::proto::op::Query;

    fn kind(e: NetError) -> Option<TempFailKind> {
        match map_net_error(e) {
            DnsError::TempFail { kind, source } => {
                assert!(source.is_some(), "the hickory error is kept as source");
                Some(kind)
            }
            _ => None,
        }
    }

    #[test]
    fn errors_map_precisely() {
        use std::io::{Error, ErrorKind};
        assert_eq!(kind(NetError::Timeout), Some(TempFailKind::Timeout));
        assert_eq!(
            kind(NetError::from(Error::from(ErrorKind::TimedOut))),
            Some(TempFailKind::Timeout)
        );
        assert_eq!(
            kind(NetError::from(Error::from(ErrorKind::ConnectionRefused))),
            Some(TempFailKind::Io)
        );
        assert_eq!(kind(NetError::NoConnections), Some(TempFailKind::Io));
        assert_eq!(
            kind(NetError::Dns(HickoryDnsError::ResponseCode(
                ResponseCode::ServFail
            ))),
            Some(TempFailKind::ServFail)
        );
        assert_eq!(
            kind(NetError::Dns(HickoryDnsError::ResponseCode(
                ResponseCode::Refused
            ))),
            Some(TempFailKind::Refused)
        );
        assert_eq!(
            kind(NetError::Dns(HickoryDnsError::ResponseCode(
                ResponseCode::FormErr
            ))),
            Some(TempFailKind::Other)
        );
        assert_eq!(
            kind(NetError::Dns(HickoryDnsError::DnssecBogus)),
            Some(TempFailKind::ServFail)
        );
        assert_eq!(kind(NetError::Busy), Some(TempFailKind::Other));

        let query = Query::query(Name::root(), HickoryType::A);
        let mut nx = NoRecords::new(query.clone(), ResponseCode::NXDomain);
        nx.negative_ttl = Some(42);
        assert!(matches!(
            map_net_error(nx.into()),
            DnsError::NxDomain {
                negative_ttl: Some(42)
            }
        ));
        let nodata = NoRecords::new(query.clone(), ResponseCode::NoError);
        assert!(matches!(
            map_net_error(nodata.into()),
            DnsError::NoData { negative_ttl: None }
        ));
        let servfail = NoRecords::new(query, ResponseCode::ServFail);
        assert_eq!(kind(servfail.into()), Some(TempFailKind::ServFail));
    }
}
