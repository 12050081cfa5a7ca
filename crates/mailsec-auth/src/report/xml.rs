//! A small element tree over quick-xml, enough for DMARC reports.

use super::ReportError;
use quick_xml::Reader;
use quick_xml::events::Event;

/// Deepest element nesting accepted (a DMARC report needs 5).
const MAX_DEPTH: usize = 32;

#[derive(Debug, Default)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) text: String,
    pub(crate) children: Vec<Element>,
}

impl Element {
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub(crate) fn children_named<'s>(
        &'s self,
        name: &'s str,
    ) -> impl Iterator<Item = &'s Element> + 's {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Trimmed text of a child, `None` when absent or empty.
    pub(crate) fn text_of(&self, name: &str) -> Option<String> {
        self.child(name)
            .map(|c| c.text.trim().to_string())
            .filter(|t| !t.is_empty())
    }
}

fn local(name: &str) -> String {
    let local = name.rsplit(':').next().unwrap_or(name);
    local.to_ascii_lowercase()
}

fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    }
}

/// Parses a document into its root element. Any well-formedness error is
/// reported with its byte position.
pub(crate) fn parse(text: &str) -> Result<Element, ReportError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let pos = reader.buffer_position();
        let ev = reader.read_event().map_err(|e| ReportError::Xml {
            position: pos,
            message: e.to_string(),
        })?;
        match ev {
            Event::Start(s) => {
                if root.is_some() {
                    return Err(ReportError::Xml {
                        position: pos,
                        message: "content after the root element".into(),
                    });
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(ReportError::Xml {
                        position: pos,
                        message: "elements nested too deeply".into(),
                    });
                }
                stack.push(Element {
                    name: local(s.local_name().as_ref()),
                    ..Element::default()
                });
            }
            Event::Empty(s) => {
                let e = Element {
                    name: local(s.local_name().as_ref()),
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(e),
                    None if root.is_none() => root = Some(e),
                    None => {
                        return Err(ReportError::Xml {
                            position: pos,
                            message: "content after the root element".into(),
                        });
                    }
                }
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else {
                    return Err(ReportError::Xml {
                        position: pos,
                        message: "unexpected end tag".into(),
                    });
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(t) => {
                if let Some(cur) = stack.last_mut() {
                    cur.text.push_str(&t.xml10_content());
                } else if !t.xml10_content().trim().is_empty() {
                    return Err(ReportError::Xml {
                        position: pos,
                        message: "text outside the root element".into(),
                    });
                }
            }
            Event::CData(c) => {
                if let Some(cur) = stack.last_mut() {
                    cur.text.push_str(&c.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let ch = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    Ok(None) => entity(&r.xml10_content()),
                    Err(e) => {
                        return Err(ReportError::Xml {
                            position: pos,
                            message: e.to_string(),
                        });
                    }
                };
                let Some(ch) = ch else {
                    return Err(ReportError::Xml {
                        position: pos,
                        message: format!("unknown entity &{};", r.xml10_content()),
                    });
                };
                if let Some(cur) = stack.last_mut() {
                    cur.text.push(ch);
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        // Some reporters wrap the report in an element they never close
        // (`<xs:schema ...><feedback>...</feedback>`): accept a complete
        // <feedback> found inside, nothing else.
        for open in stack.iter_mut().rev() {
            if let Some(i) = open.children.iter().position(|c| c.name == "feedback") {
                return Ok(open.children.swap_remove(i));
            }
        }
        return Err(ReportError::Xml {
            position: reader.buffer_position(),
            message: format!(
                "unclosed element <{}>",
                stack.last().map_or("", |e| e.name.as_str())
            ),
        });
    }
    root.ok_or(ReportError::Xml {
        position: 0,
        message: "no root element".into(),
    })
}

/// Escapes text for element content.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // a literal CR would be normalised away by the reader
            '\r' => out.push_str("&#13;"),
            // characters XML 1.0 cannot carry at all
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// An indenting writer of simple elements.
pub(crate) struct Writer {
    pub(crate) out: String,
    depth: usize,
}

impl Writer {
    pub(crate) fn new() -> Self {
        Writer {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            depth: 0,
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    pub(crate) fn open(&mut self, name: &str, attrs: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str(attrs);
        self.out.push_str(">\n");
        self.depth += 1;
    }

    pub(crate) fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    pub(crate) fn leaf(&mut self, name: &str, text: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self.out.push_str(&escape(text));
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    pub(crate) fn opt(&mut self, name: &str, text: Option<&str>) {
        if let Some(t) = text {
            self.leaf(name, t);
        }
    }
}
