//! Link checking throughput: parse + find + judge every link of a message.
//!
//! Two generated messages: a 5 KiB multipart/alternative (text + HTML) with
//! 10 links, and a 50 KiB HTML newsletter with 100 links. Targets:
//! 20,000 and 3,000 messages/s on one core, measured in thread CPU time
//! ([`ThreadCpuTime`]) so the load of a shared machine does not count.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mailsec_benches::ThreadCpuTime;
use mailsec_links::LinkChecker;

const HOSTS: &[&str] = &[
    "www.example.org",
    "shop.example.com",
    "news.example.net",
    "click.mailer.example.com",
    "secure-login.example-verify.xyz",
    "203.0.113.7",
    "bit.ly",
    "docs.example.org",
    "www.paypal.com",
    "cdn.example.net",
];

fn words(n: usize, seed: usize) -> String {
    const W: &[&str] = &[
        "the",
        "meeting",
        "report",
        "quarterly",
        "numbers",
        "please",
        "review",
        "attached",
        "project",
        "update",
        "schedule",
        "customer",
        "team",
        "release",
        "notes",
        "details",
        "agenda",
        "follow",
        "thanks",
        "regards",
    ];
    (0..n)
        .map(|i| W[(i * 7 + seed) % W.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

/// About 5 KiB: text and HTML alternatives, 10 links each (the same 10 targets).
fn small_message() -> Vec<u8> {
    let mut text = String::new();
    let mut html = String::from("<html><head><style>p{margin:0}</style></head><body>");
    for (i, host) in HOSTS.iter().enumerate() {
        let url = format!("https://{host}/path/{i}/page.html?id={}&ref=mail", i * 31);
        text.push_str(&format!("{}\r\n{url}\r\n\r\n", words(30, i)));
        html.push_str(&format!(
            "<p>{} <a href=\"{url}\">{}</a></p>\n",
            words(25, i),
            if i % 3 == 0 {
                format!("https://{host}/")
            } else {
                words(3, i + 1)
            }
        ));
    }
    html.push_str("</body></html>");
    let m = format!(
        "From: Team <team@example.org>\r\nTo: you@example.net\r\nSubject: Weekly update\r\n\
         Date: Fri, 27 Nov 2026 10:00:00 +0000\r\nMessage-ID: <b1@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         {text}\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--b1--\r\n"
    );
    m.into_bytes()
}

/// About 50 KiB of HTML newsletter with 100 links (tables, images, tracking).
fn newsletter() -> Vec<u8> {
    let mut html = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>table{width:100%} .c{background:url(https://cdn.example.net/bg.png)}</style></head><body><table>",
    );
    for i in 0..100 {
        let host = HOSTS[i % HOSTS.len()];
        let target = if i % 4 == 0 {
            format!(
                "https://click.mailer.example.com/c?u=https%3A%2F%2F{host}%2Farticle%2F{i}&t={i:08x}"
            )
        } else {
            format!(
                "https://{host}/article/{i}/{}",
                words(4, i).replace(' ', "-")
            )
        };
        html.push_str(&format!(
            "<tr><td class=\"c\"><img src=\"https://cdn.example.net/img/{i}.jpg\" alt=\"\" width=\"120\" height=\"80\"></td>\
             <td style=\"font-family:Arial,sans-serif;font-size:14px;color:#333333;padding:8px\"><h3>{}</h3><p>{}</p>\
             <a href=\"{target}\" style=\"color:#0066cc\">{}</a></td></tr>\n",
            words(6, i),
            words(28, i + 3),
            if i % 5 == 0 { format!("www.{}", host.trim_start_matches("www.")) } else { "Read more".to_owned() }
        ));
    }
    html.push_str("</table></body></html>");
    let m = format!(
        "From: News <news@example.com>\r\nTo: you@example.net\r\nSubject: This week's news\r\n\
         Date: Fri, 27 Nov 2026 10:00:00 +0000\r\nMessage-ID: <n1@example.com>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
    );
    m.into_bytes()
}

fn links(c: &mut Criterion<ThreadCpuTime>) {
    let checker = LinkChecker::new().unwrap();
    let limits = mailsec::ParseLimits::default();
    for (name, raw) in [
        ("5KiB_10_links", small_message()),
        ("50KiB_newsletter_100_links", newsletter()),
    ] {
        let msg = limits.parse(&raw).unwrap();
        let report = checker.check_message(&msg);
        eprintln!(
            "{name}: {} bytes, {} links found",
            raw.len(),
            report.links().len()
        );
        let mut group = c.benchmark_group(format!("links/{name}"));
        group.throughput(Throughput::Elements(1));
        group.bench_function("parse+check", |b| {
            b.iter(|| {
                let msg = limits.parse(black_box(&raw)).unwrap();
                checker.check_message(&msg).links().len()
            })
        });
        group.bench_function("check", |b| {
            b.iter(|| checker.check_message(black_box(&msg)).links().len())
        });
        // The floor in the same run: the parse alone, which "parse+check"
        // includes and this crate does not own.
        group.bench_function("parse_floor", |b| {
            b.iter(|| limits.parse(black_box(&raw)).unwrap().parts.len())
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    // Thread CPU time, not wall time: see `mailsec_benches::ThreadCpuTime`.
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = links
}
criterion_main!(benches);
