//! Limits: packet size, connection count, timeouts, garbage, graceful shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Mta, Recorder, local_config, start};
use mailsec_milter::protocol::Command;
use mailsec_milter::{MilterServer, Response};

#[tokio::test]
async fn oversized_packet_closes_the_connection_without_allocating() {
    let srv = start(local_config(), Arc::new(Recorder::default())).await;
    let mut mta = Mta::connect(srv.addr).await;
    mta.negotiate().await;
    // Announce 1 GiB; the server must refuse on the prefix alone.
    mta.send_raw(&[0x40, 0, 0, 0, b'B']).await.unwrap();
    assert!(mta.closed_within(Duration::from_secs(5)).await);
    // Just over the default 256 KiB limit, with the bytes actually sent.
    let mut mta = Mta::connect(srv.addr).await;
    mta.negotiate().await;
    let len: u32 = 256 * 1024 + 1;
    let mut pkt = len.to_be_bytes().to_vec();
    pkt.push(b'B');
    pkt.extend(std::iter::repeat_n(b'x', len as usize - 1));
    let _ = mta.send_raw(&pkt).await;
    assert!(mta.closed_within(Duration::from_secs(5)).await);
    // The server still serves others.
    let mut mta = Mta::connect(srv.addr).await;
    mta.negotiate().await;
    srv.shutdown().await;
}

#[tokio::test]
async fn garbage_and_protocol_errors_close_only_that_connection() {
    let srv = start(local_config(), Arc::new(Recorder::default())).await;
    for junk in [
        &b"\x00\x00\x00\x00"[..],                  // empty packet
        &b"\x00\x00\x00\x01Z"[..],                 // unknown code
        &b"\x00\x00\x00\x04O\x00\x00\x00"[..],     // truncated optneg
        &b"\x00\x00\x00\x02H\x00"[..],             // helo before negotiation
        &b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..], // not milter at all
    ] {
        let mut mta = Mta::connect(srv.addr).await;
        let _ = mta.send_raw(junk).await;
        assert!(
            mta.closed_within(Duration::from_secs(5)).await,
            "closed after {junk:?}"
        );
    }
    let mut mta = Mta::connect(srv.addr).await;
    mta.negotiate().await;
    mta.connect_helo("192.0.2.1", "h").await;
    assert_eq!(
        mta.message("Q", "plain", &["a@test"], b"x\r\n").await,
        vec![Response::Accept]
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_for_a_free_slot() {
    let srv = start(
        local_config().with_max_connections(1),
        Arc::new(Recorder::default()),
    )
    .await;
    let mut first = Mta::connect(srv.addr).await;
    first.negotiate().await;
    let mut second = Mta::connect(srv.addr).await;
    second
        .send(&Command::OptNeg(mailsec_milter::protocol::OptNeg {
            version: 6,
            actions: common::ALL_ACTIONS,
            protocol: common::ALL_PROTOCOL,
            macros: vec![],
        }))
        .await;
    assert_eq!(
        second.try_recv(Duration::from_millis(300)).await,
        Err("timeout"),
        "second connection must not be served while the first holds the only slot"
    );
    first.send(&Command::Quit).await;
    assert!(first.closed_within(Duration::from_secs(5)).await);
    match second.try_recv(Duration::from_secs(5)).await {
        Ok(Some(Response::OptNeg(o))) => assert_eq!(o.version, 6),
        other => panic!("second connection not served after the first left: {other:?}"),
    }
    srv.shutdown().await;
}

#[tokio::test]
async fn idle_and_read_timeouts() {
    let cfg = local_config()
        .with_idle_timeout(Duration::from_millis(200))
        .with_read_timeout(Duration::from_millis(200));
    let srv = start(cfg, Arc::new(Recorder::default())).await;
    // Idle between packets.
    let mut mta = Mta::connect(srv.addr).await;
    mta.negotiate().await;
    assert!(mta.closed_within(Duration::from_secs(3)).await);
    // A packet that starts and never finishes.
    let mut mta = Mta::connect(srv.addr).await;
    mta.send_raw(&[0, 0, 0, 13, b'O', 0]).await.unwrap();
    assert!(mta.closed_within(Duration::from_secs(3)).await);
    srv.shutdown().await;
}

#[tokio::test]
async fn graceful_shutdown_finishes_the_message_in_flight() {
    let rec = Arc::new(Recorder {
        delay: Duration::from_millis(300),
        ..Recorder::default()
    });
    let srv = start(local_config(), rec.clone()).await;
    let addr = srv.addr;
    // An idle connection (no message in progress) and a busy one.
    let mut idle = Mta::connect(addr).await;
    idle.negotiate().await;
    idle.connect_helo("192.0.2.8", "idle").await;
    let mut busy = Mta::connect(addr).await;
    busy.negotiate().await;
    busy.connect_helo("192.0.2.9", "busy").await;
    busy.start_message(
        "QS",
        None,
        "s@test",
        &["r@test"],
        &[("Subject", "reject")],
        b"x\r\n",
    )
    .await;
    // Let the server read what was sent (no replies are due with the no-reply flags).
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Shut down while the busy connection is mid-message.
    let stopping = tokio::spawn(srv.shutdown());
    tokio::time::sleep(Duration::from_millis(100)).await;
    // New connections are refused: the listener is closed.
    let refused = tokio::net::TcpStream::connect(addr).await.is_err();
    assert!(refused);
    // The idle connection is closed.
    assert!(idle.closed_within(Duration::from_secs(3)).await);
    // The in-flight message still gets its verdict, then the connection closes.
    let r = busy.eom().await;
    assert_eq!(
        r,
        vec![Response::ReplyCode(
            mailsec_milter::ReplyCode::new(550, Some("5.7.1"), "go away").unwrap()
        )]
    );
    assert!(busy.closed_within(Duration::from_secs(3)).await);
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn shutdown_grace_bounds_a_stuck_connection() {
    let cfg = local_config().with_shutdown_grace(Duration::from_millis(200));
    let server = MilterServer::bind(cfg, Arc::new(Recorder::default()))
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(async move {
        let _ = rx.await;
    }));
    let mut mta = Mta::connect(addr).await;
    mta.negotiate().await;
    mta.connect_helo("192.0.2.1", "h").await;
    mta.start_message("Q", None, "s@test", &["r@test"], &[("Subject", "x")], b"x")
        .await;
    // Mid-message and silent: shutdown must still end within the grace.
    tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(3), task)
        .await
        .expect("serve returns after the grace")
        .unwrap()
        .unwrap();
}
