//! guardrail-text: catches abuse terms and their disguises in hashtags,
//! search queries, autocomplete suggestions, handles, bios, captions and
//! comments.
//!
//! Two parts:
//!
//! - the **normaliser** ([`Normalised`]): undoes evasions (look-alike letters,
//!   fullwidth and accented forms, zero-width and bidi characters,
//!   separators inside words, leetspeak, repeated letters, emoji variants)
//!   into a matching key, keeping for every key byte the span of the original
//!   it came from;
//! - the **matcher** ([`Matcher`]): a [`Lexicon`](guardrail_core::Lexicon)
//!   compiled at load into one Aho-Corasick automaton over keys (terms,
//!   phrases and their joined, vowel-less and reversed forms, emoji
//!   sequences, age-code prefixes), regular expressions for `pattern`
//!   entries, and a deletion index for near-variants. [`Matcher::check`]
//!   returns every match with its span and a combined [`Verdict`].
//!
//! A match inside a longer token counts only when the token reads as words
//! with the term as one of them ([`words`] has the dictionary and the
//! segmenter), so `bestseller` does not match `seller` and `the sell era`
//! is not `seller`; but `vorblatpics` and `BuyVorblat` match `vorblat`.
//!
//! ```
//! use guardrail_core::{Lexicon, Surface};
//! use guardrail_text::{Level, Matcher};
//!
//! let lexicon = Lexicon::parse("demo", "vorblat\n").unwrap();
//! let matcher = Matcher::new(lexicon).unwrap();
//! let verdict = matcher.check("new v0rbl@t pics", Surface::Bio).unwrap();
//! assert_eq!(verdict.level, Level::Block);
//! assert_eq!(verdict.matches[0].matched, "v0rbl@t");
//! assert_eq!(matcher.check("vorblatant", Surface::Bio).unwrap().level, Level::Block); // affix
//! assert_eq!(matcher.check("flavor blatant", Surface::Bio).unwrap().level, Level::Allow);
//! ```

#![warn(missing_docs)]

pub mod eval;
mod fold;
mod fuzzy;
mod matcher;
mod normalise;
mod plain;
mod shared;
pub mod words;

pub use crate::matcher::{emoji_name, Cache, How, Level, Limits, Match, Matcher, Verdict};
pub use crate::normalise::{
    key, key_letter, key_with_repeats, leet_letter, Normalised, Token, TokenKind,
};
pub use crate::shared::SharedMatcher;

/// Why the text engine refused a lexicon or a text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// The lexicon file is not valid.
    #[error(transparent)]
    Lexicon(#[from] guardrail_core::LexiconError),
    /// An entry cannot be compiled (e.g. a bad regular expression).
    #[error("lexicon: {field}: {why}")]
    Entry {
        /// Which entry and field, e.g. `entry[3].text`.
        field: String,
        /// Why.
        why: String,
    },
    /// Building the automaton failed (a lexicon far beyond any real size).
    #[error("lexicon: cannot build the matcher: {0}")]
    Build(String),
    /// The text is longer than the configured limit.
    #[error("text: {bytes} bytes is over the limit of {limit} bytes")]
    TooLong {
        /// Length of the text.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
}
