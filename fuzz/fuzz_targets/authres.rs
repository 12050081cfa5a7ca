//! Authentication-Results (RFC 8601) and ARC-Authentication-Results (`i=` prefix)
//! header values: an error or a value that writes and parses back, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsec_auth::authres::AuthenticationResults;

fuzz_target!(|data: &[u8]| mailsec_fuzz::guard(|| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(ar) = AuthenticationResults::parse(text) {
        let written = ar.to_header_value();
        let _ = ar.to_header_field();
        // What we write must parse again.
        assert!(
            AuthenticationResults::parse(&written).is_ok(),
            "written value does not parse: {written:?}"
        );
    }
    if let Ok((_instance, ar)) = AuthenticationResults::parse_arc(text) {
        let _ = ar.to_header_value();
    }
}));
