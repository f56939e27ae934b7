//! Behaviour of `check` on the invented test lexicon: what must be caught,
//! what must not, and what a reviewer sees.

use guardrail_core::{Lexicon, Surface};
use guardrail_text::{How, Level, Limits, Matcher, TextError};

const TEST_LEXICON: &str = include_str!("../../../lexicons/test.toml");

fn matcher() -> Matcher {
    Matcher::new(Lexicon::from_toml(TEST_LEXICON).unwrap()).unwrap()
}

fn level(m: &Matcher, text: &str, surface: Surface) -> Level {
    m.check(text, surface).unwrap().level
}

#[test]
fn disguised_terms_are_caught_everywhere() {
    let m = matcher();
    for text in [
        "vorblat",
        "VORBLAT for sale",
        "v0rbl@t",
        "v.o.r.b.l.a.t",
        "v o r b l a t",
        "v\u{200B}o\u{200D}r\u{2060}blat",
        "νοrbլаt",
        "ｖｏｒｂｌａｔ",
        "vo\u{301}rbla\u{308}t",
        "vorrrrblaaat",
        "VoRbLaT",
        "new #vorblatpics today",
        "BuyVorblat",
        "vorblat_dealer",
        "drazzle pack",
        "drazzlepack",
        "d r a z z l e p a c k",
        "🦩🧁 dm me",
        "🦩 🧁",
        "vrblt",
        "talbrov",
        "backup: @vorblat_xxh0yil2",
    ] {
        for s in [Surface::Bio, Surface::Hashtag, Surface::Caption] {
            assert_eq!(level(&m, text, s), Level::Block, "{text:?} on {s:?}");
        }
    }
}

#[test]
fn ordinary_text_is_allowed() {
    let m = matcher();
    for text in [
        "flavor blatant",
        "my flavorblatant hashtag",
        "embroidery hoop and floss",
        "level up your pizza game 🍕",
        "season finale tonight",
        "Sega Mega Drive games",
        "the sell era",
        "bestseller list",
        "vorbla",
        "",
    ] {
        assert_eq!(level(&m, text, Surface::Bio), Level::Allow, "{text:?}");
    }
}

#[test]
fn matches_point_at_the_original() {
    let m = matcher();
    let text = "Fresh 🦩🧁 and V.0.R.B.L.A.T here";
    let v = m.check(text, Surface::Caption).unwrap();
    let spans: Vec<&str> = v.matches.iter().map(|x| &text[x.start..x.end]).collect();
    assert_eq!(spans, ["🦩🧁", "V.0.R.B.L.A.T"]);
    assert!(v.matches.iter().all(|x| text[x.start..x.end] == x.matched));
    assert!(v.reasons[0].contains("blocked entry"), "{:?}", v.reasons);
}

#[test]
fn weak_signals_never_block_alone_and_combine() {
    let m = matcher();
    // One weak emoji code, or one age code: weak.
    assert_eq!(level(&m, "🧭🫖", Surface::Bio), Level::Weak);
    assert_eq!(level(&m, "level 14", Surface::Bio), Level::Weak);
    assert_eq!(level(&m, "level 30", Surface::Bio), Level::Allow);
    // season {n} is reversed: 41 means 14.
    assert_eq!(level(&m, "season 41", Surface::Bio), Level::Weak);
    assert_eq!(level(&m, "season 14", Surface::Bio), Level::Allow);
    // Three weak signals: strong. A strong one with two weak: block.
    assert_eq!(level(&m, "🧭🫖 level 14 yorple", Surface::Bio), Level::Strong);
    assert_eq!(level(&m, "flenwick", Surface::Bio), Level::Strong);
    assert_eq!(level(&m, "flenwick 🧭🫖 level 14", Surface::Bio), Level::Block);
    assert_eq!(level(&m, "flenwick tassivore", Surface::Bio), Level::Block);
    let v = m.check("level 14", Surface::Bio).unwrap();
    assert_eq!(v.matches[0].age, Some(14));
    assert_eq!(v.matches[0].how, How::AgeCode);
}

#[test]
fn near_variants_on_search_and_autocomplete_only() {
    let m = matcher();
    for text in
        ["vorblatt boys", "vorbat", "vorblatz", "vor blat", "snor vid", "quimzle cp", "plinkmor"]
    {
        assert_eq!(level(&m, text, Surface::Search), Level::Block, "{text:?}");
        assert_eq!(level(&m, text, Surface::Autocomplete), Level::Block, "{text:?}");
    }
    assert_eq!(level(&m, "vorbat", Surface::Bio), Level::Allow);
    let v = m.check("vorbat", Surface::Search).unwrap();
    assert_eq!((v.matches[0].how, v.matches[0].distance), (How::NearVariant, Some(1)));
    // Ordinary words near nothing stay allowed.
    for text in ["sega mega drive", "the sell era", "embroidery floss", "spelunking gear"] {
        assert_eq!(level(&m, text, Surface::Search), Level::Allow, "{text:?}");
    }
}

#[test]
fn a_weaker_match_inside_a_token_does_not_hide_a_near_variant_of_a_blocked_term() {
    let lexicon = Lexicon::from_toml(
        r#"
format = 1
name = "t"

[[entry]]
kind = "term"
text = "quimzel"
category = "test"
severity = "block"

[[entry]]
kind = "term"
text = "quimu"
category = "test"
severity = "strong"
"#,
    )
    .unwrap();
    let m = Matcher::new(lexicon).unwrap();
    // `quimuzel` holds `quimu` (strong) and is one edit from `quimzel`.
    let v = m.check("quimuzel", Surface::Search).unwrap();
    assert_eq!(v.level, Level::Block, "{v:?}");
    assert!(v.matches.iter().any(|x| x.term == "quimzel" && x.distance == Some(1)), "{v:?}");
    // Off the search surfaces only the exact match counts.
    assert_eq!(level(&m, "quimuzel", Surface::Caption), Level::Strong);
}

#[test]
fn autocomplete_filter() {
    let m = matcher();
    let suggestions = ["embroidery patterns", "vorblat boys", "vorblatt cp", "vorbla", "quimzel"];
    assert_eq!(m.allowed_suggestions(&suggestions), [true, false, false, false, false]);
}

#[test]
fn surfaces_restrict_entries() {
    let lexicon = Lexicon::from_toml(
        r#"format = 1
name = "s"
[[entry]]
kind = "term"
text = "zapfel"
category = "child_safety"
severity = "block"
surfaces = ["search", "hashtag"]
"#,
    )
    .unwrap();
    let m = Matcher::new(lexicon).unwrap();
    assert_eq!(level(&m, "zapfel", Surface::Search), Level::Block);
    assert_eq!(level(&m, "zapfel", Surface::Bio), Level::Allow);
}

#[test]
fn patterns_run_on_the_readable_layer() {
    let lexicon = Lexicon::from_toml(
        r#"format = 1
name = "p"
[[entry]]
kind = "pattern"
text = '\bpay\s?(me|via)\b'
category = "payment"
severity = "weak"
[[entry]]
kind = "emoji"
text = ":pizza:"
category = "child_safety"
severity = "weak"
"#,
    )
    .unwrap();
    let m = Matcher::new(lexicon).unwrap();
    let v = m.check("PAY\u{200B} ME 🍕", Surface::Bio).unwrap();
    assert_eq!(v.level, Level::Weak);
    assert_eq!(v.matches.len(), 2);
    assert_eq!(v.matches[0].matched, "PAY\u{200B} ME");
}

#[test]
fn bad_entries_name_the_entry() {
    for (toml, needle) in [
        (
            "kind = \"pattern\"\ntext = \"(unclosed\"",
            "entry[0].text: not a valid regular expression",
        ),
        ("kind = \"emoji\"\ntext = \":no_such_emoji:\"", "entry[0].text: unknown emoji shortcode"),
        ("kind = \"term\"\ntext = \"...\"", "entry[0].text: \"...\" is empty once normalised"),
        ("kind = \"emoji\"\ntext = \"🍕x\"", "is not a sequence of emoji"),
    ] {
        let text = format!(
            "format = 1\nname = \"b\"\n[[entry]]\n{toml}\ncategory = \"c\"\nseverity = \"block\"\n"
        );
        let err =
            Lexicon::from_toml(&text).map_err(TextError::from).and_then(Matcher::new).unwrap_err();
        assert!(err.to_string().contains(needle), "{err}");
    }
}

#[test]
fn pathological_inputs_are_bounded() {
    let m = Matcher::with_limits(
        Lexicon::from_toml(TEST_LEXICON).unwrap(),
        Limits { max_bytes: 3 << 20, ..Limits::default() },
    )
    .unwrap();
    // Megabytes of combining marks: one short word.
    let marks = format!("a{}", "\u{0301}".repeat(1 << 20));
    assert_eq!(m.check(&marks, Surface::Bio).unwrap().level, Level::Allow);
    // A million emoji: over the limit, a clear error.
    let emoji = "🦩".repeat(1_000_000);
    let err = m.check(&emoji, Surface::Bio).unwrap_err();
    assert!(matches!(err, TextError::TooLong { .. }), "{err}");
    // Many matches: listed up to the limit, the rest counted.
    let many = "vorblat ".repeat(5_000);
    let v = m.check(&many, Surface::Bio).unwrap();
    assert_eq!(v.matches.len(), 1_000);
    assert_eq!(v.truncated, 4_000);
}

// See: #26
#[test]
fn blocked_emoji_joined_by_a_zero_width_joiner_are_still_blocked() {
    let m = matcher();
    for surface in Surface::ALL {
        let plain = level(&m, "🦩🧁", surface);
        assert_ne!(plain, Level::Allow, "{surface:?}");
        for joined in ["🦩\u{200D}🧁", "🦩\u{FE0F}\u{200D}🧁", "🦩\u{200C}🧁", "🦩\u{2060}🧁"]
        {
            assert_eq!(level(&m, joined, surface), plain, "{joined:?} on {surface:?}");
        }
    }
    // A real ZWJ sequence stays one emoji.
    assert_eq!(level(&m, "👨\u{200D}👩\u{200D}👧", Surface::Bio), Level::Allow);
}
