#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! `mailsec links` against the contract in docs/cli.md.

use std::io::Write;
use std::process::{Command, Stdio};

const PHISH: &str = "From: PayPal <service@mailer.example.net>\r\nTo: you@example.org\r\nSubject: Your account is limited\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Verify your account within 24 hours or it will be suspended:</p>\r\n<p><a href=\"http://198.51.100.7/webscr\">https://www.paypal.com/</a></p>\r\n";
const HAM: &str = "From: Alice <alice@example.org>\nTo: bob@example.net\nSubject: Notes\n\nHi Bob, the slides are at https://www.example.org/talks/2026/slides.pdf and the\nrecording follows next week. See you at the meeting on Thursday; we still need\nto decide the agenda for the workshop and who brings the projector.\n\nAlice\n";

fn mailsec() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mailsec"))
}

fn write_temp(name: &str, content: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mailsec-links-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

#[test]
fn message_json() {
    let path = write_temp("phish.eml", PHISH);
    let out = mailsec()
        .args(["links", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "one JSON line: {text}");
    let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(v["path"], path.display().to_string());
    assert_eq!(v["verdict"], "phishing");
    let links = v["links"].as_array().unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0]["url"], "http://198.51.100.7/webscr");
    assert_eq!(links[0]["shown"], "https://www.paypal.com/");
    assert_eq!(links[0]["verdict"], "phishing");
    let reasons: Vec<&str> = links[0]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        reasons.contains(&"display_mismatch") && reasons.contains(&"ip_host"),
        "{reasons:?}"
    );

    let path = write_temp("ham.eml", HAM);
    let out = mailsec()
        .args(["links", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "safe");
    assert_eq!(v["links"][0]["shown"], serde_json::Value::Null);
}

#[test]
fn message_text() {
    let path = write_temp("phish2.eml", PHISH);
    let out = mailsec().arg("links").arg(&path).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("phishing"), "{text}");
    assert!(text.contains("http://198.51.100.7/webscr"), "{text}");
}

#[test]
fn url_list_in_order() {
    let list = "https://www.paypal.com/\n\nhttps://paypa1.com/signin\nnot a url at all\nhttp://203.0.113.9/login\n";
    let mut child = mailsec()
        .args(["links", "--urls", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(list.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let urls: Vec<&str> = lines.iter().map(|v| v["url"].as_str().unwrap()).collect();
    assert_eq!(
        urls,
        [
            "https://www.paypal.com/",
            "https://paypa1.com/signin",
            "not a url at all",
            "http://203.0.113.9/login"
        ]
    );
    assert_eq!(lines[0]["verdict"], "safe");
    assert_eq!(lines[1]["verdict"], "phishing");
    assert!(
        lines[1]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "confusable")
    );
    assert!(lines[1]["score"].as_f64().unwrap() >= 1.0);
    assert_eq!(lines[2]["verdict"], "safe");
    assert!(
        lines[3]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "ip_host")
    );

    let path = write_temp("urls.txt", list);
    let out = mailsec()
        .args(["links", "--urls"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 4);
}

#[test]
fn errors_and_usage() {
    let out = mailsec()
        .args(["links", "/nonexistent/message.eml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim().lines().count(),
        1
    );
    let out = mailsec().args(["links"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = mailsec()
        .args(["links", "--urls", "a.txt", "msg.eml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
