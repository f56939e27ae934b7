//! Filing the event log into cases, incrementally: an [`EventIntake`]
//! keeps its place in the log (the last sequence number it read), so a
//! long-running service files new `report` events, enforcement events and
//! hash-matched posts as they arrive without reading the log again; a
//! re-read from the start files nothing twice (every item is keyed by its
//! event).

use std::collections::HashMap;

use guardrail_core::{AccountId, EnforcementAction, Event, EventKind, ReportCategory};
use guardrail_review::case;
use guardrail_review::{NewReport, Target};
use guardrail_store::{Evidence, Intake, IntakeItem, NewSignalRow, Store};

use super::{category_rank, draft, report_intake, seal_row, strong_terms, Linkage, LogIntake};
use crate::Result;

/// The event log's reader for review: the latest scan's linkage (which case
/// an account's reports join), the stored banks (hash-match signals), the
/// authors of the posts read so far (a report on a post joins its author's
/// case), and its place in the log.
pub struct EventIntake {
    linkage: Linkage,
    check: Option<crate::banks::BankCheck>,
    authors: HashMap<String, String>,
    after: u64,
}

impl std::fmt::Debug for EventIntake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventIntake")
            .field("after", &self.after)
            .field("banks", &self.check.is_some())
            .field("posts", &self.authors.len())
            .finish_non_exhaustive()
    }
}

impl EventIntake {
    /// An intake at the start of the log, with the latest scan's linkage and the stored banks.
    pub fn new(store: &mut dyn Store) -> Result<EventIntake> {
        let mut intake = EventIntake {
            linkage: Linkage::default(),
            check: None,
            authors: HashMap::new(),
            after: 0,
        };
        intake.relink(store)?;
        Ok(intake)
    }

    /// Reads the latest scan's linkage and the stored banks again (after a
    /// rescan or a bank change); the place in the log stays.
    pub fn relink(&mut self, store: &mut dyn Store) -> Result<()> {
        self.linkage = Linkage::latest(store)?;
        self.check = if store.banks()?.iter().any(|b| b.hashes > 0) {
            Some(crate::banks::BankCheck::new(
                crate::banks::from_store(store)?,
                crate::banks::DEFAULT_RADIUS,
            )?)
        } else {
            None
        };
        Ok(())
    }

    /// The linkage reports are routed by.
    pub fn linkage(&self) -> &Linkage {
        &self.linkage
    }

    /// The last sequence number read.
    pub fn position(&self) -> u64 {
        self.after
    }

    /// Files every event stored after the last one read. With a `matcher`,
    /// each report's strong lexicon terms count towards its case's priority.
    pub fn catch_up(
        &mut self,
        store: &mut dyn Store,
        matcher: Option<&guardrail_text::Matcher>,
    ) -> Result<LogIntake> {
        let mut out = LogIntake::default();
        loop {
            let page = store.events_after(self.after, 10_000)?;
            let Some(last) = page.last().map(|e| e.seq) else { break };
            for stored in page {
                let event = stored.event()?;
                let Some(intake) = self.intake_of(&event, matcher, &mut out)? else { continue };
                let is_report = matches!(intake.item, IntakeItem::Report(_));
                let outcome = store.review_intake(&intake, &seal_row)?;
                if outcome.duplicate {
                    out.duplicates += 1;
                } else if is_report {
                    out.reports += 1;
                } else {
                    out.signals += 1;
                }
                out.cases_opened += u64::from(outcome.new_case);
            }
            // Only a page filed in full moves the place: an error above
            // leaves it, and the next call files the page again (keyed, so
            // what was filed is not filed twice).
            self.after = last;
        }
        Ok(out)
    }

    fn intake_of(
        &mut self,
        event: &Event,
        matcher: Option<&guardrail_text::Matcher>,
        out: &mut LogIntake,
    ) -> Result<Option<Intake>> {
        Ok(match &event.kind {
            EventKind::Post(post) => {
                self.authors.insert(post.post.as_str().to_owned(), post.author.as_str().to_owned());
                let Some(check) = &self.check else { return Ok(None) };
                let hits = guardrail_graph::MediaCheck::check(check, post);
                check.finish()?;
                let Some(hit) = hits.first() else { return Ok(None) };
                let account = post.author.as_str().to_owned();
                let subject = case::route_account(&post.author, self.linkage.link(&account));
                let mut accounts = self.linkage.accounts_of(&subject);
                if !accounts.contains(&account) {
                    accounts.push(account.clone());
                }
                Some(Intake {
                    subject_kind: subject.kind().into(),
                    subject: subject.key().into(),
                    item: IntakeItem::Signal(NewSignalRow {
                        key: format!("hash:{}", post.post),
                        kind: "hash_match".into(),
                        account: account.clone(),
                        detail: format!(
                            "post {} bank {} {} distance {}",
                            post.post, hit.bank, hit.kind, hit.distance
                        ),
                        at: event.at.unix_micros(),
                    }),
                    evidence: Evidence {
                        child_safety: true,
                        hash_match: true,
                        tier: self.linkage.tier_of(&accounts).code(),
                        accounts,
                        ..Evidence::default()
                    },
                    audit: draft(event.at, "system", "signal", String::new(), "hash_match".into()),
                })
            }
            EventKind::Enforcement(e) if e.action != EnforcementAction::Restore => {
                let account = e.account.as_str().to_owned();
                let subject = case::route_account(&e.account, self.linkage.link(&account));
                let mut accounts = self.linkage.accounts_of(&subject);
                if !accounts.contains(&account) {
                    accounts.push(account.clone());
                }
                let category = e.confirmed_category.clone().unwrap_or_default();
                Some(Intake {
                    subject_kind: subject.kind().into(),
                    subject: subject.key().into(),
                    item: IntakeItem::Signal(NewSignalRow {
                        key: format!("event:{}", event.id),
                        kind: "enforcement".into(),
                        account: account.clone(),
                        detail: format!(
                            "{} {category} {}",
                            e.action.as_str(),
                            e.reason.clone().unwrap_or_default()
                        )
                        .trim()
                        .to_owned(),
                        at: event.at.unix_micros(),
                    }),
                    evidence: Evidence {
                        child_safety: category == ReportCategory::ChildSafety.as_str(),
                        tier: self.linkage.tier_of(&accounts).code(),
                        category_rank: ReportCategory::parse(&category).map(category_rank),
                        accounts,
                        ..Evidence::default()
                    },
                    audit: draft(
                        event.at,
                        "system",
                        "signal",
                        String::new(),
                        format!("enforcement {}", e.action.as_str()),
                    ),
                })
            }
            EventKind::Report(_) => {
                let Some(mut report) = NewReport::from_event(event) else { return Ok(None) };
                if let Target::Post { post, author } = &mut report.target {
                    *author = self.authors.get(post.as_str()).map(|a| AccountId::new(a.clone()));
                }
                match report.validate() {
                    Ok(valid) => {
                        let mut intake = report_intake(&valid, &self.linkage, "system");
                        intake.evidence.strong_terms = strong_terms(&valid, matcher)?;
                        Some(intake)
                    }
                    Err(e) => {
                        out.invalid.push((event.id.as_str().to_owned(), e.to_string()));
                        return Ok(None);
                    }
                }
            }
            _ => None,
        })
    }
}
