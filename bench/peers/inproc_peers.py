#!/usr/bin/env python3
"""lsgd against NumPy/SciPy in ONE process, on the SAME arrays, interleaved and paired.

Each pair of workloads solves one problem with an lsgd solver (through the Python package, docs/python.md)
and with the NumPy/SciPy code of the same algorithm family on the same LAPACK driver or kernels:

  cpu.cholesky  vs scipy.cho        G = A.T @ A (NumPy's SYRK path), c = A.T @ b, scipy.linalg.cho_factor
                                    + cho_solve (LAPACK POTRF/POTRS)
  cpu.qr        vs scipy.lapack.qr  LAPACK GEQRF + ORMQR (Q^T b) + TRTRS through scipy.linalg.lapack
  cpu.svd       vs scipy.gelsd      scipy.linalg.lstsq(lapack_driver="gelsd")  (lsgd's cpu.svd calls GELSD)
  cpu.cod       vs scipy.gelsy      scipy.linalg.lstsq(lapack_driver="gelsy")  (lsgd's cpu.cod calls GELSY)

For each pair and shape, after warm-up, R rounds run both calls back to back in a random order (a fresh
coin per round), so slow drifts of the machine (other processes, clocks) hit both sides alike. The timed
region is the whole Python call from the caller's arrays to x, on both sides: lsgd's includes its one copy
of A into its column-major layout and its setup, the peer's its own copies and workspace. lsgd's internal
timed_solve() (result.time_s, the region of the C++ benchmarks) is reported beside it.

The ratio lsgd/peer is estimated per round (the pair shares the machine's state) and summarized by the
median of the R paired ratios, with a 95% distribution-free interval for that median from order
statistics (the sign-test interval: ranks k and R+1-k with k the largest rank such that
P(Binomial(R, 1/2) < k) <= 2.5%), and a bootstrap percentile interval of the same median as a cross-check.
Accuracy is reported beside time: the forward error of both x against the exact solution of the
generated problem, and the relative normal-equation residual.

  /usr/bin/python3 bench/peers/inproc_peers.py --build-dir build/cuda --out results/local/inproc.json
  ... --pairs cholesky --shapes 4096x256,16384x64 --dtypes f64 --rounds 101

Prints a Markdown table; --out writes JSON (per pair: every round's times, the ratios, the intervals,
accuracy, the machine state) for the record. Both sides run on the same OpenBLAS in this process
(the BLAS libraries loaded are listed) with the same thread count (--threads, default all cores).
"""
import argparse
import json
import math
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common  # noqa: E402

if __name__ == "__main__":
    _missing = common.reexec_with(["numpy", "scipy"])
    if _missing:
        print("inproc_peers.py: needs %s (apt-get install python3-numpy python3-scipy)"
              % ", ".join(_missing), file=sys.stderr)
        sys.exit(2)

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.linalg as sla  # noqa: E402
from scipy.linalg import lapack  # noqa: E402

from numpy_peers import kappa_problem, loaded_blas  # noqa: E402


def import_lsgd(build_dir):
    """lsgd from a build tree (build/<preset>/python) or, without one, the installed package."""
    if build_dir:
        path = os.path.join(os.path.abspath(build_dir), "python")
        if not os.path.isfile(os.path.join(path, "lsgd", "__init__.py")):
            sys.exit("inproc_peers.py: no Python module in %s (configure with nanobind found; "
                     "docs/python.md)" % path)
        sys.path.insert(0, path)
    import lsgd
    return lsgd


# The peers: f(A, b) -> x, NumPy/SciPy only, on the caller's arrays. check_finite=False: the peers
# skip the NaN/Inf pass over A that lsgd makes in its setup (inside lsgd's wall time), which can only
# favour the peer.

def scipy_cho(A, b):
    G = A.T @ A
    c = A.T @ b
    return sla.cho_solve(sla.cho_factor(G, lower=False, overwrite_a=True, check_finite=False), c,
                         overwrite_b=True, check_finite=False)


def scipy_lapack_qr(A, b):
    geqrf, ormqr, trtrs = lapack.get_lapack_funcs(("geqrf", "ormqr", "trtrs"), (A,))
    n = A.shape[1]
    qr, tau, _, info = geqrf(A, overwrite_a=False)
    if info != 0:
        raise RuntimeError("geqrf info %d" % info)
    lwork = max(1, b.shape[0] * 64)
    c, _, info = ormqr("L", "T", qr, tau, b.reshape(-1, 1), lwork, overwrite_c=False)
    if info != 0:
        raise RuntimeError("ormqr info %d" % info)
    x, info = trtrs(qr[:n, :n], c[:n], lower=0)
    if info != 0:
        raise RuntimeError("trtrs info %d" % info)
    return x.ravel()


def scipy_gelsd(A, b):
    return sla.lstsq(A, b, lapack_driver="gelsd", check_finite=False)[0]


def scipy_gelsy(A, b):
    return sla.lstsq(A, b, lapack_driver="gelsy", check_finite=False)[0]


PAIRS = {
    "cholesky": ("cpu.cholesky", "scipy.cho", scipy_cho),
    "qr": ("cpu.qr", "scipy.lapack.qr", scipy_lapack_qr),
    "svd": ("cpu.svd", "scipy.gelsd", scipy_gelsd),
    "cod": ("cpu.cod", "scipy.gelsy", scipy_gelsy),
}


def make_problem(m, n, kappa, prec, seed, order):
    """numpy_peers.kappa_problem (lsgd's generator: sigma geometric 1 .. 1/kappa, consistent b), A stored
    in `order` ("F": LAPACK's column-major, "C")."""
    A, b, x_true = kappa_problem(m, n, kappa, prec, seed)
    return np.array(A, order=order), b, x_true


def accuracy(A, b, x, x_true):
    A64, b64, x64 = A.astype(np.float64), b.astype(np.float64), np.asarray(x, dtype=np.float64)
    fe = float(np.linalg.norm(x64 - x_true) / np.linalg.norm(x_true))
    r = b64 - A64 @ x64
    na = np.linalg.norm(A64)
    ne = float(np.linalg.norm(A64.T @ r) / (na * (na * np.linalg.norm(x64) + np.linalg.norm(b64))))
    return {"forward_error": fe, "normal_eq_residual": ne}


def sign_test_interval(values, level=0.95):
    """Distribution-free interval for the median: order statistics (k, R+1-k), 1-based, with k the
    largest rank such that P(Binomial(R, 1/2) <= k-1) <= (1-level)/2. None when R is too small."""
    v = sorted(values)
    R = len(v)
    alpha = (1.0 - level) / 2.0
    cdf, k = 0.0, 0
    for j in range(R + 1):
        cdf += math.comb(R, j) / 2.0 ** R
        if cdf > alpha:
            k = j  # P(Bin <= j-1) <= alpha < P(Bin <= j): rank j is the lower endpoint
            break
    if k < 1:
        return None
    return v[k - 1], v[R - k]


def bootstrap_interval(values, level=0.95, draws=4000, seed=1):
    rng = np.random.default_rng(seed)
    v = np.asarray(values)
    medians = np.median(v[rng.integers(0, v.size, size=(draws, v.size))], axis=1)
    lo, hi = np.quantile(medians, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


def run_pair(lsgd, key, A, b, x_true, rounds, warmup, threads, rng):
    solver, peer_name, peer = PAIRS[key]
    options = {"threads": threads} if threads else {}

    def call_lsgd():
        t = time.perf_counter()
        r = lsgd.lstsq(A, b, solver=solver, **options)
        return time.perf_counter() - t, r

    def call_peer():
        t = time.perf_counter()
        x = peer(A, b)
        return time.perf_counter() - t, x

    for _ in range(warmup):
        call_lsgd()
        call_peer()
    wall, inner, peer_t, first = [], [], [], []
    before = common.cpu_sample()
    for _ in range(rounds):
        lsgd_first = rng.random() < 0.5
        if lsgd_first:
            (tl, r), (tp, xp) = call_lsgd(), call_peer()
        else:
            (tp, xp), (tl, r) = call_peer(), call_lsgd()
        wall.append(tl)
        inner.append(r.time_s)
        peer_t.append(tp)
        first.append("lsgd" if lsgd_first else "peer")
    after = common.cpu_sample()
    ratios = [a / p for a, p in zip(wall, peer_t)]
    inner_ratios = [a / p for a, p in zip(inner, peer_t)]
    return {
        "pair": key, "lsgd_solver": solver, "peer": peer_name,
        "lsgd_wall_s": wall, "lsgd_timed_solve_s": inner, "peer_s": peer_t, "first": first,
        "median_lsgd_wall_s": float(np.median(wall)), "median_lsgd_timed_solve_s": float(np.median(inner)),
        "median_peer_s": float(np.median(peer_t)),
        "ratio_median": float(np.median(ratios)),
        "ratio_ci95_sign_test": sign_test_interval(ratios),
        "ratio_ci95_bootstrap": bootstrap_interval(ratios),
        "timed_solve_ratio_median": float(np.median(inner_ratios)),
        "timed_solve_ratio_ci95_sign_test": sign_test_interval(inner_ratios),
        "accuracy_lsgd": accuracy(A, b, r.x, x_true),
        "accuracy_peer": accuracy(A, b, xp, x_true),
        "lsgd_threads": r.threads,
        "machine": common.machine_of(before, after),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default="", help="build tree with the module (build/<preset>); "
                    "default: build/cuda or build/cpu if present, else the installed package")
    ap.add_argument("--pairs", default="cholesky,qr,svd,cod", help="comma-separated: " + ", ".join(PAIRS))
    ap.add_argument("--shapes", default="4096x256,16384x64,1024x1024", help="MxN,... (m >= n)")
    ap.add_argument("--dtypes", default="f64,f32", help="f64,f32")
    ap.add_argument("--kappa", type=float, default=1e3, help="condition number of A (default 1e3)")
    ap.add_argument("--order", choices=("F", "C"), default="F",
                    help="memory order of A (F: LAPACK's, no copy on the SciPy side either)")
    ap.add_argument("--rounds", type=int, default=61, help="paired rounds per workload (>= 9)")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="lsgd threads (0: OMP_NUM_THREADS/all); "
                    "the peer's OpenBLAS follows OPENBLAS_NUM_THREADS")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="", help="write the JSON record here")
    args = ap.parse_args()
    if args.rounds < 9:
        ap.error("--rounds must be >= 9 (the 95%% sign-test interval needs 6 or more)")

    fix = common.openblas_coretype_fix()
    if fix and not os.environ.get("LSGD_PY_REEXEC_CORETYPE"):
        # Both sides load the same OpenBLAS: set its kernels before it loads, for both alike.
        env = dict(os.environ, OPENBLAS_CORETYPE=fix, LSGD_PY_REEXEC_CORETYPE="1")
        print("inproc_peers.py: OpenBLAS runs generic kernels here; OPENBLAS_CORETYPE=%s" % fix,
              file=sys.stderr)
        os.execve(sys.executable, [sys.executable] + sys.argv, env)

    build_dir = args.build_dir
    if not build_dir:
        root = os.path.dirname(os.path.dirname(HERE))
        for preset in ("cuda", "cpu"):
            if os.path.isfile(os.path.join(root, "build", preset, "python", "lsgd", "__init__.py")):
                build_dir = os.path.join(root, "build", preset)
                break
    lsgd = import_lsgd(build_dir)
    pairs = [p.strip() for p in args.pairs.split(",") if p.strip()]
    for p in pairs:
        if p not in PAIRS:
            ap.error("unknown pair %r (known: %s)" % (p, ", ".join(PAIRS)))
    shapes = []
    for s in args.shapes.split(","):
        m, n = (int(v) for v in s.lower().split("x"))
        if m < n:
            ap.error("shape %s: m < n" % s)
        shapes.append((m, n))
    rng = random.Random(args.seed)
    info = lsgd.build_info()
    context = {
        "script": "bench/peers/inproc_peers.py", "argv": sys.argv[1:],
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": sys.version.split()[0], "python_executable": sys.executable,
        "numpy": np.__version__, "scipy": scipy.__version__, "lsgd": lsgd.__version__,
        "lsgd_module": os.path.dirname(lsgd.__file__), "lsgd_build": info,
        "blas_loaded": None, "loadavg_start": os.getloadavg(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS", ""),
        "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS", ""),
    }
    results = []
    print("| pair | dtype | m x n | lsgd (ms) | lsgd timed_solve (ms) | peer (ms) | ratio lsgd/peer: median [95% CI] | "
          "forward error lsgd / peer | busy |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    dt_names = [d.strip() for d in args.dtypes.split(",") if d.strip()]
    if not dt_names or any(d not in ("f32", "f64") for d in dt_names):
        ap.error("--dtypes: f32 and/or f64, got %r" % args.dtypes)
    for dt_name in dt_names:
        for (m, n) in shapes:
            A, b, x_true = make_problem(m, n, args.kappa, dt_name, args.seed, args.order)
            for key in pairs:
                res = run_pair(lsgd, key, A, b, x_true, args.rounds, args.warmup, args.threads, rng)
                res.update({"dtype": dt_name, "m": m, "n": n, "kappa": args.kappa, "order": args.order,
                            "rounds": args.rounds})
                results.append(res)
                ci = res["ratio_ci95_sign_test"]
                print("| %s vs %s | %s | %dx%d | %.4g | %.4g | %.4g | %.3f [%.3f, %.3f] | %.1e / %.1e | %s |" % (
                    res["lsgd_solver"], res["peer"], dt_name, m, n, 1e3 * res["median_lsgd_wall_s"],
                    1e3 * res["median_lsgd_timed_solve_s"], 1e3 * res["median_peer_s"],
                    res["ratio_median"], ci[0], ci[1], res["accuracy_lsgd"]["forward_error"],
                    res["accuracy_peer"]["forward_error"],
                    "yes" if res["machine"]["busy"] else "no"), flush=True)
    context["blas_loaded"] = loaded_blas()
    context["loadavg_end"] = os.getloadavg()
    print("\nratio < 1: lsgd faster. CI: 95%% sign-test interval of the median paired ratio (%d rounds, "
          "order randomized per round). BLAS in this process: %s. Load average %.2f -> %.2f."
          % (args.rounds, context["blas_loaded"], context["loadavg_start"][0], context["loadavg_end"][0]))
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump({"context": context, "pairs": results}, f, indent=1)
        print("wrote", args.out, file=sys.stderr)


if __name__ == "__main__":
    main()
