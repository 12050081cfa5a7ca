//! Finding links: bare URLs in text, links in HTML, URLs nested in redirectors.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use lol_html::html_content::{Element, TextChunk, TextType};
use lol_html::{ElementContentHandlers, HtmlRewriter, Settings, doc_text};

/// Where a link was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LinkSource {
    /// A bare URL or `www.` form in a text part.
    Text,
    /// `<a href>` in HTML.
    Anchor,
    /// `<area href>` in an image map.
    Area,
    /// `<form action>`.
    Form,
    /// `<img src>` (and `background` attributes).
    Image,
    /// `<iframe src>` / `<frame src>`.
    Frame,
    /// `<meta http-equiv="refresh" content="0; url=...">`.
    MetaRefresh,
    /// `<base href>`.
    Base,
    /// A CSS `url(...)` in a style element or attribute.
    Css,
    /// The Subject header.
    Subject,
    /// A URL nested in another URL's query or path (a redirector's target).
    Nested,
}

impl LinkSource {
    /// A short lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkSource::Text => "text",
            LinkSource::Anchor => "anchor",
            LinkSource::Area => "area",
            LinkSource::Form => "form",
            LinkSource::Image => "image",
            LinkSource::Frame => "frame",
            LinkSource::MetaRefresh => "meta_refresh",
            LinkSource::Base => "base",
            LinkSource::Css => "css",
            LinkSource::Subject => "subject",
            LinkSource::Nested => "nested",
        }
    }

    /// Whether a reader follows this link by clicking (as opposed to a
    /// resource the client loads, such as an image).
    pub fn is_clickable(self) -> bool {
        matches!(
            self,
            LinkSource::Text
                | LinkSource::Anchor
                | LinkSource::Area
                | LinkSource::Form
                | LinkSource::MetaRefresh
                | LinkSource::Frame
                | LinkSource::Subject
                | LinkSource::Nested
        )
    }
}

/// A link as found, before it is judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLink {
    /// The target as written (entities decoded).
    pub target: String,
    /// The visible text of the anchor, if any.
    pub shown: Option<String>,
    /// Where it was found.
    pub source: LinkSource,
}

/// What an HTML part holds besides its links.
#[derive(Debug, Clone, Default)]
pub struct HtmlFacts {
    /// Visible text (script and style removed), entities decoded.
    pub text: String,
    /// Number of `<form>` elements.
    pub forms: usize,
    /// Number of `<input type=password>` fields.
    pub password_fields: usize,
}

/// Most links taken from one part (a hostile message may hold millions).
pub const MAX_LINKS_PER_PART: usize = 1000;
/// Most characters of visible text kept per anchor.
const MAX_SHOWN: usize = 512;
/// Most characters of visible text kept per HTML part.
const MAX_TEXT: usize = 64 * 1024;

/// Bare URLs (`http://`, `https://`, `ftp://`, `www.`) in plain text.
pub fn links_in_text(text: &str, source: LinkSource, out: &mut Vec<RawLink>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut found = 0;
    while i < bytes.len() && found < MAX_LINKS_PER_PART {
        let b = bytes.get(i).copied().unwrap_or(0) | 0x20;
        let start = match b {
            b'h' if prefix_ci(bytes, i, b"http://") || prefix_ci(bytes, i, b"https://") => Some(i),
            b'f' if prefix_ci(bytes, i, b"ftp://") => Some(i),
            b'w' if prefix_ci(bytes, i, b"www.")
                && (i == 0
                    || bytes.get(i - 1).is_some_and(|p| {
                        !p.is_ascii_alphanumeric() && *p != b'.' && *p != b'/'
                    })) =>
            {
                Some(i)
            }
            _ => None,
        };
        let Some(start) = start else {
            i += 1;
            continue;
        };
        let mut end = start;
        while let Some(&c) = bytes.get(end) {
            if c.is_ascii_whitespace()
                || matches!(c, b'<' | b'>' | b'"' | b'`' | b'{' | b'}' | b'|' | b'^')
                || c < 0x20
            {
                break;
            }
            end += 1;
        }
        let mut url = text.get(start..end).unwrap_or_default();
        // Trailing punctuation belongs to the sentence, and so does an unbalanced ')'.
        loop {
            let trimmed = url.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', ']', '*']);
            let trimmed = if trimmed.ends_with(')')
                && trimmed.matches('(').count() < trimmed.matches(')').count()
            {
                &trimmed[..trimmed.len() - 1]
            } else {
                trimmed
            };
            if trimmed.len() == url.len() {
                break;
            }
            url = trimmed;
        }
        if url.len() > 4 && url.contains('.') {
            out.push(RawLink {
                target: url.to_owned(),
                shown: None,
                source,
            });
            found += 1;
        }
        i = end.max(i + 1);
    }
}

fn prefix_ci(bytes: &[u8], at: usize, prefix: &[u8]) -> bool {
    bytes
        .get(at..at + prefix.len())
        .is_some_and(|s| s.eq_ignore_ascii_case(prefix))
}

#[derive(Default)]
struct HtmlState {
    links: Vec<RawLink>,
    facts: HtmlFacts,
    /// The visible text so far, white space collapsed as it is added.
    text: Collapsed,
    /// Bytes of visible text added before collapsing (the [`MAX_TEXT`] budget).
    raw_text_len: usize,
    base: Option<url::Url>,
    /// Entity-decoding buffer reused across text chunks.
    scratch: String,
}

impl HtmlState {
    fn push(&mut self, target: &str, source: LinkSource) -> Option<usize> {
        if self.links.len() >= MAX_LINKS_PER_PART {
            return None;
        }
        let decoded = decode_entities(target.trim());
        if decoded.is_empty() || decoded.starts_with('#') {
            return None;
        }
        let target = match &self.base {
            Some(base) if !has_scheme(&decoded) && !starts_with_ci(&decoded, "www.") => {
                match base.join(&decoded) {
                    Ok(u) => u.to_string(),
                    Err(_) => decoded,
                }
            }
            _ => decoded,
        };
        self.links.push(RawLink {
            target,
            shown: None,
            source,
        });
        Some(self.links.len() - 1)
    }

    fn css(&mut self, css: &str) {
        let mut from = 0;
        while let Some(pos) = css.get(from..).and_then(|s| find_ci(s, "url(")) {
            let start = from + pos + 4;
            let Some(rest) = css.get(start..) else { break };
            let Some(close) = rest.find(')') else { break };
            let inner = rest
                .get(..close)
                .unwrap_or_default()
                .trim()
                .trim_matches(['"', '\'']);
            if has_scheme(inner) || starts_with_ci(inner, "www.") || self.base.is_some() {
                self.push(inner, LinkSource::Css);
            }
            from = start + close;
        }
    }

    /// One element's start tag (every element goes through here once).
    fn element(
        &mut self,
        el: &mut Element<'_, '_>,
        html: &str,
        open_anchor: &Rc<Cell<Option<usize>>>,
    ) {
        let tag = TagName::of(el, html);
        let attrs = Attrs::of(el, html);
        // The order of the steps is the order links are reported in.
        if tag.is("a") {
            let idx = attrs
                .get("href")
                .and_then(|h| self.push(&h, LinkSource::Anchor));
            open_anchor.set(idx);
            if idx.is_some() && el.can_have_content() {
                let open = Rc::clone(open_anchor);
                // An anchor that never closes is closed by the next one.
                let _ = el.on_end_tag(lol_html::end_tag!(move |_end| {
                    open.set(None);
                    Ok(())
                }));
            }
        }
        if tag.is("area")
            && let Some(h) = attrs.get("href")
        {
            let idx = self.push(&h, LinkSource::Area);
            if let (Some(i), Some(alt)) = (idx, attrs.get("alt"))
                && let Some(l) = self.links.get_mut(i)
            {
                l.shown = Some(decode_entities(&alt));
            }
        }
        if tag.is("form") {
            self.facts.forms += 1;
            if let Some(h) = attrs.get("action") {
                self.push(&h, LinkSource::Form);
            }
        }
        if tag.is("img") || attrs.has("background") {
            for attr in ["src", "background"] {
                if let Some(h) = attrs.get(attr)
                    && !starts_with_ci(h.trim_start(), "cid:")
                {
                    self.push(&h, LinkSource::Image);
                }
            }
        }
        if (tag.is("iframe") || tag.is("frame"))
            && let Some(h) = attrs.get("src")
        {
            self.push(&h, LinkSource::Frame);
        }
        if tag.is("meta")
            && let Some(equiv) = attrs.get("http-equiv")
            && equiv.trim().eq_ignore_ascii_case("refresh")
            && let Some(content) = attrs.get("content")
        {
            let content = decode_entities(&content);
            if let Some(pos) = find_ci(&content, "url") {
                let rest = content.get(pos + 3..).unwrap_or_default().trim_start();
                let rest = rest
                    .strip_prefix('=')
                    .unwrap_or(rest)
                    .trim()
                    .trim_matches(['"', '\'']);
                self.push(rest, LinkSource::MetaRefresh);
            }
        }
        if tag.is("base")
            && let Some(h) = attrs.get("href")
        {
            let decoded = decode_entities(h.trim());
            self.base = url::Url::parse(&decoded)
                .ok()
                .filter(|u| !u.cannot_be_a_base());
            self.push(&decoded, LinkSource::Base);
        }
        if let Some(css) = attrs.get("style")
            && css.len() > 4
            && find_ci(&css, "url(").is_some()
        {
            self.css(&decode_entities(&css));
        }
        if tag.is("input")
            && attrs
                .get("type")
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("password"))
        {
            self.facts.password_fields += 1;
        }
    }

    /// A chunk of text content.
    fn text(&mut self, t: &TextChunk<'_>, open_anchor: Option<usize>) {
        match t.text_type() {
            TextType::Data | TextType::RCData | TextType::CDataSection | TextType::PlainText => {
                let chunk = t.as_str();
                if chunk.is_empty() {
                    return;
                }
                let mut scratch = std::mem::take(&mut self.scratch);
                let decoded = if chunk.contains('&') {
                    scratch.clear();
                    decode_entities_into(chunk, &mut scratch);
                    scratch.as_str()
                } else {
                    chunk
                };
                if let Some(i) = open_anchor
                    && let Some(l) = self.links.get_mut(i)
                {
                    let shown = l.shown.get_or_insert_with(String::new);
                    if shown.len() < MAX_SHOWN {
                        shown.push_str(decoded);
                    }
                }
                if self.raw_text_len < MAX_TEXT {
                    self.raw_text_len += decoded.len();
                    self.text.push(decoded);
                }
                self.scratch = scratch;
            }
            TextType::RawText => {
                // <style>: CSS may hold url(...). (Chunks may split a url(); rare and harmless.)
                let chunk = t.as_str();
                if find_ci(chunk, "url(").is_some() {
                    self.css(chunk);
                }
            }
            _ => {}
        }
    }
}

/// A start tag's name, borrowed from the document when possible.
struct TagName<'a>(std::borrow::Cow<'a, str>);

impl<'a> TagName<'a> {
    /// The name as the tokenizer reads it: after `<`, up to white space, `/` or `>`.
    fn of(el: &Element<'_, '_>, html: &'a str) -> Self {
        let raw = html
            .get(el.source_location().bytes())
            .and_then(|t| t.strip_prefix('<'))
            .map(|t| {
                let end = t
                    .find([' ', '\n', '\r', '\t', '\x0C', '/', '>'])
                    .unwrap_or(t.len());
                t.get(..end).unwrap_or_default()
            })
            .filter(|n| !n.is_empty());
        TagName(match raw {
            Some(n) => n.into(),
            None => el.tag_name().into(),
        })
    }

    fn is(&self, name: &str) -> bool {
        self.0.eq_ignore_ascii_case(name)
    }
}

/// A start tag's attributes, values borrowed from the document when possible.
struct Attrs<'a> {
    /// (name, value) in document order.
    list: Vec<(std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
}

impl<'a> Attrs<'a> {
    fn of(el: &Element<'_, '_>, html: &'a str) -> Self {
        let list = el
            .attributes()
            .iter()
            .map(|a| {
                let name = match a.name_source_location().and_then(|l| html.get(l.bytes())) {
                    Some(n) => n.into(),
                    None => a.name().into(),
                };
                let value = match a.value_source_location().and_then(|l| html.get(l.bytes())) {
                    Some(v) => v.into(),
                    None => a.value().into(),
                };
                (name, value)
            })
            .collect();
        Attrs { list }
    }

    /// The first attribute called `name` (ASCII case-insensitive).
    fn get(&self, name: &str) -> Option<std::borrow::Cow<'a, str>> {
        self.list
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    fn has(&self, name: &str) -> bool {
        self.list.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    }
}

fn has_scheme(s: &str) -> bool {
    match s.find(':') {
        Some(i) if i > 0 => s.get(..i).is_some_and(|p| {
            p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }),
        _ => false,
    }
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.as_bytes()
        .get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// Byte offset of the first ASCII case-insensitive occurrence of the
/// (ASCII, non-empty) `needle` in `hay`.
fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    let first = *n.first()?;
    let (lo, up) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let h = hay.as_bytes();
    let mut from = 0;
    while let Some(i) = h
        .get(from..)
        .and_then(|rest| rest.iter().position(|&b| b == lo || b == up))
    {
        let at = from + i;
        if h.get(at..at + n.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(n))
        {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Links, anchor texts and facts of an HTML document.
///
/// Uses `lol_html`'s streaming tokenizer, in non-strict mode so that
/// malformed markup never stops the scan. One element handler sees every
/// start tag (reading attributes in place, without copying them) and one
/// text handler every text chunk.
pub fn links_in_html(html: &str, out: &mut Vec<RawLink>) -> HtmlFacts {
    let state = RefCell::new(HtmlState::default());
    let open_anchor: Rc<Cell<Option<usize>>> = Rc::new(Cell::new(None));
    let open_for_text = Rc::clone(&open_anchor);
    let selector: std::borrow::Cow<'_, lol_html::Selector> = match &*ANY_ELEMENT {
        Some(sel) => std::borrow::Cow::Borrowed(sel),
        None => return HtmlFacts::default(),
    };
    let settings = Settings::new()
        .with_strict(false)
        .append_element_content_handler((
            selector,
            ElementContentHandlers::default().element(
                |el: &mut Element<'_, '_>| -> lol_html::HandlerResult {
                    state.borrow_mut().element(el, html, &open_anchor);
                    Ok(())
                },
            ),
        ))
        .append_document_content_handler(doc_text!(|t: &mut TextChunk<'_>| {
            state.borrow_mut().text(t, open_for_text.get());
            Ok(())
        }));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    // Errors only come from handlers (none fail) or memory limits; what was found stays.
    let _ = rewriter.write(html.as_bytes());
    let _ = rewriter.end();
    let HtmlState {
        links,
        mut facts,
        text,
        ..
    } = state.into_inner();
    for mut l in links {
        if let Some(shown) = l.shown.take() {
            let collapsed = collapse_ws(&shown);
            if !collapsed.is_empty() {
                l.shown = Some(collapsed);
            }
        }
        out.push(l);
    }
    facts.text = text.out;
    facts
}

/// The `*` selector, parsed once.
static ANY_ELEMENT: std::sync::LazyLock<Option<lol_html::Selector>> =
    std::sync::LazyLock::new(|| "*".parse().ok());

/// Text with runs of white space collapsed to one space and trimmed, built
/// piece by piece: the result equals [`collapse_ws`] of the concatenation.
#[derive(Default)]
struct Collapsed {
    out: String,
    /// White space seen since the last word (written before the next one).
    pending: bool,
}

impl Collapsed {
    fn push(&mut self, s: &str) {
        let bytes = s.as_bytes();
        let mut i = 0;
        // Start of the word being scanned, if any.
        let mut word: Option<usize> = None;
        while let Some(&b) = bytes.get(i) {
            let (space, len) = space_at(s, i, b);
            if space {
                if let Some(start) = word.take() {
                    self.word(s.get(start..i).unwrap_or_default());
                }
                self.pending = true;
            } else if word.is_none() {
                word = Some(i);
            }
            i += len;
        }
        if let Some(start) = word {
            self.word(s.get(start..).unwrap_or_default());
        }
    }

    /// A run of non-space text (a word, or its part up to the chunk's end).
    fn word(&mut self, w: &str) {
        if self.pending && !self.out.is_empty() {
            self.out.push(' ');
        }
        self.pending = false;
        self.out.push_str(w);
    }
}

/// Whether the character starting at byte `i` of `s` (whose first byte is
/// `b`) is white space by `char::is_whitespace`, and its length in bytes;
/// ASCII bytes are judged without decoding.
pub(crate) fn space_at(s: &str, i: usize, b: u8) -> (bool, usize) {
    if b.is_ascii() {
        // `char::is_whitespace` on ASCII: tab, LF, VT, FF, CR, space.
        (matches!(b, b'\t'..=b'\r' | b' '), 1)
    } else {
        match s.get(i..).and_then(|r| r.chars().next()) {
            Some(c) => (c.is_whitespace(), c.len_utf8()),
            None => (false, 1),
        }
    }
}

/// Collapse runs of white space to one space and trim.
pub(crate) fn collapse_ws(s: &str) -> String {
    let mut c = Collapsed {
        out: String::with_capacity(s.len()),
        pending: false,
    };
    c.push(s);
    c.out
}

/// Decode HTML character references: numeric ones and the named ones that
/// matter in links and text. Unknown names are left as written.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    decode_entities_into(s, &mut out);
    out
}

/// [`decode_entities`], appending to `out`.
pub(crate) fn decode_entities_into(s: &str, out: &mut String) {
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(rest.get(..pos).unwrap_or_default());
        let after = rest.get(pos + 1..).unwrap_or_default();
        let end = after
            .char_indices()
            .take(12)
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '#'))
            .map(|(i, _)| i)
            .unwrap_or_else(|| after.len().min(12));
        let name = after.get(..end).unwrap_or_default();
        let has_semi = after.get(end..).is_some_and(|r| r.starts_with(';'));
        let decoded = if let Some(num) = name.strip_prefix('#') {
            let v = if let Some(hex) = num.strip_prefix(['x', 'X']) {
                u32::from_str_radix(hex, 16).ok()
            } else {
                num.parse::<u32>().ok()
            };
            v.map(|v| char::from_u32(v).unwrap_or('\u{FFFD}'))
        } else {
            match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{A0}'),
                "shy" => Some('\u{AD}'),
                "zwj" => Some('\u{200D}'),
                "zwnj" => Some('\u{200C}'),
                "lrm" => Some('\u{200E}'),
                "rlm" => Some('\u{200F}'),
                "copy" => Some('©'),
                "reg" => Some('®'),
                "trade" => Some('™'),
                "hellip" => Some('…'),
                "mdash" => Some('—'),
                "ndash" => Some('–'),
                "rsquo" => Some('’'),
                "lsquo" => Some('‘'),
                "ldquo" => Some('“'),
                "rdquo" => Some('”'),
                "bull" => Some('•'),
                "middot" => Some('·'),
                "sol" => Some('/'),
                "colon" => Some(':'),
                "period" => Some('.'),
                "commat" => Some('@'),
                "quest" => Some('?'),
                "equals" => Some('='),
                _ => None,
            }
        };
        match decoded {
            Some(c) if !name.is_empty() => {
                out.push(c);
                let skip = 1 + name.len() + usize::from(has_semi);
                rest = rest.get(pos + skip..).unwrap_or_default();
            }
            _ => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

/// Most levels of nesting followed (`a?u=b?u=c...`).
pub const MAX_NESTING: usize = 3;

/// URLs carried inside a URL's query values or path (what a redirector
/// forwards to), decoded one level.
pub fn nested_urls(url: &url::Url) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(q) = url.query()
        && q.len() <= crate::normalize::MAX_URL_LEN
    {
        for (_, v) in url::form_urlencoded::parse(q.as_bytes()) {
            let v = v.trim();
            if starts_with_ci(v, "http://")
                || starts_with_ci(v, "https://")
                || starts_with_ci(v, "www.")
            {
                found.push(v.to_owned());
            } else if starts_with_ci(v, "http%3a") || starts_with_ci(v, "https%3a") {
                let once: String = url::form_urlencoded::parse(format!("x={v}").as_bytes())
                    .next()
                    .map(|(_, d)| d.into_owned())
                    .unwrap_or_default();
                found.push(once);
            }
            if found.len() >= 4 {
                break;
            }
        }
    }
    // A target spliced into the path: https://r.example/?/https://evil/ or /redirect/https://evil
    let path = url.path();
    // Every marker starts with `/http`: one search rules most paths out.
    if !path.contains("/http") {
        return found;
    }
    for marker in ["/http://", "/https://", "/http:/", "/https:/"] {
        if let Some(pos) = path.find(marker) {
            let mut inner = path.get(pos + 1..).unwrap_or_default().to_owned();
            if let Some(q) = url.query() {
                inner.push('?');
                inner.push_str(q);
            }
            found.push(inner);
            break;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_urls() {
        let mut out = Vec::new();
        links_in_text(
            "See http://a.example.com/x, (www.b.example.org/y) and <https://c.example.net/p?q=(1)>. Not awww.x",
            LinkSource::Text,
            &mut out,
        );
        let t: Vec<&str> = out.iter().map(|l| l.target.as_str()).collect();
        assert_eq!(
            t,
            [
                "http://a.example.com/x",
                "www.b.example.org/y",
                "https://c.example.net/p?q=(1)"
            ]
        );
    }

    #[test]
    fn html_links_and_text() {
        let html = r#"<html><head><base href="http://base.example/dir/"><meta http-equiv="Refresh" content="0; URL='http://meta.example/'">
            <style>body { background: url("http://css.example/bg.png") }</style></head>
            <body><p>Hello &amp; welcome</p>
            <a href="https://evil.example/login?x=1&amp;y=2">https://<b>www.paypal.com</b></a>
            <area href="http://area.example/" alt="map">
            <form action="http://form.example/post"><input type="password"></form>
            <img src="http://img.example/i.png"><img src="cid:abc">
            <a href="rel/page">relative</a><a href="javascript:alert(1)">js</a>
            <div style="background-image:url(http://style.example/x)">x</div></body></html>"#;
        let mut out = Vec::new();
        let facts = links_in_html(html, &mut out);
        let find = |t: &str| {
            out.iter()
                .find(|l| l.target == t)
                .unwrap_or_else(|| panic!("{t} in {out:?}"))
        };
        assert_eq!(
            find("https://evil.example/login?x=1&y=2").shown.as_deref(),
            Some("https://www.paypal.com")
        );
        assert_eq!(find("http://meta.example/").source, LinkSource::MetaRefresh);
        assert_eq!(find("http://css.example/bg.png").source, LinkSource::Css);
        assert_eq!(find("http://style.example/x").source, LinkSource::Css);
        assert_eq!(find("http://area.example/").source, LinkSource::Area);
        assert_eq!(find("http://form.example/post").source, LinkSource::Form);
        assert_eq!(find("http://img.example/i.png").source, LinkSource::Image);
        assert_eq!(
            find("http://base.example/dir/rel/page").source,
            LinkSource::Anchor
        );
        assert_eq!(find("javascript:alert(1)").shown.as_deref(), Some("js"));
        assert!(!out.iter().any(|l| l.target.starts_with("cid:")));
        assert_eq!(facts.forms, 1);
        assert_eq!(facts.password_fields, 1);
        assert!(facts.text.starts_with("Hello & welcome"), "{}", facts.text);
        assert!(!facts.text.contains("background"));
    }

    #[test]
    fn attributes_read_in_place() {
        let html = "<A HREF=http://x.example/a href=\"http://dup.example/\">X</A>\
            <td BACKGROUND='http://bg.example/i.png' Style=\"color:red;background:URL(http://s.example/x)\">\
            <iframe src=http://f.example/ background=http://b2.example/></iframe>\
            <input TYPE=Password><input type disabled>\
            <a\thref=\"http://tab.example/&amp;x\"\n>tab</a><meta HTTP-EQUIV=refresh CONTENT=\"0;URL=http://m.example/\">";
        let mut out = Vec::new();
        let facts = links_in_html(html, &mut out);
        let got: Vec<(&str, LinkSource)> =
            out.iter().map(|l| (l.target.as_str(), l.source)).collect();
        assert_eq!(
            got,
            [
                ("http://x.example/a", LinkSource::Anchor),
                ("http://bg.example/i.png", LinkSource::Image),
                ("http://s.example/x", LinkSource::Css),
                ("http://f.example/", LinkSource::Image),
                ("http://b2.example/", LinkSource::Image),
                ("http://f.example/", LinkSource::Frame),
                ("http://tab.example/&x", LinkSource::Anchor),
                ("http://m.example/", LinkSource::MetaRefresh),
            ]
        );
        assert_eq!(out[0].shown.as_deref(), Some("X"));
        assert_eq!(out[6].shown.as_deref(), Some("tab"));
        assert_eq!(facts.password_fields, 1);
    }

    #[test]
    fn collapsing_in_pieces_equals_collapsing_the_whole() {
        let pieces = [
            "  Hello",
            " wor",
            "ld\u{A0}\u{2003}",
            "",
            "x",
            "\t\n",
            "日本 ",
            " é",
        ];
        let mut c = Collapsed::default();
        let mut whole = String::new();
        for p in pieces {
            c.push(p);
            whole.push_str(p);
        }
        let expected = whole.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(c.out, expected);
        assert_eq!(collapse_ws(" a\u{85}b  c "), "a b c");
    }

    #[test]
    fn entities() {
        assert_eq!(
            decode_entities("a&amp;b&#x41;&#66;&lt;&unknown;&"),
            "a&bAB<&unknown;&"
        );
        assert_eq!(decode_entities("&amp"), "&");
    }

    #[test]
    fn nested() {
        let u =
            url::Url::parse("https://r.example/click?u=https%3A%2F%2Fevil.example%2Fa%3Fb%3Dc&x=1")
                .unwrap();
        assert_eq!(nested_urls(&u), ["https://evil.example/a?b=c"]);
        let u = url::Url::parse("https://r.example/out/https://evil.example/p").unwrap();
        assert_eq!(nested_urls(&u), ["https://evil.example/p"]);
    }
}
