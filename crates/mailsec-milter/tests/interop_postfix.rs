//! Runs `scripts/postfix-e2e` against the demo milter: a real Postfix (private instance on
//! 127.0.0.1) must deliver with the added headers, reject, tempfail, hold and rewrite by
//! the milter's verdicts, and answer 4xx once the milter is gone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;
use std::process::Command;

/// `cargo test` builds the examples beside the test binaries: `target/<profile>/examples`.
fn demo_milter() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    profile_dir.join("examples").join("demo_milter")
}

#[test]
#[ignore = "interop: needs root and Debian's postfix; run by scripts/test --interop"]
fn postfix_end_to_end() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/postfix-e2e");
    let milter = demo_milter();
    assert!(
        milter.exists(),
        "{} missing: build it with `cargo build -p mailsec-milter --example demo_milter`",
        milter.display()
    );
    let status = Command::new("bash")
        .arg(script)
        // Already built by cargo; a nested cargo build would wait on this run's lock.
        .env("MILTER_BUILD", "")
        .env(
            "MILTER_CMD",
            format!("{} --listen 127.0.0.1:$MILTER_PORT", milter.display()),
        )
        .status()
        .expect("run scripts/postfix-e2e");
    assert!(status.success(), "scripts/postfix-e2e failed: {status}");
}
