//! Password mail on arbitrary bytes: the notification / PGP-MIME decrypt path and
//! the reply-thread extraction from a received message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsec_password::{Password, ReplyThread, decrypt_mail};
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| mailsec_fuzz::guard(|| {
    static PASSWORD: OnceLock<Option<Password>> = OnceLock::new();
    let Some(password) = PASSWORD.get_or_init(|| Password::new("fuzz password").ok()) else {
        return;
    };
    let _ = decrypt_mail(data, password);
    let _ = ReplyThread::for_message(data);
    if let Ok(p) = Password::from_file_contents(data.to_vec()) {
        let _ = p.strength(&[]);
    }
}));
