//! `mailsec train` end to end.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;
use std::process::{Command, Output};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

fn mailsec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailsec"))
        .args(args)
        .env_remove("MAILSEC_SPAM_DB")
        .output()
        .unwrap()
}

fn temp_db(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "mailsec-cli-train-{}-{name}.redb",
        std::process::id()
    ))
}

/// "learned N spam and M ham ... (K already known" -> (N, M, K)
fn learned(stdout: &[u8]) -> (usize, usize, usize) {
    let text = String::from_utf8_lossy(stdout);
    let words: Vec<&str> = text.split_whitespace().collect();
    let num = |after: &str| -> usize {
        let i = words.iter().position(|w| *w == after).unwrap();
        words[i + 1].trim_start_matches('(').parse().unwrap()
    };
    let spam = num("learned");
    let ham = num("and");
    let known = words
        .iter()
        .position(|w| *w == "already")
        .map(|i| words[i - 1].trim_start_matches('(').parse().unwrap())
        .unwrap();
    (spam, ham, known)
}

#[test]
fn learns_directories_and_skips_known_messages() {
    let db = temp_db("dirs");
    let spam = format!("{CORPUS}/spamassassin/spam");
    let ham = format!("{CORPUS}/spamassassin/hard_ham");
    let n_spam = std::fs::read_dir(&spam).unwrap().count();
    let n_ham = std::fs::read_dir(&ham).unwrap().count();
    let args = [
        "train",
        "--spam",
        &spam,
        "--ham",
        &ham,
        "--db",
        db.to_str().unwrap(),
    ];

    let out = mailsec(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (s, h, k) = learned(&out.stdout);
    assert_eq!(
        s + h + k,
        n_spam + n_ham,
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(s > n_spam * 9 / 10 && h > n_ham * 9 / 10);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("holds {s} spam, {h} ham")), "{text}");

    // Learning the same messages again changes nothing.
    let out = mailsec(&args);
    assert!(out.status.success());
    assert_eq!(learned(&out.stdout), (0, 0, n_spam + n_ham));
    std::fs::remove_file(&db).unwrap();
}

#[test]
fn single_files_and_errors() {
    let db = temp_db("files");
    let dir = format!("{CORPUS}/spamassassin/easy_ham");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let out = mailsec(&[
        "train",
        "--ham",
        files[0].to_str().unwrap(),
        "--ham",
        files[1].to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_eq!(learned(&out.stdout), (0, 2, 0));

    // A missing path: exit 1, one line on stderr.
    let out = mailsec(&[
        "train",
        "--spam",
        "/nonexistent/dir",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim().lines().count(),
        1
    );

    // Nothing to learn is a usage error.
    let out = mailsec(&["train", "--db", db.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_file(&db).unwrap();
}

#[test]
fn learns_into_redis() {
    if Command::new("redis-server")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED learns_into_redis: no redis-server binary on PATH");
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed().as_secs() < 10);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let url = format!("redis://127.0.0.1:{port}/");
    let out = mailsec(&[
        "train",
        "--spam",
        &format!("{CORPUS}/nazario"),
        "--redis",
        &url,
    ]);
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (s, _, k) = learned(&out.stdout);
    assert_eq!(
        s + k,
        std::fs::read_dir(format!("{CORPUS}/nazario"))
            .unwrap()
            .count()
    );
}
