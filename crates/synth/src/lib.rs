//! Deterministic synthetic platforms for guardrail's tests, demo and
//! evaluation.
//!
//! [`generate`] plans a world of `accounts` accounts from a seed and writes
//! three files: `events.jsonl` (the event stream, format v1, in time order),
//! `truth.json` (ground truth, never inside the events) and `bank.txt` (the
//! world's "known" PDQ hashes, one a line). The same configuration always
//! gives byte-identical files.
//!
//! A world holds benign accounts in interest niches with a heavy-tailed follow
//! graph; a planted network of sellers (code words from a lexicon, disguised by
//! the [`Transform`]s), buyers, aggregators and backup accounts; banned sellers
//! who come back with new accounts sharing a device or payment handle; minors;
//! posts whose media are near-duplicates of the bank; searches, reports true and
//! false, and the platform's own enforcement (the seeds). `docs/SYNTH.md`
//! describes the model and its rates.
//!
//! [`plant()`] does the same on a real graph ([`EdgeList`]): its vertices
//! become accounts and its edges follows, and a network whose every behaviour
//! is a [`PlantConfig`] field is planted into it (`docs/SYNTH.md`, "Planted
//! real graphs").
#![deny(missing_docs)]

mod expand;
mod niches;
mod obfuscate;
pub mod plant;
mod text_eval;
mod world;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use guardrail_core::{EventType, Lexicon, Truth};
use rayon::prelude::*;

pub use crate::obfuscate::{apply as obfuscate, Transform};
pub use crate::plant::{plant, EdgeList, PlantConfig, PlantStats};
pub use crate::text_eval::text_eval;

/// The test lexicon shipped in `lexicons/test.toml` (invented words only).
pub const TEST_LEXICON: &str = include_str!("../../../lexicons/test.toml");

/// What to generate.
#[derive(Clone, Debug)]
pub struct Config {
    /// Number of accounts (at least [`MIN_ACCOUNTS`]).
    pub accounts: u32,
    /// Seed: the same seed gives the same world.
    pub seed: u64,
    /// Length of the world in days.
    pub days: u32,
    /// Where the network's code words come from.
    pub lexicon: Lexicon,
}

/// The smallest world that still has every role in it.
pub const MIN_ACCOUNTS: u32 = 500;
/// The length of a world unless one is asked for.
pub const DEFAULT_DAYS: u32 = 180;
/// The size of a world unless one is asked for (`guardrail synth`, `guardrail demo`).
pub const DEFAULT_ACCOUNTS: u32 = 20_000;
/// The largest world (account numbers and event times are 32-bit).
pub const MAX_ACCOUNTS: u32 = 50_000_000;

impl Config {
    /// A world of `accounts` accounts over [`DEFAULT_DAYS`] days, planted with the test lexicon.
    pub fn new(accounts: u32, seed: u64) -> Config {
        let lexicon = Lexicon::from_toml(TEST_LEXICON)
            .unwrap_or_else(|e| unreachable!("the shipped test lexicon is checked by a test: {e}"));
        Config { accounts, seed, days: DEFAULT_DAYS, lexicon }
    }
}

/// Why a world could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SynthError {
    /// A setting of the configuration is out of range (`field` is the
    /// `Config` or `PlantConfig` field; the CLI's flag is its name with dashes).
    #[error("{field}: {why}")]
    Setting {
        /// The field.
        field: &'static str,
        /// Why it cannot give a sensible world.
        why: String,
    },
    /// The lexicon cannot plant a world (it lacks a kind of entry the world needs).
    #[error("lexicon: {why}")]
    Lexicon {
        /// What is missing.
        why: String,
    },
    /// An input file (an edge list) is malformed.
    #[error("line {line}: {reason}")]
    Parse {
        /// The line, from 1.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// Writing a file failed.
    #[error("writing {path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        error: std::io::Error,
    },
}

/// Figures about a written world.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Accounts.
    pub accounts: u64,
    /// Events by type.
    pub events_by_type: BTreeMap<&'static str, u64>,
    /// All events.
    pub events: u64,
    /// Bytes of `events.jsonl`.
    pub bytes: u64,
    /// Accounts of the planted network, by role.
    pub network_by_role: BTreeMap<String, u64>,
    /// Hashes in `bank.txt`.
    pub bank_hashes: u64,
    /// Posts with a near-duplicate of a bank hash.
    pub bank_matches: u64,
    /// Time spent planning the world.
    pub plan_time: Duration,
    /// Time spent writing the files.
    pub write_time: Duration,
}

/// Writes `bank.txt` in `out`: a PDQ list that declares its kind (64 hex
/// digits could be PDQ or SHA-256), one hash a line. Returns the count.
fn write_bank(
    out: &Path,
    hashes: impl Iterator<Item = guardrail_core::Pdq>,
) -> Result<u64, SynthError> {
    let path = out.join("bank.txt");
    let mut bank = String::from("# kind: pdq\n");
    let mut n = 0;
    for h in hashes {
        bank.push_str(&h.to_hex());
        bank.push('\n');
        n += 1;
    }
    std::fs::write(&path, bank).map_err(io_err(&path))?;
    Ok(n)
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SynthError + '_ {
    move |error| SynthError::Io { path: path.display().to_string(), error }
}

/// Generates a world and writes `events.jsonl`, `truth.json` and `bank.txt`
/// into `out` (created if missing).
pub fn generate(config: &Config, out: &Path) -> Result<Stats, SynthError> {
    if !(MIN_ACCOUNTS..=MAX_ACCOUNTS).contains(&config.accounts) {
        return Err(SynthError::Setting {
            field: "accounts",
            why: format!(
                "must be between {MIN_ACCOUNTS} and {MAX_ACCOUNTS}, not {}",
                config.accounts
            ),
        });
    }
    if !(7..=3650).contains(&config.days) {
        return Err(SynthError::Setting {
            field: "days",
            why: format!("must be between 7 and 3650, not {}", config.days),
        });
    }
    let vocab = expand::Vocab::new(&config.lexicon).map_err(|why| SynthError::Lexicon { why })?;
    std::fs::create_dir_all(out).map_err(io_err(out))?;

    let started = Instant::now();
    let world = world::plan(config);
    let plan_time = started.elapsed();
    let started = Instant::now();
    let expander = expand::Expander { seed: config.seed, world: &world, vocab: &vocab };

    let mut stats = Stats { accounts: world.accounts.len() as u64, plan_time, ..Stats::default() };
    let events_path = out.join("events.jsonl");
    let file = std::fs::File::create(&events_path).map_err(io_err(&events_path))?;
    let mut writer = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut counts = [0u64; EventType::ALL.len()];
    // Format in parallel, a window at a time, and write in order.
    const CHUNK: usize = 16_384;
    const WINDOW: usize = CHUNK * 64;
    for (w, window) in world.events.chunks(WINDOW).enumerate() {
        let buffers: Vec<(Vec<u8>, [u64; EventType::ALL.len()])> = window
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(c, chunk)| {
                let mut buf = Vec::with_capacity(chunk.len() * 160);
                let mut counts = [0u64; EventType::ALL.len()];
                let base = w * WINDOW + c * CHUNK;
                for (i, e) in chunk.iter().enumerate() {
                    let event = expander.event(base + i, e);
                    let t = event.kind.event_type();
                    counts[EventType::ALL.iter().position(|x| *x == t).unwrap_or(0)] += 1;
                    event.write_json(&mut buf);
                    buf.push(b'\n');
                }
                (buf, counts)
            })
            .collect();
        for (buf, c) in buffers {
            writer.write_all(&buf).map_err(io_err(&events_path))?;
            stats.bytes += buf.len() as u64;
            for (total, n) in counts.iter_mut().zip(c) {
                *total += n;
            }
        }
    }
    writer.flush().map_err(io_err(&events_path))?;
    drop(writer);
    for (t, n) in EventType::ALL.iter().zip(counts) {
        stats.events_by_type.insert(t.as_str(), n);
        stats.events += n;
    }

    // The bank.
    stats.bank_hashes = write_bank(out, (0..world.bank_size).map(|i| expander.bank_hash(i)))?;

    // Ground truth.
    let truth = truth(&world);
    for role in truth.network.values() {
        *stats.network_by_role.entry(role.clone()).or_default() += 1;
    }
    stats.bank_matches = truth.bank_matches.len() as u64;
    let truth_path = out.join("truth.json");
    std::fs::write(&truth_path, truth.to_json()).map_err(io_err(&truth_path))?;
    stats.write_time = started.elapsed();
    Ok(stats)
}

fn truth(world: &world::World) -> Truth {
    use world::{MediaPlan, Role};
    let mut truth = Truth::default();
    let mut by_person: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (id, a) in world.accounts.iter().enumerate() {
        let id = id as u32;
        let name = format!("u{id}");
        let role = match a.role {
            Role::Benign => None,
            Role::Seller => Some("seller"),
            Role::Buyer => Some("buyer"),
            Role::Aggregator => Some("aggregator"),
            Role::Backup => Some("backup"),
        };
        if let Some(role) = role {
            truth.network.insert(name.clone(), role.to_owned());
        }
        if a.band == 1 {
            truth.minors.push(name);
        }
        by_person.entry(a.person).or_default().push(id);
    }
    for (person, ids) in by_person.into_iter().filter(|(_, ids)| ids.len() > 1) {
        for id in ids {
            truth.persons.insert(format!("u{id}"), format!("person-{person}"));
        }
    }
    for (niche, members) in niches::NICHES.iter().zip(&world.niche_members) {
        let mut names: Vec<u32> = members.clone();
        names.sort_unstable();
        truth.niches.insert(niche.name.to_owned(), names.iter().map(|i| format!("u{i}")).collect());
    }
    for (i, p) in world.posts.iter().enumerate() {
        if let MediaPlan::Bank { flips, .. } = p.media {
            truth.bank_matches.insert(format!("p{i}"), flips as u32);
        }
    }
    truth
}

#[cfg(test)]
mod tests;
