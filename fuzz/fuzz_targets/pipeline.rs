//! The whole `Pipeline::check` on arbitrary bytes (facade): one parse within the
//! default limits, SPF, DKIM, ARC, DMARC and iprev against an in-memory resolver, the
//! link checks, expiry and the spam scorer with an in-memory Bayes store. An `Err` only
//! for a broken parse limit; otherwise a report whose headers can be written.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsec::dns::{Record, StaticResolver};
use mailsec::spam::MemoryStore;
use mailsec::{Envelope, Pipeline};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, UNIX_EPOCH};

fn pipeline() -> Option<&'static Pipeline> {
    static PIPELINE: OnceLock<Option<Pipeline>> = OnceLock::new();
    PIPELINE
        .get_or_init(|| {
            let mut dns = StaticResolver::new();
            dns.add(
                "example.org",
                Record::txt("v=spf1 ip4:192.0.2.0/24 include:_spf.example.net ~all"),
            );
            dns.add(
                "_spf.example.net",
                Record::txt("v=spf1 a mx:example.net ptr -all"),
            );
            dns.add(
                "_dmarc.example.org",
                Record::txt("v=DMARC1; p=reject; rua=mailto:d@example.org; adkim=s"),
            );
            dns.add(
                "_dmarc.example.com",
                Record::txt("v=DMARC1; p=quarantine; pct=50"),
            );
            dns.add("example.org", Record::mx(10, "mx.example.org"));
            dns.add("mx.example.org", Record::A([192, 0, 2, 1].into()));
            dns.add("1.2.0.192.in-addr.arpa", Record::ptr("mx.example.org"));
            let store = Arc::new(MemoryStore::new());
            Pipeline::builder(Arc::new(dns))
                .authserv_id("mx.example.net")
                .token_store(store)
                .build()
                .ok()
        })
        .as_ref()
}

fuzz_target!(|data: &[u8]| mailsec_fuzz::guard(|| {
    let Some(pipeline) = pipeline() else { return };
    let envelope = Envelope::new(
        Some([192, 0, 2, 1].into()),
        Some("mx.example.org"),
        Some("sender@example.org"),
    );
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    mailsec_fuzz::block_on(async {
        if let Ok(report) = pipeline.check(&envelope, data, now).await {
            let _ = (
                report.action(),
                report.phishing(),
                report.links().links().len(),
            );
            for (name, value) in report.headers() {
                assert!(
                    !name.is_empty() && !name.contains(':'),
                    "bad header name {name:?}"
                );
                assert!(!value.contains('\0'), "NUL in {name}");
                // Header injection: line breaks only as folding (CRLF then white space).
                let b = value.as_bytes();
                for (i, &c) in b.iter().enumerate() {
                    if c == b'\r' {
                        assert!(b.get(i + 1) == Some(&b'\n'), "bare CR in {name}: {value:?}");
                    } else if c == b'\n' {
                        let folded = i > 0
                            && b.get(i - 1) == Some(&b'\r')
                            && matches!(b.get(i + 1), Some(b' ' | b'\t'));
                        assert!(
                            folded,
                            "line break that is not folding in {name}: {value:?}"
                        );
                    }
                }
            }
        }
    });
}));
