#!/usr/bin/env bash
# Freshness of `guardrail serve` on a large platform (issue 20 item 2):
#
#   bench/serve-rescan.sh [ACCOUNTS]      (default 1,000,000)
#
# Synthesises a world of ACCOUNTS accounts, ingests it into SQLite, starts a
# release `serve` on it (periodic rescans off), and measures:
#   - the start-up scan (until /readyz answers 200);
#   - a direct signal: from the acknowledgement of a child-safety ban to the
#     guard dropping the account (target: under 1 s);
#   - an event to the rescan that includes it: from the acknowledgement of a
#     new event to the end of the rescan started right after it
#     (`POST /v1/scan`, then `GET /v1/scan` until the new run is there;
#     target: under 90 s on 1M accounts), with the server's peak RSS.
# Everything runs on loopback and stops by itself (the server gets SIGTERM).
set -euo pipefail
cd "$(dirname "$0")/.."
ACCOUNTS=${1:-1000000}
TARGET=${CARGO_TARGET_DIR:-target}
BIN="$TARGET/release/guardrail"
cargo build --release -q -p guardrail-cli
WORK=$(mktemp -d)
trap 'kill -TERM ${SERVER:-0} 2>/dev/null || true; rm -rf "$WORK"' EXIT
echo "== synth $ACCOUNTS accounts"
/usr/bin/time -f "  synth: %e s" "$BIN" synth --quiet --accounts "$ACCOUNTS" --seed 1 --out "$WORK/world"
echo "== ingest into SQLite"
/usr/bin/time -f "  ingest: %e s" "$BIN" ingest --quiet --events "$WORK/world/events.jsonl" --database "$WORK/g.db"
PLATFORM=$("$BIN" token create --role platform --name bench-platform --database "$WORK/g.db")
ADMIN=$("$BIN" token create --role admin --name bench-admin --database "$WORK/g.db")
printf 'rescan_interval_seconds = 0\n' > "$WORK/serve.toml"
started=$(date +%s.%N)
"$BIN" serve --listen 127.0.0.1:0 --database "$WORK/g.db" --config "$WORK/serve.toml" \
    > "$WORK/out.txt" 2> "$WORK/err.txt" &
SERVER=$!
until grep -q '^ready at' "$WORK/out.txt" 2>/dev/null; do sleep 0.2; done
URL=$(sed -n 's/^guardrail serve: listening on //p' "$WORK/out.txt")
until curl -sf "$URL/readyz" > /dev/null; do sleep 0.5; done
echo "  start-up (open, load, scan) until ready: $(python3 -c "import time; print(f'{time.time() - $started:.1f}')") s"
python3 - "$URL" "$PLATFORM" "$ADMIN" "$SERVER" <<'PY'
import json, sys, time, urllib.request
url, platform, admin, pid = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def call(method, path, token, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method=method,
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(("VmRSS", "VmHWM")):
            yield line.split()[0], int(line.split()[1]) // 1024
account = "bench-fresh-1"
call("POST", "/v1/events", platform, {"type": "account", "id": "bench-a1", "at": "2030-01-01T00:00:00Z", "account": account, "handle": "fresh_one"})
decide = {"viewer": "u1", "surface": "account_suggestions", "candidates": [{"type": "account", "id": account}]}
assert call("POST", "/v1/guard/decide", platform, decide)["decisions"][0]["allow"]
t0 = time.time()
call("POST", "/v1/events", platform, {"type": "enforcement", "id": "bench-ban-1", "at": "2030-01-01T00:01:00Z", "account": account, "action": "ban", "confirmed_category": "child_safety"})
acked = time.time()
while call("POST", "/v1/guard/decide", platform, decide)["decisions"][0]["allow"]:
    pass
print(f"  direct signal: acknowledged in {(acked - t0) * 1e3:.1f} ms, guard drops the account {(time.time() - acked) * 1e3:.2f} ms after the acknowledgement")
before = call("GET", "/v1/scan", admin)["latest"]["run"]
t1 = time.time()
call("POST", "/v1/events", platform, {"type": "follow", "id": "bench-f1", "at": "2030-01-01T00:02:00Z", "from": "u1", "to": account})
call("POST", "/v1/scan", admin)
while True:
    latest = call("GET", "/v1/scan", admin)["latest"]
    if latest["run"] != before:
        break
    time.sleep(0.2)
print(f"  event to the rescan that includes it: {time.time() - t1:.1f} s (scan {latest['run']}, {latest['summary'].get('accounts')} accounts)")
print("  server memory: " + ", ".join(f"{k} {v} MiB" for k, v in rss()))
PY
