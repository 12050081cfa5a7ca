//! SIGTERM stops the server gracefully: the in-flight message still gets its verdict.
//! (Its own test binary: it signals its own process.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Mta, Recorder, local_config};
use mailsec_milter::{MilterServer, Response};

#[tokio::test]
async fn sigterm_finishes_in_flight_message_then_stops() {
    let server = MilterServer::bind(local_config(), Arc::new(Recorder::default()))
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let task = tokio::spawn(server.serve_until_signal());
    let mut mta = Mta::connect(addr).await;
    mta.negotiate().await; // the server task has run: its signal handlers are installed
    mta.connect_helo("192.0.2.1", "h").await;
    mta.start_message(
        "Q",
        None,
        "s@test",
        &["r@test"],
        &[("Subject", "discard")],
        b"x\r\n",
    )
    .await;
    let status = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "listener closed after SIGTERM"
    );
    assert_eq!(mta.eom().await, vec![Response::Discard]);
    assert!(mta.closed_within(Duration::from_secs(3)).await);
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("server stops after SIGTERM")
        .unwrap()
        .unwrap();
}
