//! One pass over a parsed message: classifier tokens and rule features.
//!
//! Tokens are orthogonal sparse bigrams (OSB): every word, and every pair
//! of a word with each of the four words before it, tagged with their
//! distance ("cheap _ _ pills" is one token). Words come from the decoded
//! subject, the text parts and the visible text of the HTML parts (text
//! hidden with CSS is left out, so hidden "ham words" cannot poison the
//! model); words with digits are folded to their shape (`$1999` → `$9999`).
//! A few header tokens (sender domain and name, reply-to domain, mailer,
//! MIME structure, charsets, attachment types), the host names and path
//! words of links, the HTML tag names, and bucketed body "shape" tokens
//! (share of capitals; counts of `!`, currency and `%` signs) are added.
//! Each distinct token counts once per message.

use std::collections::{HashMap, HashSet};

use mail_parser::{Message, MessagePart, MimeHeaders, PartType};

use crate::hash::{TokenSet, combine, hash_bytes};
use crate::html::{find_ascii_ci, read_html};

/// Most words tokenized per message (bounds the work on huge messages).
const MAX_WORDS: usize = 4_000;
/// Most bytes of text read from one part.
const MAX_PART_TEXT: usize = 128 * 1024;
/// Words longer than this become a "long word" token.
const MAX_WORD: usize = 30;
/// At most this many back-off forms per message.
const MAX_BACKOFF: usize = 2_000;
/// OSB window: a word is paired with this many words before it.
const WINDOW: usize = 4;

const SEED_BODY: u64 = 1;
const SEED_SUBJECT: u64 = 2;
const SEED_HOST: u64 = 3;
const SEED_HEADER: u64 = 4;
const SEED_NAME: u64 = 5;

/// What one pass over a message found: the classifier's tokens and the
/// features the rules judge.
///
/// Made by [`Analysis::of`]; scoring and learning both take it, so a
/// message that is scored and then learned is read once.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub(crate) tokens: Vec<u64>,
    pub(crate) digest: u64,
    pub(crate) features: Features,
    pub(crate) sender: Option<SenderTokens>,
    /// Back-off forms of word tokens, `(token, plainer form)`, sorted by
    /// token; only forms that are not themselves among the tokens.
    pub(crate) backoff: Vec<(u64, u64)>,
}

/// The tokens under which a store keeps a sender's history: the From
/// address (learned beside the classifier's tokens, not summed by it) and
/// the From domain (the classifier's own `from_dom:` token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SenderTokens {
    pub(crate) address: u64,
    pub(crate) domain: u64,
}

impl SenderTokens {
    /// The sender tokens of a From address (lower case), or `None` when it
    /// has no domain or the domain is under `.invalid` (RFC 2606: a
    /// placeholder, such as the masked artefacts of a test collection).
    fn of(addr: &str) -> Option<SenderTokens> {
        let dom = domain_of(addr)?;
        if dom == "invalid" || dom.ends_with(".invalid") {
            return None;
        }
        let tok = |k: &str, v: &str| {
            let mut t = String::with_capacity(k.len() + v.len() + 1);
            t.push_str(k);
            t.push(':');
            t.push_str(v);
            hash_bytes(SEED_HEADER, t.as_bytes())
        };
        Some(SenderTokens {
            address: tok("from_addr", addr),
            domain: tok("from_dom", dom),
        })
    }
}

/// Facts about a message that rules judge.
#[derive(Debug, Clone, Default)]
pub(crate) struct Features {
    pub(crate) date_present: bool,
    pub(crate) date: Option<i64>,
    pub(crate) first_received: Option<i64>,
    pub(crate) message_id_present: bool,
    pub(crate) message_id_valid: bool,
    /// The Message-ID header as sent (clipped), for the mailer-forgery rule.
    pub(crate) message_id_raw: Option<String>,
    /// The X-Mailer (or User-Agent) header as sent (clipped).
    pub(crate) mailer: Option<String>,
    /// An X-MimeOLE header is present (Outlook Express always writes one).
    pub(crate) mimeole: bool,
    /// The Date header as sent (clipped).
    pub(crate) date_raw: Option<String>,
    /// X-Priority 1 or 2, or X-MSMail-Priority High.
    pub(crate) high_priority: bool,
    /// Lines longer than 76 characters in a quoted-printable body part
    /// (RFC 2045 limit that mail programs keep).
    pub(crate) qp_long_lines: usize,
    pub(crate) from_present: bool,
    pub(crate) from_name: Option<String>,
    pub(crate) from_addr: Option<String>,
    pub(crate) reply_to_addr: Option<String>,
    /// Registrable domains a mailing list names in its headers (List-Id,
    /// List-Post, Mailing-List, X-BeenThere, Sender) and the To/Cc
    /// addresses: a Reply-To pointing there is a list's, not a trick.
    pub(crate) list_domains: Vec<String>,
    /// The To/Cc addresses (lower case, at most 64).
    pub(crate) recipient_addrs: Vec<String>,
    pub(crate) subject: Option<String>,
    pub(crate) subject_raw: Option<String>,
    pub(crate) recipients: usize,
    pub(crate) text_parts: usize,
    pub(crate) html_parts: usize,
    pub(crate) text_chars: usize,
    pub(crate) html_visible_chars: usize,
    pub(crate) hidden_chars: usize,
    pub(crate) invisible_chars: usize,
    pub(crate) images: usize,
    pub(crate) forms: usize,
    pub(crate) attachments: Vec<(String, String)>,
    pub(crate) mixed_script_words: usize,
    pub(crate) words: usize,
    pub(crate) url_hosts: Vec<String>,
    pub(crate) ip_urls: usize,
}

impl Analysis {
    /// Reads `message` once.
    pub fn of(message: &Message<'_>) -> Analysis {
        let mut a = Analyzer::default();
        a.run(message);
        Analysis::from_analyzer(a)
    }

    /// The sorted token set, its digest and the features `a` collected.
    fn from_analyzer(a: Analyzer) -> Analysis {
        let mut tokens: Vec<u64> = a.tokens.into_iter().collect();
        tokens.sort_unstable();
        let digest = tokens
            .iter()
            .fold(0x6d61_696c_7365_6321_u64, |acc, &t| combine(acc, t, 7));
        let sender = a.features.from_addr.as_deref().and_then(SenderTokens::of);
        let mut backoff: Vec<(u64, u64)> = a
            .backoff
            .into_iter()
            .filter(|(_, b)| tokens.binary_search(b).is_err())
            .collect();
        backoff.sort_unstable();
        backoff.dedup_by_key(|p| p.0);
        Analysis {
            tokens,
            digest,
            features: a.features,
            sender,
            backoff,
        }
    }

    /// Reads `message` as [`Analysis::of`] does and also names each token
    /// (`"cheap _ pills"`, `"H from_dom:example.org"`, `"S:subject word"`),
    /// for looking at what the classifier sees. Slower than
    /// [`Analysis::of`]; the tokens are the same.
    #[doc(hidden)]
    pub fn explain(message: &Message<'_>) -> (Analysis, HashMap<u64, String>) {
        let mut a = Analyzer {
            names: Some(HashMap::new()),
            ..Analyzer::default()
        };
        a.run(message);
        let names = a.names.take().unwrap_or_default();
        (Analysis::from_analyzer(a), names)
    }

    /// Shape facts of the message, for fitting experiments: words
    /// tokenized, link hosts, images, non-space characters of the text
    /// parts and of the visible HTML text.
    #[doc(hidden)]
    pub fn shape_facts(&self) -> [usize; 5] {
        let f = &self.features;
        [
            f.words,
            f.url_hosts.len(),
            f.images,
            f.text_chars,
            f.html_visible_chars,
        ]
    }

    /// The distinct classifier tokens, sorted.
    pub fn tokens(&self) -> &[u64] {
        &self.tokens
    }

    /// A digest of the token set: the identity under which a learned
    /// message is remembered.
    pub fn digest(&self) -> u64 {
        self.digest
    }

    /// Host names of the links found (lower case, deduplicated).
    pub fn url_hosts(&self) -> &[String] {
        &self.features.url_hosts
    }

    /// The From address (lower case), for fitting experiments.
    #[doc(hidden)]
    pub fn from_address(&self) -> Option<&str> {
        self.features.from_addr.as_deref()
    }

    /// Whether the message has a From address a sender history can key on
    /// (a domain, not under `.invalid`).
    pub fn has_sender(&self) -> bool {
        self.sender.is_some()
    }
}

/// Character counts of the body text.
#[derive(Debug, Default, Clone, Copy)]
struct TextShape {
    upper: usize,
    lower: usize,
    bangs: usize,
    money: usize,
    percent: usize,
}

/// The last words of the running text, for OSB pairs.
#[derive(Default)]
struct Osb {
    window: [u64; WINDOW],
    filled: usize,
}

/// Scripts counted for the `script:` tokens.
#[derive(Clone, Copy)]
enum Script {
    Han,
    Kana,
    Thai,
    Hangul,
    /// Greek and Cyrillic.
    Other,
}

const SCRIPT_NAMES: [&str; 5] = ["han", "kana", "thai", "hangul", "greek_cyrillic"];

/// The script of a character of a language written without spaces
/// between words.
fn unspaced_script(c: char) -> Option<Script> {
    Some(match c as u32 {
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF => Script::Han,
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F => Script::Kana,
        // Thai, Lao, Myanmar, Khmer.
        0x0E00..=0x0EFF | 0x1000..=0x109F | 0x1780..=0x17FF => Script::Thai,
        _ => return None,
    })
}

#[derive(Default)]
struct Analyzer {
    shape: TextShape,
    scripts: [usize; 5],
    tokens: TokenSet,
    features: Features,
    words: usize,
    hosts: HashSet<String>,
    /// Token names, when asked for ([`Analysis::explain`]).
    names: Option<HashMap<u64, String>>,
    /// Names of the words in the OSB window (only while naming).
    window_names: [String; WINDOW],
    /// `(word token, back-off token)` pairs (see `BayesConfig::backoff`).
    backoff: Vec<(u64, u64)>,
}

impl Analyzer {
    fn run(&mut self, msg: &Message<'_>) {
        self.headers(msg);
        let ids: Vec<u32> = {
            let mut v: Vec<u32> = msg
                .text_body
                .iter()
                .chain(&msg.html_body)
                .copied()
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        for id in &ids {
            let Some(part) = msg.parts.get(*id as usize) else {
                continue;
            };
            match &part.body {
                PartType::Text(text) => {
                    self.features.text_parts += 1;
                    let text = clip(text, MAX_PART_TEXT);
                    self.features.text_chars += text.chars().filter(|c| !c.is_whitespace()).count();
                    self.words(text, SEED_BODY);
                    self.count_shape(text);
                    self.find_urls(text);
                }
                PartType::Html(html) => {
                    self.features.html_parts += 1;
                    let h = read_html(clip(html, MAX_PART_TEXT * 2), MAX_PART_TEXT);
                    self.features.html_visible_chars +=
                        h.visible.chars().filter(|c| !c.is_whitespace()).count();
                    self.features.hidden_chars += h.hidden_chars;
                    self.features.images += h.images;
                    self.features.forms += h.forms;
                    self.words(&h.visible, SEED_BODY);
                    self.count_shape(&h.visible);
                    for t in &h.tags {
                        self.header_kv("tag", t);
                    }
                    self.find_urls(&h.visible);
                    for link in &h.links {
                        self.find_urls(link);
                    }
                }
                _ => {}
            }
        }
        for (i, part) in msg.parts.iter().enumerate() {
            let structural = match &part.body {
                PartType::Multipart(_) => true,
                PartType::Binary(_) | PartType::InlineBinary(_) | PartType::Message(_) => {
                    self.attachment(part);
                    true
                }
                PartType::Text(_) | PartType::Html(_) => {
                    if !ids.contains(&u32::try_from(i).unwrap_or(u32::MAX)) {
                        self.attachment(part);
                    }
                    true
                }
            };
            if structural && i < 64 {
                self.mime_tokens(part);
                self.qp_lines(msg, part);
            }
        }
        self.body_shape();
        for (name, n) in SCRIPT_NAMES.iter().zip(self.scripts) {
            if n >= 10 {
                self.header_kv("script", name);
            }
        }
        let mut hosts: Vec<String> = self.hosts.drain().collect();
        hosts.sort_unstable();
        for h in &hosts {
            self.tokens.insert(hash_bytes(SEED_HOST, h.as_bytes()));
            self.name(hash_bytes(SEED_HOST, h.as_bytes()), || format!("host:{h}"));
            if let Some(reg) = registrable(h) {
                let mut t = String::with_capacity(reg.len() + 4);
                t.push_str("reg:");
                t.push_str(reg);
                self.tokens.insert(hash_bytes(SEED_HOST, t.as_bytes()));
                self.name(hash_bytes(SEED_HOST, t.as_bytes()), || t.clone());
            }
        }
        let bucket = match hosts.len() {
            0 => "urls:0",
            1..=2 => "urls:few",
            3..=9 => "urls:some",
            _ => "urls:many",
        };
        self.header_token(bucket);
        self.features.url_hosts = hosts;
        self.features.words = self.words;
    }

    /// Counts the characters that give running text its "shape".
    fn count_shape(&mut self, text: &str) {
        for c in text.chars() {
            let s = &mut self.shape;
            if c.is_uppercase() {
                s.upper += 1;
            } else if c.is_lowercase() {
                s.lower += 1;
            } else if c == '!' {
                s.bangs += 1;
            } else if c == '$' || c == '€' || c == '£' {
                s.money += 1;
            } else if c == '%' {
                s.percent += 1;
            }
        }
    }

    /// Bucketed shape tokens of the body: share of capitals, and how many
    /// exclamation marks, currency and percent signs.
    fn body_shape(&mut self) {
        let s = self.shape;
        let letters = s.upper + s.lower;
        let caps = if letters < 20 {
            "few"
        } else {
            match s.upper * 100 / letters {
                0..=4 => "0",
                5..=9 => "5",
                10..=19 => "10",
                20..=39 => "20",
                _ => "40",
            }
        };
        self.header_kv("caps", caps);
        let bucket = |n: usize| match n {
            0 => "0",
            1 => "1",
            2..=4 => "2",
            5..=15 => "5",
            _ => "16",
        };
        self.header_kv("bangs", bucket(s.bangs));
        self.header_kv("money", bucket(s.money));
        self.header_kv("percent", bucket(s.percent));
    }

    fn headers(&mut self, msg: &Message<'_>) {
        let f = &mut self.features;
        f.date_present = msg.header_raw("Date").is_some();
        f.date = msg
            .date()
            .filter(|d| d.is_valid())
            .map(mail_parser::DateTime::to_timestamp);
        f.first_received = msg
            .received()
            .and_then(mail_parser::Received::date)
            .filter(mail_parser::DateTime::is_valid)
            .map(|d| d.to_timestamp());
        let raw_mid = msg.header_raw("Message-ID");
        f.message_id_present = raw_mid.is_some();
        f.message_id_valid = raw_mid.is_some_and(valid_message_id);
        f.message_id_raw = raw_mid.map(|m| clip(m.trim(), 256).to_owned());
        f.mimeole = msg.header_raw("X-MimeOLE").is_some();
        f.date_raw = msg
            .header_raw("Date")
            .map(|d| clip(d.trim(), 128).to_owned());
        f.high_priority = msg
            .header_raw("X-Priority")
            .is_some_and(|p| matches!(p.trim().bytes().next(), Some(b'1' | b'2')))
            || msg
                .header_raw("X-MSMail-Priority")
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("high"));
        f.mailer = msg
            .header_raw("X-Mailer")
            .or_else(|| msg.header_raw("User-Agent"))
            .map(|m| clip(m.trim(), 256).to_owned());
        let from = msg.from().and_then(|a| a.first());
        f.from_present = msg.header_raw("From").is_some();
        f.from_name = from.and_then(|a| a.name()).map(str::to_owned);
        f.from_addr = from.and_then(|a| a.address()).map(str::to_ascii_lowercase);
        f.reply_to_addr = msg
            .reply_to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(str::to_ascii_lowercase);
        f.subject = msg.subject().map(str::to_owned);
        f.subject_raw = msg.header_raw("Subject").map(str::to_owned);
        // Each To/Cc header is one address list (or group list).
        f.recipients = msg
            .all_to()
            .chain(msg.all_cc())
            .map(|list| list.iter().count())
            .sum();
        f.recipient_addrs = msg
            .all_to()
            .chain(msg.all_cc())
            .flat_map(|list| list.iter())
            .filter_map(|a| a.address())
            .take(64)
            .map(str::to_ascii_lowercase)
            .collect();
        for name in [
            "List-Id",
            "List-Post",
            "Mailing-List",
            "X-BeenThere",
            "X-Mailing-List",
            "Sender",
        ] {
            if let Some(v) = msg.header_raw(name) {
                list_domains(clip(v, 512), &mut f.list_domains);
            }
        }

        if let Some(subject) = msg.subject() {
            let subject = clip(subject, 1024);
            self.words(subject, SEED_SUBJECT);
        }
        if let Some(dom) = self.features.from_addr.as_deref().and_then(domain_of) {
            let dom = dom.to_owned();
            self.header_kv("from_dom", &dom);
            if let Some(reg) = registrable(&dom) {
                let reg = reg.to_owned();
                self.header_kv("from_reg", &reg);
            }
        } else {
            self.header_token("from_dom:none");
        }
        if let Some(name) = self.features.from_name.clone() {
            self.name_words(&name, "from_name");
        }
        if let Some(dom) = self.features.reply_to_addr.as_deref().and_then(domain_of) {
            let dom = dom.to_owned();
            self.header_kv("rt_dom", &dom);
        }
        if let Some(mid) = msg.message_id() {
            let mid = clip(mid, 256);
            let (left, right) = mid.rsplit_once('@').unwrap_or((mid, ""));
            let shape = shape(left);
            self.header_kv("mid_shape", &shape);
            if let Some(reg) = registrable(&right.to_ascii_lowercase()) {
                let reg = reg.to_owned();
                self.header_kv("mid_reg", &reg);
            }
        }
        if let Some(local) = self
            .features
            .from_addr
            .as_deref()
            .and_then(|a| a.rsplit_once('@'))
            .map(|(l, _)| shape(clip(l, 128)))
        {
            self.header_kv("from_local_shape", &local);
        }
        if let Some(subject) = msg.subject() {
            let subject = clip(subject, 1024);
            self.name_words(subject, "subject_word");
        }
        for name in ["X-Mailer", "User-Agent"] {
            if let Some(v) = msg.header_raw(name) {
                let v = clip(v, 256).to_owned();
                self.name_words(&v, "mailer");
            }
        }
    }

    fn mime_tokens(&mut self, part: &MessagePart<'_>) {
        if let Some(ct) = part.content_type() {
            let mut t = String::with_capacity(48);
            t.push_str("ct:");
            t.push_str(&ct.ctype().to_ascii_lowercase());
            t.push('/');
            t.push_str(&ct.subtype().unwrap_or("").to_ascii_lowercase());
            self.header_token(&t);
            if let Some(cs) = ct.attribute("charset") {
                let cs = clip(cs, 40).to_ascii_lowercase();
                self.header_kv("charset", &cs);
            }
        }
        if let Some(b) = part.content_type().and_then(|ct| ct.attribute("boundary")) {
            let b = shape(clip(b, 64));
            self.header_kv("boundary", &b);
        }
        if let Some(cte) = part.content_transfer_encoding() {
            let cte = clip(cte, 40).to_ascii_lowercase();
            self.header_kv("cte", &cte);
        }
    }

    /// Counts lines over 76 characters in a quoted-printable text part's
    /// encoded body (a mail program wraps them with soft line breaks).
    fn qp_lines(&mut self, msg: &Message<'_>, part: &MessagePart<'_>) {
        let qp = part
            .content_transfer_encoding()
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("quoted-printable"));
        if !qp || !matches!(part.body, PartType::Text(_) | PartType::Html(_)) {
            return;
        }
        let (start, end) = (part.offset_body as usize, part.offset_end as usize);
        let Some(body) = msg.raw_message.get(start..end.min(start + MAX_PART_TEXT)) else {
            return;
        };
        self.features.qp_long_lines += body
            .split(|&b| b == b'\n')
            .filter(|l| l.strip_suffix(b"\r").unwrap_or(l).len() > 76)
            .count();
    }

    fn attachment(&mut self, part: &MessagePart<'_>) {
        let name = part
            .attachment_name()
            .map(|n| clip(n, 256).to_lowercase())
            .unwrap_or_default();
        let ctype = part
            .content_type()
            .map(|ct| {
                format!(
                    "{}/{}",
                    clip(ct.ctype(), 64),
                    clip(ct.subtype().unwrap_or(""), 64)
                )
                .to_ascii_lowercase()
            })
            .unwrap_or_default();
        if ctype.starts_with("image/") {
            self.features.images += 1;
        }
        if let Some((_, ext)) = name.rsplit_once('.') {
            let ext = clip(ext, 16).to_owned();
            self.header_kv("att_ext", &ext);
        }
        if self.features.attachments.len() < 64 {
            self.features.attachments.push((name, ctype));
        }
    }

    /// Records a token's name when naming ([`Analysis::explain`]).
    fn name(&mut self, h: u64, name: impl FnOnce() -> String) {
        if let Some(names) = self.names.as_mut() {
            names.entry(h).or_insert_with(name);
        }
    }

    fn header_token(&mut self, t: &str) {
        self.tokens.insert(hash_bytes(SEED_HEADER, t.as_bytes()));
        self.name(hash_bytes(SEED_HEADER, t.as_bytes()), || format!("H {t}"));
    }

    fn header_kv(&mut self, k: &str, v: &str) {
        let mut t = String::with_capacity(k.len() + v.len() + 1);
        t.push_str(k);
        t.push(':');
        t.push_str(v);
        self.header_token(&t);
    }

    /// Unigram tokens of a header's words, tagged with the header.
    fn name_words(&mut self, text: &str, tag: &str) {
        let seed = hash_bytes(SEED_NAME, tag.as_bytes());
        let mut word = String::new();
        for c in text.chars().chain(std::iter::once(' ')) {
            if c.is_alphabetic() {
                word.extend(c.to_lowercase());
            } else if !word.is_empty() {
                if word.len() <= MAX_WORD {
                    self.tokens.insert(hash_bytes(seed, word.as_bytes()));
                    self.name(hash_bytes(seed, word.as_bytes()), || {
                        format!("{tag}:{word}")
                    });
                }
                word.clear();
            }
        }
    }

    /// Adds one word's token and its OSB pairs with the words before it.
    /// `name` gives the word's name, asked for only when naming.
    fn emit(&mut self, osb: &mut Osb, h: u64, name: &dyn Fn() -> String) {
        self.words += 1;
        self.tokens.insert(h);
        let naming = self.names.is_some();
        let me = if naming { name() } else { String::new() };
        if naming {
            self.name(h, || me.clone());
        }
        for d in 0..osb.filled.min(WINDOW) {
            let slot = (osb.filled - 1 - d) % WINDOW;
            if let Some(prev) = osb.window.get(slot) {
                let t = combine(*prev, h, d as u64 + 1);
                self.tokens.insert(t);
                if naming {
                    let p = self.window_names.get(slot).cloned().unwrap_or_default();
                    let gap = " _".repeat(d);
                    self.name(t, || format!("{p}{gap} {me}"));
                }
            }
        }
        if let Some(slot) = osb.window.get_mut(osb.filled % WINDOW) {
            *slot = h;
        }
        if naming && let Some(slot) = self.window_names.get_mut(osb.filled % WINDOW) {
            *slot = me;
        }
        osb.filled += 1;
    }

    /// OSB tokens of running text. Scripts written without spaces
    /// (Chinese, Japanese, Thai, ...) are cut into overlapping character
    /// bigrams, each a word, so such text gives as many tokens as a
    /// spaced language instead of one "long word".
    fn words(&mut self, text: &str, seed: u64) {
        let mut osb = Osb::default();
        let mut word = String::with_capacity(32);
        let mut has_latin = false;
        let mut has_other = false;
        let mut prev_unspaced: Option<char> = None;
        let mut pair = [0u8; 8];
        for c in text.chars().chain(std::iter::once(' ')) {
            if is_invisible(c) {
                self.features.invisible_chars += 1;
                continue;
            }
            if let Some(script) = unspaced_script(c) {
                self.scripts[script as usize] += 1;
                if !word.is_empty() {
                    self.flush_word(&mut word, &mut osb, seed, has_latin && has_other);
                    has_latin = false;
                    has_other = false;
                }
                if self.words < MAX_WORDS {
                    match prev_unspaced {
                        Some(p) => {
                            let a = p.encode_utf8(&mut pair).len();
                            let (_, rest) = pair.split_at_mut(a);
                            let b = c.encode_utf8(rest).len();
                            let bytes = pair.get(..a + b).unwrap_or(&[]);
                            let h = hash_bytes(seed, bytes);
                            self.emit(&mut osb, h, &|| String::from_utf8_lossy(bytes).into_owned());
                        }
                        None => {
                            // The first character alone, so that a one
                            // character word still counts.
                            let h = hash_bytes(seed, c.encode_utf8(&mut pair).as_bytes());
                            self.emit(&mut osb, h, &|| c.to_string());
                        }
                    }
                }
                prev_unspaced = Some(c);
                continue;
            }
            prev_unspaced = None;
            if c.is_alphanumeric() || c == '$' || c == '\'' && !word.is_empty() {
                if c.is_ascii() {
                    word.push(c.to_ascii_lowercase());
                    if c.is_ascii_alphabetic() {
                        has_latin = true;
                    }
                } else {
                    word.extend(c.to_lowercase());
                    match c as u32 {
                        0x00C0..=0x024F => has_latin = true,
                        // Greek and Cyrillic.
                        0x0370..=0x04FF => {
                            has_other = true;
                            self.scripts[Script::Other as usize] += 1;
                        }
                        0xAC00..=0xD7AF => self.scripts[Script::Hangul as usize] += 1,
                        _ => {}
                    }
                }
                continue;
            }
            if word.is_empty() {
                continue;
            }
            self.flush_word(&mut word, &mut osb, seed, has_latin && has_other);
            has_latin = false;
            has_other = false;
        }
    }

    /// Ends the word being read: its token (numbers folded to their shape,
    /// very long words bucketed by length) goes into the OSB stream.
    fn flush_word(&mut self, word: &mut String, osb: &mut Osb, seed: u64, mixed: bool) {
        let w = word.trim_end_matches('\'');
        if mixed {
            self.features.mixed_script_words += 1;
        }
        let nchars = w.chars().count();
        if nchars < 2 || self.words >= MAX_WORDS {
            word.clear();
            return;
        }
        let (h, folded) = if nchars > MAX_WORD {
            let bucket = [b'L', b'0' + u8::try_from((nchars / 10).min(9)).unwrap_or(9)];
            (hash_bytes(seed, &bucket), None)
        } else if w.bytes().any(|b| b.is_ascii_digit()) {
            // Numbers vary from copy to copy (prices, phone numbers,
            // tracking codes); their shape is what repeats.
            let folded: String = w
                .chars()
                .map(|c| if c.is_ascii_digit() { '9' } else { c })
                .collect();
            (hash_bytes(seed, folded.as_bytes()), Some(folded))
        } else {
            (hash_bytes(seed, w.as_bytes()), None)
        };
        if nchars <= MAX_WORD && self.backoff.len() < MAX_BACKOFF {
            // Only words with digits or non-ASCII letters have a plainer
            // form (the common plain ASCII word costs nothing here).
            let plain = if folded.is_some() || !w.is_ascii() {
                plain_form(w)
            } else {
                None
            };
            if let Some(plain) = plain {
                self.backoff.push((h, hash_bytes(seed, plain.as_bytes())));
            } else if seed == SEED_SUBJECT {
                let body = hash_bytes(SEED_BODY, folded.as_deref().unwrap_or(w).as_bytes());
                self.backoff.push((h, body));
            }
        }
        if self.names.is_some() {
            let w = folded.as_deref().unwrap_or(w);
            let n = match (nchars > MAX_WORD, seed == SEED_SUBJECT) {
                (true, _) => format!("<long word {}0+>", nchars / 10),
                (false, true) => format!("S:{w}"),
                (false, false) => w.to_owned(),
            };
            word.clear();
            self.emit(osb, h, &|| n.clone());
        } else {
            word.clear();
            self.emit(osb, h, &String::new);
        }
    }

    /// Tokens of the words of a link's path and query (after the host):
    /// up to 12 words of 2+ characters; words with digits by their shape.
    fn url_path(&mut self, rest: &str) {
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>'))
            .unwrap_or(rest.len());
        let path = clip(rest.get(..end).unwrap_or(""), 200);
        for w in path
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() >= 2)
            .take(12)
        {
            let w = if w.chars().any(|c| c.is_ascii_digit()) {
                shape(w)
            } else {
                w.to_lowercase()
            };
            self.header_kv("urlpath", &w);
        }
    }

    fn find_urls(&mut self, text: &str) {
        if self.hosts.len() >= 256 {
            return;
        }
        let mut rest = text;
        loop {
            let http = find_ascii_ci(rest, "http");
            let www = find_ascii_ci(rest, "www.");
            let (pos, skip) = match (http, www) {
                (Some(h), Some(w)) if w < h => (w, 0),
                (Some(h), _) => (h, 4),
                (None, Some(w)) => (w, 0),
                (None, None) => return,
            };
            let after = rest.get(pos + skip..).unwrap_or("");
            let host_start = if skip == 4 {
                let a = after.strip_prefix(['s', 'S']).unwrap_or(after);
                match a.strip_prefix("://") {
                    Some(h) => h,
                    None => {
                        rest = after;
                        continue;
                    }
                }
            } else {
                after
            };
            let end = host_start
                .find(|c: char| {
                    !(c.is_alphanumeric() || c == '.' || c == '-' || c == '@' || c == '_')
                })
                .unwrap_or(host_start.len());
            let raw = host_start.get(..end).unwrap_or("");
            let host = raw.rsplit('@').next().unwrap_or("").trim_matches('.');
            if host.contains('.') && host.len() <= 253 {
                let host = host.to_lowercase();
                if host
                    .split('.')
                    .all(|l| l.chars().all(|c| c.is_ascii_digit()))
                {
                    self.features.ip_urls += 1;
                }
                if self.hosts.len() < 256 {
                    self.hosts.insert(host);
                }
            }
            rest = host_start.get(end..).unwrap_or("");
            self.url_path(rest);
            if rest.is_empty() {
                return;
            }
        }
    }
}

/// The plainer form of a word for the token back-off: digits that stand
/// for letters restored (`v1agra` → `viagra`, `fr33` → `free`) in a word
/// that has letters, or Latin accents removed (`café` → `cafe`); `None`
/// when the word is already plain.
fn plain_form(w: &str) -> Option<String> {
    let letters = w.chars().filter(|c| c.is_alphabetic()).count();
    let digits = w.bytes().filter(u8::is_ascii_digit).count();
    if letters >= 2 && digits > 0 && digits <= 3 {
        let mut out = String::with_capacity(w.len());
        for c in w.chars() {
            out.push(match c {
                '0' => 'o',
                '1' => 'i',
                '3' => 'e',
                '4' => 'a',
                '5' => 's',
                '7' => 't',
                '@' => 'a',
                c if c.is_ascii_digit() => return None,
                c => c,
            });
        }
        return Some(out);
    }
    if w.is_ascii() {
        return None;
    }
    let mut changed = false;
    let out: String = w
        .chars()
        .map(|c| {
            let plain = match c {
                'à'..='å' => 'a',
                'ç' => 'c',
                'è'..='ë' => 'e',
                'ì'..='ï' => 'i',
                'ñ' => 'n',
                'ò'..='ö' | 'ø' => 'o',
                'ù'..='ü' => 'u',
                'ý' | 'ÿ' => 'y',
                c => c,
            };
            changed |= plain != c;
            plain
        })
        .collect();
    changed.then_some(out)
}

/// The shape of an identifier: runs of digits, lower-case and upper-case
/// letters collapsed to `9`, `a`, `A`; other characters kept. It tells one
/// mail program's Message-IDs and boundaries from another's.
fn shape(s: &str) -> String {
    let mut out = String::with_capacity(16);
    for c in s.chars() {
        let k = if c.is_ascii_digit() {
            '9'
        } else if c.is_ascii_lowercase() {
            'a'
        } else if c.is_ascii_uppercase() {
            'A'
        } else if c.is_alphanumeric() {
            'u'
        } else {
            c
        };
        if !out.ends_with(k) {
            out.push(k);
        }
        if out.len() >= 24 {
            break;
        }
    }
    out
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' | '\u{034F}'
    )
}

/// The longest prefix of `s` of at most `max` bytes ending on a char boundary.
pub(crate) fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

/// The domain part of an address.
/// Adds the registrable domains named in a list header's value: those of
/// its addresses (`list@lists.example.org`, `<mailto:list@...>`) and of a
/// List-Id's `<name.lists.example.org>`.
fn list_domains(value: &str, out: &mut Vec<String>) {
    let hostish = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
    for word in value.split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';' | '"'))
    {
        let host = match word.rsplit_once('@') {
            Some((_, d)) => d,
            None if word.contains('.') && !word.contains(':') => word,
            None => continue,
        };
        let host: String = host
            .chars()
            .take_while(|&c| hostish(c))
            .collect::<String>()
            .trim_matches('.')
            .to_ascii_lowercase();
        if let Some(reg) = registrable(&host)
            && out.len() < 16
            && !out.iter().any(|d| d == reg)
        {
            out.push(reg.to_owned());
        }
    }
}

pub(crate) fn domain_of(addr: &str) -> Option<&str> {
    let (_, d) = addr.rsplit_once('@')?;
    let d = d.trim().trim_end_matches('.').trim_end_matches('>');
    (!d.is_empty()).then_some(d)
}

/// An approximation of the registrable domain: the last two labels, or
/// three when the second-level label is a common public suffix ("co.uk").
pub(crate) fn registrable(host: &str) -> Option<&str> {
    let labels: Vec<&str> = host.rsplitn(4, '.').collect();
    let take = match labels.as_slice() {
        [_tld, sld, _, ..]
            if matches!(
                *sld,
                "co" | "com" | "net" | "org" | "ac" | "gov" | "edu" | "ne" | "or"
            ) =>
        {
            3
        }
        [_, _, ..] => 2,
        _ => return None,
    };
    let mut idx = host.len();
    for _ in 0..take {
        idx = host.get(..idx)?.rfind('.').unwrap_or(0);
    }
    let start = if idx == 0 && !host.starts_with('.') {
        0
    } else {
        idx + 1
    };
    host.get(start..)
}

fn valid_message_id(raw: &str) -> bool {
    let id = raw.trim();
    let Some(inner) = id.strip_prefix('<').and_then(|s| s.strip_suffix('>')) else {
        return false;
    };
    let Some((left, right)) = inner.rsplit_once('@') else {
        return false;
    };
    !left.is_empty()
        && !right.is_empty()
        && !inner
            .chars()
            .any(|c| c.is_whitespace() || c == '<' || c == '>')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Message<'_> {
        mail_parser::MessageParser::default()
            .parse(raw.as_bytes())
            .unwrap()
    }

    fn replyto_mismatch(raw: &str) -> bool {
        let a = Analysis::of(&parse(raw));
        crate::rules::evaluate(
            &a.features,
            &crate::Evidence::default(),
            &crate::Config::default().rules,
        )
        .iter()
        .any(|(n, _)| *n == "REPLYTO_DOMAIN_MISMATCH")
    }

    #[test]
    fn replyto_to_a_list_is_not_a_mismatch() {
        let plain = "From: a@shop.example.org\r\nReply-To: b@elsewhere.example.net\r\nTo: u@example.com\r\nSubject: x\r\n\r\nbody\r\n";
        assert!(replyto_mismatch(plain));
        // The list's own address (List-Post), its List-Id domain, or a recipient.
        assert!(!replyto_mismatch(
            "From: a@shop.example.org\r\nReply-To: list@lists.example.net\r\nList-Post: <mailto:list@lists.example.net>\r\nSubject: x\r\n\r\nbody\r\n"
        ));
        assert!(!replyto_mismatch(
            "From: a@shop.example.org\r\nReply-To: list@example.net\r\nList-Id: Talk <talk.lists.example.net>\r\nSubject: x\r\n\r\nbody\r\n"
        ));
        assert!(!replyto_mismatch(
            "From: a@shop.example.org\r\nReply-To: group@example.net\r\nTo: group@example.net\r\nSubject: x\r\n\r\nbody\r\n"
        ));
        // A list header naming another domain does not exempt it.
        assert!(replyto_mismatch(
            "From: a@shop.example.org\r\nReply-To: b@elsewhere.example.net\r\nList-Id: <talk.lists.example.com>\r\nSubject: x\r\n\r\nbody\r\n"
        ));
    }

    #[test]
    fn osb_tokens_and_features() {
        let m = parse(
            "From: \"Pay Pal\" <a@evil.example.co.uk>\r\nSubject: Hello there\r\nMessage-ID: <x@y>\r\n\r\nCheap pills at http://pills.example.com/buy now\r\n",
        );
        let a = Analysis::of(&m);
        assert!(a.features.message_id_valid);
        assert!(!a.features.date_present);
        assert_eq!(a.url_hosts(), ["pills.example.com"]);
        // words: cheap pills at http pills example com buy now -> unigrams + pairs
        assert!(a.tokens().len() > 20);
        let b = Analysis::of(&parse(
            "From: \"Pay Pal\" <a@evil.example.co.uk>\r\nSubject: Hello there\r\nMessage-ID: <x@y>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\nCheap pills at http://pills.example.com/buy now\r\n",
        ));
        assert_eq!(a.digest(), b.digest(), "same content, same digest");
        let c = Analysis::of(&parse("Subject: other\r\n\r\nsomething else entirely\r\n"));
        assert_ne!(a.digest(), c.digest());
    }

    #[test]
    fn numbers_fold_and_links_and_shape_add_tokens() {
        let a = Analysis::of(&parse("Subject: x\r\n\r\nCall 555-1234 for $99 now\r\n"));
        let b = Analysis::of(&parse("Subject: x\r\n\r\nCall 321-9876 for $10 now\r\n"));
        assert_eq!(a.tokens(), b.tokens(), "numbers of the same shape fold");
        let c = Analysis::of(&parse("Subject: x\r\n\r\nCall 5551-234 for $99 now\r\n"));
        assert_ne!(a.tokens(), c.tokens());
        let plain = Analysis::of(&parse("Subject: x\r\n\r\nsee http://h.example/\r\n"));
        let path = Analysis::of(&parse(
            "Subject: x\r\n\r\nsee http://h.example/buy/pills?id=42\r\n",
        ));
        assert!(path.tokens().len() >= plain.tokens().len() + 3);
        let loud = Analysis::of(&parse(
            "Subject: x\r\n\r\nBUY NOW!!! FREE MONEY FOR EVERYONE TODAY $$$ 100%!!\r\n",
        ));
        let quiet = Analysis::of(&parse("Subject: x\r\n\r\nbuy now free money\r\n"));
        let caps = hash_bytes(SEED_HEADER, b"caps:40");
        assert!(loud.tokens().contains(&caps));
        assert!(!quiet.tokens().contains(&caps));
        let html = Analysis::of(&parse(
            "Subject: x\r\nContent-Type: text/html\r\n\r\n<table><tr><td><font color=red>Hi</font></td></tr></table>\r\n",
        ));
        assert!(
            html.tokens()
                .contains(&hash_bytes(SEED_HEADER, b"tag:font"))
        );
    }

    #[test]
    fn unspaced_scripts_are_cut_into_bigrams() {
        let zh = Analysis::of(&parse(
            "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\u{6211}\u{4eec}\u{63d0}\u{4f9b}\u{6700}\u{597d}\u{7684}\u{670d}\u{52a1}\u{548c}\u{4ea7}\u{54c1}\r\n",
        ));
        // 11 characters: the first alone + 10 bigrams, with their OSB
        // pairs, instead of one "long word" token.
        assert!(zh.tokens().len() > 30, "{}", zh.tokens().len());
        assert!(
            zh.tokens()
                .contains(&hash_bytes(SEED_HEADER, b"script:han"))
        );
        let bigram = hash_bytes(SEED_BODY, "\u{670d}\u{52a1}".as_bytes());
        assert!(zh.tokens().contains(&bigram));
        // The same phrase inside other text shares the bigram.
        let other = Analysis::of(&parse(
            "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello \u{670d}\u{52a1} world\r\n",
        ));
        assert!(other.tokens().contains(&bigram));
        assert!(
            !other
                .tokens()
                .contains(&hash_bytes(SEED_HEADER, b"script:han"))
        );
        let th = Analysis::of(&parse(
            "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\u{0e2a}\u{0e27}\u{0e31}\u{0e2a}\u{0e14}\u{0e35}\u{0e04}\u{0e23}\u{0e31}\u{0e1a}\u{0e1c}\u{0e21}\r\n",
        ));
        assert!(
            th.tokens()
                .contains(&hash_bytes(SEED_HEADER, b"script:thai"))
        );
    }

    #[test]
    fn explain_names_the_same_tokens() {
        let raw = "From: Shop <news@shop.example.org>\r\nSubject: Cheap pills\r\n\r\nBuy cheap pills now at http://pills.example.com/buy\r\n";
        let plain = Analysis::of(&parse(raw));
        let (a, names) = Analysis::explain(&parse(raw));
        assert_eq!(a.tokens(), plain.tokens());
        assert_eq!(a.digest(), plain.digest());
        assert!(a.tokens().iter().all(|t| names.contains_key(t)));
        let named: HashSet<&str> = names.values().map(String::as_str).collect();
        for n in [
            "cheap",
            "buy _ pills",
            "S:cheap S:pills",
            "H from_dom:shop.example.org",
            "subject_word:pills",
            "host:pills.example.com",
        ] {
            assert!(named.contains(n), "{n} not in {named:?}");
        }
        assert_eq!(plain.shape_facts()[1], 1, "one link host");
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(registrable("a.b.example.co.uk"), Some("example.co.uk"));
        assert_eq!(registrable("www.example.com"), Some("example.com"));
        assert_eq!(registrable("example.com"), Some("example.com"));
        assert_eq!(registrable("localhost"), None);
    }

    #[test]
    fn zero_width_is_skipped_and_counted() {
        let m = parse(
            "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nV\u{200b}iagra\r\n",
        );
        let a = Analysis::of(&m);
        assert_eq!(a.features.invisible_chars, 1);
        let plain = Analysis::of(&parse(
            "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nViagra\r\n",
        ));
        assert_eq!(a.tokens(), plain.tokens());
    }

    #[test]
    fn plain_forms_for_the_backoff() {
        assert_eq!(plain_form("v1agra").as_deref(), Some("viagra"));
        assert_eq!(plain_form("fr33").as_deref(), Some("free"));
        assert_eq!(plain_form("café").as_deref(), Some("cafe"));
        assert_eq!(plain_form("word"), None);
        assert_eq!(plain_form("win2k"), None, "2 stands for no letter");
        assert_eq!(plain_form("1999"), None, "a number is not a word");
    }

    #[test]
    fn message_ids() {
        assert!(valid_message_id(" <abc@example.org>"));
        assert!(!valid_message_id("abc@example.org"));
        assert!(!valid_message_id("<abc>"));
        assert!(!valid_message_id("<a b@c>"));
    }
}
