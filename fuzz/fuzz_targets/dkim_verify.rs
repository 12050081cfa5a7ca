//! DKIM verification of arbitrary messages, with a key for `sel._domainkey.example.org`
//! in an in-memory resolver:
//! - `Verifier::verify` on the input: one output per signature, never a panic;
//! - the streaming form (`start`, body in fuzzer-chosen chunks, `finish`) must give the
//!   same results as the one-shot form;
//! - when our signer signs the input, our (newest) signature must verify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsec_auth::dkim::{self, Signer, SigningKey, Verifier};
use mailsec_dns::{Record, StaticResolver};
use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

struct Fixture {
    signer: Signer,
    dns: StaticResolver,
}

fn fixture() -> Option<&'static Fixture> {
    static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();
    FIXTURE
        .get_or_init(|| {
            let key = SigningKey::from_ed25519_seed(&[7u8; 32]).ok()?;
            let mut dns = StaticResolver::new();
            dns.add("sel._domainkey.example.org", Record::txt(&key.dns_record()));
            let signer = Signer::builder()
                .domain("example.org")
                .selector("sel")
                .key(key)
                .build();
            Some(Fixture { signer, dns })
        })
        .as_ref()
}

fuzz_target!(|data: &[u8]| mailsec_fuzz::guard(|| {
    let Some(fx) = fixture() else { return };
    let Some((&chunk, message)) = data.split_first() else {
        return;
    };
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let verifier = Verifier::new();
    mailsec_fuzz::block_on(async {
        let whole = verifier.verify(message, &fx.dns, now).await;
        for out in &whole {
            let _ = (
                out.result().as_str(),
                out.domain(),
                out.selector(),
                out.algorithm(),
            );
            let _ = (
                out.identity(),
                out.b_text(),
                out.is_testing(),
                out.signature().is_some(),
            );
        }
        let _ = Verifier::summary(&whole);

        let (headers, body) = dkim::split_message(message);
        let mut streaming = verifier.start(headers, now);
        assert_eq!(streaming.signature_count(), whole.len());
        for piece in body.chunks(usize::from(chunk) + 1) {
            streaming.body(piece);
        }
        let pieces = streaming.finish(&fx.dns).await;
        let a: Vec<_> = whole.iter().map(|o| o.result().clone()).collect();
        let b: Vec<_> = pieces.iter().map(|o| o.result().clone()).collect();
        assert_eq!(a, b, "streaming and one-shot verification disagree");

        if let Ok(signed) = fx.signer.sign_message(message, now) {
            let outs = verifier.verify(&signed, &fx.dns, now).await;
            let ours = outs.first().map(|o| o.result().clone());
            assert_eq!(
                ours,
                Some(dkim::DkimResult::Pass),
                "our own signature did not verify"
            );
        }
    });
}));
