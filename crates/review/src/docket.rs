//! [`Docket`]: the review rules over cases held in memory.
//!
//! It is the reference model: intake with idempotency keys, one open case
//! per subject, claims, decisions that resolve every report of the case,
//! merges and appeals, with the case state machine of [`crate::case`]. The
//! store's persisted queue follows the same rules (its tests compare), and
//! the property tests drive random sequences of operations through it.

use std::collections::{BTreeMap, HashMap};

use guardrail_core::{CaseId, ReportCategory, ReportId, Timestamp};

use crate::case::{Case, CaseState, Decision, Resolution, Reviewer, Subject, Verdict};
use crate::report::{IdempotencyKey, ValidReport};
use crate::ReviewError;

/// A report as the docket holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Filed {
    /// Its key.
    pub key: IdempotencyKey,
    /// Its canonical form (a second intake with the same key must match).
    pub canonical: String,
    /// Its category.
    pub category: ReportCategory,
    /// The case it is in.
    pub case: CaseId,
    /// Its terminal state, once its case is decided.
    pub resolution: Option<Resolution>,
}

/// What one intake did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Intake {
    /// The report.
    pub report: ReportId,
    /// Its case.
    pub case: CaseId,
    /// Whether the case was opened for it.
    pub new_case: bool,
    /// Whether the key was known (nothing was stored).
    pub duplicate: bool,
}

/// One decision in a case's history.
#[derive(Clone, Debug, PartialEq)]
pub struct Decided {
    /// The case.
    pub case: CaseId,
    /// The verdict.
    pub verdict: Verdict,
    /// Who.
    pub reviewer: String,
    /// When.
    pub at: Timestamp,
}

/// Cases and reports in memory.
#[derive(Clone, Debug, Default)]
pub struct Docket {
    cases: BTreeMap<CaseId, Case>,
    members: BTreeMap<CaseId, Vec<ReportId>>,
    reports: BTreeMap<ReportId, Filed>,
    keys: HashMap<IdempotencyKey, ReportId>,
    open: HashMap<Subject, CaseId>,
    history: Vec<Decided>,
}

impl Docket {
    /// An empty docket.
    pub fn new() -> Docket {
        Docket::default()
    }

    /// Files a report about `subject`: a known key with the same content is a
    /// duplicate (nothing changes), with other content a conflict; otherwise
    /// the report joins the subject's open case, or opens one.
    pub fn intake(
        &mut self,
        report: &ValidReport,
        subject: Subject,
    ) -> Result<Intake, ReviewError> {
        let canonical = report.canonical();
        if let Some(&id) = self.keys.get(report.key()) {
            let filed = &self.reports[&id];
            if filed.canonical != canonical {
                return Err(ReviewError::field(
                    "report.key",
                    format!("{} was used for another report", report.key().as_str()),
                ));
            }
            return Ok(Intake { report: id, case: filed.case, new_case: false, duplicate: true });
        }
        let received = report.report().received_at;
        let (case, new_case) = match self.open.get(&subject) {
            Some(&case) => (case, false),
            None => {
                let id = CaseId::new(self.cases.len() as u64 + 1);
                self.cases.insert(id, Case::new(id, subject.clone(), received));
                self.open.insert(subject, id);
                (id, true)
            }
        };
        let category = report.report().category;
        if let Some(c) = self.cases.get_mut(&case) {
            c.child_safety |= category == ReportCategory::ChildSafety;
        }
        let id = ReportId::new(self.reports.len() as u64 + 1);
        self.reports.insert(
            id,
            Filed { key: report.key().clone(), canonical, category, case, resolution: None },
        );
        self.keys.insert(report.key().clone(), id);
        self.members.entry(case).or_default().push(id);
        Ok(Intake { report: id, case, new_case, duplicate: false })
    }

    fn case_mut(&mut self, case: CaseId) -> Result<&mut Case, ReviewError> {
        self.cases
            .get_mut(&case)
            .ok_or_else(|| ReviewError::field("case", format!("no case {case}")))
    }

    /// Claims a case until `until`.
    pub fn claim(
        &mut self,
        case: CaseId,
        reviewer: &Reviewer,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<(), ReviewError> {
        self.case_mut(case)?.claim(reviewer, now, until)
    }

    /// Decides a case; a verdict resolves every report in it (a merge needs
    /// an undecided case to merge into, which takes the subject's new reports).
    pub fn decide(
        &mut self,
        case: CaseId,
        reviewer: &Reviewer,
        decision: Decision,
        now: Timestamp,
    ) -> Result<(), ReviewError> {
        if let Decision::Verdict(Verdict::Merged { into } | Verdict::Duplicate { of: into }) =
            &decision
        {
            match self.cases.get(into) {
                None => return Err(ReviewError::field("decision.case", format!("no case {into}"))),
                Some(other)
                    if other.is_decided()
                        && matches!(decision, Decision::Verdict(Verdict::Merged { .. })) =>
                {
                    return Err(ReviewError::field(
                        "decision.case",
                        format!("case {into} is decided; merge into an undecided case"),
                    ))
                }
                Some(_) => {}
            }
        }
        let target = self.case_mut(case)?;
        target.decide(reviewer, decision, now)?;
        let CaseState::Decided { verdict, .. } = &target.state else { return Ok(()) };
        let verdict = verdict.clone();
        let subject = target.subject.clone();
        let resolution = verdict.resolution(case);
        for id in self.members.get(&case).into_iter().flatten() {
            if let Some(r) = self.reports.get_mut(id) {
                r.resolution = Some(resolution.clone());
            }
        }
        self.open.retain(|_, c| *c != case);
        if let Verdict::Merged { into } = verdict {
            self.open.insert(subject, into);
        }
        self.history.push(Decided { case, verdict, reviewer: reviewer.id.clone(), at: now });
        Ok(())
    }

    /// Reopens a decided case on appeal; its reports keep their resolution
    /// until it is decided again.
    pub fn appeal(&mut self, case: CaseId, now: Timestamp) -> Result<(), ReviewError> {
        let c = self.case_mut(case)?;
        c.appeal(now)?;
        let subject = c.subject.clone();
        self.open.entry(subject).or_insert(case);
        Ok(())
    }

    /// A case.
    pub fn case(&self, case: CaseId) -> Option<&Case> {
        self.cases.get(&case)
    }

    /// Every case.
    pub fn cases(&self) -> impl Iterator<Item = &Case> {
        self.cases.values()
    }

    /// A report.
    pub fn report(&self, report: ReportId) -> Option<&Filed> {
        self.reports.get(&report)
    }

    /// Every report.
    pub fn reports(&self) -> impl Iterator<Item = (ReportId, &Filed)> {
        self.reports.iter().map(|(id, r)| (*id, r))
    }

    /// The reports of a case.
    pub fn members(&self, case: CaseId) -> &[ReportId] {
        self.members.get(&case).map(Vec::as_slice).unwrap_or_default()
    }

    /// Every decision, in order.
    pub fn history(&self) -> &[Decided] {
        &self.history
    }

    /// The cases waiting for a reviewer at `now`.
    pub fn queue(&self, now: Timestamp) -> Vec<CaseId> {
        self.cases.values().filter(|c| c.is_queued(now)).map(|c| c.id).collect()
    }

    /// Checks the invariants: every report is in an existing case that lists
    /// it; every report of a decided case is resolved; every decided case's
    /// verdict is the last one in the history; no subject has two open cases
    /// that intake could pick.
    pub fn check(&self) -> Result<(), String> {
        for (id, r) in &self.reports {
            if !self.cases.contains_key(&r.case) {
                return Err(format!("report {id} is in case {}, which does not exist", r.case));
            }
            if !self.members(r.case).contains(id) {
                return Err(format!("case {} does not list its report {id}", r.case));
            }
        }
        for case in self.cases.values() {
            if let CaseState::Decided { verdict, .. } = &case.state {
                for id in self.members(case.id) {
                    if self.reports[id].resolution.is_none() {
                        return Err(format!(
                            "report {id} of decided case {} has no resolution",
                            case.id
                        ));
                    }
                }
                let last = self.history.iter().rev().find(|d| d.case == case.id);
                if last.map(|d| &d.verdict) != Some(verdict) {
                    return Err(format!("case {}'s verdict is not its last decision", case.id));
                }
            }
        }
        for (subject, case) in &self.open {
            if self.cases.get(case).is_none_or(Case::is_decided) {
                return Err(format!(
                    "subject {subject:?} points at case {case}, which is not open"
                ));
            }
        }
        Ok(())
    }
}
