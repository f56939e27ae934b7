//! Worlds: synthetic platforms (`guardrail synth`) and networks planted into
//! real graphs (`guardrail plant`), with their lexicon read like any other.

use std::path::{Path, PathBuf};

use guardrail_synth::{Config, EdgeList, PlantConfig, PlantStats, Stats};

use crate::lexicon::LexiconSource;
use crate::{EngineError, Result};

/// Writes a synthetic world (`events.jsonl`, `truth.json`, `bank.txt`) into
/// `out`; a lexicon file, when given, replaces the invented test lexicon the
/// code words are planted from.
pub fn synthesise(mut config: Config, lexicon: &LexiconSource, out: &Path) -> Result<Stats> {
    if let Some(lexicon) = lexicon.load()? {
        config.lexicon = lexicon;
    }
    Ok(guardrail_synth::generate(&config, out)?)
}

/// Plants a network into the real graph of an edge-list file and writes the
/// world into `out`; returns the edge list read (for its counts) and what was written.
pub fn plant(
    graph: &Path,
    mut config: PlantConfig,
    lexicon: &LexiconSource,
    out: &Path,
) -> Result<(EdgeList, PlantStats)> {
    if let Some(lexicon) = lexicon.load()? {
        config.lexicon = lexicon;
    }
    let text = crate::banks::read_text(graph)?;
    let edges = EdgeList::parse(&text)
        .map_err(|source| EngineError::EdgeList { path: graph.to_owned(), source })?;
    let stats = guardrail_synth::plant(&edges, &config, out)?;
    Ok((edges, stats))
}

/// Removes an SQLite database file and its WAL and shared-memory files, so
/// a demo's figures are its own world's.
pub fn remove_sqlite_database(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            std::fs::remove_file(&file)
                .map_err(|source| EngineError::Write { path: file.clone(), source })?;
        }
    }
    Ok(())
}
