#!/usr/bin/env bash
# The network scan on real graphs with a planted network: one markdown table
# row per (graph, settings).
#
# Usage: bench/scan-grid.sh            (the full grid, about 10 minutes on 2 cores)
#        QUICK=1 bench/scan-grid.sh    (polblogs at camouflage 0 and 10 only)
#
# It builds the release CLI (cargo honours CARGO_TARGET_DIR), dumps the real
# graphs shipped with Debian's python3-graph-tool (`apt-get install
# python3-graph-tool`) with bench/real_graphs.py into
# ${GRAPHS:-/tmp/guardrail-real-graphs} (kept between runs), then for each
# graph and setting runs `guardrail plant` into ${WORLDS:-/tmp/guardrail-scan-grid}
# and `guardrail eval-scan --world DIR --lexicon lexicons/test.toml --bank
# DIR/bank.txt --json`. GUARDRAIL=PATH uses that binary instead of building.
#
# Graphs: pgp-strong-2009, email-Enron, cond-mat-2005, as-22july06, polblogs
# and hep-th (GRAPH_NAMES overrides the list). Settings per graph: camouflage
# 0/5/10/20 x target random/popular x backups declared by the main/the backup,
# plus one row with buyer_min_sellers 2 and sellers_follow_each_other 0. Every
# other planting parameter is its default (docs/SYNTH.md, "Planted real
# graphs"), except polblogs (1,490 accounts) gets 10 sellers instead of 40 so
# that most of it stays real.
#
# Columns: seller recall; buyer recall over buyers that follow at least two
# sellers; precision; benign flagged (accounts outside the network flagged
# suspected or confirmed); real flagged (the real graph's own accounts);
# declared backups linked to their main (corroborated ones in brackets);
# returning accounts linked; wrong merges; scan seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
graphs=${GRAPHS:-/tmp/guardrail-real-graphs}
worlds=${WORLDS:-/tmp/guardrail-scan-grid}
target_dir=${CARGO_TARGET_DIR:-$root/target}

if [[ ${QUICK:-0} == 1 ]]; then
    names=(polblogs)
else
    read -r -a names <<<"${GRAPH_NAMES:-pgp-strong-2009 email-Enron cond-mat-2005 as-22july06 polblogs hep-th}"
fi

if [[ -n ${GUARDRAIL:-} ]]; then
    guardrail=$GUARDRAIL
else
    cargo build --release --quiet -p guardrail-cli >&2
    guardrail=$target_dir/release/guardrail
fi
/usr/bin/python3 bench/real_graphs.py "$graphs" "${names[@]}" >&2
mkdir -p "$worlds"

row() {
    # row NAME LABEL PLANT-FLAGS...
    local name=$1 label=$2
    shift 2
    local sellers=40
    [[ $name == polblogs ]] && sellers=10
    local dir=$worlds/$name
    rm -rf "$dir"
    "$guardrail" plant --quiet --graph "$graphs/$name.edges" --out "$dir" --sellers "$sellers" "$@"
    "$guardrail" eval-scan --world "$dir" --lexicon lexicons/test.toml --bank "$dir/bank.txt" --json \
        >"$dir/eval.json"
    /usr/bin/python3 - "$name" "$label" "$dir/eval.json" <<'EOF'
import json, sys
name, label, path = sys.argv[1:]
r = json.load(open(path))
scan, p, l = r["detection"][0], r["planted"], r["linking"]
pct = lambda x: f"{100 * x:.1f}%"
real = "-" if p["real"] is None else f'{p["real_flagged"]} ({100 * p["real_flagged_share"]:.2f}%)'
print(f'| {name} | {label} '
      f'| {p["sellers"][1]}/{p["sellers"][0]} ({pct(p["seller_recall"])}) '
      f'| {p["buyers_two_sellers_found"]}/{p["buyers_two_sellers"]} ({pct(p["buyer_recall"])}) '
      f'| {pct(scan["precision"])} '
      f'| {scan["benign_flagged"]} ({100 * scan["benign_flagged_share"]:.2f}%) '
      f'| {real} '
      f'| {p["backups"][1]}/{p["backups"][0]} ({p["corroborated_backups"][1]}/{p["corroborated_backups"][0]}) '
      f'| {p["returning"][1]}/{p["returning"][0]} '
      f'| {l["wrong_pairs"]} '
      f'| {r["scan_seconds"]:.2f} |')
EOF
}

echo "| graph | settings | seller recall | buyer recall (>= 2 sellers) | precision | benign flagged | real flagged | backups linked (corroborated) | returning linked | wrong merges | scan s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for name in "${names[@]}"; do
    if [[ ${QUICK:-0} == 1 ]]; then
        for camouflage in 0 10; do
            row "$name" "camouflage $camouflage" --camouflage "$camouflage"
        done
        continue
    fi
    for camouflage in 0 5 10 20; do
        for target in random popular; do
            for declared in main backup; do
                row "$name" "camouflage $camouflage $target, backups declared by $declared" \
                    --camouflage "$camouflage" --camouflage-target "$target" --backup-declared "$declared"
            done
        done
    done
    row "$name" "buyer_min_sellers 2, sellers_follow_each_other 0" \
        --buyer-min-sellers 2 --sellers-follow-each-other 0
done
