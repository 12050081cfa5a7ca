//! `PipelineHandler` driven by the test MTA over TCP: inbound headers, zero-access body
//! replacement (decrypted again with the mailbox key), outbound DKIM signing by client
//! network or authentication, ARC sealing of forwarded mail (validated again).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::{Mta, local_config, start};
use mailsec::auth::arc::{ArcSealer, ArcValidator, ChainValidation};
use mailsec::auth::dkim::{Signer, SigningKey};
use mailsec::dns::{Record, StaticResolver};
use mailsec::pgp::{KeyGen, Open, SecretKey};
use mailsec::{Envelope, Pipeline};
use mailsec_milter::{PipelineHandler, PipelineHandlerBuilder, Response};

const HEADERS: &[(&str, &str)] = &[
    ("From", "Alice <alice@example.org>"),
    ("To", "bob@example.net"),
    ("Subject", "secret plans"),
    ("Date", "Fri, 27 Nov 2026 10:00:00 +0000"),
    ("Message-ID", "<plans-1@example.org>"),
    ("X-Folded", "first\r\n\tsecond"),
];
const BODY: &[u8] = b"The plans are in the usual place.\r\nBurn after reading.\r\n";

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000)
}

fn dns() -> StaticResolver {
    let mut dns = StaticResolver::new();
    dns.add("example.org", Record::txt("v=spf1 ip4:192.0.2.0/24 -all"));
    dns.add("_dmarc.example.org", Record::txt("v=DMARC1; p=reject"));
    dns
}

fn builder(dns: StaticResolver) -> PipelineHandlerBuilder {
    let pipeline = Pipeline::builder(Arc::new(dns))
        .authserv_id("mx.example.net")
        .build()
        .unwrap();
    PipelineHandler::builder(pipeline).now(now())
}

fn key(uid: &str) -> SecretKey {
    KeyGen::new(uid)
        .created(now() - Duration::from_secs(3600))
        .generate()
        .unwrap()
        .into_key()
}

/// Sends one message; returns the responses to end of message.
async fn send(
    handler: PipelineHandler,
    ip: &str,
    auth: Option<&str>,
    rcpts: &[&str],
    headers: &[(&str, &str)],
) -> Vec<Response> {
    let running = start(local_config(), Arc::new(handler)).await;
    let mut mta = Mta::connect(running.addr).await;
    mta.negotiate().await;
    mta.connect_helo(ip, "mail.example.org").await;
    mta.start_message("Q1", auth, "alice@example.org", rcpts, headers, BODY)
        .await;
    let out = mta.eom().await;
    drop(mta);
    running.shutdown().await;
    out
}

/// Applies the milter's edits the way an MTA does; returns the delivered message.
fn apply(headers: &[(&str, &str)], body: &[u8], responses: &[Response]) -> Vec<u8> {
    let mut hs: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    let mut new_body: Option<Vec<u8>> = None;
    for r in responses {
        match r {
            Response::AddHeader { name, value } => hs.push((name.clone(), value.trim().into())),
            Response::InsertHeader { index, name, value } => {
                let i = (*index as usize).min(hs.len());
                hs.insert(i, (name.clone(), value.trim().into()));
            }
            Response::ChangeHeader { index, name, value } => {
                let pos = hs
                    .iter()
                    .enumerate()
                    .filter(|(_, (n, _))| n.eq_ignore_ascii_case(name))
                    .nth(*index as usize - 1)
                    .map(|(i, _)| i);
                if let Some(i) = pos {
                    if value.is_empty() {
                        hs.remove(i);
                    } else {
                        hs[i].1 = value.trim().into();
                    }
                }
            }
            Response::ReplaceBody(chunk) => new_body
                .get_or_insert_with(Vec::new)
                .extend_from_slice(chunk),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (n, v) in &hs {
        out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(new_body.as_deref().unwrap_or(body));
    out
}

fn header<'a>(message: &'a [u8], name: &str) -> Vec<&'a str> {
    let text = std::str::from_utf8(message).unwrap();
    let head = text.split("\r\n\r\n").next().unwrap();
    head.split("\r\n")
        .filter_map(|l| l.split_once(": "))
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn inbound_gets_authentication_results() {
    let out = send(
        builder(dns()).build(),
        "192.0.2.7",
        None,
        &["bob@example.net"],
        HEADERS,
    )
    .await;
    assert_eq!(out.last(), Some(&Response::Accept));
    let delivered = apply(HEADERS, BODY, &out);
    let ar = header(&delivered, "Authentication-Results");
    assert_eq!(ar.len(), 1, "{}", String::from_utf8_lossy(&delivered));
    assert!(ar[0].starts_with("mx.example.net;"), "{}", ar[0]);
    assert!(ar[0].contains("spf=pass"), "{}", ar[0]);
    assert!(!header(&delivered, "X-Spam-Status").is_empty());
    assert!(!out.iter().any(|r| matches!(r, Response::ReplaceBody(_))));
}

#[tokio::test]
async fn zero_access_replaces_the_body_for_a_configured_mailbox() {
    let bob = key("Bob <bob@example.net>");
    let handler = builder(dns())
        .zero_access("Bob@Example.NET", bob.public_cert())
        .build();
    let out = send(handler, "192.0.2.7", None, &["bob@example.net"], HEADERS).await;
    assert_eq!(out.last(), Some(&Response::Accept));
    assert!(out.iter().any(|r| matches!(r, Response::ReplaceBody(_))));
    let delivered = apply(HEADERS, BODY, &out);
    // Stored form: no plaintext left, PGP/MIME outside, routing headers in the clear.
    assert!(!contains(&delivered, b"usual place"));
    assert!(!contains(&delivered, b"secret plans"));
    let ct = header(&delivered, "Content-Type");
    assert_eq!(ct.len(), 1, "{}", String::from_utf8_lossy(&delivered));
    assert!(ct[0].starts_with("multipart/encrypted"), "{}", ct[0]);
    assert_eq!(header(&delivered, "Message-ID"), ["<plans-1@example.org>"]);
    assert_eq!(header(&delivered, "Subject"), ["[...]"]);
    assert!(
        header(&delivered, "Authentication-Results")
            .iter()
            .any(|v| v.contains("spf=pass"))
    );
    // The server's spam verdict stays readable (server-side filtering).
    assert_eq!(header(&delivered, "X-Spam-Status").len(), 1);
    // Bob opens it: the original headers and body, with our headers on top.
    let opened = Open::new(now()).key(&bob).decrypt(&delivered).unwrap();
    let m = opened.message();
    assert!(
        contains(m, b"Subject: secret plans\r\n"),
        "{}",
        String::from_utf8_lossy(m)
    );
    assert!(contains(m, b"X-Folded: first\r\n\tsecond\r\n"));
    assert!(m.ends_with(BODY), "{}", String::from_utf8_lossy(m));
    assert!(m.starts_with(b"Authentication-Results: mx.example.net;"));
}

#[tokio::test]
async fn zero_access_needs_every_recipient_configured() {
    let bob = key("Bob <bob@example.net>");
    let carol = key("Carol <carol@example.net>");
    // Carol has no certificate: everyone gets the clear message.
    let handler = builder(dns())
        .zero_access("bob@example.net", bob.public_cert())
        .build();
    let out = send(
        handler,
        "192.0.2.7",
        None,
        &["bob@example.net", "carol@example.net"],
        HEADERS,
    )
    .await;
    assert!(!out.iter().any(|r| matches!(r, Response::ReplaceBody(_))));
    let delivered = apply(HEADERS, BODY, &out);
    assert!(contains(&delivered, b"usual place"));

    // Both configured: one copy, encrypted to both; each opens it.
    let handler = builder(dns())
        .zero_access("bob@example.net", bob.public_cert())
        .zero_access("carol@example.net", carol.public_cert())
        .build();
    let out = send(
        handler,
        "192.0.2.7",
        None,
        &["bob@example.net", "carol@example.net"],
        HEADERS,
    )
    .await;
    let delivered = apply(HEADERS, BODY, &out);
    assert!(!contains(&delivered, b"usual place"));
    for k in [&bob, &carol] {
        let opened = Open::new(now()).key(k).decrypt(&delivered).unwrap();
        assert!(opened.message().ends_with(BODY));
    }
    // A stranger's key does not open it.
    let eve = key("Eve <eve@example.com>");
    assert!(Open::new(now()).key(&eve).decrypt(&delivered).is_err());
}

#[tokio::test]
async fn spam_is_rejected_before_any_encryption() {
    let bob = key("Bob <bob@example.net>");
    // SPF fails (-all) and DMARC p=reject: with a low reject threshold it is refused.
    let config = mailsec::spam::Config::from_mailsec_toml(
        "[spam.actions]\nreject = 0.5\nadd_header = 0.3\ngreylist = 0.2\n",
    )
    .unwrap();
    let pipeline = Pipeline::builder(Arc::new(dns()))
        .authserv_id("mx.example.net")
        .scorer(mailsec::spam::Scorer::new(config))
        .build()
        .unwrap();
    let handler = PipelineHandler::builder(pipeline)
        .now(now())
        .zero_access("bob@example.net", bob.public_cert())
        .build();
    let out = send(handler, "203.0.113.9", None, &["bob@example.net"], HEADERS).await;
    assert!(
        matches!(out.last(), Some(Response::ReplyCode(c)) if c.code() == 550),
        "{out:?}"
    );
    assert!(!out.iter().any(|r| matches!(r, Response::ReplaceBody(_))));
}

fn dkim_and_arc(dns: &mut StaticResolver) -> (Signer, ArcSealer) {
    let dkim = SigningKey::generate_ed25519().unwrap();
    dns.add(
        "sel._domainkey.example.org",
        Record::txt(&dkim.dns_record()),
    );
    let arc = SigningKey::generate_ed25519().unwrap();
    dns.add("arc._domainkey.example.org", Record::txt(&arc.dns_record()));
    let signer = Signer::builder()
        .domain("example.org")
        .selector("sel")
        .key(dkim)
        .build();
    (signer, ArcSealer::new("example.org", "arc", arc))
}

#[tokio::test]
async fn outbound_by_client_network_is_signed_not_checked() {
    let mut zone = dns();
    let (signer, sealer) = dkim_and_arc(&mut zone);
    let handler = builder(zone.clone())
        .dkim_signer(signer)
        .arc_sealer(sealer)
        .local_domain("example.org")
        .client_network("10.0.0.0/8".parse().unwrap())
        .build();
    let out = send(handler, "10.1.2.3", None, &["bob@example.net"], HEADERS).await;
    let delivered = apply(HEADERS, BODY, &out);
    assert_eq!(header(&delivered, "DKIM-Signature").len(), 1);
    assert!(header(&delivered, "Authentication-Results").is_empty());
    // Our own From domain, first hop: not forwarded, no ARC set.
    assert!(header(&delivered, "ARC-Seal").is_empty());
    let report = mailsec::Authenticator::new("check")
        .check(
            &zone,
            &Envelope::new(None, None, None),
            &mail_parser::MessageParser::new().parse(&delivered).unwrap(),
            now(),
        )
        .await;
    assert_eq!(report.dkim()[0].result().as_str(), "pass");

    // Outside the network and not authenticated: inbound (checked, not signed).
    let (signer, _) = dkim_and_arc(&mut zone);
    let handler = builder(zone)
        .dkim_signer(signer)
        .client_network("10.0.0.0/8".parse().unwrap())
        .build();
    let out = send(handler, "192.0.2.7", None, &["bob@example.net"], HEADERS).await;
    let delivered = apply(HEADERS, BODY, &out);
    assert!(header(&delivered, "DKIM-Signature").is_empty());
    assert_eq!(header(&delivered, "Authentication-Results").len(), 1);
}

#[tokio::test]
async fn forwarded_mail_is_arc_sealed() {
    let mut zone = dns();
    let (signer, sealer) = dkim_and_arc(&mut zone);
    let handler = builder(zone.clone())
        .dkim_signer(signer)
        .arc_sealer(sealer)
        .local_domain("example.org")
        .build();
    // An authenticated user forwards mail from another domain.
    let forwarded: &[(&str, &str)] = &[
        (
            "Authentication-Results",
            "mx.example.net; spf=pass smtp.mailfrom=example.com",
        ),
        ("From", "Dave <dave@example.com>"),
        ("To", "alice@example.org"),
        ("Subject", "fwd: minutes"),
        ("Date", "Fri, 27 Nov 2026 09:00:00 +0000"),
    ];
    let out = send(
        handler,
        "198.51.100.20",
        Some("alice"),
        &["list@example.net"],
        forwarded,
    )
    .await;
    let delivered = apply(forwarded, BODY, &out);
    assert_eq!(
        header(&delivered, "ARC-Seal").len(),
        1,
        "{}",
        String::from_utf8_lossy(&delivered)
    );
    assert_eq!(header(&delivered, "ARC-Message-Signature").len(), 1);
    let aar = header(&delivered, "ARC-Authentication-Results");
    assert_eq!(
        aar,
        ["i=1; mx.example.net; spf=pass smtp.mailfrom=example.com"]
    );
    assert_eq!(header(&delivered, "DKIM-Signature").len(), 1);
    assert!(delivered.starts_with(b"ARC-Seal: "));
    let chain = ArcValidator::new().validate(&delivered, &zone, now()).await;
    assert_eq!(chain.cv(), ChainValidation::Pass, "{chain:?}");

    // A second forwarder seals again: the chain grows to two and still passes.
    let mut zone2 = zone.clone();
    let arc2 = SigningKey::generate_ed25519().unwrap();
    zone2.add(
        "arc2._domainkey.example.net",
        Record::txt(&arc2.dns_record()),
    );
    let handler = builder(zone2.clone())
        .arc_sealer(ArcSealer::new("example.net", "arc2", arc2))
        .local_domain("example.net")
        .build();
    let text = String::from_utf8(delivered).unwrap();
    let (head, _) = text.split_once("\r\n\r\n").unwrap();
    let hs: Vec<(&str, &str)> = head
        .split("\r\n")
        .map(|l| l.split_once(": ").unwrap())
        .collect();
    let out = send(
        handler,
        "198.51.100.30",
        Some("list"),
        &["x@example.com"],
        &hs,
    )
    .await;
    let delivered = apply(&hs, BODY, &out);
    assert_eq!(header(&delivered, "ARC-Seal").len(), 2);
    assert!(delivered.starts_with(b"ARC-Seal: "));
    let chain = ArcValidator::new()
        .validate(&delivered, &zone2, now())
        .await;
    assert_eq!(chain.cv(), ChainValidation::Pass, "{chain:?}");
    assert_eq!(chain.instances(), 2);
}

#[tokio::test]
async fn authenticated_mail_from_our_domain_is_not_sealed() {
    let mut zone = dns();
    let (signer, sealer) = dkim_and_arc(&mut zone);
    let handler = builder(zone)
        .dkim_signer(signer)
        .arc_sealer(sealer)
        .local_domain("example.org")
        .build();
    let out = send(
        handler,
        "198.51.100.20",
        Some("alice"),
        &["bob@example.net"],
        HEADERS,
    )
    .await;
    let delivered = apply(HEADERS, BODY, &out);
    assert_eq!(header(&delivered, "DKIM-Signature").len(), 1);
    assert!(header(&delivered, "ARC-Seal").is_empty());
}
