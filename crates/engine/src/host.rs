//! The long-running deployment: a mutable [`Host`] that applies changes
//! (a lexicon reload, new banks, a rescan of the event log) and immutable
//! [`Snapshot`]s that answer checks.
//!
//! Shaped like rust-analyzer's `AnalysisHost` / `Analysis`: readers take a
//! snapshot (one atomic pointer load, never a lock) and keep answering from
//! it while the host builds the next one; a change that fails leaves the
//! current snapshot in place. Changes are serialised by one lock that only
//! writers take.
//!
//! Events accepted while the host runs ([`Host::append`]) are durable before
//! the call returns, and their direct signals change the live state at once,
//! without a rescan: a small overlay of [`LiveMark`]s (a child-safety
//! enforcement marks the account and every account of its person confirmed,
//! any other ban or suspension marks the account, a new account linked by its
//! identifiers, handle or bio to a person banned for child safety (as of the
//! last scan) is marked confirmed as ban evasion on its first event, a post whose media match a
//! bank marks its author confirmed, a strong lexicon hit in a caption, a
//! hashtag or a comment marks its author suspected) is swapped into a new
//! snapshot that shares everything else with the current one. The overlay
//! only ever removes candidates ([`Snapshot::decide`], [`Snapshot::search`]);
//! a rescan folds what it saw into the scan's tiers and keeps only the marks
//! of events it may not have seen.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arc_swap::ArcSwap;
use guardrail_core::{
    AccountRef, EnforcementAction, Event, EventKind, RiskTier, Surface as TextSurface,
};
use guardrail_graph::identity::{EvasionWatch, Persons as IdentityPersons};
use guardrail_graph::{ScanConfig, ScanSummary};
use guardrail_guard::{
    Candidate, Decision, DiscoverySurface, Guard, Policy, Reasons, SearchOutcome, State,
};
use guardrail_media::{BankMatch, Banks, KnownHash, PdqHash};
use guardrail_store::{AppendOutcome, ConflictPolicy, NewEvent, NewOutbox, Store};
use guardrail_text::{Level, Matcher, Verdict};

use crate::events::{load, EventSource, Loaded, SignalSources, Signals};
use crate::scan::Scanned;
use crate::{EngineError, Result};

/// What a host runs with.
#[derive(Clone, Debug)]
pub struct HostConfig {
    /// The database (created when missing: a host also takes events).
    pub database: String,
    /// The lexicon file and the hash-list files besides the store's banks.
    pub signals: SignalSources,
    /// The guard's policy.
    pub policy: Policy,
    /// The scan's settings.
    pub scan: ScanConfig,
}

/// The last scan a snapshot's guard acts on.
#[derive(Clone, Copy, Debug)]
pub struct ScanInfo {
    /// The stored run.
    pub run: i64,
    /// Its counts.
    pub summary: ScanSummary,
}

/// Why an account is marked in the live overlay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveReason {
    /// A child-safety ban or suspension of the account itself.
    ChildSafetyEnforcement,
    /// Any other ban or suspension of the account.
    Enforcement,
    /// A child-safety enforcement of another account of the same person (from the last scan).
    SamePerson,
    /// A post's media matched a hash bank.
    BankMatch,
    /// A caption, hashtag or comment had a strong (or blocking) lexicon hit.
    StrongLexicon,
    /// A new account's identifiers, handle or bio link it to an account of a
    /// person banned for child safety (as of the last scan).
    BanEvasion,
    /// A reviewer's decision acted on the account (ban, suspend, not
    /// recommendable); kept across rescans until a restore.
    ReviewDecision,
}

impl LiveReason {
    /// The stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            LiveReason::ChildSafetyEnforcement => "child_safety_enforcement",
            LiveReason::Enforcement => "enforcement",
            LiveReason::SamePerson => "same_person_enforced",
            LiveReason::BankMatch => "bank_match",
            LiveReason::StrongLexicon => "strong_lexicon",
            LiveReason::BanEvasion => "ban_evasion",
            LiveReason::ReviewDecision => "review_decision",
        }
    }
}

/// A direct signal applied to an account since the last scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveMark {
    /// The tier the signal gives (`None`: a ban or suspension outside child
    /// safety, which keeps the account out of recommendations without a tier).
    pub tier: Option<RiskTier>,
    /// Why.
    pub reason: LiveReason,
    /// The event that caused it.
    pub event: String,
    /// For enforcement and ban-evasion marks, the banned account (a restore of it lifts them).
    pub source: String,
    /// The evidence, one line each (for ban evasion: what links the accounts).
    pub evidence: Vec<String>,
    /// The append that made it (marks newer than a rescan's start survive it).
    epoch: u64,
}

/// The live overlay: marks by account id.
pub type LiveMarks = HashMap<String, LiveMark>;

/// The persons of the last scan with more than one account.
#[derive(Debug, Default)]
struct Persons {
    of: HashMap<String, usize>,
    accounts: Vec<Vec<String>>,
}

/// An immutable view of the deployment that answers checks.
pub struct Snapshot {
    generation: u64,
    matcher: Option<Arc<Matcher>>,
    banks: Option<Arc<Banks>>,
    radius: u32,
    guard: Arc<Guard>,
    scan: Option<ScanInfo>,
    persons: Arc<Persons>,
    evasion: Arc<EvasionWatch>,
    live: Arc<LiveMarks>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("generation", &self.generation)
            .field("lexicon", &self.matcher.is_some())
            .field("banks", &self.banks.as_ref().map(|b| b.banks().len()))
            .field("scan", &self.scan)
            .field("live", &self.live.len())
            .finish()
    }
}

impl Snapshot {
    /// Increases by one with every change the host applies.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The guard (its state is the last scan's; empty before the first).
    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// The last scan the guard acts on, if any.
    pub fn scan(&self) -> Option<ScanInfo> {
        self.scan
    }

    /// The compiled lexicon, if one is configured.
    pub fn matcher(&self) -> Option<&Arc<Matcher>> {
        self.matcher.as_ref()
    }

    /// Checks a text; refused (never "allow") when no lexicon is configured.
    pub fn check_text(&self, text: &str, surface: TextSurface) -> Result<Verdict> {
        let matcher = self.matcher.as_ref().ok_or(EngineError::NoLexicon)?;
        Ok(matcher.check(text, surface)?)
    }

    /// Matches exact digests and PDQ hashes against the banks (within the
    /// configured radius, only `bank` when given); refused (never "no
    /// match") when there are no banks.
    pub fn match_hashes(
        &self,
        exact: &[KnownHash],
        pdq: &[PdqHash],
        bank: Option<&str>,
    ) -> Result<Vec<BankMatch>> {
        let banks = self.banks.as_ref().ok_or_else(|| EngineError::NoHashes {
            url: "this deployment".into(),
            what: "no hash banks".into(),
        })?;
        let mut found = banks.match_exact(exact, bank)?;
        found.extend(banks.match_pdq(pdq, self.radius, bank)?);
        Ok(found)
    }

    /// The banks, if any.
    pub fn banks(&self) -> Option<&Arc<Banks>> {
        self.banks.as_ref()
    }

    /// The live overlay: direct signals applied since the last scan.
    pub fn live(&self) -> &LiveMarks {
        &self.live
    }

    /// The live mark of an account, if any.
    pub fn live_mark(&self, account: &str) -> Option<&LiveMark> {
        self.live.get(account)
    }

    /// Whether the live overlay keeps an account out of recommendations.
    fn live_drops(&self, account: &str) -> bool {
        self.live.get(account).is_some_and(|m| match m.tier {
            None => true,
            Some(tier) => self.guard.policy().never_recommend.contains(&tier),
        })
    }

    fn overlay(&self, candidates: &[Candidate<'_>], decisions: &mut [Decision]) {
        if self.live.is_empty() {
            return;
        }
        for (c, d) in candidates.iter().zip(decisions.iter_mut()) {
            let account = match c {
                Candidate::Account(a) => a.as_str(),
                Candidate::Post { author, .. } => author.as_str(),
                Candidate::Hashtag(tag) => {
                    if self.live.contains_key(&hashtag_key(tag)) {
                        d.reasons |= Reasons::BLOCKED_TERM;
                        d.allow = false;
                    }
                    continue;
                }
                Candidate::Text(_) => continue,
            };
            if self.live_drops(account) {
                d.reasons |= Reasons::FLAGGED_ACCOUNT;
                d.allow = false;
            }
        }
    }

    /// The guard's decisions with the live overlay applied: an account (or a
    /// post's author) marked since the last scan is dropped as a flagged account.
    pub fn decide(
        &self,
        viewer: AccountRef<'_>,
        surface: DiscoverySurface,
        candidates: &[Candidate<'_>],
    ) -> Vec<Decision> {
        let mut out = self.guard.decide(viewer, surface, candidates);
        self.overlay(candidates, &mut out);
        out
    }

    /// The guard's search with the live overlay applied to its results.
    pub fn search(
        &self,
        viewer: AccountRef<'_>,
        query: &str,
        results: &[Candidate<'_>],
    ) -> SearchOutcome<'_> {
        let mut outcome = self.guard.search(viewer, query, results);
        if outcome.blocked.is_none() {
            self.overlay(results, &mut outcome.decisions);
        }
        outcome
    }

    /// The direct signals of one accepted event, as marks to set (`Ok(None)`
    /// to lift enforcement marks of the account on a restore).
    fn signals_of(&self, event: &Event) -> Result<Vec<(String, LiveMark)>> {
        let mark = |account: &str, tier, reason, source: &str| {
            (
                account.to_owned(),
                LiveMark {
                    tier,
                    reason,
                    event: event.id.as_str().to_owned(),
                    source: source.to_owned(),
                    evidence: Vec::new(),
                    epoch: 0,
                },
            )
        };
        let mut out = Vec::new();
        match &event.kind {
            EventKind::Enforcement(e)
                if matches!(e.action, EnforcementAction::Ban | EnforcementAction::Suspend) =>
            {
                let account = e.account.as_str();
                let child_safety = e
                    .confirmed_category
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case("child_safety"));
                if !child_safety {
                    out.push(mark(account, None, LiveReason::Enforcement, account));
                    return Ok(out);
                }
                out.push(mark(
                    account,
                    Some(RiskTier::Confirmed),
                    LiveReason::ChildSafetyEnforcement,
                    account,
                ));
                if let Some(&person) = self.persons.of.get(account) {
                    for other in self.persons.accounts[person].iter().filter(|a| *a != account) {
                        out.push(mark(
                            other,
                            Some(RiskTier::Confirmed),
                            LiveReason::SamePerson,
                            account,
                        ));
                    }
                }
            }
            EventKind::Account(a) => {
                if let Some(evasion) = self.evasion.check(a) {
                    let (account, mut m) = mark(
                        a.account.as_str(),
                        Some(RiskTier::Confirmed),
                        LiveReason::BanEvasion,
                        &evasion.banned,
                    );
                    m.evidence = evasion.evidence;
                    out.push((account, m));
                }
            }
            EventKind::Post(p) => {
                let author = p.author.as_str();
                if let Some(banks) = &self.banks {
                    let mut exact = Vec::new();
                    let mut pdq = Vec::new();
                    for m in &p.media {
                        exact.extend(m.md5.map(KnownHash::Md5));
                        exact.extend(m.sha256.map(KnownHash::Sha256));
                        pdq.extend(m.pdq.map(PdqHash::from));
                    }
                    let hit = !banks.match_exact(&exact, None)?.is_empty()
                        || !banks.match_pdq(&pdq, self.radius, None)?.is_empty();
                    if hit {
                        out.push(mark(
                            author,
                            Some(RiskTier::Confirmed),
                            LiveReason::BankMatch,
                            "",
                        ));
                        return Ok(out);
                    }
                }
                let texts = p
                    .caption
                    .iter()
                    .map(|c| (c.as_str(), TextSurface::Caption))
                    .chain(p.hashtags.iter().map(|h| (h.as_str(), TextSurface::Hashtag)));
                if self.strong(texts) {
                    out.push(mark(
                        author,
                        Some(RiskTier::Suspected),
                        LiveReason::StrongLexicon,
                        "",
                    ));
                }
            }
            EventKind::Comment(c)
                if self.strong([(c.text.as_str(), TextSurface::Comment)].into_iter()) =>
            {
                out.push(mark(
                    c.actor.as_str(),
                    Some(RiskTier::Suspected),
                    LiveReason::StrongLexicon,
                    "",
                ));
            }
            _ => {}
        }
        Ok(out)
    }

    /// Whether any of the texts has a strong or blocking lexicon hit (a text
    /// too long to check is not a hit: the rescan reads it with its limits).
    fn strong<'t>(&self, mut texts: impl Iterator<Item = (&'t str, TextSurface)>) -> bool {
        let Some(matcher) = &self.matcher else { return false };
        texts.any(|(text, surface)| {
            matcher.check(text, surface).is_ok_and(|v| v.level >= Level::Strong)
        })
    }
}

/// What the host keeps between changes (only writers touch it).
struct Inner {
    store: Box<dyn Store>,
    signals: Signals,
    /// The graph and the scan the current guard was built from.
    last: Option<(Loaded, Scanned, i64)>,
    /// A policy that replaced the configured one.
    policy: Option<Policy>,
}

/// What appends touch (their own connection and the overlay's master copy),
/// apart from the writers' lock so that events are accepted during a rescan.
struct Live {
    store: Box<dyn Store>,
    marks: Arc<LiveMarks>,
    epoch: u64,
}

/// The mutable side: applies changes and publishes snapshots.
pub struct Host {
    config: HostConfig,
    inner: Mutex<Inner>,
    live: Mutex<Live>,
    current: ArcSwap<Snapshot>,
    /// Whether appends write what they cause to the outbox (webhooks configured).
    outbox: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host").field("database", &self.config.database).finish_non_exhaustive()
    }
}

impl Host {
    /// Opens the database (creating it when missing), compiles the lexicon
    /// and loads the banks. The guard starts with no scan: call
    /// [`Host::rescan`] once the event log holds events.
    pub fn open(config: HostConfig) -> Result<Host> {
        crate::banks::check_radius(config.signals.radius.unwrap_or(crate::banks::DEFAULT_RADIUS))?;
        let mut store = crate::store::open_writer(&config.database)?;
        let signals = config.signals.load(Some(store.as_mut()))?;
        let inner = Inner { store, signals, last: None, policy: None };
        let mut live_store = crate::store::open_writer(&config.database)?;
        let marks = Arc::new(review_marks(live_store.as_mut())?);
        let live = Live { store: live_store, marks, epoch: 0 };
        let first = build(&config, &inner, 0, live.marks.clone())?;
        Ok(Host {
            config,
            inner: Mutex::new(inner),
            live: Mutex::new(live),
            current: ArcSwap::from_pointee(first),
            outbox: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// From now on, appends write the actions their events cause (an
    /// account to stop or resume recommending) to the store's webhook outbox,
    /// in the events' transaction.
    pub fn enable_outbox(&self) {
        self.outbox.store(true, std::sync::atomic::Ordering::Release);
    }

    /// The database URL.
    pub fn database(&self) -> &str {
        &self.config.database
    }

    /// The configuration (with the policy in force).
    pub fn config(&self) -> HostConfig {
        let mut config = self.config.clone();
        config.policy = self.snapshot().guard().policy().clone();
        config
    }

    /// Appends events to the store's log in one transaction (idempotent on
    /// event id: a repeat with the same content is a duplicate, one with
    /// other content a conflict, never stored), then applies the direct
    /// signals of the events stored or already there to the live state and
    /// publishes it. When this returns `Ok`, the events are durable and the
    /// snapshot acts on them.
    pub fn append(&self, events: &[Event]) -> Result<AppendOutcome> {
        let rows: Vec<NewEvent> = events.iter().map(NewEvent::from_event).collect();
        let mut live = self.live_lock();
        let snapshot = self.snapshot();
        // The direct signals are computed before the commit, so that what
        // they cause (the outbox) is written in the events' transaction.
        let mut changes = Vec::new();
        let mut restored = Vec::new();
        for (i, event) in events.iter().enumerate() {
            if let EventKind::Enforcement(e) = &event.kind {
                if e.action == EnforcementAction::Restore {
                    restored.push((i, e.account.as_str().to_owned()));
                    continue;
                }
            }
            // A check that fails (a bank error) is not a reason to lose the
            // event: it is stored, and the next rescan reads it.
            if let Ok(marks) = snapshot.signals_of(event) {
                if !marks.is_empty() {
                    changes.push((i, marks));
                }
            }
        }
        let outbox = if self.outbox.load(std::sync::atomic::Ordering::Acquire) {
            outbox_rows(events, &changes, &restored, &live.marks)
        } else {
            Vec::new()
        };
        let outcome = live.store.append_with_outbox(&rows, None, ConflictPolicy::Skip, &outbox)?;
        let conflicts: HashSet<usize> = outcome.conflicts.iter().copied().collect();
        changes.retain(|(i, _)| !conflicts.contains(i));
        restored.retain(|(i, _)| !conflicts.contains(i));
        let restored: Vec<String> = restored.into_iter().map(|(_, a)| a).collect();
        if changes.iter().all(|(_, m)| m.is_empty()) && restored.is_empty() {
            return Ok(outcome);
        }
        live.epoch += 1;
        let epoch = live.epoch;
        let mut marks = (*live.marks).clone();
        // In stream order: a restore lifts the enforcement marks it refers to.
        for account in &restored {
            marks.retain(|_, m| !lifted_by(m, account));
        }
        for (_, new) in changes {
            for (account, mut mark) in new {
                mark.epoch = epoch;
                let keep_old = marks.get(&account).is_some_and(|old| stronger(old, &mark));
                if !keep_old {
                    marks.insert(account, mark);
                }
            }
        }
        live.marks = Arc::new(marks);
        let marks = live.marks.clone();
        self.current.rcu(|current| Arc::new(current.with_live(marks.clone())));
        Ok(outcome)
    }

    /// Makes the guard act at once on a review decision's actions (already
    /// committed with the decision): a banned, suspended or
    /// not-recommendable account leaves every discovery surface, a blocked
    /// hashtag stops being a candidate, and a restore lifts the case's
    /// earlier marks. The marks outlive rescans (a scan reads the platform's
    /// events, not decisions) and are read again from the store's
    /// enforcement outbox when the host opens.
    pub fn apply_review(&self, case: u64, actions: &[(String, String)]) -> Arc<Snapshot> {
        let mut live = self.live_lock();
        let mut marks = (*live.marks).clone();
        live.epoch += 1;
        for (kind, target) in actions {
            apply_review_action(&mut marks, case, kind, target);
        }
        live.marks = Arc::new(marks);
        let marks = live.marks.clone();
        self.current.rcu(|current| Arc::new(current.with_live(marks.clone())));
        self.snapshot()
    }

    /// Replaces the guard's policy (checked); the current snapshot stays on error.
    pub fn replace_policy(&self, policy: Policy) -> Result<Arc<Snapshot>> {
        policy.validate()?;
        let mut inner = self.lock();
        let previous = inner.policy.replace(policy);
        self.publish(&mut inner).inspect_err(|_| {
            inner.policy = previous;
        })
    }

    /// The current snapshot (one atomic load; never waits for a change in progress).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Runs `f` with the store, serialised with every other change.
    pub fn with_store<T>(&self, f: impl FnOnce(&mut dyn Store) -> Result<T>) -> Result<T> {
        f(self.lock().store.as_mut())
    }

    /// Reads the lexicon file again; on any error the current one stays.
    pub fn reload_lexicon(&self) -> Result<Arc<Snapshot>> {
        let mut inner = self.lock();
        let matcher = self.config.signals.lexicon.matcher()?;
        let previous = std::mem::replace(&mut inner.signals.matcher, matcher);
        self.publish(&mut inner).inspect_err(|_| {
            inner.signals.matcher = previous;
        })
    }

    /// Reads the banks again (the store's and the files'); on any error the current ones stay.
    pub fn reload_banks(&self) -> Result<Arc<Snapshot>> {
        let mut inner = self.lock();
        let radius = self.config.signals.radius.unwrap_or(crate::banks::DEFAULT_RADIUS);
        let banks =
            crate::banks::gather(Some(inner.store.as_mut()), &self.config.signals.bank_files)?;
        let media = banks.map(|b| crate::banks::BankCheck::new(b, radius)).transpose()?;
        let previous = std::mem::replace(&mut inner.signals.media, media);
        self.publish(&mut inner).inspect_err(|_| {
            inner.signals.media = previous;
        })
    }

    /// Loads the store's event log, scans it, stores the scan and builds the
    /// guard from it; on any error the current snapshot stays.
    pub fn rescan(&self) -> Result<Arc<Snapshot>> {
        let mut inner = self.lock();
        // Every append recorded at or before this epoch is committed, so the
        // load below reads it; marks made after it may not be in the scan.
        let seen_epoch = self.live_lock().epoch;
        let Inner { store, signals, .. } = &mut *inner;
        let url = self.config.database.as_str();
        let loaded = load(EventSource::Store { store: store.as_mut(), url }, signals, false)?;
        let scanned = crate::scan::scan(&loaded, signals, &self.config.scan)?;
        let run = crate::scan::store(store.as_mut(), &loaded.source, &scanned.result)?;
        let previous = inner.last.replace((loaded, scanned, run));
        self.publish_keeping(&mut inner, Some(seen_epoch)).inspect_err(|_| {
            inner.last = previous;
        })
    }

    fn publish(&self, inner: &mut Inner) -> Result<Arc<Snapshot>> {
        self.publish_keeping(inner, None)
    }

    /// Builds and publishes the next snapshot with the live marks; after a
    /// scan (`seen_epoch`), only the marks of appends the scan may not have read.
    fn publish_keeping(&self, inner: &mut Inner, seen_epoch: Option<u64>) -> Result<Arc<Snapshot>> {
        let mut live = self.live_lock();
        let marks = match seen_epoch {
            Some(seen) => Arc::new(
                live.marks
                    .iter()
                    .filter(|(_, m)| m.epoch > seen || m.reason == LiveReason::ReviewDecision)
                    .map(|(k, m)| (k.clone(), m.clone()))
                    .collect(),
            ),
            None => live.marks.clone(),
        };
        let generation = self.current.load().generation + 1;
        let next = Arc::new(build(&self.config, inner, generation, marks.clone())?);
        live.marks = marks;
        self.current.store(next.clone());
        Ok(next)
    }

    fn live_lock(&self) -> MutexGuard<'_, Live> {
        // An append that panicked left `Live` as it was before its swap.
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A change that panicked left `Inner` as it was before its swap.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The key of a blocked hashtag among the live marks (accounts are keyed by id).
fn hashtag_key(tag: &str) -> String {
    format!("#{}", tag.trim_start_matches('#').to_lowercase())
}

/// One action of a review decision on the live marks.
fn apply_review_action(marks: &mut LiveMarks, case: u64, kind: &str, target: &str) {
    let mark = |evidence: String| LiveMark {
        tier: None,
        reason: LiveReason::ReviewDecision,
        event: format!("case:{case}"),
        source: target.to_owned(),
        evidence: vec![evidence],
        epoch: u64::MAX,
    };
    match kind {
        "ban" | "suspend" | "not_recommendable" => {
            let evidence = format!("case {case}: {kind}");
            match marks.get_mut(target) {
                Some(m) if m.reason == LiveReason::ReviewDecision => m.evidence.push(evidence),
                _ => {
                    marks.insert(target.to_owned(), mark(evidence));
                }
            }
        }
        "block_hashtag" => {
            marks.insert(hashtag_key(target), mark(format!("case {case}: block_hashtag")));
        }
        "restore" if marks.get(target).is_some_and(|m| m.reason == LiveReason::ReviewDecision) => {
            marks.remove(target);
        }
        _ => {}
    }
}

/// The marks of every review decision in the store's enforcement outbox, in
/// the order they were decided (a restore lifts what came before it).
fn review_marks(store: &mut dyn Store) -> Result<LiveMarks> {
    let mut marks = LiveMarks::new();
    for row in store.review_outbox(false)? {
        apply_review_action(&mut marks, row.case_id, &row.action, &row.target);
    }
    Ok(marks)
}

/// Whether a restore of `account` lifts a mark (an enforcement's, or ban evasion's of it).
fn lifted_by(mark: &LiveMark, account: &str) -> bool {
    mark.source == account
        && matches!(
            mark.reason,
            LiveReason::ChildSafetyEnforcement
                | LiveReason::Enforcement
                | LiveReason::SamePerson
                | LiveReason::BanEvasion
        )
}

/// The outbox rows of a batch: an account the platform must stop
/// recommending for each new mark, and one it may recommend again for each
/// mark a restore lifts. The key (event, kind, account) makes a retried
/// event's rows the same rows.
fn outbox_rows(
    events: &[Event],
    changes: &[(usize, Vec<(String, LiveMark)>)],
    restored: &[(usize, String)],
    marks: &LiveMarks,
) -> Vec<NewOutbox> {
    let mut out = Vec::new();
    let mut row = |event: usize, kind: &str, account: &str, body: serde_json::Value| {
        let key = format!("{}/{kind}/{account}", events[event].id.as_str());
        let mut body = body;
        body["id"] = serde_json::Value::String(key.clone());
        body["type"] = serde_json::Value::String(kind.to_owned());
        body["account"] = serde_json::Value::String(account.to_owned());
        body["event"] = serde_json::Value::String(events[event].id.as_str().to_owned());
        body["at"] = serde_json::Value::String(events[event].at.to_string());
        out.push(NewOutbox { event, key, kind: kind.to_owned(), body: body.to_string() });
    };
    for (i, marks) in changes {
        for (account, m) in marks {
            row(
                *i,
                "account.non_recommendable",
                account,
                serde_json::json!({
                    "tier": m.tier.map(|t| t.as_str()),
                    "reason": m.reason.code(),
                    "evidence": m.evidence,
                }),
            );
        }
    }
    for (i, account) in restored {
        let mut lifted: Vec<&String> =
            marks.iter().filter(|(_, m)| lifted_by(m, account)).map(|(a, _)| a).collect();
        lifted.sort();
        for a in lifted {
            row(*i, "account.recommendable", a, serde_json::json!({"restored": account}));
        }
    }
    out
}

/// Whether an existing mark outranks a new one (a confirmed tier over a
/// suspected one; a tier over none).
fn stronger(old: &LiveMark, new: &LiveMark) -> bool {
    match (old.tier, new.tier) {
        (Some(a), Some(b)) => a > b,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

impl Snapshot {
    fn with_live(&self, live: Arc<LiveMarks>) -> Snapshot {
        Snapshot {
            generation: self.generation + 1,
            matcher: self.matcher.clone(),
            banks: self.banks.clone(),
            radius: self.radius,
            guard: self.guard.clone(),
            scan: self.scan,
            persons: self.persons.clone(),
            evasion: self.evasion.clone(),
            live,
        }
    }
}

fn build(
    config: &HostConfig,
    inner: &Inner,
    generation: u64,
    live: Arc<LiveMarks>,
) -> Result<Snapshot> {
    let matcher = inner.signals.matcher.clone();
    let policy = inner.policy.clone().unwrap_or_else(|| config.policy.clone());
    let mut persons = Persons::default();
    let mut evasion = EvasionWatch::default();
    let (guard, scan) = match &inner.last {
        Some((loaded, scanned, run)) => {
            let labels = IdentityPersons {
                person: scanned.result.person_of_for(&loaded.graph)?.to_vec(),
                links: Vec::new(),
                weak_links: Vec::new(),
            };
            evasion = EvasionWatch::new(&loaded.graph, &labels, &config.scan.identity);
            for p in &scanned.result.persons {
                for a in &p.accounts {
                    persons.of.insert(a.clone(), persons.accounts.len());
                }
                persons.accounts.push(p.accounts.clone());
            }
            (
                crate::guard::from_scan(&loaded.graph, &scanned.result, matcher.clone(), policy)?,
                Some(ScanInfo { run: *run, summary: scanned.result.summary }),
            )
        }
        None => (Guard::new(policy, State::new(), matcher.clone()), None),
    };
    Ok(Snapshot {
        generation,
        banks: inner.signals.media.as_ref().map(|m| m.banks().clone()),
        radius: config.signals.radius.unwrap_or(crate::banks::DEFAULT_RADIUS),
        matcher,
        guard: Arc::new(guard),
        scan,
        persons: Arc::new(persons),
        evasion: Arc::new(evasion),
        live,
    })
}
