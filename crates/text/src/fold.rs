//! Stage 1 of the normaliser: what each character becomes on its own.
//!
//! Every character is folded once, through these steps, into one of a few
//! classes:
//!
//! 1. Invisible characters used for evasion (format controls: zero-width
//!    space and joiners, bidi controls, soft hyphen, tag characters) and
//!    combining marks are dropped.
//! 2. Whitespace becomes a word boundary.
//! 3. Emoji start an emoji token (handled by the scanner, which reads whole
//!    emoji sequences).
//! 4. Everything else goes through compatibility decomposition (NFKD: fullwidth
//!    and mathematical letters, ligatures, circled letters), loses its
//!    combining marks (accents), is recomposed (NFKC) and case-folded.
//! 5. A non-Latin letter that looks like a Latin letter or digit (Cyrillic
//!    `а`, Greek `ο`, Armenian `ո`, Cherokee `Ꭺ`...) is folded to it. Two
//!    sources are consulted, in order: `decancer` (a table made for exactly
//!    this) and the UTS #39 confusables skeleton (`unicode-security`). Only
//!    results that are one or two ASCII letters or digits are taken; ASCII
//!    itself is never remapped here, which avoids the skeleton's own
//!    pitfalls (`m` → `rn`, `l` → `I`).
//! 6. Punctuation and symbols that remain are separators.
//!
//! The result for every code point below [`TABLE_LIMIT`] is computed once, on
//! first use, into a flat table (about 800 KB), so the hot path is one lookup
//! per non-ASCII character. Code points above it (rare planes) are folded the
//! same way on the fly.

use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategoryGroup, UnicodeEmoji, UnicodeGeneralCategory};

/// Code points folded through the precomputed table (the BMP and the
/// supplementary multilingual plane, where mathematical letters and emoji live).
pub(crate) const TABLE_LIMIT: u32 = 0x2_0000;

/// What a character is, once folded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Folded {
    /// Invisible or a combining mark: removed.
    Drop,
    /// Whitespace: ends a word.
    Space,
    /// Punctuation or a symbol: a separator.
    Sep,
    /// Starts an emoji (sequence).
    Emoji,
    /// A letter that stays as it is (already lower case, no look-alike).
    Same,
    /// Replaced by this text (ASCII letters and digits, or other letters).
    Text(&'static str),
}

const KIND_DROP: u32 = 0;
const KIND_SPACE: u32 = 1;
const KIND_SEP: u32 = 2;
const KIND_EMOJI: u32 = 3;
const KIND_SAME: u32 = 4;
const KIND_TEXT: u32 = 5;

struct Table {
    /// Per code point: kind in the top 4 bits, then for text an offset (20
    /// bits) and a length (8 bits) into `pool`.
    entries: Vec<u32>,
    pool: String,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(build_table)
}

fn build_table() -> Table {
    let mut entries = Vec::with_capacity(TABLE_LIMIT as usize);
    let mut pool = String::new();
    let mut interned: rustc_hash::FxHashMap<String, u32> = Default::default();
    for cp in 0..TABLE_LIMIT {
        let entry = match char::from_u32(cp).map(fold_slow) {
            None | Some(SlowFold::Drop) => KIND_DROP << 28,
            Some(SlowFold::Space) => KIND_SPACE << 28,
            Some(SlowFold::Sep) => KIND_SEP << 28,
            Some(SlowFold::Emoji) => KIND_EMOJI << 28,
            Some(SlowFold::Same) => KIND_SAME << 28,
            Some(SlowFold::Text(text)) => {
                let offset = *interned.entry(text.clone()).or_insert_with(|| {
                    let at = pool.len() as u32;
                    pool.push_str(&text);
                    at
                });
                debug_assert!(offset < 1 << 20 && text.len() < 256);
                (KIND_TEXT << 28) | (offset << 8) | text.len() as u32
            }
        };
        entries.push(entry);
    }
    Table { entries, pool }
}

/// Folds one non-ASCII character (ASCII has its own table in the scanner).
#[inline]
pub(crate) fn fold(c: char) -> Folded {
    let cp = c as u32;
    if cp >= TABLE_LIMIT {
        return match fold_slow(c) {
            SlowFold::Drop => Folded::Drop,
            SlowFold::Space => Folded::Space,
            SlowFold::Sep => Folded::Sep,
            SlowFold::Emoji => Folded::Emoji,
            // Rare planes (CJK extensions, historic scripts): letters as they are.
            SlowFold::Same | SlowFold::Text(_) => Folded::Same,
        };
    }
    let t = table();
    let e = t.entries[cp as usize];
    match e >> 28 {
        KIND_DROP => Folded::Drop,
        KIND_SPACE => Folded::Space,
        KIND_SEP => Folded::Sep,
        KIND_EMOJI => Folded::Emoji,
        KIND_SAME => Folded::Same,
        _ => {
            let offset = ((e >> 8) & 0xF_FFFF) as usize;
            let len = (e & 0xFF) as usize;
            Folded::Text(&t.pool[offset..offset + len])
        }
    }
}

/// Forces the table to be built now (servers call this at start-up so the
/// first request does not pay for it).
pub(crate) fn warm_up() {
    table();
}

#[derive(Debug, PartialEq, Eq)]
enum SlowFold {
    Drop,
    Space,
    Sep,
    Emoji,
    Same,
    Text(String),
}

/// Whether a character is dropped as invisible: format controls (zero-width
/// space, joiners, bidi controls, soft hyphen, tags), combining marks, and
/// variation selectors.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c.general_category_group(), GeneralCategoryGroup::Mark | GeneralCategoryGroup::Other)
        && !c.is_whitespace()
        || matches!(c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{2800}')
}

/// Whether a non-ASCII character begins an emoji.
pub(crate) fn is_emoji_start(c: char) -> bool {
    (c as u32) > 0x7F && c.is_emoji_char() && !c.is_alphanumeric()
        || unicode_properties::emoji::is_regional_indicator(c)
}

fn fold_slow(c: char) -> SlowFold {
    if c.is_whitespace() {
        return SlowFold::Space;
    }
    if is_invisible(c) {
        return SlowFold::Drop;
    }
    if is_emoji_start(c) {
        return SlowFold::Emoji;
    }
    // NFKD, drop marks, recompose (NFKC), case-fold.
    let mut out = String::new();
    let stripped: String = c.nfkd().filter(|d| !is_invisible(*d)).collect();
    for d in stripped.nfkc() {
        match d {
            'ß' | 'ẞ' => out.push_str("ss"),
            'ſ' => out.push('s'),
            'ς' => out.push('σ'),
            _ => out.extend(d.to_lowercase()),
        }
    }
    // Look-alikes of Latin letters and digits, one folded character at a time.
    let mut folded = String::with_capacity(out.len());
    for d in out.chars() {
        if d.is_ascii() {
            folded.push(d);
        } else if d.is_alphanumeric() {
            match lookalike(d) {
                Some(latin) => folded.push_str(&latin),
                None => folded.push(d),
            }
        } else if d.is_whitespace() {
            folded.push(' ');
        } else {
            // Punctuation or a symbol inside a decomposition ("1." from "⒈").
            folded.push('.');
        }
    }
    if folded.is_empty() {
        return SlowFold::Drop;
    }
    if folded.chars().all(|d| d == '.' || d == ' ') {
        return if folded.contains(' ') { SlowFold::Space } else { SlowFold::Sep };
    }
    if folded.len() == c.len_utf8() && folded.starts_with(c) {
        return SlowFold::Same;
    }
    SlowFold::Text(folded)
}

/// The Latin letters or digits a non-ASCII letter imitates, if any.
fn lookalike(c: char) -> Option<String> {
    from_decancer(c).or_else(|| from_skeleton(c))
}

/// One or two ASCII letters or digits, lower-cased: the only results taken.
fn latin(s: &str) -> Option<String> {
    let s = s.to_ascii_lowercase();
    (!s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(s)
}

fn from_decancer(c: char) -> Option<String> {
    match decancer::cure_char(c, decancer::Options::default()) {
        decancer::Translation::Character(t) => latin(&t.to_string()),
        decancer::Translation::String(t) => latin(&t),
        decancer::Translation::None => None,
    }
}

fn from_skeleton(c: char) -> Option<String> {
    latin(&unicode_security::skeleton(&c.to_string()).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(c: char) -> String {
        match fold(c) {
            Folded::Text(t) => t.to_owned(),
            Folded::Same => c.to_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn look_alikes_fold_to_latin() {
        for (c, want) in [
            ('а', "a"), // Cyrillic
            ('о', "o"),
            ('ѕ', "s"),
            ('ο', "o"), // Greek
            ('κ', "k"),
            ('ν', "v"),
            ('ո', "n"),  // Armenian
            ('Ａ', "a"), // fullwidth
            ('𝐯', "v"),  // mathematical bold
            ('ⓥ', "v"),  // circled
            ('é', "e"),  // precomposed accent
            ('ß', "ss"),
            ('ﬁ', "fi"),
        ] {
            assert_eq!(text(c), want, "{c:?}");
        }
    }

    #[test]
    fn invisible_and_marks_are_dropped() {
        for c in [
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{202E}',
            '\u{00AD}',
            '\u{0301}',
            '\u{FE0F}',
            '\u{E0041}',
        ] {
            assert_eq!(fold(c), Folded::Drop, "{:X}", c as u32);
        }
    }

    #[test]
    fn other_scripts_stay_letters() {
        assert_eq!(fold('語'), Folded::Same);
        assert!(matches!(fold('ש'), Folded::Same | Folded::Text(_)));
        assert_eq!(fold('\u{3000}'), Folded::Space);
        assert_eq!(fold('…'), Folded::Sep);
        assert_eq!(fold('🍕'), Folded::Emoji);
        assert_eq!(fold('⬅'), Folded::Emoji);
    }

    /// The measurement behind using both sources: how many code points each
    /// folds to Latin. Run with `--nocapture` to see the figures.
    #[test]
    fn both_confusable_sources_contribute() {
        let (mut only_d, mut only_s, mut both) = (0, 0, 0);
        for cp in 0x80..TABLE_LIMIT {
            let Some(c) = char::from_u32(cp) else { continue };
            if !c.is_alphanumeric() {
                continue;
            }
            match (from_decancer(c).is_some(), from_skeleton(c).is_some()) {
                (true, true) => both += 1,
                (true, false) => only_d += 1,
                (false, true) => only_s += 1,
                _ => {}
            }
        }
        println!(
            "letters folded to Latin: both {both}, decancer only {only_d}, skeleton only {only_s}"
        );
        assert!(only_s > 0 && only_d > 0 && both > 0);
    }
}
