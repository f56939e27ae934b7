//! Property tests of the normaliser and matcher: idempotence, spans inside
//! the original, the span-free first pass agreeing with the full one, and no
//! panic on any input.

use guardrail_core::{Lexicon, Surface};
use guardrail_text::{key, Level, Matcher, Normalised};
use proptest::prelude::*;

/// Text built from the characters evasions use, so that the interesting
/// paths (leet runs, separators, single letters, emoji sequences, invisible
/// and combining characters, look-alikes) are hit often.
fn evasive() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "v",
        "o",
        "r",
        "b",
        "l",
        "a",
        "t",
        "S",
        "E",
        "L",
        "0",
        "1",
        "3",
        "4",
        "5",
        "7",
        "99",
        "2024",
        "@",
        "$",
        "+",
        "|",
        "!",
        ".",
        "-",
        "_",
        "*",
        " ",
        "  ",
        "\u{200B}",
        "\u{200D}",
        "\u{202E}",
        "\u{0301}",
        "\u{FE0F}",
        "а",
        "ο",
        "ｖ",
        "𝐯",
        "ß",
        "ﬁ",
        "🦩",
        "🧁",
        "👍🏽",
        "👨‍👩‍👧",
        "🇫🇷",
        "⬅️",
        "語",
        "ж",
        "vorblat",
        "the",
        "sell",
        "era",
        "level",
        "#",
        "\t",
        "\n",
        "ǆ",
        "Ⅻ",
        "①",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

fn matcher() -> Matcher {
    Matcher::new(Lexicon::from_toml(include_str!("../../../lexicons/test.toml")).unwrap()).unwrap()
}

/// The first pass (no span map) gives the same key, tokens and soft
/// boundaries as the full pass.
fn first_pass_agrees(text: &str) -> Result<(), TestCaseError> {
    let full = Normalised::new(text);
    let mut quick = Normalised::default();
    quick.run_without_spans(text);
    prop_assert_eq!(quick.key(), full.key());
    prop_assert_eq!(quick.tokens(), full.tokens());
    let ends = full.key_bytes().len() as u32;
    prop_assert_eq!(quick.soft_boundaries(0, ends), full.soft_boundaries(0, ends));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn normalising_twice_equals_once(text in evasive()) {
        let once = key(&text);
        prop_assert_eq!(key(&once), once);
    }

    #[test]
    fn normalising_any_unicode_twice_equals_once(text in "\\PC{0,40}") {
        let once = key(&text);
        prop_assert_eq!(key(&once), once);
    }

    #[test]
    fn spans_map_inside_the_original(text in evasive()) {
        let n = Normalised::new(&text);
        for t in n.tokens() {
            let span = n.span(t.start as usize, t.end as usize);
            prop_assert!(span.end <= text.len() && text.get(span.clone()).is_some(), "{span:?} in {text:?}");
            prop_assert!(!span.is_empty());
        }
    }

    #[test]
    fn first_pass_agrees_with_full_pass(text in evasive()) {
        first_pass_agrees(&text)?;
    }

    #[test]
    fn first_pass_agrees_with_full_pass_on_long_and_mixed_case_words(
        words in prop::collection::vec(("[a-zA-Z]{1,100}", "[ .,!?:;'\t]{0,3}"), 1..6)
    ) {
        // The first pass writes plain words of up to 64 letters itself.
        let text: String = words.iter().map(|(w, gap)| format!("{w}{gap}")).collect();
        first_pass_agrees(&text)?;
    }

    #[test]
    fn checks_never_panic_and_matches_point_into_the_text(text in evasive(), s in 0usize..7) {
        let m = matcher();
        let v = m.check(&text, Surface::ALL[s]).unwrap();
        for x in &v.matches {
            prop_assert_eq!(text.get(x.start..x.end), Some(x.matched.as_str()));
        }
    }

    #[test]
    fn any_unicode_is_checked_without_panic(text in "\\PC{0,60}", s in 0usize..7) {
        let m = matcher();
        let v = m.check(&text, Surface::ALL[s]).unwrap();
        for x in &v.matches {
            prop_assert!(text.get(x.start..x.end).is_some());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Token spans recorded in the first pass equal the spans of the full map.
    #[test]
    fn token_spans_agree_with_the_span_map(text in evasive()) {
        let full = Normalised::new(&text);
        let mut quick = Normalised::default();
        quick.run_without_spans(&text);
        for (i, t) in full.tokens().iter().enumerate() {
            prop_assert_eq!(full.token_span(i), full.span(t.start as usize, t.end as usize), "token {} of {:?}", i, text);
            prop_assert_eq!(quick.token_span(i), full.token_span(i));
        }
    }
}

/// Characters that are invisible in text, as evasions insert them.
const INVISIBLE: &[char] = &[
    '\u{200B}', // zero-width space
    '\u{200C}', // zero-width non-joiner
    '\u{200D}', // zero-width joiner
    '\u{2060}', // word joiner
    '\u{FEFF}', // zero-width no-break space
    '\u{00AD}', // soft hyphen
    '\u{034F}', // combining grapheme joiner
    '\u{180E}', // Mongolian vowel separator
    '\u{FE0E}', // variation selectors
    '\u{FE0F}',
    '\u{FE00}',
    '\u{E0100}',
    '\u{202E}', // bidi controls
    '\u{2066}',
    '\u{E0041}', // a tag character
];

/// The term, phrase and emoji entries of the test lexicon that are positive
/// (not `allow`) as written, with a surface they apply to.
fn positives() -> &'static [(String, Surface)] {
    static POSITIVES: std::sync::OnceLock<Vec<(String, Surface)>> = std::sync::OnceLock::new();
    POSITIVES.get_or_init(|| {
        let lexicon = Lexicon::from_toml(include_str!("../../../lexicons/test.toml")).unwrap();
        let m = shared_matcher();
        lexicon
            .entries
            .iter()
            .filter(|e| {
                matches!(
                    e.kind,
                    guardrail_core::EntryKind::Term
                        | guardrail_core::EntryKind::Phrase
                        | guardrail_core::EntryKind::Emoji
                ) && !e.text.contains(':')
            })
            .filter_map(|e| {
                let surface = Surface::ALL.into_iter().find(|s| e.applies_to(*s))?;
                let positive = m.check(&e.text, surface).unwrap().level != Level::Allow;
                positive.then(|| (e.text.clone(), surface))
            })
            .collect()
    })
}

fn shared_matcher() -> &'static Matcher {
    static MATCHER: std::sync::OnceLock<Matcher> = std::sync::OnceLock::new();
    MATCHER.get_or_init(matcher)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    // See: #26
    /// Inserting invisible characters between the characters of a positive
    /// (two blocked emoji joined by a zero-width joiner among them) keeps it positive.
    #[test]
    fn invisible_characters_between_characters_keep_a_positive_positive(
        pick in any::<prop::sample::Index>(),
        inserts in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(INVISIBLE)), 1..4),
    ) {
        let positives = positives();
        prop_assume!(!positives.is_empty());
        let (text, surface) = &positives[pick.index(positives.len())];
        let chars: Vec<char> = text.chars().collect();
        prop_assume!(chars.len() > 1);
        let mut out: Vec<Vec<char>> = chars.iter().map(|c| vec![*c]).collect();
        for (at, c) in &inserts {
            // Between character i and i + 1.
            out[at.index(chars.len() - 1)].push(*c);
        }
        let mutated: String = out.into_iter().flatten().collect();
        let m = shared_matcher();
        let before = m.check(text, *surface).unwrap().level;
        let after = m.check(&mutated, *surface).unwrap().level;
        prop_assert!(after != Level::Allow, "{text:?} ({before:?}) became {mutated:?}: allow");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// A caller-owned cache gives the verdict the thread's scratch gives, and
    /// one cache serves texts of every size in any order. See: #25.
    #[test]
    fn check_with_a_cache_equals_check(texts in prop::collection::vec(evasive(), 1..6)) {
        let m = shared_matcher();
        let mut cache = m.create_cache();
        for text in &texts {
            for surface in [Surface::Hashtag, Surface::Search, Surface::Bio] {
                prop_assert_eq!(m.check_with(text, surface, &mut cache).ok(), m.check(text, surface).ok());
            }
        }
    }
}
