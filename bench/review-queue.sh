#!/usr/bin/env bash
# The review queue with many open cases (issue 19 item 8): files N reports,
# each about its own account (so N open cases, with 30,000 reporters some of
# whose reports are decided), then times `guardrail queue --limit 50` three
# times and prints its wall time and peak memory.
#
# Usage: bench/review-queue.sh [N_CASES]   (default 100000)
set -euo pipefail
n=${1:-100000}
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
cargo build --release -q -p guardrail-cli
guardrail=$target/release/guardrail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
awk -v n="$n" 'BEGIN {
  split("spam harassment child_safety other sexual_content", c, " ");
  for (i = 0; i < n; i++)
    printf "{\"type\":\"report\",\"id\":\"q%d\",\"at\":\"2026-03-01T10:00:00Z\",\"reporter\":\"r%d\",\"target\":{\"account\":\"a%d\"},\"category\":\"%s\"}\n", i, (i * 7) % 30000, i, c[i % 5 + 1];
}' > "$work/reports.jsonl"
db=$work/q.db
/usr/bin/time -f "filing: %e s wall" "$guardrail" report add --database "$db" --events "$work/reports.jsonl" --batch 5000 | tail -1
for run in 1 2 3; do
  /usr/bin/time -f "queue --limit 50, run $run: %e s wall, %M KiB peak RSS" \
    "$guardrail" queue --database "$db" --limit 50 --now 2026-03-02T10:00:00Z > "$work/queue.txt"
done
head -1 "$work/queue.txt"
