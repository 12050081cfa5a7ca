//! Parsing a message within limits, beside a bare mail-parser parse.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn message(links: usize) -> Vec<u8> {
    let mut m = String::from(
        "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: report\r\n\
         Date: Fri, 27 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@example.org>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
    );
    for i in 0..links {
        m.push_str(&format!(
            "Line {i}: see https://example.org/page/{i} for details.\r\n"
        ));
    }
    m.into_bytes()
}

fn parse(c: &mut Criterion) {
    let raw = message(100);
    let limits = mailsec::ParseLimits::default();
    let mut group = c.benchmark_group("parse/8KiB");
    group.bench_function("mailsec", |b| {
        b.iter(|| limits.parse(black_box(&raw)).map(|m| m.parts.len()))
    });
    group.bench_function("floor", |b| {
        b.iter(|| {
            mail_parser::MessageParser::default()
                .parse(black_box(&raw[..]))
                .map(|m| m.parts.len())
        })
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
