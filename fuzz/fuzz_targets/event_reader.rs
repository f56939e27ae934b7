//! Any bytes through the event reader: no panic, and every event it accepts
//! survives a write and a second parse unchanged.
#![no_main]

use guardrail_core::{Event, EventReader, ReaderConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let config =
        ReaderConfig { skip_unknown_types: data.first() == Some(&b'!'), max_line_bytes: 4096 };
    for event in EventReader::with_config(data, config).flatten() {
        let line = event.to_json_line();
        let again = Event::from_json_line(&line).expect("a written event parses");
        assert_eq!(again, event, "round trip changed {line}");
    }
});
