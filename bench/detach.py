"""Detaches sellers from the graph: a share F of the planted sellers that the
platform never enforced against keep their account and post events (with
their hashtags) but lose every follow, view, like and comment, both ways.
Only what they post can then tie them to the network (the scan's hashtag
test); graph methods cannot reach them.

Usage: python3 bench/detach.py SRC_WORLD DST_WORLD F
then:  guardrail eval-scan --world DST_WORLD   (seller recall by role)
Reads truth.json only to pick the sellers (a test harness, not detection).
Writes DST_WORLD/detached.json, the accounts detached. Figures in docs/GRAPH.md.
"""
import json, os, random, shutil, sys

src, dst, share = sys.argv[1], sys.argv[2], float(sys.argv[3])
random.seed(11)
os.makedirs(dst, exist_ok=True)
shutil.copy(f"{src}/truth.json", f"{dst}/truth.json")
truth = json.load(open(f"{src}/truth.json"))
enforced = set()
with open(f"{src}/events.jsonl") as f:
    for line in f:
        if line.startswith('{"type":"enforcement"'):
            enforced.add(json.loads(line)["account"])
sellers = sorted(a for a, role in truth["network"].items() if role == "seller" and a not in enforced)
detached = set(random.sample(sellers, round(share * len(sellers))))
json.dump(sorted(detached), open(f"{dst}/detached.json", "w"))
author = {}
dropped = 0
with open(f"{src}/events.jsonl") as f, open(f"{dst}/events.jsonl", "w") as out:
    for line in f:
        kind = line[9:line.index('"', 9)]
        if kind in ("follow", "unfollow", "view", "like", "comment"):
            e = json.loads(line)
            ends = {e.get("from"), e.get("to"), e.get("viewer"), e.get("account"), e.get("actor")}
            if "post" in e:
                ends.add(author.get(e["post"]))
            if ends & detached:
                dropped += 1
                continue
        elif kind == "post":
            e = json.loads(line)
            author[e["post"]] = e["author"]
        out.write(line)
print(f"detached {len(detached)} of {len(sellers)} unenforced sellers; dropped {dropped} events")
