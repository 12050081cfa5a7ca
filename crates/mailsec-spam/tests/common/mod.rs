//! Shared helpers: temporary files, a private redis-server, the store suite.
#![allow(dead_code, unreachable_pub)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mailsec_spam::{Analysis, Class, ExpiryPolicy, LearnOutcome, Scorer, TokenStore, Trainer};

/// A path in the temporary directory, unique to this process and call.
pub fn temp_path(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!(
        "mailsec-spam-{}-{nanos}-{name}",
        std::process::id()
    ))
}

/// A redis-server of our own on a free 127.0.0.1 port, stopped on drop.
pub struct Redis {
    child: Child,
    pub port: u16,
}

impl Redis {
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether a `redis-server` binary is on the PATH.
pub fn have_redis() -> bool {
    Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts redis-server on a free port (panics if it cannot).
pub fn start_redis() -> Redis {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args([
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start redis-server");
    let redis = Redis { child, port };
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "redis-server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    redis
}

pub fn analysis(raw: &str) -> Analysis {
    let msg = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap();
    Analysis::of(&msg)
}

/// `i` spelled in letters (`120` → `bca`): the tokenizer folds digits, so
/// messages that differ only in a number would be the same message.
pub fn letters(i: usize) -> String {
    i.to_string()
        .bytes()
        .map(|d| char::from(b'a' + (d - b'0')))
        .collect()
}

pub fn spam_msg(i: usize) -> Analysis {
    let w = letters(i);
    analysis(&format!(
        "From: deals{i}@shop.example\r\nSubject: cheap pills {i}\r\n\r\nBuy cheap pills now, best price, limited offer number{i} code{w}!\r\n"
    ))
}

pub fn ham_msg(i: usize) -> Analysis {
    let w = letters(i);
    analysis(&format!(
        "From: alice@work.example\r\nSubject: meeting notes {i}\r\n\r\nThe minutes of the project meeting are attached, item{i} ref{w}.\r\n"
    ))
}

/// The behaviour every TokenStore must have. Run against an empty store.
pub fn store_suite(store: &dyn TokenStore) {
    let day = 20_000;
    // Empty store.
    let s = store.stats().unwrap();
    assert_eq!(
        (s.totals.spam, s.totals.ham, s.tokens, s.marks),
        (0, 0, 0, 0)
    );
    let l = store.lookup(&[1, 2, 3]).unwrap();
    assert_eq!(l.counts.len(), 3);
    assert!(l.counts.iter().all(|c| c.spam == 0 && c.ham == 0));
    assert_eq!(store.lookup(&[]).unwrap().counts.len(), 0);
    assert_eq!(store.learned(&[]).unwrap(), vec![]);

    // Learn a batch.
    let mut t = Trainer::new(store, day);
    for i in 0..60 {
        assert_eq!(
            t.learn(&spam_msg(i), Class::Spam).unwrap(),
            LearnOutcome::Learned
        );
        assert_eq!(
            t.learn(&ham_msg(i), Class::Ham).unwrap(),
            LearnOutcome::Learned
        );
    }
    // A duplicate inside the same batch.
    assert_eq!(
        t.learn(&spam_msg(0), Class::Spam).unwrap(),
        LearnOutcome::AlreadyLearned
    );
    t.commit().unwrap();
    let s = store.stats().unwrap();
    assert_eq!((s.totals.spam, s.totals.ham, s.marks), (60, 60, 120));
    assert!(s.tokens > 100);

    let a = spam_msg(1);
    let l = store.lookup(a.tokens()).unwrap();
    assert_eq!(l.totals.spam, 60);
    assert!(
        l.counts.iter().any(|c| c.spam == 60 && c.ham == 0),
        "shared spam token"
    );
    assert!(
        l.counts.iter().any(|c| c.spam == 1),
        "message-specific token"
    );
    assert_eq!(
        store
            .learned(&[a.digest(), ham_msg(1).digest(), 12345])
            .unwrap(),
        vec![Some(Class::Spam), Some(Class::Ham), None]
    );

    // Classification works against the store.
    let scorer = Scorer::default();
    let r = scorer.score_analysis(&spam_msg(1000), &Default::default(), Some(store));
    assert!(r.bayes_probability().unwrap() > 0.9, "{r:?}");
    let r = scorer.score_analysis(&ham_msg(1000), &Default::default(), Some(store));
    assert!(r.bayes_probability().unwrap() < 0.1, "{r:?}");

    // Sender history from the same lookup: the From address (learned
    // beside the tokens) and the From domain.
    let c = scorer.classifier();
    let history = |a: &Analysis| {
        let h = c.classify_with_sender(store, a).unwrap().1.unwrap();
        (h.address.ham, h.address.spam, h.domain.ham, h.domain.spam)
    };
    assert_eq!(history(&ham_msg(1000)), (60, 0, 60, 0));
    assert_eq!(history(&spam_msg(1000)), (0, 0, 0, 60));
    assert_eq!(history(&spam_msg(1)), (0, 1, 0, 60));

    // Learning again is a no-op; learning as the other class moves it.
    let c = scorer.classifier();
    assert_eq!(
        c.learn_spam(store, &a, day).unwrap(),
        LearnOutcome::AlreadyLearned
    );
    assert_eq!(
        c.learn_ham(store, &a, day).unwrap(),
        LearnOutcome::Relearned
    );
    let s = store.stats().unwrap();
    assert_eq!((s.totals.spam, s.totals.ham), (59, 61));
    assert_eq!(
        store.learned(&[a.digest()]).unwrap(),
        vec![Some(Class::Ham)]
    );
    assert_eq!(history(&a), (1, 0, 1, 59), "relearning moves the sender");

    // Unlearn.
    assert_eq!(c.unlearn(store, &a, day).unwrap(), LearnOutcome::Unlearned);
    assert_eq!(c.unlearn(store, &a, day).unwrap(), LearnOutcome::NotLearned);
    assert_eq!(history(&a), (0, 0, 0, 59), "unlearning removes the sender");
    let s = store.stats().unwrap();
    assert_eq!((s.totals.spam, s.totals.ham, s.marks), (59, 60, 119));
    let unique = store.lookup(a.tokens()).unwrap();
    assert!(unique.counts.iter().all(|c| c.spam <= 59 && c.ham <= 60));

    // Ageing: a year later, everything seen in at most 2 messages goes.
    let before = store.stats().unwrap().tokens;
    let mut policy = ExpiryPolicy::new(day + 365);
    policy.marks_after_days = 10_000;
    let r = store.expire(&policy).unwrap();
    assert!(r.tokens_removed > 0);
    assert_eq!(r.tokens_left, before - r.tokens_removed);
    assert_eq!(store.stats().unwrap().tokens, r.tokens_left);
    let shared = store.lookup(spam_msg(5).tokens()).unwrap();
    assert!(
        shared.counts.iter().any(|c| c.spam == 59),
        "frequent tokens stay"
    );
    assert!(
        shared.counts.iter().all(|c| c.spam + c.ham != 1),
        "rare tokens went"
    );

    // Size bound: keep the 10 most frequent.
    let mut policy = ExpiryPolicy::new(day);
    policy.max_tokens = 10;
    let r = store.expire(&policy).unwrap();
    assert_eq!(r.tokens_left, 10);
    assert_eq!(store.stats().unwrap().tokens, 10);

    // Old marks go.
    let r = store.expire(&ExpiryPolicy::new(day + 400)).unwrap();
    assert_eq!(r.marks_removed, 119);
    assert_eq!(store.stats().unwrap().marks, 0);
    // Totals are kept.
    let s = store.stats().unwrap();
    assert_eq!((s.totals.spam, s.totals.ham), (59, 60));
}
