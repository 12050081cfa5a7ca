//! The watchdog ends a hung case: this test runs its own binary again with
//! a case that never returns and checks how that process ended.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::process::Command;
use std::time::{Duration, Instant};

const CHILD: &str = "MAILSEC_TESTKIT_HANG_CHILD";

#[test]
fn a_hung_case_ends_the_process_with_a_message() {
    if std::env::var_os(CHILD).is_some() {
        // The child: hang (asleep) well past the watchdog's limit.
        mailsec_testkit::guarded("endless case", Duration::from_millis(300), || {
            std::thread::sleep(Duration::from_secs(60))
        });
        return;
    }
    let start = Instant::now();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "a_hung_case_ends_the_process_with_a_message"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(101), "{stderr}");
    assert!(
        stderr.contains("endless case still running after 300ms"),
        "{stderr}"
    );
    assert!(start.elapsed() < Duration::from_secs(30));
}
