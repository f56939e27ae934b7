//! The evasions sellers use on code words, as documented transforms.
//!
//! Each [`Transform`] turns a plain term into a variant a naive exact-match
//! filter misses. The text engine is expected to undo all of them; tests of it
//! draw from here. See `docs/SYNTH.md` for the list with examples.

use rand::seq::SliceRandom;
use rand::Rng;

/// One way of disguising a term.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Transform {
    /// Unchanged.
    Plain,
    /// Letters replaced by look-alike digits and symbols (`a`→`4`, `e`→`3`, `o`→`0`, ...).
    Leet,
    /// A separator (`.`, `_`, `-`, `*`, ` `) between letters.
    Separators,
    /// Latin letters swapped for Cyrillic or Greek look-alikes.
    Homoglyphs,
    /// Invisible characters (zero-width space, joiners, word joiner) between letters.
    ZeroWidth,
    /// Letters repeated (`vorrrblat`).
    Repeats,
    /// Random upper and lower case.
    MixedCase,
    /// Fullwidth forms (`ｖｏｒｂｌａｔ`).
    Fullwidth,
    /// Diacritics added (`vörblàt`), as combining marks.
    Diacritics,
    /// Two transforms at once (leet and separators, or homoglyphs and zero-width).
    Combined,
    /// Vowels after the first letter of each word dropped (`vrblt`).
    DroppedVowels,
    /// Written backwards (`talbrov`).
    Reversed,
}

impl Transform {
    /// Every transform.
    pub const ALL: [Transform; 12] = [
        Transform::Plain,
        Transform::Leet,
        Transform::Separators,
        Transform::Homoglyphs,
        Transform::ZeroWidth,
        Transform::Repeats,
        Transform::MixedCase,
        Transform::Fullwidth,
        Transform::Diacritics,
        Transform::Combined,
        Transform::DroppedVowels,
        Transform::Reversed,
    ];

    /// A short name, as used in docs and test output.
    pub fn name(self) -> &'static str {
        match self {
            Transform::Plain => "plain",
            Transform::Leet => "leet",
            Transform::Separators => "separators",
            Transform::Homoglyphs => "homoglyphs",
            Transform::ZeroWidth => "zero-width",
            Transform::Repeats => "repeats",
            Transform::MixedCase => "mixed-case",
            Transform::Fullwidth => "fullwidth",
            Transform::Diacritics => "diacritics",
            Transform::Combined => "combined",
            Transform::DroppedVowels => "dropped-vowels",
            Transform::Reversed => "reversed",
        }
    }
}

fn leet(c: char) -> Option<&'static [char]> {
    Some(match c {
        'a' => &['4', '@'],
        'e' => &['3'],
        'i' => &['1', '!'],
        'l' => &['1', '|'],
        'o' => &['0'],
        's' => &['5', '$'],
        't' => &['7', '+'],
        'b' => &['8'],
        'g' => &['9'],
        'z' => &['2'],
        _ => return None,
    })
}

fn homoglyph(c: char) -> Option<char> {
    Some(match c {
        'a' => 'а', // CYRILLIC SMALL LETTER A
        'c' => 'с',
        'e' => 'е',
        'i' => 'і',
        'j' => 'ј',
        'o' => 'о',
        'p' => 'р',
        's' => 'ѕ',
        'x' => 'х',
        'y' => 'у',
        'k' => 'κ', // GREEK SMALL LETTER KAPPA
        'v' => 'ν', // GREEK SMALL LETTER NU
        'n' => 'ո', // ARMENIAN SMALL LETTER VO
        _ => return None,
    })
}

const ZERO_WIDTH: [char; 4] = ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}'];
const SEPARATORS: [char; 5] = ['.', '_', '-', '*', ' '];
const COMBINING: [char; 4] = ['\u{0301}', '\u{0300}', '\u{0308}', '\u{0302}'];

/// Applies `transform` to `term`. Spaces inside multi-word terms are kept
/// (or become separators); each change is made with some probability, so
/// repeated calls give different variants.
pub fn apply<R: Rng>(transform: Transform, term: &str, rng: &mut R) -> String {
    let mut out = String::with_capacity(term.len() * 3);
    match transform {
        Transform::Plain => out.push_str(term),
        Transform::Leet => {
            let mut changed = false;
            for c in term.chars() {
                match leet(c) {
                    Some(options) if rng.gen_bool(0.6) => {
                        out.push(*options.choose(rng).unwrap_or(&c));
                        changed = true;
                    }
                    _ => out.push(c),
                }
            }
            if !changed && term.chars().any(|c| leet(c).is_some()) {
                return apply(Transform::Leet, term, rng);
            }
        }
        Transform::Separators => {
            let sep = *SEPARATORS.choose(rng).unwrap_or(&'.');
            push_between(&mut out, term, || sep);
        }
        Transform::Homoglyphs => {
            let mut changed = false;
            for c in term.chars() {
                match homoglyph(c) {
                    Some(h) if rng.gen_bool(0.5) || !changed => {
                        out.push(h);
                        changed = true;
                    }
                    _ => out.push(c),
                }
            }
        }
        Transform::ZeroWidth => {
            push_between(&mut out, term, || *ZERO_WIDTH.choose(rng).unwrap_or(&'\u{200B}'));
        }
        Transform::Repeats => {
            let chars: Vec<char> = term.chars().collect();
            let at = rng.gen_range(0..chars.len().max(1));
            for (i, c) in chars.iter().enumerate() {
                out.push(*c);
                if i == at || (c.is_alphabetic() && rng.gen_bool(0.15)) {
                    for _ in 0..rng.gen_range(1..4) {
                        out.push(*c);
                    }
                }
            }
        }
        Transform::MixedCase => {
            for c in term.chars() {
                if rng.gen_bool(0.5) {
                    out.extend(c.to_uppercase());
                } else {
                    out.push(c);
                }
            }
            if out == term && term.chars().any(char::is_lowercase) {
                return apply(Transform::MixedCase, term, rng);
            }
        }
        Transform::Fullwidth => {
            for c in term.chars() {
                out.push(match c {
                    '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c),
                    ' ' => '\u{3000}',
                    _ => c,
                });
            }
        }
        Transform::Diacritics => {
            let mut marked = false;
            for c in term.chars() {
                out.push(c);
                if c.is_alphabetic() && (rng.gen_bool(0.4) || !marked) {
                    out.push(*COMBINING.choose(rng).unwrap_or(&'\u{0301}'));
                    marked = true;
                }
            }
        }
        Transform::DroppedVowels => {
            for (i, word) in term.split(' ').enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                for (j, c) in word.chars().enumerate() {
                    if j == 0 || !matches!(c, 'a' | 'e' | 'i' | 'o' | 'u') {
                        out.push(c);
                    }
                }
            }
        }
        Transform::Reversed => out.extend(term.chars().rev()),
        Transform::Combined => {
            let (first, second) = if rng.gen_bool(0.5) {
                (Transform::Leet, Transform::Separators)
            } else {
                (Transform::Homoglyphs, Transform::ZeroWidth)
            };
            let once = apply(first, term, rng);
            return apply(second, &once, rng);
        }
    }
    out
}

/// Copies `term`, putting `sep()` between every two non-space characters.
fn push_between(out: &mut String, term: &str, mut sep: impl FnMut() -> char) {
    let mut prev_letter = false;
    for c in term.chars() {
        let letter = c != ' ';
        if letter && prev_letter {
            out.push(sep());
        }
        out.push(c);
        prev_letter = letter;
    }
}

/// Picks a transform: sellers disguise most mentions, but not all.
pub(crate) fn pick<R: Rng>(rng: &mut R) -> Transform {
    *Transform::ALL.choose(rng).unwrap_or(&Transform::Plain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    /// Undoes the transforms the way a simple normaliser would, to check that
    /// each one only disguises and never destroys the term.
    fn undo(text: &str) -> String {
        let mut out = String::new();
        for c in text.chars() {
            if ZERO_WIDTH.contains(&c) || COMBINING.contains(&c) || SEPARATORS.contains(&c) {
                continue;
            }
            let c = match c as u32 {
                0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
                0x3000 => ' ',
                _ => c,
            };
            let c = c.to_lowercase().next().unwrap_or(c);
            let c = "abcdefghijklmnopqrstuvwxyz"
                .chars()
                .find(|l| homoglyph(*l) == Some(c))
                .unwrap_or(c);
            out.push(c);
        }
        out
    }

    fn squash(text: &str) -> String {
        let mut out: Vec<char> = Vec::new();
        for c in text.chars().filter(|c| *c != ' ') {
            if out.last() != Some(&c) {
                out.push(c);
            }
        }
        out.into_iter().collect()
    }

    #[test]
    fn terms_without_letters_to_change_do_not_loop() {
        let mut rng = SmallRng::seed_from_u64(1);
        for t in Transform::ALL {
            apply(t, "123 ☃", &mut rng);
            apply(t, "", &mut rng);
        }
    }

    #[test]
    fn every_transform_but_plain_changes_the_term() {
        let mut rng = SmallRng::seed_from_u64(7);
        for t in Transform::ALL.into_iter().filter(|t| *t != Transform::Plain) {
            for _ in 0..50 {
                assert_ne!(apply(t, "vorblat", &mut rng), "vorblat", "{}", t.name());
            }
        }
    }

    proptest! {
        #[test]
        fn non_leet_transforms_are_reversible(seed: u64, pick in 0usize..12) {
            let t = Transform::ALL[pick];
            prop_assume!(!matches!(
                t,
                Transform::Leet | Transform::Combined | Transform::DroppedVowels | Transform::Reversed
            ));
            let mut rng = SmallRng::seed_from_u64(seed);
            let out = apply(t, "drazzle pack", &mut rng);
            prop_assert_eq!(squash(&undo(&out)), squash("drazzle pack"));
        }
    }
}
