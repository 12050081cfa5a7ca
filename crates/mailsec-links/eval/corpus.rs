//! Shared by the training tool, the evaluation example and the evaluation
//! test: reading the development corpus and splitting URLs by registered domain.
//! (Not part of the library.)
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use mailsec_links::{normalize_url_lenient, registered_domain_of};

/// The development corpus (beside the repository).
pub(crate) fn corpus_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ))
}

/// RFC 4180 CSV rows.
pub(crate) fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

fn column(path: &Path, name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let rows = csv_rows(&text);
    let Some(header) = rows.first() else {
        return Vec::new();
    };
    let idx = header
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case(name))
        .unwrap_or(0);
    rows.iter()
        .skip(1)
        .filter_map(|r| r.get(idx).cloned())
        .filter(|u| !u.trim().is_empty())
        .collect()
}

/// Phishing URLs (JPCERT 2025 and PhishTank 2020) and benign URLs (ISCX 2016).
pub(crate) fn load_urls() -> (Vec<String>, Vec<String>) {
    let dir = corpus_dir().join("urls");
    let mut phish = column(&dir.join("phish_jpcert_2025.csv"), "url");
    phish.extend(column(&dir.join("phish_phishtank_2020-05.csv"), "url"));
    let benign = column(&dir.join("benign_iscx_url2016.csv"), "url");
    (phish, benign)
}

/// The URL with its scheme replaced by `http://`, so the scheme tells nothing.
pub(crate) fn scheme_normalised(raw: &str) -> String {
    let t = raw.trim();
    let lower = t.get(..8).unwrap_or(t).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        t.get(8..).unwrap_or_default()
    } else if lower.starts_with("http://") {
        t.get(7..).unwrap_or_default()
    } else {
        t
    };
    format!("http://{rest}")
}

/// The registered domain of a URL (its host when there is none).
pub(crate) fn url_domain(raw: &str) -> String {
    normalize_url_lenient(raw)
        .and_then(|u| {
            u.registered_domain()
                .map(str::to_owned)
                .or_else(|| u.host_str().map(str::to_owned))
        })
        .unwrap_or_default()
}

/// Fold 0..5 of a registered domain: every URL of a domain is in one fold.
pub(crate) fn fold(domain: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in domain.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h % 5
}

/// The evaluation fold (never trained on).
pub(crate) const TEST_FOLD: u32 = 0;
/// The fold the training tool picks thresholds on.
pub(crate) const VALIDATION_FOLD: u32 = 1;

/// Registered domain of any host (for reports).
pub(crate) fn domain_of_host(host: &str) -> String {
    registered_domain_of(host).unwrap_or_else(|| host.to_owned())
}

/// Message files under `dir` (sorted).
pub(crate) fn message_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

/// The phishing mail folders.
pub(crate) fn phishing_dirs() -> Vec<PathBuf> {
    let c = corpus_dir();
    vec![c.join("nazario"), c.join("phishing_pot")]
}

/// The SpamAssassin spam folders (2002-2003, the era of the ham).
pub(crate) fn spam_dirs() -> Vec<PathBuf> {
    let c = corpus_dir().join("spamassassin");
    vec![c.join("spam"), c.join("spam_2")]
}

/// The ham folders.
pub(crate) fn ham_dirs() -> Vec<PathBuf> {
    let c = corpus_dir().join("spamassassin");
    ["easy_ham", "easy_ham_2", "hard_ham", "hard_ham_2"]
        .iter()
        .map(|d| c.join(d))
        .collect()
}

/// Label-leaking artefacts of the corpus (see `shared/corpus/SOURCES.md`):
/// recipient placeholders and corpus-specific domains. They are replaced by
/// one neutral token in every message, phishing and ham alike, before any
/// feature is computed, so nothing can key on them.
pub(crate) const ARTEFACTS: &[&str] = &[
    "phishing@pot",
    "username@domain.com",
    "jose@monkey.org",
    "monkey.org",
    "spamassassin.taint.org",
    "jmason.org",
    "example.com",
    // SpamAssassin's anonymised local parts and the corpus's own name.
    "zzzz@",
    "yyyy@",
    "spamassassin",
    // The corpus's mailing-list Subject tags, and a filter's tag on some phish.
    "[ilug]",
    "[ilug-social]",
    "[razor-users]",
    "[satalk]",
    "[sadev]",
    "[sacvs]",
    "[spambayes]",
    "[zzzzteana]",
    "[use perl]",
    "[iiu]",
    "[*** posible spam***]",
];

/// What every artefact is replaced by. The content model's training text
/// drops it too (see `messages::samples`), so it carries no weight.
pub(crate) const MASK: &str = "recipient.invalid";

/// Lines of a message body holding one of these (ASCII case-insensitive)
/// are mailing-list footers or list furniture of the SpamAssassin corpus
/// (Mailman, SourceForge, Yahoo! Groups, ILUG, FoRK, freshrpms): they tell
/// the corpus, not the content, and are dropped from every message before
/// any feature is computed (phishing and ham alike).
pub(crate) const FOOTER_MARKERS: &[&str] = &[
    "listinfo",
    "-request@",
    "mailing list",
    "list maintainer",
    "irish linux users",
    "ilug@",
    "linux.ie",
    "sf.net email is sponsored",
    "sourceforge",
    "thinkgeek",
    "geek heaven",
    "yahoo! groups",
    "groups.yahoo.com",
    "xent.com",
    "freshrpms",
    "newsisfree",
    "date: not supplied",
    // Footers of list and marketing mail alike: not learned either way.
    "unsubscribe",
];

/// Body lines starting with one of these (after quote marks and spaces) are
/// dropped too: header blocks of forwarded or quoted mail and of the
/// corpus's RSS digests, which tell a format, not the content.
pub(crate) const FOOTER_PREFIXES: &[&str] = &["date:", "url:"];

/// `raw` with every artefact (ASCII case-insensitive) replaced by `recipient.invalid`.
pub(crate) fn mask_artefacts(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    'outer: while i < raw.len() {
        for a in ARTEFACTS {
            let a = a.as_bytes();
            if raw
                .get(i..i + a.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(a))
            {
                out.extend_from_slice(MASK.as_bytes());
                i += a.len();
                continue 'outer;
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    drop_footer_lines(&out)
}

/// `raw` with the body lines that hold a [`FOOTER_MARKERS`] entry removed
/// (the header is kept as it is).
pub(crate) fn drop_footer_lines(raw: &[u8]) -> Vec<u8> {
    let body_at = raw
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|p| p + 2)
        .into_iter()
        .chain(raw.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4))
        .min()
        .unwrap_or(raw.len());
    let (head, body) = raw.split_at(body_at);
    let mut out = head.to_vec();
    for line in body.split_inclusive(|b| *b == b'\n') {
        let lower = line.to_ascii_lowercase();
        let start = lower
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t' | b'>'))
            .unwrap_or(lower.len());
        let footer = FOOTER_MARKERS
            .iter()
            .any(|m| lower.windows(m.len()).any(|w| w == m.as_bytes()))
            || FOOTER_PREFIXES.iter().any(|p| {
                lower
                    .get(start..)
                    .is_some_and(|l| l.starts_with(p.as_bytes()))
            });
        if footer {
            out.extend_from_slice(if line.ends_with(b"\r\n") {
                b"\r\n"
            } else {
                b"\n"
            });
        } else {
            out.extend_from_slice(line);
        }
    }
    out
}
