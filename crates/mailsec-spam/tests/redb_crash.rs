//! Crash safety of the redb store: a process killed (SIGKILL) while it
//! learns loses no committed batch and leaves no half-applied one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use common::{spam_msg, temp_path};
use mailsec_spam::{Class, RedbStore, TokenStore, Trainer};

const CHILD_ENV: &str = "MAILSEC_SPAM_CRASH_CHILD";
const PER_BATCH: usize = 40;

/// The child: learns batches forever, printing each committed batch number.
/// Does nothing in a normal test run.
#[test]
fn crash_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let store = RedbStore::open(path).unwrap();
    let mut out = std::io::stdout();
    for batch in 0.. {
        let mut t = Trainer::new(&store, 20_000);
        for i in 0..PER_BATCH {
            t.learn(&spam_msg(batch * PER_BATCH + i), Class::Spam)
                .unwrap();
        }
        t.commit().unwrap();
        writeln!(out, "committed {batch}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn kill_during_learning_keeps_committed_batches() {
    let path = temp_path("crash.redb");
    let exe = std::env::current_exe().unwrap();
    for round in 0..3 {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut last = None;
        // Let it commit a few batches, then kill it mid-stream.
        while let Some(Ok(line)) = lines.next() {
            if let Some(n) = line.strip_prefix("committed ") {
                let n: usize = n.trim().parse().unwrap();
                last = Some(n);
                if n >= 5 + round * 3 {
                    break;
                }
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let last = last.expect("child committed nothing");

        let store = RedbStore::open(&path).unwrap();
        let totals = store.stats().unwrap().totals;
        // Every reported batch is there; nothing partial: a whole number of
        // batches (each run restarts at batch 0, whose messages are already
        // learned and so skipped, hence the maximum over rounds).
        let learned = totals.spam as usize;
        assert!(
            learned >= (last + 1) * PER_BATCH,
            "round {round}: {learned} < {}",
            (last + 1) * PER_BATCH
        );
        assert_eq!(
            learned % PER_BATCH,
            0,
            "round {round}: half a batch survived"
        );
        for i in 0..(last + 1) * PER_BATCH {
            let a = spam_msg(i);
            assert_eq!(
                store.learned(&[a.digest()]).unwrap(),
                vec![Some(Class::Spam)]
            );
        }
        drop(store);
    }
    std::fs::remove_file(&path).unwrap();
}
