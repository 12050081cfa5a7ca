//! The scorer: rules + classifier + evidence → score, action, symbols.

use mail_parser::{Message, MessageParser};
use serde::Serialize;

use crate::SpamError;
use crate::analysis::Analysis;
use crate::classifier::{BayesVerdict, Classifier};
use crate::config::Config;
use crate::evidence::Evidence;
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
        match store.map(|s| self.classifier.classify(s, analysis)) {
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

    fn symbol(&self, name: &str, scale: f64, detail: String) -> Symbol {
        Symbol {
            name: name.to_owned(),
            score: ((self.config.weight(name) * scale) * 1000.0).round() / 1000.0,
            detail,
        }
    }
}
