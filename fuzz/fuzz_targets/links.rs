//! Link extraction and URL normalisation (mailsec-links): any text as HTML and as plain
//! text, each link found normalised (strict and lenient) and checked, nested URLs
//! unpacked, the HTML rewritten through the confirmation URL, and wrap → unwrap giving
//! the original URL back. Bounded by `MAX_LINKS_PER_PART`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsec_links::{
    LinkChecker, LinkRewriter, LinkSource, MAX_LINKS_PER_PART, decode_entities, links_in_html,
    links_in_text, nested_urls, normalize_url, normalize_url_lenient, registered_domain_of,
};
use std::sync::OnceLock;

fn fixture() -> Option<&'static (LinkChecker, LinkRewriter)> {
    static FIXTURE: OnceLock<Option<(LinkChecker, LinkRewriter)>> = OnceLock::new();
    FIXTURE
        .get_or_init(|| {
            let checker = LinkChecker::new().ok()?;
            let rewriter = LinkRewriter::new(
                b"fuzzing key, 32 bytes long......",
                "https://confirm.example.net/go?u={url}&s={sig}",
            )
            .ok()?;
            Some((checker, rewriter))
        })
        .as_ref()
}

fuzz_target!(|data: &[u8]| mailsec_fuzz::guard(|| {
    let Some((checker, rewriter)) = fixture() else {
        return;
    };
    let text = String::from_utf8_lossy(data);
    let mut links = Vec::new();
    let facts = links_in_html(&text, &mut links);
    let _ = (facts.text.len(), facts.forms, facts.password_fields);
    assert!(
        links.len() <= MAX_LINKS_PER_PART + 16,
        "{} links from one part",
        links.len()
    );
    let mut plain = Vec::new();
    links_in_text(&text, LinkSource::Text, &mut plain);
    let _ = decode_entities(&text);
    for link in links.iter().chain(plain.iter()).take(64) {
        let _ = (
            link.source.as_str(),
            link.source.is_clickable(),
            link.shown.as_deref(),
        );
        if let Some(n) = normalize_url(&link.target) {
            let _ = (
                n.as_str(),
                n.scheme(),
                n.host_str(),
                n.host_unicode(),
                n.registered_domain(),
            );
            let _ = (
                n.host_kind(),
                n.has_userinfo(),
                n.had_invisible_chars(),
                n.is_idn(),
                n.feed_key(),
            );
            let _ = nested_urls(n.url());
        }
        let _ = normalize_url_lenient(&link.target);
        let _ = checker.check_url(&link.target);
    }
    let _ = normalize_url(&text);
    let _ = registered_domain_of(&text);
    let _ = rewriter.rewrite_html(&text);
    let wrapped = rewriter.wrap(&text);
    assert_eq!(
        rewriter.unwrap(&wrapped).ok().as_deref(),
        Some(text.as_ref()),
        "wrap then unwrap changed the URL"
    );
    let _ = checker.check_raw(data);
}));
