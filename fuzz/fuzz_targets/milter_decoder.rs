//! The milter wire decoder: arbitrary bytes, split at a fuzzer-chosen point,
//! decode into commands or stop with an error; single payloads decode as
//! commands and responses without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsec_milter::Response;
use mailsec_milter::protocol::{Command, Decoder};

fuzz_target!(|data: &[u8]| mailsec_fuzz::guard(|| {
    let _ = Command::decode(data);
    let _ = Response::decode(data);

    let cut = data.first().map_or(1, |b| usize::from(*b).max(1));
    let mut decoder = Decoder::new(64 * 1024);
    for piece in data.chunks(cut) {
        decoder.push(piece);
        loop {
            match decoder.next_command() {
                Ok(Some(cmd)) => {
                    // A decoded command encodes again.
                    let mut out = Vec::new();
                    let _ = cmd.encode(&mut out);
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
        assert!(decoder.buffered() <= 64 * 1024 + 4 + cut);
    }
}));
