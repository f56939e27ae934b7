//! Any bytes as an event stream for the graph loader (its own line splitting
//! and fast path for interactions): an error naming a line, or a graph,
//! never a panic; skipping unknown types must not panic either.
#![no_main]

use guardrail_graph::{load_events, Evidence, Graph, LoadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for skip_unknown_types in [false, true] {
        let mut graph = Graph::new();
        let mut evidence = Evidence::default();
        let options = LoadOptions {
            skip_unknown_types,
            batch_lines: 4,
            max_line_bytes: 4096,
        };
        let _ = load_events(data, &mut graph, &mut evidence, None, None, &options);
    }
});
