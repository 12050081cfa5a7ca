//! The pipeline hands the link checker's message-level verdict to the spam
//! scorer (`LINKS_MESSAGE_*`), and ordinary links do not count against a
//! message the link checker cleared.
#![cfg(all(
    feature = "auth",
    feature = "links",
    feature = "spam",
    feature = "expiry"
))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use mailsec::dns::StaticResolver;
use mailsec::{Envelope, Pipeline};

const OFFER: &[u8] = include_bytes!("../../../examples/messages/spam-offer.eml");
const NEWSLETTER: &[u8] = include_bytes!("../../../examples/messages/ham-newsletter.eml");

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000)
}

async fn check(raw: &[u8]) -> mailsec::Report {
    let p = Pipeline::builder(Arc::new(StaticResolver::new()))
        .authserv_id("mx.test")
        .build()
        .unwrap();
    p.check(&Envelope::new(None, None, None), raw, now())
        .await
        .unwrap()
}

#[tokio::test]
async fn message_level_link_verdict_becomes_a_spam_symbol() {
    let report = check(OFFER).await;
    let verdict = report.links().verdict();
    let name = match verdict {
        mailsec::links::Verdict::Phishing => "LINKS_MESSAGE_PHISHING",
        mailsec::links::Verdict::Suspicious => "LINKS_MESSAGE_SUSPICIOUS",
        _ => panic!("the offer's links were judged safe"),
    };
    let symbol = report
        .spam()
        .symbols()
        .iter()
        .find(|s| s.name() == name)
        .unwrap_or_else(|| panic!("{name} missing: {:?}", report.spam().symbols()));
    assert!(symbol.score() > 0.0);
    assert!(
        symbol.detail().contains(verdict.as_str()),
        "{}",
        symbol.detail()
    );
    // Without a trained model, rules and evidence alone flag it.
    assert!(report.spam().is_spam(), "{:?}", report.spam());
}

#[tokio::test]
async fn a_cleared_newsletter_is_not_charged_for_its_links() {
    let report = check(NEWSLETTER).await;
    if report.links().verdict() == mailsec::links::Verdict::Safe {
        assert!(
            report
                .spam()
                .symbols()
                .iter()
                .all(|s| !s.name().starts_with("LINK")),
            "{:?}",
            report.spam().symbols()
        );
    }
    assert!(!report.spam().is_spam(), "{:?}", report.spam());
}
