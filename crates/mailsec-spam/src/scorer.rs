//! The scorer: rules + classifier + evidence → score, action, symbols.

use mail_parser::{Message, MessageParser};
use serde::Serialize;

use crate::SpamError;
use crate::analysis::Analysis;
use crate::classifier::{BayesVerdict, Classifier, SenderHistory};
use crate::config::Config;
use crate::evidence::{AuthEvidence, AuthWord, Evidence};
use crate::rules;
use crate::store::TokenStore;

/// What to do with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// Refuse it.
    Reject,
    /// Deliver it marked as spam.
    AddHeader,
    /// Ask the sender to retry later.
    Greylist,
    /// Deliver it.
    NoAction,
}

impl Action {
    /// The action's word: `reject`, `add_header`, `greylist`, `no_action`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Reject => "reject",
            Action::AddHeader => "add_header",
            Action::Greylist => "greylist",
            Action::NoAction => "no_action",
        }
    }

    /// Whether the message counts as spam (`reject` or `add_header`).
    pub fn is_spam(self) -> bool {
        matches!(self, Action::Reject | Action::AddHeader)
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reason in a score: a named symbol, its contribution and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Symbol {
    name: String,
    score: f64,
    detail: String,
}

impl Symbol {
    /// The symbol's name (`MISSING_DATE`, `BAYES_SPAM`, ...).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// What it added to the score.
    pub fn score(&self) -> f64 {
        self.score
    }
    /// Why it fired.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

/// The scorer's verdict on one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    score: f64,
    action: Action,
    required: f64,
    symbols: Vec<Symbol>,
    bayes: Option<f64>,
    #[serde(skip)]
    bayes_log_odds: Option<f64>,
}

impl Report {
    /// The total score.
    pub fn score(&self) -> f64 {
        self.score
    }
    /// The action its thresholds give.
    pub fn action(&self) -> Action {
        self.action
    }
    /// Whether it is spam (`reject` or `add_header`).
    pub fn is_spam(&self) -> bool {
        self.action.is_spam()
    }
    /// Every symbol that fired, largest contribution first.
    pub fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }
    /// The classifier's spam probability, when it voted.
    pub fn bayes_probability(&self) -> Option<f64> {
        self.bayes
    }
    /// The classifier's log-odds `ln(p / (1 − p))`, when it voted (not
    /// saturated: what the fitted second stage weighs).
    pub fn bayes_log_odds(&self) -> Option<f64> {
        self.bayes_log_odds
    }
    /// The `X-Spam-Status` value: `Yes, score=7.2 required=6.0
    /// tests=BAYES_SPAM,MISSING_DATE action=add_header`.
    pub fn x_spam_status(&self) -> String {
        let tests: Vec<&str> = self.symbols.iter().map(|s| s.name.as_str()).collect();
        format!(
            "{}, score={:.1} required={:.1} tests={} action={}",
            if self.is_spam() { "Yes" } else { "No" },
            self.score,
            self.required,
            if tests.is_empty() {
                "none".to_owned()
            } else {
                tests.join(",")
            },
            self.action
        )
    }
    /// The `X-Spam-Score` value (`7.2`).
    pub fn x_spam_score(&self) -> String {
        format!("{:.1}", self.score)
    }
    /// Headers to add: `X-Spam-Status`, `X-Spam-Score`, and `X-Spam-Flag:
    /// YES` when the message is spam.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut h = vec![
            ("X-Spam-Status", self.x_spam_status()),
            ("X-Spam-Score", self.x_spam_score()),
        ];
        if self.is_spam() {
            h.push(("X-Spam-Flag", "YES".to_owned()));
        }
        h
    }
}

/// Scores messages. Holds only configuration; the model is passed in.
#[derive(Debug, Clone)]
pub struct Scorer {
    config: Config,
    classifier: Classifier,
}

impl Default for Scorer {
    fn default() -> Self {
        Scorer::new(Config::default())
    }
}

impl Scorer {
    /// A scorer with this configuration.
    pub fn new(config: Config) -> Self {
        let classifier = Classifier::new(config.bayes);
        Scorer { config, classifier }
    }

    /// Its configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Its classifier (for learning).
    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// Scores a parsed message. `store` holds the classifier's model;
    /// without one (or if it fails) the rules alone decide and a
    /// `BAYES_UNAVAILABLE` symbol says why.
    pub fn score(
        &self,
        message: &Message<'_>,
        evidence: &Evidence,
        store: Option<&dyn TokenStore>,
    ) -> Report {
        self.score_analysis(&Analysis::of(message), evidence, store)
    }

    /// Parses `raw` and scores it (a convenience; a pipeline that already
    /// parsed the message calls [`score`](Scorer::score)). Bytes that do not
    /// parse as a message are an error.
    pub fn score_bytes(
        &self,
        raw: &[u8],
        evidence: &Evidence,
        store: Option<&dyn TokenStore>,
    ) -> Result<Report, SpamError> {
        let message = MessageParser::default()
            .parse(raw)
            .ok_or(SpamError::Parse)?;
        Ok(self.score(&message, evidence, store))
    }

    /// Scores an [`Analysis`] made earlier.
    pub fn score_analysis(
        &self,
        analysis: &Analysis,
        evidence: &Evidence,
        store: Option<&dyn TokenStore>,
    ) -> Report {
        let mut symbols: Vec<Symbol> = Vec::new();
        let mut bayes = None;
        let mut bayes_log_odds = None;
        let mut sender = None;
        let verdict = store.map(|s| {
            self.classifier
                .classify_with_sender(s, analysis)
                .map(|(v, h)| {
                    sender = h;
                    v
                })
        });
        match verdict {
            None => symbols.push(self.symbol("BAYES_UNAVAILABLE", 1.0, "no token store".into())),
            Some(Err(e)) => symbols.push(self.symbol("BAYES_UNAVAILABLE", 1.0, e.to_string())),
            Some(Ok(BayesVerdict::NotReady { learned })) => symbols.push(self.symbol(
                "BAYES_NOT_READY",
                1.0,
                format!(
                    "learned {} spam and {} ham, needs {} of each",
                    learned.spam, learned.ham, self.config.bayes.min_learned
                ),
            )),
            Some(Ok(BayesVerdict::Probability {
                probability,
                tokens_used,
                log_odds,
            })) => {
                bayes = Some(probability);
                bayes_log_odds = Some(log_odds);
                let detail = format!(
                    "p={probability:.4} (log-odds {log_odds:.2}) from {tokens_used} tokens"
                );
                if let Some((name, scale)) = self.config.bayes.scale(probability, log_odds) {
                    symbols.push(self.symbol(name, scale, detail));
                }
            }
        }
        if bayes.is_some()
            && let Some(h) = sender
        {
            self.sender_symbols(h, &evidence.auth, &mut symbols);
        }
        for (name, detail) in rules::evaluate(&analysis.features, evidence, &self.config.rules) {
            symbols.push(self.symbol(name, 1.0, detail));
        }
        for hit in &evidence.dnsbl {
            let codes: Vec<String> = hit.codes.iter().map(ToString::to_string).collect();
            symbols.push(Symbol {
                name: hit.symbol.clone(),
                score: self.config.weight(&hit.symbol),
                detail: format!("{} lists the client ({})", hit.zone, codes.join(",")),
            });
        }
        let score: f64 = symbols.iter().map(|s| s.score).sum();
        let score = (score * 1000.0).round() / 1000.0;
        symbols.sort_by(|a, b| {
            b.score
                .abs()
                .total_cmp(&a.score.abs())
                .then(a.name.cmp(&b.name))
        });
        let t = &self.config.actions;
        let action = if score >= t.reject {
            Action::Reject
        } else if score >= t.add_header {
            Action::AddHeader
        } else if score >= t.greylist {
            Action::Greylist
        } else {
            Action::NoAction
        };
        Report {
            score,
            action,
            required: t.add_header,
            symbols,
            bayes,
            bayes_log_odds,
        }
    }

    /// The sender-history symbols (only when the classifier voted, so the
    /// model has learned enough of both classes), per level (From address,
    /// From domain) with `h`, `s` the learned ham and spam from it (each at
    /// most `sender_count_cap`): `SENDER_ADDR_HAM` / `SENDER_DOM_HAM` =
    /// weight × ln((1 + h) / (1 + s)) when `h > s`, `SENDER_ADDR_SPAM` /
    /// `SENDER_DOM_SPAM` = weight × ln((1 + s) / (1 + h)) when `s > h`. A
    /// domain that sends both (a freemail provider) is near 0 either way.
    ///
    /// The From can be forged, so: the ham side is given only when the
    /// authentication evidence does not contradict the From (no DMARC
    /// `fail`; without a DMARC result, not an SPF `fail`/`softfail` or a
    /// DKIM `fail` without any DKIM `pass`), and together it subtracts at
    /// most `sender_max_bonus` points. The domain's spam side is not given
    /// when DMARC passes (what was learned as spam under that domain was
    /// then likely forged). Symbols whose weight is 0 do not fire.
    fn sender_symbols(&self, h: SenderHistory, auth: &AuthEvidence, out: &mut Vec<Symbol>) {
        let rules = &self.config.rules;
        let cap = f64::from(rules.sender_count_cap);
        let trust = SenderTrust::of(auth);
        let c = |n: u32| f64::from(n).min(cap);
        let mut ham: Vec<Symbol> = Vec::new();
        let mut spam: Vec<Symbol> = Vec::new();
        let (a, d) = (h.address, h.domain);
        let sides = [
            ("SENDER_ADDR_HAM", a.ham, a.spam, "address", true),
            ("SENDER_DOM_HAM", d.ham, d.spam, "domain", true),
            ("SENDER_ADDR_SPAM", a.spam, a.ham, "address", false),
            ("SENDER_DOM_SPAM", d.spam, d.ham, "domain", false),
        ];
        for (name, this, other, what, ham_side) in sides {
            let units = ((1.0 + c(this)) / (1.0 + c(other))).ln();
            if units <= 0.0 || self.config.weight(name) == 0.0 {
                continue;
            }
            if ham_side && trust == SenderTrust::Contradicted {
                continue;
            }
            if name == "SENDER_DOM_SPAM" && trust == SenderTrust::Aligned {
                continue;
            }
            let (hm, sp) = if ham_side {
                (this, other)
            } else {
                (other, this)
            };
            let detail = format!("the From {what} is in {hm} learned ham and {sp} spam messages");
            let s = self.symbol(name, units, detail);
            if ham_side { ham.push(s) } else { spam.push(s) }
        }
        cap_side(&mut ham, rules.sender_max_bonus, "ham");
        cap_side(&mut spam, rules.sender_max_penalty, "spam");
        out.extend(spam);
        out.extend(ham);
    }

    fn symbol(&self, name: &str, scale: f64, detail: String) -> Symbol {
        Symbol {
            name: name.to_owned(),
            score: ((self.config.weight(name) * scale) * 1000.0).round() / 1000.0,
            detail,
        }
    }
}

/// What the authentication evidence says about the From of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SenderTrust {
    /// DMARC passed: the From domain is authenticated and aligned.
    Aligned,
    /// The evidence contradicts the From (DMARC `fail`; without a DMARC
    /// result, SPF `fail`/`softfail` or a DKIM `fail` and no DKIM `pass`).
    Contradicted,
    /// Nothing either way (no evidence, or evidence that does not bind the
    /// From domain).
    Unknown,
}

impl SenderTrust {
    fn of(auth: &AuthEvidence) -> SenderTrust {
        match auth.dmarc {
            Some(AuthWord::Pass) => SenderTrust::Aligned,
            Some(AuthWord::Fail) => SenderTrust::Contradicted,
            _ => {
                let dkim_pass = auth.dkim.contains(&AuthWord::Pass);
                let dkim_fail = auth.dkim.contains(&AuthWord::Fail);
                let spf_fail = matches!(auth.spf, Some(AuthWord::Fail | AuthWord::SoftFail));
                if !dkim_pass && (spf_fail || dkim_fail) {
                    SenderTrust::Contradicted
                } else {
                    SenderTrust::Unknown
                }
            }
        }
    }
}

/// Scale one side of the sender history so that together it moves the
/// score by at most `max` points (each symbol says so in its detail).
fn cap_side(side: &mut [Symbol], max: f64, what: &str) {
    let total: f64 = side.iter().map(|s| s.score.abs()).sum();
    if total > max {
        let k = max / total;
        for s in side {
            s.score = ((s.score * k) * 1000.0).round() / 1000.0;
            s.detail
                .push_str(&format!(" ({what} side capped at {max:.1} points)"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Class, MemoryStore};
    use crate::{Classifier, Trainer};

    fn analysis(from: &str, body: &str) -> Analysis {
        let raw = format!("From: {from}\r\nSubject: s\r\n\r\n{body}\r\n");
        let msg = MessageParser::default()
            .parse(raw.as_bytes())
            .unwrap_or_default();
        Analysis::of(&msg)
    }

    /// `i` written with letters (`12` → `bc`), so each message has its own word.
    fn letters(i: usize) -> String {
        i.to_string()
            .bytes()
            .map(|d| char::from(b'a' + (d - b'0')))
            .collect()
    }

    /// 60 ham from alice@work.example (and 5 from bob@work.example), 60
    /// spam from random senders at shop.example.
    fn store() -> MemoryStore {
        let store = MemoryStore::new();
        let mut t = Trainer::new(&store, 20_000);
        for i in 0..60 {
            let w = letters(i);
            let ham = analysis("alice@work.example", &format!("minutes meeting item{w}"));
            let spam = analysis(
                &format!("deals{w}@shop.example"),
                &format!("cheap pills offer{w}"),
            );
            t.learn(&ham, Class::Ham).unwrap();
            t.learn(&spam, Class::Spam).unwrap();
        }
        for w in ["a", "b", "c", "d", "e"] {
            let ham = analysis("bob@work.example", &format!("notes agenda x{w}"));
            t.learn(&ham, Class::Ham).unwrap();
        }
        t.commit().unwrap();
        store
    }

    fn scorer(extra: &str) -> Scorer {
        Scorer::new(
            Config::from_toml_str(&format!(
                "[symbols]\nSENDER_ADDR_HAM = -2.0\nSENDER_DOM_HAM = -1.0\n\
                 SENDER_ADDR_SPAM = 1.0\nSENDER_DOM_SPAM = 1.5\n{extra}"
            ))
            .unwrap(),
        )
    }

    fn sym(r: &Report, name: &str) -> Option<f64> {
        r.symbols()
            .iter()
            .find(|s| s.name() == name)
            .map(Symbol::score)
    }

    fn dmarc(word: AuthWord) -> Evidence {
        let mut e = Evidence::default();
        e.auth.dmarc = Some(word);
        e
    }

    #[test]
    fn sender_history_symbols() {
        let store = store();
        let s = scorer("[rules]\nsender_max_bonus = 100.0\nsender_max_penalty = 100.0\n");
        let ham = analysis("alice@work.example", "minutes meeting again");
        let r = s.score_analysis(&ham, &Evidence::default(), Some(&store));
        // -2 × ln(1 + 50) (count capped at 50) and -1 × ln(1 + 65 → 50).
        let want = -2.0 * 51f64.ln();
        assert!(
            (sym(&r, "SENDER_ADDR_HAM").unwrap() - want).abs() < 0.01,
            "{r:?}"
        );
        assert!((sym(&r, "SENDER_DOM_HAM").unwrap() + 51f64.ln()).abs() < 0.01);
        assert_eq!(sym(&r, "SENDER_ADDR_SPAM"), None);
        // A new address at a known spam domain: only the domain speaks.
        let spam = analysis("new@shop.example", "cheap pills");
        let r = s.score_analysis(&spam, &Evidence::default(), Some(&store));
        assert!((sym(&r, "SENDER_DOM_SPAM").unwrap() - 1.5 * 51f64.ln()).abs() < 0.01);
        assert_eq!(sym(&r, "SENDER_ADDR_HAM"), None);
        // No symbol without a trained model or for the hand-set weights.
        let r = s.score_analysis(&ham, &Evidence::default(), None);
        assert_eq!(sym(&r, "SENDER_ADDR_HAM"), None);
        let hand = Scorer::new(Config::from_toml_str("fitted = false").unwrap());
        let r = hand.score_analysis(&ham, &Evidence::default(), Some(&store));
        assert!(r.symbols().iter().all(|s| !s.name().starts_with("SENDER_")));
        // Masked / placeholder senders have no history.
        let masked = analysis("user@masked.invalid", "minutes meeting");
        assert!(!masked.has_sender());
        let c = Classifier::new(s.config().bayes);
        assert_eq!(c.classify_with_sender(&store, &masked).unwrap().1, None);
    }

    #[test]
    fn a_domain_sending_both_is_neutral() {
        let store = store();
        // 60 spam at shop.example; now 60 ham there too (another address).
        let mut t = Trainer::new(&store, 20_000);
        for i in 0..60 {
            let w = letters(i);
            let ham = analysis("orders@shop.example", &format!("your order shipped ref{w}"));
            t.learn(&ham, Class::Ham).unwrap();
        }
        t.commit().unwrap();
        let s = scorer("");
        let new = analysis("new@shop.example", "your order shipped");
        let r = s.score_analysis(&new, &Evidence::default(), Some(&store));
        assert!(
            r.symbols()
                .iter()
                .all(|s| !s.name().starts_with("SENDER_DOM")),
            "{r:?}"
        );
        // The known address still speaks.
        let known = analysis("orders@shop.example", "your order shipped");
        let r = s.score_analysis(&known, &Evidence::default(), Some(&store));
        assert!(sym(&r, "SENDER_ADDR_HAM").is_some(), "{r:?}");
    }

    #[test]
    fn sender_history_is_capped_and_needs_authentication() {
        let store = store();
        let s = scorer("");
        let ham = analysis("alice@work.example", "minutes meeting again");
        // Capped at sender_max_bonus (6 by default) together.
        let r = s.score_analysis(&ham, &Evidence::default(), Some(&store));
        let bonus = sym(&r, "SENDER_ADDR_HAM").unwrap() + sym(&r, "SENDER_DOM_HAM").unwrap();
        assert!((bonus + 6.0).abs() < 0.01, "{r:?}");
        // A DMARC fail (a forged From) gets no ham side at all.
        let r = s.score_analysis(&ham, &dmarc(AuthWord::Fail), Some(&store));
        assert_eq!(sym(&r, "SENDER_ADDR_HAM"), None);
        assert_eq!(sym(&r, "SENDER_DOM_HAM"), None);
        // Without DMARC, an SPF fail and no DKIM pass count as forged too.
        let mut e = Evidence::default();
        e.auth.spf = Some(AuthWord::Fail);
        let r = s.score_analysis(&ham, &e, Some(&store));
        assert_eq!(sym(&r, "SENDER_ADDR_HAM"), None);
        e.auth.dkim = vec![AuthWord::Pass];
        let r = s.score_analysis(&ham, &e, Some(&store));
        assert!(sym(&r, "SENDER_ADDR_HAM").is_some());
        // A DMARC pass keeps the ham side, and drops the domain's spam
        // side (spam learned under an authenticated domain was forged).
        let r = s.score_analysis(&ham, &dmarc(AuthWord::Pass), Some(&store));
        assert!(sym(&r, "SENDER_ADDR_HAM").is_some());
        let spam = analysis("new@shop.example", "cheap pills");
        let r = s.score_analysis(&spam, &dmarc(AuthWord::Pass), Some(&store));
        assert_eq!(sym(&r, "SENDER_DOM_SPAM"), None);
        let r = s.score_analysis(&spam, &dmarc(AuthWord::Fail), Some(&store));
        assert!(sym(&r, "SENDER_DOM_SPAM").is_some());
        // The spam side is capped too (sender_max_penalty, 4 by default):
        // 1.5 × ln 51 ≈ 5.9 points uncapped.
        let r = s.score_analysis(&spam, &Evidence::default(), Some(&store));
        let penalty = sym(&r, "SENDER_DOM_SPAM").unwrap();
        assert!((penalty - 4.0).abs() < 0.01, "{r:?}");
    }
}
