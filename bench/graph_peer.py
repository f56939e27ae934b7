"""networkit's PageRank on the edge list graph_bench wrote (bench/graph.sh).

Usage: graph_peer.py EDGE_LIST ITERATIONS
Prints the median of three timed runs of PageRank (damping 0.85) with the
iteration count fixed, on an undirected graph of the same edges, 2 threads.
"""
import statistics
import sys
import time

import networkit as nk

path, iterations = sys.argv[1], int(sys.argv[2])
nk.setNumberOfThreads(2)
t = time.perf_counter()
reader = nk.graphio.EdgeListReader(" ", 0, "#", True, False)
g = reader.read(path)
print(f"networkit {nk.__version__}: read {g.numberOfNodes()} nodes, {g.numberOfEdges()} edges "
      f"in {time.perf_counter() - t:.1f} s")
times = []
for _ in range(3):
    pr = nk.centrality.PageRank(g, 0.85, 1e-300)
    pr.maxIterations = iterations
    t = time.perf_counter()
    pr.run()
    times.append(time.perf_counter() - t)
print(f"networkit PageRank, {iterations} iterations, {nk.getMaxNumberOfThreads()} threads: "
      f"median of 3 {statistics.median(times):.2f} s (min {min(times):.2f})")
