//! A hostile MTA peer: floods of headers, recipients, macros and body, fed
//! through the wire decoder into a session. Each finishes well under a second
//! with memory bounded by the configured caps.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use mailsec_milter::protocol::{Actions, Command, Decoder, EnvelopeAddress, OptNeg, ProtocolFlags};
use mailsec_milter::session::{Session, SessionConfig, Step};
use mailsec_milter::{Response, Verdict};
use mailsec_testkit::{scales_linearly, within_a_second};

fn optneg() -> Command {
    Command::OptNeg(OptNeg {
        version: 6,
        actions: Actions(0x1ff),
        protocol: ProtocolFlags(0x1f_ffff),
        macros: vec![],
    })
}

fn wire(cmds: &[Command]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in cmds {
        c.encode(&mut out).unwrap();
    }
    out
}

/// Decodes `bytes` and feeds a session; returns the session, how many
/// messages completed, and whether it stopped on an error.
fn run(bytes: &[u8], config: SessionConfig) -> (Session, usize, bool) {
    let mut decoder = Decoder::new(256 * 1024);
    let mut session = Session::new(config);
    let mut messages = 0;
    decoder.push(bytes);
    loop {
        match decoder.next_command() {
            Ok(Some(cmd)) => match session.handle(cmd) {
                Ok(Step::Message) => {
                    messages += 1;
                    let r = session.verdict_responses(&Verdict::accept());
                    assert_eq!(r.last(), Some(&Response::Accept));
                }
                Ok(_) => {}
                Err(_) => return (session, messages, true),
            },
            Ok(None) => return (session, messages, false),
            Err(_) => return (session, messages, true),
        }
    }
}

fn addr(a: &str) -> EnvelopeAddress {
    EnvelopeAddress {
        address: a.into(),
        args: vec![],
    }
}

fn header_flood(n: usize) -> Vec<u8> {
    let mut cmds = vec![optneg(), Command::Mail(addr("<a@example.com>"))];
    for i in 0..n {
        cmds.push(Command::Header {
            name: format!("X-H{i}"),
            value: b"some value here".to_vec(),
        });
    }
    cmds.push(Command::EndOfHeaders);
    cmds.push(Command::EndOfMessage(vec![]));
    wire(&cmds)
}

/// A burst of many small packets pushed at once is decoded in linear time
/// (taking a packet out used to move the rest of the buffer).
#[test]
fn a_burst_of_headers_scales_linearly() {
    scales_linearly("header burst", 7_500, header_flood, |bytes| {
        run(bytes, SessionConfig::default()).1
    });
}

#[test]
fn thirty_thousand_headers_stay_within_the_message_cap() {
    let mut cmds = vec![optneg(), Command::Mail(addr("<a@example.com>"))];
    for i in 0..30_000 {
        cmds.push(Command::Header {
            name: format!("X-H{i}"),
            value: b"some value here".to_vec(),
        });
    }
    cmds.push(Command::EndOfHeaders);
    cmds.push(Command::EndOfMessage(vec![]));
    let bytes = wire(&cmds);
    let cap = 1 << 20;
    let config = SessionConfig {
        max_message_size: cap,
        ..SessionConfig::default()
    };
    let (session, messages, errored) = within_a_second("30k headers", || run(&bytes, config));
    assert!(!errored);
    assert_eq!(messages, 1);
    assert!(session.message().len() <= cap);
}

#[test]
fn a_recipient_flood_is_cut_off() {
    let mut cmds = vec![optneg(), Command::Mail(addr("<a@example.com>"))];
    for i in 0..100_000 {
        cmds.push(Command::Rcpt(addr(&format!("<r{i}@example.org>"))));
    }
    let bytes = wire(&cmds);
    let (session, _, errored) =
        within_a_second("100k rcpts", || run(&bytes, SessionConfig::default()));
    assert!(errored, "more than max_recipients must stop the session");
    assert!(session.envelope().rcpts().len() <= SessionConfig::default().max_recipients);
}

#[test]
fn a_macro_flood_is_cut_off() {
    let mut cmds = vec![optneg()];
    for i in 0..20_000 {
        cmds.push(Command::Macro {
            stage: b'C',
            macros: vec![(format!("{{m{i}}}"), "v".repeat(64))],
        });
    }
    let bytes = wire(&cmds);
    let (session, _, errored) =
        within_a_second("20k macros", || run(&bytes, SessionConfig::default()));
    // Each Macro command replaces the stage's set: bounded either way.
    let _ = errored;
    assert!(session.envelope().macros().len() < 20_000);
}

#[test]
fn a_body_flood_stays_within_the_message_cap() {
    let mut cmds = vec![
        optneg(),
        Command::Mail(addr("<a@example.com>")),
        Command::EndOfHeaders,
    ];
    let chunk = vec![b'x'; 65_535];
    for _ in 0..300 {
        cmds.push(Command::Body(chunk.clone()));
    }
    cmds.push(Command::EndOfMessage(vec![]));
    let bytes = wire(&cmds);
    let cap = 1 << 20;
    let config = SessionConfig {
        max_message_size: cap,
        ..SessionConfig::default()
    };
    let (session, messages, _) = within_a_second("20 MB of body", || run(&bytes, config));
    // Oversize: answered by the oversize action (tempfail), not handed over.
    assert!(messages <= 1);
    assert!(session.message().len() <= cap);
}

#[test]
fn a_lying_length_prefix_is_refused_without_allocating() {
    let mut decoder = Decoder::new(256 * 1024);
    decoder.push(&[0xff, 0xff, 0xff, 0xff, b'B']);
    assert!(decoder.next_command().is_err());
    assert!(decoder.buffered() <= 5);
}
