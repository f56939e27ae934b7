#!/usr/bin/env bash
# Load figures of `guardrail serve` (issue 20 item 8) on loopback, with oha
# (`cargo install oha`) as the load generator sharing the machine's cores.
#
#   bench/serve-load.sh [ACCOUNTS] [SECONDS]
#
# Starts a release `serve --demo` world of ACCOUNTS accounts (default 20000),
# then measures for SECONDS each (default 10): guard decisions with 50
# candidates, text checks, media checks by hash, event batches of 1,000 (new
# events, by a Python client with fresh ids per batch; oha would resend one
# body, which is all duplicates), and guard decisions while a rescan runs.
# Prints one line per figure; the raw oha JSON goes to $WORK.
set -euo pipefail
cd "$(dirname "$0")/.."
ACCOUNTS=${1:-20000}
SECONDS_EACH=${2:-10}
TARGET=${CARGO_TARGET_DIR:-target}
OHA=${OHA:-oha}
cargo build --release -q -p guardrail-cli
WORK=$(mktemp -d)
printf 'rescan_interval_seconds = 0\n[limits]\nbatch_events = 1000\n' > "$WORK/serve.toml"
TMPDIR=$WORK "$TARGET/release/guardrail" serve --demo --demo-accounts "$ACCOUNTS" \
    --listen 127.0.0.1:0 --config "$WORK/serve.toml" > "$WORK/out.txt" 2> "$WORK/err.txt" &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null || true' EXIT
until grep -q '^ready at' "$WORK/out.txt" 2>/dev/null; do sleep 0.2; done
URL=$(sed -n 's/^guardrail serve: listening on //p' "$WORK/out.txt")
token() { awk -v r="$1" '$1 == r { print $2 }' "$WORK/out.txt"; }
PLATFORM=$(token platform)
ADMIN=$(token admin)
until curl -sf "$URL/readyz" > /dev/null; do sleep 0.2; done
WORLD=$(ls -d "$WORK"/guardrail-serve-demo-*/world)
python3 - "$WORLD" "$WORK" <<'PY'
import json, sys
world, work = sys.argv[1], sys.argv[2]
accounts = []
for line in open(f"{world}/events.jsonl"):
    e = json.loads(line)
    if e["type"] == "account":
        accounts.append(e["account"])
    if len(accounts) >= 5000:
        break
step = len(accounts) // 50
cands = [{"type": "account", "id": accounts[i * step]} for i in range(50)]
json.dump({"viewer": accounts[1], "surface": "account_suggestions", "candidates": cands}, open(f"{work}/guard.json", "w"))
json.dump({"text": "new pics in my bio, dm me for the drazzle pack", "surface": "comment"}, open(f"{work}/text.json", "w"))
pdq = next(l.split()[0] for l in open(f"{world}/bank.txt") if l.strip() and not l.startswith("#"))
json.dump({"hashes": [pdq if ":" in pdq else "pdq:" + pdq, "md5:" + "0" * 32]}, open(f"{work}/media.json", "w"))
PY
load() { # name body connections
    "$OHA" -z "${SECONDS_EACH}s" -c "$3" --no-tui --output-format json -m POST \
        -H "Authorization: Bearer $PLATFORM" -T application/json -D "$WORK/$2" "$URL$1" > "$WORK/$(basename "$2" .json).oha.json"
    python3 - "$WORK/$(basename "$2" .json).oha.json" "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s, p = r["summary"], r["latencyPercentiles"]
codes = r.get("statusCodeDistribution", {})
print(f"{sys.argv[2]}: {s['requestsPerSec']:.0f} requests/s, p50 {p['p50']*1e3:.2f} ms, p99 {p['p99']*1e3:.2f} ms, statuses {codes}")
PY
}
load /v1/guard/decide guard.json 32
load /v1/check/text text.json 32
load /v1/check/media media.json 32
python3 - "$URL" "$PLATFORM" "$SECONDS_EACH" <<'PY'
import json, sys, threading, time, urllib.request
url, token, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
stored = [0, 0]
def client(c):
    n, deadline = 0, time.time() + seconds
    while time.time() < deadline:
        lines = [json.dumps({"type": "follow", "id": f"load-{c}-{n}-{i}", "at": "2030-01-01T00:00:00Z",
                             "from": f"u{i % 900}", "to": f"u{(i * 7 + n) % 900}"}) for i in range(1000)]
        n += 1
        req = urllib.request.Request(url + "/v1/events", data="\n".join(lines).encode(), method="POST",
                                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/x-ndjson"})
        with urllib.request.urlopen(req) as r:
            stored[c] += json.load(r)["inserted"]
started = time.time()
threads = [threading.Thread(target=client, args=(c,)) for c in range(2)]
for t in threads: t.start()
for t in threads: t.join()
took = time.time() - started
print(f"/v1/events (batches of 1000, 2 clients): {sum(stored) / took:.0f} events/s stored durably ({sum(stored)} in {took:.1f} s)")
PY
# Guard decisions while a rescan of the whole log runs.
( sleep 2; curl -s -X POST -H "Authorization: Bearer $ADMIN" "$URL/v1/scan" > /dev/null ) &
"$OHA" -z "${SECONDS_EACH}s" -c 32 --no-tui --output-format json -m POST \
    -H "Authorization: Bearer $PLATFORM" -T application/json -D "$WORK/guard.json" "$URL/v1/guard/decide" > "$WORK/rescan.oha.json"
python3 - "$WORK/rescan.oha.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s, p = r["summary"], r["latencyPercentiles"]
print(f"/v1/guard/decide during a rescan: {s['requestsPerSec']:.0f} requests/s, p50 {p['p50']*1e3:.2f} ms, p99 {p['p99']*1e3:.2f} ms")
PY
grep -h "rescan done" "$WORK/err.txt" | sed 's/\x1b\[[0-9;]*m//g' | tail -1 || true
echo "raw results in $WORK"
