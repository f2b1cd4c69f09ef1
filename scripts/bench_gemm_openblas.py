#!/usr/bin/python3
"""OpenBLAS peer for scripts/bench_gemm.mjs: times numpy's np.matmul on float32.

Run with the Debian interpreter (/usr/bin/python3, python3-numpy), whose libblas
alternative points at OpenBLAS (libopenblas0-pthread). Prints one JSON object per line:
  {"op":"gemm","impl":"openblas","m","n","k","transA","transB","beta","gflops","seconds",
   "threads","blas":"<path of the BLAS library mapped into this process>","numpy":"x.y.z"}

usage: bench_gemm_openblas.py [--threads 2] [--iters N] [--cases JSON] [--sizes 256,512] [--serve]
  --cases: a JSON list of {"m","n","k","transA","transB","beta"} (the same cases as ours)
  --iters: timed calls per case, best taken (default: about 0.3 s of work, 3..50)
  --serve: read one case (JSON, may carry "iters") per line on stdin, answer one line each
           (lets the caller interleave its own timings with ours case by case)

Note: OpenBLAS worker threads busy-wait for about 0.1 s after each call; a caller that
times something else on the same cores right after should wait that long first.

transA / transB are passed to matmul as transposed views (a.T of a K x M array), which
numpy hands to BLAS as a transposed operand, so no copy is timed. numpy has no beta: for
beta != 0 the product alone is timed (slightly favouring OpenBLAS).
"""
import argparse
import json
import os
import sys


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iters", type=int, default=0)
    p.add_argument("--cases", type=str, default="")
    p.add_argument("--sizes", type=str, default="")
    p.add_argument("--serve", action="store_true")
    a = p.parse_args()
    if a.threads < 1:
        p.error("--threads must be >= 1")
    return a


def main():
    args = parse_args()
    # Thread count must be fixed before numpy (and OpenBLAS) is loaded.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import time

    import numpy as np

    cases = []
    if args.cases:
        cases = json.loads(args.cases)
    if args.sizes:
        cases += [{"m": s, "n": s, "k": s} for s in map(int, args.sizes.split(","))]
    if not cases:
        cases = [{"m": s, "n": s, "k": s} for s in (256, 512, 1024, 2048)]

    # Which BLAS does numpy really use? Run one product, then look at what is mapped.
    x = np.ones((64, 64), dtype=np.float32)
    np.matmul(x, x)
    blas = sorted(
        {line.split()[-1] for line in open("/proc/self/maps") if "blas" in line.lower() and "/" in line}
    )
    main_blas = next((b for b in blas if "openblas" in os.path.basename(b).lower()), None) or next(
        (b for b in blas if "libblas" in os.path.basename(b)), blas[0] if blas else "unknown"
    )
    if "openblas" not in main_blas.lower():
        print(f"warning: numpy's BLAS is not OpenBLAS: {blas}", file=sys.stderr)

    rng = np.random.default_rng(1)

    def run(c):
        m, n, k = int(c["m"]), int(c["n"]), int(c["k"])
        ta, tb = bool(c.get("transA", False)), bool(c.get("transB", False))
        beta = float(c.get("beta", 0.0))
        if min(m, n, k) < 1:
            raise ValueError(f"m, n, k must be >= 1, got {m}, {n}, {k}")
        a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
        b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
        opa = a.T if ta else a
        opb = b.T if tb else b
        out = np.empty((m, n), dtype=np.float32)
        flops = 2.0 * m * n * k
        iters = int(c.get("iters") or args.iters or max(3, min(50, int(0.3 / (flops / 100e9) + 0.5))))
        np.matmul(opa, opb, out=out)  # warm-up
        best = float("inf")
        for _ in range(iters):
            t0 = time.perf_counter()
            np.matmul(opa, opb, out=out)
            best = min(best, time.perf_counter() - t0)
        return {
            "op": "gemm",
            "impl": "openblas",
            "m": m,
            "n": n,
            "k": k,
            "transA": ta,
            "transB": tb,
            "beta": beta,
            "gflops": flops / best / 1e9,
            "seconds": best,
            "threads": args.threads,
            "blas": main_blas,
            "numpy": np.__version__,
        }

    if args.serve:
        for line in sys.stdin:
            if line.strip():
                print(json.dumps(run(json.loads(line))), flush=True)
        return
    for c in cases:
        print(json.dumps(run(c)), flush=True)


if __name__ == "__main__":
    main()
