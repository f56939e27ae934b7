//! The lexicon file format (TOML, format 1): entries (terms, phrases,
//! patterns, emoji codes, age codes) with a category, a severity, the surfaces
//! they apply to and a source; and the plain word-list form many shared
//! blocklists come in.
//!
//! This is the shared data model; the text engine compiles a [`Lexicon`] into
//! a matcher, and the synthetic generator plants code words from one. The
//! format is documented in `docs/LEXICON.md`.

use serde::{Deserialize, Serialize};

/// How strong a signal a match of an entry is.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Usually innocent (a pizza or a map emoji): never blocks alone, only
    /// strengthens other signals in the same text.
    Weak,
    /// A real signal: flags for review, and blocks together with another one.
    Strong,
    /// Never shown or suggested; a search for it gets help resources instead of results.
    Block,
}

impl Severity {
    /// The name in lexicon files and verdicts.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Weak => "weak",
            Severity::Strong => "strong",
            Severity::Block => "block",
        }
    }
}

/// Where a text appears on the platform.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)] // Each variant is the surface it names.
pub enum Surface {
    Hashtag,
    Search,
    Autocomplete,
    Handle,
    Bio,
    Caption,
    Comment,
}

impl Surface {
    /// Every surface.
    pub const ALL: [Surface; 7] = [
        Surface::Hashtag,
        Surface::Search,
        Surface::Autocomplete,
        Surface::Handle,
        Surface::Bio,
        Surface::Caption,
        Surface::Comment,
    ];

    /// The name in lexicon files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Surface::Hashtag => "hashtag",
            Surface::Search => "search",
            Surface::Autocomplete => "autocomplete",
            Surface::Handle => "handle",
            Surface::Bio => "bio",
            Surface::Caption => "caption",
            Surface::Comment => "comment",
        }
    }

    /// Parses a surface name.
    pub fn parse(name: &str) -> Option<Surface> {
        Surface::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// What an entry matches.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// One word (matched as a whole word, and inside hashtags and handles).
    Term,
    /// Several words in order.
    Phrase,
    /// A regular expression over normalised text.
    Pattern,
    /// An emoji or emoji sequence standing for something (`means`).
    Emoji,
    /// A number code for an age: `text` is a pattern with `{n}` where the number goes.
    AgeCode,
}

/// One lexicon entry.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// What it matches.
    pub kind: EntryKind,
    /// The term, phrase, regex, emoji sequence or age-code pattern.
    pub text: String,
    /// Category (e.g. `child_safety`).
    pub category: String,
    /// Signal strength.
    pub severity: Severity,
    /// Surfaces it applies to; absent means all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surfaces: Option<Vec<Surface>>,
    /// Where the entry is documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Free text for reviewers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For emoji codes: what the code stands for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub means: Option<String>,
    /// For age codes: the number is written reversed (31 for 13).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reversed: bool,
    /// For age codes: numbers strictly below this are a minor's age (default 18).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<u32>,
}

impl Entry {
    /// A `block` term on every surface, as a plain word list gives it.
    pub fn block_term(text: &str) -> Entry {
        let kind =
            if text.contains(char::is_whitespace) { EntryKind::Phrase } else { EntryKind::Term };
        Entry {
            kind,
            text: text.to_owned(),
            category: "blocklist".to_owned(),
            severity: Severity::Block,
            surfaces: None,
            source: None,
            note: None,
            means: None,
            reversed: false,
            below: None,
        }
    }

    /// Whether the entry applies on `surface`.
    pub fn applies_to(&self, surface: Surface) -> bool {
        self.surfaces.as_ref().is_none_or(|s| s.contains(&surface))
    }
}

/// A lexicon.
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
    /// The entries.
    #[serde(default, rename = "entry")]
    pub entries: Vec<Entry>,
}

/// Why a lexicon file was rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LexiconError {
    /// Not valid TOML, or not the shape of a lexicon.
    #[error("lexicon: {0}")]
    Toml(toml::de::Error),
    /// An entry is not acceptable.
    #[error("lexicon: {field}: {why}")]
    Invalid {
        /// Which entry and field, e.g. `entry[3].text`, or `line 7` of a word list.
        field: String,
        /// Why.
        why: String,
    },
}

// The TOML error is part of the message, so it is not also the `source()`:
// `{:#}` would print it twice.
impl From<toml::de::Error> for LexiconError {
    fn from(error: toml::de::Error) -> LexiconError {
        LexiconError::Toml(error)
    }
}

/// Longest entry text accepted, in characters.
pub const MAX_ENTRY_CHARS: usize = 200;

impl Lexicon {
    /// Parses and checks a lexicon file's TOML text.
    pub fn from_toml(text: &str) -> Result<Lexicon, LexiconError> {
        let lexicon: Lexicon = toml::from_str(text)?;
        lexicon.validate()?;
        Ok(lexicon)
    }

    /// Parses a plain word list: one term or phrase a line, `#` starts a
    /// comment, blank lines are ignored; each line is a `block` entry on every surface.
    pub fn from_word_list(name: &str, text: &str) -> Result<Lexicon, LexiconError> {
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if line.chars().count() > MAX_ENTRY_CHARS {
                return Err(LexiconError::Invalid {
                    field: format!("line {}", i + 1),
                    why: format!("longer than {MAX_ENTRY_CHARS} characters"),
                });
            }
            entries.push(Entry::block_term(line));
        }
        let lexicon = Lexicon {
            format: 1,
            name: name.to_owned(),
            description: String::new(),
            require_sources: false,
            entries,
        };
        lexicon.validate()?;
        Ok(lexicon)
    }

    /// Reads either form: TOML when the text has a `format =` line, else a word list.
    pub fn parse(name: &str, text: &str) -> Result<Lexicon, LexiconError> {
        let is_toml = text.lines().any(|l| l.trim_start().starts_with("format"));
        if is_toml {
            Lexicon::from_toml(text)
        } else {
            Lexicon::from_word_list(name, text)
        }
    }

    fn validate(&self) -> Result<(), LexiconError> {
        let invalid = |field: String, why: &str| LexiconError::Invalid { field, why: why.into() };
        if self.format != 1 {
            return Err(invalid("format".into(), "only format 1 is known"));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, e) in self.entries.iter().enumerate() {
            let at = |field: &str| format!("entry[{i}].{field}");
            if e.text.trim().is_empty() {
                return Err(invalid(at("text"), "is empty"));
            }
            if e.text.chars().count() > MAX_ENTRY_CHARS {
                return Err(invalid(at("text"), "is longer than 200 characters"));
            }
            if !seen.insert((e.kind, e.text.to_lowercase())) {
                return Err(invalid(at("text"), "appears twice"));
            }
            if e.category.trim().is_empty() {
                return Err(invalid(at("category"), "is empty"));
            }
            if self.require_sources && e.source.as_deref().is_none_or(|s| s.trim().is_empty()) {
                return Err(invalid(at("source"), "is required in this lexicon"));
            }
            if e.surfaces.as_ref().is_some_and(Vec::is_empty) {
                return Err(invalid(
                    at("surfaces"),
                    "is empty; leave it out to mean every surface",
                ));
            }
            match e.kind {
                EntryKind::Emoji
                    if e.text.is_ascii()
                        && !(e.text.trim().starts_with(':') && e.text.trim().ends_with(':')) =>
                {
                    return Err(invalid(
                        at("text"),
                        "an emoji entry must hold emoji or :shortcode: names",
                    ));
                }
                EntryKind::AgeCode if e.text.matches("{n}").count() != 1 => {
                    return Err(invalid(at("text"), "an age code must contain {n} exactly once"));
                }
                EntryKind::Term if e.text.trim().contains(char::is_whitespace) => {
                    return Err(invalid(at("text"), "a term is one word; use kind = \"phrase\""));
                }
                _ => {}
            }
            if e.kind != EntryKind::AgeCode && (e.reversed || e.below.is_some()) {
                return Err(invalid(at("reversed"), "reversed and below are for age codes only"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_entry_and_field() {
        let cases = [
            ("format = 2\nname = \"x\"", "format: only format 1"),
            (
                "format = 1\nname = \"x\"\n[[entry]]\nkind = \"term\"\ntext = \"two words\"\ncategory = \"c\"\nseverity = \"block\"",
                "entry[0].text: a term is one word",
            ),
            (
                "format = 1\nname = \"x\"\nrequire_sources = true\n[[entry]]\nkind = \"term\"\ntext = \"a\"\ncategory = \"c\"\nseverity = \"weak\"",
                "entry[0].source: is required",
            ),
            (
                "format = 1\nname = \"x\"\n[[entry]]\nkind = \"age_code\"\ntext = \"age\"\ncategory = \"c\"\nseverity = \"weak\"",
                "entry[0].text: an age code must contain {n}",
            ),
            (
                "format = 1\nname = \"x\"\n[[entry]]\nkind = \"term\"\ntext = \"a\"\ncategory = \"c\"\nseverity = \"loud\"",
                "unknown variant `loud`",
            ),
        ];
        for (text, needle) in cases {
            let err = Lexicon::from_toml(text).unwrap_err().to_string();
            assert!(err.contains(needle), "{err}");
        }
    }

    #[test]
    fn word_lists_become_block_entries() {
        let lexicon =
            Lexicon::parse("list", "# shared list\nbadword\n\ntwo words  # comment\n").unwrap();
        assert_eq!(lexicon.entries.len(), 2);
        assert_eq!(lexicon.entries[1].kind, EntryKind::Phrase);
        assert!(lexicon
            .entries
            .iter()
            .all(|e| e.severity == Severity::Block && e.surfaces.is_none()));
    }
}
