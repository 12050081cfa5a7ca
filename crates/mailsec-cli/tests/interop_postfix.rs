//! Runs `scripts/postfix-e2e --mailsec`: `mailsec milter` behind a real Postfix (a private
//! instance on 127.0.0.1) must add Authentication-Results with `spf=pass` and `dkim=pass`,
//! mark or refuse spam and phishing, and Postfix must answer 4xx once the milter is gone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::process::Command;

#[test]
#[ignore = "interop: needs root and Debian's postfix; run by scripts/test --interop"]
fn mailsec_milter_behind_postfix() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/postfix-e2e");
    let status = Command::new("bash")
        .arg(script)
        .arg("--mailsec")
        // Already built by cargo; a nested cargo build would wait on this run's lock.
        .env("MILTER_BUILD", "")
        .env(
            "MILTER_CMD",
            format!(
                "{} --dns $WORK/zone.txt --authserv-id mailsec-e2e milter \
                 --listen 127.0.0.1:$MILTER_PORT --db $WORK/spam.redb \
                 --config $WORK/mailsec.toml",
                env!("CARGO_BIN_EXE_mailsec")
            ),
        )
        .status()
        .expect("run scripts/postfix-e2e");
    assert!(
        status.success(),
        "scripts/postfix-e2e --mailsec failed: {status}"
    );
}
