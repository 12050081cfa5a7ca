//! A small HTML reader: visible text, hidden text, links and images.
//!
//! Not a full HTML parser: a single forward pass that is enough to read
//! what a recipient sees, what is hidden from them, and where links go.
//! Works on any input (malformed HTML included) without panicking.

/// What was read from an HTML part.
#[derive(Debug, Default, Clone)]
pub(crate) struct HtmlText {
    /// Text a reader sees (tags removed, entities decoded).
    pub(crate) visible: String,
    /// Characters of text inside hidden elements.
    pub(crate) hidden_chars: usize,
    /// `href` targets of links, and `src` of images and frames.
    pub(crate) links: Vec<String>,
    /// `<img>` tags.
    pub(crate) images: usize,
    /// `<form>` tags.
    pub(crate) forms: usize,
    /// Names of the opening tags met (the first 256).
    pub(crate) tags: Vec<String>,
}

/// Elements whose content is not shown.
const SKIP_CONTENT: [&str; 4] = ["script", "style", "head", "noscript"];
/// Elements that break words (block level and line breaks).
const BLOCK: [&str; 22] = [
    "br",
    "p",
    "div",
    "tr",
    "td",
    "th",
    "li",
    "ul",
    "ol",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "blockquote",
    "title",
    "body",
    "center",
    "pre",
];
const VOID: [&str; 8] = ["br", "img", "hr", "meta", "link", "input", "wbr", "base"];

/// Reads `html`, keeping at most `max_text` bytes of visible text.
pub(crate) fn read_html(html: &str, max_text: usize) -> HtmlText {
    let mut out = HtmlText::default();
    let mut hidden: Vec<String> = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            emit_text(&mut out, rest, !hidden.is_empty(), max_text);
            break;
        };
        let (text, after) = rest.split_at(lt);
        emit_text(&mut out, text, !hidden.is_empty(), max_text);
        rest = after;
        if let Some(comment) = rest.strip_prefix("<!--") {
            rest = match comment.find("-->") {
                Some(end) => comment.get(end + 3..).unwrap_or(""),
                None => "",
            };
            continue;
        }
        let body = rest.get(1..).unwrap_or("");
        let first = body.chars().next();
        if !matches!(first, Some(c) if c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?')
        {
            // A lone '<' is text.
            emit_text(&mut out, "<", !hidden.is_empty(), max_text);
            rest = body;
            continue;
        }
        let (tag, after_tag) = split_tag(body);
        rest = after_tag;
        let closing = tag.starts_with('/');
        let tag_body = tag.trim_start_matches('/');
        let name_end = tag_body
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(tag_body.len());
        let name = tag_body.get(..name_end).unwrap_or("").to_ascii_lowercase();
        let attrs = tag_body.get(name_end..).unwrap_or("");
        if BLOCK.contains(&name.as_str()) && !out.visible.ends_with(' ') {
            out.visible.push(' ');
        }
        if closing {
            if hidden.last().is_some_and(|h| *h == name) {
                hidden.pop();
            }
            continue;
        }
        if out.tags.len() < 256 && !name.is_empty() && name.len() <= 16 {
            out.tags.push(name.clone());
        }
        if SKIP_CONTENT.contains(&name.as_str()) {
            rest = skip_until_close(rest, &name);
            continue;
        }

        match name.as_str() {
            "a" | "area" => {
                if let Some(v) = attr(attrs, "href") {
                    push_link(&mut out, v);
                }
            }
            "img" => {
                out.images += 1;
                if let Some(v) = attr(attrs, "src") {
                    push_link(&mut out, v);
                }
            }
            "iframe" | "frame" => {
                if let Some(v) = attr(attrs, "src") {
                    push_link(&mut out, v);
                }
            }
            "form" => {
                out.forms += 1;
                if let Some(v) = attr(attrs, "action") {
                    push_link(&mut out, v);
                }
            }
            _ => {}
        }
        if !VOID.contains(&name.as_str())
            && !attrs.trim_end().ends_with('/')
            && is_hidden(attrs)
            && hidden.len() < 64
        {
            hidden.push(name);
        }
    }
    out
}

fn push_link(out: &mut HtmlText, v: String) {
    if out.links.len() < 512 {
        out.links.push(v);
    }
}

/// Splits `<tag ...>` (without the leading `<`) at its closing `>`,
/// respecting quoted attribute values.
fn split_tag(body: &str) -> (&str, &str) {
    let mut quote: Option<char> = None;
    for (i, c) in body.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => {
                return (body.get(..i).unwrap_or(""), body.get(i + 1..).unwrap_or(""));
            }
            _ => {}
        }
    }
    (body, "")
}

fn skip_until_close<'a>(rest: &'a str, name: &str) -> &'a str {
    let needle = format!("</{name}");
    let mut search = rest;
    loop {
        let Some(pos) = find_ascii_ci(search, &needle) else {
            return "";
        };
        let after = search.get(pos + needle.len()..).unwrap_or("");
        if after.starts_with(|c: char| !c.is_ascii_alphanumeric()) || after.is_empty() {
            return match after.find('>') {
                Some(gt) => after.get(gt + 1..).unwrap_or(""),
                None => "",
            };
        }
        search = after;
    }
}

/// Case-insensitive search for an ASCII needle.
pub(crate) fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| {
        h.get(i..i + n.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(n))
    })
}

/// The value of attribute `name` in a tag's attribute text.
fn attr(attrs: &str, name: &str) -> Option<String> {
    let mut rest = attrs;
    loop {
        let pos = find_ascii_ci(rest, name)?;
        let before_ok = pos == 0
            || rest
                .get(..pos)
                .and_then(|b| b.chars().last())
                .is_some_and(|c| c.is_ascii_whitespace() || c == '"' || c == '\'' || c == '/');
        let after = rest.get(pos + name.len()..).unwrap_or("");
        let trimmed = after.trim_start();
        if before_ok && let Some(v) = trimmed.strip_prefix('=') {
            let v = v.trim_start();
            let value = match v.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let inner = v.get(1..).unwrap_or("");
                    inner.split(q).next().unwrap_or("")
                }
                _ => v
                    .split(|c: char| c.is_ascii_whitespace() || c == '>')
                    .next()
                    .unwrap_or(""),
            };
            return Some(decode_entities(value.trim()));
        }
        rest = after;
    }
}

fn is_hidden(attrs: &str) -> bool {
    if attrs.is_empty() {
        return false;
    }
    if attrs
        .split(|c: char| c.is_ascii_whitespace())
        .any(|w| w.eq_ignore_ascii_case("hidden"))
    {
        return true;
    }
    let Some(style) = attr(attrs, "style") else {
        return false;
    };
    let style: String = style
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    if style.contains("display:none") || style.contains("visibility:hidden") {
        return true;
    }
    for part in style.split("font-size:").skip(1) {
        let num: String = part
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        if let Ok(size) = num.parse::<f32>()
            && size < 2.0
        {
            return true;
        }
    }
    false
}

fn emit_text(out: &mut HtmlText, text: &str, hidden: bool, max_text: usize) {
    if text.is_empty() {
        return;
    }
    if hidden {
        out.hidden_chars += text.chars().filter(|c| !c.is_whitespace()).count();
        return;
    }
    if out.visible.len() >= max_text {
        return;
    }
    if text.contains('&') {
        out.visible.push_str(&decode_entities(text));
    } else {
        out.visible.push_str(text);
    }
}

/// Decodes the common named entities and numeric character references.
pub(crate) fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or(""));
        let after = rest.get(amp + 1..).unwrap_or("");
        let end = after
            .char_indices()
            .take(12)
            .find(|&(_, c)| c == ';')
            .map(|(i, _)| i);
        let decoded = end.and_then(|e| {
            let name = after.get(..e)?;
            let c = if let Some(num) = name.strip_prefix('#') {
                let code = if let Some(hex) = num.strip_prefix(['x', 'X']) {
                    u32::from_str_radix(hex, 16).ok()?
                } else {
                    num.parse::<u32>().ok()?
                };
                char::from_u32(code)?
            } else {
                match name {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    "nbsp" => ' ',
                    "copy" => '©',
                    "reg" => '®',
                    "euro" => '€',
                    "pound" => '£',
                    "shy" => '\u{ad}',
                    "zwnj" => '\u{200c}',
                    "zwj" => '\u{200d}',
                    _ => return None,
                }
            };
            Some((c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = after.get(e + 1..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_hidden_links() {
        let h = read_html(
            r#"<html><head><title>t</title><style>p{}</style></head><body>
            <p>Hello &amp; welcome</p><div style="display: none">poison words here</div>
            <a href="http://Example.org/x">click</a><img src='http://img.example/a.png'>
            <script>var x = "<p>";</script>V<b></b>iagra</body></html>"#,
            1 << 20,
        );
        assert!(h.visible.contains("Hello & welcome"), "{}", h.visible);
        assert!(h.visible.contains("Viagra"));
        assert!(!h.visible.contains("poison"));
        assert!(!h.visible.contains("var x"));
        assert_eq!(h.hidden_chars, "poisonwordshere".len());
        assert_eq!(
            h.links,
            vec!["http://Example.org/x", "http://img.example/a.png"]
        );
        assert_eq!(h.images, 1);
    }

    #[test]
    fn font_size_zero_and_entities() {
        let h = read_html(
            "<span style='font-size:0px'>xx yy</span>a&#65;&#x42;&bogus;",
            100,
        );
        assert_eq!(h.hidden_chars, 4);
        assert_eq!(h.visible, "aAB&bogus;");
    }

    #[test]
    fn malformed_does_not_panic() {
        for s in [
            "<",
            "<a href=",
            "<!--",
            "&#xffffffff;",
            "<p style='",
            "é<é>&é;",
        ] {
            let _ = read_html(s, 10);
        }
    }
}
