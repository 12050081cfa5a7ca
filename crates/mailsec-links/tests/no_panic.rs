#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! Any HTML, URL or message bytes: no panic, and link confirmation round-trips.

use mailsec_links::{
    LinkChecker, LinkRewriter, links_in_html, links_in_text, normalize_url, normalize_url_lenient,
};
use proptest::prelude::*;
use std::sync::LazyLock;

static CHECKER: LazyLock<LinkChecker> = LazyLock::new(|| LinkChecker::new().unwrap());

fn html_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<a href=\"".to_owned()),
        Just("\">".to_owned()),
        Just("</a>".to_owned()),
        Just("<form action=".to_owned()),
        Just("<meta http-equiv=refresh content=\"0;url=".to_owned()),
        Just("<base href=".to_owned()),
        Just("<style>a{background:url(".to_owned()),
        Just("<img src=".to_owned()),
        Just("&amp;&#x41;&#99999999;&".to_owned()),
        Just("http://".to_owned()),
        Just("www.".to_owned()),
        Just("xn--80ak6aa92e.com".to_owned()),
        Just("\u{202E}\u{200B}".to_owned()),
        "[a-z0-9./:@%?=&-]{0,12}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn html_never_panics(html in html_soup()) {
        let mut out = Vec::new();
        let _ = links_in_html(&html, &mut out);
        links_in_text(&html, mailsec_links::LinkSource::Text, &mut out);
    }

    #[test]
    fn urls_never_panic(s in any::<String>(), t in "(https?://|www\\.|javascript:|data:)?[a-zA-Z0-9.@:%/\\\\?#=&\u{430}\u{200B}-]{0,40}") {
        for u in [&s, &t] {
            let _ = normalize_url(u);
            let _ = normalize_url_lenient(u);
            let f = CHECKER.check_url(u);
            let _ = f.host_highlight();
        }
    }

    #[test]
    fn messages_never_panic(body in html_soup(), bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let raw = format!("From: \"PayPal\" <a@b.example>\r\nReply-To: x@y.example\r\nSubject: {}\r\nContent-Type: text/html\r\n\r\n{body}", body.chars().take(30).filter(|c| *c != '\r' && *c != '\n').collect::<String>());
        let _ = CHECKER.check_raw(raw.as_bytes());
        let _ = CHECKER.check_raw(&bytes);
    }

    #[test]
    fn confirmation_round_trip(url in "https?://[a-z0-9.-]{1,20}/[ -~]{0,40}") {
        let rw = LinkRewriter::new(b"a key of at least sixteen bytes", "https://c.example/go?u={url}&s={sig}").unwrap();
        prop_assert_eq!(rw.unwrap(&rw.wrap(&url)).unwrap(), url);
    }

    #[test]
    fn rewriting_never_panics(html in html_soup()) {
        let rw = LinkRewriter::new(b"a key of at least sixteen bytes", "https://c.example/go?u={url}&s={sig}").unwrap();
        let _ = rw.rewrite_html(&html);
    }
}
