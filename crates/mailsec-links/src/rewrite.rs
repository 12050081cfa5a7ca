//! Link-confirmation rewriting: every link goes through the caller's
//! confirmation page, carrying the original URL and an HMAC over it.

use std::cell::RefCell;
use std::rc::Rc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use lol_html::html_content::Element;
use lol_html::{HtmlRewriter, Settings, element};
use ring::hmac;

use crate::LinksError;
use crate::extract::decode_entities;

/// Domain separation for the MAC input.
const CONTEXT: &[u8] = b"mailsec-links confirm v1\0";

/// Wraps links in a confirmation URL and unwraps them after checking the MAC.
///
/// The template is an absolute URL whose query holds the placeholders
/// `{url}` and `{sig}` as parameter values, for example
/// `https://confirm.example.net/go?u={url}&s={sig}`.
///
/// ```
/// use mailsec_links::LinkRewriter;
/// let rw = LinkRewriter::new(b"0123456789abcdef0123456789abcdef", "https://confirm.example.net/go?u={url}&s={sig}")?;
/// let wrapped = rw.wrap("https://shop.example.com/cart?id=7");
/// assert!(wrapped.starts_with("https://confirm.example.net/go?u="));
/// assert_eq!(rw.unwrap(&wrapped)?, "https://shop.example.com/cart?id=7");
/// # Ok::<(), mailsec_links::LinksError>(())
/// ```
pub struct LinkRewriter {
    key: hmac::Key,
    template: String,
    url_param: String,
    sig_param: String,
    base: url::Url,
}

impl std::fmt::Debug for LinkRewriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkRewriter")
            .field("template", &self.template)
            .finish_non_exhaustive()
    }
}

impl LinkRewriter {
    /// A rewriter with an HMAC-SHA256 key (at least 16 bytes) and a template.
    pub fn new(key: &[u8], template: &str) -> Result<Self, LinksError> {
        if key.len() < 16 {
            return Err(LinksError::ShortKey);
        }
        let bad = || LinksError::BadTemplate(template.to_owned());
        let base = url::Url::parse(template).map_err(|_| bad())?;
        if base.cannot_be_a_base() {
            return Err(bad());
        }
        let mut url_param = None;
        let mut sig_param = None;
        for (k, v) in base.query_pairs() {
            match v.as_ref() {
                "{url}" => url_param = Some(k.into_owned()),
                "{sig}" => sig_param = Some(k.into_owned()),
                _ => {}
            }
        }
        let (Some(url_param), Some(sig_param)) = (url_param, sig_param) else {
            return Err(bad());
        };
        if url_param == sig_param {
            return Err(bad());
        }
        Ok(LinkRewriter {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
            template: template.to_owned(),
            url_param,
            sig_param,
            base,
        })
    }

    fn tag(&self, url: &str) -> hmac::Tag {
        let mut ctx = hmac::Context::with_key(&self.key);
        ctx.update(CONTEXT);
        ctx.update(url.as_bytes());
        ctx.sign()
    }

    /// The confirmation URL for `url`.
    pub fn wrap(&self, url: &str) -> String {
        let sig = b64url_encode(self.tag(url).as_ref());
        let mut out = self.base.clone();
        let pairs: Vec<(String, String)> = self
            .base
            .query_pairs()
            .map(|(k, v)| {
                let v = match v.as_ref() {
                    "{url}" => url.to_owned(),
                    "{sig}" => sig.clone(),
                    other => other.to_owned(),
                };
                (k.into_owned(), v)
            })
            .collect();
        out.query_pairs_mut().clear().extend_pairs(pairs);
        out.to_string()
    }

    /// The original URL of a confirmation URL made by [`wrap`](Self::wrap),
    /// after checking its MAC (in constant time).
    pub fn unwrap(&self, wrapped: &str) -> Result<String, LinksError> {
        let u = url::Url::parse(wrapped.trim()).map_err(|_| LinksError::BadWrappedUrl)?;
        if u.scheme() != self.base.scheme()
            || u.host_str() != self.base.host_str()
            || u.path() != self.base.path()
        {
            return Err(LinksError::BadWrappedUrl);
        }
        let mut original = None;
        let mut sig = None;
        for (k, v) in u.query_pairs() {
            if k == self.url_param.as_str() && original.is_none() {
                original = Some(v.into_owned());
            } else if k == self.sig_param.as_str() && sig.is_none() {
                sig = Some(v.into_owned());
            }
        }
        let (Some(original), Some(sig)) = (original, sig) else {
            return Err(LinksError::BadWrappedUrl);
        };
        let tag = b64url_decode(&sig).ok_or(LinksError::BadWrappedUrl)?;
        let mut msg = Vec::with_capacity(CONTEXT.len() + original.len());
        msg.extend_from_slice(CONTEXT);
        msg.extend_from_slice(original.as_bytes());
        hmac::verify(&self.key, &msg, &tag).map_err(|_| LinksError::BadWrappedUrl)?;
        Ok(original)
    }

    /// Rewrite an HTML document so that every `http`/`https` link (`a`,
    /// `area`, `form action`) goes through the confirmation URL.
    pub fn rewrite_html(&self, html: &str) -> Result<String, LinksError> {
        let out = Rc::new(RefCell::new(Vec::with_capacity(
            html.len() + html.len() / 4,
        )));
        let sink_out = Rc::clone(&out);
        let wrap_attr = |el: &mut Element<'_, '_>, attr: &str| {
            if let Some(v) = el.get_attribute(attr) {
                let decoded = decode_entities(v.trim());
                let lower = decoded.get(..8).unwrap_or(&decoded).to_ascii_lowercase();
                if lower.starts_with("http://")
                    || lower.starts_with("https://")
                    || lower.starts_with("www.")
                {
                    let target = if lower.starts_with("www.") {
                        format!("http://{decoded}")
                    } else {
                        decoded
                    };
                    // set_attribute escapes '"' but not '&': escape it so the value reads back the same.
                    let wrapped = self.wrap(&target).replace('&', "&amp;");
                    let _ = el.set_attribute(attr, &wrapped);
                }
            }
        };
        let settings = Settings::new()
            .with_strict(false)
            .append_element_content_handler(element!("a[href], area[href]", |el: &mut Element<
                '_,
                '_,
            >| {
                wrap_attr(el, "href");
                Ok(())
            }))
            .append_element_content_handler(element!("form[action]", |el: &mut Element<
                '_,
                '_,
            >| {
                wrap_attr(el, "action");
                Ok(())
            }));
        let mut rewriter = HtmlRewriter::new(settings, move |chunk: &[u8]| {
            sink_out.borrow_mut().extend_from_slice(chunk)
        });
        rewriter.write(html.as_bytes()).map_err(LinksError::Html)?;
        rewriter.end().map_err(LinksError::Html)?;
        let bytes = std::mem::take(&mut *out.borrow_mut());
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// The MAC travels as unpadded base64url; decoding is strict (no padding, no
/// stray trailing bits), so one tag has one spelling.
fn b64url_encode(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
    const TEMPLATE: &str = "https://confirm.example.net/go?lang=en&u={url}&s={sig}";

    #[test]
    fn wrap_unwrap() {
        let rw = LinkRewriter::new(KEY, TEMPLATE).unwrap();
        for url in [
            "https://a.example/x?y=1&z=%20#frag",
            "http://b.example/",
            "https://c.example/ü?q=ä",
        ] {
            let w = rw.wrap(url);
            assert!(w.contains("lang=en"));
            assert_eq!(rw.unwrap(&w).unwrap(), url);
        }
    }

    #[test]
    fn tampering_is_rejected() {
        let rw = LinkRewriter::new(KEY, TEMPLATE).unwrap();
        let w = rw.wrap("https://a.example/x");
        let tampered = w.replace("a.example", "evil.example");
        assert!(matches!(
            rw.unwrap(&tampered),
            Err(LinksError::BadWrappedUrl)
        ));
        let other = LinkRewriter::new(b"another key of 16+ bytes", TEMPLATE).unwrap();
        assert!(other.unwrap(&w).is_err());
        assert!(rw.unwrap("https://elsewhere.example/go?u=x&s=y").is_err());
        assert!(rw.unwrap("not a url").is_err());
    }

    #[test]
    fn bad_setup() {
        assert!(matches!(
            LinkRewriter::new(b"short", TEMPLATE),
            Err(LinksError::ShortKey)
        ));
        assert!(LinkRewriter::new(KEY, "https://c.example/go?u={url}").is_err());
        assert!(LinkRewriter::new(KEY, "/relative?u={url}&s={sig}").is_err());
    }

    #[test]
    fn html_rewriting() {
        let rw = LinkRewriter::new(KEY, TEMPLATE).unwrap();
        let html = r##"<p><a href="https://a.example/x?y=1&amp;z=2">A</a> <a href="mailto:x@y">m</a> <a href="#top">t</a><form action="http://f.example/p"></form></p>"##;
        let out = rw.rewrite_html(html).unwrap();
        assert!(out.contains("mailto:x@y") && out.contains("href=\"#top\""));
        let mut links = Vec::new();
        crate::extract::links_in_html(&out, &mut links);
        let targets: Vec<String> = links
            .iter()
            .filter(|l| l.target.starts_with("https://confirm.example.net/"))
            .map(|l| rw.unwrap(&l.target).unwrap())
            .collect();
        assert_eq!(
            targets,
            ["https://a.example/x?y=1&z=2", "http://f.example/p"]
        );
    }

    #[test]
    fn base64() {
        for n in 0..40u8 {
            let data: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(b64url_decode(&b64url_encode(&data)).unwrap(), data);
        }
    }
}
