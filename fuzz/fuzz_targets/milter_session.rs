//! A whole milter session fed arbitrary bytes: decoder → session state machine →
//! verdict responses, as the server runs it; never a panic, buffer within its cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsec_milter::protocol::Decoder;
use mailsec_milter::session::{Session, SessionConfig, Step};
use mailsec_milter::{HeaderEdit, Verdict};

fuzz_target!(|data: &[u8]| mailsec_fuzz::guard(|| {
    const CAP: usize = 4096;
    let mut decoder = Decoder::new(16 * 1024);
    let mut session = Session::new(SessionConfig {
        max_message_size: CAP,
        ..SessionConfig::default()
    });
    decoder.push(data);
    loop {
        match decoder.next_command() {
            Ok(Some(cmd)) => match session.handle(cmd) {
                Ok(Step::Message) => {
                    let _ = (session.envelope(), session.is_oversize());
                    let mut verdict = Verdict::accept();
                    if let Ok(edit) = HeaderEdit::add("X-Fuzz", "yes") {
                        verdict = verdict.edit(edit);
                    }
                    for r in session.verdict_responses(&verdict) {
                        let mut out = Vec::new();
                        let _ = r.encode(&mut out);
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            },
            Ok(None) | Err(_) => return,
        }
        assert!(session.message().len() <= CAP);
    }
}));
