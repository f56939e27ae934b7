//! The long-running deployment: a mutable [`Host`] that applies changes
//! (a lexicon reload, new banks, a rescan of the event log) and immutable
//! [`Snapshot`]s that answer checks.
//!
//! Shaped like rust-analyzer's `AnalysisHost` / `Analysis`: readers take a
//! snapshot (one atomic pointer load, never a lock) and keep answering from
//! it while the host builds the next one; a change that fails leaves the
//! current snapshot in place. Changes are serialised by one lock that only
//! writers take.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arc_swap::ArcSwap;
use guardrail_core::Surface as TextSurface;
use guardrail_graph::{ScanConfig, ScanSummary};
use guardrail_guard::{Guard, Policy, State};
use guardrail_media::{BankMatch, Banks, KnownHash, PdqHash};
use guardrail_store::Store;
use guardrail_text::{Matcher, Verdict};

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

/// An immutable view of the deployment that answers checks.
pub struct Snapshot {
    generation: u64,
    matcher: Option<Arc<Matcher>>,
    banks: Option<Arc<Banks>>,
    radius: u32,
    guard: Guard,
    scan: Option<ScanInfo>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("generation", &self.generation)
            .field("lexicon", &self.matcher.is_some())
            .field("banks", &self.banks.as_ref().map(|b| b.banks().len()))
            .field("scan", &self.scan)
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
}

/// What the host keeps between changes (only writers touch it).
struct Inner {
    store: Box<dyn Store>,
    signals: Signals,
    /// The graph and the scan the current guard was built from.
    last: Option<(Loaded, Scanned, i64)>,
}

/// The mutable side: applies changes and publishes snapshots.
pub struct Host {
    config: HostConfig,
    inner: Mutex<Inner>,
    current: ArcSwap<Snapshot>,
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
        let inner = Inner { store, signals, last: None };
        let first = build(&config, &inner, 0)?;
        Ok(Host { config, inner: Mutex::new(inner), current: ArcSwap::from_pointee(first) })
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
        let Inner { store, signals, .. } = &mut *inner;
        let url = self.config.database.as_str();
        let loaded = load(EventSource::Store { store: store.as_mut(), url }, signals, false)?;
        let scanned = crate::scan::scan(&loaded, signals, &self.config.scan)?;
        let run = crate::scan::store(store.as_mut(), &loaded.source, &scanned.result)?;
        let previous = inner.last.replace((loaded, scanned, run));
        self.publish(&mut inner).inspect_err(|_| {
            inner.last = previous;
        })
    }

    fn publish(&self, inner: &mut Inner) -> Result<Arc<Snapshot>> {
        let next = Arc::new(build(&self.config, inner, self.current.load().generation + 1)?);
        self.current.store(next.clone());
        Ok(next)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A change that panicked left `Inner` as it was before its swap.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn build(config: &HostConfig, inner: &Inner, generation: u64) -> Result<Snapshot> {
    let matcher = inner.signals.matcher.clone();
    let (guard, scan) = match &inner.last {
        Some((loaded, scanned, run)) => (
            crate::guard::from_scan(
                &loaded.graph,
                &scanned.result,
                matcher.clone(),
                config.policy.clone(),
            )?,
            Some(ScanInfo { run: *run, summary: scanned.result.summary }),
        ),
        None => (Guard::new(config.policy.clone(), State::new(), matcher.clone()), None),
    };
    Ok(Snapshot {
        generation,
        banks: inner.signals.media.as_ref().map(|m| m.banks().clone()),
        radius: config.signals.radius.unwrap_or(crate::banks::DEFAULT_RADIUS),
        matcher,
        guard,
        scan,
    })
}
