//! Any text through the normaliser and matcher on every surface: no panic,
//! every match's span lies on character boundaries of the input, and the key
//! is a fixed point of normalisation.
#![no_main]

use std::sync::OnceLock;

use guardrail_core::{Lexicon, Surface};
use guardrail_text::{key, Matcher};
use libfuzzer_sys::fuzz_target;

fn matcher() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| {
        let text = include_str!("../../lexicons/test.toml");
        Matcher::new(Lexicon::from_toml(text).expect("test lexicon")).expect("matcher")
    })
}

fuzz_target!(|text: &str| {
    let once = key(text);
    assert_eq!(key(&once), once, "normalising the key changed it");
    for surface in Surface::ALL {
        if let Ok(v) = matcher().check(text, surface) {
            for m in &v.matches {
                assert_eq!(text.get(m.start..m.end), Some(m.matched.as_str()));
            }
        }
    }
});
