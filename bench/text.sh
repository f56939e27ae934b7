#!/bin/sh
# Text engine figures: quality of guardrail-text and of the rustrict crate on
# the same labelled set (eval/text/test-lexicon.jsonl), and single-thread
# throughput of both on the same ordinary texts, with the test lexicon and
# with a lexicon of over 10,000 entries. Run from the repository root:
#   bench/text.sh
# rustrict is a Rust crate, so the peer runs in-process from the separate
# package bench/text-compare (its own workspace and lock file); nothing is
# installed system-wide.
set -eu
cd "$(dirname "$0")/.."
cargo run --release -q -p guardrail-cli -- eval-text --set eval/text/test-lexicon.jsonl --misses 0 | tail -12
cd bench/text-compare
cargo run --release -q
