//! The discovery guard: its policy file, its state built from a scan, and the
//! sock-puppet audit.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use guardrail_graph::{Graph, ScanConfig, ScanResult};
use guardrail_guard::{audit, AuditConfig, AuditReport, Guard, Policy, State};
use guardrail_text::Matcher;

use crate::events::{load, EventSource, SignalSources};
use crate::{EngineError, Result};

/// Reads and checks a policy file.
pub fn read_policy(path: &Path) -> Result<Policy> {
    let text = crate::banks::read_text(path)?;
    Policy::from_toml(&text).map_err(|source| EngineError::Policy { path: path.to_owned(), source })
}

/// The policy file, or the defaults without one.
pub fn policy_or_default(path: Option<&Path>) -> Result<Policy> {
    path.map_or_else(|| Ok(Policy::default()), read_policy)
}

/// A guard acting on a scan of `graph` (refused for a scan of another graph).
pub fn from_scan(
    graph: &Graph,
    scan: &ScanResult,
    matcher: Option<Arc<Matcher>>,
    policy: Policy,
) -> Result<Guard> {
    let state = State::from_scan(graph, scan, matcher.as_deref(), &policy)?;
    Ok(Guard::new(policy, state, matcher))
}

/// A guard with no scan yet: its rules on texts and hashtags apply, every
/// account reads as clear until a scan is applied.
pub fn without_scan(policy: Policy, matcher: Option<Arc<Matcher>>) -> Guard {
    Guard::new(policy, State::new(), matcher)
}

/// What `audit` is asked to do.
#[derive(Clone, Debug)]
pub struct AuditJob {
    /// The world's event file.
    pub events: PathBuf,
    /// The world's truth file (chooses the sellers viewed, scores what is shown).
    pub truth: PathBuf,
    /// The lexicon and hash lists the scan and the guard use.
    pub signals: SignalSources,
    /// The guard's policy.
    pub policy: Policy,
    /// The experiment's settings.
    pub config: AuditConfig,
}

/// Loads and scans the world, builds the guard from the scan, runs the
/// audit; returns the report and the seconds it all took.
pub fn run_audit(job: &AuditJob) -> Result<(AuditReport, f64)> {
    let start = Instant::now();
    let truth = crate::truth::read(&job.truth)?;
    let signals = job.signals.load(None)?;
    let loaded = load(EventSource::File(&job.events), &signals, false)?;
    let scanned = crate::scan::scan(&loaded, &signals, &ScanConfig::default())?;
    let guard =
        from_scan(&loaded.graph, &scanned.result, signals.matcher.clone(), job.policy.clone())?;
    let report = audit(&loaded.graph, &truth.truth, &guard, &job.config)?;
    Ok((report, start.elapsed().as_secs_f64()))
}
