#!/usr/bin/python3
"""Dumps real social and collaboration graphs shipped with graph-tool as edge
lists that `guardrail plant --graph FILE` reads.

Usage: /usr/bin/python3 bench/real_graphs.py OUT_DIR [NAME...]

Needs Debian's graph-tool: `apt-get install python3-graph-tool`, and Debian's
own interpreter (`/usr/bin/python3`; another `python3` on the PATH may lack
the module). Nothing is downloaded: the graphs come with the package.

Writes OUT_DIR/NAME.edges for each NAME (default: the graphs below): a first
line `# directed` or `# undirected`, a comment line `# vertices N` (ids run
from 0 to N-1, so isolated vertices are accounts too), then one `a b` line per
edge with integer vertex ids. A file that already exists is left alone, so re-runs are cheap.
"""
import os
import sys

DEFAULT = [
    "pgp-strong-2009",
    "email-Enron",
    "cond-mat-2005",
    "as-22july06",
    "astro-ph",
    "hep-th",
    "polblogs",
    "netscience",
]


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out_dir = argv[1]
    names = argv[2:] or DEFAULT
    os.makedirs(out_dir, exist_ok=True)
    try:
        import graph_tool.all as gt
    except ImportError:
        print(
            "real_graphs.py: graph_tool is missing: apt-get install python3-graph-tool "
            "(and run with /usr/bin/python3)",
            file=sys.stderr,
        )
        return 2
    for name in names:
        path = os.path.join(out_dir, f"{name}.edges")
        if os.path.exists(path):
            print(f"{path}: exists, skipped")
            continue
        if name not in gt.collection.descriptions:
            print(f"real_graphs.py: graph-tool has no graph named {name}", file=sys.stderr)
            return 2
        g = gt.collection.data[name]
        tmp = path + ".tmp"
        with open(tmp, "w") as out:
            out.write("# directed\n" if g.is_directed() else "# undirected\n")
            out.write(f"# vertices {g.num_vertices()}\n")
            edges = g.get_edges()
            out.write("".join(f"{a} {b}\n" for a, b in edges))
        os.replace(tmp, path)
        kind = "directed" if g.is_directed() else "undirected"
        print(f"{path}: {g.num_vertices()} vertices, {g.num_edges()} edges, {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
