//! Parse arbitrary text as a hash list: never a panic; every accepted hash
//! prints back as hex of its kind's length.
#![no_main]

use guardrail_media::bank::parse_list;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(hashes) = parse_list(text, "fuzz", None) {
        for h in hashes {
            assert!(matches!(h.hash.to_hex().len(), 32 | 64));
        }
    }
});
