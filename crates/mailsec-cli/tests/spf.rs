//! `mailsec spf` through the built binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;
use std::process::{Command, Output};

const ZONE: &str = "\
$ORIGIN example.org.
$TTL 300
example.org.        300 IN TXT \"v=spf1 ip4:192.0.2.0/24 a:mx.example.org -all exp=why.example.org\"
why.example.org.    300 IN TXT \"%{i} is not allowed to send mail as %{d}\"
mx.example.org.     300 IN A   198.51.100.25
mx.example.org.     300 IN TXT \"v=spf1 a ~all\"
";

fn zone_file() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mailsec-cli-spf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("zone.txt");
    std::fs::write(&path, ZONE).unwrap();
    path
}

fn mailsec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailsec"))
        .args(args)
        .output()
        .unwrap()
}

/// `mailsec --dns ZONE spf --ip IP --mail-from ADDR OPTIONS...`.
fn spf(zone: &str, ip: &str, mail_from: &str, options: &[&str]) -> Output {
    let head = ["--dns", zone, "spf", "--ip", ip, "--mail-from", mail_from];
    mailsec(&[&head[..], options].concat())
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn spf_verdicts_from_a_zone_file() {
    let zone = zone_file();
    let zone = zone.to_str().unwrap();

    let out = spf(zone, "192.0.2.10", "alice@example.org", &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(stdout(&out), "pass\n");

    // A fail is a verdict, not an error: exit 0, with the explanation.
    let out = spf(zone, "203.0.113.5", "alice@example.org", &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        stdout(&out),
        "fail\n203.0.113.5 is not allowed to send mail as example.org\n"
    );

    let out = spf(zone, "203.0.113.5", "alice@example.org", &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let value: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(value["result"], "fail");
    assert_eq!(
        value["explanation"],
        "203.0.113.5 is not allowed to send mail as example.org"
    );

    // A bounce checks postmaster@HELO.
    for empty in ["", "<>"] {
        let out = spf(
            zone,
            "192.0.2.10",
            empty,
            &["--helo", "mx.example.org", "--json"],
        );
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        assert_eq!(
            stdout(&out),
            "{\"result\":\"softfail\",\"explanation\":null}\n"
        );
    }

    // No record at all: none.
    let out = spf(zone, "192.0.2.10", "bob@nowhere.example.org", &[]);
    assert_eq!(stdout(&out), "none\n");
}

#[test]
fn bounce_without_helo_is_an_error() {
    let out = mailsec(&["spf", "--ip", "192.0.2.1", "--mail-from", ""]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--helo"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let out = mailsec(&["spf", "--mail-from", "a@example.org"]);
    assert_eq!(out.status.code(), Some(2));
    let out = mailsec(&["spf", "--ip", "not-an-ip", "--mail-from", "a@example.org"]);
    assert_eq!(out.status.code(), Some(2));
}
