//! The lexicon file format (TOML, format 1): terms with categories and
//! severities, emoji codes and age-code patterns.
//!
//! This is the shared data model; the text engine compiles a [`Lexicon`] into
//! a matcher, and the synthetic generator draws code words from one. The
//! format is documented in `docs/LEXICON.md`.

use serde::{Deserialize, Serialize};

/// What a match of an entry should lead to.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A signal only: counts towards risk, never acts alone.
    Watch,
    /// Queue for human review.
    Review,
    /// Never show or suggest; searches for it get resources instead of results.
    Block,
}

/// How a term is used on the platform.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TermKind {
    /// A word or short phrase, matched in any text.
    Word,
    /// Used as a hashtag (matched with and without `#`, and inside hashtags).
    Hashtag,
    /// A coded word standing for something else.
    Code,
}

/// One term of a lexicon.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    /// The term in plain form.
    pub term: String,
    /// Report category it belongs to (e.g. `child_safety`).
    pub category: String,
    /// What a match leads to.
    pub severity: Severity,
    /// How it is used.
    pub kind: TermKind,
    /// Where the term is documented (required in lexicons meant for deployments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Free text for reviewers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An emoji sequence used as a code for a term.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmojiCode {
    /// The emoji, in order (variation selectors are ignored when matching).
    pub sequence: String,
    /// What it stands for (usually a term of the same lexicon).
    pub means: String,
    /// What a match leads to.
    pub severity: Severity,
    /// Where the code is documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Free text for reviewers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A pattern that states an age in code, e.g. `chapter {n}`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeCode {
    /// The pattern, with `{n}` where the number goes.
    pub pattern: String,
    /// Whether the number is written reversed (e.g. 31 for 13).
    #[serde(default)]
    pub reversed: bool,
    /// Numbers strictly below this are a minor's age.
    #[serde(default = "default_below")]
    pub below: u32,
    /// What a match leads to.
    pub severity: Severity,
    /// Where the code is documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Free text for reviewers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn default_below() -> u32 {
    18
}

/// A lexicon file.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lexicon {
    /// Format version; only 1 exists.
    pub format: u32,
    /// Short name.
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub description: String,
    /// Whether every entry must carry a `source` (lexicons for deployments).
    #[serde(default)]
    pub require_sources: bool,
    /// Terms.
    #[serde(default)]
    pub terms: Vec<Term>,
    /// Emoji codes.
    #[serde(default)]
    pub emoji: Vec<EmojiCode>,
    /// Age codes.
    #[serde(default)]
    pub age_codes: Vec<AgeCode>,
}

/// Why a lexicon file was rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LexiconError {
    /// Not valid TOML, or not the shape of a lexicon.
    #[error("lexicon: {0}")]
    Toml(#[from] toml::de::Error),
    /// An entry is not acceptable.
    #[error("lexicon: {field}: {why}")]
    Invalid {
        /// Which entry and field, e.g. `terms[3].term`.
        field: String,
        /// Why.
        why: String,
    },
}

impl Lexicon {
    /// Parses and checks a lexicon file's text.
    pub fn from_toml(text: &str) -> Result<Lexicon, LexiconError> {
        let lexicon: Lexicon = toml::from_str(text)?;
        lexicon.validate()?;
        Ok(lexicon)
    }

    fn validate(&self) -> Result<(), LexiconError> {
        let invalid = |field: String, why: &str| LexiconError::Invalid { field, why: why.into() };
        if self.format != 1 {
            return Err(invalid("format".into(), "only format 1 is known"));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, t) in self.terms.iter().enumerate() {
            if t.term.trim().is_empty() {
                return Err(invalid(format!("terms[{i}].term"), "is empty"));
            }
            if t.term.chars().count() > 200 {
                return Err(invalid(format!("terms[{i}].term"), "is longer than 200 characters"));
            }
            if !seen.insert(t.term.to_lowercase()) {
                return Err(invalid(format!("terms[{i}].term"), "appears twice"));
            }
            if self.require_sources && t.source.as_deref().is_none_or(str::is_empty) {
                return Err(invalid(format!("terms[{i}].source"), "is required in this lexicon"));
            }
        }
        for (i, e) in self.emoji.iter().enumerate() {
            if e.sequence.trim().is_empty() || e.sequence.is_ascii() {
                return Err(invalid(format!("emoji[{i}].sequence"), "must hold emoji"));
            }
            if self.require_sources && e.source.as_deref().is_none_or(str::is_empty) {
                return Err(invalid(format!("emoji[{i}].source"), "is required in this lexicon"));
            }
        }
        for (i, a) in self.age_codes.iter().enumerate() {
            if a.pattern.matches("{n}").count() != 1 {
                return Err(invalid(format!("age_codes[{i}].pattern"), "must contain {n} once"));
            }
            if self.require_sources && a.source.as_deref().is_none_or(str::is_empty) {
                return Err(invalid(
                    format!("age_codes[{i}].source"),
                    "is required in this lexicon",
                ));
            }
        }
        Ok(())
    }
}
