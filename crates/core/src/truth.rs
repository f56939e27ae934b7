//! Ground truth of a synthetic world (`truth.json`): read only by evaluation,
//! never by detection.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The ground-truth file. Unknown keys are ignored, so richer truth files from
/// other generators are accepted.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct Truth {
    /// Every account of the planted abusive network, with its role
    /// (`seller`, `buyer`, `aggregator`, `backup`, or another generator's role).
    pub network: BTreeMap<String, String>,
    /// Accounts mapped to the person behind them (at least those sharing a person).
    #[serde(default)]
    pub persons: BTreeMap<String, String>,
    /// Benign interest communities: niche name to member accounts.
    #[serde(default)]
    pub niches: BTreeMap<String, Vec<String>>,
    /// Accounts of minors.
    #[serde(default)]
    pub minors: Vec<String>,
    /// Posts whose media is a near-duplicate of a hash in the world's bank,
    /// with the number of bits flipped (0 for an exact copy).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bank_matches: BTreeMap<String, u32>,
}

/// Why a truth file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TruthError {
    /// The JSON did not have the expected shape.
    #[error("truth file: {0}")]
    Json(serde_json::Error),
}

// The JSON error is part of the message, so it is not also the `source()`.
impl From<serde_json::Error> for TruthError {
    fn from(error: serde_json::Error) -> TruthError {
        TruthError::Json(error)
    }
}

impl Truth {
    /// Parses a truth file's text.
    pub fn from_json(text: &str) -> Result<Truth, TruthError> {
        Ok(serde_json::from_str(text)?)
    }

    /// Pretty JSON text.
    pub fn to_json(&self) -> String {
        // Maps with string keys always serialise.
        serde_json::to_string_pretty(self).expect("truth serialises")
    }
}
