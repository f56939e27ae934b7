#!/bin/sh
# Media engine figures beside its peers, on one machine in one run:
#  - PDQ hashing of the same 512x512 and 1024x1024 pixels by guardrail and by
#    Meta's C++ (the `pdqhash` PyPI package), decoding excluded, one core;
#  - exact range search, radius 31, one query a call, one thread: guardrail's
#    index in both layouts (fast, the default, and compact) and FAISS
#    (IndexBinaryMultiHash as Meta's HMA uses it, and IndexBinaryFlat), over N
#    random hashes plus planted near-duplicates;
#  - the bound: the fastest any multi-index design could be within each memory
#    budget, under a model that favours the index, with memory costs measured
#    here (crates/media/examples/index_bound.rs).
# Peers live in a virtualenv this script makes (bench/.venv-media).
# Usage, from the repository root:  bench/media.sh [N] [FAISS_QUERIES]
set -eu
cd "$(dirname "$0")/.."
N=${1:-10000000}
FQ=${2:-400}
DATA=${MEDIA_BENCH_DATA:-/tmp/guardrail-media-bench}
VENV=bench/.venv-media
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "faiss-cpu==1.15.1" "pdqhash==0.2.8" "numpy==2.4.6"
fi
cargo build --release -q -p guardrail-media --example media_bench --example index_bound
BIN=target/release/examples/media_bench
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
$BIN data "$DATA" "$N" 10000 7
echo "== PDQ hashing, one core"
taskset -c 0 $BIN hash "$DATA"
taskset -c 0 "$VENV/bin/python" bench/media_peers.py pdq "$DATA"
echo "== range search, radius 31"
$BIN index "$DATA" 31 fast
$BIN index "$DATA" 31 compact
OMP_NUM_THREADS=1 taskset -c 0 "$VENV/bin/python" bench/media_peers.py faiss "$DATA" "$FQ"
echo "== what any multi-index design could do within a memory budget, one core"
taskset -c 0 target/release/examples/index_bound "$N" 31
