//! Secrets in the OpenPGP types never show in `Debug` output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use mailsec_pgp::{KeyGen, SecretKey};

#[test]
fn passphrase_and_secret_key_never_show_in_debug() {
    let gen_ = KeyGen::new("Alice <alice@example.org>").passphrase(b"correct horse battery staple");
    let shown = format!("{gen_:?}");
    assert!(!shown.contains("correct horse"), "{shown}");
    // Not the bytes either, as a derived Debug of a Vec<u8> would print them.
    assert!(!shown.contains("99, 111, 114, 114"), "{shown}");

    let generated = gen_.generate().unwrap();
    let shown = format!("{generated:?}");
    assert!(!shown.contains("PRIVATE KEY BLOCK"), "{shown}");
    assert!(!shown.contains("45, 45, 45, 45, 45"), "{shown}"); // "-----" as bytes
    let armored = String::from_utf8(generated.armored_secret().to_vec()).unwrap();
    assert!(armored.contains("PRIVATE KEY BLOCK"));

    let key: SecretKey = generated.into_key();
    let shown = format!("{key:?}");
    assert!(shown.starts_with("SecretKey"), "{shown}");
    assert!(
        !shown.contains("secret:") && !shown.contains("mpis"),
        "{shown}"
    );
    assert!(shown.len() < 200, "{shown}");
}
