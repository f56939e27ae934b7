//! Crate-wide tests: public types are thread-safe, and random sequences of
//! intake, claims, lease expiries, decisions and appeals keep the invariants.

use std::collections::{BTreeMap, BTreeSet};

use guardrail_core::{CaseId, ReportCategory, ReportId, Timestamp};
use proptest::prelude::*;

use crate::case::{route, CyberTipFields, Decision, Link, Reviewer, Role, Verdict};
use crate::cybertip::IncidentType;
use crate::docket::Docket;
use crate::enforce::{AccountAction, Enforcement};
use crate::report::{NewReport, ReportSource, Target};

#[test]
fn public_types_are_send_sync_and_unwind_safe() {
    fn assert_all<T: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    assert_all::<crate::ReviewError>();
    assert_all::<crate::NewReport>();
    assert_all::<crate::ValidReport>();
    assert_all::<crate::case::Case>();
    assert_all::<crate::docket::Docket>();
    assert_all::<crate::cybertip::CyberTipReport>();
    assert_all::<crate::cybertip::Response>();
    assert_all::<crate::audit::SealedEntry>();
    assert_all::<crate::audit::ChainBreak>();
    assert_all::<crate::statement::StatementOfReasons>();
    assert_all::<crate::priority::Priority>();
}

#[derive(Clone, Debug)]
enum Op {
    Intake { reporter: u8, account: u8, category: u8, reuse_key: bool },
    Claim { case: u8, reviewer: u8, lease: u16 },
    Advance { seconds: u16 },
    Decide { case: u8, reviewer: u8, verdict: u8 },
    Appeal { case: u8 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..4u8, 0..6u8, 0..5u8, any::<bool>()).prop_map(|(reporter, account, category, reuse_key)| Op::Intake { reporter, account, category, reuse_key }),
        2 => (0..8u8, 0..3u8, 1..120u16).prop_map(|(case, reviewer, lease)| Op::Claim { case, reviewer, lease }),
        1 => (0..200u16).prop_map(|seconds| Op::Advance { seconds }),
        2 => (0..8u8, 0..4u8, 0..5u8).prop_map(|(case, reviewer, verdict)| Op::Decide { case, reviewer, verdict }),
        1 => (0..8u8).prop_map(|case| Op::Appeal { case }),
    ]
}

fn reviewers() -> [Reviewer; 3] {
    [
        Reviewer { id: "r0".into(), roles: vec![Role::Reviewer, Role::ChildSafety] },
        Reviewer { id: "r1".into(), roles: vec![Role::Reviewer] },
        Reviewer { id: "r2".into(), roles: vec![Role::Lead, Role::ChildSafety] },
    ]
}

fn link(account: u8) -> Option<Link> {
    match account {
        0 | 1 => Some(Link { person: Some("person:a0".into()), network: None }),
        2 => Some(Link { person: Some("person:a2".into()), network: Some("network:a2".into()) }),
        _ => None,
    }
}

fn verdict(kind: u8, case: CaseId, category: ReportCategory) -> Verdict {
    match kind {
        0 | 1 => Verdict::Violating {
            policy: "test.policy".into(),
            category,
            enforcement: Enforcement {
                account_action: AccountAction::Ban,
                ..Enforcement::default()
            },
            cybertip: (category == ReportCategory::ChildSafety).then_some(CyberTipFields {
                incident_type: IncidentType::OnlineEnticement,
                escalate_reason: None,
            }),
        },
        2 => Verdict::NotViolating { reason: "nothing found".into() },
        3 => Verdict::Duplicate { of: CaseId::new(case.get() % 3 + 1) },
        _ => Verdict::Merged { into: CaseId::new(case.get() % 3 + 1) },
    }
}

/// One of the docket's cases (by index modulo their number), or case 1.
fn pick(docket: &Docket, index: u8) -> CaseId {
    let n = docket.cases().count().max(1) as u64;
    CaseId::new(u64::from(index) % n + 1)
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let reviewers = reviewers();
    let mut docket = Docket::new();
    let mut now = Timestamp::from_unix_seconds(1_770_000_000).unwrap();
    let mut leases: BTreeMap<CaseId, (String, Timestamp)> = BTreeMap::new();
    let mut resolved: BTreeSet<ReportId> = BTreeSet::new();
    let mut verdicts = 0usize;
    let mut keys: Vec<(NewReport, ReportId)> = Vec::new();
    for op in ops {
        match op {
            Op::Intake { reporter, account, category, reuse_key } => {
                if reuse_key && !keys.is_empty() {
                    let (report, id) = keys[usize::from(account) % keys.len()].clone();
                    let before = docket.reports().count();
                    let valid = report.validate().unwrap();
                    let subject = route(&valid.report().target, link(account).as_ref());
                    let intake = docket.intake(&valid, subject).unwrap();
                    prop_assert!(intake.duplicate);
                    prop_assert_eq!(intake.report, id);
                    prop_assert_eq!(docket.reports().count(), before);
                } else {
                    let report = NewReport {
                        key: None,
                        source: ReportSource::Cli,
                        reporter: Some(format!("u{reporter}").into()),
                        target: Target::Account(format!("a{account}").into()),
                        category: ReportCategory::ALL[usize::from(category)],
                        text: Some(format!("report {}", keys.len())),
                        received_at: now,
                    };
                    let valid = report.clone().validate().unwrap();
                    let intake = docket
                        .intake(&valid, route(&valid.report().target, link(account).as_ref()))
                        .unwrap();
                    prop_assert!(!intake.duplicate);
                    keys.push((report, intake.report));
                }
            }
            Op::Claim { case, reviewer, lease } => {
                let case = pick(&docket, case);
                let r = &reviewers[usize::from(reviewer)];
                let until =
                    Timestamp::from_unix_seconds(now.unix_seconds() + i64::from(lease)).unwrap();
                if docket.claim(case, r, now, until).is_ok() {
                    if let Some((holder, held)) = leases.get(&case) {
                        prop_assert!(
                            holder == &r.id || *held <= now,
                            "{} claimed case {case} while {holder} held it",
                            r.id
                        );
                    }
                    leases.insert(case, (r.id.clone(), until));
                }
            }
            Op::Advance { seconds } => {
                now =
                    Timestamp::from_unix_seconds(now.unix_seconds() + i64::from(seconds)).unwrap();
            }
            Op::Decide { case, reviewer, verdict: kind } => {
                let case = pick(&docket, case);
                // Reviewer 3 stands for whoever holds the case's lease.
                let holder =
                    leases.get(&case).and_then(|(h, _)| reviewers.iter().find(|r| r.id == *h));
                let r = match (reviewer, holder) {
                    (3, Some(holder)) => holder,
                    _ => &reviewers[usize::from(reviewer % 3)],
                };
                let Some(c) = docket.case(case) else { continue };
                let category =
                    if c.child_safety { ReportCategory::ChildSafety } else { ReportCategory::Spam };
                let decision = if kind == 4 && case.get().is_multiple_of(2) {
                    Decision::Escalate { reason: "needs a lead".into() }
                } else {
                    Decision::Verdict(verdict(kind, case, category))
                };
                let is_verdict = matches!(decision, Decision::Verdict(_));
                if docket.decide(case, r, decision, now).is_ok() {
                    let live = leases
                        .get(&case)
                        .is_some_and(|(holder, until)| *holder == r.id && *until > now);
                    prop_assert!(live, "{} decided case {case} without a live lease", r.id);
                    leases.remove(&case);
                    if is_verdict {
                        verdicts += 1;
                    }
                }
            }
            Op::Appeal { case } => {
                let case = pick(&docket, case);
                let _ = docket.appeal(case, now);
            }
        }
        if let Err(why) = docket.check() {
            return Err(TestCaseError::fail(why));
        }
        for id in &resolved {
            prop_assert!(
                docket.report(*id).is_some_and(|r| r.resolution.is_some()),
                "report {id} lost its resolution"
            );
        }
        resolved.extend(docket.reports().filter(|(_, r)| r.resolution.is_some()).map(|(id, _)| id));
        prop_assert_eq!(docket.history().len(), verdicts);
    }
    // Drain: after every lease expires, a lead with the child-safety role
    // (or another reviewer, for cases the lead decided before) decides every
    // queued case; then every report has a terminal state.
    now = Timestamp::from_unix_seconds(now.unix_seconds() + 1000).unwrap();
    let lead = &reviewers[2];
    let other =
        Reviewer { id: "r3".into(), roles: vec![Role::Lead, Role::ChildSafety, Role::Reviewer] };
    for case in docket.queue(now) {
        let r = if docket.case(case).is_some_and(|c| c.excluded.contains(&lead.id)) {
            &other
        } else {
            lead
        };
        let until = Timestamp::from_unix_seconds(now.unix_seconds() + 60).unwrap();
        docket.claim(case, r, now, until).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let decision = Decision::Verdict(Verdict::NotViolating { reason: "drained".into() });
        docket.decide(case, r, decision, now).map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    prop_assert!(docket.queue(now).is_empty());
    for (id, r) in docket.reports() {
        prop_assert!(r.resolution.is_some(), "report {id} never reached a terminal state");
    }
    if let Err(why) = docket.check() {
        return Err(TestCaseError::fail(why));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_review_sequences_keep_the_invariants(ops in proptest::collection::vec(op(), 1..80)) {
        run(ops)?;
    }
}

#[test]
fn a_hundred_reports_of_one_account_are_one_case() {
    let mut docket = Docket::new();
    let at = Timestamp::parse("2026-03-01T10:00:00Z").unwrap();
    for i in 0..100 {
        let report = NewReport {
            key: None,
            source: ReportSource::Cli,
            reporter: Some(format!("u{i}").into()),
            target: Target::Account("a1".into()),
            category: ReportCategory::Spam,
            text: None,
            received_at: at,
        }
        .validate()
        .unwrap();
        docket.intake(&report, route(&report.report().target, None)).unwrap();
    }
    assert_eq!(docket.cases().count(), 1);
    assert_eq!(docket.members(CaseId::new(1)).len(), 100);
}
