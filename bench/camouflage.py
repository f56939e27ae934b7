"""Adds camouflage to a world: every planted-network account follows K random
accounts and is followed by K random accounts, at the end of the stream.

Usage: python3 bench/camouflage.py SRC_WORLD DST_WORLD K
then:  guardrail eval-scan --world DST_WORLD
Reads truth.json only to know which accounts to camouflage (this is a test
harness, not detection). Figures in docs/GRAPH.md.
"""
import json, random, sys, os, shutil
src, dst, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
random.seed(7)
os.makedirs(dst, exist_ok=True)
shutil.copy(f"{src}/truth.json", f"{dst}/truth.json")
truth = json.load(open(f"{src}/truth.json"))
accounts = []
last = None
with open(f"{src}/events.jsonl") as f, open(f"{dst}/events.jsonl", "w") as out:
    for line in f:
        out.write(line)
        if line.startswith('{"type":"account"'):
            e = json.loads(line); accounts.append(e["account"])
        last = line
    seen = set(accounts)
    net = [a for a in truth["network"] if a in seen]
    # camouflage: every network account follows k random accounts (benign or not),
    # and k random benign accounts follow each network account back
    n = 0
    for a in net:
        for _ in range(k):
            b = random.choice(accounts)
            if b != a:
                n += 1
                out.write(json.dumps({"type": "follow", "id": f"camo{n}", "at": "2026-06-30T00:00:00Z", "from": a, "to": b}) + "\n")
            c = random.choice(accounts)
            if c != a:
                n += 1
                out.write(json.dumps({"type": "follow", "id": f"camo{n}", "at": "2026-06-30T00:00:00Z", "from": c, "to": a}) + "\n")
print("added", n, "camouflage follows for", len(net), "network accounts")
