//! The link checker's verdicts as spam evidence: per-link counts and the
//! message-level verdict (`LINKS_MESSAGE_*`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use mailsec_spam::{Evidence, LinkEvidence, LinkVerdict, Scorer};

const MSG: &[u8] = b"From: a@sender.example\r\nTo: b@rcpt.example\r\nSubject: hello\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@sender.example>\r\n\r\nsee http://www.shop.example/offer\r\n";

fn score(links: LinkEvidence) -> mailsec_spam::Report {
    let evidence = Evidence {
        links,
        ..Evidence::default()
    };
    Scorer::default().score_bytes(MSG, &evidence, None).unwrap()
}

fn symbol<'r>(r: &'r mailsec_spam::Report, name: &str) -> Option<&'r mailsec_spam::Symbol> {
    r.symbols().iter().find(|s| s.name() == name)
}

#[test]
fn message_phishing_verdict_is_a_symbol_with_its_reasons() {
    let base = score(LinkEvidence::default());
    let r = score(LinkEvidence {
        safe: 1,
        message: Some(LinkVerdict::Phishing),
        message_score: 1.25,
        message_reasons: vec!["brand_display_name".into(), "message_model".into()],
        ..LinkEvidence::default()
    });
    let s = symbol(&r, "LINKS_MESSAGE_PHISHING").expect("symbol");
    assert!(s.score() > 0.0);
    assert!(s.detail().contains("phishing"), "{}", s.detail());
    assert!(s.detail().contains("1.25"), "{}", s.detail());
    assert!(s.detail().contains("brand_display_name"), "{}", s.detail());
    assert!((r.score() - base.score() - s.score()).abs() < 1e-6);
    assert!(symbol(&r, "LINKS_MESSAGE_SUSPICIOUS").is_none());
}

#[test]
fn message_suspicious_verdict_weighs_less_than_phishing() {
    let susp = score(LinkEvidence {
        message: Some(LinkVerdict::Suspicious),
        message_score: 0.6,
        ..LinkEvidence::default()
    });
    let phish = score(LinkEvidence {
        message: Some(LinkVerdict::Phishing),
        message_score: 1.1,
        ..LinkEvidence::default()
    });
    let s = symbol(&susp, "LINKS_MESSAGE_SUSPICIOUS").expect("symbol");
    let p = symbol(&phish, "LINKS_MESSAGE_PHISHING").expect("symbol");
    assert!(s.score() > 0.0 && s.score() < p.score());
    let safe = score(LinkEvidence {
        message: Some(LinkVerdict::Safe),
        ..LinkEvidence::default()
    });
    assert!(
        safe.symbols()
            .iter()
            .all(|s| !s.name().starts_with("LINKS_MESSAGE")),
        "a safe message verdict adds nothing"
    );
}

#[test]
fn suspicious_links_count_only_when_the_message_is_not_cleared() {
    // Without a message-level verdict (a caller that only counts links),
    // suspicious links fire LINK_SUSPICIOUS as before.
    let counts_only = score(LinkEvidence {
        suspicious: 2,
        ..LinkEvidence::default()
    });
    assert!(symbol(&counts_only, "LINK_SUSPICIOUS").is_some());
    // The link checker looked at the whole message and found it safe: the
    // lexical model's doubts about single links do not count.
    let cleared = score(LinkEvidence {
        suspicious: 2,
        message: Some(LinkVerdict::Safe),
        ..LinkEvidence::default()
    });
    assert!(symbol(&cleared, "LINK_SUSPICIOUS").is_none());
    let doubted = score(LinkEvidence {
        suspicious: 2,
        message: Some(LinkVerdict::Suspicious),
        ..LinkEvidence::default()
    });
    assert!(symbol(&doubted, "LINK_SUSPICIOUS").is_some());
    assert!(symbol(&doubted, "LINKS_MESSAGE_SUSPICIOUS").is_some());
}

#[test]
fn weights_can_be_overridden() {
    let config =
        mailsec_spam::Config::from_toml_str("[symbols]\nLINKS_MESSAGE_PHISHING = 12.5\n").unwrap();
    let evidence = Evidence {
        links: LinkEvidence {
            message: Some(LinkVerdict::Phishing),
            ..LinkEvidence::default()
        },
        ..Evidence::default()
    };
    let r = Scorer::new(config)
        .score_bytes(MSG, &evidence, None)
        .unwrap();
    assert_eq!(symbol(&r, "LINKS_MESSAGE_PHISHING").unwrap().score(), 12.5);
}
