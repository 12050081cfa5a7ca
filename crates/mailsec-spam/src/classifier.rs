//! The Bayesian classifier: Robinson's token probabilities combined with
//! Fisher's method (inverse chi-square), as in SpamBayes and rspamd.

use crate::SpamError;
use crate::analysis::Analysis;
use crate::config::{BayesConfig, Combining};
use crate::hash::TokenMap;
use crate::store::{Class, LearnBatch, TokenCounts, TokenStore, Totals};

/// What the classifier says about a message.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum BayesVerdict {
    /// The model has not learned enough of each class to vote.
    NotReady {
        /// Messages learned per class so far.
        learned: Totals,
    },
    /// The spam probability (0 = ham, 1 = spam, 0.5 = cannot tell).
    Probability {
        /// The combined probability.
        probability: f64,
        /// Tokens that took part.
        tokens_used: usize,
        /// The same as log-odds `ln(p / (1 − p))`, not saturated (for
        /// `log_likelihood` the normalised sum itself; for `fisher` the
        /// logit of the probability, at most ±36).
        log_odds: f64,
    },
}

/// What a store has learned about a message's sender: the learned ham and
/// spam messages from the same From address and from the same From domain.
///
/// Like SpamAssassin's auto-welcomelist / TxRep, it is reputation of the
/// claimed sender: it says nothing about whether the From is forged, which
/// is why the scorer gives its ham side only when authentication does not
/// contradict the From, and caps it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SenderHistory {
    /// Learned messages from the same From address.
    pub address: TokenCounts,
    /// Learned messages from the same From domain.
    pub domain: TokenCounts,
}

/// What a learn or unlearn call did with one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LearnOutcome {
    /// Learned as the asked class.
    Learned,
    /// Already learned as that class; nothing changed.
    AlreadyLearned,
    /// Had been learned as the other class: moved to the asked class.
    Relearned,
    /// Removed from the class it had been learned as.
    Unlearned,
    /// Unlearn of a message that was never learned; nothing changed.
    NotLearned,
}

/// The Bayesian classifier (stateless: the model lives in a [`TokenStore`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Classifier {
    config: BayesConfig,
}

impl Classifier {
    /// A classifier with these parameters.
    pub fn new(config: BayesConfig) -> Self {
        Classifier { config }
    }

    /// Its parameters.
    pub fn config(&self) -> &BayesConfig {
        &self.config
    }

    /// Classifies a message's tokens against the model in `store`.
    pub fn classify(
        &self,
        store: &dyn TokenStore,
        analysis: &Analysis,
    ) -> Result<BayesVerdict, SpamError> {
        Ok(self.classify_with_sender(store, analysis)?.0)
    }

    /// Classifies a message and reads its sender's history from the same
    /// store lookup: how many learned ham and spam messages came from its
    /// From address and From domain (`None` when the message has no usable
    /// From address; see [`Analysis::has_sender`]). The history is not part
    /// of the Bayes sum: the scorer weighs it as separate symbols.
    pub fn classify_with_sender(
        &self,
        store: &dyn TokenStore,
        analysis: &Analysis,
    ) -> Result<(BayesVerdict, Option<SenderHistory>), SpamError> {
        let tokens = analysis.tokens();
        let n = tokens.len();
        let lookup = match analysis.sender {
            Some(s) => {
                let mut asked = Vec::with_capacity(n + 2);
                asked.extend_from_slice(tokens);
                asked.push(s.address);
                asked.push(s.domain);
                store.lookup(&asked)?
            }
            None => store.lookup(tokens)?,
        };
        let counts = lookup.counts.get(..n).unwrap_or(&lookup.counts);
        let backed;
        let counts = if self.config.backoff && !analysis.backoff.is_empty() {
            backed = self.back_off(store, analysis, counts)?;
            backed.as_deref().unwrap_or(counts)
        } else {
            counts
        };
        let sender = match (analysis.sender, lookup.counts.get(n..)) {
            (Some(_), Some([address, domain])) => Some(SenderHistory {
                address: *address,
                domain: *domain,
            }),
            _ => None,
        };
        Ok((self.verdict(counts, lookup.totals), sender))
    }

    /// The counts with unseen word tokens replaced by their back-off
    /// forms' counts (one more store lookup), or `None` when no unseen
    /// token has one.
    fn back_off(
        &self,
        store: &dyn TokenStore,
        analysis: &Analysis,
        counts: &[TokenCounts],
    ) -> Result<Option<Vec<TokenCounts>>, SpamError> {
        let tokens = analysis.tokens();
        let mut at = Vec::new();
        let mut asked = Vec::new();
        for (i, (t, c)) in tokens.iter().zip(counts).enumerate() {
            if c.spam == 0
                && c.ham == 0
                && let Ok(k) = analysis.backoff.binary_search_by_key(t, |p| p.0)
                && let Some((_, b)) = analysis.backoff.get(k)
            {
                at.push(i);
                asked.push(*b);
            }
        }
        if asked.is_empty() {
            return Ok(None);
        }
        let found = store.lookup(&asked)?;
        let mut out = counts.to_vec();
        for (i, c) in at.into_iter().zip(found.counts) {
            if let Some(slot) = out.get_mut(i) {
                *slot = c;
            }
        }
        Ok(Some(out))
    }

    fn verdict(&self, counts: &[TokenCounts], t: Totals) -> BayesVerdict {
        if t.spam < self.config.min_learned
            || t.ham < self.config.min_learned
            || t.spam == 0
            || t.ham == 0
        {
            return BayesVerdict::NotReady { learned: t };
        }
        let (ns, nh) = (t.spam as f64, t.ham as f64);
        if self.config.combining == Combining::LogLikelihood {
            return self.log_likelihood(counts, ns, nh);
        }
        let s = self.config.strength;
        let x = self.config.prior;
        let mut probs: Vec<f64> = Vec::with_capacity(counts.len());
        for c in counts {
            let n = f64::from(c.spam) + f64::from(c.ham);
            if n == 0.0 || n < f64::from(self.config.min_token_count) {
                continue;
            }
            let ps = (f64::from(c.spam) / ns).min(1.0);
            let ph = (f64::from(c.ham) / nh).min(1.0);
            let p = ps / (ps + ph);
            let f = (s * x + n * p) / (s + n);
            if (f - 0.5).abs() >= self.config.min_deviation {
                probs.push(f.clamp(1e-4, 1.0 - 1e-4));
            }
        }
        if probs.len() > self.config.max_tokens {
            probs.sort_unstable_by(|a, b| (b - 0.5).abs().total_cmp(&(a - 0.5).abs()));
            probs.truncate(self.config.max_tokens);
        }
        let probability = combine(&probs, self.config.dependence);
        let q = probability.clamp(1e-16, 1.0 - 1e-16);
        BayesVerdict::Probability {
            probability,
            tokens_used: probs.len(),
            log_odds: (q / (1.0 - q)).ln(),
        }
    }

    /// The `LogLikelihood` combining: a naive-Bayes log-odds over every
    /// known token, normalised by the message's token count.
    fn log_likelihood(&self, counts: &[TokenCounts], ns: f64, nh: f64) -> BayesVerdict {
        let a = self.config.smoothing;
        let min = f64::from(self.config.min_token_count.max(1));
        let (ln_ns, ln_nh) = ((ns + 2.0 * a).ln(), (nh + 2.0 * a).ln());
        let llr = |c: &TokenCounts| {
            let (cs, ch) = (f64::from(c.spam), f64::from(c.ham));
            (cs + ch >= min).then(|| ((cs + a).ln() - ln_ns) - ((ch + a).ln() - ln_nh))
        };
        let top = self.config.top_tokens;
        let mut n = counts.len().max(1) as f64;
        let (sum, used) = if top == 0 {
            // Every known token: summed in place, no allocation.
            counts
                .iter()
                .filter_map(llr)
                .fold((0.0, 0usize), |(s, k), x| (s + x, k + 1))
        } else {
            let mut llrs: Vec<f64> = counts.iter().filter_map(llr).collect();
            if llrs.len() > top {
                llrs.select_nth_unstable_by(top - 1, |x, y| y.abs().total_cmp(&x.abs()));
                llrs.truncate(top);
                n = top as f64;
            }
            (llrs.iter().sum(), llrs.len())
        };
        if used == 0 {
            return BayesVerdict::Probability {
                probability: 0.5,
                tokens_used: 0,
                log_odds: 0.0,
            };
        }
        let z = sum / n.powf(self.config.length_exponent) - self.config.offset;
        let z = if z.is_finite() { z } else { 0.0 };
        BayesVerdict::Probability {
            probability: 1.0 / (1.0 + (-z).exp()),
            tokens_used: used,
            log_odds: z,
        }
    }

    /// Learns one message as `class` now (one store transaction).
    pub fn learn(
        &self,
        store: &dyn TokenStore,
        analysis: &Analysis,
        class: Class,
        day: u32,
    ) -> Result<LearnOutcome, SpamError> {
        let mut trainer = Trainer::new(store, day);
        let outcome = trainer.learn(analysis, class)?;
        trainer.commit()?;
        Ok(outcome)
    }

    /// Learns one message as spam.
    pub fn learn_spam(
        &self,
        store: &dyn TokenStore,
        analysis: &Analysis,
        day: u32,
    ) -> Result<LearnOutcome, SpamError> {
        self.learn(store, analysis, Class::Spam, day)
    }

    /// Learns one message as ham.
    pub fn learn_ham(
        &self,
        store: &dyn TokenStore,
        analysis: &Analysis,
        day: u32,
    ) -> Result<LearnOutcome, SpamError> {
        self.learn(store, analysis, Class::Ham, day)
    }

    /// Removes a learned message from the model.
    pub fn unlearn(
        &self,
        store: &dyn TokenStore,
        analysis: &Analysis,
        day: u32,
    ) -> Result<LearnOutcome, SpamError> {
        let mut trainer = Trainer::new(store, day);
        let outcome = trainer.unlearn(analysis)?;
        trainer.commit()?;
        Ok(outcome)
    }
}

/// Learns many messages into one batch and applies it in one transaction:
/// how `mailsec train` learns thousands of messages in seconds.
///
/// Nothing reaches the store until [`commit`](Trainer::commit); dropping a
/// trainer discards what it gathered.
pub struct Trainer<'s> {
    store: &'s dyn TokenStore,
    batch: LearnBatch,
    seen: TokenMap<Option<Class>>,
    learned: usize,
}

impl std::fmt::Debug for Trainer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trainer")
            .field("pending", &self.learned)
            .finish_non_exhaustive()
    }
}

impl<'s> Trainer<'s> {
    /// A trainer writing to `store`; `day` (days since the Unix epoch) is
    /// recorded as the tokens' last-seen day.
    pub fn new(store: &'s dyn TokenStore, day: u32) -> Self {
        Trainer {
            store,
            batch: LearnBatch::new(day),
            seen: TokenMap::default(),
            learned: 0,
        }
    }

    fn current(&mut self, digest: u64) -> Result<Option<Class>, SpamError> {
        if let Some(c) = self.seen.get(&digest) {
            return Ok(*c);
        }
        let c = self.store.learned(&[digest])?.into_iter().next().flatten();
        self.seen.insert(digest, c);
        Ok(c)
    }

    /// The message's tokens and its sender's address token (kept beside
    /// the classifier's tokens for the sender history; not in the digest).
    fn add(&mut self, analysis: &Analysis, class: Class, sign: i64) {
        self.batch.add(analysis.tokens(), class, sign);
        if let Some(s) = analysis.sender {
            self.batch.add_token(s.address, class, sign);
        }
    }

    fn mark(&mut self, digest: u64, class: Option<Class>) {
        self.seen.insert(digest, class);
        self.batch.marks.insert(digest, class);
    }

    /// Adds a message learned as `class` to the batch.
    pub fn learn(&mut self, analysis: &Analysis, class: Class) -> Result<LearnOutcome, SpamError> {
        let digest = analysis.digest();
        let outcome = match self.current(digest)? {
            Some(c) if c == class => return Ok(LearnOutcome::AlreadyLearned),
            Some(other) => {
                self.add(analysis, other, -1);
                LearnOutcome::Relearned
            }
            None => LearnOutcome::Learned,
        };
        self.add(analysis, class, 1);
        self.mark(digest, Some(class));
        self.learned += 1;
        Ok(outcome)
    }

    /// Adds the removal of a learned message to the batch.
    pub fn unlearn(&mut self, analysis: &Analysis) -> Result<LearnOutcome, SpamError> {
        let digest = analysis.digest();
        match self.current(digest)? {
            Some(c) => {
                self.add(analysis, c, -1);
                self.mark(digest, None);
                self.learned += 1;
                Ok(LearnOutcome::Unlearned)
            }
            None => Ok(LearnOutcome::NotLearned),
        }
    }

    /// Messages changed in the pending batch.
    pub fn pending(&self) -> usize {
        self.learned
    }

    /// Applies the pending batch in one transaction and starts a new one.
    pub fn commit(&mut self) -> Result<(), SpamError> {
        if !self.batch.is_empty() {
            self.store.apply(&self.batch)?;
        }
        self.batch = LearnBatch::new(self.batch.day);
        self.seen.clear();
        self.learned = 0;
        Ok(())
    }
}

/// Fisher/Robinson combining: (1 + S - H) / 2 where S and H come from the
/// inverse chi-square of the token probabilities and their complements.
fn combine(probs: &[f64], dependence: f64) -> f64 {
    if probs.is_empty() {
        return 0.5;
    }
    let k = if dependence.is_finite() && dependence >= 1.0 {
        dependence
    } else {
        1.0
    };
    let n = ((probs.len() as f64 / k).ceil() as usize).max(1);
    let ln_ham: f64 = probs.iter().map(|p| p.ln()).sum::<f64>() / k;
    let ln_spam: f64 = probs.iter().map(|p| (1.0 - p).ln()).sum::<f64>() / k;
    // S: evidence for spam (the complements 1 - p are small when the
    // tokens say spam, so their chi-square tail is small); H likewise.
    let spamminess = 1.0 - chi2_q(-2.0 * ln_spam, n);
    let hamminess = 1.0 - chi2_q(-2.0 * ln_ham, n);
    ((1.0 + spamminess - hamminess) / 2.0).clamp(0.0, 1.0)
}

/// P(chi-square with 2n degrees of freedom >= x2), computed in log space so
/// that hundreds of tokens neither underflow nor overflow.
fn chi2_q(x2: f64, n: usize) -> f64 {
    if !x2.is_finite() || x2 <= 0.0 {
        return 1.0;
    }
    let m = x2 / 2.0;
    let ln_m = m.ln();
    let mut term = -m;
    let mut max = term;
    let mut terms = Vec::with_capacity(n);
    terms.push(term);
    for i in 1..n {
        term += ln_m - (i as f64).ln();
        max = max.max(term);
        terms.push(term);
    }
    let sum: f64 = terms.iter().map(|t| (t - max).exp()).sum();
    (max + sum.ln()).exp().min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chi2_matches_closed_form() {
        // 2 dof: Q = exp(-x/2)
        assert!((chi2_q(3.0, 1) - (-1.5f64).exp()).abs() < 1e-12);
        // 4 dof: Q = exp(-m)(1 + m)
        let m: f64 = 2.5;
        assert!((chi2_q(5.0, 2) - (-m).exp() * (1.0 + m)).abs() < 1e-12);
        // huge arguments do not underflow to NaN
        assert!(chi2_q(1e6, 300).is_finite());
    }

    fn counts(v: &[(u32, u32)]) -> Vec<TokenCounts> {
        v.iter()
            .map(|&(spam, ham)| TokenCounts { spam, ham })
            .collect()
    }

    #[test]
    fn top_tokens_keeps_the_strongest_either_way() {
        let mut config = crate::Config::default().bayes;
        config.top_tokens = 2;
        let c = Classifier::new(config);
        let v = counts(&[(50, 1), (1, 50), (10, 10), (11, 9), (9, 11)]);
        let BayesVerdict::Probability {
            probability,
            tokens_used,
            ..
        } = c.log_likelihood(&v, 100.0, 100.0)
        else {
            panic!("votes")
        };
        assert_eq!(tokens_used, 2);
        // The two strongest cancel out; the weak ones were left out.
        assert!((probability - 0.5).abs() < 1e-9, "{probability}");
        let BayesVerdict::Probability { tokens_used, .. } =
            Classifier::new(crate::Config::default().bayes).log_likelihood(&v, 100.0, 100.0)
        else {
            panic!("votes")
        };
        assert_eq!(tokens_used, 5);
    }

    #[test]
    fn log_likelihood_orders_and_normalises() {
        let c = Classifier::new(crate::Config::default().bayes);
        assert_eq!(c.config().combining, Combining::LogLikelihood);
        let p = |v: &[(u32, u32)]| match c.log_likelihood(&counts(v), 100.0, 100.0) {
            BayesVerdict::Probability { probability, .. } => probability,
            BayesVerdict::NotReady { .. } => panic!("votes"),
        };
        let spam = p(&[(50, 1), (40, 2), (0, 0)]);
        let ham = p(&[(1, 50), (2, 40), (0, 0)]);
        assert!(spam > 0.95, "{spam}");
        assert!((spam + ham - 1.0).abs() < 1e-9, "symmetric");
        // Unknown tokens vote for neither class but dilute the evidence.
        assert_eq!(p(&[(0, 0), (0, 0)]), 0.5);
        assert!(p(&[(50, 1), (0, 0), (0, 0), (0, 0)]) < p(&[(50, 1)]));
        // Evenly seen tokens are neutral.
        assert!((p(&[(10, 10), (3, 3)]) - 0.5).abs() < 1e-9);
        // More messages of a class make its counts weigh less.
        let skewed = match c.log_likelihood(&counts(&[(10, 10)]), 1000.0, 100.0) {
            BayesVerdict::Probability { probability, .. } => probability,
            BayesVerdict::NotReady { .. } => panic!("votes"),
        };
        assert!(skewed < 0.5, "{skewed}");
    }

    #[test]
    fn backoff_looks_up_plain_forms_of_unseen_words() {
        let parse = |raw: &str| {
            Analysis::of(
                &mail_parser::MessageParser::default()
                    .parse(raw.as_bytes())
                    .unwrap(),
            )
        };
        let store = crate::MemoryStore::new();
        let mut t = Trainer::new(&store, 1);
        for w in ["one", "two", "three"] {
            let spam = parse(&format!("Subject: s {w}\r\n\r\ncheap viagra pills {w}\r\n"));
            let ham = parse(&format!("Subject: h {w}\r\n\r\nmeeting notes {w}\r\n"));
            t.learn(&spam, Class::Spam).unwrap();
            t.learn(&ham, Class::Ham).unwrap();
        }
        t.commit().unwrap();
        let mut config = crate::Config::default().bayes;
        config.min_learned = 1;
        let z = |config: BayesConfig, raw: &str| match Classifier::new(config)
            .classify(&store, &parse(raw))
            .unwrap()
        {
            BayesVerdict::Probability { log_odds, .. } => log_odds,
            BayesVerdict::NotReady { .. } => panic!("votes"),
        };
        // "v1agra", and "viagra" in a Subject, were never learned as such.
        for raw in ["\r\nv1agra\r\n", "Subject: viagra\r\n\r\n\r\n"] {
            let off = z(config, raw);
            config.backoff = true;
            let on = z(config, raw);
            config.backoff = false;
            // Only the header/shape tokens count without it; with it the
            // body word's spam counts too.
            assert!(on > off + 0.5, "{raw:?}: {off} -> {on}");
        }
        // A seen token is not replaced.
        config.backoff = true;
        let seen = z(config, "\r\nmeeting\r\n");
        config.backoff = false;
        assert_eq!(seen, z(config, "\r\nmeeting\r\n"));
    }

    #[test]
    fn combine_is_symmetric_and_ordered() {
        assert_eq!(combine(&[], 1.0), 0.5);
        let spam = combine(&[0.99; 20], 1.0);
        let ham = combine(&[0.01; 20], 1.0);
        assert!(spam > 0.99, "{spam}");
        assert!(ham < 0.01, "{ham}");
        assert!((spam + ham - 1.0).abs() < 1e-9);
        let mixed = combine(&[0.99, 0.01, 0.99, 0.01], 1.0);
        assert!((mixed - 0.5).abs() < 1e-9);
    }
}
