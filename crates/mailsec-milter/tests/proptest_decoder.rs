//! Any bytes in → no panic; typed values round-trip through the codec.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use mailsec_milter::protocol::{
    Actions, Command, Connect, Decoder, EnvelopeAddress, Family, OptNeg, ProtocolFlags,
};
use mailsec_milter::session::{Session, SessionConfig, Step};
use mailsec_milter::{Response, Verdict};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    "[^\u{0}]{0,40}"
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        (any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(v, a, p)| Command::OptNeg(OptNeg {
            version: v,
            actions: Actions(a),
            protocol: ProtocolFlags(p),
            macros: vec![]
        })),
        (
            any::<u8>(),
            proptest::collection::vec((text(), text()), 0..4)
        )
            .prop_map(|(stage, macros)| Command::Macro { stage, macros }),
        (text(), any::<u16>(), text(), 0..3u8).prop_map(|(h, port, a, f)| {
            let family = [Family::Inet4, Family::Inet6, Family::Unix][f as usize];
            Command::Connect(Connect {
                hostname: h,
                family,
                port,
                address: a,
            })
        }),
        text().prop_map(Command::Helo),
        (text(), proptest::collection::vec(text(), 0..3))
            .prop_map(|(address, args)| Command::Mail(EnvelopeAddress { address, args })),
        (text(), proptest::collection::vec(text(), 0..3))
            .prop_map(|(address, args)| Command::Rcpt(EnvelopeAddress { address, args })),
        Just(Command::Data),
        (text(), proptest::collection::vec(1..=255u8, 0..60))
            .prop_map(|(name, value)| Command::Header { name, value }),
        Just(Command::EndOfHeaders),
        proptest::collection::vec(any::<u8>(), 0..200).prop_map(Command::Body),
        proptest::collection::vec(any::<u8>(), 0..50).prop_map(Command::EndOfMessage),
        Just(Command::Abort),
        Just(Command::QuitNewConnection),
        text().prop_map(Command::Unknown),
    ]
}

fn response() -> impl Strategy<Value = Response> {
    use mailsec_milter::ReplyCode;
    use mailsec_milter::protocol::MacroStage;
    let reply = (400u16..600, "[ -~]{0,30}").prop_filter_map("valid reply", |(c, t)| {
        ReplyCode::new(c, None, t.trim()).ok()
    });
    prop_oneof![
        Just(Response::Continue),
        Just(Response::Accept),
        Just(Response::Reject),
        Just(Response::Tempfail),
        Just(Response::Discard),
        Just(Response::Progress),
        Just(Response::Skip),
        reply.prop_map(Response::ReplyCode),
        text().prop_map(Response::Quarantine),
        (text(), text()).prop_map(|(name, value)| Response::AddHeader { name, value }),
        (any::<u32>(), text(), text()).prop_map(|(index, name, value)| Response::InsertHeader {
            index,
            name,
            value
        }),
        (any::<u32>(), text(), text()).prop_map(|(index, name, value)| Response::ChangeHeader {
            index,
            name,
            value
        }),
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(Response::ReplaceBody),
        text().prop_map(Response::AddRcpt),
        text().prop_map(Response::DeleteRcpt),
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            proptest::collection::vec(text(), 0..3)
        )
            .prop_map(|(v, a, p, lists)| Response::OptNeg(OptNeg {
                version: v,
                actions: Actions(a),
                protocol: ProtocolFlags(p),
                macros: lists
                    .into_iter()
                    .map(|l| (MacroStage::EnvFrom, l))
                    .collect(),
            })),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// encode → decode is the identity for responses.
    #[test]
    fn responses_roundtrip(r in response()) {
        let mut out = Vec::new();
        r.encode(&mut out).unwrap();
        let len = u32::from_be_bytes(out[..4].try_into().unwrap()) as usize;
        prop_assert_eq!(len, out.len() - 4);
        prop_assert_eq!(Response::decode(&out[4..]).unwrap(), r);
    }

    /// Any sequence of well-formed commands after negotiation: the session never panics,
    /// never buffers more than its cap, and answers each end of message.
    #[test]
    fn session_under_any_command_sequence(cmds in proptest::collection::vec(command(), 0..40)) {
        let cap = 512;
        let mut s = Session::new(SessionConfig { max_message_size: cap, ..SessionConfig::default() });
        s.handle(Command::OptNeg(OptNeg { version: 6, actions: Actions(0x1ff), protocol: ProtocolFlags(0x1f_ffff), macros: vec![] })).unwrap();
        for c in cmds {
            match s.handle(c) {
                Ok(Step::Message) => {
                    let r = s.verdict_responses(&Verdict::accept());
                    prop_assert_eq!(r.last(), Some(&Response::Accept));
                }
                Ok(_) => {}
                Err(_) => break,
            }
            prop_assert!(s.message().len() <= cap);
        }
    }

    /// Arbitrary bytes, pushed in arbitrary pieces: the decoder never panics, and either
    /// yields commands or stops with a clean error.
    #[test]
    fn decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048), cut in 1usize..64) {
        let mut d = Decoder::new(4096);
        let mut session = Session::new(SessionConfig { max_message_size: 1024, ..SessionConfig::default() });
        'outer: for piece in bytes.chunks(cut) {
            d.push(piece);
            loop {
                match d.next_command() {
                    Ok(Some(cmd)) => {
                        // Feed whatever decodes to a session too: errors are fine, panics are not.
                        match session.handle(cmd) {
                            Ok(Step::Message) => { let _ = session.verdict_responses(&Verdict::accept()); }
                            Ok(_) => {}
                            Err(_) => break 'outer,
                        }
                    }
                    Ok(None) => break,
                    Err(_) => break 'outer,
                }
            }
            prop_assert!(d.buffered() <= 4096 + 4 + cut);
        }
    }

    /// Packets with a valid frame but random payload decode or fail cleanly, both ways.
    #[test]
    fn payload_decoders_never_panic(payload in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Command::decode(&payload);
        let _ = Response::decode(&payload);
    }

    /// Each code byte with random data: exercises every command layout.
    #[test]
    fn every_code_with_random_data(code in prop::sample::select(b"ABCDEHKLMNOQRTU".to_vec()), data in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut p = vec![code];
        p.extend(data);
        let _ = Command::decode(&p);
    }

    /// encode → decode is the identity for commands, also when streamed byte by byte.
    #[test]
    fn commands_roundtrip(cmds in proptest::collection::vec(command(), 1..8)) {
        let mut bytes = Vec::new();
        for c in &cmds { c.encode(&mut bytes).unwrap(); }
        let mut d = Decoder::new(1 << 20);
        let mut got = Vec::new();
        for b in bytes {
            d.push(&[b]);
            while let Some(c) = d.next_command().unwrap() { got.push(c); }
        }
        prop_assert_eq!(got, cmds);
    }
}
