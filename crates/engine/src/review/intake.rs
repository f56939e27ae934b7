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

fn corrupt_scan(run: i64, why: &str) -> crate::EngineError {
    crate::EngineError::Store(guardrail_store::StoreError::CorruptRow {
        what: format!("scan {run}"),
        why: format!("finished_at: {why}"),
    })
}
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
                let mut intakes = Vec::new();
                if let Some(intake) = self.intake_of(&event, matcher, &mut out)? {
                    intakes.push(intake);
                }
                if let Some(intake) = self.lexicon_intake(&event, matcher)? {
                    intakes.push(intake);
                }
                for intake in intakes {
                    self.file(store, &intake, &mut out)?;
                }
            }
            // Only a page filed in full moves the place: an error above
            // leaves it, and the next call files the page again (keyed, so
            // what was filed is not filed twice).
            self.after = last;
        }
        Ok(out)
    }

    fn file(&self, store: &mut dyn Store, intake: &Intake, out: &mut LogIntake) -> Result<()> {
        let is_report = matches!(intake.item, IntakeItem::Report(_));
        let outcome = store.review_intake(intake, &seal_row)?;
        if outcome.duplicate {
            out.duplicates += 1;
        } else if is_report {
            out.reports += 1;
        } else {
            out.signals += 1;
        }
        out.cases_opened += u64::from(outcome.new_case);
        Ok(())
    }

    /// A signal of the account's own words: a strong or blocking lexicon hit
    /// in its handle, bio, a caption, a post's hashtags or a comment, with
    /// the term, where and the matched span (what the reviewer reads).
    fn lexicon_intake(
        &self,
        event: &Event,
        matcher: Option<&guardrail_text::Matcher>,
    ) -> Result<Option<Intake>> {
        use guardrail_core::{Severity, Surface};
        let Some(matcher) = matcher else { return Ok(None) };
        let mut texts: Vec<(Surface, &str)> = Vec::new();
        let account = match &event.kind {
            EventKind::Account(a) => {
                texts.push((Surface::Handle, a.handle.as_str()));
                if let Some(bio) = &a.bio {
                    texts.push((Surface::Bio, bio.as_str()));
                }
                &a.account
            }
            EventKind::Post(p) => {
                if let Some(c) = &p.caption {
                    texts.push((Surface::Caption, c.as_str()));
                }
                texts.extend(p.hashtags.iter().map(|h| (Surface::Hashtag, h.as_str())));
                &p.author
            }
            EventKind::Comment(c) => {
                texts.push((Surface::Comment, c.text.as_str()));
                &c.actor
            }
            _ => return Ok(None),
        };
        let mut hits = Vec::new();
        for (surface, text) in texts {
            if text.is_empty() {
                continue;
            }
            let verdict = matcher.check(text, surface)?;
            for m in verdict.matches.iter().filter(|m| m.severity >= Severity::Strong) {
                hits.push(format!(
                    "{} {:?} at {}..{} ({}, {})",
                    surface.as_str(),
                    m.matched,
                    m.start,
                    m.end,
                    m.term,
                    m.category
                ));
            }
        }
        if hits.is_empty() {
            return Ok(None);
        }
        let id = account.as_str().to_owned();
        let subject = case::route_account(account, self.linkage.link(&id));
        let mut accounts = self.linkage.accounts_of(&subject);
        if !accounts.contains(&id) {
            accounts.push(id.clone());
        }
        Ok(Some(Intake {
            subject_kind: subject.kind().into(),
            subject: subject.key().into(),
            item: IntakeItem::Signal(NewSignalRow {
                key: format!("lexicon:{}", event.id),
                kind: "strong_term".into(),
                account: id,
                detail: format!("event {}: {}", event.id, hits.join("; ")),
                at: event.at.unix_micros(),
            }),
            evidence: Evidence {
                // The lexicon is of coded child-abuse vocabulary: its strong
                // hits go to child-safety reviewers only.
                child_safety: true,
                strong_terms: hits.len() as u64,
                tier: self.linkage.tier_of(&accounts).code(),
                accounts,
                ..Evidence::default()
            },
            audit: draft(event.at, "system", "signal", String::new(), "strong_term".into()),
        }))
    }

    /// Files what the latest scan found that the log's events do not say by
    /// themselves: each account the scan places in a network (`suspected`
    /// or `confirmed`) as a `scan_tier` signal, and each new account of a
    /// banned person as `ban_evasion`; keyed by account and tier, so a rescan
    /// that finds the same files nothing new and a rise in tier files again.
    pub fn file_scan(&mut self, store: &mut dyn Store) -> Result<LogIntake> {
        use guardrail_core::{Reason, RiskTier};
        let mut out = LogIntake::default();
        let Some(scan) = store.scans()?.last().cloned() else { return Ok(out) };
        let at = guardrail_core::Timestamp::parse(&scan.finished_at)
            .map_err(|why| corrupt_scan(scan.id, &why))?;
        for row in store.scan_accounts(scan.id, None)? {
            if row.tier < RiskTier::Suspected {
                continue;
            }
            let account = row.account.as_str().to_owned();
            let subject = case::route_account(&row.account, self.linkage.link(&account));
            let mut accounts = self.linkage.accounts_of(&subject);
            if !accounts.contains(&account) {
                accounts.push(account.clone());
            }
            let evasion = row.reasons.iter().find_map(|r| match r {
                Reason::BanEvasion { banned, .. } => Some(banned.clone()),
                _ => None,
            });
            let (kind, key, detail) = match &evasion {
                Some(banned) => (
                    "ban_evasion",
                    format!("evasion:{account}"),
                    format!("scan {}: a new account of the person banned as {banned}", scan.id),
                ),
                None => (
                    "scan_tier",
                    format!("tier:{account}:{}", row.tier.as_str()),
                    format!(
                        "scan {}: {} (score {:.2}): {}",
                        scan.id,
                        row.tier.as_str(),
                        row.score,
                        row.reasons.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
                    ),
                ),
            };
            let intake = Intake {
                subject_kind: subject.kind().into(),
                subject: subject.key().into(),
                item: IntakeItem::Signal(NewSignalRow {
                    key,
                    kind: kind.into(),
                    account,
                    detail,
                    at: at.unix_micros(),
                }),
                evidence: Evidence {
                    child_safety: true,
                    tier: row.tier.code(),
                    accounts,
                    ..Evidence::default()
                },
                audit: draft(at, "system", "signal", String::new(), kind.into()),
            };
            self.file(store, &intake, &mut out)?;
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
