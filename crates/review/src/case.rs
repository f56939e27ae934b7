//! Cases and their state machine.
//!
//! A case gathers every report and signal about one subject: a network when
//! the account is in one, else the person behind it, else the account (or
//! the post, or the hashtag, when no account is known). A hundred reports of
//! one account are one case with a hundred reports.
//!
//! States: `open` -> `claimed` (a lease until a time the caller gives; an
//! expired lease reads as open again, so a crashed reviewer never holds a
//! case) -> `decided` (violating, not violating with a reason, duplicate of
//! another case, merged into another case) or back to `open` as escalated
//! (then only a lead may claim it). An appeal reopens a violating or not
//! violating decision for a reviewer who did not decide it before. Every
//! decision is kept in the history, so a terminal state is never lost.

use guardrail_core::{AccountId, CaseId, PersonId, PostId, ReportCategory, Timestamp};

use crate::cybertip::IncidentType;
use crate::enforce::Enforcement;
use crate::report::Target;
use crate::ReviewError;

/// What a case is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    /// A network, named by the caller with a stable key.
    Network(String),
    /// A person (one human behind linked accounts).
    Person(PersonId),
    /// An account no network or person links.
    Account(AccountId),
    /// A post whose author is not known.
    Post(PostId),
    /// A hashtag.
    Hashtag(String),
}

impl Subject {
    /// The kind stored with the case.
    pub fn kind(&self) -> &'static str {
        match self {
            Subject::Network(_) => "network",
            Subject::Person(_) => "person",
            Subject::Account(_) => "account",
            Subject::Post(_) => "post",
            Subject::Hashtag(_) => "hashtag",
        }
    }

    /// The subject's key within its kind.
    pub fn key(&self) -> &str {
        match self {
            Subject::Network(k) | Subject::Hashtag(k) => k,
            Subject::Person(p) => p.as_str(),
            Subject::Account(a) => a.as_str(),
            Subject::Post(p) => p.as_str(),
        }
    }

    /// The subject of a stored kind and key.
    pub fn parse(kind: &str, key: &str) -> Option<Subject> {
        Some(match kind {
            "network" => Subject::Network(key.to_owned()),
            "person" => Subject::Person(key.into()),
            "account" => Subject::Account(key.into()),
            "post" => Subject::Post(key.into()),
            "hashtag" => Subject::Hashtag(key.to_owned()),
            _ => return None,
        })
    }
}

/// What identity linking and the latest scan say about one account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Link {
    /// The person the account belongs to.
    pub person: Option<PersonId>,
    /// The flagged network the account is in (a stable key).
    pub network: Option<String>,
}

/// The case subject for a report target: the network, else the person, else
/// the account; a post without a known author and a hashtag are their own
/// subjects.
pub fn route(target: &Target, link: Option<&Link>) -> Subject {
    match target.account() {
        Some(account) => route_account(account, link),
        None => match target {
            Target::Post { post, .. } => Subject::Post(post.clone()),
            Target::Hashtag(h) => Subject::Hashtag(h.clone()),
            Target::Account(a) => Subject::Account(a.clone()),
        },
    }
}

/// The case subject for an account (signals name accounts).
pub fn route_account(account: &AccountId, link: Option<&Link>) -> Subject {
    match link {
        Some(Link { network: Some(n), .. }) => Subject::Network(n.clone()),
        Some(Link { person: Some(p), .. }) => Subject::Person(p.clone()),
        _ => Subject::Account(account.clone()),
    }
}

/// A reviewer's role; a reviewer may hold several.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reviews ordinary cases.
    Reviewer,
    /// May see child-safety cases (18 U.S.C. 2258B(c): as few staff as possible).
    ChildSafety,
    /// May take escalated cases.
    Lead,
}

impl Role {
    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reviewer => "reviewer",
            Role::ChildSafety => "child_safety",
            Role::Lead => "lead",
        }
    }

    /// The role of a name.
    pub fn parse(s: &str) -> Option<Role> {
        [Role::Reviewer, Role::ChildSafety, Role::Lead].into_iter().find(|r| r.as_str() == s)
    }
}

/// Someone who reviews cases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reviewer {
    /// Their id.
    pub id: String,
    /// Their roles.
    pub roles: Vec<Role>,
}

impl Reviewer {
    /// Whether they hold `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// What a reviewer found: the terminal outcomes of a case.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// The subject broke a policy.
    Violating {
        /// The policy broken (`child_safety.csam`, `spam`).
        policy: String,
        /// The confirmed category.
        category: ReportCategory,
        /// What to do to the person (every linked account).
        enforcement: Enforcement,
        /// For child safety: what the CyberTipline report says.
        cybertip: Option<CyberTipFields>,
    },
    /// Nothing broke a policy.
    NotViolating {
        /// Why (shown to the reporter and kept for the appeal).
        reason: String,
    },
    /// The case repeats another case, which handles it.
    Duplicate {
        /// The other case.
        of: CaseId,
    },
    /// The case's reports and signals belong to another case (the same person).
    Merged {
        /// The case that takes them.
        into: CaseId,
    },
}

impl Verdict {
    /// The verdict's name (`violating`, `not_violating`, `duplicate`, `merged`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Violating { .. } => "violating",
            Verdict::NotViolating { .. } => "not_violating",
            Verdict::Duplicate { .. } => "duplicate",
            Verdict::Merged { .. } => "merged",
        }
    }

    /// What the verdict means for each of the case's open reports.
    pub fn resolution(&self, case: CaseId) -> Resolution {
        match self {
            Verdict::Violating { .. } => Resolution::Actioned { case },
            Verdict::NotViolating { reason } => Resolution::NotViolating { reason: reason.clone() },
            Verdict::Duplicate { of } => Resolution::Duplicate { of: *of },
            Verdict::Merged { into } => Resolution::Merged { into: *into },
        }
    }
}

/// The CyberTipline fields a child-safety decision carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CyberTipFields {
    /// NCMEC's incident type.
    pub incident_type: IncidentType,
    /// Why NCMEC should treat it as urgent (a child at immediate risk);
    /// `None` for an ordinary report.
    pub escalate_reason: Option<String>,
}

/// A report's terminal state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// The case it is in was decided violating and acted on.
    Actioned {
        /// The case.
        case: CaseId,
    },
    /// Nothing broke a policy.
    NotViolating {
        /// Why.
        reason: String,
    },
    /// Its case duplicated another.
    Duplicate {
        /// The other case.
        of: CaseId,
    },
    /// Its case was merged into another.
    Merged {
        /// The case that took it.
        into: CaseId,
    },
}

impl Resolution {
    /// The resolution's name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Resolution::Actioned { .. } => "actioned",
            Resolution::NotViolating { .. } => "not_violating",
            Resolution::Duplicate { .. } => "duplicate",
            Resolution::Merged { .. } => "merged",
        }
    }

    /// Its detail: the case number or the reason.
    pub fn detail(&self) -> String {
        match self {
            Resolution::Actioned { case } => case.to_string(),
            Resolution::NotViolating { reason } => reason.clone(),
            Resolution::Duplicate { of } => of.to_string(),
            Resolution::Merged { into } => into.to_string(),
        }
    }
}

/// What a reviewer asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// A terminal verdict.
    Verdict(Verdict),
    /// Hand the case to a lead (not terminal: it goes back to the queue).
    Escalate {
        /// Why.
        reason: String,
    },
}

/// Where a case is.
#[derive(Clone, Debug, PartialEq)]
pub enum CaseState {
    /// In the queue (new, escalated, reopened on appeal, or its lease expired).
    Open,
    /// A reviewer holds it until `until`.
    Claimed {
        /// Who.
        reviewer: String,
        /// When the lease expires (the caller's clock).
        until: Timestamp,
    },
    /// Decided; terminal unless appealed.
    Decided {
        /// The verdict.
        verdict: Verdict,
        /// Who decided.
        reviewer: String,
        /// When.
        at: Timestamp,
    },
}

/// A case: its subject, state and what routing and review need to know.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// Its number.
    pub id: CaseId,
    /// What it is about.
    pub subject: Subject,
    /// Where it is.
    pub state: CaseState,
    /// When it was opened.
    pub opened_at: Timestamp,
    /// Whether any report or signal in it concerns child safety (restricts
    /// it to the [`Role::ChildSafety`] role).
    pub child_safety: bool,
    /// Whether it was escalated (only a [`Role::Lead`] may claim it).
    pub escalated: bool,
    /// How many times it was appealed.
    pub appeals: u32,
    /// Reviewers who decided it before an appeal (they may not decide it again).
    pub excluded: Vec<String>,
}

impl Case {
    /// A new open case.
    pub fn new(id: CaseId, subject: Subject, opened_at: Timestamp) -> Case {
        Case {
            id,
            subject,
            state: CaseState::Open,
            opened_at,
            child_safety: false,
            escalated: false,
            appeals: 0,
            excluded: Vec::new(),
        }
    }

    /// The state's name at `now`: `open`, `escalated`, `reopened`, `claimed`
    /// or the verdict's name; a lease that has expired reads as open.
    pub fn state_name(&self, now: Timestamp) -> &'static str {
        match &self.state {
            CaseState::Claimed { until, .. } if *until > now => "claimed",
            CaseState::Decided { verdict, .. } => verdict.as_str(),
            _ if self.escalated => "escalated",
            _ if self.appeals > 0 => "reopened",
            _ => "open",
        }
    }

    /// Whether the case waits for a reviewer at `now` (open, or claimed with
    /// an expired lease).
    pub fn is_queued(&self, now: Timestamp) -> bool {
        match &self.state {
            CaseState::Open => true,
            CaseState::Claimed { until, .. } => *until <= now,
            CaseState::Decided { .. } => false,
        }
    }

    /// Whether the case is decided (terminal unless appealed).
    pub fn is_decided(&self) -> bool {
        matches!(self.state, CaseState::Decided { .. })
    }

    /// Checks that `reviewer` may work on the case.
    fn check_reviewer(&self, reviewer: &Reviewer) -> Result<(), ReviewError> {
        let role_error =
            |needed| ReviewError::Role { case: self.id, reviewer: reviewer.id.clone(), needed };
        if self.child_safety && !reviewer.has(Role::ChildSafety) {
            return Err(role_error(Role::ChildSafety));
        }
        if self.escalated && !reviewer.has(Role::Lead) {
            return Err(role_error(Role::Lead));
        }
        if !self.child_safety && !self.escalated && reviewer.roles.is_empty() {
            return Err(role_error(Role::Reviewer));
        }
        if self.excluded.contains(&reviewer.id) {
            return Err(ReviewError::SameReviewer { case: self.id, reviewer: reviewer.id.clone() });
        }
        Ok(())
    }

    /// Gives `reviewer` the case until `until` (a renewal when they hold it
    /// already). Refused while someone else's lease is live, for a decided
    /// case, and for a reviewer without the role the case needs.
    pub fn claim(
        &mut self,
        reviewer: &Reviewer,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<(), ReviewError> {
        if until <= now {
            return Err(ReviewError::field("claim.until", "the lease must end after now"));
        }
        match &self.state {
            CaseState::Decided { .. } => {
                return Err(ReviewError::State {
                    case: self.id,
                    state: self.state_name(now),
                    action: "claim",
                })
            }
            CaseState::Claimed { reviewer: holder, until: held }
                if *held > now && *holder != reviewer.id =>
            {
                return Err(ReviewError::Leased {
                    case: self.id,
                    holder: holder.clone(),
                    until: *held,
                })
            }
            _ => {}
        }
        self.check_reviewer(reviewer)?;
        self.state = CaseState::Claimed { reviewer: reviewer.id.clone(), until };
        Ok(())
    }

    /// Gives the case back to the queue before the lease ends.
    pub fn release(&mut self, reviewer: &Reviewer, now: Timestamp) -> Result<(), ReviewError> {
        self.check_holder(reviewer, now)?;
        self.state = CaseState::Open;
        Ok(())
    }

    fn check_holder(&self, reviewer: &Reviewer, now: Timestamp) -> Result<(), ReviewError> {
        match &self.state {
            CaseState::Claimed { reviewer: holder, until }
                if *holder == reviewer.id && *until > now =>
            {
                Ok(())
            }
            CaseState::Decided { .. } => Err(ReviewError::State {
                case: self.id,
                state: self.state_name(now),
                action: "decide",
            }),
            _ => Err(ReviewError::NotClaimed { case: self.id, reviewer: reviewer.id.clone() }),
        }
    }

    /// Applies a reviewer's decision. The reviewer must hold a live lease;
    /// the decision must be complete (a policy, a reason, the CyberTipline
    /// fields for a child-safety violation; a duplicate or merge names
    /// another case). An escalation puts the case back in the queue for a lead.
    pub fn decide(
        &mut self,
        reviewer: &Reviewer,
        decision: Decision,
        now: Timestamp,
    ) -> Result<(), ReviewError> {
        self.check_holder(reviewer, now)?;
        match decision {
            Decision::Escalate { reason } => {
                if reason.trim().is_empty() {
                    return Err(ReviewError::field("decision.reason", "an escalation says why"));
                }
                self.escalated = true;
                self.state = CaseState::Open;
            }
            Decision::Verdict(verdict) => {
                self.check_verdict(&verdict)?;
                self.escalated = false;
                self.state = CaseState::Decided { verdict, reviewer: reviewer.id.clone(), at: now };
            }
        }
        Ok(())
    }

    fn check_verdict(&self, verdict: &Verdict) -> Result<(), ReviewError> {
        match verdict {
            Verdict::Violating { policy, category, cybertip, .. } => {
                if policy.trim().is_empty() {
                    return Err(ReviewError::field("decision.policy", "empty"));
                }
                let child_safety = *category == ReportCategory::ChildSafety;
                if child_safety && cybertip.is_none() {
                    return Err(ReviewError::field(
                        "decision.incident_type",
                        "a child-safety violation needs the CyberTipline incident type",
                    ));
                }
                if !child_safety && cybertip.is_some() {
                    return Err(ReviewError::field(
                        "decision.cybertip",
                        "only a child-safety violation is reported to the CyberTipline",
                    ));
                }
            }
            Verdict::NotViolating { reason } => {
                if reason.trim().is_empty() {
                    return Err(ReviewError::field(
                        "decision.reason",
                        "say why nothing broke a policy",
                    ));
                }
            }
            Verdict::Duplicate { of: other } | Verdict::Merged { into: other } => {
                if *other == self.id {
                    return Err(ReviewError::field(
                        "decision.case",
                        "a case cannot point to itself",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Reopens a violating or not-violating decision on appeal: the case goes
    /// back to the queue, and whoever decided it may not decide it again.
    pub fn appeal(&mut self, now: Timestamp) -> Result<(), ReviewError> {
        let CaseState::Decided { verdict, reviewer, .. } = &self.state else {
            return Err(ReviewError::State {
                case: self.id,
                state: self.state_name(now),
                action: "appeal",
            });
        };
        if matches!(verdict, Verdict::Duplicate { .. } | Verdict::Merged { .. }) {
            return Err(ReviewError::State {
                case: self.id,
                state: verdict.as_str(),
                action: "appeal",
            });
        }
        if !self.excluded.contains(reviewer) {
            self.excluded.push(reviewer.clone());
        }
        self.appeals += 1;
        self.state = CaseState::Open;
        Ok(())
    }
}

/// Whether decision number `decision_no` of `case` is sampled for a second
/// review at `rate` (0 to 1): a deterministic hash, so every process agrees
/// and a sampled decision stays sampled.
pub fn sampled_for_second_review(case: CaseId, decision_no: u64, rate: f64) -> bool {
    use sha2::{Digest, Sha256};
    if rate <= 0.0 {
        return false;
    }
    let mut hasher = Sha256::new();
    hasher.update(case.get().to_be_bytes());
    hasher.update(decision_no.to_be_bytes());
    let digest = hasher.finalize();
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(head) as f64 / u64::MAX as f64) < rate
}

/// How often second reviews agreed with the first.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Agreement {
    /// Second reviews done.
    pub reviewed: u64,
    /// Of them, how many reached the same verdict.
    pub agreed: u64,
}

impl Agreement {
    /// Counts one second review.
    pub fn add(&mut self, first: &Verdict, second: &Verdict) {
        self.reviewed += 1;
        if first.as_str() == second.as_str() {
            self.agreed += 1;
        }
    }

    /// The agreement rate, `None` before any second review.
    pub fn rate(&self) -> Option<f64> {
        (self.reviewed > 0).then(|| self.agreed as f64 / self.reviewed as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u32) -> Timestamp {
        Timestamp::from_unix_seconds(1_770_000_000 + i64::from(s)).unwrap()
    }

    fn reviewer(id: &str, roles: &[Role]) -> Reviewer {
        Reviewer { id: id.into(), roles: roles.to_vec() }
    }

    fn not_violating() -> Decision {
        Decision::Verdict(Verdict::NotViolating { reason: "a knitting pattern".into() })
    }

    #[test]
    fn routing_prefers_network_then_person_then_account() {
        let target = Target::Account("u1".into());
        assert_eq!(route(&target, None), Subject::Account("u1".into()));
        let person = Link { person: Some("person:u1".into()), network: None };
        assert_eq!(route(&target, Some(&person)), Subject::Person("person:u1".into()));
        let both = Link { network: Some("network:u0".into()), ..person };
        assert_eq!(route(&target, Some(&both)), Subject::Network("network:u0".into()));
        let post = Target::Post { post: "p1".into(), author: None };
        assert_eq!(route(&post, None), Subject::Post("p1".into()));
        let authored = Target::Post { post: "p1".into(), author: Some("u1".into()) };
        assert_eq!(route(&authored, None), Subject::Account("u1".into()));
    }

    #[test]
    fn leases_are_exclusive_until_they_expire() {
        let mut case = Case::new(CaseId::new(1), Subject::Account("u1".into()), t(0));
        let a = reviewer("a", &[Role::Reviewer]);
        let b = reviewer("b", &[Role::Reviewer]);
        case.claim(&a, t(0), t(60)).unwrap();
        assert_eq!(case.state_name(t(10)), "claimed");
        assert!(matches!(case.claim(&b, t(30), t(90)), Err(ReviewError::Leased { .. })));
        assert!(matches!(
            case.decide(&b, not_violating(), t(30)),
            Err(ReviewError::NotClaimed { .. })
        ));
        // a's lease ended at 60: the case is queued again and b may take it.
        assert!(case.is_queued(t(60)));
        case.claim(&b, t(60), t(120)).unwrap();
        assert!(matches!(
            case.decide(&a, not_violating(), t(61)),
            Err(ReviewError::NotClaimed { .. })
        ));
        case.decide(&b, not_violating(), t(61)).unwrap();
        assert_eq!(case.state_name(t(61)), "not_violating");
        assert!(matches!(case.claim(&a, t(62), t(100)), Err(ReviewError::State { .. })));
    }

    #[test]
    fn a_decision_after_the_lease_ended_is_refused() {
        let mut case = Case::new(CaseId::new(1), Subject::Account("u1".into()), t(0));
        let a = reviewer("a", &[Role::Reviewer]);
        case.claim(&a, t(0), t(60)).unwrap();
        assert!(matches!(
            case.decide(&a, not_violating(), t(60)),
            Err(ReviewError::NotClaimed { .. })
        ));
    }

    #[test]
    fn child_safety_cases_need_the_role_and_escalations_a_lead() {
        let mut case = Case::new(CaseId::new(2), Subject::Account("u1".into()), t(0));
        case.child_safety = true;
        let plain = reviewer("a", &[Role::Reviewer]);
        let cs = reviewer("b", &[Role::ChildSafety]);
        let err = case.claim(&plain, t(0), t(60)).unwrap_err();
        assert_eq!(err.to_string(), "case 2 needs the child_safety role, which a does not have");
        case.claim(&cs, t(0), t(60)).unwrap();
        case.decide(&cs, Decision::Escalate { reason: "unsure".into() }, t(1)).unwrap();
        assert_eq!(case.state_name(t(1)), "escalated");
        assert!(matches!(
            case.claim(&cs, t(2), t(60)),
            Err(ReviewError::Role { needed: Role::Lead, .. })
        ));
        let lead = reviewer("c", &[Role::ChildSafety, Role::Lead]);
        case.claim(&lead, t(2), t(60)).unwrap();
        // A child-safety violation needs the CyberTipline fields.
        let no_fields = Decision::Verdict(Verdict::Violating {
            policy: "child_safety".into(),
            category: ReportCategory::ChildSafety,
            enforcement: Enforcement::default(),
            cybertip: None,
        });
        let err = case.decide(&lead, no_fields, t(3)).unwrap_err();
        assert!(err.to_string().starts_with("decision.incident_type:"), "{err}");
    }

    #[test]
    fn an_appeal_reopens_for_another_reviewer_and_keeps_no_duplicates_appealable() {
        let mut case = Case::new(CaseId::new(3), Subject::Account("u1".into()), t(0));
        let a = reviewer("a", &[Role::Reviewer]);
        let b = reviewer("b", &[Role::Reviewer]);
        assert!(matches!(case.appeal(t(0)), Err(ReviewError::State { .. })));
        case.claim(&a, t(0), t(60)).unwrap();
        case.decide(&a, not_violating(), t(1)).unwrap();
        case.appeal(t(2)).unwrap();
        assert_eq!(case.state_name(t(2)), "reopened");
        assert!(matches!(case.claim(&a, t(3), t(60)), Err(ReviewError::SameReviewer { .. })));
        case.claim(&b, t(3), t(60)).unwrap();
        case.decide(&b, Decision::Verdict(Verdict::Duplicate { of: CaseId::new(1) }), t(4))
            .unwrap();
        assert!(matches!(case.appeal(t(5)), Err(ReviewError::State { state: "duplicate", .. })));
    }

    #[test]
    fn sampling_follows_the_rate() {
        let n = 10_000;
        let sampled = (0..n).filter(|i| sampled_for_second_review(CaseId::new(*i), 1, 0.1)).count();
        assert!((800..1200).contains(&sampled), "{sampled}");
        assert!(!(0..100).any(|i| sampled_for_second_review(CaseId::new(i), 1, 0.0)));
        assert!((0..100).all(|i| sampled_for_second_review(CaseId::new(i), 1, 1.0)));
        let mut agreement = Agreement::default();
        assert_eq!(agreement.rate(), None);
        let nv = Verdict::NotViolating { reason: "x".into() };
        agreement.add(&nv, &nv);
        agreement.add(&nv, &Verdict::Duplicate { of: CaseId::new(1) });
        assert_eq!(agreement.rate(), Some(0.5));
    }
}
