#!/usr/bin/env bash
# Media checks while a bank import of 1,000,000 PDQ hashes runs (issue 20
# item 8: requests keep being answered, p99 under 50 ms).
#
#   bench/serve-import.sh [HASHES] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
HASHES=${1:-1000000}
SECONDS_EACH=${2:-40}
TARGET=${CARGO_TARGET_DIR:-target}
OHA=${OHA:-oha}
cargo build --release -q -p guardrail-cli
WORK=$(mktemp -d)
printf 'rescan_interval_seconds = 0\n' > "$WORK/serve.toml"
TMPDIR=$WORK "$TARGET/release/guardrail" serve --demo --demo-accounts 20000 \
    --listen 127.0.0.1:0 --config "$WORK/serve.toml" > "$WORK/out.txt" 2> "$WORK/err.txt" &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null || true' EXIT
until grep -q '^ready at' "$WORK/out.txt" 2>/dev/null; do sleep 0.2; done
URL=$(sed -n 's/^guardrail serve: listening on //p' "$WORK/out.txt")
token() { awk -v r="$1" '$1 == r { print $2 }' "$WORK/out.txt"; }
PLATFORM=$(token platform)
ADMIN=$(token admin)
until curl -sf "$URL/readyz" > /dev/null; do sleep 0.2; done
python3 - "$WORK" "$HASHES" <<'PY'
import json, random, sys
work, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(1)
with open(f"{work}/big.txt", "w") as f:
    f.write("# kind: pdq\n")
    for _ in range(n):
        f.write("%064x\n" % rng.getrandbits(256))
json.dump({"hashes": ["pdq:%064x" % rng.getrandbits(256), "md5:" + "0" * 32]}, open(f"{work}/media.json", "w"))
PY
( sleep 3
  start=$(date +%s.%N)
  curl -s -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: text/plain' \
      --data-binary "@$WORK/big.txt" "$URL/v1/banks/big/import" > "$WORK/import.json"
  end=$(date +%s.%N)
  echo "import: $(cat "$WORK/import.json") in $(python3 -c "print(f'{$end - $start:.1f}')") s" ) &
IMPORT=$!
"$OHA" -z "${SECONDS_EACH}s" -c 32 --no-tui --output-format json -m POST \
    -H "Authorization: Bearer $PLATFORM" -T application/json -D "$WORK/media.json" "$URL/v1/check/media" > "$WORK/media.oha.json"
wait $IMPORT
python3 - "$WORK/media.oha.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s, p = r["summary"], r["latencyPercentiles"]
print(f"/v1/check/media during the import: {s['requestsPerSec']:.0f} requests/s, p50 {p['p50']*1e3:.2f} ms, p99 {p['p99']*1e3:.2f} ms, max {s['slowest']*1e3:.1f} ms, statuses {r.get('statusCodeDistribution')}")
PY
curl -s -H "Authorization: Bearer $PLATFORM" -H 'Content-Type: application/json' -d "$(head -c 200 "$WORK/big.txt" | sed -n 2p | sed 's/.*/{"hashes": ["pdq:&"]}/')" "$URL/v1/check/media" | head -c 300; echo
echo "raw results in $WORK"
