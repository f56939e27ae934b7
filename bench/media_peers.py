"""Peers for bench/media.sh, on the files media_bench wrote: FAISS binary
indexes (one thread, one query a call) and Meta's PDQ C++ via `pdqhash`."""
import sys, time
import numpy as np

def load(path):
    return np.fromfile(path, dtype=np.uint8).reshape(-1, 32)

def faiss_bench(d, nq):
    import faiss
    faiss.omp_set_num_threads(1)
    hay = load(f"{d}/haystack.bin")
    qs = load(f"{d}/queries.bin")
    truth = [tuple(map(int, l.split("\t"))) for l in open(f"{d}/truth.tsv")]
    # FAISS packs bits from the first byte; both sides use the same bytes, so
    # Hamming distances are the same as guardrail's.
    for name, make in [
        ("IndexBinaryMultiHash(nhash=16, b=16, nflip=1) [HMA's index]", lambda: mh()),
        ("IndexBinaryFlat", lambda: faiss.IndexBinaryFlat(256)),
    ]:
        def mh():
            ix = faiss.IndexBinaryMultiHash(256, 16, 16)
            ix.nflip = 1
            return ix
        t = time.perf_counter()
        ix = make()
        ix.add(hay)
        build = time.perf_counter() - t
        found = planted = 0
        t = time.perf_counter()
        results = {}
        for q in range(nq):
            lims, dist, ids = ix.range_search(qs[q:q + 1], 32)  # strict: distance < 32
            results[q] = set(ids[lims[0]:lims[1]].tolist())
        elapsed = time.perf_counter() - t
        for q, target, dd in truth:
            if q < nq:
                planted += 1
                found += target in results[q]
        print(f"faiss {name}: build {build:.1f} s, {nq / elapsed:.1f} queries/s over the first {nq} queries, "
              f"recall {found}/{planted}")
        del ix

def pdq_bench(d):
    import pdqhash
    for side, reps in [(512, 40), (1024, 12)]:
        px = np.fromfile(f"{d}/image-{side}.rgb", dtype=np.uint8).reshape(side, side, 3)
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            h, q = pdqhash.compute(px)
            times.append(time.perf_counter() - t)
        times.sort()
        bits = "".join(str(int(b)) for b in h)
        hexs = "%064x" % int(bits, 2)
        print(f"pdqhash (Meta C++) {side}x{side}: median {times[reps // 2] * 1e3:.2f} ms, min {times[0] * 1e3:.2f} ms "
              f"({reps} runs) -> {hexs} q{q}")

if __name__ == "__main__":
    what, d = sys.argv[1], sys.argv[2]
    if what == "faiss":
        faiss_bench(d, int(sys.argv[3]))
    else:
        pdq_bench(d)
