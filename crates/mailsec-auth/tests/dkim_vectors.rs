//! DKIM test vectors from mail-auth, dkimpy and Mail::DKIM (shared testdata).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mailsec_auth::dkim::{Canonicalization, DkimReason, DkimResult, Signer, SigningKey, Verifier};
use mailsec_dns::{Failure, Record, StaticResolver};
use mailsec_testkit::crlf;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata/auth");

fn read(path: &str) -> Vec<u8> {
    std::fs::read(format!("{DATA}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read_str(path: &str) -> String {
    String::from_utf8(read(path)).unwrap()
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// mail-auth's files: `<name> <TXT>` lines, a blank line, the message (LF).
fn mail_auth_case(path: &str) -> (StaticResolver, Vec<u8>) {
    let text = read(path);
    let split = text.windows(2).position(|w| w == b"\n\n").unwrap();
    let mut dns = StaticResolver::new();
    for line in String::from_utf8_lossy(&text[..split]).lines() {
        let (name, value) = line.split_once(' ').unwrap();
        dns.add(name, Record::txt(value.trim()));
    }
    (dns, crlf(&text[split + 2..]))
}

#[tokio::test]
async fn mail_auth_vectors() {
    // Upstream verifies these at a fixed time (one signature has x=).
    let now = at(1_667_843_664);
    let mut passed = 0;
    let mut total = 0;
    for n in 1..=6 {
        let path = format!("dkim-mail-auth/{n:03}.txt");
        let (dns, message) = mail_auth_case(&path);
        let results = Verifier::new().verify(&message, &dns, now).await;
        assert!(!results.is_empty(), "{path}: no signature found");
        total += 1;
        for r in &results {
            assert_eq!(
                r.result(),
                &DkimResult::Pass,
                "{path}: {} {}",
                r.domain(),
                r.result()
            );
        }
        passed += 1;
    }
    println!("dkim-mail-auth: {passed}/{total}");
    assert_eq!(passed, 6);
}

fn dkimpy_dns() -> StaticResolver {
    let mut dns = StaticResolver::new();
    dns.add(
        "brisbane._domainkey.football.example.com",
        Record::txt("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="),
    );
    dns.add(
        "test._domainkey.football.example.com",
        Record::txt(read_str("dkim-dkimpy/test.txt").trim()),
    );
    dns.add(
        "sed._domainkey.test.ex",
        Record::txt(read_str("dkim-dkimpy/eximtest.dns").trim()),
    );
    dns
}

#[tokio::test]
async fn dkimpy_vectors() {
    let now = at(1_800_000_000);
    let dns = dkimpy_dns();
    let mut count = 0;
    // x= without t= parses; the b= there was copied from the message
    // without x=, so the signature itself does not verify.
    let message = crlf(read("dkim-dkimpy/rfc6376.signed.no_t.msg"));
    let results = Verifier::new().verify(&message, &dns, now).await;
    assert_eq!(
        results[0].result(),
        &DkimResult::Fail(DkimReason::BadSignature)
    );
    count += 1;
    for (file, sigs) in [
        ("rfc6376.signed.msg", 2),
        ("rfc6376.signed.rsa.msg", 1),
        ("ed25519test2.msg", 1),
    ] {
        let message = crlf(read(&format!("dkim-dkimpy/{file}")));
        let results = Verifier::new().verify(&message, &dns, now).await;
        assert_eq!(results.len(), sigs, "{file}");
        for r in &results {
            assert_eq!(r.result(), &DkimResult::Pass, "{file}: {}", r.result());
        }
        count += 1;
    }
    // d= with a comment-like character: the key name is not a domain.
    let message = crlf(read("dkim-dkimpy/test.message.baddomain"));
    let mut dns2 = dkimpy_dns();
    dns2.add(
        "test._domainkey.legitimate.com",
        Record::txt(read_str("dkim-dkimpy/test.txt").trim()),
    );
    let results = Verifier::new().verify(&message, &dns2, now).await;
    assert_eq!(results.len(), 1);
    assert!(!results[0].result().is_pass(), "{}", results[0].result());
    count += 1;
    // An altered body fails with a body hash mismatch.
    let mut message = crlf(read("dkim-dkimpy/rfc6376.signed.rsa.msg"));
    message.extend_from_slice(b"tampered\r\n");
    let results = Verifier::new().verify(&message, &dns, now).await;
    assert_eq!(
        results[0].result(),
        &DkimResult::Fail(DkimReason::BodyHashMismatch)
    );
    count += 1;
    println!("dkim-dkimpy verify: {count}/{count}");
}

/// Signs test.message with dkimpy's keys and checks each key record form.
#[tokio::test]
async fn dkimpy_keys_sign_and_verify() {
    let now = at(1_800_000_000);
    let message = crlf(read("dkim-dkimpy/test.message"));
    let mut count = 0;
    let records = [
        ("test.txt", Ok(())),
        ("test2.txt", Ok(())),
        ("badversion.txt", Err("permerror")),
        ("badk.txt", Err("permerror")),
        ("test_bad.txt", Err("permerror")),
        ("test_tlsrpt.txt", Err("permerror")),
    ];
    let key = SigningKey::from_pem(&read_str("dkim-dkimpy/test.private")).unwrap();
    assert_eq!(key.bits(), Some(1024));
    assert_eq!(key.backend(), "rsa");
    for canon in [Canonicalization::Simple, Canonicalization::Relaxed] {
        let signer = Signer::builder()
            .domain("example.com")
            .selector("test")
            .key(SigningKey::from_pem(&read_str("dkim-dkimpy/test.private")).unwrap())
            .canonicalization(canon, canon)
            .build();
        let signed = signer.sign_message(&message, now).unwrap();
        for (record, expected) in &records {
            let mut dns = StaticResolver::new();
            dns.add(
                "test._domainkey.example.com",
                Record::txt(read_str(&format!("dkim-dkimpy/{record}")).trim()),
            );
            let r = Verifier::new().verify(&signed, &dns, now).await;
            match expected {
                Ok(()) => assert_eq!(r[0].result(), &DkimResult::Pass, "{record}"),
                Err(word) => {
                    assert_eq!(r[0].result().as_str(), *word, "{record}: {}", r[0].result())
                }
            }
            count += 1;
        }
    }
    // Key files in every form, with the public key as SPKI and bare PKCS#1.
    for (private, publics) in [
        (
            "1024_testkey.key",
            [
                "1024_testkey_wo_markers.pub.txt",
                "1024_testkey_wo_markers.pub.rsa.txt",
            ],
        ),
        (
            "2048_testkey.key",
            [
                "2048_testkey_wo_markers.pub.txt",
                "2048_testkey_wo_markers.pub.rsa.txt",
            ],
        ),
        (
            "2048_testkey_PKCS8.key",
            [
                "2048_testkey_PKCS8.key.pub.txt",
                "2048_testkey_PKCS8.key.pub.txt",
            ],
        ),
    ] {
        let key = SigningKey::from_pem(&read_str(&format!("dkim-dkimpy/{private}"))).unwrap();
        let signer = Signer::builder()
            .domain("example.com")
            .selector("k")
            .key(key)
            .build();
        let signed = signer.sign_message(&message, now).unwrap();
        for public in publics {
            let text = read_str(&format!("dkim-dkimpy/{public}"));
            let record = if text.starts_with("v=") {
                text.trim().to_owned()
            } else {
                let p: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
                format!("v=DKIM1; k=rsa; p={p}")
            };
            let mut dns = StaticResolver::new();
            dns.add("k._domainkey.example.com", Record::txt(&record));
            let r = Verifier::new().verify(&signed, &dns, now).await;
            assert_eq!(r[0].result(), &DkimResult::Pass, "{private} with {public}");
            count += 1;
        }
    }
    // Ed25519 keys as dkimpy writes them: the base64 seed.
    for (seed, public) in [
        ("ed25519test.key", Some("ed25519test.dns")),
        ("rfc8032_7_1.key", None),
    ] {
        let seed = mailsec_auth_b64(read_str(&format!("dkim-dkimpy/{seed}")).trim());
        let key = SigningKey::from_ed25519_seed(&seed).unwrap();
        let record = match public {
            Some(p) => read_str(&format!("dkim-dkimpy/{p}")).trim().to_owned(),
            None => key.dns_record(),
        };
        assert!(record.contains(&key.public_key_base64()), "{record}");
        let signer = Signer::builder()
            .domain("example.com")
            .selector("ed")
            .key(key)
            .build();
        let signed = signer.sign_message(&message, now).unwrap();
        let mut dns = StaticResolver::new();
        dns.add("ed._domainkey.example.com", Record::txt(&record));
        let r = Verifier::new().verify(&signed, &dns, now).await;
        assert_eq!(r[0].result(), &DkimResult::Pass);
        count += 1;
    }
    println!("dkim-dkimpy sign+verify: {count}/{count}");
}

fn mailsec_auth_b64(text: &str) -> Vec<u8> {
    // A tiny decoder for the test's own use (the crate's is private).
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn perl_dns() -> StaticResolver {
    let mut dns = StaticResolver::new();
    for line in read_str("dkim-perl-mail-dkim/FAKE_DNS.dat").lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (name, value) = line.split_once(char::is_whitespace).unwrap();
        let value = value.trim();
        if value == "NXDOMAIN" {
            dns.fail(name, Failure::NxDomain);
        } else if value.contains("timed out") {
            dns.fail(name, Failure::Timeout);
        } else if value.starts_with("~~") {
            dns.fail(name, Failure::ServFail);
        } else if value == "\"\"" {
            dns.add(name, Record::txt(""));
        } else {
            dns.add(name, Record::txt(value));
        }
    }
    dns
}

/// Mail::DKIM's verifier corpus, the RFC 6376 class (see SOURCES.md section
/// 6; the other classes are pre-standard drafts, DomainKeys or RFC 4871's
/// `g=`, where a modern verifier must disagree).
///
/// Mail::DKIM predates RFC 8301. Under it, a signature made with `rsa-sha1`
/// or with an RSA key under 1024 bits (this corpus has many 512-bit keys)
/// must not verify: we expect `permerror` with the RFC 8301 reason for those
/// and list them. The corpus is run twice: with the RFC 8301 defaults, and
/// with `rsa-sha1` allowed (so that the SHA-1 cases with 1024-bit keys are
/// really verified and must match Mail::DKIM exactly).
#[tokio::test]
async fn perl_mail_dkim_corpus() {
    let dns = perl_dns();
    let now = at(1_800_000_000);
    let expected = read_str("dkim-perl-mail-dkim/EXPECTED.tsv");
    for allow_sha1 in [false, true] {
        let verifier = Verifier::new().allow_rsa_sha1(allow_sha1);
        let (mut exact, mut rfc8301, mut total) = (0, Vec::new(), 0);
        for line in expected.lines().filter(|l| !l.starts_with('#')) {
            let cols: Vec<&str> = line.split('\t').collect();
            let (file, want, class) = (cols[0], cols[1], cols[2]);
            if class != "rfc6376" {
                continue;
            }
            total += 1;
            let message = crlf(read(&format!("dkim-perl-mail-dkim/corpus/{file}")));
            let results = verifier.verify(&message, &dns, now).await;
            let summary = Verifier::summary(&results);
            let matches = match want {
                "pass" => summary.is_pass(),
                "fail" => matches!(summary, DkimResult::Fail(_)),
                "invalid" => matches!(summary, DkimResult::PermError(_) | DkimResult::TempError(_)),
                other => panic!("unknown expectation {other}"),
            };
            let rfc8301_reason = |r: &DkimResult| {
                matches!(
                    r,
                    DkimResult::PermError(
                        DkimReason::RsaSha1NotAccepted | DkimReason::KeyTooSmall { .. }
                    )
                )
            };
            if matches {
                exact += 1;
            } else if let Some(r) = results
                .iter()
                .find(|r| rfc8301_reason(r.result()))
                .filter(|_| want != "invalid")
            {
                rfc8301.push(format!("{file} ({})", r.result().reason().unwrap()));
            } else {
                panic!("{file}: expected {want}, got {summary} ({results:?})");
            }
        }
        println!(
            "dkim-perl-mail-dkim (rfc6376 class, rsa-sha1 {}): {exact}/{total} as Mail::DKIM, {} permerror by RFC 8301: {}",
            if allow_sha1 { "allowed" } else { "refused" },
            rfc8301.len(),
            rfc8301.join(", ")
        );
        assert_eq!(exact + rfc8301.len(), total);
        if allow_sha1 {
            // Only the 512-bit keys remain.
            assert!(
                rfc8301.iter().all(|c| c.contains("too small")),
                "{rfc8301:?}"
            );
        }
    }
}

#[tokio::test]
async fn perl_specific_reasons() {
    let dns = perl_dns();
    let now = at(1_800_000_000);
    let v = Verifier::new().allow_rsa_sha1(true);
    let (v, dns) = (&v, &dns);
    let check = |file: &'static str| {
        let message = crlf(read(&format!("dkim-perl-mail-dkim/corpus/{file}")));
        async move { Verifier::summary(&v.verify(&message, dns, now).await) }
    };
    assert!(matches!(
        check("badkey_14.txt").await,
        DkimResult::TempError(_)
    ));
    assert!(matches!(
        check("badkey_15.txt").await,
        DkimResult::TempError(_)
    ));
    assert_eq!(
        check("ignore_7.txt").await,
        DkimResult::PermError(DkimReason::Expired {
            expired_at: 1_193_229_946
        })
    );
    assert!(matches!(
        check("ignore_5.txt").await,
        DkimResult::PermError(DkimReason::UnsupportedQueryMethod(_))
    ));
    // An empty TXT record: no p= at all.
    assert!(matches!(
        check("badkey5_ed25519.txt").await,
        DkimResult::PermError(DkimReason::KeySyntax(_))
    ));
    assert_eq!(
        check("badkey_11.txt").await,
        DkimResult::PermError(DkimReason::KeyHashNotAllowed)
    );
}
