//! Any input: no panic, and learning then unlearning leaves nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use mailsec_spam::{Analysis, Evidence, MemoryStore, Scorer, TokenStore};
use proptest::prelude::*;

fn message() -> impl Strategy<Value = String> {
    let header = prop_oneof![
        "From: [ -~]{0,40}",
        "Reply-To: [ -~]{0,40}",
        "Subject: [ -~\u{80}-\u{10ffff}]{0,40}",
        "Subject: =\\?(utf-8|iso-8859-1)\\?[BQ]\\?[ -~]{0,30}\\?=",
        "Date: [ -~]{0,40}",
        "Message-ID: [ -~]{0,40}",
        "Content-Type: (text/html|text/plain|multipart/mixed; boundary=b|image/png)",
        "Content-Disposition: attachment; filename=\"[a-z.]{0,12}\"",
    ];
    let body = prop_oneof![
        "[ -~\n]{0,300}",
        "(<[a-z]{1,6}( style='[a-z:;0-9 ]{0,20}')?( href=\"http://[a-z.]{0,20}\")?>|[a-zA-Z &;#0-9]{0,10}|</[a-z]{1,6}>){0,40}",
        "(--b\r\nContent-Type: text/(html|plain)\r\n\r\n[ -~]{0,60}\r\n){0,4}--b--\r\n",
        "[\u{0}-\u{10ffff}]{0,200}",
    ];
    (prop::collection::vec(header, 0..8), body)
        .prop_map(|(h, b)| format!("{}\r\n\r\n{b}", h.join("\r\n")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_bytes_no_panic(raw in prop::collection::vec(any::<u8>(), 0..2048)) {
        let scorer = Scorer::default();
        let store = MemoryStore::new();
        let _ = scorer.score_bytes(&raw, &Evidence::default(), Some(&store));
    }

    #[test]
    fn any_message_no_panic_and_unlearn_undoes_learn(raw in message()) {
        let scorer = Scorer::default();
        let store = MemoryStore::new();
        if let Some(msg) = mail_parser::MessageParser::default().parse(raw.as_bytes()) {
            let a = Analysis::of(&msg);
            let r = scorer.score_analysis(&a, &Evidence::default(), Some(&store));
            prop_assert!(r.score().is_finite());
            scorer.classifier().learn_spam(&store, &a, 1).unwrap();
            scorer.classifier().unlearn(&store, &a, 1).unwrap();
            let s = store.stats().unwrap();
            prop_assert_eq!((s.totals.spam, s.tokens, s.marks), (0, 0, 0));
        }
    }
}
