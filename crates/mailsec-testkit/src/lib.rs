//! Test helpers shared by the mailsec crates. A dev-dependency only: never
//! link it into a library or binary.
//!
//! The worst-case ("hostile input") tests of every parsing crate check two
//! things about each case: that it ends (no hang, no endless loop), and that
//! it stays cheap (no quadratic or exponential blow-up). Wall-clock bounds do
//! the second badly on a shared machine: a test that needs 0.3 s of CPU can
//! take 1.5 s of wall time while other builds hold the cores. So
//! [`within_a_second`] and [`within_cpu`] bound the **CPU time of the calling
//! thread** (`CLOCK_THREAD_CPUTIME_ID`), which other load does not inflate,
//! and guard hangs separately with a generous wall-clock limit
//! ([`HANG_LIMIT`]) watched from another thread.
//!
//! ```
//! use mailsec_testkit::within_a_second;
//!
//! let text = "a,".repeat(100_000);
//! let fields = within_a_second("100k fields", || text.split(',').count());
//! assert_eq!(fields, 100_001);
//! ```
//!
//! # Choosing inputs
//!
//! A CPU bound catches a blow-up only when the input is large enough that
//! the blown-up algorithm would cost far more than the bound. With `n`
//! items, a quadratic algorithm does about `n` times the work of a linear
//! one: at `n = 100_000` even 10 ns per pair is 100 s, and at
//! `n = 10_000` a pair costing 100 ns (comparing two short strings, say)
//! is 10 s; both are far beyond one second. Keep `n` at ten thousand or
//! more for anything that could be quadratic.
//!
//! # Work on other threads
//!
//! Thread CPU time does not see work the code under test hands to other
//! threads (a multi-threaded runtime, a thread pool). For such code use
//! [`within_process_cpu`], which counts the CPU time of the whole process;
//! it also counts the other tests of the same binary running at the same
//! time, so it is exact only with `--test-threads=1` and otherwise errs on
//! the side of failing.

use std::io::Write;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use cpu_time::{ProcessTime, ThreadTime};

/// How long a case may run, in wall-clock time, before the watchdog fails
/// it: 30 s, some thirty times the CPU budget, so that only a hang (or a
/// machine stalled for half a minute) reaches it.
pub const HANG_LIMIT: Duration = Duration::from_secs(30);

/// The default CPU budget of [`within_a_second`]: one second.
pub const ONE_SECOND: Duration = Duration::from_secs(1);

/// Runs `f` on the calling thread and returns its result, asserting that it
/// used less than a second of the thread's CPU time. See [`within_cpu`].
///
/// # Panics
///
/// When `f` panics, or used a second of CPU time or more. Exits the process
/// (status 101, one line on stderr) when `f` has not returned after
/// [`HANG_LIMIT`].
#[track_caller]
pub fn within_a_second<T>(what: &str, f: impl FnOnce() -> T) -> T {
    within_cpu(what, ONE_SECOND, f)
}

/// Runs `f` on the calling thread and returns its result, asserting that it
/// used less than `budget` of the thread's CPU time (time the thread spent
/// waiting for a core, for I/O or asleep does not count).
///
/// A watchdog thread waits [`HANG_LIMIT`] of wall-clock time for `f` to
/// return; if it has not, the watchdog prints which case hung and exits
/// the test process with status 101, which fails the test run. (A hung
/// closure cannot be abandoned safely while it borrows the test's data, so
/// ending the process is the only way to fail it instead of waiting.)
///
/// The CPU time measured is printed to stderr, which the test harness
/// shows for a failing test or with `--nocapture`.
///
/// # Panics
///
/// When `f` panics, or used `budget` of CPU time or more.
#[track_caller]
pub fn within_cpu<T>(what: &str, budget: Duration, f: impl FnOnce() -> T) -> T {
    let (out, took) = guarded(what, HANG_LIMIT, || {
        let start = ThreadTime::now();
        let out = f();
        (out, start.elapsed())
    });
    eprintln!("{what}: {took:?} of thread CPU time (budget {budget:?})");
    assert!(
        took < budget,
        "{what} took {took:?} of thread CPU time, budget {budget:?}"
    );
    out
}

/// Like [`within_cpu`], but counts the CPU time of the whole process: for
/// code under test that does its work on threads of its own. Other tests of
/// the same binary running at the same time count too, so a failure under
/// parallel tests should be re-checked with `--test-threads=1`.
///
/// # Panics
///
/// When `f` panics, or the process used `budget` of CPU time or more while
/// `f` ran.
#[track_caller]
pub fn within_process_cpu<T>(what: &str, budget: Duration, f: impl FnOnce() -> T) -> T {
    let (out, took) = guarded(what, HANG_LIMIT, || {
        let start = ProcessTime::now();
        let out = f();
        (out, start.elapsed())
    });
    eprintln!("{what}: {took:?} of process CPU time (budget {budget:?})");
    assert!(
        took < budget,
        "{what} took {took:?} of process CPU time, budget {budget:?}"
    );
    out
}

/// `budget` in an optimised build, three times `budget` in a debug build.
///
/// The test profile optimises dependencies but not the workspace's own
/// crates, so a parser of ours can take several times longer in a debug
/// test run than in an optimised one. Use it for cases whose debug cost
/// comes near the budget, with inputs large enough that a blow-up would
/// still exceed three times the budget by far.
///
/// ```
/// use mailsec_testkit::{unoptimised, within_cpu};
/// use std::time::Duration;
///
/// let budget = unoptimised(Duration::from_secs(1));
/// assert!(budget >= Duration::from_secs(1));
/// within_cpu("tiny", budget, || 1 + 1);
/// ```
pub fn unoptimised(budget: Duration) -> Duration {
    if cfg!(debug_assertions) {
        budget * 3
    } else {
        budget
    }
}

/// How much larger the second input of [`scales_linearly`] is: 4 times.
pub const SCALE: usize = 4;

/// The largest cost ratio [`scales_linearly`] accepts between an input
/// [`SCALE`] times larger and the smaller one: 10. Linear work gives about
/// 4, `n log n` about 5, quadratic work 16.
pub const MAX_RATIO: f64 = 10.0;

/// Asserts that `work` grows about linearly with the size of its input:
/// builds inputs of sizes `n` and [`SCALE`]` * n` with `make`, takes the
/// least thread CPU time of three runs of `work` on each, and fails when
/// the larger costs more than [`MAX_RATIO`] times the smaller.
///
/// A fixed CPU budget catches a blow-up only when the input is large
/// enough; the ratio catches quadratic growth at any size and on any
/// machine, as long as the smaller run takes long enough to measure
/// (a few milliseconds: the helper fails when it took under 1 ms, since
/// such a ratio is noise). Each run is guarded against hangs as
/// [`within_cpu`] is.
///
/// ```
/// use mailsec_testkit::scales_linearly;
///
/// // Splitting a text of n fields is linear in n.
/// scales_linearly(
///     "splitting",
///     200_000,
///     |n| "field,".repeat(n),
///     |text| text.split(',').count(),
/// );
/// ```
///
/// # Panics
///
/// When the cost ratio is [`MAX_RATIO`] or more, or the run at size `n`
/// took less than a millisecond of CPU time.
#[track_caller]
pub fn scales_linearly<I, T>(
    what: &str,
    n: usize,
    make: impl Fn(usize) -> I,
    work: impl Fn(&I) -> T,
) {
    let cost = |size: usize| {
        let input = make(size);
        (0..3)
            .map(|_| {
                guarded(what, HANG_LIMIT, || {
                    let start = ThreadTime::now();
                    std::hint::black_box(work(&input));
                    start.elapsed()
                })
            })
            .min()
            .unwrap_or_default()
    };
    let small = cost(n);
    let large = cost(n * SCALE);
    let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-9);
    eprintln!(
        "{what}: {small:?} at n = {n}, {large:?} at {SCALE}n: ratio {ratio:.1} (limit {MAX_RATIO})"
    );
    assert!(
        small >= Duration::from_millis(1),
        "{what}: {small:?} at n = {n} is too short to compare; use a larger n"
    );
    assert!(
        ratio < MAX_RATIO,
        "{what}: {SCALE}x the input cost {ratio:.1}x the CPU time ({small:?} -> {large:?}): \
         worse than linear"
    );
}

/// `text` with every bare LF made CRLF (an existing CRLF, a bare CR stay),
/// as test vectors stored with LF line ends are fed to checks that want
/// RFC 5322 canonical form.
///
/// ```
/// assert_eq!(mailsec_testkit::crlf("a\nb\r\n"), b"a\r\nb\r\n");
/// ```
pub fn crlf(text: impl AsRef<[u8]>) -> Vec<u8> {
    let text = text.as_ref();
    let mut out = Vec::with_capacity(text.len() + text.len() / 20);
    let mut prev = 0u8;
    for &c in text {
        if c == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(c);
        prev = c;
    }
    out
}

/// Runs `future` to completion on a new current-thread tokio runtime, as the
/// async checks (DNS through a `Resolver`) are driven in tests.
///
/// ```
/// assert_eq!(mailsec_testkit::block_on(async { 2 + 2 }), 4);
/// ```
///
/// # Panics
///
/// When the runtime cannot be built (the system is out of threads or file
/// descriptors), or when `future` panics.
#[allow(clippy::expect_used)]
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread tokio runtime")
        .block_on(future)
}

/// Runs `f` on the calling thread while a watchdog thread waits up to
/// `limit` for it; if `f` has not returned by then, the watchdog reports
/// `what` on stderr and exits the process with status 101.
///
/// Exposed for tests of the watchdog itself; [`within_cpu`] is the helper
/// to use.
pub fn guarded<T>(what: &str, limit: Duration, f: impl FnOnce() -> T) -> T {
    let (done, finished) = mpsc::channel::<()>();
    let label = what.to_owned();
    let watchdog = thread::Builder::new()
        .name("testkit-watchdog".to_owned())
        .spawn(move || {
            // Returning (or panicking, which drops `done`) ends the wait early.
            if let Err(RecvTimeoutError::Timeout) = finished.recv_timeout(limit) {
                // Straight to the file descriptor: the harness captures
                // `eprintln!` output of test threads and would lose it.
                let _ = writeln!(
                    std::io::stderr(),
                    "mailsec-testkit: {label} still running after {limit:?} \
                     (wall clock): a hang; ending the test process"
                );
                std::process::exit(101);
            }
        });
    let out = f();
    drop(done);
    if let Ok(handle) = watchdog {
        let _ = handle.join();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spin(cpu: Duration) {
        let start = ThreadTime::now();
        let mut x = 0u64;
        while start.elapsed() < cpu {
            x = std::hint::black_box(x.wrapping_add(1));
        }
    }

    #[test]
    fn linear_work_scales_linearly() {
        scales_linearly(
            "sum",
            2_000_000,
            |n| (0..n as u64).collect::<Vec<_>>(),
            |v| v.iter().sum::<u64>(),
        );
    }

    #[test]
    #[should_panic(expected = "worse than linear")]
    fn quadratic_work_is_caught() {
        scales_linearly(
            "pairs",
            1_500,
            |n| (0..n as u64).collect::<Vec<_>>(),
            |v| {
                let mut close = 0u64;
                for a in v {
                    for b in v {
                        close += u64::from(a.abs_diff(*b) < 3);
                    }
                }
                close
            },
        );
    }

    #[test]
    fn returns_the_result() {
        assert_eq!(within_a_second("sum", || (1..=10u32).sum::<u32>()), 55);
    }

    #[test]
    fn sleeping_is_not_cpu_time() {
        // 1.2 s of wall time, almost no CPU: passes a 1 s CPU budget.
        within_a_second("sleep", || thread::sleep(Duration::from_millis(1200)));
    }

    #[test]
    #[should_panic(expected = "of thread CPU time, budget")]
    fn spinning_past_the_budget_fails() {
        within_cpu("spin", Duration::from_millis(50), || {
            spin(Duration::from_millis(80))
        });
    }

    #[test]
    #[should_panic(expected = "of process CPU time, budget")]
    fn work_on_another_thread_counts_for_process_cpu() {
        within_process_cpu("spin elsewhere", Duration::from_millis(50), || {
            let _ = thread::spawn(|| spin(Duration::from_millis(80))).join();
        });
    }

    #[test]
    fn work_on_another_thread_is_not_thread_cpu() {
        within_cpu("spin elsewhere", Duration::from_millis(50), || {
            let _ = thread::spawn(|| spin(Duration::from_millis(80))).join();
        });
    }

    #[test]
    #[should_panic(expected = "boom")]
    fn a_panic_in_the_work_is_the_test_failure() {
        within_a_second("panics", || -> u8 { panic!("boom") });
    }
}
