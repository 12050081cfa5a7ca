//! Hostile and worst-case input for link checking: each case finishes well under a
//! second (debug build) and stays bounded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use mailsec_links::{LinkChecker, LinkRewriter, MAX_LINKS_PER_PART, links_in_html};
use mailsec_testkit::{scales_linearly, within_a_second};

fn message(content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "From: a@example.org\r\nTo: b@example.net\r\nSubject: links\r\nMIME-Version: 1.0\r\n\
         Content-Type: {content_type}\r\n\r\n{body}"
    )
    .into_bytes()
}

#[test]
fn ten_thousand_distinct_links_in_html() {
    let checker = LinkChecker::new().unwrap();
    let mut body = String::from("<html><body>\r\n");
    for i in 0..10_000 {
        body.push_str(&format!(
            "<a href=\"https://host{i}.example{}.com/p/{i}?q={i}\">https://other{i}.example.net/</a>\r\n",
            i % 97
        ));
    }
    body.push_str("</body></html>\r\n");
    let raw = message("text/html; charset=utf-8", &body);
    let report = within_a_second("10,000 HTML links", || checker.check_raw(&raw).unwrap());
    assert!(!report.links().is_empty());
    assert!(
        report.links().len() <= 2 * MAX_LINKS_PER_PART,
        "{} links",
        report.links().len()
    );
}

#[test]
fn ten_thousand_links_in_plain_text() {
    let checker = LinkChecker::new().unwrap();
    let mut body = String::new();
    for i in 0..10_000 {
        body.push_str(&format!(
            "see http://x{i}.example.org/{i} and www.w{i}.example.com\r\n"
        ));
    }
    let raw = message("text/plain; charset=utf-8", &body);
    let report = within_a_second("10,000 text links", || checker.check_raw(&raw).unwrap());
    assert!(!report.links().is_empty());
    assert!(report.links().len() <= 2 * MAX_LINKS_PER_PART);
}

#[test]
fn ten_thousand_nested_redirect_links() {
    // Each link carries a URL in its query, which carries another: nested unpacking is
    // bounded by depth, the number of links by MAX_LINKS_PER_PART.
    let checker = LinkChecker::new().unwrap();
    let mut body = String::new();
    for i in 0..10_000 {
        body.push_str(&format!(
            "<a href=\"https://r.example.com/?u=https%3A%2F%2Fs.example.net%2F%3Fu%3Dhttps%253A%252F%252Fbad{i}.example%252F\">x</a>"
        ));
    }
    let raw = message("text/html", &body);
    let report = within_a_second("10,000 nested links", || checker.check_raw(&raw).unwrap());
    assert!(report.links().len() <= 2 * MAX_LINKS_PER_PART);
}

#[test]
fn extraction_is_capped_per_part() {
    let mut html = String::new();
    for i in 0..100_000 {
        html.push_str(&format!("<a href=\"http://h{i}.example/\">"));
    }
    let mut out = Vec::new();
    within_a_second("100,000 anchors", || links_in_html(&html, &mut out));
    assert!(out.len() <= MAX_LINKS_PER_PART, "{} links", out.len());
}

#[test]
fn rewriting_ten_thousand_links() {
    let rw = LinkRewriter::new(
        b"0123456789abcdef0123456789abcdef",
        "https://confirm.example.net/go?u={url}&s={sig}",
    )
    .unwrap();
    let mut html = String::new();
    for i in 0..10_000 {
        html.push_str(&format!("<a href=\"https://h{i}.example.com/\">{i}</a>"));
    }
    let out = within_a_second("rewriting 10,000 links", || rw.rewrite_html(&html).unwrap());
    assert_eq!(
        out.matches("https://confirm.example.net/go?u=").count(),
        10_000
    );
}

/// 10,000 links is not enough for a fixed budget to tell quadratic work
/// apart on every machine; the growth itself is checked here, below the
/// per-part cap (where the work is real) and through it.
#[test]
fn link_checking_and_rewriting_scale_linearly() {
    let checker = LinkChecker::new().unwrap();
    let html = |n: usize| {
        let mut body = String::from("<html><body>\r\n");
        for i in 0..n {
            body.push_str(&format!(
                "<a href=\"https://host{i}.example{}.com/p/{i}?q={i}\">https://other{i}.example.net/</a>\r\n",
                i % 97
            ));
        }
        body
    };
    let small = (MAX_LINKS_PER_PART / 8).max(50);
    scales_linearly(
        "checking HTML links",
        small,
        |n| message("text/html; charset=utf-8", &html(n)),
        |raw| checker.check_raw(raw).map(|r| r.links().len()),
    );
    scales_linearly("HTML anchors past the cap", 25_000, html, |html| {
        let mut out = Vec::new();
        links_in_html(html, &mut out);
        out.len()
    });
    let rw = LinkRewriter::new(
        b"0123456789abcdef0123456789abcdef",
        "https://confirm.example.net/go?u={url}&s={sig}",
    )
    .unwrap();
    scales_linearly("rewriting links", 2_500, html, |html| {
        rw.rewrite_html(html).map(|out| out.len())
    });
}

#[test]
fn link_rewriter_debug_hides_the_key() {
    let key = b"SECRET-KEY-0123456789abcdef-XYZ!";
    let rw = LinkRewriter::new(key, "https://confirm.example.net/go?u={url}&s={sig}").unwrap();
    let shown = format!("{rw:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(!shown.contains("0123456789abcdef"), "{shown}");
}

#[test]
fn a_forged_or_truncated_mac_is_refused() {
    let rw = LinkRewriter::new(
        b"0123456789abcdef0123456789abcdef",
        "https://confirm.example.net/go?u={url}&s={sig}",
    )
    .unwrap();
    let wrapped = rw.wrap("https://shop.example.com/");
    assert!(rw.unwrap(&wrapped).is_ok());
    let other = LinkRewriter::new(
        b"fedcba9876543210fedcba9876543210",
        "https://confirm.example.net/go?u={url}&s={sig}",
    )
    .unwrap();
    assert!(other.unwrap(&wrapped).is_err());
    // A MAC cut short, or emptied, never matches a prefix.
    let sig_at = wrapped.find("&s=").unwrap() + 3;
    for keep in [0, 1, 10, wrapped.len() - sig_at - 1] {
        let cut = &wrapped[..sig_at + keep];
        assert!(rw.unwrap(cut).is_err(), "{cut}");
    }
    let swapped = wrapped.replace("shop.example.com", "evil.example.com");
    assert!(rw.unwrap(&swapped).is_err());
}
