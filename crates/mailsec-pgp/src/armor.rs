//! ASCII armor (RFC 9580 §6) written directly in CRLF form for mail, and a
//! fast reader for the common shape of armored messages (sequoia's reader
//! stays the fallback for anything unusual).

use base64::Engine as _;

const CRC24_INIT: u32 = 0x00B7_04CE;
const CRC24_POLY: u32 = 0x0186_4CFB;

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u32) << 16;
        let mut bit = 0;
        while bit < 8 {
            crc <<= 1;
            if crc & 0x0100_0000 != 0 {
                crc ^= CRC24_POLY;
            }
            bit += 1;
        }
        table[i] = crc & 0x00FF_FFFF;
        i += 1;
    }
    table
}

static CRC_TABLE: [u32; 256] = crc_table();

fn crc24(data: &[u8]) -> u32 {
    let mut crc = CRC24_INIT;
    for &b in data {
        let idx = (((crc >> 16) ^ u32::from(b)) & 0xFF) as usize;
        crc = ((crc << 8) ^ CRC_TABLE.get(idx).copied().unwrap_or(0)) & 0x00FF_FFFF;
    }
    crc
}

/// Armors `data` as `-----BEGIN PGP {label}-----` with CRLF line ends,
/// 64-character lines and the CRC24 footer (optional in RFC 9580, kept for
/// older readers).
pub(crate) fn encode(label: &str, data: &[u8]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    let mut out = Vec::with_capacity(b64.len() + b64.len() / 32 + 128);
    out.extend_from_slice(format!("-----BEGIN PGP {label}-----\r\n\r\n").as_bytes());
    for line in b64.as_bytes().chunks(64) {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    let crc = crc24(data).to_be_bytes();
    let footer =
        base64::engine::general_purpose::STANDARD.encode(crc.get(1..4).unwrap_or_default());
    out.push(b'=');
    out.extend_from_slice(footer.as_bytes());
    out.extend_from_slice(format!("\r\n-----END PGP {label}-----\r\n").as_bytes());
    out
}

/// Decodes an armored block of the usual shape (BEGIN line, optional
/// `Key: value` headers, blank line, base64 lines, optional `=CRC` line,
/// END line). `None` when the text has any other shape: the caller then
/// hands the bytes to sequoia as they are. The CRC is not checked (RFC 9580
/// §6.1: a reader must not reject on it).
pub(crate) fn decode(text: &[u8]) -> Option<Vec<u8>> {
    let begin = memchr::memmem::find(text, b"-----BEGIN PGP ")?;
    let after_begin = text.get(begin..)?;
    let first_eol = memchr::memchr(b'\n', after_begin)?;
    let mut pos = begin + first_eol + 1;
    // Armor headers up to the blank line.
    loop {
        let rest = text.get(pos..)?;
        let eol = memchr::memchr(b'\n', rest)?;
        let line = trim_eol(rest.get(..eol)?);
        pos += eol + 1;
        if line.is_empty() {
            break;
        }
        if !line.contains(&b':') {
            return None;
        }
    }
    let mut b64 = Vec::with_capacity(text.len().saturating_sub(pos));
    loop {
        let rest = text.get(pos..)?;
        let eol = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let line = trim_eol(rest.get(..eol)?);
        if line.starts_with(b"-----END PGP ") {
            break;
        }
        if line.first() == Some(&b'=') {
            // The CRC line must be followed by the END line.
            let next = text.get(pos + eol + 1..)?;
            if !next.starts_with(b"-----END PGP ") {
                return None;
            }
            break;
        }
        b64.extend_from_slice(line);
        if eol >= rest.len() {
            return None;
        }
        pos += eol + 1;
    }
    base64::engine::general_purpose::STANDARD.decode(&b64).ok()
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let mut l = line;
    while let Some((last, init)) = l.split_last() {
        if matches!(last, b'\r' | b' ' | b'\t') {
            l = init;
        } else {
            break;
        }
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc24_known_value() {
        // RFC 4880 §6.1 reference implementation over "123456789".
        assert_eq!(crc24(b"123456789"), 0x0021_CF02);
    }

    #[test]
    fn round_trip_and_sequoia_reads_it() {
        use sequoia_openpgp::armor::{Kind, Reader, ReaderMode};
        use std::io::Read;
        for len in [0usize, 1, 47, 48, 49, 1000] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let armored = encode("MESSAGE", &data);
            assert_eq!(decode(&armored).unwrap(), data);
            let mut r = Reader::from_bytes(&armored, ReaderMode::Tolerant(Some(Kind::Message)));
            let mut back = Vec::new();
            r.read_to_end(&mut back).unwrap();
            assert_eq!(back, data);
        }
    }

    #[test]
    fn odd_shapes_fall_back() {
        assert!(decode(b"no armor here").is_none());
        assert!(decode(b"-----BEGIN PGP MESSAGE-----\r\nnot a header\r\n\r\nAAAA\r\n-----END PGP MESSAGE-----").is_none());
        assert!(
            decode(b"-----BEGIN PGP MESSAGE-----\r\n\r\n!!!!\r\n-----END PGP MESSAGE-----\r\n")
                .is_none()
        );
        assert_eq!(
            decode(b"-----BEGIN PGP MESSAGE-----\nVersion: x\n\nAAEC\n=abcd\n-----END PGP MESSAGE-----\n").unwrap(),
            vec![0, 1, 2]
        );
    }
}
