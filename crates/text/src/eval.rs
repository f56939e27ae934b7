//! Scoring a labelled evaluation set ([`TextCase`]s) against a matcher.
//!
//! A positive is *caught* when its verdict is at least what it deserves
//! (`block` for a disguised block term, `weak` for an age code...). A
//! negative is a *false positive* when its verdict is `strong` or `block`
//! (something a platform acts on); negatives that come out `weak` are counted
//! apart, since weak signals never act alone.

use std::collections::BTreeMap;

use guardrail_core::{Expect, TextCase};
use serde::Serialize;

use crate::{Level, Matcher};

/// Figures for one group (a transform, a kind of negative, or a surface).
#[derive(Clone, Default, Debug, Serialize)]
pub struct Tally {
    /// Positive cases.
    pub positives: usize,
    /// Positives caught.
    pub caught: usize,
    /// Negative cases.
    pub negatives: usize,
    /// Negatives flagged `strong` or `block`.
    pub false_positives: usize,
    /// Negatives that came out `weak`.
    pub weak_negatives: usize,
    /// Cases the engine refused (too long).
    pub errors: usize,
}

impl Tally {
    /// Share of positives caught, if there are any.
    pub fn recall(&self) -> Option<f64> {
        (self.positives > 0).then(|| self.caught as f64 / self.positives as f64)
    }

    /// Share of negatives flagged, if there are any.
    pub fn false_positive_rate(&self) -> Option<f64> {
        (self.negatives > 0).then(|| self.false_positives as f64 / self.negatives as f64)
    }

    fn add(&mut self, case: &TextCase, level: Option<Level>) {
        let Some(level) = level else {
            self.errors += 1;
            return;
        };
        if case.expect == Expect::Allow {
            self.negatives += 1;
            self.false_positives += usize::from(level >= Level::Strong);
            self.weak_negatives += usize::from(level == Level::Weak);
        } else {
            self.positives += 1;
            self.caught += usize::from(level >= level_of(case.expect));
        }
    }
}

fn level_of(e: Expect) -> Level {
    match e {
        Expect::Allow => Level::Allow,
        Expect::Weak => Level::Weak,
        Expect::Strong => Level::Strong,
        Expect::Block => Level::Block,
    }
}

/// A case the engine got wrong.
#[derive(Clone, Debug, Serialize)]
pub struct Miss {
    /// The case.
    pub case: TextCase,
    /// The verdict it got.
    pub got: Level,
}

/// Figures for a whole set.
#[derive(Clone, Default, Debug, Serialize)]
pub struct Report {
    /// Everything together.
    pub total: Tally,
    /// Per group (transform or kind of negative).
    pub groups: BTreeMap<String, Tally>,
    /// Per surface.
    pub surfaces: BTreeMap<String, Tally>,
    /// The first wrong cases (missed positives and false positives).
    pub misses: Vec<Miss>,
}

/// Scores `cases` with `matcher`, keeping up to `keep_misses` wrong cases.
pub fn evaluate(matcher: &Matcher, cases: &[TextCase], keep_misses: usize) -> Report {
    evaluate_with(cases, keep_misses, |case| {
        matcher.check(&case.text, case.surface).ok().map(|v| v.level)
    })
}

/// Scores `cases` with any classifier: `verdict` gives the level of a case,
/// or `None` when it refused it (counted as an error). Peers are scored this
/// way too (`bench/text-compare` maps rustrict's flag to `block`).
pub fn evaluate_with(
    cases: &[TextCase],
    keep_misses: usize,
    mut verdict: impl FnMut(&TextCase) -> Option<Level>,
) -> Report {
    let mut report = Report::default();
    for case in cases {
        let level = verdict(case);
        report.total.add(case, level);
        report.groups.entry(case.group.clone()).or_default().add(case, level);
        report.surfaces.entry(case.surface.as_str().into()).or_default().add(case, level);
        if let Some(got) = level {
            let wrong = if case.expect == Expect::Allow {
                got >= Level::Strong
            } else {
                got < level_of(case.expect)
            };
            if wrong && report.misses.len() < keep_misses {
                report.misses.push(Miss { case: case.clone(), got });
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use guardrail_core::{Lexicon, Surface};

    #[test]
    fn counts_catches_and_false_positives() {
        let m = Matcher::new(Lexicon::parse("t", "vorblat").unwrap()).unwrap();
        let case = |text: &str, expect| TextCase {
            text: text.into(),
            surface: Surface::Bio,
            expect,
            group: "g".into(),
            entry: None,
        };
        let cases = [
            case("v0rblat", Expect::Block),
            case("nothing", Expect::Block),
            case("hello", Expect::Allow),
            case("vorblat", Expect::Allow),
        ];
        let r = evaluate(&m, &cases, 10);
        assert_eq!((r.total.positives, r.total.caught), (2, 1));
        assert_eq!((r.total.negatives, r.total.false_positives), (2, 1));
        assert_eq!(r.misses.len(), 2);
        assert_eq!(r.groups["g"].recall(), Some(0.5));
    }
}
