"""Wall-clock A/B of text-engine builds: runs each given bench/text-compare
binary in turn, ROUNDS times, and prints per binary the median of its runs'
median rounds and the best round, for short checks and for bios and
captions, with each lexicon and rustrict. Alternating keeps both binaries in
the same weather on a shared machine; compare within one invocation only.

Usage: python3 bench/text-ab.py OLD_BINARY NEW_BINARY [ROUNDS]
(copy bench/text-compare/target/release/guardrail-text-bench aside after
building each version).
"""
import collections, os, re, subprocess, sys

args = sys.argv[1:]
rounds = int(args.pop()) if args and args[-1].isdigit() else 3
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "text-compare")
line = re.compile(
    r"(guardrail, test lexicon|guardrail, lexicon of 10k\+|rustrict 0.7)\s+(\d+) short checks/s"
    r" \(best\s+(\d+)\)\s+([\d.]+) MB/s long \(best\s+([\d.]+)\)")
names = {"guardrail, test lexicon": "test", "guardrail, lexicon of 10k+": "10k", "rustrict 0.7": "rustrict"}
runs = collections.defaultdict(list)
for _ in range(rounds):
    for binary in args:
        out = subprocess.run([binary], capture_output=True, text=True, cwd=here).stdout
        for m in line.finditer(out):
            runs[(binary, names[m.group(1)])].append(
                (int(m.group(2)), int(m.group(3)), float(m.group(4)), float(m.group(5))))
for (binary, name), v in sorted(runs.items()):
    med = lambda i: sorted(x[i] for x in v)[len(v) // 2]
    best = lambda i: max(x[i] for x in v)
    print(f"{binary:40} {name:8} short {med(0) / 1e6:.2f} M/s (best {best(1) / 1e6:.2f})"
          f" | long {med(2):.1f} MB/s (best {best(3):.1f})")
