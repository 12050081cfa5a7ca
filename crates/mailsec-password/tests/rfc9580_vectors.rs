//! RFC 9580 Appendix A.9-A.11: the sample v6 SKESK + SEIPD v2 messages
//! (AES-128, EAX / OCB / GCM), password "password", plaintext "Hello, world!".
//!
//! The shared test data (`rpgp/tests/rfc9580/`) holds only public-key
//! vectors, so the three RFC sample messages are embedded here as published
//! in the RFC (armored, 4-5 lines each).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use mailsec_password::{Password, PasswordError, decrypt};

const A9_EAX: &str = "-----BEGIN PGP MESSAGE-----

w0AGHgcBCwMIpa5XnR/F2Cv/aSJPkZmTs1Bvo7WaanPP+MXvxfQcV/tU4cImgV14
KPX5LEVOtl6+AKtZhsaObnxV0mkCBwEGn/kOOzIZZPOkKRPI3MZhkyUBUifvt+rq
pJ8EwuZ0F11KPSJu1q/LnKmsEiwUcOEcY9TAqyQcapOK1Iv5mlqZuQu6gyXeYQR1
QCWKt5Wala0FHdqW6xVDHf719eIlXKeCYVRuM5o=
-----END PGP MESSAGE-----
";

const A10_OCB: &str = "-----BEGIN PGP MESSAGE-----

wz8GHQcCCwMIVqKY0vXjZFP/z8xcEWZO2520JZDX3EawckG2EsOBLP/76gDyNHsl
ZBEj+IeuYNT9YU4IN9gZ02zSaQIHAgYgpmH3MfyaMDK1YjMmAn46XY21dI6+/wsM
WRDQns3WQf+f04VidYA1vEl1TOG/P/+n2tCjuBBPUTPPQqQQCoPu9MobSAGohGv0
K82nyM6dZeIS8wHLzZj9yt5pSod61CRzI/boVw==
-----END PGP MESSAGE-----
";

const A11_GCM: &str = "-----BEGIN PGP MESSAGE-----

wzwGGgcDCwMI6dOXhbIHAAj/tC58SD70iERXyzcmubPbn/d25fTZpAlS4kRymIUa
v/91Jt8t1VRBdXmneZ/SaQIHAwb8uUSQvLmLvcnRBsYJAmaUD3LontwhtVlrFXax
Ae0Pn/xvxtZbv9JNzQeQlm5tHoWjAFN4TLHYtqBpnvEhVaeyrWJYUxtXZR/Xd3kS
+pXjXZtAIW9ppMJI2yj/QzHxYykHOZ5v+Q==
-----END PGP MESSAGE-----
";

#[test]
fn rfc9580_v6_skesk_samples_decrypt() {
    let pw = Password::new("password").unwrap();
    for (name, vector) in [("A.10 OCB", A10_OCB), ("A.11 GCM", A11_GCM)] {
        let plain = decrypt(vector.as_bytes(), &pw).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(plain, b"Hello, world!", "{name}");
        assert!(
            matches!(
                decrypt(vector.as_bytes(), &Password::new("Password").unwrap()),
                Err(PasswordError::Decrypt)
            ),
            "{name}"
        );
    }
}

#[test]
fn rfc9580_eax_sample_decrypts_where_the_backend_has_eax() {
    // sequoia's OpenSSL backend has OCB and GCM but not EAX; with a backend
    // that has EAX the sample must open, without it it must be refused.
    let pw = Password::new("password").unwrap();
    let result = decrypt(A9_EAX.as_bytes(), &pw);
    if sequoia_openpgp::types::AEADAlgorithm::EAX.is_supported() {
        assert_eq!(result.unwrap(), b"Hello, world!");
    } else {
        assert!(matches!(result, Err(PasswordError::Decrypt)));
    }
}

#[test]
fn rfc9580_samples_with_one_bit_flipped_are_refused() {
    let pw = Password::new("password").unwrap();
    use sequoia_openpgp::parse::Parse;
    use sequoia_openpgp::serialize::SerializeInto;
    let pile = sequoia_openpgp::PacketPile::from_bytes(A10_OCB.as_bytes()).unwrap();
    let binary = pile.to_vec().unwrap();
    assert_eq!(decrypt(&binary, &pw).unwrap(), b"Hello, world!");
    // Every byte of the final AEAD tag (the last 16 bytes) matters.
    for i in binary.len() - 16..binary.len() {
        let mut bad = binary.clone();
        bad[i] ^= 1 << (i % 8);
        assert!(decrypt(&bad, &pw).is_err(), "byte {i}");
    }
}
