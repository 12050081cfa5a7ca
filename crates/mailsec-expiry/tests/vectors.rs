//! Expiry over the shared corpus and protected-headers vectors: nothing panics,
//! and messages without expiry fields report `none`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::Path;
use std::time::SystemTime;

use mailsec_expiry::{ExpiryReport, ExpiryState, signed_protected_headers};

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn protected_headers_draft_signed_vector() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/pgp/protected-headers-draft/pgpmime-signed.eml"
    );
    let raw = std::fs::read(path).unwrap();
    let inner = signed_protected_headers(&raw).expect("the signed part carries protected headers");
    assert!(inner.iter().any(|(n, _)| n.eq_ignore_ascii_case("Subject")));
    let report = ExpiryReport::from_message(&raw, SystemTime::now());
    assert_eq!(report.state(), ExpiryState::None);
    assert!(!report.is_mismatch());
}

#[test]
fn shared_testdata_never_panics() {
    let mut files = Vec::new();
    walk(
        Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/testdata"
        )),
        &mut files,
    );
    walk(
        Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/corpus"
        )),
        &mut files,
    );
    assert!(files.len() > 10, "shared test data not found");
    let mut checked = 0;
    for f in files {
        let Ok(raw) = std::fs::read(&f) else { continue };
        if raw.len() > 4 << 20 {
            continue;
        }
        let r = ExpiryReport::from_message(&raw, SystemTime::now());
        let _ = r.state();
        checked += 1;
    }
    assert!(checked > 10);
}
