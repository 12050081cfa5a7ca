//! Finding links: bare URLs in text, links in HTML, URLs nested in redirectors.

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
        let Some(start) = next_url_start(bytes, i) else {
            break;
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
        i = end.max(start + 1);
    }
}

/// The first byte at or after `from` where a bare URL starts: `http://`,
/// `https://` or `ftp://` (any case), or `www.` not inside a word, host or
/// path. Every such start is a run of letters right before a `:` or `.`, so
/// only those two bytes are searched for.
fn next_url_start(bytes: &[u8], from: usize) -> Option<usize> {
    let rest = bytes.get(from..)?;
    memchr::memchr2_iter(b':', b'.', rest).find_map(|at| {
        let at = from + at;
        let start = |len: usize, prefix: &[u8]| {
            at.checked_sub(len)
                .filter(|&j| j >= from && prefix_ci(bytes, j, prefix))
        };
        if bytes.get(at) == Some(&b':') {
            if bytes.get(at + 1..at + 3) != Some(b"//") {
                return None;
            }
            start(5, b"https")
                .or_else(|| start(4, b"http"))
                .or_else(|| start(3, b"ftp"))
        } else {
            start(3, b"www").filter(|&j| {
                j == 0
                    || bytes
                        .get(j - 1)
                        .is_some_and(|p| !p.is_ascii_alphanumeric() && *p != b'.' && *p != b'/')
            })
        }
    })
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
}

impl HtmlState {
    /// A link target as the tokenizer gives it (character references
    /// already decoded), resolved against `<base href>`.
    fn push(&mut self, target: &str, source: LinkSource) -> Option<usize> {
        if self.links.len() >= MAX_LINKS_PER_PART {
            return None;
        }
        let decoded = target.trim();
        if decoded.is_empty() || decoded.starts_with('#') {
            return None;
        }
        let target = match &self.base {
            Some(base) if !has_scheme(decoded) && !starts_with_ci(decoded, "www.") => {
                match base.join(decoded) {
                    Ok(u) => u.to_string(),
                    Err(_) => decoded.to_owned(),
                }
            }
            _ => decoded.to_owned(),
        };
        self.links.push(RawLink {
            target,
            shown: None,
            source,
        });
        Some(self.links.len() - 1)
    }

    /// `url(...)` targets in CSS. `decode`: the CSS is raw text (a `<style>`
    /// element, which the tokenizer does not decode), so decode character
    /// references in the targets found.
    fn css(&mut self, css: &str, decode: bool) {
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
                if decode {
                    self.push(&decode_entities(inner), LinkSource::Css);
                } else {
                    self.push(inner, LinkSource::Css);
                }
            }
            from = start + close;
        }
    }

    /// One element's start tag (every element goes through here once).
    /// Returns, for an `<a>`, the anchor now open (`Some(None)` when it has
    /// no usable `href`).
    fn element(&mut self, tag: Tag, attrs: &Attrs<'_>) -> Option<Option<usize>> {
        let mut anchor = None;
        // The order of the steps is the order links are reported in.
        if tag == Tag::A {
            anchor = Some(
                attrs
                    .get(b"href")
                    .and_then(|h| self.push(h, LinkSource::Anchor)),
            );
        }
        if tag == Tag::Area
            && let Some(h) = attrs.get(b"href")
        {
            let idx = self.push(h, LinkSource::Area);
            if let (Some(i), Some(alt)) = (idx, attrs.get(b"alt"))
                && let Some(l) = self.links.get_mut(i)
            {
                l.shown = Some(alt.to_owned());
            }
        }
        if tag == Tag::Form {
            self.facts.forms += 1;
            if let Some(h) = attrs.get(b"action") {
                self.push(h, LinkSource::Form);
            }
        }
        if tag == Tag::Img || attrs.has(b"background") {
            for attr in [&b"src"[..], b"background"] {
                if let Some(h) = attrs.get(attr)
                    && !starts_with_ci(h.trim_start(), "cid:")
                {
                    self.push(h, LinkSource::Image);
                }
            }
        }
        if matches!(tag, Tag::Iframe | Tag::Frame)
            && let Some(h) = attrs.get(b"src")
        {
            self.push(h, LinkSource::Frame);
        }
        if tag == Tag::Meta
            && let Some(equiv) = attrs.get(b"http-equiv")
            && equiv.trim().eq_ignore_ascii_case("refresh")
            && let Some(content) = attrs.get(b"content")
            && let Some(pos) = find_ci(content, "url")
        {
            let rest = content.get(pos + 3..).unwrap_or_default().trim_start();
            let rest = rest
                .strip_prefix('=')
                .unwrap_or(rest)
                .trim()
                .trim_matches(['"', '\'']);
            self.push(rest, LinkSource::MetaRefresh);
        }
        if tag == Tag::Base
            && let Some(h) = attrs.get(b"href")
        {
            let h = h.trim();
            self.base = url::Url::parse(h).ok().filter(|u| !u.cannot_be_a_base());
            self.push(h, LinkSource::Base);
        }
        if let Some(css) = attrs.get(b"style")
            && css.len() > 4
            && find_ci(css, "url(").is_some()
        {
            self.css(css, false);
        }
        if tag == Tag::Input
            && attrs
                .get(b"type")
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("password"))
        {
            self.facts.password_fields += 1;
        }
        anchor
    }

    /// Start a run of visible text (the text between two tags, or a 16 KiB
    /// stretch of it) whose first piece is not empty: where its pieces go
    /// is decided once, for the whole run.
    fn begin_run(&mut self, open_anchor: Option<usize>) -> Run {
        let shown = open_anchor.filter(|&i| {
            self.links
                .get_mut(i)
                .is_some_and(|l| l.shown.get_or_insert_with(String::new).len() < MAX_SHOWN)
        });
        Run {
            started: true,
            shown,
            text: self.raw_text_len < MAX_TEXT,
        }
    }

    /// A piece of a run of visible text (character references decoded).
    fn run_piece(&mut self, run: &Run, piece: &str) {
        if let Some(i) = run.shown
            && let Some(shown) = self.links.get_mut(i).and_then(|l| l.shown.as_mut())
        {
            shown.push_str(piece);
        }
        if run.text {
            self.raw_text_len += piece.len();
            self.text.push(piece);
        }
    }
}

/// Where the pieces of the current run of visible text go.
#[derive(Debug, Clone, Copy, Default)]
struct Run {
    /// Whether the run has begun (a first non-empty piece came).
    started: bool,
    /// The anchor whose shown text takes the run, if any (and not full).
    shown: Option<usize>,
    /// Whether the visible text takes the run (its budget not spent).
    text: bool,
}

/// A start tag's attributes: (name, value) byte ranges in [`Scan::attr_buf`].
#[derive(Clone)]
struct AttrSpan {
    name: std::ops::Range<usize>,
    value: std::ops::Range<usize>,
}

/// A start tag's attributes as the tokenizer gave them (names lower-cased,
/// values with character references decoded), in document order.
struct Attrs<'a> {
    buf: &'a [u8],
    list: &'a [AttrSpan],
}

impl<'a> Attrs<'a> {
    /// The first attribute called `name` (lower case): the tokenizer keeps
    /// the first of duplicates, as browsers do.
    fn get(&self, name: &[u8]) -> Option<&'a str> {
        let a = self
            .list
            .iter()
            .find(|a| self.buf.get(a.name.clone()) == Some(name))?;
        std::str::from_utf8(self.buf.get(a.value.clone())?).ok()
    }

    fn has(&self, name: &[u8]) -> bool {
        self.list
            .iter()
            .any(|a| self.buf.get(a.name.clone()) == Some(name))
    }
}

/// How the tokenizer reads the content after a start tag (as browsers and
/// `lol_html`'s tree-builder simulator switch it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    /// Ordinary markup and text.
    Data,
    /// `<title>`, `<textarea>`: text, character references decoded.
    RcData,
    /// `<style>`, `<xmp>`, `<iframe>`, `<noembed>`, `<noframes>`,
    /// `<noscript>`: raw text, not shown (read for CSS `url()`).
    RawText,
    /// `<script>`: ignored.
    Script,
    /// `<plaintext>`: text to the end.
    PlainText,
}

/// What the tokenizer is building.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Current {
    Start,
    End,
    Other,
}

/// The [`html5gum::Emitter`] that extracts links, anchor texts, visible text
/// and form facts as the tokenizer runs: no token is ever allocated; tag
/// names and attributes go into reused buffers.
struct Scan<'s> {
    st: &'s mut HtmlState,
    /// The document the tokenizer reads.
    html: &'s str,
    current: Current,
    /// The current tag's name (lower case).
    name: Vec<u8>,
    /// The last start tag's name (for the end of raw text).
    last_start: Vec<u8>,
    attr_buf: Vec<u8>,
    attrs: Vec<AttrSpan>,
    /// Whether the value of the attribute being read is kept (its name is
    /// one of [`READ_ATTRIBUTES`]).
    keep_value: bool,
    content: Content,
    /// The run of visible text being read (text since the last tag).
    run: Run,
    /// Bytes of the run so far (a run is handed over every [`RUN_BYTES`]).
    run_len: usize,
    /// Text not yet handed over: the raw text of a `<style>`-like element,
    /// or the rest of a run of visible text from its first piece that was
    /// not valid UTF-8 on its own (the tokenizer may hand a character over
    /// in pieces) on.
    pending: Vec<u8>,
    /// Names of the open elements, concatenated, and their ranges: enough
    /// of the tree to know when an end tag closes the open anchor (an
    /// unclosed `<a>` ends with the element that holds it, as in browsers).
    open_names: Vec<u8>,
    open: Vec<std::ops::Range<usize>>,
    /// The anchor whose text is being read: its link and its place in `open`.
    open_anchor: Option<(usize, usize)>,
}

/// The attributes whose values [`HtmlState::element`] reads (the values of
/// others are not kept).
const READ_ATTRIBUTES: [&[u8]; 9] = [
    b"href",
    b"alt",
    b"action",
    b"src",
    b"background",
    b"http-equiv",
    b"content",
    b"style",
    b"type",
];

/// Most open elements tracked (deeper ones are not; hostile nesting is cheap).
const MAX_OPEN: usize = 512;

/// What a start tag's name means here: the elements the steps of
/// [`HtmlState::element`] look for, those that change how the content after
/// them is read, and whether an element is void.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    A,
    Area,
    Form,
    Img,
    /// `iframe`: a frame link, and raw text after it.
    Iframe,
    Frame,
    Meta,
    Base,
    Input,
    /// `title`, `textarea`: RCDATA.
    RcData,
    Plaintext,
    Script,
    /// `style`, `xmp`, `noembed`, `noframes`, `noscript`: raw text.
    RawText,
    /// Any other element that never has content or an end tag.
    OtherVoid,
    Other,
}

impl Tag {
    fn of(name: &[u8]) -> Tag {
        match name {
            b"a" => Tag::A,
            b"area" => Tag::Area,
            b"form" => Tag::Form,
            b"img" => Tag::Img,
            b"iframe" => Tag::Iframe,
            b"frame" => Tag::Frame,
            b"meta" => Tag::Meta,
            b"base" => Tag::Base,
            b"input" => Tag::Input,
            b"title" | b"textarea" => Tag::RcData,
            b"plaintext" => Tag::Plaintext,
            b"script" => Tag::Script,
            b"style" | b"xmp" | b"noembed" | b"noframes" | b"noscript" => Tag::RawText,
            b"basefont" | b"bgsound" | b"br" | b"col" | b"embed" | b"hr" | b"image" | b"keygen"
            | b"link" | b"param" | b"source" | b"track" | b"wbr" => Tag::OtherVoid,
            _ => Tag::Other,
        }
    }

    /// Elements that never have content or an end tag.
    fn is_void(self) -> bool {
        matches!(
            self,
            Tag::Area | Tag::Img | Tag::Frame | Tag::Meta | Tag::Base | Tag::Input | Tag::OtherVoid
        )
    }

    /// How the content after the start tag is read, and the tokenizer state
    /// for it (`None`: unchanged).
    fn content(self) -> (Content, Option<html5gum::State>) {
        match self {
            Tag::RcData => (Content::RcData, Some(html5gum::State::RcData)),
            Tag::Plaintext => (Content::PlainText, Some(html5gum::State::PlainText)),
            Tag::Script => (Content::Script, Some(html5gum::State::ScriptData)),
            Tag::RawText | Tag::Iframe => (Content::RawText, Some(html5gum::State::RawText)),
            _ => (Content::Data, None),
        }
    }
}

impl<'s> Scan<'s> {
    fn new(st: &'s mut HtmlState, html: &'s str) -> Self {
        Scan {
            st,
            html,
            current: Current::Other,
            name: Vec::with_capacity(16),
            last_start: Vec::with_capacity(16),
            attr_buf: Vec::with_capacity(256),
            attrs: Vec::with_capacity(8),
            keep_value: true,
            content: Content::Data,
            run: Run::default(),
            run_len: 0,
            pending: Vec::new(),
            open_names: Vec::with_capacity(256),
            open: Vec::with_capacity(32),
            open_anchor: None,
        }
    }

    fn start_tag(&mut self) {
        self.current = Current::Start;
        self.name.clear();
        self.attr_buf.clear();
        self.attrs.clear();
    }

    /// `piece` as the stretch of the document it is, if it is one: most
    /// pieces are (the tokenizer hands text over as slices of its input).
    /// The document is a `str`, so such a piece is valid UTF-8 exactly when
    /// it starts and ends on character boundaries, which `str::get` checks:
    /// no validation of its bytes.
    fn in_document(&self, piece: &[u8]) -> Option<&'s str> {
        let html = self.html;
        let at = piece.as_ptr().addr().checked_sub(html.as_ptr().addr())?;
        html.get(at..at.checked_add(piece.len())?)
    }

    /// A piece of visible text, valid UTF-8.
    fn visible(&mut self, piece: &str) {
        if piece.is_empty() {
            return;
        }
        if !self.run.started {
            self.run = self.st.begin_run(self.open_anchor.map(|(i, _)| i));
        }
        self.st.run_piece(&self.run, piece);
    }

    /// Hand the pending bytes over: `upto` of them (the rest is kept).
    fn flush_pending(&mut self, upto: usize) {
        if self.pending.is_empty() {
            return;
        }
        let mut pending = std::mem::take(&mut self.pending);
        let head = pending.get(..upto).unwrap_or(&pending);
        let text = String::from_utf8_lossy(head);
        match self.content {
            Content::Data | Content::RcData | Content::PlainText => self.visible(&text),
            Content::RawText => {
                if find_ci(&text, "url(").is_some() {
                    self.st.css(&text, true);
                }
            }
            Content::Script => {}
        }
        pending.drain(..upto.min(pending.len()));
        self.pending = pending;
    }

    /// End the run of text (at a tag, or at the end).
    fn end_run(&mut self) {
        self.flush_pending(self.pending.len());
        self.run = Run::default();
        self.run_len = 0;
    }
}

/// A run of visible text is handed over in stretches of at least this many
/// bytes (ended on a character boundary).
const RUN_BYTES: usize = 16 * 1024;

impl html5gum::Emitter for Scan<'_> {
    type Token = std::convert::Infallible;

    fn set_last_start_tag(&mut self, last_start_tag: Option<&[u8]>) {
        self.last_start.clear();
        self.last_start
            .extend_from_slice(last_start_tag.unwrap_or_default());
    }

    fn emit_eof(&mut self) {
        self.end_run();
    }

    fn emit_error(&mut self, _error: html5gum::Error) {}

    fn should_emit_errors(&mut self) -> bool {
        false
    }

    fn pop_token(&mut self) -> Option<Self::Token> {
        None
    }

    fn emit_string(&mut self, c: &[u8]) {
        match self.content {
            Content::Script => return,
            Content::RawText => {
                self.pending.extend_from_slice(c);
                return;
            }
            Content::Data | Content::RcData | Content::PlainText => {}
        }
        // Pieces are nearly always whole characters: taken as they come.
        // From a piece that is not, the run is gathered and decoded at its
        // end (the same text: a valid prefix decodes to itself).
        if self.pending.is_empty()
            && let Some(piece) = self.in_document(c).or_else(|| std::str::from_utf8(c).ok())
        {
            self.visible(piece);
        } else {
            self.pending.extend_from_slice(c);
        }
        self.run_len += c.len();
        if self.run_len >= RUN_BYTES {
            // A long text: hand over what ends on a character boundary.
            let upto = match std::str::from_utf8(&self.pending) {
                Ok(_) => self.pending.len(),
                Err(e) if e.error_len().is_none() => e.valid_up_to(),
                Err(_) => self.pending.len(),
            };
            self.flush_pending(upto);
            self.run = Run::default();
            self.run_len = self.pending.len();
        }
    }

    fn init_start_tag(&mut self) {
        self.start_tag();
    }

    fn init_end_tag(&mut self) {
        self.start_tag();
        self.current = Current::End;
    }

    fn init_comment(&mut self) {
        self.current = Current::Other;
    }

    fn emit_current_tag(&mut self) -> Option<html5gum::State> {
        // The text before the tag belongs to what was open before it.
        self.end_run();
        match self.current {
            Current::Start => {
                let attrs = Attrs {
                    buf: &self.attr_buf,
                    list: &self.attrs,
                };
                let tag = Tag::of(&self.name);
                let anchor = self.st.element(tag, &attrs);
                if !tag.is_void() && self.open.len() < MAX_OPEN {
                    let at = self.open_names.len();
                    self.open_names.extend_from_slice(&self.name);
                    self.open.push(at..self.open_names.len());
                }
                if let Some(anchor) = anchor {
                    // An anchor that never closes is closed by the next one.
                    self.open_anchor = anchor.map(|i| (i, self.open.len().saturating_sub(1)));
                }
                let (content, state) = tag.content();
                if state.is_some() {
                    // Only the content read after these ends at an
                    // "appropriate" end tag, the one of the last start tag.
                    self.last_start.clear();
                    self.last_start.extend_from_slice(&self.name);
                }
                self.content = content;
                self.current = Current::Other;
                state
            }
            Current::End => {
                // Close the innermost open element of that name, and what it holds.
                let names = &self.open_names;
                let name = &self.name;
                let found = self
                    .open
                    .iter()
                    .rposition(|r| names.get(r.clone()) == Some(name.as_slice()));
                if let Some(i) = found {
                    if let Some(r) = self.open.get(i) {
                        self.open_names.truncate(r.start);
                    }
                    self.open.truncate(i);
                    if self.open_anchor.is_some_and(|(_, depth)| depth >= i) {
                        self.open_anchor = None;
                    }
                } else if self.name == b"a" {
                    self.open_anchor = None;
                }
                self.content = Content::Data;
                self.current = Current::Other;
                None
            }
            Current::Other => None,
        }
    }

    fn emit_current_comment(&mut self) {}

    fn emit_current_doctype(&mut self) {}

    fn set_self_closing(&mut self) {}

    fn set_force_quirks(&mut self) {}

    fn push_tag_name(&mut self, s: &[u8]) {
        self.name.extend_from_slice(s);
    }

    fn push_comment(&mut self, _s: &[u8]) {}

    fn push_doctype_name(&mut self, _s: &[u8]) {}

    fn init_doctype(&mut self) {
        self.current = Current::Other;
    }

    fn init_attribute(&mut self) {
        self.keep_value = true;
        let at = self.attr_buf.len();
        self.attrs.push(AttrSpan {
            name: at..at,
            value: at..at,
        });
    }

    fn push_attribute_name(&mut self, s: &[u8]) {
        self.attr_buf.extend_from_slice(s);
        let end = self.attr_buf.len();
        if let Some(a) = self.attrs.last_mut() {
            a.name.end = end;
            a.value = end..end;
        }
    }

    fn init_attribute_value(&mut self) {
        // The name is complete: a value no step reads is not kept.
        self.keep_value = self.attrs.last().is_some_and(|a| {
            self.attr_buf
                .get(a.name.clone())
                .is_some_and(|name| READ_ATTRIBUTES.contains(&name))
        });
    }

    fn push_attribute_value(&mut self, s: &[u8]) {
        if !self.keep_value {
            return;
        }
        self.attr_buf.extend_from_slice(s);
        let end = self.attr_buf.len();
        if let Some(a) = self.attrs.last_mut() {
            a.value.end = end;
        }
    }

    fn set_doctype_public_identifier(&mut self, _value: &[u8]) {}

    fn set_doctype_system_identifier(&mut self, _value: &[u8]) {}

    fn push_doctype_public_identifier(&mut self, _s: &[u8]) {}

    fn push_doctype_system_identifier(&mut self, _s: &[u8]) {}

    fn current_is_appropriate_end_tag_token(&mut self) -> bool {
        self.current == Current::End && !self.last_start.is_empty() && self.name == self.last_start
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
    while let Some(i) = h.get(from..).and_then(|rest| memchr::memchr2(lo, up, rest)) {
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
/// Uses `html5gum`'s WHATWG tokenizer with an emitter of its own: every
/// start tag is looked at once (its attributes in reused buffers, never a
/// token allocated), and text is collected as it is tokenized. Malformed
/// markup never stops the scan. Content after `<script>`, `<style>`,
/// `<title>` and the like is read the way browsers read it (script is
/// skipped, style read for CSS `url()` only).
pub fn links_in_html(html: &str, out: &mut Vec<RawLink>) -> HtmlFacts {
    // html5gum 0.9 reads the attributes of one tag through nested calls, a
    // few frames per quoted `name="value"`: a hostile tag with thousands of
    // attributes would overflow the stack. Every quoted value follows a `=`
    // (and optional white space), so their count bounds the nesting: the
    // tokenizer runs on a stack that big (grown on the heap only when the
    // thread's own has too little left), and a part with more than
    // MAX_QUOTED_VALUES of them is read up to the last one allowed.
    //
    // Counting every `=` is cheaper (no look-ahead per hit) and bounds the
    // same nesting: when the stack left holds that bound and no cut is due,
    // the exact count would change nothing, so it is not made.
    let equals = memchr::memchr_iter(b'=', html.as_bytes()).count();
    let (html, quoted) = if equals <= MAX_QUOTED_VALUES
        && stacker::remaining_stack()
            .is_some_and(|left| left >= STACK_BASE + equals * STACK_PER_QUOTED_VALUE)
    {
        (html, equals)
    } else {
        bounded_quoted_values(html)
    };
    let need = STACK_BASE + quoted * STACK_PER_QUOTED_VALUE;
    let mut state = HtmlState {
        text: Collapsed {
            out: String::with_capacity(html.len().min(MAX_TEXT)),
            pending: false,
        },
        ..HtmlState::default()
    };
    stacker::maybe_grow(need, need + STACK_BASE, || {
        // Reading a &str cannot fail, and this emitter produces no tokens.
        let _ = html5gum::Tokenizer::new_with_emitter(html, Scan::new(&mut state, html)).finish();
    });
    let HtmlState {
        links,
        mut facts,
        text,
        ..
    } = state;
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

/// Most quoted attribute values read in one HTML part.
const MAX_QUOTED_VALUES: usize = 10_000;
/// Stack the tokenizer needs besides nested attributes.
const STACK_BASE: usize = 256 * 1024;
/// Stack per nested attribute, with a wide margin (measured: ~300 bytes
/// optimised, several KiB unoptimised).
const STACK_PER_QUOTED_VALUE: usize = if cfg!(debug_assertions) {
    32 * 1024
} else {
    2 * 1024
};

/// `html` cut before its quoted attribute value number
/// [`MAX_QUOTED_VALUES`] + 1, and how many it holds (an upper bound: a `=`
/// followed by a quote, wherever it is).
fn bounded_quoted_values(html: &str) -> (&str, usize) {
    let bytes = html.as_bytes();
    let mut count = 0;
    for at in memchr::memchr_iter(b'=', bytes) {
        let quoted = bytes
            .get(at + 1..)
            .unwrap_or_default()
            .iter()
            .find(|b| !matches!(b, b'\t' | b'\n' | b'\x0C' | b'\r' | b' '))
            .is_some_and(|b| matches!(b, b'"' | b'\''));
        if quoted {
            if count == MAX_QUOTED_VALUES {
                // `=` is ASCII: a character boundary.
                return (html.get(..at).unwrap_or_default(), count);
            }
            count += 1;
        }
    }
    (html, count)
}

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
        while let Some(&b) = bytes.get(i) {
            let (space, len) = space_at(s, i, b);
            if space {
                self.pending = true;
                i += len;
                continue;
            }
            // A stretch of words: it already reads as collapsed text as
            // long as words are apart by one ASCII space, so it is copied
            // whole; it ends before other white space.
            let start = i;
            i += len;
            loop {
                // Eight bytes at a time while they are plain ASCII or single
                // spaces between them (the same bytes the steps below take).
                while let Some(x) = word_at(bytes, i) {
                    let stop = stretch_stops(x);
                    if stop != 0 {
                        i += (stop.trailing_zeros() / 8) as usize;
                        break;
                    }
                    i += 8;
                }
                while bytes.get(i).is_some_and(|&b| PLAIN[usize::from(b)]) {
                    i += 1;
                }
                match bytes.get(i) {
                    Some(b' ') if bytes.get(i + 1).is_some_and(|&b| PLAIN[usize::from(b)]) => {
                        i += 2;
                    }
                    Some(&b) if !is_ascii_space(b) => {
                        // A byte that may start white space beyond ASCII.
                        let (space, len) = space_at(s, i, b);
                        if space {
                            break;
                        }
                        i += len;
                    }
                    _ => break,
                }
            }
            self.word(s.get(start..i).unwrap_or_default());
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

/// Eight bytes of `bytes` from `at` as a little-endian word, if there are eight.
#[inline(always)]
pub(crate) fn word_at(bytes: &[u8], at: usize) -> Option<u64> {
    bytes
        .get(at..at.wrapping_add(8))
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
        .map(u64::from_le_bytes)
}

const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HI: u64 = 0x8080_8080_8080_8080;
const ONES: u64 = 0x0101_0101_0101_0101;

/// The high bit of each byte of `x` (eight bytes of text, the first in the
/// low byte) where a stretch of [`Collapsed::push`] cannot simply go on:
/// every byte but plain ASCII (0x21–0x7F) and a space whose next byte (in
/// `x`) is plain ASCII. Exact for every byte (no carry crosses bytes).
#[inline(always)]
fn stretch_stops(x: u64) -> u64 {
    // ASCII at or above 0x21: the low seven bits plus 0x5F carry into the
    // high bit, and the byte's own high bit is clear.
    let plain = ((x & LO7) + 0x5f * ONES) & !x & HI;
    // Bytes equal to 0x20.
    let y = x ^ (0x20 * ONES);
    let space = !(((y & LO7) + LO7) | y) & HI;
    let ok = plain | (space & (plain >> 8));
    !ok & HI
}

/// Bytes that neither are nor start white space: ASCII above space,
/// UTF-8 continuation bytes, and lead bytes of characters that are not white
/// space (`char::is_whitespace` beyond ASCII: U+0085, U+00A0 (lead 0xC2),
/// U+1680 (0xE1), U+2000–U+200A, U+2028, U+2029, U+202F, U+205F (0xE2),
/// U+3000 (0xE3)). Every other byte is judged by [`space_at`].
static PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0x21;
    while b < 256 {
        t[b] = !matches!(b, 0xC2 | 0xE1 | 0xE2 | 0xE3);
        b += 1;
    }
    t
};

/// Whether the character starting at byte `i` of `s` (whose first byte is
/// `b`) is white space by `char::is_whitespace`, and its length in bytes;
/// ASCII bytes are judged without decoding.
#[inline]
pub(crate) fn space_at(s: &str, i: usize, b: u8) -> (bool, usize) {
    if b.is_ascii() {
        (is_ascii_space(b), 1)
    } else {
        match s.get(i..).and_then(|r| r.chars().next()) {
            Some(c) => (c.is_whitespace(), c.len_utf8()),
            None => (false, 1),
        }
    }
}

/// `char::is_whitespace` on an ASCII byte: tab, LF, VT, FF, CR, space.
#[inline]
pub(crate) fn is_ascii_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
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
    nested_urls_in(url.path(), url.query())
}

/// [`nested_urls`] over a URL's serialised path and query (as
/// [`url::Url::path`] and [`url::Url::query`] give them, e.g. from
/// [`crate::NormalizedUrl::path`] and [`crate::NormalizedUrl::query`]).
///
/// ```
/// let found = mailsec_links::nested_urls_in("/r", Some("u=https%3A%2F%2Fevil.example%2Fp"));
/// assert_eq!(found, ["https://evil.example/p"]);
/// ```
pub fn nested_urls_in(path: &str, query: Option<&str>) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(q) = query
        && q.len() <= crate::normalize::MAX_URL_LEN
        // A decoded value can only start with `http` or `www.` if the
        // query holds one of them or an escape (`%`): else nothing to decode.
        && (q.contains('%') || find_ci(q, "http").is_some() || find_ci(q, "www.").is_some())
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
    // Every marker starts with `/http`: one search rules most paths out.
    if !path.contains("/http") {
        return found;
    }
    for marker in ["/http://", "/https://", "/http:/", "/https:/"] {
        if let Some(pos) = path.find(marker) {
            let mut inner = path.get(pos + 1..).unwrap_or_default().to_owned();
            if let Some(q) = query {
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
    fn text_url_starts() {
        let mut out = Vec::new();
        links_in_text(
            "xhttps://a.example/b HTTP://A.EXAMPLE/ ftp://f.example/ wwww.x.example \
             a.www.b.example /www.c.example (www.d.example) Www.e.example:80/ http:/no.example \
             https://g.example/www.h.example",
            LinkSource::Text,
            &mut out,
        );
        let t: Vec<&str> = out.iter().map(|l| l.target.as_str()).collect();
        assert_eq!(
            t,
            [
                "https://a.example/b",
                "HTTP://A.EXAMPLE/",
                "ftp://f.example/",
                "www.d.example",
                "Www.e.example:80/",
                "https://g.example/www.h.example",
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
    fn html_as_browsers_read_it() {
        let html = "<p>Caf&eacute; &#150; &#x201C;x&#8221; &copy</p>\
            <script>var s = \"<a href='http://script.example/'>no</a>\";</script>\
            <style>.b{background:url(\"http://style.example/a&amp;x\")}</style>\
            <!-- <a href=\"http://comment.example/\">no</a> -->\
            <title>Title &amp; more</title>\
            <td><a href=\"http://unclosed.example/\">cell text</td><td>next cell</td>\
            <a href=\"http://q.example/?a=1&lt=2&amp;b=3\">q</a>";
        let mut out = Vec::new();
        let facts = links_in_html(html, &mut out);
        let got: Vec<(&str, Option<&str>)> = out
            .iter()
            .map(|l| (l.target.as_str(), l.shown.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("http://style.example/a&x", None),
                ("http://unclosed.example/", Some("cell text")),
                // `&lt=` in an attribute is not a character reference.
                ("http://q.example/?a=1&lt=2&b=3", Some("q")),
            ]
        );
        // Text runs are joined as they come (no space is added between elements).
        assert_eq!(
            facts.text,
            "Café \u{2013} \u{201C}x\u{201D} ©Title & morecell textnext cellq"
        );
    }

    #[test]
    fn a_tag_with_very_many_attributes() {
        // html5gum nests a call per quoted attribute value: the stack is
        // grown for it, and past MAX_QUOTED_VALUES the part is cut.
        // (A tag cut short never ends: its link is not reported.)
        for (n, links) in [(2_000, 1), (MAX_QUOTED_VALUES + 10, 0)] {
            let mut html = String::from("<a href=\"http://x.example/\"");
            for _ in 0..n {
                html.push_str(" x=\"1\"");
            }
            html.push_str(">text</a>");
            let found = std::thread::Builder::new()
                .stack_size(128 * 1024)
                .spawn(move || {
                    let mut out = Vec::new();
                    links_in_html(&html, &mut out);
                    out.len()
                })
                .unwrap()
                .join()
                .unwrap();
            assert_eq!(found, links);
        }
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

    proptest::proptest! {
        #[test]
        fn collapsing_any_pieces_equals_split_whitespace(
            pieces in proptest::collection::vec(
                "[ a-z.\t\n\r\u{0}\u{1}\u{b}\u{c}é©\u{A0}\u{85}\u{2003}\u{2028}\u{202F}\u{205F}\u{3000}\u{1680}\u{2030}\u{3001}]{0,12}",
                0..8,
            )
        ) {
            let mut c = Collapsed::default();
            let mut whole = String::new();
            for p in &pieces {
                c.push(p);
                whole.push_str(p);
            }
            let expected = whole.split_whitespace().collect::<Vec<_>>().join(" ");
            proptest::prop_assert_eq!(c.out, expected);
        }

        #[test]
        fn collapsing_long_words_equals_split_whitespace(
            pieces in proptest::collection::vec(
                "([a-zA-Z0-9.,;!]{1,11}( |  | \t|\t|\n|\u{A0}|\u{2003}|é|\u{0}| \u{7f})?){0,10}",
                0..6,
            )
        ) {
            // Stretches of eight bytes and more: the word-at-a-time path.
            let mut c = Collapsed::default();
            let mut whole = String::new();
            for p in &pieces {
                c.push(p);
                whole.push_str(p);
            }
            let expected = whole.split_whitespace().collect::<Vec<_>>().join(" ");
            proptest::prop_assert_eq!(c.out, expected);
        }

        #[test]
        fn stretch_stops_flags_each_byte_exactly(x in proptest::num::u64::ANY, spaces in 0u8..=255) {
            // Sprinkle spaces in (their byte positions from `spaces`).
            let mut b = x.to_le_bytes();
            for (k, byte) in b.iter_mut().enumerate() {
                if spaces & (1 << k) != 0 {
                    *byte = b' ';
                }
            }
            let plain = |v: u8| (0x21..=0x7f).contains(&v);
            let mut want = 0u64;
            for k in 0..8 {
                let ok = plain(b[k]) || (b[k] == b' ' && k < 7 && plain(b[k + 1]));
                if !ok {
                    want |= 0x80 << (8 * k);
                }
            }
            proptest::prop_assert_eq!(stretch_stops(u64::from_le_bytes(b)), want);
        }
    }

    #[test]
    fn text_handed_over_in_pieces() {
        // `<é`: the tokenizer hands `<`, then é's first byte alone, then the
        // rest; references and CR LF come as pieces of their own.
        let html = "a <\u{e9}t\u{e9} &amp; <\u{fc}\r\nb<a href=\"http://x.example/\">1 <\u{e9} &lt; 2</a> \u{2003}c";
        let mut out = Vec::new();
        let facts = links_in_html(html, &mut out);
        assert_eq!(facts.text, "a <\u{e9}t\u{e9} & <\u{fc} b1 <\u{e9} < 2 c");
        assert_eq!(out[0].shown.as_deref(), Some("1 <\u{e9} < 2"));
        // A long run is handed over in 16 KiB stretches, cut on characters.
        let long = "\u{e9}".repeat(RUN_BYTES);
        let facts = links_in_html(&format!("<p>x<\u{e9}{long}</p>"), &mut out);
        assert_eq!(facts.text, format!("x<\u{e9}{long}"));
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
