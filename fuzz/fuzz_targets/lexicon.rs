//! Any text as a lexicon file (TOML or word list): an error or a lexicon, never a panic.
#![no_main]

use guardrail_core::Lexicon;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = Lexicon::parse("fuzz", text);
});
