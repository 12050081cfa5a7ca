//! `mailsec milter`: the binary serves the pipeline; a small MTA speaks the milter
//! protocol to it over TCP (inbound headers, a zero-access mailbox, outbound signing);
//! bad configuration exits 1 with one line on stderr.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mailsec_milter::Response;
use mailsec_milter::protocol::{
    Actions, Command as Cmd, Connect, EnvelopeAddress, Family, OptNeg, ProtocolFlags,
};

const ZONE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/dns/zone.txt");
const DKIM_KEY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/keys/dkim-example.org.pem"
);

struct Milter {
    child: Child,
    port: u16,
}

impl Drop for Milter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(config: &Path) -> Milter {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let db = config.with_extension("redb");
    let child = Command::new(env!("CARGO_BIN_EXE_mailsec"))
        .args([
            "--dns",
            ZONE,
            "--authserv-id",
            "mx.cli-test",
            "--now",
            "2026-11-27T12:00:00Z",
        ])
        .arg("--config")
        .arg(config)
        .args(["milter", "--listen", &format!("127.0.0.1:{port}"), "--db"])
        .arg(&db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut m = Milter { child, port };
    let t0 = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            m.child.try_wait().unwrap().is_none(),
            "milter exited at start"
        );
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "milter did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    m
}

fn send(s: &mut TcpStream, cmd: &Cmd) {
    let mut out = Vec::new();
    cmd.encode(&mut out).unwrap();
    s.write_all(&out).unwrap();
}

fn recv(s: &mut TcpStream) -> Response {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).unwrap();
    let mut payload = vec![0u8; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut payload).unwrap();
    Response::decode(&payload).unwrap()
}

fn step(s: &mut TcpStream, cmd: &Cmd) {
    send(s, cmd);
    assert_eq!(recv(s), Response::Continue, "reply to {}", cmd.name());
}

/// One message through the milter; returns the responses to end of message.
fn session(port: u16, ip: &str, auth: Option<&str>, rcpt: &str, message: &str) -> Vec<Response> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    send(
        &mut s,
        &Cmd::OptNeg(OptNeg {
            version: 6,
            actions: Actions(0x1ff),
            protocol: ProtocolFlags(0),
            macros: vec![],
        }),
    );
    assert!(matches!(recv(&mut s), Response::OptNeg(_)));
    step(
        &mut s,
        &Cmd::Connect(Connect {
            hostname: "mail.example.org".into(),
            family: Family::Inet4,
            port: 40000,
            address: ip.into(),
        }),
    );
    step(&mut s, &Cmd::Helo("mail.example.org".into()));
    let mut macros = vec![("i".to_owned(), "ABC123".to_owned())];
    if let Some(a) = auth {
        macros.push(("{auth_authen}".into(), a.into()));
    }
    send(
        &mut s,
        &Cmd::Macro {
            stage: b'M',
            macros,
        },
    );
    step(
        &mut s,
        &Cmd::Mail(EnvelopeAddress {
            address: "<alice@example.org>".into(),
            args: vec![],
        }),
    );
    step(
        &mut s,
        &Cmd::Rcpt(EnvelopeAddress {
            address: format!("<{rcpt}>"),
            args: vec![],
        }),
    );
    let (head, body) = message.split_once("\r\n\r\n").unwrap();
    for line in head.split("\r\n") {
        let (name, value) = line.split_once(':').unwrap();
        step(
            &mut s,
            &Cmd::Header {
                name: name.into(),
                value: value.trim_start().as_bytes().to_vec(),
            },
        );
    }
    step(&mut s, &Cmd::EndOfHeaders);
    step(&mut s, &Cmd::Body(body.as_bytes().to_vec()));
    send(&mut s, &Cmd::EndOfMessage(vec![]));
    let mut out = Vec::new();
    loop {
        let r = recv(&mut s);
        let last = matches!(
            r,
            Response::Accept | Response::Continue | Response::ReplyCode(_) | Response::Tempfail
        );
        out.push(r);
        if last {
            return out;
        }
    }
}

const MESSAGE: &str = "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\n\
Subject: quarterly numbers\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\
Message-ID: <q4@example.org>\r\n\r\nRevenue is up.\r\n";

fn inserted<'a>(responses: &'a [Response], name: &str) -> Vec<&'a str> {
    responses
        .iter()
        .filter_map(|r| match r {
            Response::InsertHeader { name: n, value, .. } if n.eq_ignore_ascii_case(name) => {
                Some(value.trim())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn milter_serves_inbound_zero_access_and_outbound() {
    let dir = tempfile::tempdir().unwrap();
    let bob = mailsec_pgp::KeyGen::new("Bob <bob@example.org>")
        .created(std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000))
        .generate()
        .unwrap();
    let cert = dir.path().join("bob.asc");
    std::fs::write(&cert, bob.armored_cert().unwrap()).unwrap();
    let config = dir.path().join("mailsec.toml");
    std::fs::write(
        &config,
        format!(
            "[milter]\nclient_networks = [\"10.0.0.0/8\"]\nlocal_domains = [\"example.org\"]\n\
             dkim_key = {DKIM_KEY:?}\ndkim_domain = \"example.org\"\ndkim_selector = \"sel1\"\n\
             [milter.zero_access]\n\"bob@example.org\" = {:?}\n",
            cert.display().to_string()
        ),
    )
    .unwrap();
    let milter = start(&config);

    // Inbound to another mailbox: Authentication-Results (spf=pass from 192.0.2.0/24).
    let out = session(
        milter.port,
        "192.0.2.25",
        None,
        "carol@example.org",
        MESSAGE,
    );
    assert_eq!(out.last(), Some(&Response::Accept), "{out:?}");
    let ar = inserted(&out, "Authentication-Results");
    assert!(
        ar.len() == 1 && ar[0].starts_with("mx.cli-test;") && ar[0].contains("spf=pass"),
        "{ar:?}"
    );
    assert!(!out.iter().any(|r| matches!(r, Response::ReplaceBody(_))));

    // Inbound to the zero-access mailbox: body replaced by ciphertext Bob's key opens.
    let out = session(milter.port, "192.0.2.25", None, "bob@example.org", MESSAGE);
    assert_eq!(out.last(), Some(&Response::Accept), "{out:?}");
    let ct = inserted(&out, "Content-Type");
    assert!(
        ct.len() == 1 && ct[0].starts_with("multipart/encrypted"),
        "{out:?}"
    );
    let body: Vec<u8> = out
        .iter()
        .filter_map(|r| match r {
            Response::ReplaceBody(b) => Some(b.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let stored = format!(
        "Content-Type: {}\r\nMIME-Version: 1.0\r\n\r\n{}",
        ct[0],
        String::from_utf8(body).unwrap()
    );
    assert!(!stored.contains("Revenue"));
    let opened = mailsec_pgp::Open::new(std::time::SystemTime::now())
        .key(bob.key())
        .decrypt(stored.as_bytes())
        .unwrap();
    let text = String::from_utf8_lossy(opened.message()).into_owned();
    assert!(text.contains("Revenue is up."), "{text}");
    assert!(text.contains("Subject: quarterly numbers"), "{text}");

    // Outbound (client network): DKIM-signed, not checked.
    let out = session(milter.port, "10.9.8.7", None, "dave@example.net", MESSAGE);
    assert_eq!(inserted(&out, "DKIM-Signature").len(), 1, "{out:?}");
    assert!(inserted(&out, "Authentication-Results").is_empty());
    // Outbound (authenticated): DKIM-signed too.
    let out = session(
        milter.port,
        "203.0.113.5",
        Some("alice"),
        "dave@example.net",
        MESSAGE,
    );
    assert_eq!(inserted(&out, "DKIM-Signature").len(), 1, "{out:?}");
}

fn bad_config(text: &str, expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mailsec.toml");
    std::fs::write(&config, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mailsec"))
        .args(["--dns", ZONE, "--config"])
        .arg(&config)
        .args(["milter", "--listen", "127.0.0.1:1", "--db"])
        .arg(dir.path().join("db.redb"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains(expected), "{err}");
}

#[test]
fn bad_milter_config_exits_1() {
    bad_config("[milter]\non_dns_failure = \"maybe\"\n", "on_dns_failure");
    bad_config("[milter]\narc_domain = \"example.org\"\n", "arc_key");
    bad_config(
        "[milter]\nclient_networks = [\"10.0.0.0/33\"]\n",
        "client_networks",
    );
    bad_config(
        "[milter.zero_access]\n\"bob@example.org\" = \"/nonexistent/bob.asc\"\n",
        "bob.asc",
    );
    bad_config(
        "[pipeline]\nkeyring = [\"/nonexistent/alice.asc\"]\n",
        "alice.asc",
    );
}
