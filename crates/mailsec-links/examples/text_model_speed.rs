//! Time the content model on a 5 KiB message, and the whole message check
//! with and without it.
//!
//! ```text
//! cargo run --release -p mailsec-links --example text_model_speed
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use mail_parser::MessageParser;
use mailsec_links::{LinkChecker, TextModel};

/// A 5 KiB text + HTML message with 10 links, like the `links` bench's.
fn message() -> String {
    let para = "Dear customer, we are writing to let you know that the quarterly \
                report for your team is ready. Please review the figures before \
                Thursday's meeting and send any questions to the usual address. ";
    let mut text = String::new();
    let mut html = String::from("<html><body>");
    for i in 0..10 {
        text.push_str(para);
        text.push_str(&format!("See https://docs.example.org/report/{i}\r\n"));
        html.push_str(&format!(
            "<p>{para}<a href=\"https://docs.example.org/report/{i}\">report {i}</a></p>"
        ));
    }
    html.push_str("</body></html>");
    format!(
        "From: Team <team@example.org>\r\nTo: you@example.net\r\nSubject: Quarterly report\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\n{text}\r\n--b\r\nContent-Type: text/html\r\n\r\n{html}\r\n--b--\r\n"
    )
}

/// About `len` bytes of words made of random syllables (nearly all distinct).
fn varied_text(len: usize) -> String {
    const SYL: &[&str] = &[
        "ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "bri", "gan", "dor", "fel", "pra", "tis",
        "ul", "zen",
    ];
    let mut x = 0x2545_f491u32;
    let mut out = String::new();
    while out.len() < len {
        let n = 2 + (x % 3) as usize;
        for _ in 0..n {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            out.push_str(SYL[(x % SYL.len() as u32) as usize]);
        }
        out.push(' ');
    }
    out
}

/// CPU seconds this process has used (Linux `/proc/self/stat`, 100 Hz
/// ticks), so that a loaded machine does not inflate the figures.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// (wall, CPU) seconds per call.
fn time<F: FnMut()>(n: u32, mut f: F) -> (f64, f64) {
    for _ in 0..n / 10 {
        f();
    }
    let c = cpu_seconds();
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    let wall = t.elapsed().as_secs_f64() / f64::from(n);
    let cpu = match (c, cpu_seconds()) {
        (Some(a), Some(b)) => (b - a) / f64::from(n),
        _ => wall,
    };
    (wall, cpu)
}

fn main() {
    let raw = message();
    let msg = MessageParser::default().parse(raw.as_bytes()).unwrap();
    let checker = LinkChecker::new().unwrap();
    let text = checker.message_text(&msg);
    let model = TextModel::shipped().unwrap();
    println!(
        "message {} bytes, text read by the content model {} bytes",
        raw.len(),
        text.len()
    );
    let (wall, cpu) = time(50_000, || {
        black_box(model.log_odds(black_box(&text)));
    });
    println!(
        "content model log_odds: {:.2} µs CPU ({:.2} µs wall)",
        cpu * 1e6,
        wall * 1e6
    );
    let (_, tok) = time(50_000, || {
        let mut h = 0u32;
        black_box(mailsec_links::for_each_token(black_box(&text), |t| {
            h ^= t.hash
        }));
        black_box(h);
    });
    println!("  of which tokenizing: {:.2} µs CPU", tok * 1e6);
    // The same weights reading words only and with character n-grams, to
    // time what the n-grams cost whichever the shipped model reads.
    // Worst case for the n-grams (read once per distinct word): a text of
    // the same length where nearly every word is new.
    let varied = varied_text(text.len());
    for ngrams in [None, Some((4, 4)), Some((3, 5))] {
        let m = model.clone().with_char_ngrams(ngrams);
        let (_, c) = time(50_000, || {
            black_box(m.log_odds(black_box(&text)));
        });
        let (_, v) = time(50_000, || {
            black_box(m.log_odds(black_box(&varied)));
        });
        println!(
            "  log_odds with character n-grams {ngrams:?}: {:.2} µs CPU; {} bytes of distinct words {:.2} µs",
            c * 1e6,
            varied.len(),
            v * 1e6
        );
    }
    let report = checker.check_message(&msg);
    println!(
        "  verdict {:?}, reasons {:?}",
        report.verdict(),
        report
            .reasons()
            .iter()
            .map(|r| r.code())
            .collect::<Vec<_>>()
    );
    let without = LinkChecker::builder().without_text_model().build().unwrap();
    let report = without.check_message(&msg);
    println!(
        "  without the content model: verdict {:?}, reasons {:?}",
        report.verdict(),
        report
            .reasons()
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
    );
    let report = checker.check_message(&msg);
    println!(
        "  with it: {:?}",
        report
            .reasons()
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
    );
    let (_, a) = time(4_000, || {
        black_box(without.check_message(&msg));
    });
    let (_, b) = time(4_000, || {
        black_box(checker.check_message(&msg));
    });
    println!(
        "check_message (CPU) without the content model {:.1} µs, with it {:.1} µs",
        a * 1e6,
        b * 1e6
    );
}
