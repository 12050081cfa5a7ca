//! The link checker: lists, feeds and model built once, then used for every message.

use std::net::IpAddr;
use std::sync::Arc;

use aho_corasick::AhoCorasick;
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use mailsec_dns::Resolver;

use crate::LinksError;
use crate::extract::{
    HtmlFacts, LinkSource, MAX_NESTING, RawLink, links_in_html, links_in_text, nested_urls_in,
};
use crate::feeds::{FeedSet, Feeds};
use crate::lists::{
    self, Brands, FastMap, FastSet, SuffixSet, edit_distance_ascii, is_mixed_script,
};
use crate::message_model::{MessageFeatures, MessageModel, Payload};
use crate::model::{
    FeatureLists, Features, HostFeatures, UrlModel, UrlWordHits, UrlWords, features,
    features_on_host,
};
use crate::normalize::{
    HostKind, NormalizedUrl, domain_in_text, normalize_url, normalize_url_lenient,
    registered_domain_of,
};
use crate::text_model::TextModel;
use crate::verdict::{LinkFinding, MessageReport, Reason, Verdict};

/// Score at which a link or message becomes suspicious.
pub const SUSPICIOUS_AT: f32 = 0.5;
/// Score at which a link or message becomes phishing.
pub const PHISHING_AT: f32 = 1.0;

/// The most the lexical model adds to a link's score. The model is trained
/// on public phishing lists against a benign list of ~150 sites and the
/// links of ~1,000 domains seen in ham mail, so it is trusted to ask for
/// confirmation (suspicious), not to call a URL phishing on its own; with
/// other evidence it tips a link over.
pub const MODEL_WEIGHT: f32 = 0.5;

/// The most the lexical model adds to a message's score.
pub const MODEL_IN_MESSAGE: f32 = 0.35;

/// Most links judged per message.
const MAX_LINKS: usize = 2000;
/// Most nested messages followed.
const MAX_MESSAGE_DEPTH: usize = 3;
/// Most text scanned for wording, per message.
const MAX_WORDING_TEXT: usize = 64 * 1024;

/// Builds a [`LinkChecker`]: shipped lists plus the caller's additions.
#[derive(Debug)]
pub struct LinkCheckerBuilder {
    brands: Brands,
    own: SuffixSet,
    redirectors: SuffixSet,
    shorteners: SuffixSet,
    free_hosting: SuffixSet,
    suspicious_tlds: SuffixSet,
    feeds: Option<Arc<Feeds>>,
    model: Option<UrlModel>,
    use_model: bool,
    message_model: Option<MessageModel>,
    use_message_model: bool,
    text_model: Option<TextModel>,
    use_text_model: bool,
    uribl_zones: Vec<String>,
}

impl Default for LinkCheckerBuilder {
    fn default() -> Self {
        LinkCheckerBuilder {
            brands: Brands::from_list(lists::BRANDS),
            own: SuffixSet::default(),
            redirectors: SuffixSet::from_list(lists::REDIRECTORS),
            shorteners: SuffixSet::from_list(lists::SHORTENERS),
            free_hosting: SuffixSet::from_list(lists::FREE_HOSTING),
            suspicious_tlds: SuffixSet::from_list(lists::SUSPICIOUS_TLDS),
            feeds: None,
            model: None,
            use_model: true,
            message_model: None,
            use_message_model: true,
            text_model: None,
            use_text_model: true,
            uribl_zones: Vec::new(),
        }
    }
}

impl LinkCheckerBuilder {
    /// Protect a brand: its name (as it appears in host names) and the
    /// registered domains that belong to it.
    pub fn brand(mut self, name: &str, domains: &[&str]) -> Self {
        self.brands.add(name, domains.iter().copied(), false);
        self
    }

    /// One of the caller's own domains: links there are trusted and text
    /// naming them is not a mismatch.
    pub fn own_domain(mut self, domain: &str) -> Self {
        self.own.insert(domain);
        self
    }

    /// A click-tracking or redirect service whose links may show another domain.
    pub fn redirector(mut self, domain: &str) -> Self {
        self.redirectors.insert(domain);
        self
    }

    /// An extra URL shortener.
    pub fn shortener(mut self, domain: &str) -> Self {
        self.shorteners.insert(domain);
        self
    }

    /// Extra free-hosting or dynamic-DNS domain.
    pub fn free_hosting(mut self, domain: &str) -> Self {
        self.free_hosting.insert(domain);
        self
    }

    /// Block and allow sets, shared with whoever reloads them.
    pub fn feeds(mut self, feeds: Arc<Feeds>) -> Self {
        self.feeds = Some(feeds);
        self
    }

    /// Use this lexical model instead of the shipped one.
    pub fn model(mut self, model: UrlModel) -> Self {
        self.model = Some(model);
        self
    }

    /// Do not use the lexical model (rules, lists and feeds only).
    pub fn without_model(mut self) -> Self {
        self.use_model = false;
        self
    }

    /// Use this message model instead of the shipped one.
    pub fn message_model(mut self, model: MessageModel) -> Self {
        self.message_model = Some(model);
        self
    }

    /// Do not use the message model: the message verdict comes from the
    /// strongest link and the message reasons' weights alone (training tools
    /// use this to see the rules' verdict).
    pub fn without_message_model(mut self) -> Self {
        self.use_message_model = false;
        self
    }

    /// Use this content model instead of the shipped one.
    pub fn text_model(mut self, model: TextModel) -> Self {
        self.text_model = Some(model);
        self
    }

    /// Do not use the content model (its message feature `content_words`
    /// is then 0; training tools use this).
    pub fn without_text_model(mut self) -> Self {
        self.use_text_model = false;
        self
    }

    /// Query this URIBL/SURBL-style zone in [`LinkChecker::check_message_with_dns`].
    pub fn uribl_zone(mut self, zone: &str) -> Self {
        self.uribl_zones
            .push(zone.trim().trim_matches('.').to_ascii_lowercase());
        self
    }

    /// Build the checker.
    pub fn build(self) -> Result<LinkChecker, LinksError> {
        let model = match (self.use_model, self.model) {
            (false, _) => None,
            (true, Some(m)) => Some(m),
            (true, None) => Some(UrlModel::shipped()?),
        };
        let message_model = match (self.use_message_model, self.message_model) {
            (false, _) => None,
            (true, Some(m)) => Some(m),
            (true, None) => Some(MessageModel::shipped()?),
        };
        let text_model = match (self.use_text_model, self.text_model) {
            (false, _) => None,
            (true, Some(m)) => Some(m),
            (true, None) => Some(TextModel::shipped()?),
        };
        let mut brands = self.brands;
        brands
            .finish()
            .map_err(|e| LinksError::Model(e.to_string()))?;
        let wording = Wording::new(&brands).map_err(|e| LinksError::Model(e.to_string()))?;
        let credential_words =
            crate::model::credential_words().map_err(|e| LinksError::Model(e.to_string()))?;
        let url_words = UrlWords::new(&brands).map_err(|e| LinksError::Model(e.to_string()))?;
        let actions = actions_automaton().map_err(|e| LinksError::Model(e.to_string()))?;
        Ok(LinkChecker {
            credential_words,
            actions,
            url_words,
            brands,
            own: self.own,
            redirectors: self.redirectors,
            shorteners: self.shorteners,
            free_hosting: self.free_hosting,
            suspicious_tlds: self.suspicious_tlds,
            feeds: self.feeds.unwrap_or_default(),
            model,
            message_model,
            text_model,
            uribl_zones: self.uribl_zones,
            wording,
        })
    }
}

/// Phrase sets for credential-request wording.
#[derive(Debug)]
struct Wording {
    /// One automaton over every phrase of the four sets, in the order
    /// requests ([`ASK`]: verify/confirm/update your account ...), pressure
    /// ([`THREAT`]: suspended, within 24 hours ...), generic salutations
    /// ([`GREETING`]) and lures ([`LURE`]: prizes, refunds, parcels ...),
    /// followed by every brand token (pattern index − `phrases` = brand
    /// index), so the text is scanned once for the wording and the brands.
    ///
    /// The search is overlapping: it reports every occurrence of every
    /// pattern, ordered by end and, at one end, longest first (then by
    /// pattern index). [`Wording::scan`] derives from it exactly the
    /// matches a standard non-overlapping search of each set alone gives:
    /// the first match of the set starting at or after the end of the
    /// set's previous match.
    all: TextSearch,
    /// How many wording phrases come first in `all`.
    phrases: usize,
}

/// The automaton [`Wording::scan`] searches.
#[derive(Debug)]
enum TextSearch {
    /// Copied into one table (built whenever it can be).
    Dense(DenseDfa),
    /// The library's DFA and search loop.
    Library(aho_corasick::dfa::DFA),
}

/// An Aho-Corasick DFA copied into one flat table for the overlapping
/// search of a message's text: a byte's class, then one look-up and one
/// comparison a byte (match states are numbered last). It reports exactly
/// what `AhoCorasick::find_overlapping_iter` of the same automaton does —
/// at each end, the match state's patterns in the automaton's order —
/// without that iterator's general search loop.
#[derive(Debug)]
struct DenseDfa {
    /// Byte → equivalence class (bytes every state sends to the same place).
    classes: [u8; 256],
    /// Next state (premultiplied by the number of classes) at state ×
    /// classes + class.
    trans: Vec<u32>,
    /// The start state, premultiplied.
    start: u32,
    /// Premultiplied states at or above this are match states.
    match_from: u32,
    /// Number of classes (the stride of `trans`).
    stride: u32,
    /// Per match state (in order from `match_from`), the range of its
    /// matches in `hits`.
    match_ranges: Vec<(u32, u32)>,
    /// (pattern index, pattern length) of each match, in the automaton's order.
    hits: Vec<(u32, u32)>,
}

impl DenseDfa {
    /// The largest table built (states × classes); bigger automata keep
    /// the library's search.
    const MAX_CELLS: usize = 1 << 22;

    /// Copy an unanchored, ASCII-case-insensitive Aho-Corasick DFA of
    /// `patterns`; `None` if it has a dead or matching start (empty
    /// patterns) or is too large.
    ///
    /// Byte classes come from the patterns: a byte no pattern holds (ASCII
    /// letters folded) leads every state where the failure links end, the
    /// start; ASCII letters of either case lead alike. Each other byte is
    /// a class of its own (finer than needed, never coarser; checked
    /// against every byte of every state by a test).
    fn new<'p>(
        aut: &aho_corasick::dfa::DFA,
        patterns: impl IntoIterator<Item = &'p str>,
    ) -> Option<DenseDfa> {
        use aho_corasick::automaton::Automaton;
        let anchored = aho_corasick::Anchored::No;
        let start = aut.start_state(anchored).ok()?;
        if aut.is_dead(start) || aut.is_match(start) {
            return None;
        }
        let mut classes = [0u8; 256];
        let mut representatives: Vec<u8> = vec![0];
        for p in patterns {
            for b in p.bytes() {
                let b = b.to_ascii_lowercase();
                if classes[usize::from(b)] == 0 {
                    let class = u8::try_from(representatives.len()).ok()?;
                    representatives.push(b);
                    classes[usize::from(b)] = class;
                    classes[usize::from(b.to_ascii_uppercase())] = class;
                }
            }
        }
        // Class 0: a byte no pattern holds.
        let other = (0..=255u8).find(|&b| classes[usize::from(b)] == 0)?;
        *representatives.first_mut()? = other;
        let stride = representatives.len();
        // Every state reachable from the start, and its transitions (as
        // indices in `states`), in the order found.
        let mut states = vec![start];
        let mut index: FastMap<usize, usize> = FastMap::default();
        index.insert(start.as_usize(), 0);
        let mut found: Vec<usize> = Vec::new();
        let mut i = 0;
        while let Some(&sid) = states.get(i) {
            for &b in &representatives {
                let next = aut.next_state(anchored, sid, b);
                if aut.is_dead(next) {
                    return None;
                }
                let n = states.len();
                let at = *index.entry(next.as_usize()).or_insert(n);
                if at == n {
                    states.push(next);
                }
                found.push(at);
            }
            if states.len().checked_mul(stride)? > Self::MAX_CELLS {
                return None;
            }
            i += 1;
        }
        // Non-match states first, then match states.
        let order: Vec<usize> = (0..states.len())
            .filter(|&i| states.get(i).is_some_and(|&s| !aut.is_match(s)))
            .chain((0..states.len()).filter(|&i| states.get(i).is_some_and(|&s| aut.is_match(s))))
            .collect();
        let mut new_of = vec![0usize; states.len()];
        for (new, &old) in order.iter().enumerate() {
            *new_of.get_mut(old)? = new;
        }
        let mut trans = Vec::with_capacity(states.len() * stride);
        let mut match_ranges = Vec::new();
        let mut hits = Vec::new();
        for &old in &order {
            let sid = *states.get(old)?;
            for &next in found.get(old * stride..(old + 1) * stride)? {
                trans.push(u32::try_from(new_of.get(next)? * stride).ok()?);
            }
            if aut.is_match(sid) {
                let from = u32::try_from(hits.len()).ok()?;
                for k in 0..aut.match_len(sid) {
                    let pid = aut.match_pattern(sid, k);
                    hits.push((pid.as_u32(), u32::try_from(aut.pattern_len(pid)).ok()?));
                }
                match_ranges.push((from, u32::try_from(hits.len()).ok()?));
            }
        }
        let non_match = states.len() - match_ranges.len();
        Some(DenseDfa {
            classes,
            trans,
            start: u32::try_from(new_of.first()? * stride).ok()?,
            match_from: u32::try_from(non_match * stride).ok()?,
            stride: u32::try_from(stride).ok()?,
            match_ranges,
            hits,
        })
    }

    /// Every occurrence of every pattern in `hay` as (pattern, start, end),
    /// in the order of `find_overlapping_iter`.
    fn for_each_overlapping(&self, hay: &[u8], mut f: impl FnMut(usize, usize, usize)) {
        let mut s = self.start;
        for (at, &b) in hay.iter().enumerate() {
            let class = u32::from(self.classes[usize::from(b)]);
            s = self
                .trans
                .get((s + class) as usize)
                .copied()
                .unwrap_or(self.start);
            if s >= self.match_from {
                let k = ((s - self.match_from) / self.stride) as usize;
                let Some(&(from, to)) = self.match_ranges.get(k) else {
                    continue;
                };
                let end = at + 1;
                for &(pid, len) in self
                    .hits
                    .get(from as usize..to as usize)
                    .unwrap_or_default()
                {
                    f(pid as usize, end - len as usize, end);
                }
            }
        }
    }
}

/// What one pass over a message's text found.
#[derive(Debug, Clone, Copy, Default)]
struct TextScan {
    words: WordCounts,
    /// A brand named in the text as a whole word (not a common word, four
    /// letters or more) that does not own the sender's registered domain.
    brand_named_not_sender: bool,
}

/// Distinct phrases of each kind found in a message's text.
#[derive(Debug, Clone, Copy, Default)]
struct WordCounts {
    ask: usize,
    threat: usize,
    greeting: usize,
    lure: usize,
}

const ASK: &[&str] = &[
    "verify your",
    "confirm your",
    "update your",
    "validate your",
    "verify account",
    "confirm account",
    "reactivate",
    "re-activate",
    "unlock your",
    "restore your",
    "secure your account",
    "log in to your",
    "login to your",
    "sign in to your",
    "log into your",
    "account verification",
    "billing information",
    "payment information",
    "payment details",
    "card details",
    "social security number",
    "enter your password",
    "reset your password",
    "password expire",
    "mailbox",
    "storage is full",
    "pending messages",
    "undelivered messages",
    "shared a document",
    "shared a file",
    "account information",
    "personal information",
    "your identity",
    "アカウント",
    "ログイン",
    "パスワード",
    "ご本人",
    "お支払い",
    "カード情報",
    "sua conta",
    "seus dados",
    "senha",
    "su cuenta",
    "contraseña",
    "votre compte",
    "mot de passe",
    "ihr konto",
    "passwort",
    "il tuo account",
];

const THREAT: &[&str] = &[
    "suspended",
    "account has been locked",
    "account is locked",
    "account will be",
    "has been limited",
    "unusual activity",
    "unusual sign",
    "suspicious activity",
    "unauthorized",
    "unauthorised",
    "will be closed",
    "will be deactivated",
    "deactivated",
    "will be terminated",
    "will expire",
    "has expired",
    "within 24 hours",
    "within 48 hours",
    "within 72 hours",
    "failure to",
    "permanently",
    "security alert",
    "security notice",
    "security reasons",
    "final notice",
    "action required",
    "停止",
    "制限",
    "期限",
    "bloquead",
    "suspens",
    "vencid",
    "gesperrt",
    "urgente",
];

const GREETING: &[&str] = &[
    "dear customer",
    "dear user",
    "dear member",
    "dear client",
    "dear valued",
    "valued customer",
    "valued member",
    "dear account holder",
    "dear card holder",
    "dear cardholder",
    "dear account owner",
    "dear sir/madam",
    "dear sir or madam",
    "dear beneficiary",
    "dear friend",
    "dear e-mail user",
    "dear email user",
    "dear webmail",
    "prezado cliente",
    "prezado(a)",
    "caro cliente",
    "estimado cliente",
    "querido cliente",
    "cher client",
    "chère cliente",
    "sehr geehrter kunde",
    "lieber kunde",
    "お客様",
];

const LURE: &[&str] = &[
    "you have won",
    "you've won",
    "winner",
    "lottery",
    "claim your",
    "your prize",
    "reward",
    "congratulations",
    "gift card",
    "refund",
    "tax return",
    "inheritance",
    "next of kin",
    "beneficiary",
    "bitcoin",
    "crypto",
    "wallet",
    "invoice",
    "overdue",
    "outstanding balance",
    "parcel",
    "package",
    "shipment",
    "delivery",
    "tracking number",
    "customs fee",
    "voicemail",
    "fax",
    "prêmio",
    "parabéns",
    "resgat",
    "pontos",
    "boleto",
    "fatura",
    "pagamento",
    "encomenda",
    "entrega",
    "premio",
    "factura",
    "reembolso",
    "recompensa",
    "当選",
    "ポイント",
    "配送",
];

impl Wording {
    fn new(brands: &Brands) -> Result<Self, aho_corasick::BuildError> {
        let phrases = ASK.len() + THREAT.len() + GREETING.len() + LURE.len();
        let patterns = || {
            ASK.iter()
                .chain(THREAT)
                .chain(GREETING)
                .chain(LURE)
                .copied()
                .chain(brands.list.iter().map(|b| b.token.as_str()))
        };
        let dfa = aho_corasick::dfa::DFA::builder()
            .ascii_case_insensitive(true)
            .prefilter(false)
            .build(patterns())?;
        let all = match DenseDfa::new(&dfa, patterns()) {
            Some(d) => TextSearch::Dense(d),
            None => TextSearch::Library(dfa),
        };
        Ok(Wording { all, phrases })
    }

    /// Distinct phrases of each kind in `text` (non-overlapping matches of
    /// the four sets together), and whether a brand is named in it (by
    /// the non-overlapping matches of the brand tokens alone).
    fn scan(&self, text: &str, brands: &Brands, from_reg: Option<&str>) -> TextScan {
        // One bit per phrase of each set (every set has fewer than 128).
        let mut seen = [0u128; 4];
        let bounds = [
            ASK.len(),
            ASK.len() + THREAT.len(),
            ASK.len() + THREAT.len() + GREETING.len(),
        ];
        let bytes = text.as_bytes();
        let mut named = false;
        // Where each set's next non-overlapping match may start.
        let mut phrase_from = 0;
        let mut brand_from = 0;
        let mut each = |i: usize, start: usize, end: usize| {
            if let Some(bi) = i.checked_sub(self.phrases) {
                if named || start < brand_from {
                    return;
                }
                brand_from = end;
                let Some(b) = brands.list.get(bi) else {
                    return;
                };
                named = !b.common_word
                    && b.token.len() >= 4
                    && (start == 0
                        || bytes
                            .get(start - 1)
                            .is_some_and(|x| !x.is_ascii_alphanumeric()))
                    && bytes.get(end).is_none_or(|x| !x.is_ascii_alphanumeric())
                    && !from_reg.is_some_and(|d| Brands::owns(b, d));
                return;
            }
            if start < phrase_from {
                return;
            }
            phrase_from = end;
            let set = bounds.iter().take_while(|b| i >= **b).count();
            let first = set
                .checked_sub(1)
                .and_then(|k| bounds.get(k))
                .copied()
                .unwrap_or(0);
            if let Some(bits) = seen.get_mut(set) {
                *bits |= 1u128 << ((i - first) % 128);
            }
        };
        match &self.all {
            TextSearch::Dense(d) => d.for_each_overlapping(bytes, each),
            TextSearch::Library(dfa) => {
                use aho_corasick::automaton::{Automaton, OverlappingState};
                let input = aho_corasick::Input::new(text);
                let mut state = OverlappingState::start();
                while dfa.try_find_overlapping(&input, &mut state).is_ok() {
                    let Some(m) = state.get_match() else { break };
                    each(m.pattern().as_usize(), m.start(), m.end());
                }
            }
        }
        let [ask, threat, greeting, lure] = seen.map(|b| b.count_ones() as usize);
        TextScan {
            words: WordCounts {
                ask,
                threat,
                greeting,
                lure,
            },
            brand_named_not_sender: named,
        }
    }
}

/// Finds and judges the links of messages and URLs.
///
/// Build it once ([`LinkChecker::builder`]) and share it: it is `Send + Sync`
/// and every check borrows it immutably; feeds reload underneath it.
#[derive(Debug)]
pub struct LinkChecker {
    credential_words: AhoCorasick,
    actions: AhoCorasick,
    url_words: UrlWords,
    brands: Brands,
    own: SuffixSet,
    redirectors: SuffixSet,
    shorteners: SuffixSet,
    free_hosting: SuffixSet,
    suspicious_tlds: SuffixSet,
    feeds: Arc<Feeds>,
    model: Option<UrlModel>,
    message_model: Option<MessageModel>,
    text_model: Option<TextModel>,
    uribl_zones: Vec<String>,
    wording: Wording,
}

/// Host-level reasons per host, within one message.
type HostCache = FastMap<String, HostFacts>;

/// What [`LinkChecker::host_reasons`] finds about a host.
#[derive(Debug, Clone)]
struct HostFacts {
    reasons: Vec<Reason>,
    /// Whether the brand-in-path check applies.
    check_path: bool,
    /// The host is under a free-hosting or dynamic-DNS domain.
    free_hosting: bool,
    /// The host is a URL shortener.
    shortener: bool,
}

/// A target as written → its normalised form (`None`: not a URL) and the
/// reasons that depend on the URL alone, with their score.
type UrlCache = FastMap<String, Option<(NormalizedUrl, Vec<Reason>, f32, f32)>>;

/// What one message's check remembers: reasons per URL and per host.
#[derive(Default)]
struct Caches<'a> {
    urls: UrlCache,
    resources: UrlCache,
    hosts: HostCache,
    /// Targets found more than once in the message: only these (and nested
    /// targets) are worth a copy in `urls`/`resources`.
    repeated: FastSet<&'a str>,
    host_features: HostFeatureCache,
}

/// The lexical model's host features per host, within one message.
type HostFeatureCache = FastMap<String, HostFeatures>;

/// The feed snapshots one check uses.
struct Snap {
    block: Arc<FeedSet>,
    allow: Arc<FeedSet>,
}

/// What walking a message's parts collects.
#[derive(Default)]
struct Collected {
    links: Vec<RawLink>,
    text: String,
    /// White-space separated words in `text` (counted once the text is complete).
    words: usize,
    forms: usize,
    password_fields: usize,
    html_attachments: Vec<String>,
    /// Attachments that are archives, and those that are programs, scripts
    /// or macro documents.
    archives: usize,
    executables: usize,
}

impl Collected {
    fn add_text(&mut self, t: &str) {
        if self.text.len() < MAX_WORDING_TEXT {
            let room = MAX_WORDING_TEXT - self.text.len();
            let mut end = t.len().min(room);
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            self.text.push_str(t.get(..end).unwrap_or_default());
            self.text.push('\n');
        }
    }

    fn add_html(&mut self, html: &str) {
        let HtmlFacts {
            text,
            forms,
            password_fields,
        } = links_in_html(html, &mut self.links);
        self.add_text(&text);
        self.forms += forms;
        self.password_fields += password_fields;
    }
}

impl LinkChecker {
    /// A builder with the shipped brand, shortener, redirector, free-hosting and TLD lists.
    pub fn builder() -> LinkCheckerBuilder {
        LinkCheckerBuilder::default()
    }

    /// A checker with the shipped lists and model and no feeds.
    pub fn new() -> Result<Self, LinksError> {
        Self::builder().build()
    }

    /// The block and allow sets this checker reads (reload them with
    /// [`Feeds::replace_block`] / [`Feeds::replace_allow`]).
    pub fn feeds(&self) -> &Arc<Feeds> {
        &self.feeds
    }

    fn snap(&self) -> Snap {
        Snap {
            block: self.feeds.block(),
            allow: self.feeds.allow(),
        }
    }

    /// The lexical model's features for a URL (for training tools).
    pub fn url_features(&self, url: &NormalizedUrl, dim: usize) -> Features {
        features(url, &self.feature_lists(), dim)
    }

    fn feature_lists(&self) -> FeatureLists<'_> {
        FeatureLists {
            credential_words: &self.credential_words,
            brands: &self.brands,
            suspicious_tlds: &self.suspicious_tlds,
            free_hosting: &self.free_hosting,
            shorteners: &self.shorteners,
        }
    }

    /// Judge one URL on its own (no visible text). Text without a scheme
    /// is read as `http://`. An unparsable URL is `safe` with no reasons
    /// and its text kept as written.
    pub fn check_url(&self, raw: &str) -> LinkFinding {
        let snap = self.snap();
        match normalize_url_lenient(raw) {
            Some(u) => {
                let (reasons, score, url_p) = self.url_reasons(
                    &u,
                    &snap,
                    &mut HostCache::default(),
                    &mut HostFeatureCache::default(),
                    true,
                );
                self.finding(u, None, LinkSource::Text, reasons, (score, url_p))
            }
            None => LinkFinding {
                url: raw.trim().to_owned(),
                shown: None,
                source: LinkSource::Text,
                verdict: Verdict::Safe,
                score: 0.0,
                reasons: Vec::new(),
                host: None,
                registered_domain: None,
                model_part: 0.0,
                url_p: 0.0,
            },
        }
    }

    /// Parse raw bytes and check the message. Prefer
    /// [`check_message`](Self::check_message) when the message is already parsed.
    pub fn check_raw(&self, raw: &[u8]) -> Result<MessageReport, LinksError> {
        let msg = MessageParser::default()
            .parse(raw)
            .ok_or(LinksError::UnparsableMessage)?;
        Ok(self.check_message(&msg))
    }

    /// Find and judge every link of a parsed message, and judge the message.
    pub fn check_message(&self, msg: &Message<'_>) -> MessageReport {
        let snap = self.snap();
        let mut c = Collected::default();
        if let Some(subject) = msg.subject() {
            links_in_text(subject, LinkSource::Subject, &mut c.links);
            c.add_text(subject);
        }
        collect_parts(msg, 0, &mut c);
        c.words = count_words(&c.text);

        let expected = c.links.len().min(MAX_LINKS);
        let mut seen = FastSet::with_capacity_and_hasher(expected, Default::default());
        let mut once = FastSet::with_capacity_and_hasher(expected, Default::default());
        let mut repeated = FastSet::default();
        for raw in &c.links {
            if !once.insert(raw.target.as_str()) {
                repeated.insert(raw.target.as_str());
            }
        }
        drop(once);
        let mut cache = Caches {
            repeated,
            ..Caches::default()
        };
        let mut findings = Vec::new();
        for raw in &c.links {
            if findings.len() >= MAX_LINKS {
                break;
            }
            if !seen.insert((raw.target.as_str(), raw.shown.as_deref(), raw.source)) {
                continue;
            }
            self.judge_link(raw, &snap, &mut cache, 0, &mut findings);
        }

        let from_reg = from_registered_domain(msg);
        let scan = self
            .wording
            .scan(&c.text, &self.brands, from_reg.as_deref());
        let reasons = self.message_reasons(msg, from_reg.as_deref(), &c, &findings, &scan.words);
        let mut features =
            self.message_features(from_reg.as_deref(), &c, &scan, &findings, &reasons);
        self.sender_features(msg, from_reg.as_deref(), &c, &mut features);
        self.payload_features(
            from_reg.as_deref(),
            &c,
            &scan.words,
            &findings,
            &mut features,
        );
        let sender_name = msg.from().and_then(|a| a.first()).and_then(|a| a.name());
        let content = self
            .text_model
            .as_ref()
            .map(|t| t.message_log_odds(&c.text, sender_name));
        if let Some(z) = content {
            features.set("content_words", z.clamp(-10.0, 10.0));
        }
        let mut report = MessageReport {
            verdict: Verdict::Safe,
            score: 0.0,
            links: findings,
            reasons,
            features,
            rule_verdict: Verdict::Safe,
        };
        if let Some(m) = &self.message_model {
            let p = m.probability(&report.features);
            if p >= m.suspicious_threshold() {
                let evidence: Vec<String> = m
                    .evidence(&report.features, 4)
                    .into_iter()
                    .map(|(name, _)| name.to_owned())
                    .collect();
                let words = match &self.text_model {
                    Some(t) if evidence.iter().any(|e| e == "content_words") => {
                        t.top_words(&c.text, 6)
                    }
                    _ => Vec::new(),
                };
                report.reasons.push(Reason::MessageModel {
                    probability: p,
                    phishing: p >= m.phishing_threshold(),
                    evidence,
                });
                if !words.is_empty() {
                    report.reasons.push(Reason::ContentWords {
                        probability: content.map_or(0.0, crate::model::sigmoid),
                        words,
                    });
                }
            }
        }
        self.score_message(&mut report);
        // The lexical URL model over-fires on ordinary links in mail: on its
        // own it does not flag a link of a message nothing else finds
        // suspicious (the reason stays listed; `check_url` is unchanged).
        if report.verdict == Verdict::Safe {
            for l in &mut report.links {
                if l.verdict == Verdict::Suspicious && l.score - l.model_part < SUSPICIOUS_AT {
                    l.verdict = Verdict::Safe;
                }
            }
        }
        report
    }

    /// The text the wording checks and the content model read: the Subject,
    /// the text parts and the visible text of the HTML parts (for training
    /// tools; [`check_message`](Self::check_message) collects it itself).
    pub fn message_text(&self, msg: &Message<'_>) -> String {
        let mut c = Collected::default();
        if let Some(subject) = msg.subject() {
            c.add_text(subject);
        }
        collect_parts(msg, 0, &mut c);
        c.text
    }

    /// [`check_message`](Self::check_message), then URIBL look-ups of the
    /// links' registered domains in the configured zones.
    pub async fn check_message_with_dns(
        &self,
        msg: &Message<'_>,
        resolver: &dyn Resolver,
    ) -> Result<MessageReport, LinksError> {
        let mut report = self.check_message(msg);
        let listed = self.uribl_lookup(&report, resolver).await?;
        if !listed.is_empty() {
            for f in &mut report.links {
                let Some(d) = f.registered_domain.as_deref() else {
                    continue;
                };
                for (domain, zone) in &listed {
                    if domain == d {
                        f.reasons.insert(0, Reason::Uribl { zone: zone.clone() });
                        f.score += Reason::Uribl {
                            zone: String::new(),
                        }
                        .weight();
                        f.verdict = verdict_for(f.score);
                    }
                }
            }
            self.score_message(&mut report);
        }
        Ok(report)
    }

    /// The `(registered domain, zone)` pairs listed in the configured URIBL zones.
    pub async fn uribl_lookup(
        &self,
        report: &MessageReport,
        resolver: &dyn Resolver,
    ) -> Result<Vec<(String, String)>, LinksError> {
        let mut domains: Vec<&str> = Vec::new();
        for f in report.links.iter().filter(|f| f.source.is_clickable()) {
            if let Some(d) = f.registered_domain.as_deref()
                && !domains.contains(&d)
                && domains.len() < 20
            {
                domains.push(d);
            }
        }
        let mut listed = Vec::new();
        for zone in &self.uribl_zones {
            for d in &domains {
                match resolver.a(&format!("{d}.{zone}")).await {
                    Ok(answer) => {
                        let hit = answer.records().iter().any(|ip| {
                            let o = ip.octets();
                            o[0] == 127
                                && *ip != std::net::Ipv4Addr::new(127, 0, 0, 1)
                                && o[1] != 255
                        });
                        if hit {
                            listed.push(((*d).to_owned(), zone.clone()));
                        }
                    }
                    Err(e) if e.is_void() => {}
                    Err(e) => return Err(LinksError::Dns(e)),
                }
            }
        }
        Ok(listed)
    }

    fn finding(
        &self,
        u: NormalizedUrl,
        shown: Option<String>,
        source: LinkSource,
        mut reasons: Vec<Reason>,
        (score, url_p): (f32, f32),
    ) -> LinkFinding {
        reasons.sort_by(|a, b| b.weight().total_cmp(&a.weight()));
        let blocked = reasons
            .iter()
            .any(|r| matches!(r, Reason::Blocklisted { .. }));
        let allowed = !blocked && reasons.iter().any(|r| matches!(r, Reason::Allowlisted));
        let model_part = reasons
            .iter()
            .find_map(|r| match r {
                Reason::Model { probability } => Some(self.model_weight(*probability)),
                _ => None,
            })
            .unwrap_or(0.0);
        let verdict = if allowed {
            Verdict::Safe
        } else {
            verdict_for(score)
        };
        let (url, host, registered_domain) = u.into_parts();
        LinkFinding {
            url,
            shown,
            source,
            verdict,
            score: if allowed { 0.0 } else { score },
            reasons,
            host,
            registered_domain,
            model_part,
            url_p,
        }
    }

    /// What a model probability adds to a link's score: at most
    /// [`MODEL_WEIGHT`], so the model on its own makes a URL suspicious,
    /// never phishing.
    fn model_weight(&self, p: f32) -> f32 {
        match &self.model {
            Some(m) if p >= m.phishing_threshold() => MODEL_WEIGHT,
            Some(m) if p >= m.suspicious_threshold() => MODEL_WEIGHT / 2.0,
            _ => 0.0,
        }
    }

    fn is_own(&self, u: &NormalizedUrl) -> bool {
        u.host_str().is_some_and(|h| self.own.matching(h).is_some())
    }

    /// Reasons that depend on the URL alone, and their score.
    fn url_reasons(
        &self,
        u: &NormalizedUrl,
        snap: &Snap,
        hosts: &mut HostCache,
        host_features: &mut HostFeatureCache,
        with_model: bool,
    ) -> (Vec<Reason>, f32, f32) {
        let mut reasons = Vec::new();
        if let Some(m) = snap.block.matches(u) {
            reasons.push(Reason::Blocklisted { matched: m });
        }
        if snap.allow.matches(u).is_some() || self.is_own(u) {
            reasons.push(Reason::Allowlisted);
            let score = reasons.iter().map(Reason::weight).sum::<f32>() + 0.0;
            return (reasons, score, 0.0);
        }
        let scheme = u.scheme();
        if matches!(scheme, "javascript" | "vbscript" | "data") {
            reasons.push(Reason::DangerousScheme {
                scheme: scheme.to_owned(),
            });
            let score = reasons.iter().map(Reason::weight).sum::<f32>() + 0.0;
            return (reasons, score, 0.0);
        }
        if u.had_invisible_chars() {
            reasons.push(Reason::InvisibleChars);
        }
        let host = u.host_str().unwrap_or_default();
        let words =
            self.url_words
                .scan(&self.brands, host, u.path(), u.query().unwrap_or_default());
        // A domain's free-hosting and shortener look-ups, for the model's host features.
        let mut known = None;
        match u.host_kind() {
            HostKind::Ipv4 | HostKind::Ipv6 => {
                let private = host.parse::<IpAddr>().is_ok_and(|ip| match ip {
                    IpAddr::V4(v4) => {
                        v4.is_private()
                            || v4.is_loopback()
                            || v4.is_link_local()
                            || v4.is_unspecified()
                    }
                    IpAddr::V6(v6) => v6.is_loopback() || v6.is_unspecified(),
                });
                reasons.push(Reason::IpHost { private });
            }
            HostKind::Domain => {
                known = Some(self.domain_reasons(u, host, &words, hosts, &mut reasons));
            }
            _ => {}
        }
        if u.has_userinfo() {
            let user = u.username();
            let user = url::form_urlencoded::parse(format!("u={user}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            reasons.push(Reason::UserInfo { user });
        }
        if let Some(port) = u.port()
            && !matches!(port, 80 | 443 | 8080 | 8443)
        {
            reasons.push(Reason::NonStandardPort { port });
        }
        let count = words.credential_words;
        if count > 0 {
            reasons.push(Reason::CredentialWords { count });
        }
        let mut score: f32 = reasons.iter().map(Reason::weight).sum::<f32>() + 0.0;
        let mut url_p = 0.0;
        // A protected brand's own domains are known: the model is for URLs nobody vouches for.
        let brand_owned = u
            .registered_domain()
            .is_some_and(|d| self.brands.owner_of(d).is_some())
            && self.free_hosting.matching(host).is_none();
        if let Some(model) = &self.model
            && with_model
            && !brand_owned
            && matches!(
                u.host_kind(),
                HostKind::Domain | HostKind::Ipv4 | HostKind::Ipv6
            )
        {
            let lists = self.feature_lists();
            let ip = matches!(u.host_kind(), HostKind::Ipv4 | HostKind::Ipv6);
            let f = match host_features.get(host).filter(|hf| hf.is_ip() == ip) {
                Some(hf) => features_on_host(u, &lists, model.dim(), Some(&words), hf),
                None => {
                    let hf = crate::model::host_features_known(u, &lists, known);
                    let f = features_on_host(u, &lists, model.dim(), Some(&words), &hf);
                    if host_features.len() < MAX_LINKS {
                        host_features.insert(host.to_owned(), hf);
                    }
                    f
                }
            };
            let p = model.probability_of(&f);
            url_p = p;
            let w = self.model_weight(p);
            if w > 0.0 {
                reasons.push(Reason::Model { probability: p });
                score += w;
            }
        }
        (reasons, score, url_p)
    }

    /// Reasons that depend on the host (looked up once per host and
    /// message), then the brand-in-path check when the host named no brand.
    fn domain_reasons(
        &self,
        u: &NormalizedUrl,
        host: &str,
        words: &UrlWordHits,
        hosts: &mut HostCache,
        reasons: &mut Vec<Reason>,
    ) -> (bool, bool) {
        let facts = match hosts.get(host) {
            Some(hit) => hit.clone(),
            None => {
                let r = self.host_reasons(u, host);
                if hosts.len() < MAX_LINKS {
                    hosts.insert(host.to_owned(), r.clone());
                }
                r
            }
        };
        let HostFacts {
            reasons: host_reasons,
            check_path,
            free_hosting,
            shortener,
        } = facts;
        reasons.extend(host_reasons);
        if check_path
            && let Some(b) = words
                .brand_word_in_path
                .and_then(|i| self.brands.list.get(i))
        {
            // A protected brand's name in the path, as a whole word.
            reasons.push(Reason::BrandInPath {
                brand: b.token.clone(),
            });
        }
        (free_hosting, shortener)
    }

    /// Host-level reasons, whether the brand-in-path check applies
    /// (the domain is no brand's and its labels named none), and the
    /// host's free-hosting and shortener look-ups.
    fn host_reasons(&self, u: &NormalizedUrl, host: &str) -> HostFacts {
        let mut reasons = Vec::new();
        let reg = u.registered_domain().unwrap_or(host);
        let host_unicode = u.host_unicode().unwrap_or(host);
        let owned = self.brands.owner_of(reg).is_some();
        if !host_unicode.is_ascii() && host_unicode.split('.').any(is_mixed_script) {
            reasons.push(Reason::MixedScript {
                host: host_unicode.to_owned(),
            });
        }
        let mut check_path = false;
        if !owned {
            let before = reasons.len();
            self.brand_reasons(host, reg, host_unicode, &mut reasons);
            check_path = reasons.len() == before;
        }
        let shortener = self.shorteners.matching(host);
        if let Some(s) = shortener {
            reasons.push(Reason::Shortener {
                service: s.to_owned(),
            });
        }
        let free_hosting = self.free_hosting.matching(host);
        if let Some(s) = free_hosting {
            reasons.push(Reason::FreeHosting {
                service: s.to_owned(),
            });
        }
        if let Some(t) = self.suspicious_tlds.matching(host)
            && t != host
        {
            reasons.push(Reason::SuspiciousTld { tld: t.to_owned() });
        }
        HostFacts {
            reasons,
            check_path,
            free_hosting: free_hosting.is_some(),
            shortener: shortener.is_some(),
        }
    }

    fn brand_reasons(&self, host: &str, reg: &str, host_unicode: &str, reasons: &mut Vec<Reason>) {
        let reg_label = reg.split('.').next().unwrap_or_default();
        let reg_label_unicode = if reg_label.starts_with("xn--") {
            idna::domain_to_unicode(reg_label).0
        } else {
            reg_label.to_owned()
        };
        let sub = host
            .strip_suffix(reg)
            .map(|s| s.trim_end_matches('.'))
            .unwrap_or_default();

        // Confusables: the registered label's skeleton equals a brand's.
        if let Some((b, form)) = self.brands.by_label_skeleton(&reg_label_unicode)
            && reg_label_unicode != form
        {
            reasons.push(Reason::Confusable {
                brand: b.token.clone(),
                host: host_unicode.to_owned(),
            });
            return;
        }
        // Typosquats of the registered label.
        if reg_label.len() >= 5 && reg_label.is_ascii() {
            let hist = lists::letter_histogram(reg_label.as_bytes());
            let mask = lists::histogram_mask(&hist);
            for (b, brand_hist, brand_mask) in self.brands.typosquat_candidates(reg_label.len()) {
                let max = if b.token.len() >= 9 { 2 } else { 1 };
                if b.token.len().abs_diff(reg_label.len()) > max
                    || (mask ^ brand_mask).count_ones() as usize > 2 * max
                    || !lists::histograms_within(&hist, brand_hist, 2 * max)
                {
                    continue;
                }
                let d = edit_distance_ascii(reg_label.as_bytes(), b.token.as_bytes(), max);
                if d >= 1 && d <= max {
                    reasons.push(Reason::Typosquat {
                        brand: b.token.clone(),
                        distance: d,
                    });
                    return;
                }
            }
        }
        // The brand's name inside another owner's registered domain.
        let in_domain = self.brands.by_token(reg_label).or_else(|| {
            self.brands
                .hits(reg_label)
                .map(|(b, _, _)| b)
                .find(|b| !b.common_word && names_brand(reg_label, &b.token))
        });
        if let Some(b) = in_domain {
            reasons.push(Reason::BrandInDomain {
                brand: b.token.clone(),
            });
            return;
        }
        // In subdomains.
        if !sub.is_empty() {
            for label in sub.split('.') {
                let label_unicode;
                let label = if label.starts_with("xn--") {
                    label_unicode = idna::domain_to_unicode(label).0;
                    label_unicode.as_str()
                } else {
                    label
                };
                if let Some((b, form)) = self.brands.by_label_skeleton(label)
                    && label != form
                {
                    reasons.push(Reason::Confusable {
                        brand: b.token.clone(),
                        host: host_unicode.to_owned(),
                    });
                    return;
                }
                let hit =
                    self.brands.hits(label).map(|(b, _, _)| b).find(|b| {
                        !b.common_word && b.token.len() >= 4 && names_brand(label, &b.token)
                    });
                if let Some(b) = hit {
                    reasons.push(Reason::BrandInSubdomain {
                        brand: b.token.clone(),
                    });
                    return;
                }
            }
        }
    }

    fn judge_link(
        &self,
        raw: &RawLink,
        snap: &Snap,
        cache: &mut Caches<'_>,
        depth: usize,
        out: &mut Vec<LinkFinding>,
    ) {
        // Resources (images, CSS) do not count towards the message verdict:
        // rules and feeds judge them, the lexical model does not.
        let clickable = raw.source.is_clickable();
        let urls = if clickable {
            &mut cache.urls
        } else {
            &mut cache.resources
        };
        let (u, mut reasons, mut score, url_p) = match urls.get(raw.target.as_str()) {
            Some(None) => return,
            Some(Some(hit)) => hit.clone(),
            None => {
                let entry = normalize_url(&raw.target)
                    .filter(|u| {
                        !matches!(
                            u.scheme(),
                            "mailto" | "tel" | "cid" | "file" | "about" | "sms" | "callto"
                        )
                    })
                    .map(|u| {
                        let (reasons, score, url_p) = self.url_reasons(
                            &u,
                            snap,
                            &mut cache.hosts,
                            &mut cache.host_features,
                            clickable,
                        );
                        (u, reasons, score, url_p)
                    });
                if urls.len() < MAX_LINKS
                    && (raw.source == LinkSource::Nested
                        || cache.repeated.contains(raw.target.as_str()))
                {
                    urls.insert(raw.target.clone(), entry.clone());
                }
                match entry {
                    Some(e) => e,
                    None => return,
                }
            }
        };
        // `may_carry_urls` is false only where `nested_urls` finds nothing;
        // the path and query of a plain URL are read without `url::Url`.
        let nested: Vec<NormalizedUrl> = if depth < MAX_NESTING && u.may_carry_urls() {
            nested_urls_in(u.path(), u.query())
                .iter()
                .filter_map(|n| normalize_url(n))
                .take(3)
                .collect()
        } else {
            Vec::new()
        };
        let allowed = reasons.iter().any(|r| matches!(r, Reason::Allowlisted));
        if let Some(shown) = raw.shown.as_deref() {
            let mut extra = Vec::new();
            if shown.chars().any(crate::normalize::is_invisible)
                && !reasons.contains(&Reason::InvisibleChars)
            {
                extra.push(Reason::InvisibleChars);
            }
            if let Some((shown_domain, says_https)) = domain_in_text(shown) {
                let target_domain = u
                    .registered_domain()
                    .or(u.host_str())
                    .unwrap_or_default()
                    .to_owned();
                let via_redirector = u
                    .host_str()
                    .is_some_and(|h| self.redirectors.matching(h).is_some());
                let nested_match = nested
                    .iter()
                    .any(|n| n.registered_domain() == Some(shown_domain.as_str()));
                let shown_own = self.own.matching(&shown_domain).is_some();
                if shown_domain != target_domain
                    && !allowed
                    && !via_redirector
                    && !nested_match
                    && !shown_own
                    && !target_domain.is_empty()
                {
                    let whole_text = is_just_address(shown);
                    if let (true, Some(b)) = (whole_text, self.brands.owner_of(&shown_domain))
                        && !lists::Brands::owns(b, &target_domain)
                    {
                        extra.push(Reason::BrandDisplayMismatch {
                            brand: b.token.clone(),
                        });
                    }
                    extra.push(Reason::DisplayMismatch {
                        shown_domain,
                        target_domain,
                        whole_text,
                    });
                }
                if says_https && u.scheme() == "http" && !allowed {
                    extra.push(Reason::HttpsDowngrade);
                }
            }
            score += extra.iter().map(Reason::weight).sum::<f32>();
            reasons.extend(extra);
        }
        for n in &nested {
            reasons.push(Reason::Redirect {
                target: n.as_str().to_owned(),
            });
        }
        out.push(self.finding(u, raw.shown.clone(), raw.source, reasons, (score, url_p)));
        for n in nested {
            if out.len() >= MAX_LINKS {
                break;
            }
            let inner = RawLink {
                target: n.as_str().to_owned(),
                shown: raw.shown.clone(),
                source: LinkSource::Nested,
            };
            self.judge_link(&inner, snap, cache, depth + 1, out);
        }
    }

    fn message_reasons(
        &self,
        msg: &Message<'_>,
        from_reg: Option<&str>,
        c: &Collected,
        links: &[LinkFinding],
        words: &WordCounts,
    ) -> Vec<Reason> {
        let mut reasons = Vec::new();
        let from = msg.from().and_then(|a| a.first());
        let from_domain = from_domain(msg);
        if let Some(name) = from.and_then(|a| a.name()) {
            let lower = name.to_lowercase();
            let words: Vec<&str> = lower
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            let joined: String = words.concat();
            // Which brand tokens occur in `joined` (every occurrence of
            // every token, as `contains` would find it: `joined` is lower
            // case and so are the tokens).
            let mut in_joined = vec![false; self.brands.list.len()];
            for (b, _, _) in self.brands.hits(&joined) {
                if let Some(i) = self.brands.index_of(b)
                    && let Some(x) = in_joined.get_mut(i)
                {
                    *x = true;
                }
            }
            for (i, b) in self.brands.list.iter().enumerate() {
                let hit = words.iter().any(|w| *w == b.token)
                    || (!b.common_word
                        && b.token.len() >= 5
                        && in_joined.get(i).copied().unwrap_or(false));
                if hit {
                    let owns = from_reg.is_some_and(|d| Brands::owns(b, d));
                    let own = from_domain
                        .as_deref()
                        .is_some_and(|d| self.own.matching(d).is_some());
                    if !owns && !own {
                        let leading = words
                            .first()
                            .is_some_and(|w| w.starts_with(b.token.as_str()));
                        reasons.push(Reason::BrandDisplayName {
                            brand: b.token.clone(),
                            leading,
                        });
                    }
                    break;
                }
            }
        }
        let reply = msg
            .reply_to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .and_then(|a| a.rsplit_once('@'))
            .map(|(_, d)| d.trim_end_matches('>').to_ascii_lowercase());
        if let (Some(f), Some(r)) = (from_reg, reply.as_deref()) {
            let r_reg = registered_domain_of(r).unwrap_or_else(|| r.to_owned());
            if f != r_reg {
                reasons.push(Reason::ReplyToMismatch {
                    from_domain: f.to_owned(),
                    reply_to_domain: r_reg,
                });
            }
        }
        let (ask, threat) = (words.ask, words.threat);
        if (ask >= 1 && threat >= 1) || ask >= 3 {
            reasons.push(Reason::CredentialRequest {
                requests: ask,
                pressure: threat,
            });
        }
        if c.forms > 0 {
            reasons.push(Reason::HtmlForm {
                password_fields: c.password_fields,
            });
        }
        for name in &c.html_attachments {
            reasons.push(Reason::HtmlAttachment { name: name.clone() });
        }
        let clickable = links
            .iter()
            .filter(|l| l.source.is_clickable() && l.source != LinkSource::Nested)
            .count();
        if (clickable >= 1 || c.forms > 0) && c.words <= 25 {
            reasons.push(Reason::OnlyLink);
        }
        reasons
    }

    /// The message score: the strongest clickable link plus the message
    /// reasons. The lexical model was trained on URL lists, not on mail, so
    /// in a message it counts at most [`MODEL_IN_MESSAGE`]: on its own it
    /// makes a message suspicious, never phishing.
    fn score_message(&self, report: &mut MessageReport) {
        let link_max = report
            .links
            .iter()
            .filter(|l| l.source.is_clickable())
            .map(|l| l.score - l.model_part + l.model_part.min(MODEL_IN_MESSAGE))
            .fold(0.0f32, f32::max);
        let context: f32 = report.reasons.iter().map(Reason::weight).sum();
        report.score = link_max + context;
        report.rule_verdict = verdict_for(report.score);
        // The message model, when it fires, raises the verdict (never lowers it).
        for r in &report.reasons {
            if let Reason::MessageModel { phishing, .. } = r {
                let floor = if *phishing {
                    PHISHING_AT
                } else {
                    SUSPICIOUS_AT
                };
                report.score = report.score.max(floor);
            }
        }
        report.verdict = verdict_for(report.score);
    }

    /// Sender facts for the message model: a display name carrying another
    /// address, replies to a free mailbox, an abused sender domain, a
    /// malformed From header.
    fn sender_features(
        &self,
        msg: &Message<'_>,
        from_reg: Option<&str>,
        c: &Collected,
        f: &mut MessageFeatures,
    ) {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let from = msg.from().and_then(|a| a.first());
        let name = from
            .and_then(|a| a.name())
            .unwrap_or_default()
            .to_lowercase();
        let other = name
            .split(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"' || c == ',')
            .filter_map(|w| {
                let w = w
                    .rsplit('@')
                    .next()
                    .unwrap_or(w)
                    .trim_matches(|c: char| !c.is_alphanumeric());
                (w.contains('.')
                    && w.len() >= 4
                    && !w.ends_with('.')
                    && w.split('.').all(|l| !l.is_empty()))
                .then(|| registered_domain_of(w))
                .flatten()
            })
            .any(|d| Some(d.as_str()) != from_reg);
        f.set(
            "sender_name_other_address",
            flag(other || name.contains('@')),
        );
        let reply_address = msg
            .reply_to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(|a| a.trim_end_matches('>').to_ascii_lowercase());
        let reply = reply_address
            .as_deref()
            .and_then(|a| a.rsplit_once('@'))
            .map(|(_, d)| d.to_owned());
        let from_address = from.and_then(|a| a.address()).map(str::to_ascii_lowercase);
        // Replies go to a free mailbox that is not the sender's: another
        // domain, or another mailbox of the same free-mail provider.
        let free_reply = reply.as_deref().is_some_and(|d| {
            is_freemail(d) && (Some(d) != from_reg || reply_address != from_address)
        });
        // Or the text asks to write to a free mailbox the sender does not use.
        let free_in_text = !free_reply && {
            let bytes = c.text.as_bytes();
            c.text.match_indices('@').take(50).any(|(i, _)| {
                let after = bytes.get(i + 1..).unwrap_or_default();
                let end = after
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || *b == b'.' || *b == b'-'))
                    .unwrap_or(after.len());
                let d = String::from_utf8_lossy(after.get(..end).unwrap_or_default())
                    .trim_end_matches('.')
                    .to_ascii_lowercase();
                is_freemail(&d) && Some(d.as_str()) != from_reg
            })
        };
        f.set("reply_to_freemail", flag(free_reply || free_in_text));
        let from_host = from_domain(msg);
        let abused = from_host.as_deref().is_some_and(|h| {
            self.free_hosting.matching(h).is_some()
                || self.suspicious_tlds.matching(h).is_some_and(|t| t != h)
        });
        f.set("sender_domain_abused", flag(abused));
        let raw = msg.header_raw("From").unwrap_or_default().trim();
        let malformed = from.and_then(|a| a.address()).is_none_or(|a| {
            let d = a.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
            !d.contains('.') || d.contains(',') || d.contains(' ')
        }) || raw.contains(" >")
            || raw.contains("\"\"");
        f.set("from_header_malformed", flag(malformed));
        // A sender name or Subject disguised against filters and readers:
        // invisible characters, or a word mixing scripts (`Оsmоѕіѕ` with
        // Cyrillic letters in a Latin word), as TR39 judges hosts.
        let raw_name = from.and_then(|a| a.name()).unwrap_or_default();
        let disguised = |t: &str| {
            t.chars().any(crate::normalize::is_invisible)
                || t.split(|c: char| !c.is_alphanumeric())
                    .any(crate::lists::is_mixed_script)
        };
        f.set(
            "sender_disguised",
            flag(disguised(raw_name) || msg.subject().is_some_and(disguised)),
        );
        // A sender name that shouts or prices: `Congratulations!`, `$500`.
        f.set("sender_name_exclaim", flag(name.contains(['!', '$', '%'])));
    }

    /// Payload and sender facts for the message model: a program, script or
    /// macro attachment, or an archive with credential-request or pressure
    /// wording (an archive alone is ordinary enough); a brand's own sender
    /// domain together with other phishing signs.
    fn payload_features(
        &self,
        from_reg: Option<&str>,
        c: &Collected,
        words: &WordCounts,
        links: &[LinkFinding],
        f: &mut MessageFeatures,
    ) {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let pressed = words.ask > 0 || words.threat > 0;
        let risky = c.executables > 0 || (c.archives > 0 && pressed);
        f.set("risky_attachment", flag(risky));
        let brand_sender = from_reg.is_some_and(|d| self.brands.owner_of(d).is_some());
        let signs = pressed
            || c.forms > 0
            || risky
            || !c.html_attachments.is_empty()
            || links
                .iter()
                .any(|l| l.source.is_clickable() && l.score - l.model_part >= SUSPICIOUS_AT);
        f.set("brand_sender_with_signs", flag(brand_sender && signs));
    }

    /// The explained features the message model combines (see
    /// [`crate::MESSAGE_FEATURES`]).
    fn message_features(
        &self,
        from_reg: Option<&str>,
        c: &Collected,
        scan: &TextScan,
        links: &[LinkFinding],
        reasons: &[Reason],
    ) -> MessageFeatures {
        let words = &scan.words;
        let ln = |n: usize| (n as f32).ln_1p();
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let mut f = MessageFeatures::new();
        let clickable: Vec<&LinkFinding> =
            links.iter().filter(|l| l.source.is_clickable()).collect();
        let any = |pred: &dyn Fn(&Reason) -> bool| {
            flag(clickable.iter().any(|l| l.reasons.iter().any(pred)))
        };
        let rule = clickable
            .iter()
            .map(|l| l.score - l.model_part)
            .fold(0.0f32, f32::max)
            .min(3.0);
        f.set("link_rule_score", rule);
        let model_max = clickable.iter().map(|l| l.url_p).fold(0.0f32, f32::max);
        f.set("url_model_max", model_max);
        let mismatches = clickable
            .iter()
            .filter(|l| {
                l.reasons
                    .iter()
                    .any(|r| matches!(r, Reason::DisplayMismatch { .. }))
            })
            .count();
        f.set("display_mismatch", ln(mismatches));
        f.set(
            "display_mismatch_address",
            any(&|r| {
                matches!(
                    r,
                    Reason::DisplayMismatch {
                        whole_text: true,
                        ..
                    } | Reason::BrandDisplayMismatch { .. }
                )
            }),
        );
        f.set(
            "brand_lookalike_link",
            any(&|r| {
                matches!(
                    r,
                    Reason::Confusable { .. }
                        | Reason::MixedScript { .. }
                        | Reason::Typosquat { .. }
                        | Reason::BrandInDomain { .. }
                        | Reason::BrandInSubdomain { .. }
                )
            }),
        );
        f.set(
            "brand_in_path",
            any(&|r| matches!(r, Reason::BrandInPath { .. })),
        );
        f.set("ip_host_link", any(&|r| matches!(r, Reason::IpHost { .. })));
        f.set(
            "userinfo_link",
            any(&|r| matches!(r, Reason::UserInfo { .. })),
        );
        f.set(
            "shortener_link",
            any(&|r| matches!(r, Reason::Shortener { .. })),
        );
        f.set(
            "suspicious_tld_link",
            any(&|r| matches!(r, Reason::SuspiciousTld { .. })),
        );
        f.set(
            "free_hosting_link",
            any(&|r| matches!(r, Reason::FreeHosting { .. })),
        );
        f.set(
            "credential_words_link",
            any(&|r| matches!(r, Reason::CredentialWords { .. })),
        );
        f.set(
            "non_standard_port_link",
            any(&|r| matches!(r, Reason::NonStandardPort { .. })),
        );
        f.set(
            "dangerous_scheme_link",
            any(&|r| matches!(r, Reason::DangerousScheme { .. })),
        );
        let mut claimed: Vec<&lists::Brand> = Vec::new();
        for r in reasons {
            match r {
                Reason::BrandDisplayName { brand, leading } => {
                    f.set("brand_display_name", if *leading { 1.0 } else { 0.5 });
                    if let Some(b) = self.brands.by_token(brand) {
                        claimed.push(b);
                    }
                }
                Reason::ReplyToMismatch { .. } => f.set("reply_to_mismatch", 1.0),
                Reason::HtmlForm { password_fields } => {
                    f.set("html_form", 1.0);
                    f.set("password_field", ln(*password_fields));
                }
                Reason::HtmlAttachment { .. } => f.set("html_attachment", 1.0),
                Reason::OnlyLink => f.set("only_link", 1.0),
                _ => {}
            }
        }
        f.set("credential_requests", ln(words.ask));
        f.set("pressure_phrases", ln(words.threat));
        f.set("generic_greeting", flag(words.greeting > 0));
        f.set("lure_phrases", ln(words.lure));

        // A brand named in the text (whole word) that did not send the message.
        f.set("brand_named_not_sender", flag(scan.brand_named_not_sender));
        if let Some(b) = from_reg.and_then(|d| self.brands.owner_of(d)) {
            claimed.push(b);
        }
        let primary: Vec<&&LinkFinding> = clickable
            .iter()
            .filter(|l| l.source != LinkSource::Nested)
            .collect();
        let elsewhere = !claimed.is_empty()
            && primary.iter().any(|l| {
                let Some(d) = l.registered_domain.as_deref() else {
                    return l.host.is_some();
                };
                !claimed.iter().any(|b| Brands::owns(b, d))
                    && self.redirectors.matching(d).is_none()
                    && self.own.matching(d).is_none()
            });
        f.set("brand_sender_links_elsewhere", flag(elsewhere));
        let actions = primary
            .iter()
            .filter(|l| {
                l.shown
                    .as_deref()
                    .is_some_and(|s| is_call_to_action(&self.actions, s))
            })
            .count();
        f.set("action_anchor_text", ln(actions));
        let mut domains: Vec<&str> = primary
            .iter()
            .filter_map(|l| l.registered_domain.as_deref().or(l.host.as_deref()))
            .collect();
        domains.sort_unstable();
        domains.dedup();
        f.set("link_domains", ln(domains.len()));
        f.set("no_clickable_link", flag(primary.is_empty()));
        let off = primary
            .iter()
            .filter(|l| {
                l.registered_domain.as_deref().or(l.host.as_deref()) != from_reg
                    || from_reg.is_none()
            })
            .count();
        f.set(
            "links_off_sender_domain",
            if primary.is_empty() {
                0.0
            } else {
                off as f32 / primary.len() as f32
            },
        );
        f.set("words", ln(c.words));
        f
    }
}

/// `s.split_whitespace().count()`, without decoding ASCII bytes as chars:
/// eight ASCII bytes at a time (a word starts at each byte that is not
/// white space after one that is), other characters one at a time.
fn count_words(s: &str) -> usize {
    let bytes = s.as_bytes();
    let (mut i, mut words, mut in_word) = (0, 0, false);
    while let Some(&b) = bytes.get(i) {
        if let Some(chunk) = bytes
            .get(i..i + 8)
            .and_then(|c| <[u8; 8]>::try_from(c).ok())
        {
            let x = u64::from_le_bytes(chunk);
            if x & HIGH == 0 {
                let space = ascii_spaces(x);
                let starts = !space & HIGH & ((space << 8) | u64::from(!in_word) << 7);
                words += starts.count_ones() as usize;
                in_word = space >> 63 == 0;
                i += 8;
                continue;
            }
        }
        if b.is_ascii() {
            // No decoding for ASCII bytes.
            if crate::extract::is_ascii_space(b) {
                in_word = false;
            } else if !in_word {
                in_word = true;
                words += 1;
            }
            i += 1;
            continue;
        }
        let (space, len) = crate::extract::space_at(s, i, b);
        if space {
            in_word = false;
        } else if !in_word {
            in_word = true;
            words += 1;
        }
        i += len;
    }
    words
}

/// The high bit of each byte of a `u64`.
const HIGH: u64 = 0x8080_8080_8080_8080;

/// For eight ASCII bytes (no high bit set), the high bit of each byte that
/// is ASCII white space (`is_ascii_space`: tab, LF, VT, FF, CR, space).
fn ascii_spaces(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Bytes below 0x80 plus addends below 0x80 never carry into the next byte.
    let at_least_9 = x + ONES * (0x80 - 9);
    let at_least_14 = x + ONES * (0x80 - 14);
    let v = x ^ (ONES * 0x20);
    // The high bit of `v`'s low seven bits plus 0x7f is set unless they are zero.
    let not_space_char = ((v & !HIGH) + ONES * 0x7f) | v;
    ((at_least_9 & !at_least_14) | !not_space_char) & HIGH
}

/// Calls to action in anchor text ("click here", "log in", "verify now" ...).
const ACTIONS: &[&str] = &[
    "click",
    "here",
    "log in",
    "login",
    "log on",
    "logon",
    "sign in",
    "signin",
    "verify",
    "update",
    "confirm",
    "continue",
    "validate",
    "unlock",
    "restore",
    "reactivate",
    "activate",
    "access",
    "review",
    "view",
    "open",
    "download",
    "claim",
    "secure",
    "resolve",
    "clique",
    "acess",
    "haga clic",
    "pulse",
    "cliquez",
    "klicken",
];

/// Whether anchor text is a call to action (`actions` is [`ACTIONS`] in one
/// automaton, see [`actions_automaton`]).
fn is_call_to_action(actions: &AhoCorasick, shown: &str) -> bool {
    let t = shown.trim();
    if t.is_empty() || t.len() > 40 {
        return false;
    }
    // Lower-cased first, then matched exactly: the same as `contains` on
    // the lower-cased text for each phrase.
    actions.is_match(&t.to_lowercase())
}

/// [`ACTIONS`], case-sensitive (the text is lower-cased first).
fn actions_automaton() -> Result<AhoCorasick, aho_corasick::BuildError> {
    AhoCorasick::builder()
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .prefilter(false)
        .build(ACTIONS)
}

/// Free mailbox providers (a reply address there hides who is behind a message).
fn is_freemail(domain: &str) -> bool {
    const FREE: &[&str] = &[
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "ymail.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "mail.com",
        "gmx.com",
        "gmx.net",
        "gmx.de",
        "web.de",
        "yandex.com",
        "yandex.ru",
        "mail.ru",
        "qq.com",
        "163.com",
        "126.com",
        "proton.me",
        "protonmail.com",
        "icloud.com",
        "zoho.com",
        "rediffmail.com",
        "email.com",
        "usa.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "hotmail.fr",
        "libero.it",
        "bol.com.br",
        "uol.com.br",
        "excite.com",
        "lycos.com",
        "juno.com",
        "netscape.net",
        "rocketmail.com",
        "hotmail.co.uk",
        "yahoo.de",
        "yahoo.es",
    ];
    FREE.contains(&domain)
}

fn from_domain(msg: &Message<'_>) -> Option<String> {
    msg.from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .and_then(|a| a.rsplit_once('@'))
        .map(|(_, d)| d.trim_end_matches('>').to_ascii_lowercase())
}

fn from_registered_domain(msg: &Message<'_>) -> Option<String> {
    from_domain(msg).map(|d| registered_domain_of(&d).unwrap_or(d))
}

/// Whether a host label names a brand: the label is the brand, or one of
/// its hyphen-separated parts is, or (for names of six letters or more) it
/// contains it (`paypal-secure`, `securepaypal`, but not `enigmail` for `gmail`).
fn names_brand(label: &str, token: &str) -> bool {
    if token.len() >= 6 {
        label.contains(token)
    } else {
        label.split('-').any(|p| p == token)
    }
}

/// Whether anchor text is itself a URL (`https://…`, `www.…`), as opposed
/// to a sentence or a site name that mentions a domain ("Dilbert.com").
fn is_just_address(shown: &str) -> bool {
    let t = shown.trim().to_ascii_lowercase();
    !t.contains(char::is_whitespace)
        && (t.starts_with("http://") || t.starts_with("https://") || t.starts_with("www."))
}

fn verdict_for(score: f32) -> Verdict {
    if score >= PHISHING_AT {
        Verdict::Phishing
    } else if score >= SUSPICIOUS_AT {
        Verdict::Suspicious
    } else {
        Verdict::Safe
    }
}

fn is_attachment(part: &mail_parser::MessagePart<'_>) -> bool {
    part.content_disposition()
        .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"))
        || part.attachment_name().is_some()
}

fn is_html_name(name: &str) -> bool {
    let lower = name
        .trim()
        .trim_end_matches(['"', '\''])
        .to_ascii_lowercase();
    [".htm", ".html", ".shtml", ".xhtml", ".mht", ".svg"]
        .iter()
        .any(|e| lower.ends_with(e))
}

fn collect_parts(msg: &Message<'_>, depth: usize, c: &mut Collected) {
    for part in &msg.parts {
        if is_attachment(part) {
            let subtype = part.content_type().and_then(|t| t.subtype());
            let name = part.attachment_name().unwrap_or_default();
            match crate::message_model::payload_kind(name, subtype) {
                Payload::Archive => c.archives += 1,
                Payload::Executable => c.executables += 1,
                Payload::Ordinary => {}
            }
        }
        match &part.body {
            PartType::Text(t) => {
                links_in_text(t, LinkSource::Text, &mut c.links);
                if !is_attachment(part) {
                    c.add_text(t);
                }
            }
            PartType::Html(h) => {
                if is_attachment(part) {
                    c.html_attachments
                        .push(part.attachment_name().unwrap_or_default().to_owned());
                }
                c.add_html(h);
            }
            PartType::Binary(b) | PartType::InlineBinary(b) => {
                let name = part.attachment_name().unwrap_or_default();
                if is_html_name(name) {
                    c.html_attachments.push(name.to_owned());
                    let text = String::from_utf8_lossy(b);
                    c.add_html(&text);
                }
            }
            PartType::Message(inner) => {
                if depth < MAX_MESSAGE_DEPTH {
                    if let Some(subject) = inner.subject() {
                        links_in_text(subject, LinkSource::Subject, &mut c.links);
                    }
                    collect_parts(inner, depth + 1, c);
                }
            }
            PartType::Multipart(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checker() -> LinkChecker {
        LinkChecker::builder()
            .without_model()
            .own_domain("mycorp.example")
            .build()
            .unwrap()
    }

    fn codes(f: &LinkFinding) -> Vec<&'static str> {
        f.reasons().iter().map(Reason::code).collect()
    }

    #[test]
    fn url_reasons_each() {
        let c = checker();
        let cases: &[(&str, &str)] = &[
            ("http://203.0.113.9/login", "ip_host"),
            ("http://0xcb.0.113.9/", "ip_host"),
            ("https://www.paypal.com@evil.example.net/", "userinfo"),
            ("https://bit.ly/abc", "shortener"),
            ("https://evil-site.xyz/", "suspicious_tld"),
            ("https://foo.000webhostapp.com/", "free_hosting"),
            ("https://xn--pypal-4ve.com/", "confusable"),
            ("https://paypa1.com/", "confusable"),
            ("https://paypol.com/", "typosquat"),
            ("https://microsfot.com/", "typosquat"),
            ("https://paypal-secure-help.com/", "brand_in_domain"),
            ("https://paypal.com.evil.example.net/", "brand_in_subdomain"),
            ("https://evil.example.net/paypal/login", "brand_in_path"),
            ("https://evil.example.net/signin/verify", "credential_words"),
            ("javascript:alert(1)", "dangerous_scheme"),
            ("data:text/html;base64,PHNjcmlwdD4=", "dangerous_scheme"),
            ("http://evil.example.net:8888/", "non_standard_port"),
            ("http://ex\u{200B}ample.org/", "invisible_chars"),
        ];
        for (url, code) in cases {
            let f = c.check_url(url);
            assert!(codes(&f).contains(code), "{url}: {:?}", f.reasons());
        }
        let f = c.check_url("http://xn--80ak6aa92e.com/");
        assert!(codes(&f).contains(&"confusable"), "{:?}", f.reasons());
        assert_eq!(f.host(), Some("аррӏе.com"));
        let f = c.check_url("https://pаypal.com/");
        assert!(codes(&f).contains(&"mixed_script"), "{:?}", f.reasons());
        assert_eq!(f.verdict(), Verdict::Phishing);
    }

    #[test]
    fn brands_own_domains_are_clean() {
        let c = checker();
        for url in [
            "https://www.paypal.com/signin",
            "https://login.microsoftonline.com/",
            "https://www.amazon.co.jp/",
        ] {
            let f = c.check_url(url);
            assert!(
                f.reasons().iter().all(|r| !r.code().starts_with("brand")
                    && r.code() != "typosquat"
                    && r.code() != "confusable"),
                "{url}: {:?}",
                f.reasons()
            );
            assert_ne!(f.verdict(), Verdict::Phishing);
        }
        assert_eq!(
            c.check_url("https://intranet.mycorp.example/x").verdict(),
            Verdict::Safe
        );
    }

    #[test]
    fn caller_brand() {
        let c = LinkChecker::builder()
            .without_model()
            .brand("acmebank", &["acmebank.example"])
            .build()
            .unwrap();
        assert!(codes(&c.check_url("https://acmebank-login.com/")).contains(&"brand_in_domain"));
        assert!(codes(&c.check_url("https://acrnebank.example.org/")).contains(&"confusable"));
        assert!(codes(&c.check_url("https://www.acmebank.example/")).is_empty());
    }

    fn msg(html: &str) -> String {
        format!(
            "From: Service <service@sender.example.org>\r\nTo: you@example.net\r\nSubject: Hello\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
        )
    }

    #[test]
    fn display_mismatch_and_downgrade() {
        let c = checker();
        let r = c
            .check_raw(msg(r#"<p>Please see <a href="http://evil.example.net/x">https://www.paypal.com/signin</a> for details of this.</p>"#).as_bytes())
            .unwrap();
        let f = &r.links()[0];
        let cs = codes(f);
        assert!(
            cs.contains(&"display_mismatch")
                && cs.contains(&"brand_display_mismatch")
                && cs.contains(&"https_downgrade"),
            "{cs:?}"
        );
        assert_eq!(f.verdict(), Verdict::Phishing);
        assert_eq!(f.shown(), Some("https://www.paypal.com/signin"));

        // Same domain, a redirector, a nested match and the caller's own domain are fine.
        for html in [
            r#"<a href="https://www.example.org/a">www.example.org</a>"#,
            r#"<a href="https://nam01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fx.example.com">www.other.example.com</a>"#,
            r#"<a href="https://track.example.net/c?u=https%3A%2F%2Fshop.example.com%2F">shop.example.com</a>"#,
            r#"<a href="https://evil.example.net/">intranet.mycorp.example</a>"#,
        ] {
            let r = c.check_raw(msg(html).as_bytes()).unwrap();
            assert!(
                r.links()
                    .iter()
                    .all(|l| !codes(l).contains(&"display_mismatch")),
                "{html}: {:?}",
                r.links()
            );
        }
    }

    #[test]
    fn nested_redirects_are_followed() {
        let c = checker();
        let r = c
            .check_raw(msg(r#"<a href="https://www.google.com/url?q=http://203.0.113.5/paypal/">Log in</a>"#).as_bytes())
            .unwrap();
        assert_eq!(r.links().len(), 2);
        assert!(codes(&r.links()[0]).contains(&"redirect"));
        assert_eq!(r.links()[1].source(), LinkSource::Nested);
        assert!(codes(&r.links()[1]).contains(&"ip_host"));
    }

    #[test]
    fn message_context_reasons() {
        let c = checker();
        let raw = "From: PayPal Security <alert@mailer.example.net>\r\nReply-To: x@other.example.org\r\nSubject: Account suspended\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>Your account has been suspended. Verify your identity.</p><form action=\"http://collect.example.net/p\"><input type=password name=p></form>\r\n--b\r\nContent-Type: text/html; name=invoice.html\r\nContent-Disposition: attachment; filename=invoice.html\r\n\r\n<html><body>open me</body></html>\r\n--b--\r\n";
        let r = c.check_raw(raw.as_bytes()).unwrap();
        let cs: Vec<&str> = r.reasons().iter().map(Reason::code).collect();
        for code in [
            "brand_display_name",
            "reply_to_mismatch",
            "credential_request",
            "html_form",
            "html_attachment",
            "only_link",
        ] {
            assert!(cs.contains(&code), "{code} not in {cs:?}");
        }
        assert_eq!(r.verdict(), Verdict::Phishing);
        assert!(r.links().iter().any(|l| l.source() == LinkSource::Form));
    }

    #[test]
    fn ordinary_mail_is_safe() {
        let c = checker();
        let raw = "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Notes from today\r\n\r\nHi Bob,\r\n\r\nthe slides are at https://www.example.org/talks/2026/slides.pdf and the\r\nrecording will follow next week. See you at the meeting on Thursday, we\r\nstill need to decide the agenda for the workshop.\r\n\r\nAlice\r\n";
        let r = c.check_raw(raw.as_bytes()).unwrap();
        assert_eq!(
            r.verdict(),
            Verdict::Safe,
            "{:?} {:?}",
            r.reasons(),
            r.links()
        );
        assert_eq!(r.links().len(), 1);
    }

    #[test]
    fn feeds_block_and_allow() {
        let feeds = Arc::new(Feeds::new());
        let c = LinkChecker::builder()
            .without_model()
            .feeds(Arc::clone(&feeds))
            .build()
            .unwrap();
        assert_eq!(
            c.check_url("https://quiet.example.com/page").verdict(),
            Verdict::Safe
        );
        feeds.replace_block(FeedSet::from_plain_list("https://quiet.example.com/page\n"));
        let f = c.check_url("http://quiet.example.com/page");
        assert_eq!(f.verdict(), Verdict::Phishing);
        assert_eq!(f.reasons()[0].code(), "blocklisted");
        feeds.replace_allow(FeedSet::from_domain_list("bit.ly\n"));
        assert_eq!(c.check_url("https://bit.ly/x").verdict(), Verdict::Safe);
    }

    #[test]
    fn words_counted_like_split_whitespace() {
        for s in [
            "",
            "  a  b\tc\r\n d ",
            "x\u{A0}y\u{3000}z\u{85}w",
            "\u{B}\u{C}é ü\u{2028}",
            "日本語 のテキスト",
            "one two  three\tfour\r\nfive six seven eight nine",
            "\u{B}\u{C}\u{D}\u{1F}\u{20}\u{21}\u{8}\u{9}\u{E}xyz \u{7F}\u{0}abcdefgh",
            "abcdefgh ijklmnop\u{A0}qrstuvwx yz",
        ] {
            assert_eq!(count_words(s), s.split_whitespace().count(), "{s:?}");
        }
        for b in 0u8..128 {
            for pos in 0..8 {
                let mut s = String::from("aaaaaaaaaaaaaaaa");
                s.replace_range(pos..=pos, char::from(b).encode_utf8(&mut [0; 4]));
                assert_eq!(count_words(&s), s.split_whitespace().count(), "{s:?}");
                let mut t = String::from("        ");
                t.replace_range(pos..=pos, char::from(b).encode_utf8(&mut [0; 4]));
                t.push_str("  x");
                assert_eq!(count_words(&t), t.split_whitespace().count(), "{t:?}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn words_counted_like_split_whitespace_any(s in "[ a\t\n\u{B}\u{C}\r\u{85}\u{A0}\u{2028}\u{3000}é日x.-]{0,64}") {
            proptest::prop_assert_eq!(count_words(&s), s.split_whitespace().count());
        }
    }

    /// The wording counts and the brand flag as two separate standard
    /// (non-overlapping) searches give them: what [`Wording::scan`]'s one
    /// overlapping pass must reproduce.
    fn two_scans(c: &LinkChecker, text: &str, from_reg: Option<&str>) -> (WordCounts, bool) {
        let phrases = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(ASK.iter().chain(THREAT).chain(GREETING).chain(LURE))
            .unwrap();
        let bounds = [
            ASK.len(),
            ASK.len() + THREAT.len(),
            ASK.len() + THREAT.len() + GREETING.len(),
        ];
        let mut seen = [0u128; 4];
        for m in phrases.find_iter(text) {
            let i = m.pattern().as_usize();
            let set = bounds.iter().take_while(|b| i >= **b).count();
            let first = if set == 0 { 0 } else { bounds[set - 1] };
            seen[set] |= 1u128 << (i - first);
        }
        let [ask, threat, greeting, lure] = seen.map(|b| b.count_ones() as usize);
        let bytes = text.as_bytes();
        let named = c.brands.hits_nonoverlapping(text).any(|(b, start, end)| {
            !b.common_word
                && b.token.len() >= 4
                && (start == 0 || !bytes[start - 1].is_ascii_alphanumeric())
                && bytes.get(end).is_none_or(|x| !x.is_ascii_alphanumeric())
                && !from_reg.is_some_and(|d| Brands::owns(b, d))
        });
        (
            WordCounts {
                ask,
                threat,
                greeting,
                lure,
            },
            named,
        )
    }

    fn scan_equals_two_scans(c: &LinkChecker, text: &str) {
        for from_reg in [None, Some("paypal.com"), Some("example.org")] {
            let (words, named) = two_scans(c, text, from_reg);
            let scan = c.wording.scan(text, &c.brands, from_reg);
            assert_eq!(
                format!("{:?} {}", scan.words, scan.brand_named_not_sender),
                format!("{words:?} {named}"),
                "{text:?} {from_reg:?}"
            );
        }
    }

    #[test]
    fn one_text_scan_equals_two() {
        let c = checker();
        for text in [
            "",
            "Please verify your account information now: your account will be suspended",
            "verify your verify your confirm your account verification account has been locked",
            "Dear customer, PayPal says paypal.com and apple, Apple's appleid",
            "log in to your log into your sign in to your password expire passwort",
            "アカウント ログイン パスワード ご本人 お支払い カード情報",
            "microsoftonline amazon.co.jp amazonaws netflix dhl-express",
        ] {
            scan_equals_two_scans(&c, text);
        }
    }

    proptest::proptest! {
        #[test]
        fn text_scan_equals_two_scans(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Strategy::prop_map(proptest::sample::select(ASK.to_vec()), String::from),
                    proptest::strategy::Strategy::prop_map(proptest::sample::select(THREAT.to_vec()), String::from),
                    proptest::strategy::Strategy::prop_map(proptest::sample::select(GREETING.to_vec()), String::from),
                    proptest::strategy::Strategy::prop_map(proptest::sample::select(LURE.to_vec()), String::from),
                    proptest::strategy::Strategy::prop_map(
                        proptest::sample::select(vec![
                            "paypal", "apple", "amazon", "microsoft", "netflix", "dhl", "bank",
                            "chase", "your", "account", "verify", "info", "pay", "pal", "app",
                        ]),
                        String::from
                    ),
                    proptest::strategy::Strategy::prop_map("[a-z .,'-]{0,4}", String::from),
                ],
                0..24,
            ),
            sep in "[ a-z.]{0,2}",
        ) {
            let c = checker_shared();
            let text = parts.join(&sep);
            scan_equals_two_scans(c, &text);
            scan_equals_two_scans(c, &text.to_uppercase());
        }
    }

    fn dense_matches(c: &LinkChecker, text: &str) -> Vec<(usize, usize, usize)> {
        let mut v = Vec::new();
        let TextSearch::Dense(d) = &c.wording.all else {
            panic!("no dense DFA");
        };
        d.for_each_overlapping(text.as_bytes(), |p, s, e| v.push((p, s, e)));
        v
    }

    fn wording_patterns(c: &LinkChecker) -> Vec<&str> {
        ASK.iter()
            .chain(THREAT)
            .chain(GREETING)
            .chain(LURE)
            .copied()
            .chain(c.brands.list.iter().map(|b| b.token.as_str()))
            .collect()
    }

    fn library_matches(c: &LinkChecker, text: &str) -> Vec<(usize, usize, usize)> {
        static AC: std::sync::OnceLock<AhoCorasick> = std::sync::OnceLock::new();
        AC.get_or_init(|| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(wording_patterns(c))
                .unwrap()
        })
        .find_overlapping_iter(text)
        .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
        .collect()
    }

    #[test]
    fn library_fallback_scans_alike() {
        let c = checker_shared();
        let dfa = aho_corasick::dfa::DFA::builder()
            .ascii_case_insensitive(true)
            .prefilter(false)
            .build(wording_patterns(c))
            .unwrap();
        let library = Wording {
            all: TextSearch::Library(dfa),
            phrases: c.wording.phrases,
        };
        for text in [
            "Dear customer, verify your account within 24 hours or it will be suspended. PayPal",
            "nothing here at all",
            "paypal.example.com apple",
        ] {
            for from in [None, Some("paypal.com")] {
                let a = c.wording.scan(text, &c.brands, from);
                let b = library.scan(text, &c.brands, from);
                assert_eq!(format!("{a:?}"), format!("{b:?}"), "{text}");
            }
        }
    }

    #[test]
    fn dense_dfa_equals_the_library() {
        let c = checker_shared();
        let all: String = wording_patterns(c).join(" ");
        for text in [
            "",
            all.as_str(),
            &all.to_uppercase(),
            &all.replace(' ', ""),
            "Dear Customer, VERIFY YOUR account within 24 hours at PayPal or your mailbox will be suspended.",
            "paypalpaypal amazonamazon\u{0}\u{ff}é日本 アカウント ログイン",
        ] {
            assert_eq!(dense_matches(c, text), library_matches(c, text), "{text:?}");
        }
    }

    #[test]
    fn dense_dfa_classes_are_exact() {
        use aho_corasick::automaton::Automaton;
        let c = checker_shared();
        let patterns = wording_patterns(c);
        let aut = aho_corasick::dfa::DFA::builder()
            .ascii_case_insensitive(true)
            .prefilter(false)
            .build(&patterns)
            .unwrap();
        let d = DenseDfa::new(&aut, patterns.iter().copied()).unwrap();
        // Every state, every byte: the class's representative leads to the same state.
        let anchored = aho_corasick::Anchored::No;
        let mut states = vec![aut.start_state(anchored).unwrap()];
        let mut seen = std::collections::HashSet::from([states[0]]);
        let mut i = 0;
        while i < states.len() {
            let sid = states[i];
            let mut by_class: std::collections::HashMap<u8, aho_corasick::automaton::StateID> =
                std::collections::HashMap::new();
            for b in 0..=255u8 {
                let next = aut.next_state(anchored, sid, b);
                assert_eq!(
                    *by_class.entry(d.classes[usize::from(b)]).or_insert(next),
                    next
                );
                if seen.insert(next) {
                    states.push(next);
                }
            }
            i += 1;
        }
        assert_eq!(d.trans.len(), states.len() * d.stride as usize);
    }

    proptest::proptest! {
        #[test]
        fn dense_dfa_equals_the_library_on_any_text(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Strategy::prop_map(proptest::sample::select(ASK.to_vec()), String::from),
                    proptest::strategy::Strategy::prop_map(proptest::sample::select(THREAT.to_vec()), String::from),
                    proptest::strategy::Strategy::prop_map(proptest::sample::select(GREETING.to_vec()), String::from),
                    proptest::strategy::Strategy::prop_map(proptest::sample::select(LURE.to_vec()), String::from),
                    proptest::strategy::Strategy::prop_map(
                        proptest::sample::select(vec!["paypal", "apple", "amazon", "microsoft", "bank", "chase", "dhl"]),
                        String::from,
                    ),
                    proptest::strategy::Strategy::prop_map("[a-zA-Z .,'\u{80}-\u{3000}-]{0,6}", String::from),
                ],
                0..24,
            ),
            upper in proptest::bool::ANY,
        ) {
            let c = checker_shared();
            let mut text = parts.concat();
            if upper {
                text = text.to_uppercase();
            }
            proptest::prop_assert_eq!(dense_matches(c, &text), library_matches(c, &text));
        }
    }

    fn checker_shared() -> &'static LinkChecker {
        static C: std::sync::OnceLock<LinkChecker> = std::sync::OnceLock::new();
        C.get_or_init(checker)
    }

    #[test]
    fn calls_to_action() {
        let ac = actions_automaton().unwrap();
        for (t, want) in [
            ("Click here", true),
            ("VERIFY NOW", true),
            ("Haga clic aquí", true),
            ("Read more", false),
            ("", false),
            (
                "a very long anchor text that is certainly not a button at all",
                false,
            ),
        ] {
            assert_eq!(is_call_to_action(&ac, t), want, "{t}");
            let lower = t.trim().to_lowercase();
            let old = !t.trim().is_empty()
                && t.trim().len() <= 40
                && ACTIONS.iter().any(|a| lower.contains(a));
            assert_eq!(old, want, "{t}");
        }
    }

    #[test]
    fn checker_is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<LinkChecker>();
    }

    #[test]
    fn uribl() {
        use mailsec_dns::{Record, StaticResolver};
        let c = LinkChecker::builder()
            .without_model()
            .uribl_zone("uribl.test")
            .build()
            .unwrap();
        let mut dns = StaticResolver::new();
        dns.add(
            "listed.example.uribl.test",
            Record::A(std::net::Ipv4Addr::new(127, 0, 0, 2)),
        );
        let raw = msg(
            r#"<p>Some words to read here and there so it is not only a link, really quite a few words in all of this text.</p><a href="https://www.listed.example/x">here</a><a href="https://clean.example/">there</a>"#,
        );
        let parsed = MessageParser::default().parse(raw.as_bytes()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let r = rt
            .block_on(c.check_message_with_dns(&parsed, &dns))
            .unwrap();
        let listed = r
            .links()
            .iter()
            .find(|l| l.registered_domain() == Some("listed.example"))
            .unwrap();
        assert_eq!(listed.verdict(), Verdict::Phishing);
        assert!(codes(listed).contains(&"uribl"));
        let clean = r
            .links()
            .iter()
            .find(|l| l.registered_domain() == Some("clean.example"))
            .unwrap();
        assert_eq!(clean.verdict(), Verdict::Safe);
    }
}
