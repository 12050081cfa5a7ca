//! Configuration: thresholds, symbol weights, classifier and rule knobs.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::SpamError;

/// The built-in configuration (TOML), which a caller's file overrides.
pub const DEFAULT_CONFIG: &str = include_str!("default.toml");

/// The fitted second stage (TOML, merged over [`DEFAULT_CONFIG`] unless the
/// caller's file says `fitted = false`): symbol weights and the Bayes
/// log-odds weight learned by a logistic regression over the classifier's
/// out-of-fold log-odds and the rule symbols on the development corpus
/// (`spam_eval fit-stage2`; docs/spam.md). Evidence symbols (SPF, DKIM,
/// DMARC, links, DNSBL) keep their hand-set weights.
pub const STAGE2_CONFIG: &str = include_str!("stage2.toml");

/// Scores at or above which an action is taken.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Reject the message.
    pub reject: f64,
    /// Deliver it marked as spam.
    pub add_header: f64,
    /// Ask the sender to retry later.
    pub greylist: f64,
}

/// How the classifier combines the evidence of a message's tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Combining {
    /// The default: the sum over every known token of its smoothed
    /// log-likelihood ratio `ln P(token | spam) − ln P(token | ham)`,
    /// divided by `n^length_exponent` (n = the message's tokens), minus
    /// `offset`, as log-odds: `p = 1 / (1 + e^−z)`. Uses `smoothing` and
    /// `min_token_count`.
    LogLikelihood,
    /// Robinson's token probabilities combined with Fisher's method
    /// (inverse chi-square), as SpamBayes and rspamd do. Uses `strength`,
    /// `prior`, `min_deviation`, `min_token_count`, `dependence` and
    /// `max_tokens`.
    Fisher,
}

/// How the classifier's verdict becomes `BAYES_SPAM` / `BAYES_HAM` points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Contribution {
    /// The symbol's weight × `2·|p − 0.5|` (full weight at certainty).
    Probability,
    /// The symbol's weight × the log-odds `z` (`BAYES_SPAM` for z above
    /// `logit(spam_above)`, `BAYES_HAM` × `|z|` below `logit(ham_below)`),
    /// `|z|` capped at `log_odds_cap`: linear, so strong evidence keeps
    /// its rank instead of saturating. The weights are points per unit of
    /// log-odds (the fitted second stage, `stage2.toml`).
    LogOdds,
}

/// The Bayesian classifier's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BayesConfig {
    /// Messages of each class learned before the classifier votes.
    pub min_learned: u64,
    /// How token evidence is combined.
    pub combining: Combining,
    /// Additive (Lidstone) smoothing of the per-class token frequencies
    /// (`LogLikelihood`): `(count + smoothing) / (messages + 2·smoothing)`.
    pub smoothing: f64,
    /// The log-likelihood sum is divided by the number of the message's
    /// tokens to this power (`LogLikelihood`; 0.5 = square root), so that
    /// long messages do not reach certainty on many weak tokens.
    pub length_exponent: f64,
    /// Subtracted from the normalised log-likelihood before it becomes a
    /// probability (`LogLikelihood`; positive = more cautious).
    pub offset: f64,
    /// Robinson's strength `s` of the prior.
    pub strength: f64,
    /// Robinson's assumed probability `x` of an unknown token.
    pub prior: f64,
    /// Tokens closer than this to 0.5 are ignored.
    pub min_deviation: f64,
    /// Tokens seen in fewer learned messages than this are ignored.
    pub min_token_count: u32,
    /// How many tokens carry one independent piece of evidence. OSB tokens
    /// overlap (each word is in up to five of them), and Fisher's method
    /// assumes independence; the chi-square statistic and its degrees of
    /// freedom are divided by this factor so that overlapping tokens do not
    /// drive both tails to certainty.
    pub dependence: f64,
    /// At most this many tokens (the most telling) are combined (`Fisher`).
    pub max_tokens: usize,
    /// `LogLikelihood`: when above 0, only this many of the message's
    /// tokens, those with the largest log-likelihood ratios either way, are
    /// summed (SpamBayes keeps the strongest 150), and the sum is
    /// normalised by that many; 0 sums every known token.
    pub top_tokens: usize,
    /// `BAYES_SPAM` fires above this probability.
    pub spam_above: f64,
    /// `BAYES_HAM` fires below this probability.
    pub ham_below: f64,
    /// How the verdict becomes points.
    pub contribution: Contribution,
    /// `LogOdds`: the largest `|z|` that counts.
    pub log_odds_cap: f64,
    /// Token back-off (SpamAssassin/DSPAM "degeneration"): a word token
    /// the model has never seen is looked up again in a plainer form — a
    /// Subject word as the same word in the body, a word with digits for
    /// letters (`v1agra`) with the letters restored, an accented word
    /// without its accents — in one more store lookup.
    #[serde(default)]
    pub backoff: bool,
}

impl BayesConfig {
    /// The Bayes symbol and its scale (the weight's multiplier) for a
    /// verdict with spam probability `p` and log-odds `z`, or `None` in the
    /// dead zone between `ham_below` and `spam_above`.
    pub fn scale(&self, p: f64, z: f64) -> Option<(&'static str, f64)> {
        let cap = self.log_odds_cap;
        if p > self.spam_above {
            Some(match self.contribution {
                Contribution::Probability => ("BAYES_SPAM", (p - 0.5) * 2.0),
                Contribution::LogOdds => ("BAYES_SPAM", z.clamp(0.0, cap)),
            })
        } else if p < self.ham_below {
            Some(match self.contribution {
                Contribution::Probability => ("BAYES_HAM", (0.5 - p) * 2.0),
                Contribution::LogOdds => ("BAYES_HAM", (-z).clamp(0.0, cap)),
            })
        } else {
            None
        }
    }
}

/// Knobs of the header and structure rules.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// `MANY_RECIPIENTS` at this many To + Cc addresses.
    pub many_recipients: usize,
    /// `HTML_LITTLE_TEXT` below this many visible characters.
    pub little_text_chars: usize,
    /// `IMAGE_ONLY` below this many characters beside images.
    pub image_only_text_chars: usize,
    /// `INVISIBLE_TEXT` at this many hidden characters.
    pub hidden_chars_min: usize,
    /// `INVISIBLE_CHARS` at this many zero-width characters.
    pub invisible_chars_min: usize,
    /// `DATE_IN_FUTURE` beyond this many hours after receipt.
    pub future_date_hours: i64,
    /// `DATE_FAR_FROM_RECEIVED` beyond this many days from the first
    /// `Received` time.
    pub received_skew_days: i64,
    /// Brand names that a display name should not claim from an unrelated
    /// domain (`FROM_NAME_BRAND_MISMATCH`).
    pub brands: Vec<String>,
    /// Sender history (`SENDER_*` symbols): each count counts as
    /// `ln(1 + min(count, sender_count_cap))`.
    #[serde(default = "default_sender_count_cap")]
    pub sender_count_cap: u32,
    /// The most points the ham side of the sender history
    /// (`SENDER_ADDR_HAM` + `SENDER_DOM_HAM`) may subtract: a spammer who
    /// forges a known sender's From gains at most this much.
    #[serde(default = "default_sender_max_bonus")]
    pub sender_max_bonus: f64,
    /// The most points the spam side of the sender history
    /// (`SENDER_ADDR_SPAM` + `SENDER_DOM_SPAM`) may add: a first message
    /// from a freemail domain whose learned mail was mostly spam is not
    /// marked on its domain alone.
    #[serde(default = "default_sender_max_penalty")]
    pub sender_max_penalty: f64,
}

fn default_sender_count_cap() -> u32 {
    50
}

fn default_sender_max_bonus() -> f64 {
    6.0
}

fn default_sender_max_penalty() -> f64 {
    4.0
}

/// One DNS blocklist zone for the connecting IP.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsblZone {
    /// The zone (`zen.spamhaus.org`).
    pub zone: String,
    /// The symbol that fires when the IP is listed.
    pub symbol: String,
    /// Its weight.
    pub weight: f64,
}

/// The whole spam configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Action thresholds.
    pub actions: Thresholds,
    /// Classifier parameters.
    pub bayes: BayesConfig,
    /// Weight per symbol name.
    pub symbols: BTreeMap<String, f64>,
    /// Rule knobs.
    pub rules: RuleConfig,
    /// DNS blocklists.
    #[serde(default)]
    pub dnsbl: Vec<DnsblZone>,
    /// Whether the fitted weights ([`STAGE2_CONFIG`]) are merged over the
    /// defaults (`fitted = false` keeps the hand-set weights of
    /// `default.toml`).
    #[serde(default = "yes")]
    pub fitted: bool,
}

fn yes() -> bool {
    true
}

impl Default for Config {
    fn default() -> Self {
        // The embedded file is tested to parse (see tests below).
        Config::from_toml_str("").unwrap_or_else(|_| Config::fallback())
    }
}

impl Config {
    /// The defaults with `toml` (the caller's overrides) merged over them.
    ///
    /// Tables merge key by key; arrays (`dnsbl`, `brands`) replace the
    /// default ones. An unknown key or symbol name is an error, so a typo
    /// does not silently keep a default.
    pub fn from_toml_str(toml: &str) -> Result<Config, SpamError> {
        let overrides: toml::Table = toml.parse()?;
        Self::from_table(overrides)
    }

    /// The `[spam]` table of a whole mailsec configuration file (the
    /// `--config FILE` of the command line); the defaults when the file has
    /// no such table.
    pub fn from_mailsec_toml(toml: &str) -> Result<Config, SpamError> {
        let mut all: toml::Table = toml.parse()?;
        match all.remove("spam") {
            Some(toml::Value::Table(t)) => Self::from_table(t),
            Some(_) => Err(SpamError::ConfigValue("[spam] must be a table".into())),
            None => Self::from_table(toml::Table::new()),
        }
    }

    /// Like [`from_toml_str`](Config::from_toml_str), from a parsed table
    /// (for example the `[spam]` table of a larger configuration file).
    pub fn from_table(overrides: toml::Table) -> Result<Config, SpamError> {
        let mut base: toml::Table = DEFAULT_CONFIG.parse()?;
        let known: Vec<String> = match base.get("symbols") {
            Some(toml::Value::Table(t)) => t.keys().cloned().collect(),
            _ => Vec::new(),
        };
        let fitted = !matches!(overrides.get("fitted"), Some(toml::Value::Boolean(false)));
        if fitted {
            let stage2: toml::Table = STAGE2_CONFIG.parse()?;
            merge(&mut base, stage2);
        }
        merge(&mut base, overrides);
        let config: Config = toml::Value::Table(base).try_into()?;
        for name in config.symbols.keys() {
            if !known.contains(name) {
                return Err(SpamError::ConfigValue(format!("unknown symbol {name}")));
            }
        }
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), SpamError> {
        let a = &self.actions;
        if !(a.greylist <= a.add_header && a.add_header <= a.reject) {
            return Err(SpamError::ConfigValue(
                "thresholds must satisfy greylist <= add_header <= reject".into(),
            ));
        }
        let b = &self.bayes;
        if !(0.0..=1.0).contains(&b.prior)
            || b.strength < 0.0
            || b.ham_below > b.spam_above
            || b.smoothing <= 0.0
            || !b.smoothing.is_finite()
            || !(0.0..=1.0).contains(&b.length_exponent)
            || !b.offset.is_finite()
            || !(b.log_odds_cap > 0.0 && b.log_odds_cap.is_finite())
        {
            return Err(SpamError::ConfigValue(
                "bayes parameters out of range".into(),
            ));
        }
        if !(self.rules.sender_max_bonus >= 0.0 && self.rules.sender_max_bonus.is_finite()) {
            return Err(SpamError::ConfigValue(
                "rules.sender_max_bonus must be a finite number >= 0".into(),
            ));
        }
        if !(self.rules.sender_max_penalty >= 0.0 && self.rules.sender_max_penalty.is_finite()) {
            return Err(SpamError::ConfigValue(
                "rules.sender_max_penalty must be a finite number >= 0".into(),
            ));
        }
        Ok(())
    }

    /// The weight of a symbol (0 when unknown).
    pub fn weight(&self, symbol: &str) -> f64 {
        if let Some(w) = self.symbols.get(symbol) {
            return *w;
        }
        self.dnsbl
            .iter()
            .find(|z| z.symbol == symbol)
            .map_or(0.0, |z| z.weight)
    }

    fn fallback() -> Config {
        Config {
            actions: Thresholds {
                reject: 15.0,
                add_header: 6.0,
                greylist: 4.0,
            },
            bayes: BayesConfig {
                min_learned: 50,
                combining: Combining::LogLikelihood,
                smoothing: 0.1,
                length_exponent: 0.5,
                offset: 0.0,
                strength: 1.0,
                prior: 0.5,
                min_deviation: 0.1,
                min_token_count: 2,
                dependence: 1.0,
                max_tokens: 250,
                top_tokens: 0,
                spam_above: 0.6,
                ham_below: 0.4,
                contribution: Contribution::Probability,
                log_odds_cap: 20.0,
                backoff: false,
            },
            symbols: BTreeMap::new(),
            rules: RuleConfig {
                many_recipients: 25,
                little_text_chars: 200,
                image_only_text_chars: 100,
                hidden_chars_min: 40,
                invisible_chars_min: 5,
                future_date_hours: 24,
                received_skew_days: 4,
                brands: Vec::new(),
                sender_count_cap: default_sender_count_cap(),
                sender_max_bonus: default_sender_max_bonus(),
                sender_max_penalty: default_sender_max_penalty(),
            },
            dnsbl: Vec::new(),
            fitted: false,
        }
    }
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_parses() {
        let c = Config::from_toml_str("").unwrap();
        assert_eq!(c.actions.add_header, 6.0);
        assert!(c.symbols.contains_key("BAYES_SPAM"));
        assert_eq!(c.weight("RBL_SPAMHAUS"), 5.0);
        assert_eq!(Config::default(), c);
    }

    #[test]
    fn overrides_merge() {
        let c =
            Config::from_toml_str("[actions]\nadd_header = 5.0\n[symbols]\nMISSING_DATE = 3.5\n")
                .unwrap();
        assert_eq!(c.actions.add_header, 5.0);
        assert_eq!(c.actions.reject, Config::default().actions.reject);
        assert_eq!(c.weight("MISSING_DATE"), 3.5);
        assert_eq!(c.weight("MISSING_MID"), 1.0);
    }

    #[test]
    fn fitted_stage_is_merged_unless_turned_off() {
        let fitted = Config::default();
        let hand = Config::from_toml_str("fitted = false").unwrap();
        let stage2: toml::Table = STAGE2_CONFIG.parse().unwrap();
        assert!(fitted.fitted && !hand.fitted);
        assert_eq!(hand.bayes.contribution, Contribution::Probability);
        assert_eq!(hand.weight("BAYES_SPAM"), 9.0);
        assert_eq!(hand.actions.reject, 15.0);
        if let Some(toml::Value::Table(symbols)) = stage2.get("symbols") {
            // Every fitted weight is a known symbol's, and it is the one used.
            for (name, w) in symbols {
                assert!(hand.symbols.contains_key(name), "{name}");
                assert_eq!(Some(fitted.weight(name)), w.as_float(), "{name}");
            }
            assert_eq!(fitted.bayes.contribution, Contribution::LogOdds);
        }
        // The add_header threshold is the contract: the fit does not move it.
        assert_eq!(fitted.actions.add_header, 6.0);
        // Evidence symbols keep their hand-set weights.
        assert_eq!(fitted.weight("DMARC_FAIL_REJECT"), 5.0);
        assert_eq!(fitted.weight("LINKS_MESSAGE_PHISHING"), 5.0);
        // A caller's override still wins over the fitted weight.
        let c = Config::from_toml_str("[symbols]\nHTML_ONLY = 0.25\n").unwrap();
        assert_eq!(c.weight("HTML_ONLY"), 0.25);
    }

    #[test]
    fn log_odds_contribution_is_linear_and_capped() {
        let mut b = Config::from_toml_str("fitted = false").unwrap().bayes;
        b.contribution = Contribution::LogOdds;
        b.log_odds_cap = 15.0;
        let logistic = |z: f64| 1.0 / (1.0 + (-z).exp());
        assert_eq!(b.scale(logistic(3.0), 3.0), Some(("BAYES_SPAM", 3.0)));
        assert_eq!(b.scale(logistic(40.0), 40.0), Some(("BAYES_SPAM", 15.0)));
        assert_eq!(b.scale(logistic(-2.0), -2.0), Some(("BAYES_HAM", 2.0)));
        assert_eq!(b.scale(0.5, 0.0), None);
        b.contribution = Contribution::Probability;
        assert_eq!(b.scale(1.0, 40.0), Some(("BAYES_SPAM", 1.0)));
    }

    #[test]
    fn typos_are_errors() {
        assert!(Config::from_toml_str("[symbols]\nMISSING_DAET = 1.0\n").is_err());
        assert!(Config::from_toml_str("[actions]\nrejct = 1.0\n").is_err());
        assert!(Config::from_toml_str("[actions]\nreject = 1.0\n").is_err());
    }
}
