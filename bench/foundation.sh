#!/usr/bin/env bash
# Foundation figures, as bench/README.md reports them:
#  1. `guardrail synth` of a large world: wall time and peak memory;
#  2. `guardrail ingest` into SQLite (and PostgreSQL when BENCH_POSTGRES_URL is
#     set): events per second, first run and idempotent re-run.
# Usage: bench/foundation.sh            (1M-account world, ingest of a 100k-account world)
#        ACCOUNTS=200000 INGEST_ACCOUNTS=20000 bench/foundation.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ACCOUNTS=${ACCOUNTS:-1000000}
INGEST_ACCOUNTS=${INGEST_ACCOUNTS:-100000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/guardrail-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time (Debian package 'time')" >&2; exit 1; }

cargo build --release --quiet -p guardrail-cli
BIN=target/release/guardrail
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m)"

echo "== synth --accounts $ACCOUNTS"
$TIME -f "synth: %e s wall, %M KiB peak RSS" $BIN synth --accounts "$ACCOUNTS" --seed 1 --out "$WORK/big"
ls -l "$WORK/big" | awk 'NR>1 {print "  " $5 " bytes  " $9}'
rm -rf "$WORK/big"

echo "== ingest of a $INGEST_ACCOUNTS-account world"
$BIN synth --quiet --accounts "$INGEST_ACCOUNTS" --seed 2 --out "$WORK/w"
echo "  $(wc -l < "$WORK/w/events.jsonl") events, $(du -h "$WORK/w/events.jsonl" | cut -f1)"
$TIME -f "  sqlite first run: %e s wall, %M KiB peak RSS" $BIN ingest --events "$WORK/w/events.jsonl" --database "$WORK/bench.db"
$TIME -f "  sqlite re-run: %e s wall" $BIN ingest --events "$WORK/w/events.jsonl" --database "$WORK/bench.db"
if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
  SCHEMA="bench_$$"
  sep='?'; case "$BENCH_POSTGRES_URL" in *\?*) sep='&';; esac
  $TIME -f "  postgres first run: %e s wall" $BIN ingest --events "$WORK/w/events.jsonl" --database "${BENCH_POSTGRES_URL}${sep}schema=$SCHEMA"
  PGOPTIONS=--client-min-messages=warning psql "$BENCH_POSTGRES_URL" -qc "DROP SCHEMA $SCHEMA CASCADE" >/dev/null
fi
