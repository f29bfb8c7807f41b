#!/usr/bin/env python3
"""The CPU capability check: lsgd's CPU solvers against what a NumPy/SciPy user would write, same
machine, same run, same sizes, median of >= 5 repetitions each, as a markdown table of ratios and
the targets they are held to (bench/NOTES.md, section cpucap).

  bench/peers/cpu_targets.py [--build-dir build/cpu] [--repetitions 5] [--json FILE] [--only REGEX]

lsgd's side runs the Google Benchmark binaries of the build directory (bench_ls, bench_gd,
bench_bgd, bench_bls) with --benchmark_repetitions and reads the repetitions' manual times. The
peers' side runs the same functions as bench/peers/numpy_peers.py on its own Gaussian problems of
the same shape. lsgd's GD solvers time their power iteration for L (20 passes over A) inside the
solve, so the NumPy loops here time theirs too (numpy_peers.py, the figures' peer, leaves it untimed).

OpenBLAS older than the CPU falls back to generic kernels; then OPENBLAS_CORETYPE is set for both
sides (as scripts/bench does) and the table's footer names the kernels.

Measure on an otherwise idle machine: a busy core makes OpenMP's barriers ~1000x dearer, and the
load average at start and end is printed with the table so that a loaded run shows itself.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402  (path set above)

if __name__ == "__main__":
    _core = common.openblas_coretype_fix()
    if _core:  # before NumPy loads OpenBLAS: the variable is read at load time
        print(f"cpu_targets.py: OpenBLAS does not recognise this CPU (generic kernels); "
              f"OPENBLAS_CORETYPE={_core} for lsgd and NumPy alike", file=sys.stderr, flush=True)
        os.environ["OPENBLAS_CORETYPE"] = _core
        os.execv(sys.executable, [sys.executable] + sys.argv)
    _missing = common.reexec_with(["numpy", "scipy"])
    if _missing:
        print(f"cpu_targets.py: error: {sys.executable} cannot import {', '.join(_missing)} "
              "(apt-get install python3-numpy python3-scipy)", file=sys.stderr)
        sys.exit(2)

import numpy as np  # noqa: E402
import scipy.linalg as sla  # noqa: E402

import numpy_peers as peers  # noqa: E402


def normal_eq_cho(a, b):
    """The normal equations as a NumPy/SciPy user writes them: A^T A, cho_factor, cho_solve."""
    return sla.cho_solve(sla.cho_factor(a.T @ a, check_finite=False), a.T @ b, check_finite=False)


def gd(iters):
    """The same work as lsgd's timed solve: 20 power iterations for L, then `iters` GD steps.
    (numpy_peers.py leaves the power iteration untimed; lsgd's timed_solve() includes it.)"""
    def run(a, b):
        return peers.gd_loop(a, b, peers.gd_alpha(a), iters)
    return run


# (label, binary, lsgd benchmark name, preset, peer label, peer fn, shape, target ratio)
#   shape: ("ls", prec, m, n) | ("bls", prec, batch, m, n) | ("gd", prec, m, n) | ("bgd", prec, batch, m, n)
def workloads():
    w = []
    for m, n in ((1024, 1024), (4096, 256), (16384, 256), (262144, 32)):
        w.append((f"cpu.cholesky {m}x{n}", "bench_ls", f"ls/cpu.cholesky/f64/m:{m}/n:{n}/", "full",
                  "AᵀA + cho_factor/cho_solve", normal_eq_cho, ("ls", "f64", m, n), 1.3))
    for m, n in ((1024, 1024), (4096, 256), (16384, 256), (262144, 32)):
        w.append((f"cpu.qr {m}x{n}", "bench_ls", f"ls/cpu.qr/f64/m:{m}/n:{n}/", "full",
                  "scipy qr + solve_triangular", peers.solve_scipy_qr, ("ls", "f64", m, n), 1.0))
    for m, n in ((262144, 32), (1048576, 32)):
        w.append((f"cpu.tsqr {m}x{n}", "bench_ls", f"ls/cpu.tsqr/f64/m:{m}/n:{n}/", "full",
                  "scipy lstsq gelsy", peers.solve_scipy_gelsy, ("ls", "f64", m, n), 3.0))
    for m, n, preset in ((16384, 64, "quick"), (65536, 256, "full")):
        w.append((f"cpu.gd {m}x{n}, 100 it", "bench_gd", f"gd/cpu.gd/f64/m:{m}/n:{n}/iters:100/",
                  preset, "NumPy loop (+ power iteration)", gd(100), ("gd", "f64", m, n), 2.0))
    for batch, m, n in ((1024, 256, 32), (4096, 64, 8)):
        w.append((f"cpu.bgd f32 {batch}x({m}x{n}), 100 it", "bench_bgd",
                  f"bgd/cpu.bgd/f32/batch:{batch}/m:{m}/n:{n}/iters:100/", "full",
                  "NumPy batched matmul loop (+ power iteration)", gd(100),
                  ("bgd", "f32", batch, m, n), 5.0))
    for name in ("qr", "cholesky"):
        for batch in (1, 16, 256):
            w.append((f"cpu.batched.{name} {batch}x(64x8)", "bench_bls",
                      f"bls/cpu.batched.{name}/f64/batch:{batch}/m:64/n:8/", "full",
                      "NumPy stacked qr + solve", peers.solve_batched_qr,
                      ("bls", "f64", batch, 64, 8), 1.0))
    return w


def lsgd_median(build_dir, binary, name, preset, reps):
    exe = os.path.join(build_dir, "bench", binary)
    if not os.access(exe, os.X_OK):
        raise SystemExit(f"cpu_targets.py: {exe} not found; build it first (cmake --build "
                         f"--preset cpu, or pass --build-dir)")
    cmd = [exe, f"--lsgd_preset={preset}", "--lsgd_max_seconds=1000",
           f"--benchmark_filter=^{re.escape(name)}", f"--benchmark_repetitions={reps}",
           "--benchmark_format=json", "--benchmark_min_time=0.2"]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({res.returncode}): {res.stderr[-500:]}")
    doc = json.loads(res.stdout)
    times = [b["real_time"] * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
             for b in doc["benchmarks"]
             if b.get("run_type") == "iteration" and not b.get("error_occurred")]
    if not times:
        errors = [b.get("error_message", "") for b in doc["benchmarks"] if b.get("error_occurred")]
        raise RuntimeError(f"no timing for {name}: {errors or 'no benchmark matched'}")
    return statistics.median(times), len(times), doc.get("context", {})


def problem(shape, seed):
    kind, prec = shape[0], shape[1]
    if kind in ("ls", "gd"):
        a, b, _ = peers.gaussian_problem(shape[2], shape[3], prec, seed)
        return a, (b.reshape(-1, 1) if kind == "gd" else b)
    a, b, _ = peers.gaussian_problem(shape[3], shape[4], prec, seed, batch=shape[2])
    return a, b


def peer_median(fn, shape, reps):
    a, b = problem(shape, seed=7)
    fn(a, b)  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn(a, b)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fmt(s):
    return f"{s * 1e3:.3g} ms" if s >= 1e-3 else f"{s * 1e6:.3g} µs"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build-dir", default="build/cpu")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--json", help="also write the rows as JSON to this file")
    parser.add_argument("--only", help="only workloads whose label matches this regex")
    args = parser.parse_args(argv)
    if args.repetitions < 5:
        parser.error("--repetitions must be >= 5 (the targets are medians of >= 5)")
    load0 = os.getloadavg()
    rows, context = [], {}
    for label, binary, name, preset, peer, fn, shape, target in workloads():
        if args.only and not re.search(args.only, label):
            continue
        try:
            t_lsgd, n_lsgd, ctx = lsgd_median(args.build_dir, binary, name, preset,
                                               args.repetitions)
            context = context or ctx
            t_peer = peer_median(fn, shape, args.repetitions)
        except RuntimeError as e:
            print(f"cpu_targets.py: {label}: {e}", file=sys.stderr)
            rows.append({"workload": label, "error": str(e)})
            continue
        ratio = t_peer / t_lsgd
        rows.append({"workload": label, "lsgd_s": t_lsgd, "peer": peer, "peer_s": t_peer,
                     "ratio": ratio, "target": target, "met": ratio >= target,
                     "repetitions": n_lsgd})
        print(f"{label}: lsgd {fmt(t_lsgd)}, {peer} {fmt(t_peer)}, {ratio:.2f}x "
              f"(target {target}x)", file=sys.stderr, flush=True)
    load1 = os.getloadavg()
    print(f"| workload | lsgd (median of {args.repetitions}) | peer | peer time | ratio | target |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        if "error" in r:
            print(f"| {r['workload']} | error: {r['error'][:80]} | | | | |")
            continue
        mark = "met" if r["met"] else "**missed**"
        print(f"| {r['workload']} | {fmt(r['lsgd_s'])} | {r['peer']} | {fmt(r['peer_s'])} | "
              f"{r['ratio']:.2f}x | ≥ {r['target']}x {mark} |")
    print(f"\nload average at start {load0[0]:.2f}, at end {load1[0]:.2f}; BLAS (NumPy): "
          f"{peers.loaded_blas()}; lsgd BLAS: {context.get('blas_config', '?')}; lsgd ISA: "
          f"{context.get('isa_flags', '?')}; OpenMP region {context.get('omp_region_us', '?')} µs, "
          f"barrier {context.get('omp_barrier_us', '?')} µs")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"load_start": load0, "load_end": load1, "blas_numpy": peers.loaded_blas(),
                       "lsgd_context": context, "rows": rows}, f, indent=1)
            f.write("\n")
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
