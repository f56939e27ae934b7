//! The labelled evaluation set for the text engine (`guardrail eval-text`).
//!
//! Positives disguise every entry of a lexicon with every documented
//! [`Transform`], in contexts typical of each surface, plus the forms the
//! brief names for search and autocomplete (a term with words added, near
//! variants, split forms) and for hashtags and handles (a term glued to an
//! ordinary word), emoji codes and age codes.
//!
//! Negatives are ordinary text for every surface (built from the niche
//! vocabularies and a dictionary, with numbers and emoji), and hard negatives
//! made from the lexicon and the dictionary: two real words whose junction
//! spells a term (`flavor blatant` for `vorblat`, the "the sell era" case),
//! real words close to a term, the words of a phrase out of order, the
//! emoji of an emoji code apart, and age codes with adult ages.

use guardrail_core::{EntryKind, Expect, Lexicon, Severity, Surface, TextCase};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::niches::NICHES;
use crate::obfuscate::{apply, Transform};

fn expect(s: Severity) -> Expect {
    match s {
        Severity::Weak => Expect::Weak,
        Severity::Strong => Expect::Strong,
        Severity::Block => Expect::Block,
    }
}

/// Puts `t` in a context typical of `surface`.
fn context(surface: Surface, t: &str, r: &mut SmallRng) -> String {
    let pick = |r: &mut SmallRng, options: &[&str]| -> String {
        options.choose(r).copied().unwrap_or("{}").replace("{}", t)
    };
    match surface {
        Surface::Hashtag => t.replace(' ', ""),
        Surface::Handle => {
            pick(r, &["{}", "{}_official", "the.{}", "{}99", "real_{}"]).replace(' ', "_")
        }
        Surface::Search => pick(r, &["{}", "{} videos", "new {}", "{} 2026"]),
        Surface::Autocomplete => pick(r, &["{}", "{} boys", "{} cp", "{} link"]),
        Surface::Bio => pick(
            r,
            &["dm for {} • prices in bio", "{} | trades only", "selling {}, ask me", "🔥 {} 🔥"],
        ),
        Surface::Caption => {
            pick(r, &["fresh {} today", "{} drop, link in bio", "who wants {}?", "new {} just in"])
        }
        Surface::Comment => pick(r, &["where can i get {}?", "sent you {}", "{} pls", "got {}?"]),
    }
}

/// Words glued to a term in hashtags and handles (all ordinary words).
const GLUE: &[&str] =
    &["free", "buy", "new", "best", "hot", "pics", "vids", "club", "shop", "daily", "official"];
/// Emoji of ordinary posts, including the innocent readings of common codes.
const BENIGN_EMOJI: &[&str] = &[
    "🍕",
    "🗺️",
    "🧭",
    "🫖",
    "🌿",
    "🧵",
    "📷",
    "☕",
    "🎉",
    "❤️",
    "👍🏽",
    "🐝",
    "⛵",
    "♟️",
    "🍄",
    "🚴‍♀️",
];

/// Generates the set for `lexicon`. `words` is a dictionary of ordinary words
/// (for hard negatives and benign text); `benign_per_surface` ordinary texts
/// are generated for each surface.
pub fn text_eval(
    lexicon: &Lexicon,
    words: &[&str],
    benign_per_surface: usize,
    seed: u64,
) -> Vec<TextCase> {
    let mut r = SmallRng::seed_from_u64(seed);
    let mut out = Vec::new();
    let push = |out: &mut Vec<TextCase>,
                text: String,
                surface,
                expect,
                group: &str,
                entry: Option<&str>| {
        out.push(TextCase {
            text,
            surface,
            expect,
            group: group.into(),
            entry: entry.map(str::to_owned),
        })
    };
    for e in &lexicon.entries {
        let exp = expect(e.severity);
        let surfaces: Vec<Surface> =
            Surface::ALL.into_iter().filter(|s| e.applies_to(*s)).collect();
        match e.kind {
            EntryKind::Term | EntryKind::Phrase => {
                let term = e.text.to_lowercase();
                for t in Transform::ALL {
                    for &s in &surfaces {
                        for _ in 0..2 {
                            let disguised = apply(t, &term, &mut r);
                            let text = context(s, &disguised, &mut r);
                            push(&mut out, text, s, exp, t.name(), Some(&e.text));
                        }
                    }
                }
                for &s in surfaces
                    .iter()
                    .filter(|s| matches!(s, Surface::Hashtag | Surface::Handle | Surface::Bio))
                {
                    for _ in 0..4 {
                        let g = GLUE.choose(&mut r).copied().unwrap_or("new");
                        let glued = term.replace(' ', "");
                        let text = if r.gen_bool(0.5) {
                            format!("{g}{glued}")
                        } else {
                            format!("{glued}{g}")
                        };
                        let text =
                            if s == Surface::Bio { format!("check {text} out") } else { text };
                        push(&mut out, text, s, exp, "concatenated", Some(&e.text));
                    }
                }
                for &s in
                    surfaces.iter().filter(|s| matches!(s, Surface::Search | Surface::Autocomplete))
                {
                    for _ in 0..4 {
                        let w = ["boys", "cp", "videos", "2026", "free", "new", "link"]
                            .choose(&mut r)
                            .copied()
                            .unwrap_or("new");
                        let text = if r.gen_bool(0.5) {
                            format!("{term} {w}")
                        } else {
                            format!("{w} {term}")
                        };
                        push(&mut out, text, s, exp, "appended", Some(&e.text));
                    }
                    if e.severity == Severity::Block {
                        for _ in 0..4 {
                            push(
                                &mut out,
                                near_variant(&term, &mut r),
                                s,
                                exp,
                                "near-variant",
                                Some(&e.text),
                            );
                        }
                    }
                    if e.kind == EntryKind::Term && term.chars().count() >= 6 {
                        for _ in 0..2 {
                            let chars: Vec<char> = term.chars().collect();
                            let k = r.gen_range(2..chars.len() - 2);
                            let text: String = chars[..k]
                                .iter()
                                .chain([' '].iter())
                                .chain(chars[k..].iter())
                                .collect();
                            push(&mut out, text, s, exp, "split", Some(&e.text));
                        }
                    }
                }
                cross_word_negatives(&term, words, &surfaces, &mut r, &mut out);
                near_word_negatives(&term, words, &surfaces, &mut out);
                if e.kind == EntryKind::Phrase {
                    let parts: Vec<&str> = term.split(' ').collect();
                    for &s in surfaces
                        .iter()
                        .filter(|s| **s != Surface::Hashtag && **s != Surface::Handle)
                    {
                        let filler = words.choose(&mut r).copied().unwrap_or("and");
                        let text = format!("{} {filler} {}", parts[parts.len() - 1], parts[0]);
                        push(&mut out, text, s, Expect::Allow, "phrase-apart", Some(&e.text));
                    }
                }
            }
            EntryKind::Emoji => {
                let seq: Vec<char> = e.text.chars().collect();
                for &s in
                    surfaces.iter().filter(|s| !matches!(s, Surface::Hashtag | Surface::Handle))
                {
                    for _ in 0..6 {
                        let mut text = String::new();
                        for c in &seq {
                            text.push(*c);
                            if r.gen_bool(0.3) {
                                text.push('\u{FE0F}');
                            }
                            if r.gen_bool(0.3) {
                                text.push(' ');
                            }
                        }
                        push(
                            &mut out,
                            context(s, text.trim(), &mut r),
                            s,
                            exp,
                            "emoji-code",
                            Some(&e.text),
                        );
                    }
                    // The emoji of the code apart, in an ordinary sentence.
                    if seq.len() >= 2 {
                        let text =
                            format!("{} on the walk, then {} at home", seq[0], seq[seq.len() - 1]);
                        push(&mut out, text, s, Expect::Allow, "emoji-apart", Some(&e.text));
                    }
                }
            }
            EntryKind::AgeCode => {
                let below = e.below.unwrap_or(18);
                for &s in surfaces
                    .iter()
                    .filter(|s| matches!(s, Surface::Bio | Surface::Caption | Surface::Comment))
                {
                    for _ in 0..6 {
                        let age = r.gen_range(10..below.max(11));
                        let n = if e.reversed {
                            age.to_string().chars().rev().collect()
                        } else {
                            age.to_string()
                        };
                        let arrow = if e.reversed && r.gen_bool(0.5) { " ⬅️" } else { "" };
                        let text = format!("{}{arrow}", e.text.replace("{n}", &n));
                        push(
                            &mut out,
                            context(s, &text, &mut r),
                            s,
                            exp,
                            "age-code",
                            Some(&e.text),
                        );
                        // The same words with an adult age.
                        let adult = r.gen_range(below..60);
                        let n = if e.reversed {
                            let rev: String = adult.to_string().chars().rev().collect();
                            if rev.parse::<u32>().unwrap_or(0) < below {
                                continue;
                            }
                            rev
                        } else {
                            adult.to_string()
                        };
                        let text = format!("{} and counting", e.text.replace("{n}", &n));
                        push(&mut out, text, s, Expect::Allow, "adult-number", Some(&e.text));
                    }
                }
            }
            EntryKind::Pattern => {}
        }
    }
    for s in Surface::ALL {
        for _ in 0..benign_per_surface {
            let text = benign(s, words, &mut r);
            push(&mut out, text, s, Expect::Allow, "benign", None);
        }
    }
    out
}

/// One random edit (two for long terms) that leaves a non-space character changed.
fn near_variant(term: &str, r: &mut SmallRng) -> String {
    let mut chars: Vec<char> = term.chars().collect();
    let edits = if chars.iter().filter(|c| **c != ' ').count() >= 8 { 2 } else { 1 };
    for _ in 0..edits {
        let i = r.gen_range(1..chars.len());
        match r.gen_range(0..4) {
            0 => {
                chars.remove(i);
            }
            1 => chars.insert(i, *b"aeiouxyz".map(char::from).choose(r).unwrap_or(&'x')),
            2 => chars[i] = *b"aeiouxyz".map(char::from).choose(r).unwrap_or(&'x'),
            _ => chars.swap(i - 1, i),
        }
    }
    chars.into_iter().collect()
}

/// Two real words whose junction spells the term ("the sell era").
fn cross_word_negatives(
    term: &str,
    words: &[&str],
    surfaces: &[Surface],
    r: &mut SmallRng,
    out: &mut Vec<TextCase>,
) {
    let glued = term.replace(' ', "");
    let n = glued.len();
    if n < 4 || !glued.is_ascii() {
        return;
    }
    let mut found = 0;
    for k in 2..n - 1 {
        let (head, tail) = glued.split_at(k);
        let firsts: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| w.len() > head.len() && w.ends_with(head))
            .take(50)
            .collect();
        let seconds: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| w.len() > tail.len() && w.starts_with(tail))
            .take(50)
            .collect();
        if firsts.is_empty() || seconds.is_empty() {
            continue;
        }
        for _ in 0..3 {
            let (a, b) =
                (firsts.choose(r).copied().unwrap_or(""), seconds.choose(r).copied().unwrap_or(""));
            for &s in surfaces {
                let text = match s {
                    Surface::Hashtag => format!("{a}{b}"),
                    Surface::Handle => format!("{a}_{b}"),
                    _ => format!("{a} {b}"),
                };
                out.push(TextCase {
                    text,
                    surface: s,
                    expect: Expect::Allow,
                    group: "cross-word".into(),
                    entry: Some(term.into()),
                });
                found += 1;
            }
        }
        if found > 60 {
            break;
        }
    }
}

/// Real words within two edits of the term (what a fuzzy matcher must not take).
fn near_word_negatives(term: &str, words: &[&str], surfaces: &[Surface], out: &mut Vec<TextCase>) {
    let t: Vec<char> = term.chars().collect();
    for w in words {
        let wc: Vec<char> = w.chars().collect();
        // Inflections of the term (`vorblats`) are the term, not a near word.
        if wc.len().abs_diff(t.len()) > 2
            || wc.len() < 4
            || w.starts_with(term)
            || term.starts_with(w)
        {
            continue;
        }
        if edit_distance(&wc, &t) <= 2 {
            for &s in surfaces {
                out.push(TextCase {
                    text: (*w).to_owned(),
                    surface: s,
                    expect: Expect::Allow,
                    group: "near-word".into(),
                    entry: Some(term.into()),
                });
            }
        }
    }
}

fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            cur[j] = (prev[j] + 1)
                .min(cur[j - 1] + 1)
                .min(prev[j - 1] + usize::from(a[i - 1] != b[j - 1]));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// An ordinary text for `surface`.
fn benign(surface: Surface, words: &[&str], r: &mut SmallRng) -> String {
    let niche = NICHES.choose(r).expect("niches");
    let word = |r: &mut SmallRng| words.choose(r).copied().unwrap_or("hello");
    let nword = |r: &mut SmallRng| niche.words.choose(r).copied().unwrap_or("project");
    let tag = |r: &mut SmallRng| niche.hashtags.choose(r).copied().unwrap_or("hobby");
    let emoji = |r: &mut SmallRng| BENIGN_EMOJI.choose(r).copied().unwrap_or("🙂");
    match surface {
        Surface::Hashtag => match r.gen_range(0..4) {
            0 => tag(r).to_owned(),
            1 => format!("{}{}", tag(r), word(r)),
            2 => format!("{}{}", word(r), word(r)),
            _ => word(r).to_owned(),
        },
        Surface::Handle => match r.gen_range(0..3) {
            0 => format!("{}_{}", word(r), nword(r).replace(' ', "")),
            1 => format!("{}{}", word(r), r.gen_range(1..2000)),
            _ => format!("the.{}.{}", tag(r), word(r)),
        },
        Surface::Search | Surface::Autocomplete => match r.gen_range(0..4) {
            0 => nword(r).to_owned(),
            1 => format!("{} {}", word(r), nword(r)),
            2 => format!("best {} for beginners", nword(r)),
            _ => format!("{} {}", word(r), word(r)),
        },
        Surface::Bio => {
            let n = r.gen_range(1..6);
            let mut s = format!("{} | {} and {} {}", niche.name, nword(r), word(r), emoji(r));
            match r.gen_range(0..5) {
                0 => s.push_str(&format!(" | mum of {n}")),
                1 => s.push_str(&format!(" | level {n} {}", word(r))),
                2 => s.push_str(&format!(" | age {}", r.gen_range(18..80))),
                3 => s.push_str(&format!(" | est. {}", r.gen_range(1990..2027))),
                _ => s.push_str(&format!(" | {} {}", word(r), word(r))),
            }
            s
        }
        Surface::Caption | Surface::Comment => {
            let mut s = String::new();
            for i in 0..r.gen_range(4..14) {
                if i > 0 {
                    s.push(' ');
                }
                match r.gen_range(0..10) {
                    0 => s.push_str(emoji(r)),
                    1 => s.push_str(&format!("#{}", tag(r))),
                    2 => s.push_str(&r.gen_range(1..100).to_string()),
                    3 | 4 => s.push_str(nword(r)),
                    _ => s.push_str(word(r)),
                }
            }
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_labelled() {
        let lexicon = Lexicon::from_toml(crate::TEST_LEXICON).unwrap();
        let words = ["flavor", "blatant", "hello", "menu", "pack", "vorbalt", "vorblats"];
        let a = text_eval(&lexicon, &words, 10, 1);
        let b = text_eval(&lexicon, &words, 10, 1);
        assert_eq!(a, b);
        assert!(a.iter().any(|c| c.group == "cross-word" && c.text == "flavor blatant"));
        assert!(a.iter().any(|c| c.group == "near-word" && c.text == "vorbalt"));
        assert!(
            !a.iter().any(|c| c.group == "near-word" && c.text == "vorblats"),
            "inflections are not negatives"
        );
        for t in Transform::ALL {
            assert!(
                a.iter().any(|c| c.group == t.name() && c.expect == Expect::Block),
                "{}",
                t.name()
            );
        }
        assert_eq!(a.iter().filter(|c| c.group == "benign").count(), 70);
    }
}
