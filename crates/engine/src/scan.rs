//! Scanning: load events, run the network scan, store the result; and the
//! scan's evaluation against a world's truth.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use guardrail_core::Truth;
use guardrail_graph::{eval, scan as scan_graph, Node, ScanConfig, ScanResult};
use guardrail_store::{NewScan, PersonRow, RiskRow, Store};
use serde::Serialize;

use crate::events::{load, EventSource, Loaded, SignalSources, Signals};
use crate::{EngineError, Result};

/// A scan's result with the time it took.
#[derive(Debug)]
pub struct Scanned {
    /// The result.
    pub result: ScanResult,
    /// Seconds the scan took (the load not included).
    pub seconds: f64,
}

/// Scans a loaded graph with the lexicon of `signals`.
pub fn scan(loaded: &Loaded, signals: &Signals, config: &ScanConfig) -> Result<Scanned> {
    let start = Instant::now();
    let result = scan_graph(&loaded.graph, &loaded.evidence, signals.matcher.as_deref(), config)?;
    Ok(Scanned { result, seconds: start.elapsed().as_secs_f64() })
}

/// Stores a scan in one transaction; returns its run number.
pub fn store(store: &mut dyn Store, source: &str, result: &ScanResult) -> Result<i64> {
    Ok(store.save_scan(&to_store(source, result))?)
}

/// A scan as the store keeps it.
pub fn to_store(source: &str, result: &ScanResult) -> NewScan {
    let mut network_of = HashMap::new();
    for n in &result.networks {
        for a in &n.accounts {
            network_of.insert(a.as_str(), n.id as i64);
        }
    }
    let mut person_of = HashMap::new();
    for p in &result.persons {
        for a in &p.accounts {
            person_of.insert(a.as_str(), p.id as i64);
        }
    }
    NewScan {
        source: source.to_owned(),
        summary: serde_json::to_string(&result.summary).unwrap_or_default(),
        accounts: result
            .accounts
            .iter()
            .map(|a| RiskRow {
                account: guardrail_core::AccountId::new(a.id.as_str()),
                tier: a.tier,
                score: a.score,
                reasons: a.reasons.clone(),
                network: network_of.get(a.id.as_str()).copied(),
                person: person_of.get(a.id.as_str()).copied(),
            })
            .collect(),
        persons: result
            .persons
            .iter()
            .map(|p| PersonRow {
                person: p.id as i64,
                accounts: p.accounts.clone(),
                evidence: p.evidence.clone(),
            })
            .collect(),
    }
}

/// What `scan` is asked to do: the events (a file, or the store's log), the
/// signals, and the database that receives the result.
#[derive(Clone, Debug, Default)]
pub struct ScanJob {
    /// An event file; without it, the event log of `database`.
    pub events: Option<PathBuf>,
    /// The database whose banks are signals and which stores the result
    /// (it must exist: a scan never creates a database).
    pub database: Option<String>,
    /// The lexicon and hash-list files.
    pub signals: SignalSources,
    /// Skip events of unknown type instead of failing.
    pub skip_unknown_types: bool,
    /// The scan's settings.
    pub config: ScanConfig,
}

/// What a scan job did.
#[derive(Debug)]
pub struct ScanOutcome {
    /// The load (graph, report, seconds).
    pub loaded: Loaded,
    /// The scan.
    pub scanned: Scanned,
    /// The run number, when stored.
    pub stored: Option<i64>,
}

impl ScanJob {
    /// Loads, scans and (with a database) stores.
    pub fn run(&self) -> Result<ScanOutcome> {
        let mut store = self.database.as_deref().map(crate::store::open_reader).transpose()?;
        let signals = self.signals.load(store.as_deref_mut().map(|s| s as &mut dyn Store))?;
        let loaded = match (&self.events, store.as_deref_mut(), &self.database) {
            (Some(events), _, _) => {
                load(EventSource::File(events), &signals, self.skip_unknown_types)?
            }
            (None, Some(store), Some(url)) => {
                load(EventSource::Store { store, url }, &signals, self.skip_unknown_types)?
            }
            _ => {
                return Err(EngineError::Setting {
                    field: "events",
                    why: "give an event file, or a database to scan its event log".into(),
                })
            }
        };
        let scanned = scan(&loaded, &signals, &self.config)?;
        let stored = match store.as_deref_mut() {
            Some(store) => Some(self::store(store, &loaded.source, &scanned.result)?),
            None => None,
        };
        Ok(ScanOutcome { loaded, scanned, stored })
    }
}

/// The evaluation of a scan on a world with truth (`eval-scan`).
#[derive(Debug, Serialize)]
pub struct EvalReport {
    /// The world directory.
    pub world: String,
    /// What the seeds came from.
    pub seeds: String,
    /// Accounts in the graph.
    pub accounts: usize,
    /// Edges in the graph.
    pub edges: usize,
    /// Seconds of the load.
    pub load_seconds: f64,
    /// Seconds of the scan.
    pub scan_seconds: f64,
    /// The scan and the hop-expansion baselines.
    pub detection: Vec<eval::Detection>,
    /// Identity linking against truth.
    pub linking: eval::Linking,
    /// What a planted world's truth adds (and buyers, backups for any world).
    pub planted: eval::Planted,
}

/// Scans a world directory (`events.jsonl`, `truth.json`) from its
/// enforcement events (and the given signals) and scores the result against
/// its truth, beside 1- and 2-hop follow expansion from the same enforcement.
pub fn evaluate(world: &Path, sources: &SignalSources) -> Result<EvalReport> {
    let truth = crate::truth::read(&crate::truth::of_world(world))?;
    let signals = sources.load(None)?;
    let events = crate::truth::events_of_world(world);
    let loaded = load(EventSource::File(&events), &signals, false)?;
    let scanned = scan(&loaded, &signals, &ScanConfig::default())?;
    let graph = &loaded.graph;
    let result = &scanned.result;
    let tiers = result.tiers_for(graph)?;
    let person_of = result.person_of_for(graph)?;
    let flagged: Vec<bool> = tiers.iter().map(|t| t.is_flagged()).collect();
    // The baselines start from the same platform signal: child-safety enforcement.
    let enforced: Vec<Node> = (0..graph.len() as Node)
        .filter(|&v| graph.account(v).enforcement.as_ref().is_some_and(|e| e.is_child_safety()))
        .collect();
    let mut seeds = String::from("child-safety enforcement");
    if sources.lexicon.path.is_some() {
        seeds.push_str(" + lexicon");
    }
    if !sources.bank_files.is_empty() {
        seeds.push_str(" + hash banks");
    }
    let t = &truth.truth;
    Ok(EvalReport {
        world: world.display().to_string(),
        seeds,
        accounts: graph.len(),
        edges: graph.edges(),
        load_seconds: loaded.seconds,
        scan_seconds: scanned.seconds,
        detection: vec![
            eval::detection("guardrail scan", graph, t, &flagged),
            eval::detection(
                "1-hop follow expansion",
                graph,
                t,
                &eval::hop_expansion(graph, &enforced, 1),
            ),
            eval::detection(
                "2-hop follow expansion",
                graph,
                t,
                &eval::hop_expansion(graph, &enforced, 2),
            ),
        ],
        linking: eval::linking(graph, t, person_of),
        planted: eval::planted(graph, t, &truth.plant, &flagged, person_of),
    })
}

/// Detection and linking of one scan against truth (the demo's figures).
pub fn score(
    loaded: &Loaded,
    result: &ScanResult,
    truth: &Truth,
) -> Result<(eval::Detection, eval::Linking)> {
    let graph = &loaded.graph;
    let flagged: Vec<bool> = result.tiers_for(graph)?.iter().map(|t| t.is_flagged()).collect();
    Ok((
        eval::detection("scan", graph, truth, &flagged),
        eval::linking(graph, truth, result.person_of_for(graph)?),
    ))
}
