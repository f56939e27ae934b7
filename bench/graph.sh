#!/bin/sh
# Graph engine figures (issue 5), on one machine in one run:
#  - load and full scan of a synthetic world of 1,000,000 accounts
#    (`guardrail synth`, 53M events) with stage timings and peak memory;
#  - a 1,000,000-account / 50,000,000-edge power-law follow graph with a
#    planted network: build, memory, global personalised PageRank (20 power
#    iterations, 2 threads) and the full scan;
#  - networkit's PageRank (PyPI, virtualenv bench/.venv-graph) on the same
#    50M edges, same iteration count, 2 threads.
# Usage, from the repository root:  bench/graph.sh [ACCOUNTS] [EDGES]
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000000}
E=${2:-50000000}
DATA=${GRAPH_BENCH_DATA:-/tmp/guardrail-graph-bench}
VENV=bench/.venv-graph
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "networkit==11.3"
fi
mkdir -p "$DATA"
cargo build --release -q -p guardrail-cli -p guardrail-graph --example graph_bench
BIN=target/release/examples/graph_bench
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
if [ ! -f "$DATA/world-$N/events.jsonl" ]; then
  target/release/guardrail synth --accounts "$N" --seed 3 --out "$DATA/world-$N" --quiet
fi
echo "== synthetic world, $N accounts"
$BIN world "$DATA/world-$N"
echo "== power-law graph, $N accounts, $E edges"
$BIN rmat "$N" "$E" 1 "$DATA/rmat-$N-$E.txt"
"$VENV/bin/python" bench/graph_peer.py "$DATA/rmat-$N-$E.txt" 20
