//! One labelled text of a text-engine evaluation set (`eval/text/*.jsonl`),
//! one JSON object a line:
//!
//! ```json
//! {"text":"v0rbl@t pics","surface":"bio","expect":"block","group":"leet","entry":"vorblat"}
//! ```
//!
//! `expect` is the verdict the text deserves: `allow` for benign text (a
//! negative), or the severity of the entry it disguises (a positive).
//! `group` is the transform or kind of negative it belongs to, for per-group
//! figures; `entry` names the lexicon entry a positive disguises.

use serde::{Deserialize, Serialize};

use crate::Surface;

/// What verdict a labelled text should get.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// Benign.
    Allow,
    /// A weak signal.
    Weak,
    /// A strong signal.
    Strong,
    /// Must be blocked.
    Block,
}

/// One labelled text.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextCase {
    /// The text as it would be posted or typed.
    pub text: String,
    /// Where it appears.
    pub surface: Surface,
    /// The verdict it deserves.
    pub expect: Expect,
    /// Transform (positives) or kind of negative, for per-group figures.
    pub group: String,
    /// The lexicon entry a positive disguises.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
}
