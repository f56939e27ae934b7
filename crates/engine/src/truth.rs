//! Ground truth: the one reader of `truth.json`. Only evaluation (`eval-*`,
//! the audit's scoring, the demo's figures) calls it; detection never does.

use std::path::{Path, PathBuf};

use guardrail_core::Truth;
use guardrail_graph::eval::PlantTruth;

use crate::{EngineError, Result};

/// A world's truth: what every generator writes, and what `guardrail plant` adds.
#[derive(Clone, Debug)]
pub struct WorldTruth {
    /// Roles, persons, the network.
    pub truth: Truth,
    /// The planting keys (empty for worlds that have none).
    pub plant: PlantTruth,
}

/// Reads a truth file (`truth.json`).
pub fn read(path: &Path) -> Result<WorldTruth> {
    let text = crate::banks::read_text(path)?;
    let parse = |source| EngineError::Truth { path: path.to_owned(), source };
    let truth: Truth = serde_json::from_str(&text).map_err(parse)?;
    let plant: PlantTruth = serde_json::from_str(&text).map_err(parse)?;
    Ok(WorldTruth { truth, plant })
}

/// The truth file of a world directory.
pub fn of_world(world: &Path) -> PathBuf {
    world.join("truth.json")
}

/// The event file of a world directory.
pub fn events_of_world(world: &Path) -> PathBuf {
    world.join("events.jsonl")
}
