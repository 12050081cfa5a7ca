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

fn time<F: FnMut()>(n: u32, mut f: F) -> f64 {
    for _ in 0..n / 10 {
        f();
    }
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    t.elapsed().as_secs_f64() / f64::from(n)
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
    let t = time(20_000, || {
        black_box(model.log_odds(black_box(&text)));
    });
    println!("content model log_odds: {:.2} µs", t * 1e6);
    let without = LinkChecker::builder().without_text_model().build().unwrap();
    let a = time(2_000, || {
        black_box(without.check_message(&msg));
    });
    let b = time(2_000, || {
        black_box(checker.check_message(&msg));
    });
    println!(
        "check_message without the content model {:.1} µs, with it {:.1} µs",
        a * 1e6,
        b * 1e6
    );
}
