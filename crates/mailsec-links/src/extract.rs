//! Finding links: bare URLs in text, links in HTML, URLs nested in redirectors.

use std::cell::RefCell;
use std::rc::Rc;

use lol_html::html_content::{Element, TextChunk, TextType};
use lol_html::{HtmlRewriter, Settings, doc_text, element};

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
    /// Index in `links` of the anchor whose text is being collected.
    open_anchor: Option<usize>,
    base: Option<url::Url>,
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
            Some(base)
                if !has_scheme(&decoded) && !decoded.to_ascii_lowercase().starts_with("www.") =>
            {
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
        let lower = css.to_ascii_lowercase();
        let mut from = 0;
        while let Some(pos) = lower.get(from..).and_then(|s| s.find("url(")) {
            let start = from + pos + 4;
            let Some(rest) = css.get(start..) else { break };
            let Some(close) = rest.find(')') else { break };
            let inner = rest
                .get(..close)
                .unwrap_or_default()
                .trim()
                .trim_matches(['"', '\'']);
            if has_scheme(inner)
                || inner.to_ascii_lowercase().starts_with("www.")
                || self.base.is_some()
            {
                self.push(inner, LinkSource::Css);
            }
            from = start + close;
        }
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

/// Links, anchor texts and facts of an HTML document.
///
/// Uses `lol_html`'s streaming tokenizer, in non-strict mode so that
/// malformed markup never stops the scan.
pub fn links_in_html(html: &str, out: &mut Vec<RawLink>) -> HtmlFacts {
    let state = Rc::new(RefCell::new(HtmlState::default()));
    let s_a = Rc::clone(&state);
    let s_area = Rc::clone(&state);
    let s_form = Rc::clone(&state);
    let s_img = Rc::clone(&state);
    let s_frame = Rc::clone(&state);
    let s_meta = Rc::clone(&state);
    let s_base = Rc::clone(&state);
    let s_style = Rc::clone(&state);
    let s_input = Rc::clone(&state);
    let s_text = Rc::clone(&state);
    let settings = Settings::new()
        .with_strict(false)
        .append_element_content_handler(element!("a", move |el: &mut Element<'_, '_>| {
            let idx = {
                let mut st = s_a.borrow_mut();
                let idx = el
                    .get_attribute("href")
                    .and_then(|h| st.push(&h, LinkSource::Anchor));
                st.open_anchor = idx;
                idx
            };
            if idx.is_some() && el.can_have_content() {
                let s_end = Rc::clone(&s_a);
                // An anchor that never closes is closed by the next one.
                let _ = el.on_end_tag(lol_html::end_tag!(move |_end| {
                    s_end.borrow_mut().open_anchor = None;
                    Ok(())
                }));
            }
            Ok(())
        }))
        .append_element_content_handler(element!("area[href]", move |el: &mut Element<'_, '_>| {
            let mut st = s_area.borrow_mut();
            if let Some(h) = el.get_attribute("href") {
                let idx = st.push(&h, LinkSource::Area);
                if let (Some(i), Some(alt)) = (idx, el.get_attribute("alt"))
                    && let Some(l) = st.links.get_mut(i)
                {
                    l.shown = Some(decode_entities(&alt));
                }
            }
            Ok(())
        }))
        .append_element_content_handler(element!("form", move |el: &mut Element<'_, '_>| {
            let mut st = s_form.borrow_mut();
            st.facts.forms += 1;
            if let Some(h) = el.get_attribute("action") {
                st.push(&h, LinkSource::Form);
            }
            Ok(())
        }))
        .append_element_content_handler(element!("img, [background]", move |el: &mut Element<
            '_,
            '_,
        >| {
            let mut st = s_img.borrow_mut();
            for attr in ["src", "background"] {
                if let Some(h) = el.get_attribute(attr)
                    && !h.trim_start().to_ascii_lowercase().starts_with("cid:")
                {
                    st.push(&h, LinkSource::Image);
                }
            }
            Ok(())
        }))
        .append_element_content_handler(element!(
            "iframe[src], frame[src]",
            move |el: &mut Element<'_, '_>| {
                if let Some(h) = el.get_attribute("src") {
                    s_frame.borrow_mut().push(&h, LinkSource::Frame);
                }
                Ok(())
            }
        ))
        .append_element_content_handler(element!("meta[http-equiv]", move |el: &mut Element<
            '_,
            '_,
        >| {
            let refresh = el
                .get_attribute("http-equiv")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("refresh"));
            if refresh && let Some(content) = el.get_attribute("content") {
                let content = decode_entities(&content);
                let lower = content.to_ascii_lowercase();
                if let Some(pos) = lower.find("url") {
                    let rest = content.get(pos + 3..).unwrap_or_default().trim_start();
                    let rest = rest
                        .strip_prefix('=')
                        .unwrap_or(rest)
                        .trim()
                        .trim_matches(['"', '\'']);
                    s_meta.borrow_mut().push(rest, LinkSource::MetaRefresh);
                }
            }
            Ok(())
        }))
        .append_element_content_handler(element!("base[href]", move |el: &mut Element<'_, '_>| {
            if let Some(h) = el.get_attribute("href") {
                let mut st = s_base.borrow_mut();
                let decoded = decode_entities(h.trim());
                st.base = url::Url::parse(&decoded)
                    .ok()
                    .filter(|u| !u.cannot_be_a_base());
                st.push(&decoded, LinkSource::Base);
            }
            Ok(())
        }))
        .append_element_content_handler(element!("[style]", move |el: &mut Element<'_, '_>| {
            if let Some(css) = el.get_attribute("style")
                && css.len() > 4
                && css.to_ascii_lowercase().contains("url(")
            {
                s_style.borrow_mut().css(&decode_entities(&css));
            }
            Ok(())
        }))
        .append_element_content_handler(element!("input", move |el: &mut Element<'_, '_>| {
            if el
                .get_attribute("type")
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("password"))
            {
                s_input.borrow_mut().facts.password_fields += 1;
            }
            Ok(())
        }))
        .append_document_content_handler(doc_text!(move |t: &mut TextChunk<'_>| {
            let mut st = s_text.borrow_mut();
            match t.text_type() {
                TextType::Data
                | TextType::RCData
                | TextType::CDataSection
                | TextType::PlainText => {
                    let chunk = t.as_str();
                    if chunk.is_empty() {
                        return Ok(());
                    }
                    let decoded = decode_entities(chunk);
                    if let Some(i) = st.open_anchor
                        && let Some(l) = st.links.get_mut(i)
                    {
                        let shown = l.shown.get_or_insert_with(String::new);
                        if shown.len() < MAX_SHOWN {
                            shown.push_str(&decoded);
                        }
                    }
                    if st.facts.text.len() < MAX_TEXT {
                        st.facts.text.push_str(&decoded);
                    }
                }
                TextType::RawText => {
                    // <style>: CSS may hold url(...). (Chunks may split a url(); rare and harmless.)
                    let chunk = t.as_str();
                    if chunk.to_ascii_lowercase().contains("url(") {
                        st.css(chunk);
                    }
                }
                _ => {}
            }
            Ok(())
        }));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    // Errors only come from handlers (none fail) or memory limits; what was found stays.
    let _ = rewriter.write(html.as_bytes());
    let _ = rewriter.end();
    let st = std::mem::take(&mut *state.borrow_mut());
    let HtmlState {
        links, mut facts, ..
    } = st;
    for mut l in links {
        if let Some(shown) = l.shown.take() {
            let collapsed = collapse_ws(&shown);
            if !collapsed.is_empty() {
                l.shown = Some(collapsed);
            }
        }
        out.push(l);
    }
    facts.text = collapse_ws(&facts.text);
    facts
}

/// Collapse runs of white space to one space and trim.
pub(crate) fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Decode HTML character references: numeric ones and the named ones that
/// matter in links and text. Unknown names are left as written.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
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
    out
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
            let lower = v.get(..8).unwrap_or(v).to_ascii_lowercase();
            if lower.starts_with("http://")
                || lower.starts_with("https://")
                || lower.starts_with("www.")
            {
                found.push(v.to_owned());
            } else if lower.starts_with("http%3a") || lower.starts_with("https%3a") {
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
