#!/bin/sh
# Per-text instruction counts and simulated cache misses of the text engine
# (and rustrict), deterministic where wall-clock timings on a shared machine
# are not. Builds bench/text-compare, runs each workload under cachegrind
# with a fixed amount of work and subtracts a run that does the same setup
# and no work. The last level is set to 512 KiB, this machine's L2.
#   bench/text-cachegrind.sh [ITERS] [WORKLOAD...]
# Workloads (bench/text-compare PROFILE): short, long (10k+ lexicon),
# test-short, test-long (test lexicon), rr-short, rr-long (rustrict).
set -eu
cd "$(dirname "$0")/text-compare"
cargo build --release -q
bin=target/release/guardrail-text-bench
iters=${1:-20}
[ $# -gt 0 ] && shift
[ $# -eq 0 ] && set -- short long test-short test-long rr-short rr-long
out=$(mktemp -d)
run() {
    PROFILE=$1 ITERS=$2 valgrind --tool=cachegrind --cache-sim=yes --LL=524288,8,64 \
        --cachegrind-out-file=/dev/null "$bin" 2>"$out/$1.$2" >/dev/null
}
run none 0
for w in "$@"; do
    run "$w" "$iters"
    python3 - "$out/none.0" "$out/$w.$iters" "$w" "$iters" <<'PY'
import re, sys
base, work, w, iters = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def counts(path):
    t = open(path).read()
    get = lambda k: int(re.search(k + r':\s+([\d,]+)', t).group(1).replace(',', ''))
    return get(r'I\s+refs'), get('D1  misses'), get('LLd misses')
texts = iters * (8816 if 'short' in w else 1518)
ir, d1, l2 = [(b - a) / texts for a, b in zip(counts(base), counts(work))]
print(f"{w:10} per text: {ir:9.0f} instructions, {d1:7.2f} D1 misses, {l2:6.2f} L2 misses")
PY
done
rm -r "$out"
