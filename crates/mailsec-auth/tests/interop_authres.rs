//! Interop with the Python `authres` package (the RFC 8601 reference parser
//! used by dkimpy and others): what we write, it reads to the same results
//! (hostile values included, so no injected result appears), and what it
//! writes, we read.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use mailsec_auth::authres::{AuthenticationResults, MethodResult};
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};

const SCRIPT: &str = r#"
import json, re, sys
import authres
unq = lambda v: None if v is None else re.sub(r'\\(.)', r'\1', v)
out = {"parsed": [], "written": []}
for line in sys.stdin:
    h = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + json.loads(line))
    out["parsed"].append({
        "id": h.authserv_id,
        "results": [{"method": r.method, "result": r.result, "reason": unq(r.reason),
                     "props": [[p.type, p.name, unq(p.value)] for p in r.properties]} for r in h.results]})
h = authres.AuthenticationResultsHeader(authserv_id="mx.example.org", results=[
    authres.SPFAuthenticationResult(result="pass", smtp_mailfrom="sender@example.com", result_comment="192.0.2.1 is allowed"),
    authres.DKIMAuthenticationResult(result="fail", header_d="example.com", header_i="@example.com", reason="bad signature"),
    authres.AuthenticationResult(method="dmarc", result="pass", properties=[authres.AuthenticationResultProperty("header", "from", "example.com")]),
])
out["written"].append(str(h))
print(json.dumps(out))
"#;

fn ours() -> Vec<AuthenticationResults> {
    let evil = "x\r\nX-Injected: yes; dmarc=pass (\"\\";
    vec![
        AuthenticationResults::new("mx.example.org"),
        AuthenticationResults::new("mx.example.org")
            .with_result(MethodResult::new("spf", "pass").with_property(
                "smtp",
                "mailfrom",
                "a@example.com",
            ))
            .with_result(
                MethodResult::new("dkim", "fail")
                    .with_reason("signature did not verify")
                    .with_property("header", "d", "example.com")
                    .with_property("header", "s", "sel1")
                    .with_property("header", "b", "abc/+="),
            )
            .with_result(MethodResult::new("dmarc", "fail").with_property(
                "header",
                "from",
                "example.com",
            )),
        AuthenticationResults::new("mx.example.org").with_result(
            MethodResult::new("spf", "pass")
                .with_reason(evil)
                .with_property("smtp", "mailfrom", evil)
                .with_property("smtp", "helo", "host; dkim=pass"),
        ),
        AuthenticationResults::new("mx.example.org").with_result(
            MethodResult::new("dkim", "pass")
                .with_property("header", "i", "@example.com")
                // (python authres reads ASCII only; UTF-8 values, which RFC 6532
                // allows in quoted strings, are left out of the comparison)
                .with_property("header", "d", "sub.example.com"),
        ),
    ]
}

#[test]
#[ignore = "interop: needs python3 with authres (pip install authres); run by scripts/test --interop"]
fn python_authres_reads_ours_and_we_read_theirs() {
    let headers = ours();
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 must be installed");
    {
        let mut stdin = child.stdin.take().unwrap();
        for h in &headers {
            writeln!(stdin, "{}", json!(h.to_header_value())).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python authres failed (is `authres` installed?)"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();

    let parsed = v["parsed"].as_array().unwrap();
    assert_eq!(parsed.len(), headers.len());
    for (theirs, ours) in parsed.iter().zip(&headers) {
        let value = ours.to_header_value();
        assert_eq!(
            theirs["id"].as_str().unwrap(),
            ours.authserv_id(),
            "{value}"
        );
        let results = theirs["results"].as_array().unwrap();
        assert_eq!(
            results.len(),
            ours.results().len(),
            "injected or lost result in {value}"
        );
        // Our own reading of our output is the reference for the values
        // (control characters have become spaces).
        let back = AuthenticationResults::parse(&value).unwrap();
        for (t, o) in results.iter().zip(back.results()) {
            assert_eq!(t["method"].as_str().unwrap(), o.method(), "{value}");
            assert_eq!(t["result"].as_str().unwrap(), o.result(), "{value}");
            assert_eq!(t["reason"].as_str(), o.reason(), "{value}");
            // python authres accepts a quoted pvalue only before `;` or the
            // end, so it drops a quoted property that another follows: what
            // it reads must be among ours, and nothing else.
            let props = t["props"].as_array().unwrap();
            assert!(props.len() <= o.properties().len(), "{value}");
            for tp in props {
                assert!(
                    o.properties()
                        .iter()
                        .any(|op| tp[0].as_str() == Some(op.ptype())
                            && tp[1].as_str() == Some(op.name())
                            && tp[2].as_str() == Some(op.value())),
                    "{tp} not among ours in {value}"
                );
            }
            let quoted_inside = o.properties().iter().rev().skip(1).any(|p| {
                !p.value()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "@.-_".contains(c))
            });
            if !quoted_inside {
                assert_eq!(props.len(), o.properties().len(), "{value}");
            }
        }
    }

    let written = v["written"][0].as_str().unwrap();
    let ar = AuthenticationResults::parse(written).unwrap();
    assert_eq!(ar.authserv_id(), "mx.example.org");
    assert_eq!(ar.results().len(), 3, "{written}");
    assert_eq!(
        ar.results()[0].property("smtp", "mailfrom"),
        Some("sender@example.com")
    );
    assert_eq!(ar.results()[1].result(), "fail");
    assert_eq!(ar.results()[1].reason(), Some("bad signature"));
    assert_eq!(
        ar.results()[1].property("header", "i"),
        Some("@example.com")
    );
    assert_eq!(
        ar.results()[2].property("header", "from"),
        Some("example.com")
    );
}
