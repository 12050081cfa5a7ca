//! Shared harness pieces for the mailsec fuzz targets.
//!
//! [`guard`] runs one target body with two changes to libFuzzer's panic handling:
//!
//! - libfuzzer-sys installs a panic hook that aborts at once, even for a panic that our
//!   library catches at its own boundary (mailsec-password catches a sequoia-openpgp
//!   `unwrap`; a caught panic never reaches a caller). `guard` puts back a hook that only
//!   prints, so a caught panic is not a crash; a panic that escapes the body still
//!   aborts (libfuzzer-sys aborts on any panic that reaches its own wrapper).
//! - mail-parser 0.11.9 has a `debug_assert!(false, "Invalid part ID ...")` that crafted
//!   MIME trees reach. It is a no-op in release builds (what users run), and the main
//!   workspace turns it off for tests (`[profile.dev.package.mail-parser]`); cargo-fuzz
//!   turns on debug assertions for every crate through RUSTFLAGS, which no profile can
//!   override per package. So this one assertion, recognised by its file and message,
//!   is treated as "no result" instead of a crash, and everything else still crashes.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;

thread_local! {
    static KNOWN_UPSTREAM: Cell<bool> = const { Cell::new(false) };
}

fn is_known_upstream(info: &PanicHookInfo<'_>) -> bool {
    let in_mail_parser = info
        .location()
        .is_some_and(|l| l.file().contains("mail-parser-0.11") && l.file().ends_with("message.rs"));
    let message = info
        .payload()
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
        .unwrap_or("");
    in_mail_parser && message.contains("Invalid part ID")
}

fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Drop libfuzzer-sys's aborting hook; take_hook leaves the default one in place.
        let _ = panic::take_hook();
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if is_known_upstream(info) {
                KNOWN_UPSTREAM.with(|k| k.set(true));
            } else {
                default(info);
            }
        }));
    });
}

/// Runs one fuzz target body: panics caught inside our crates are fine, the known
/// mail-parser debug assertion ends the input quietly, any other panic aborts.
pub fn guard<R>(body: impl FnOnce() -> R) {
    install_hook();
    KNOWN_UPSTREAM.with(|k| k.set(false));
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(body)) {
        if KNOWN_UPSTREAM.with(|k| k.get()) {
            return;
        }
        panic::resume_unwind(payload);
    }
}

thread_local! {
    static RUNTIME: Option<tokio::runtime::Runtime> = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok();
}

/// Runs a future to completion on this thread's single-threaded tokio runtime (the
/// checks are async because they wait on DNS; the fuzzers answer from memory).
pub fn block_on<F: std::future::Future>(future: F) -> Option<F::Output> {
    RUNTIME.with(|rt| rt.as_ref().map(|rt| rt.block_on(future)))
}
