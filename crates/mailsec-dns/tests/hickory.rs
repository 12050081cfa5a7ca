//! HickoryResolver against a small DNS server started on 127.0.0.1 by the test.
#![cfg(feature = "hickory")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::net::{Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hickory_resolver::proto::op::{Message, OpCode, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, CNAME, MX, SOA, TLSA, TXT};
use hickory_resolver::proto::rr::{Name, RData, Record as HRecord, RecordType as HType};
use mailsec_dns::{CachingResolver, DnsError, HickoryResolver, RecordType, Resolver, TempFailKind};
use tokio::net::UdpSocket;

fn name(s: &str) -> Name {
    Name::from_str(s).unwrap()
}

fn soa(zone: &str, ttl: u32, minimum: u32) -> HRecord {
    HRecord::from_rdata(
        name(zone),
        ttl,
        RData::SOA(SOA::new(
            name("ns.test."),
            name("hostmaster.test."),
            1,
            3600,
            600,
            86400,
            minimum,
        )),
    )
}

/// What the server saw, for assertions.
#[derive(Default)]
struct Seen {
    queries: AtomicUsize,
    ad_requested: AtomicUsize,
}

/// Builds the response to one query, or None to stay silent.
fn respond(query: &Message) -> Option<Message> {
    let q = query.queries.first()?.clone();
    let qname = q.name().to_ascii().to_ascii_lowercase();
    let mut resp = Message::response(query.metadata.id, OpCode::Query);
    resp.metadata.recursion_desired = query.metadata.recursion_desired;
    resp.metadata.recursion_available = true;
    resp.add_query(q.clone());
    let owner = q.name().clone();
    let ad = query.metadata.authentic_data;
    match (qname.as_str(), q.query_type()) {
        ("a.test.", HType::A) => {
            resp.add_answer(HRecord::from_rdata(
                owner,
                300,
                RData::A(A(Ipv4Addr::new(192, 0, 2, 1))),
            ));
            resp.add_answer(HRecord::from_rdata(
                q.name().clone(),
                200,
                RData::A(A(Ipv4Addr::new(192, 0, 2, 2))),
            ));
        }
        ("secure.test.", HType::A) => {
            // Like a validating resolver: AD only when the query asked for it.
            resp.metadata.authentic_data = ad;
            resp.add_answer(HRecord::from_rdata(
                owner,
                60,
                RData::A(A(Ipv4Addr::new(192, 0, 2, 9))),
            ));
        }
        ("txt.test.", HType::TXT) => {
            let txt = TXT::new(vec!["v=spf1 ".to_owned(), "-all".to_owned()]);
            resp.add_answer(HRecord::from_rdata(owner, 120, RData::TXT(txt)));
        }
        ("mx.test.", HType::MX) => {
            for (pref, host) in [(20, "b.mx.test."), (10, "A.MX.test.")] {
                resp.add_answer(HRecord::from_rdata(
                    owner.clone(),
                    3600,
                    RData::MX(MX::new(pref, name(host))),
                ));
            }
        }
        ("tlsa.test.", HType::TLSA) => {
            resp.metadata.authentic_data = ad;
            resp.add_answer(HRecord::from_rdata(
                owner,
                300,
                RData::TLSA(TLSA::new(3.into(), 1.into(), 1.into(), vec![0xab; 32])),
            ));
        }
        ("alias.test.", HType::A) => {
            resp.add_answer(HRecord::from_rdata(
                owner,
                30,
                RData::CNAME(CNAME(name("a.test."))),
            ));
            resp.add_answer(HRecord::from_rdata(
                name("a.test."),
                300,
                RData::A(A(Ipv4Addr::new(192, 0, 2, 1))),
            ));
        }
        ("alias-nodata.test.", HType::TXT) => {
            resp.add_answer(HRecord::from_rdata(
                owner,
                30,
                RData::CNAME(CNAME(name("a.test."))),
            ));
            resp.add_authority(soa("test.", 900, 45));
        }
        ("nx.test.", _) => {
            resp.metadata.response_code = ResponseCode::NXDomain;
            resp.add_authority(soa("test.", 600, 120));
        }
        ("nx-nosoa.test.", _) => {
            resp.metadata.response_code = ResponseCode::NXDomain;
        }
        ("nodata.test.", _) | ("a.test.", _) => {
            resp.add_authority(soa("test.", 60, 3600));
        }
        ("servfail.test.", _) => resp.metadata.response_code = ResponseCode::ServFail,
        ("refused.test.", _) => resp.metadata.response_code = ResponseCode::Refused,
        ("drop.test.", _) => return None,
        _ => resp.metadata.response_code = ResponseCode::NXDomain,
    }
    Some(resp)
}

/// Starts the server; returns its address and what it saw.
async fn start_server() -> (SocketAddr, Arc<Seen>) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let seen = Arc::new(Seen::default());
    let seen2 = seen.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let Ok((len, peer)) = socket.recv_from(&mut buf).await else {
                return;
            };
            let Ok(query) = Message::from_vec(&buf[..len]) else {
                continue;
            };
            seen2.queries.fetch_add(1, Ordering::SeqCst);
            if query.metadata.authentic_data {
                seen2.ad_requested.fetch_add(1, Ordering::SeqCst);
            }
            if let Some(resp) = respond(&query) {
                let bytes = resp.to_vec().unwrap();
                let _ = socket.send_to(&bytes, peer).await;
            }
        }
    });
    (addr, seen)
}

fn resolver(addr: SocketAddr) -> HickoryResolver {
    HickoryResolver::builder()
        .name_server(addr)
        .timeout(Duration::from_millis(300))
        .attempts(2)
        .tcp_fallback(false)
        .build()
        .unwrap()
}

#[tokio::test]
async fn positive_answers() {
    let (addr, seen) = start_server().await;
    let dns = resolver(addr);

    let a = dns.a("a.test").await.unwrap();
    assert_eq!(
        a.records(),
        [Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(192, 0, 2, 2)]
    );
    assert_eq!(a.ttl(), 200, "lowest TTL");
    assert!(!a.is_authenticated());

    let txt = dns.txt("TXT.test.").await.unwrap();
    assert_eq!(
        txt.records()[0].strings(),
        [b"v=spf1 ".to_vec(), b"-all".to_vec()]
    );
    assert_eq!(txt.records()[0].to_string_lossy(), "v=spf1 -all");
    assert_eq!(txt.ttl(), 120);

    let mx = dns.mx("mx.test").await.unwrap();
    let hosts: Vec<_> = mx
        .records()
        .iter()
        .map(|m| (m.preference, m.exchange.as_str()))
        .collect();
    assert_eq!(hosts, [(10, "a.mx.test"), (20, "b.mx.test")]);

    let tlsa = dns.tlsa("tlsa.test").await.unwrap();
    assert_eq!(tlsa.records()[0].usage, 3);
    assert_eq!(tlsa.records()[0].data, vec![0xab; 32]);
    assert!(tlsa.is_authenticated());

    // CNAME chain followed; TTL is the chain's lowest.
    let alias = dns.a("alias.test").await.unwrap();
    assert_eq!(alias.records(), [Ipv4Addr::new(192, 0, 2, 1)]);
    assert_eq!(alias.ttl(), 30);
    // The server answers only A questions for alias.test: NXDOMAIN otherwise.
    assert!(matches!(
        dns.lookup("alias.test", RecordType::Cname).await,
        Err(DnsError::NxDomain { .. })
    ));

    assert!(seen.queries.load(Ordering::SeqCst) >= 6);
    assert_eq!(
        seen.ad_requested.load(Ordering::SeqCst),
        seen.queries.load(Ordering::SeqCst),
        "every query asks for the AD bit"
    );
}

#[tokio::test]
async fn ad_bit_reported() {
    let (addr, _) = start_server().await;
    let dns = resolver(addr);
    let secure = dns.a("secure.test").await.unwrap();
    assert!(secure.is_authenticated());
    assert_eq!(secure.records(), [Ipv4Addr::new(192, 0, 2, 9)]);
}

#[tokio::test]
async fn negative_answers() {
    let (addr, _) = start_server().await;
    let dns = resolver(addr);

    match dns.a("nx.test").await {
        Err(DnsError::NxDomain { negative_ttl }) => assert_eq!(negative_ttl, Some(120)),
        other => panic!("{other:?}"),
    }
    match dns.a("nx-nosoa.test").await {
        Err(DnsError::NxDomain { negative_ttl }) => assert_eq!(negative_ttl, None),
        other => panic!("{other:?}"),
    }
    match dns.txt("nodata.test").await {
        Err(DnsError::NoData { negative_ttl }) => assert_eq!(negative_ttl, Some(60)),
        other => panic!("{other:?}"),
    }
    // a.test exists (it has A records) but no TXT: NODATA, not NXDOMAIN.
    assert!(matches!(
        dns.txt("a.test").await,
        Err(DnsError::NoData { .. })
    ));
    // A CNAME to a name without the type: NODATA with the SOA's TTL.
    match dns.txt("alias-nodata.test").await {
        Err(DnsError::NoData { negative_ttl }) => assert_eq!(negative_ttl, Some(45)),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn temporary_failures() {
    let (addr, seen) = start_server().await;
    let dns = resolver(addr);

    let err = dns.a("servfail.test").await.unwrap_err();
    assert!(
        matches!(
            err,
            DnsError::TempFail {
                kind: TempFailKind::ServFail,
                ..
            }
        ),
        "{err:?}"
    );
    let err = dns.a("refused.test").await.unwrap_err();
    assert!(
        matches!(
            err,
            DnsError::TempFail {
                kind: TempFailKind::Refused,
                ..
            }
        ),
        "{err:?}"
    );

    let before = seen.queries.load(Ordering::SeqCst);
    let start = Instant::now();
    let err = dns.a("drop.test").await.unwrap_err();
    let took = start.elapsed();
    assert!(
        matches!(
            err,
            DnsError::TempFail {
                kind: TempFailKind::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(took >= Duration::from_millis(290), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(
        seen.queries.load(Ordering::SeqCst) - before >= 2,
        "two attempts were made"
    );
}

#[tokio::test]
async fn invalid_name_and_no_server() {
    let (addr, _) = start_server().await;
    let dns = resolver(addr);
    assert!(matches!(
        dns.a("a..test").await,
        Err(DnsError::InvalidName(_))
    ));
    assert!(HickoryResolver::builder().build().is_err());
    let dns = HickoryResolver::with_name_servers([(addr.ip(), addr.port())]).unwrap();
    assert_eq!(dns.name_servers(), [addr]);
    assert!(dns.a("a.test").await.is_ok());
}

#[tokio::test]
async fn behind_the_cache() {
    let (addr, seen) = start_server().await;
    let dns = CachingResolver::new(resolver(addr));
    dns.txt("txt.test").await.unwrap();
    dns.txt("txt.test").await.unwrap();
    let _ = dns.a("nx.test").await;
    let _ = dns.a("nx.test").await;
    let _ = dns.a("servfail.test").await;
    let _ = dns.a("servfail.test").await;
    let queries = seen.queries.load(Ordering::SeqCst);
    // txt once, nx once, servfail twice (each SERVFAIL may be retried once).
    assert!((4..=6).contains(&queries), "{queries}");
    assert!(matches!(
        dns.lookup("nx.test", RecordType::A).await,
        Err(DnsError::NxDomain { negative_ttl: Some(t) }) if t <= 120
    ));
}

#[tokio::test]
async fn nobody_listening() {
    // A port that was just free: nothing answers there.
    let port = {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        s.local_addr().unwrap().port()
    };
    let dns = resolver(SocketAddr::from(([127, 0, 0, 1], port)));
    let err = dns.a("a.test").await.unwrap_err();
    assert!(
        matches!(
            err,
            DnsError::TempFail {
                kind: TempFailKind::Timeout | TempFailKind::Io,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn system_conf_builds() {
    // Reads /etc/resolv.conf; only checks that a resolver comes out of it
    // when the file names a server (no query is sent).
    if std::fs::read_to_string("/etc/resolv.conf")
        .is_ok_and(|s| s.lines().any(|l| l.trim_start().starts_with("nameserver")))
    {
        let dns = HickoryResolver::from_system_conf().unwrap();
        assert!(!dns.name_servers().is_empty());
    }
}
