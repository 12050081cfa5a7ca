//! Every `Authentication-Results` and `ARC-Authentication-Results` field of
//! the shared ARC suites (ValiMail, Mail::DKIM's variant, mail-auth) goes
//! through the parser; the ones the suites mark as broken must fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use mailsec_auth::authres::AuthenticationResults;
use std::fs;
use std::path::Path;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata/auth");

/// Header fields (name, unfolded value) found in a text file: a line holding
/// `Name:` and the more-indented lines that continue it.
fn fields(text: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.len() > name.len() + 1
            && trimmed[..name.len()].eq_ignore_ascii_case(name)
            && trimmed.as_bytes()[name.len()] == b':'
        {
            let mut value = trimmed[name.len() + 1..].to_string();
            i += 1;
            while i < lines.len() {
                let next = lines[i];
                let t = next.trim_start();
                if t.is_empty() || next.len() - t.len() <= indent {
                    break;
                }
                value.push_str("\r\n ");
                value.push_str(t);
                i += 1;
            }
            out.push(value);
        } else {
            i += 1;
        }
    }
    out
}

fn all_files() -> Vec<String> {
    let mut texts = Vec::new();
    for dir in [
        "arc-valimail",
        "arc-perl-mail-dkim-variant",
        "arc-mail-auth",
        "dkim-mail-auth",
    ] {
        for e in fs::read_dir(Path::new(DATA).join(dir)).unwrap() {
            let p = e.unwrap().path();
            if let Ok(t) = fs::read_to_string(&p) {
                texts.push(t);
            }
        }
    }
    texts
}

#[test]
fn authentication_results_fields_of_the_arc_suites() {
    let (mut ok, mut bad) = (0, 0);
    for text in all_files() {
        for v in fields(&text, "Authentication-Results") {
            match AuthenticationResults::parse(&v) {
                Ok(ar) => {
                    assert!(!ar.authserv_id().is_empty());
                    // what we read, we write back readably
                    assert_eq!(
                        AuthenticationResults::parse(&ar.to_header_value()).unwrap(),
                        ar
                    );
                    ok += 1;
                }
                Err(e) => {
                    assert!(v.contains("SHOULD NOT PARSE"), "{v:?}: {e}");
                    bad += 1;
                }
            }
        }
    }
    println!("Authentication-Results in the ARC suites: {ok} parsed, {bad} garbage rejected");
    assert!(ok > 100, "{ok}");
    assert!(bad >= 1);
}

#[test]
fn arc_authentication_results_fields_of_the_arc_suites() {
    let (mut ok, mut bad) = (0, 0);
    for text in all_files() {
        for v in fields(&text, "ARC-Authentication-Results") {
            match AuthenticationResults::parse_arc(&v) {
                Ok((_, ar)) => {
                    assert!(!ar.authserv_id().is_empty());
                    ok += 1;
                }
                Err(_) => {
                    let head: String = v.trim_start().chars().take(16).collect();
                    // The suites' deliberately broken instance tags.
                    assert!(
                        head.starts_with("i=;")
                            || head.starts_with("i=squanch")
                            || head.starts_with("i=yo-mama")
                            || head.starts_with("i=1 lists")
                            || head.starts_with("lists.example"),
                        "{v:?}"
                    );
                    bad += 1;
                }
            }
        }
    }
    println!("ARC-Authentication-Results in the ARC suites: {ok} parsed, {bad} broken i= rejected");
    assert!(ok > 100, "{ok}");
    assert!(bad >= 5, "{bad}");
}
