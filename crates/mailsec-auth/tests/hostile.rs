//! Hostile and worst-case input: each case finishes well under a second and
//! ends in a clear error or a bounded result.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use mailsec_auth::authres::{AuthResError, AuthenticationResults};
use mailsec_auth::dmarc::DmarcRecord;
use mailsec_auth::report::{
    FailureReport, MAX_REPORT_SIZE, ReportError, parse_aggregate, parse_aggregate_message,
};
use std::io::Write;
use std::time::{Duration, Instant};

/// Runs `f`, asserting it took less than a second.
fn within_a_second<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took < Duration::from_secs(1), "{what} took {took:?}");
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// A gzip stream inflating to `size` zero bytes, written piecewise.
fn gzip_zeros(size: usize) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let chunk = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len());
        enc.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    enc.finish().unwrap()
}

#[test]
fn authentication_results_with_ten_thousand_results() {
    let mut value = String::from("mx.example.org");
    for i in 0..10_000 {
        value.push_str(&format!(
            "; dkim=pass header.d=d{i}.example header.s=s{i} (comment {i})"
        ));
    }
    let ar = within_a_second("10k results", || AuthenticationResults::parse(&value)).unwrap();
    assert_eq!(ar.results().len(), 10_000);
    let written = within_a_second("writing 10k results", || ar.to_header_value());
    assert_eq!(
        AuthenticationResults::parse(&written)
            .unwrap()
            .results()
            .len(),
        10_000
    );
}

#[test]
fn authentication_results_deeply_nested_comment() {
    // 200k open parentheses: iterative comment skipping, no stack overflow.
    let value = format!("mx.example.org; spf=pass {}", "(".repeat(200_000));
    let err = within_a_second("nested comment", || AuthenticationResults::parse(&value));
    assert!(
        matches!(err, Err(AuthResError::Unterminated { .. })),
        "{err:?}"
    );
    let closed = format!(
        "mx.example.org; spf=pass {}{} smtp.mailfrom=a@example.com",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let ar = within_a_second("closed nested comment", || {
        AuthenticationResults::parse(&closed)
    })
    .unwrap();
    assert_eq!(
        ar.results()[0].property("smtp", "mailfrom"),
        Some("a@example.com")
    );
}

#[test]
fn arc_authentication_results_hostile_instance() {
    for v in [
        "i=99999999999999999999; mx.example.org; spf=pass",
        "i=; mx.example.org; spf=pass",
        "i=-1; mx.example.org; spf=pass",
        "i=1",
        "",
    ] {
        assert!(
            matches!(
                AuthenticationResults::parse_arc(v),
                Err(AuthResError::ArcInstance)
            ),
            "{v:?}"
        );
    }
    let long = format!(
        "i=1; mx.example.org; dkim=pass header.b={}",
        "A".repeat(1 << 20)
    );
    let (i, ar) =
        within_a_second("1 MiB property", || AuthenticationResults::parse_arc(&long)).unwrap();
    assert_eq!(i, 1);
    assert_eq!(ar.results().len(), 1);
}

#[test]
fn dmarc_record_with_ten_thousand_tags() {
    // ~110 KB: more than any DNS TXT answer can carry. Duplicate detection was
    // quadratic (100k tags took 310 s in a debug build); it is a set now.
    let mut text = String::from("v=DMARC1; p=reject");
    for i in 0..10_000 {
        text.push_str(&format!("; x{i}=y"));
    }
    let record = within_a_second("10k tags", || DmarcRecord::parse(&text)).unwrap();
    assert_eq!(record.policy().as_str(), "reject");
    let mut uris = String::from("v=DMARC1; p=none; rua=");
    for i in 0..20_000 {
        uris.push_str(&format!("mailto:r{i}@example.org!10m,"));
    }
    let _ = within_a_second("20k report URIs", || DmarcRecord::parse(&uris));
}

#[test]
fn gzip_bomb_is_refused() {
    // 200 MiB of zeros in ~200 KiB: refused once past the 64 MiB cap.
    let bomb = gzip_zeros(200 << 20);
    assert!(bomb.len() < 1 << 20);
    let err = within_a_second("gzip bomb", || parse_aggregate(&bomb));
    assert!(matches!(err, Err(ReportError::TooLarge)), "{err:?}");
}

#[test]
fn zip_bomb_is_refused() {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        zip.start_file("bomb.xml", opts).unwrap();
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..(MAX_REPORT_SIZE as usize >> 20) + 8 {
            zip.write_all(&chunk).unwrap();
        }
        zip.finish().unwrap();
    }
    let bytes = buf.into_inner();
    assert!(bytes.len() < 2 << 20);
    let err = within_a_second("zip bomb", || parse_aggregate(&bytes));
    assert!(matches!(err, Err(ReportError::TooLarge)), "{err:?}");
}

#[test]
fn many_compressed_attachments_share_one_budget() {
    // Each attachment inflates to just under the per-report cap; together they
    // would be gigabytes of inflation. The message as a whole is bounded.
    let part = gzip_zeros(MAX_REPORT_SIZE as usize - 1024);
    let b64 = base64_lines(&part);
    let mut msg = String::from(
        "From: r@example.net\r\nTo: d@example.com\r\nSubject: Report\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n",
    );
    for i in 0..40 {
        msg.push_str(&format!(
            "--b\r\nContent-Type: application/gzip\r\nContent-Transfer-Encoding: base64\r\n\
             Content-Disposition: attachment; filename=\"r{i}.xml.gz\"\r\n\r\n{b64}"
        ));
    }
    msg.push_str("--b--\r\n");
    let start = Instant::now();
    let err = parse_aggregate_message(msg.as_bytes());
    let took = start.elapsed();
    assert!(err.is_err());
    // One report's worth of inflation at most (a few hundred ms), not 40.
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn huge_aggregate_report_is_bounded() {
    // 5,000 records (~2 MiB of XML): parsed in time linear in the size
    // (20,000 records took 3.2 s in an unoptimised test build on a loaded machine).
    let mut xml = String::from(
        "<?xml version=\"1.0\"?><feedback><report_metadata><org_name>o</org_name>\
         <email>e@example.net</email><report_id>1</report_id><date_range><begin>1</begin>\
         <end>2</end></date_range></report_metadata><policy_published><domain>example.com\
         </domain><p>none</p></policy_published>",
    );
    for i in 0..5_000u32 {
        let [a, b, _, _] = i.to_be_bytes();
        xml.push_str(&format!(
            "<record><row><source_ip>10.{a}.{b}.1</source_ip><count>1</count>\
             <policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass</spf>\
             </policy_evaluated></row><identifiers><header_from>example.com</header_from>\
             </identifiers><auth_results><spf><domain>example.com</domain><result>pass</result>\
             </spf></auth_results></record>"
        ));
    }
    xml.push_str("</feedback>");
    let gz = gzip(xml.as_bytes());
    let report = within_a_second("5k-record report", || parse_aggregate(&gz)).unwrap();
    assert_eq!(report.message_count(), 5_000);
}

#[test]
fn deeply_nested_xml_is_refused() {
    let xml = format!("<feedback>{}", "<a>".repeat(100_000));
    let err = within_a_second("nested XML", || parse_aggregate(xml.as_bytes()));
    assert!(matches!(err, Err(ReportError::Xml { .. })), "{err:?}");
}

#[test]
fn failure_report_with_a_hundred_thousand_fields() {
    let mut fields = String::from("Feedback-Type: auth-failure\r\nVersion: 1\r\n");
    for i in 0..100_000 {
        fields.push_str(&format!(
            "Authentication-Results: mx{i}.example.org; spf=fail\r\n"
        ));
    }
    let report = within_a_second("100k ARF fields", || {
        FailureReport::parse_fields(fields.as_bytes())
    });
    assert!(report.is_ok());
}

fn base64_lines(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, chunk) in data.chunks(3).enumerate() {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for j in 0..4 {
            if j <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * j)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
        if i % 19 == 18 {
            out.push_str("\r\n");
        }
    }
    out.push_str("\r\n");
    out
}
