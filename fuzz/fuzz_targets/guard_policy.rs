//! Any text as a guard policy file: an error or a valid policy that survives
//! a round trip through TOML, never a panic.
#![no_main]

use guardrail_guard::Policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(policy) = Policy::from_toml(text) {
        let again = toml::to_string(&policy).expect("a valid policy serialises");
        assert_eq!(Policy::from_toml(&again).expect("and parses back"), policy);
    }
});
