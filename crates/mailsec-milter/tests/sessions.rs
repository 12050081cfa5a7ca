//! Full milter sessions over TCP against the server, driven by a test MTA.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Mta, Recorder, local_config, start};
use mailsec_milter::protocol::{Actions, Command, ProtocolFlags};
use mailsec_milter::{MilterConfig, OversizeAction, Response, SessionConfig};

fn code(r: &Response) -> Option<String> {
    match r {
        Response::ReplyCode(c) => Some(c.line()),
        _ => None,
    }
}

#[tokio::test]
async fn every_verdict_kind_over_one_connection() {
    every_verdict_kind(false).await;
    every_verdict_kind(true).await;
}

async fn every_verdict_kind(no_reply: bool) {
    let rec = Arc::new(Recorder::default());
    let cfg = local_config().with_session(SessionConfig {
        no_reply,
        ..SessionConfig::default()
    });
    let srv = start(cfg, rec.clone()).await;
    let mut mta = Mta::connect(srv.addr).await;
    let neg = mta.negotiate().await;
    assert_eq!(neg.version, 6);
    assert!(neg.actions.contains(
        Actions::ADD_HEADERS | Actions::CHANGE_HEADERS | Actions::CHANGE_BODY | Actions::QUARANTINE
    ));
    assert_eq!(neg.protocol.contains(ProtocolFlags::ALL_NO_REPLY), no_reply);
    assert!(neg.protocol.contains(ProtocolFlags::HEADER_LEADING_SPACE));
    assert!(!neg.macros.is_empty(), "macros requested");
    mta.connect_helo("192.0.2.10", "client.test").await;

    let r = mta.message("Q1", "plain", &["a@test"], b"hi\r\n").await;
    assert_eq!(r, vec![Response::Accept]);

    let r = mta.message("Q2", "reject", &["a@test"], b"hi\r\n").await;
    assert_eq!(r.len(), 1);
    assert_eq!(code(&r[0]).as_deref(), Some("550 5.7.1 go away"));

    let r = mta.message("Q3", "tempfail", &["a@test"], b"hi\r\n").await;
    assert_eq!(code(&r[0]).as_deref(), Some("451 4.7.1 later"));

    let r = mta.message("Q4", "discard", &["a@test"], b"hi\r\n").await;
    assert_eq!(r, vec![Response::Discard]);

    let r = mta
        .message("Q5", "quarantine", &["a@test"], b"hi\r\n")
        .await;
    assert_eq!(
        r,
        vec![
            Response::AddHeader {
                name: "X-Q".into(),
                value: " 1".into()
            },
            Response::Quarantine("suspicious".into()),
            Response::Accept
        ]
    );

    let r = mta.message("Q6", "edits", &["a@test"], b"hi\r\n").await;
    assert_eq!(
        r,
        vec![
            Response::InsertHeader {
                index: 0,
                name: "Authentication-Results".into(),
                value: " mx.test; none".into()
            },
            Response::AddHeader {
                name: "X-Spam-Score".into(),
                value: " 1.5\n\tfolded".into()
            },
            Response::ChangeHeader {
                index: 1,
                name: "Subject".into(),
                value: " changed".into()
            },
            Response::ChangeHeader {
                index: 2,
                name: "X-Old".into(),
                value: String::new()
            },
            Response::Accept
        ]
    );

    let r = mta.message("Q7", "replace", &["a@test"], b"hi\r\n").await;
    let chunks: Vec<&Vec<u8>> = r
        .iter()
        .filter_map(|x| match x {
            Response::ReplaceBody(b) => Some(b),
            _ => None,
        })
        .collect();
    assert_eq!(chunks.len(), 3);
    assert!(chunks.iter().all(|c| c.len() <= 65535));
    let body: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
    assert_eq!(body, vec![b'z'; 150_000]);
    assert_eq!(r.last(), Some(&Response::Accept));

    mta.send(&Command::Quit).await;
    assert!(mta.closed_within(Duration::from_secs(5)).await);
    assert_eq!(rec.seen.lock().unwrap().len(), 7);
    srv.shutdown().await;
}

#[tokio::test]
async fn envelope_macros_and_raw_message_per_message() {
    let rec = Arc::new(Recorder::default());
    let srv = start(local_config(), rec.clone()).await;
    let mut mta = Mta::connect(srv.addr).await;
    mta.negotiate().await;
    mta.connect_helo("2001:db8::5", "v6.test").await;
    mta.start_message(
        "QA",
        Some("alice"),
        "alice@example.org",
        &["x@test", "y@test"],
        &[("From", "alice@example.org"), ("Subject", "first")],
        b"body one\r\n",
    )
    .await;
    assert_eq!(mta.eom().await, vec![Response::Accept]);
    mta.start_message(
        "QB",
        None,
        "bob@example.org",
        &["z@test"],
        &[("Subject", "second"), ("X-Fold", "a\n\tb")],
        b"body two\r\n",
    )
    .await;
    assert_eq!(mta.eom().await, vec![Response::Accept]);
    mta.send(&Command::Quit).await;

    let seen = rec.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    let (a, b) = (&seen[0], &seen[1]);
    assert_eq!(
        a.message,
        b"From: alice@example.org\r\nSubject: first\r\n\r\nbody one\r\n"
    );
    assert_eq!(
        b.message,
        b"Subject: second\r\nX-Fold: a\r\n\tb\r\n\r\nbody two\r\n"
    );
    assert_eq!(a.envelope.client_ip(), "2001:db8::5".parse().ok());
    assert_eq!(a.envelope.helo(), Some("v6.test"));
    assert_eq!(a.envelope.auth_authen(), Some("alice"));
    assert_eq!(a.envelope.rcpts().len(), 2);
    assert_eq!(
        a.envelope.mail_from().unwrap().args,
        vec!["BODY=8BITMIME".to_owned()]
    );
    // Message-level state does not leak into the next message; connection-level does stay.
    assert_eq!(b.envelope.auth_authen(), None);
    assert_eq!(b.envelope.rcpts().len(), 1);
    assert_eq!(b.envelope.mail_from().unwrap().bare(), "bob@example.org");
    assert_eq!(b.envelope.mta_name(), Some("mx.test"));
    assert_eq!(b.envelope.helo(), Some("v6.test"));
    // The EOM macros are seen by the handler.
    assert_eq!(b.envelope.queue_id(), Some("EOM"));
    srv.shutdown().await;
}

#[tokio::test]
async fn abort_mid_message_then_next_message() {
    let rec = Arc::new(Recorder::default());
    let srv = start(local_config(), rec.clone()).await;
    let mut mta = Mta::connect(srv.addr).await;
    mta.negotiate().await;
    mta.connect_helo("192.0.2.1", "h").await;
    mta.start_message(
        "Q1",
        Some("mallory"),
        "m@test",
        &["r1@test", "r2@test"],
        &[("Subject", "reject")],
        b"aborted body\r\n",
    )
    .await;
    mta.send(&Command::Abort).await;
    let r = mta.message("Q2", "plain", &["r3@test"], b"kept\r\n").await;
    assert_eq!(r, vec![Response::Accept]);
    // Quit-new-connection: the same socket serves a new SMTP connection.
    mta.send(&Command::QuitNewConnection).await;
    mta.connect_helo("192.0.2.2", "second-conn").await;
    let r = mta.message("Q3", "tempfail", &["r4@test"], b"x\r\n").await;
    assert_eq!(code(&r[0]).as_deref(), Some("451 4.7.1 later"));
    mta.send(&Command::Quit).await;
    assert!(mta.closed_within(Duration::from_secs(5)).await);

    let seen = rec.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0].message,
        b"From: sender@example.org\r\nSubject: plain\r\n\r\nkept\r\n"
    );
    assert_eq!(seen[0].envelope.rcpts().len(), 1);
    assert_eq!(seen[0].envelope.auth_authen(), None);
    assert_eq!(seen[1].envelope.helo(), Some("second-conn"));
    assert_eq!(seen[1].envelope.client_ip(), "192.0.2.2".parse().ok());
    srv.shutdown().await;
}

#[tokio::test]
async fn mta_without_no_reply_flags_gets_every_reply() {
    let rec = Arc::new(Recorder::default());
    let srv = start(local_config(), rec.clone()).await;
    let mut mta = Mta::connect(srv.addr).await;
    // An MTA offering only the v2 skip flags and add-headers: every step is answered.
    let neg = mta
        .negotiate_with(6, Actions::ADD_HEADERS, ProtocolFlags(0x7f))
        .await;
    assert_eq!(neg.actions, Actions::ADD_HEADERS);
    assert_eq!(neg.protocol, ProtocolFlags(0));
    assert!(neg.macros.is_empty());
    mta.connect_helo("192.0.2.3", "h").await; // `step` asserts a `continue` for each
    let r = mta.message("Q", "edits", &["a@test"], b"x\r\n").await;
    // Only the edit the MTA allowed goes out.
    assert_eq!(
        r,
        vec![
            Response::InsertHeader {
                index: 0,
                name: "Authentication-Results".into(),
                value: "mx.test; none".into()
            },
            Response::AddHeader {
                name: "X-Spam-Score".into(),
                value: "1.5\n\tfolded".into()
            },
            Response::Accept
        ]
    );
    // Without leading-space mode the server puts the space back.
    let seen = rec.seen.lock().unwrap().clone();
    assert!(seen[0].message.starts_with(b"From: sender@example.org\r\n"));
    srv.shutdown().await;
}

#[tokio::test]
async fn old_protocol_version_is_answered_in_kind() {
    let srv = start(local_config(), Arc::new(Recorder::default())).await;
    let mut mta = Mta::connect(srv.addr).await;
    let neg = mta
        .negotiate_with(2, Actions(0x3f), ProtocolFlags(0x7f))
        .await;
    assert_eq!(neg.version, 2);
    let mut mta = Mta::connect(srv.addr).await;
    mta.send(&Command::OptNeg(mailsec_milter::protocol::OptNeg {
        version: 1,
        actions: Actions(1),
        protocol: ProtocolFlags(0),
        macros: vec![],
    }))
    .await;
    assert!(mta.closed_within(Duration::from_secs(5)).await);
    srv.shutdown().await;
}

#[tokio::test]
async fn progress_while_the_handler_works_and_handler_timeout() {
    let rec = Arc::new(Recorder {
        delay: Duration::from_millis(400),
        ..Recorder::default()
    });
    let cfg = local_config().with_progress_interval(Duration::from_millis(50));
    let srv = start(cfg, rec.clone()).await;
    let mut mta = Mta::connect(srv.addr).await;
    mta.negotiate().await;
    mta.connect_helo("192.0.2.4", "h").await;
    let r = mta.message("Q", "plain", &["a@test"], b"x\r\n").await;
    let progress = r.iter().filter(|x| **x == Response::Progress).count();
    assert!(progress >= 3, "got {progress} progress packets");
    assert_eq!(r.last(), Some(&Response::Accept));
    srv.shutdown().await;

    let cfg = local_config().with_handler_timeout(Duration::from_millis(100));
    let srv = start(cfg, rec).await;
    let mut mta = Mta::connect(srv.addr).await;
    mta.negotiate().await;
    mta.connect_helo("192.0.2.4", "h").await;
    let r = mta.message("Q", "plain", &["a@test"], b"x\r\n").await;
    assert_eq!(
        code(r.last().unwrap()).as_deref(),
        Some("451 4.3.0 content check timed out")
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn oversize_message_tempfails_or_passes_unscanned() {
    for (action, want) in [
        (
            OversizeAction::Tempfail,
            Some("451 4.3.4 message too large for content scanning"),
        ),
        (OversizeAction::AcceptUnscanned, None),
    ] {
        let rec = Arc::new(Recorder::default());
        let cfg = local_config().with_session(SessionConfig {
            max_message_size: 100_000,
            oversize_action: action,
            ..SessionConfig::default()
        });
        let srv = start(cfg, rec.clone()).await;
        let mut mta = Mta::connect(srv.addr).await;
        mta.negotiate().await;
        mta.connect_helo("192.0.2.5", "h").await;
        let r = mta
            .message("Q", "reject", &["a@test"], &vec![b'b'; 200_000])
            .await;
        match want {
            Some(w) => assert_eq!(code(&r[0]).as_deref(), Some(w)),
            None => assert_eq!(r, vec![Response::Accept]),
        }
        // The handler never saw it; the next small message is scanned normally.
        let r = mta.message("Q2", "reject", &["a@test"], b"small\r\n").await;
        assert_eq!(code(&r[0]).as_deref(), Some("550 5.7.1 go away"));
        assert_eq!(rec.seen.lock().unwrap().len(), 1);
        srv.shutdown().await;
    }
}

#[tokio::test]
async fn unix_socket_listener() {
    let dir = std::env::temp_dir().join(format!("mailsec-milter-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("milter.sock");
    let cfg = MilterConfig::new(format!("unix:{}", path.display()).parse().unwrap());
    let server = mailsec_milter::MilterServer::bind(cfg, Arc::new(Recorder::default()))
        .await
        .unwrap();
    assert!(server.local_addr().is_none());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(async move {
        let _ = rx.await;
    }));
    let mut mta = Mta::connect_unix(&path).await;
    mta.negotiate().await;
    mta.connect_helo("192.0.2.6", "h").await;
    let r = mta.message("Q", "discard", &["a@test"], b"x\r\n").await;
    assert_eq!(r, vec![Response::Discard]);
    mta.send(&Command::Quit).await;
    tx.send(()).unwrap();
    task.await.unwrap().unwrap();
    assert!(!path.exists(), "socket removed on shutdown");
    let _ = std::fs::remove_dir_all(&dir);
}
