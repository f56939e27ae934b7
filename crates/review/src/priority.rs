//! Priorities and SLA deadlines.
//!
//! A case's level comes from what it is about: child-safety reports and hash
//! matches are `P0`; a confirmed or suspected network tier, strong lexicon
//! terms or sexual content `P1`; harassment or a candidate tier `P2`; the
//! rest `P3`. Within a level the score rises with the tier, strong terms,
//! the number of distinct reporters weighted by their past accuracy, and age;
//! and a case that has waited past its level's SLA moves up one level per
//! SLA period overdue, so nothing starves.

use std::time::Duration;

use guardrail_core::{ReportCategory, RiskTier, Timestamp};

/// A priority level, `P0` first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Child safety, hash matches.
    P0,
    /// Network tiers suspected or confirmed, strong terms, sexual content.
    P1,
    /// Harassment, candidate tier.
    P2,
    /// Everything else.
    P3,
}

impl Level {
    /// Every level, most urgent first.
    pub const ALL: [Level; 4] = [Level::P0, Level::P1, Level::P2, Level::P3];

    /// The level's name (`p0` .. `p3`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::P0 => "p0",
            Level::P1 => "p1",
            Level::P2 => "p2",
            Level::P3 => "p3",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn raised(self, steps: u64) -> Level {
        Level::ALL[self.index().saturating_sub(steps.min(3) as usize)]
    }
}

/// How long a case of each level may wait before it is overdue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlaConfig {
    /// Per level, `P0` first.
    pub deadlines: [Duration; 4],
}

impl Default for SlaConfig {
    /// 1 hour, 24 hours, 3 days, 7 days.
    fn default() -> SlaConfig {
        let hour = 3600;
        SlaConfig {
            deadlines: [
                Duration::from_secs(hour),
                Duration::from_secs(24 * hour),
                Duration::from_secs(72 * hour),
                Duration::from_secs(168 * hour),
            ],
        }
    }
}

impl SlaConfig {
    /// The deadline of `level`.
    pub fn deadline(&self, level: Level) -> Duration {
        self.deadlines[level.index()]
    }

    /// Checks that every deadline is at least a second and that they do not
    /// shrink from `P0` to `P3`.
    pub fn validate(&self) -> Result<(), crate::ReviewError> {
        for (level, d) in Level::ALL.iter().zip(self.deadlines) {
            if d.as_secs() == 0 {
                return Err(crate::ReviewError::field(
                    format!("sla.{}", level.as_str()),
                    "must be at least one second",
                ));
            }
        }
        for pair in Level::ALL.windows(2) {
            if self.deadline(pair[1]) < self.deadline(pair[0]) {
                return Err(crate::ReviewError::field(
                    format!("sla.{}", pair[1].as_str()),
                    format!("shorter than sla.{}", pair[0].as_str()),
                ));
            }
        }
        Ok(())
    }
}

/// What a case's priority is computed from.
#[derive(Clone, Debug, PartialEq)]
pub struct PriorityInputs {
    /// The most severe reported category (`None` for a case opened by signals alone).
    pub category: Option<ReportCategory>,
    /// Whether any file matched a known-abuse hash.
    pub hash_match: bool,
    /// The highest network tier of the case's accounts.
    pub tier: RiskTier,
    /// Strong lexicon hits in the case.
    pub strong_terms: u32,
    /// The past accuracy of each distinct reporter (0 to 1; see [`reporter_accuracy`]).
    pub reporters: Vec<f64>,
    /// When the case was opened.
    pub opened_at: Timestamp,
}

/// A reporter's past accuracy: (upheld + 1) / (decided + 2), so a new
/// reporter counts one half and a reporter whose reports are always
/// rejected tends to zero without ever being ignored.
pub fn reporter_accuracy(upheld: u64, rejected: u64) -> f64 {
    (upheld as f64 + 1.0) / ((upheld + rejected) as f64 + 2.0)
}

/// A case's priority at one moment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Priority {
    /// The level it is listed under (after age promotion).
    pub level: Level,
    /// The level its evidence gives, before age promotion.
    pub base: Level,
    /// Order within the level: higher first.
    pub score: f64,
    /// When the SLA of its base level ends.
    pub due: Timestamp,
    /// Whether that time has passed.
    pub overdue: bool,
}

/// The priority of a case at `now`.
pub fn priority(inputs: &PriorityInputs, sla: &SlaConfig, now: Timestamp) -> Priority {
    let base = if inputs.category == Some(ReportCategory::ChildSafety) || inputs.hash_match {
        Level::P0
    } else if inputs.tier >= RiskTier::Suspected
        || inputs.strong_terms > 0
        || inputs.category == Some(ReportCategory::SexualContent)
    {
        Level::P1
    } else if inputs.tier == RiskTier::Candidate
        || inputs.category == Some(ReportCategory::Harassment)
    {
        Level::P2
    } else {
        Level::P3
    };
    let deadline = sla.deadline(base).as_micros().min(i64::MAX as u128) as i64;
    let opened = inputs.opened_at.unix_micros();
    let waited = now.unix_micros().saturating_sub(opened).max(0);
    let due_micros = opened.saturating_add(deadline);
    let due = Timestamp::from_unix_micros(due_micros).unwrap_or(inputs.opened_at);
    let overdue = waited >= deadline;
    let periods_over = if overdue { (waited / deadline.max(1)) as u64 } else { 0 };
    let level = base.raised(periods_over);
    let reporter_weight: f64 = inputs.reporters.iter().sum();
    let score = f64::from(inputs.tier.code()) * 2.0
        + f64::from(inputs.strong_terms.min(20))
        + if inputs.hash_match { 5.0 } else { 0.0 }
        + 3.0 * (1.0 + reporter_weight).ln()
        // Age counts in fractions of the level's SLA: a case half-way to its
        // deadline gains as much as two more strong terms.
        + 4.0 * (waited as f64 / deadline.max(1) as f64);
    Priority { level, base, score, due, overdue }
}

/// Queue order: level, then score (higher first), then the older case.
pub fn queue_order(a: (&Priority, Timestamp), b: (&Priority, Timestamp)) -> std::cmp::Ordering {
    a.0.level.cmp(&b.0.level).then(b.0.score.total_cmp(&a.0.score)).then(a.1.cmp(&b.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(hours: i64) -> Timestamp {
        Timestamp::from_unix_seconds(1_770_000_000 + hours * 3600).unwrap()
    }

    fn inputs(category: Option<ReportCategory>) -> PriorityInputs {
        PriorityInputs {
            category,
            hash_match: false,
            tier: RiskTier::Clear,
            strong_terms: 0,
            reporters: vec![0.5],
            opened_at: t(0),
        }
    }

    #[test]
    fn child_safety_and_hash_matches_come_first() {
        let sla = SlaConfig::default();
        let cs = priority(&inputs(Some(ReportCategory::ChildSafety)), &sla, t(0));
        assert_eq!(cs.level, Level::P0);
        let mut hash = inputs(Some(ReportCategory::Spam));
        hash.hash_match = true;
        assert_eq!(priority(&hash, &sla, t(0)).level, Level::P0);
        let mut tier = inputs(Some(ReportCategory::Spam));
        tier.tier = RiskTier::Suspected;
        assert_eq!(priority(&tier, &sla, t(0)).level, Level::P1);
        assert_eq!(
            priority(&inputs(Some(ReportCategory::Harassment)), &sla, t(0)).level,
            Level::P2
        );
        assert_eq!(priority(&inputs(Some(ReportCategory::Spam)), &sla, t(0)).level, Level::P3);
        assert_eq!(cs.due, t(1));
    }

    #[test]
    fn score_rises_with_evidence_reporters_and_age() {
        let sla = SlaConfig::default();
        let base = inputs(Some(ReportCategory::Spam));
        let score = |i: &PriorityInputs, now| priority(i, &sla, now).score;
        let mut more = base.clone();
        more.strong_terms = 2;
        assert!(score(&more, t(0)) > score(&base, t(0)));
        let mut reporters = base.clone();
        reporters.reporters = vec![0.5; 10];
        assert!(score(&reporters, t(0)) > score(&base, t(0)));
        let mut accurate = reporters.clone();
        accurate.reporters = vec![0.9; 10];
        assert!(score(&accurate, t(0)) > score(&reporters, t(0)));
        assert!(score(&base, t(10)) > score(&base, t(0)));
        let mut tier = base.clone();
        tier.tier = RiskTier::Exposed;
        assert!(score(&tier, t(0)) > score(&base, t(0)));
        assert!(reporter_accuracy(9, 1) > reporter_accuracy(0, 0));
        assert!(reporter_accuracy(0, 100) > 0.0);
    }

    #[test]
    fn overdue_cases_climb_so_nothing_starves() {
        let sla = SlaConfig::default();
        let spam = inputs(Some(ReportCategory::Spam));
        let fresh = priority(&spam, &sla, t(0));
        assert!(!fresh.overdue);
        let week = priority(&spam, &sla, t(168));
        assert!(week.overdue);
        assert_eq!((week.base, week.level), (Level::P3, Level::P2));
        let month = priority(&spam, &sla, t(168 * 4));
        assert_eq!(month.level, Level::P0);
        // An old spam case is eventually listed before a fresh child-safety case's peers.
        let cs = priority(&inputs(Some(ReportCategory::ChildSafety)), &sla, t(168 * 4));
        assert_eq!(cs.level, Level::P0);
    }

    #[test]
    fn sla_settings_are_checked() {
        let mut sla = SlaConfig::default();
        sla.validate().unwrap();
        sla.deadlines[2] = Duration::from_secs(10);
        assert_eq!(sla.validate().unwrap_err().to_string(), "sla.p2: shorter than sla.p1");
        sla.deadlines[0] = Duration::ZERO;
        assert_eq!(sla.validate().unwrap_err().to_string(), "sla.p0: must be at least one second");
    }
}
