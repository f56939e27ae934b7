#!/usr/bin/env bash
# Soak of `guardrail serve` (issue 20 item 8): mixed traffic for MINUTES
# (default 10) on loopback, with the server's resident memory sampled every
# 10 s; memory must stay flat within 10% after the warm-up (the first
# minute).
#
#   bench/serve-soak.sh [MINUTES] [ACCOUNTS]
#
# Traffic, from 4 Python client threads: guard decisions with 50 candidates,
# text checks, media checks, event batches of 200 (a fixed cycle of ids, so
# after the warm-up they are duplicates, plus one new event each), reports
# (keyed, new each time), queue reads, and a rescan every minute
# (rescan_interval_seconds = 60). The data barely grows, so the memory is
# the server's own. Prints the request counts, the
# memory samples and the verdict; stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
ACCOUNTS=${2:-20000}
TARGET=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p guardrail-cli
WORK=$(mktemp -d)
printf 'rescan_interval_seconds = 60\n[limits]\nbatch_events = 1000\n' > "$WORK/serve.toml"
TMPDIR=$WORK "$TARGET/release/guardrail" serve --demo --demo-accounts "$ACCOUNTS" \
    --listen 127.0.0.1:0 --config "$WORK/serve.toml" > "$WORK/out.txt" 2> "$WORK/err.txt" &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
until grep -q '^ready at' "$WORK/out.txt" 2>/dev/null; do sleep 0.2; done
URL=$(sed -n 's/^guardrail serve: listening on //p' "$WORK/out.txt")
token() { awk -v r="$1" '$1 == r { print $2 }' "$WORK/out.txt"; }
until curl -sf "$URL/readyz" > /dev/null; do sleep 0.2; done
python3 - "$URL" "$(token platform)" "$(token child_safety_reviewer)" "$SERVER" "$MINUTES" <<'PY'
import json, sys, threading, time, urllib.request
url, platform, reviewer, pid, minutes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
deadline = time.time() + minutes * 60
counts, errors = {}, {}
lock = threading.Lock()
def call(path, token, body=None, ctype="application/json"):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(url + path, data=data, method="GET" if body is None else "POST",
                                 headers={"Authorization": "Bearer " + token, "Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
            key = counts
    except Exception as e:
        key = errors
    with lock:
        key[path] = key.get(path, 0) + 1
cands = [{"type": "account", "id": f"u{i * 37}"} for i in range(50)]
def client(c):
    n = 0
    while time.time() < deadline:
        n += 1
        call("/v1/guard/decide", platform, {"viewer": f"u{n % 500}", "surface": "account_suggestions", "candidates": cands})
        call("/v1/check/text", platform, {"text": f"new pics {n}, dm me for the drazzle pack", "surface": "comment"})
        call("/v1/check/media", platform, {"hashes": ["md5:" + f"{n:032x}"]})
        if n % 5 == 0:
            # A fixed cycle of 50 batches per client: new events in the first
            # pass (the warm-up), then the same ids again (acknowledged as
            # duplicates), so the data stays the same size and memory growth
            # would be the server's own; one new event a batch keeps the log moving.
            b = (n // 5) % 50
            lines = [json.dumps({"type": "follow", "id": f"soak-{c}-{b}-{i}", "at": "2030-01-01T00:00:00Z",
                                 "from": f"u{(i * 13 + b) % 900}", "to": f"u{(i * 7 + b) % 900}"}) for i in range(199)]
            lines.append(json.dumps({"type": "follow", "id": f"soak-new-{c}-{n}", "at": "2030-01-01T00:00:00Z",
                                     "from": f"u{n % 900}", "to": f"u{(n * 3) % 900}"}))
            call("/v1/events", platform, "\n".join(lines).encode(), "application/x-ndjson")
            call("/v1/reports", platform, {"key": f"soak-{c}-{n}", "target": f"account:u{n % 900}", "category": "spam", "reporter": f"r{c}"})
        if n % 50 == 0:
            call("/v1/queue?limit=50", reviewer)
threads = [threading.Thread(target=client, args=(c,)) for c in range(4)]
for t in threads: t.start()
samples = []
start = time.time()
while time.time() < deadline:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            samples.append((time.time() - start, int(line.split()[1]) // 1024))
    time.sleep(10)
for t in threads: t.join()
total = sum(counts.values())
print(f"requests: {total} answered ({total / (minutes * 60):.0f}/s), errors: {sum(errors.values())} {errors}")
print("by route: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
print("RSS (MiB) every 10 s: " + " ".join(str(m) for _, m in samples))
warm = [m for t, m in samples if t >= 60]
if warm:
    lo, hi = min(warm), max(warm)
    first = warm[0]
    print(f"after the first minute: first {first} MiB, min {lo}, max {hi}, last {warm[-1]}; spread {(hi - lo) / first * 100:.1f}% of the first "
          f"({'flat within 10%' if (hi - lo) <= 0.1 * first else 'NOT flat within 10%'})")
PY
