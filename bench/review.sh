#!/usr/bin/env bash
# Durable report intake (issue 19): `guardrail report add --events` files
# report events into review, each batch one transaction (group commit), and
# acknowledges a batch only after it committed. Prints one CSV row per run:
# backend,reports,batch,seconds,reports_per_second.
#
# Usage: bench/review.sh [N_REPORTS]   (default 100000)
# Set CARGO_TARGET_DIR to the target directory the release build goes to.
# With BENCH_POSTGRES_URL set (e.g. the cluster `cargo xtask postgres`
# starts), PostgreSQL is measured too. Reports are invented: accounts a0..,
# reporters r0.., categories cycling.
set -euo pipefail
n=${1:-100000}
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
# GUARDRAIL_BIN names an already built release binary instead.
guardrail=${GUARDRAIL_BIN:-}
if [ -z "$guardrail" ]; then
  cargo build --release -q -p guardrail-cli
  guardrail=$target/release/guardrail
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
awk -v n="$n" 'BEGIN {
  split("spam harassment child_safety other sexual_content", c, " ");
  for (i = 0; i < n; i++)
    printf "{\"type\":\"report\",\"id\":\"b%d\",\"at\":\"2026-03-01T10:00:00Z\",\"reporter\":\"r%d\",\"target\":{\"account\":\"a%d\"},\"category\":\"%s\"}\n", i, (i * 7) % 30000, (i * 13) % 20000, c[i % 5 + 1];
}' > "$work/reports.jsonl"
echo "backend,reports,batch,seconds,reports_per_second"
run() {
  local backend=$1 url=$2 batch=$3
  local line
  line=$("$guardrail" report add --database "$url" --events "$work/reports.jsonl" --batch "$batch" | tail -1)
  # "filed N report(s) in S s (R/s, batches of B), ..."
  echo "$backend,$(fields "$line" "$batch")"
}
# "filed N report(s) in S s (R/s, batches of B), ..." -> N,B,S,R
fields() {
  echo "$1" | sed -E "s/^filed ([0-9]+) report\(s\) in ([0-9.]+) s \(([0-9]+)\/s.*/\1,$2,\2,\3/"
}
for batch in 1 64 256 1024; do
  rm -f "$work/r.db"*
  if [ "$batch" = 1 ]; then
    # One transaction per report: a tenth of the reports is enough to measure.
    head -n $((n / 10)) "$work/reports.jsonl" > "$work/one.jsonl"
    line=$("$guardrail" report add --database "$work/r.db" --events "$work/one.jsonl" --batch 1 | tail -1)
    echo "sqlite,$(fields "$line" 1)"
  else
    run sqlite "$work/r.db" "$batch"
  fi
done
if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
  for batch in 64 256 1024; do
    schema="bench_review_$$_$batch"
    sep='?'; case "$BENCH_POSTGRES_URL" in *\?*) sep='&';; esac
    run postgres "$BENCH_POSTGRES_URL${sep}schema=$schema" "$batch"
  done
fi
