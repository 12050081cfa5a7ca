//! Decrypting arbitrary bytes as a password-protected OpenPGP message: always
//! the one opaque error (or plaintext), never a panic or an unbounded cost.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsec_password::{Password, decrypt};
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| mailsec_fuzz::guard(|| {
    static PASSWORD: OnceLock<Option<Password>> = OnceLock::new();
    let Some(password) = PASSWORD.get_or_init(|| Password::new("fuzz password").ok()) else {
        return;
    };
    let _ = decrypt(data, password);
}));
