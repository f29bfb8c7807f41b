#!/usr/bin/env python3
"""CPU peers: the least-squares and gradient-descent jobs of lsgd's CPU benchmarks in NumPy/SciPy.

What a user would write on a CPU without lsgd:
  numpy.lstsq        numpy.linalg.lstsq (LAPACK gelsd: SVD-based)
  scipy.qr           scipy.linalg.qr(mode="economic") + solve_triangular(R, Q^T b)
  scipy.lstsq.gelsd  scipy.linalg.lstsq(lapack_driver="gelsd")
  scipy.lstsq.gelsy  scipy.linalg.lstsq(lapack_driver="gelsy") (complete orthogonal factorization)
  numpy.normal_eq    numpy.linalg.solve(A^T A, A^T b) (accuracy sweep only: the normal-equation
                     penalty)
  numpy.qr           batched: numpy.linalg.qr on a (B, m, n) stack + numpy.linalg.solve(R, Q^T b)
  numpy.matmul       gradient descent: r = A @ x - b; g = A^T @ r / m; x -= (1/L) g, on one
                     problem or a (B, m, n) stack; L from 20 power iterations (not timed, as
                     lsgd's setup)

Writes Google Benchmark-schema JSON (see common.py); --history FILE also writes GD convergence
histories (schema in docs/peers-and-figures.md). Works with Debian's /usr/bin/python3 (python3-numpy,
python3-scipy); re-runs itself there when the python3 on PATH lacks NumPy.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402  (path set above)

if __name__ == "__main__":
    _missing = common.reexec_with(["numpy", "scipy"])
    if _missing:
        print(f"numpy_peers.py: error: {sys.executable} cannot import {', '.join(_missing)} "
              "(apt-get install python3-numpy python3-scipy)", file=sys.stderr)
        sys.exit(2)

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.linalg as sla  # noqa: E402

DTYPES = {"f32": np.float32, "f64": np.float64}

# lsgd's CPU sizes (common.py mirrors bench/presets.cpp), capped so that the full preset takes minutes
# on 2 cores: a cap on the elements of A (x iterations for GD) per benchmark.
PRESETS = {
    "quick": {
        "precisions": ["f32", "f64"],
        "ls": common.ls_shapes("quick") + [(1024, 1024)],
        "bls": common.bls_shapes("quick"),
        "gd": common.gd_shapes("quick"),
        "bgd": common.bgd_shapes("quick") + [(4096, 64, 8, 100)],
        "tta": common.tta_shapes("quick"),
        "kappas_h": common.TTA_KAPPAS_H["quick"],
        "max_elems": 1 << 22, "max_elem_iters": 1 << 28, "max_problem_iters": 1 << 20,
        "max_n_svd": 1024,                     # gelsd and numpy.lstsq beyond this are too slow
        "repetitions": 5, "budget_s": 0.25,
    },
    "full": {
        "precisions": ["f32", "f64"],
        "ls": common.ls_shapes("full"),
        "bls": common.bls_shapes("full"),
        "gd": common.gd_shapes("full"),
        "bgd": common.bgd_shapes("full"),
        "tta": common.tta_shapes("full"),
        "kappas_h": common.TTA_KAPPAS_H["full"],
        "max_elems": 1 << 26, "max_elem_iters": 1 << 31, "max_problem_iters": 1 << 22,
        "max_n_svd": 2048, "max_square": 4096,
        "repetitions": 5, "budget_s": 2.0,
    },
}


# Problems


def gaussian_problem(m, n, prec, seed, batch=None):
    """Consistent b = A x_true with Gaussian A and unit-norm x_true; b formed in double, rounded."""
    rng = np.random.default_rng(seed)
    dtype = DTYPES[prec]
    shape = (m, n) if batch is None else (batch, m, n)
    a = rng.standard_normal(shape, dtype=dtype)
    x_true = rng.standard_normal(shape[:-2] + (n, 1))
    x_true /= np.linalg.norm(x_true, axis=-2, keepdims=True)
    b = (a.astype(np.float64) @ x_true).astype(dtype)
    if batch is None:
        return a, b[:, 0], x_true[:, 0]
    return a, b, x_true


def kappa_problem(m, n, kappa, prec, seed):
    """A = U diag(sigma) V^T, sigma geometric from 1 to 1/kappa (lsgd's generator); consistent b."""
    rng = np.random.default_rng(seed)
    u, _ = np.linalg.qr(rng.standard_normal((m, n)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    sigma = np.geomspace(1.0, 1.0 / kappa, n)
    a64 = (u * sigma) @ v.T
    x_true = rng.standard_normal(n)
    x_true /= np.linalg.norm(x_true)
    a = a64.astype(DTYPES[prec])
    b = (a64 @ x_true).astype(DTYPES[prec])
    return a, b, x_true


def rel_err(x, x_true):
    """max over the batch of ||x - x_true|| / ||x_true|| (axis -2 holds a problem's vector)."""
    x = np.asarray(x, dtype=np.float64)
    x_true = np.asarray(x_true, dtype=np.float64)
    if x_true.ndim == 1:
        return float(np.linalg.norm(x - x_true) / np.linalg.norm(x_true))
    err = np.linalg.norm(x - x_true, axis=-2) / np.linalg.norm(x_true, axis=-2)
    return float(np.max(err)) if not np.isnan(err).any() else float("nan")


def ne_resid(a, b, x):
    """||A^T (b - A x)|| / (||A||_F (||A||_F ||x|| + ||b||)), in double."""
    a = a.astype(np.float64)
    x = np.asarray(x, dtype=np.float64)
    r = b.astype(np.float64) - a @ x
    norm_a = np.linalg.norm(a)
    scale = norm_a * (norm_a * np.linalg.norm(x) + np.linalg.norm(b))
    return float(np.linalg.norm(a.T @ r) / scale)


# Solvers (the code a user would write)


def solve_numpy_lstsq(a, b):
    return np.linalg.lstsq(a, b, rcond=None)[0]


def solve_scipy_qr(a, b):
    q, r = sla.qr(a, mode="economic", check_finite=False)
    return sla.solve_triangular(r, q.T @ b, check_finite=False)


def solve_scipy_gelsd(a, b):
    return sla.lstsq(a, b, lapack_driver="gelsd", check_finite=False)[0]


def solve_scipy_gelsy(a, b):
    return sla.lstsq(a, b, lapack_driver="gelsy", check_finite=False)[0]


def solve_normal_eq(a, b):
    return np.linalg.solve(a.T @ a, a.T @ b)


def solve_batched_qr(a, b):
    """(B, m, n) stack: NumPy's stacked QR (>= 1.22), then R x = Q^T b per problem."""
    q, r = np.linalg.qr(a)
    return np.linalg.solve(r, np.swapaxes(q, -1, -2) @ b)


LS_SOLVERS = {
    "numpy.lstsq": solve_numpy_lstsq,
    "scipy.qr": solve_scipy_qr,
    "scipy.lstsq.gelsd": solve_scipy_gelsd,
    "scipy.lstsq.gelsy": solve_scipy_gelsy,
}
SVD_BASED = {"numpy.lstsq", "scipy.lstsq.gelsd"}
TTA_SOLVERS = dict(LS_SOLVERS, **{"numpy.normal_eq": solve_normal_eq})


def power_lambda_max(a, iters=20, seed=7):
    """Largest eigenvalue of A^T A per problem (last two axes), by power iteration."""
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(a.shape[:-2] + (a.shape[-1], 1)).astype(a.dtype)
    at = np.swapaxes(a, -1, -2)
    for _ in range(iters):
        w = at @ (a @ v)
        v = w / np.linalg.norm(w, axis=-2, keepdims=True)
    av = a @ v
    return np.sum(av * av, axis=-2, keepdims=True)


def gd_alpha(a):
    """alpha = 1/L per problem, L = lambda_max(A^T A) / m (as lsgd), in A's precision."""
    return (a.shape[-2] / power_lambda_max(a)).astype(a.dtype)


def gd_loop(a, b, alpha, iters, x0=None):
    """Plain gradient descent on 1/(2m)||Ax - b||^2 with step alpha = 1/L, from x0 or 0."""
    at = np.swapaxes(a, -1, -2)
    m = a.shape[-2]
    if x0 is None:
        x = np.zeros(a.shape[:-2] + (a.shape[-1], 1), dtype=a.dtype)
    else:
        x = x0.copy()
    b = b.reshape(a.shape[:-1] + (1,))
    for _ in range(iters):
        r = a @ x - b
        g = (at @ r) / m
        x -= alpha * g
    return x


# Timing


def time_call(fn, repetitions, budget_s):
    """Warm-up call (not timed), then timed calls until the mean is known (common.repeat_until:
    at least `repetitions`, then relative standard error below 1%), or about `budget_s`."""
    out = fn()
    times = []

    def timed():
        nonlocal out
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    common.repeat_until(timed, times, repetitions, budget_s)
    return times, out


def loaded_blas():
    """The BLAS/LAPACK libraries this process loaded (Debian's alternatives pick reference BLAS or
    OpenBLAS at run time, a factor of ~20 in GEMM rate), from /proc/self/maps where it exists."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as f:
            paths = {line.split()[-1] for line in f if "/" in line}
    except OSError:
        return "unknown"
    keys = ("blas", "lapack", "mkl", "accelerate")
    libs = sorted(os.path.realpath(p) for p in paths
                  if any(k in os.path.basename(p).lower() for k in keys)
                  and ".cpython-" not in p)
    return ";".join(dict.fromkeys(libs)) or "unknown"


def ceilings(quick):
    """Measured CPU ceilings: copy bandwidth (read + write) and GEMM rates, as context strings."""
    n = 1024 if quick else 2048
    out = {}
    for prec in ("f32", "f64"):
        x = np.random.default_rng(0).standard_normal((n, n)).astype(DTYPES[prec])
        times, _ = time_call(lambda: x @ x, 3, 1.0)
        out[f"ceiling_cpu_gemm_{prec}_GFLOPs"] = f"{2.0 * n ** 3 / min(times) / 1e9:.1f}"
    src = np.ones(32 * 2 ** 20 // 8)
    dst = np.empty_like(src)
    times, _ = time_call(lambda: np.copyto(dst, src), 5, 1.0)
    out["ceiling_cpu_copy_GBps"] = f"{2.0 * src.nbytes / min(times) / 1e9:.1f}"
    return out


class Runner:
    """Runs the preset's benchmarks into a BenchWriter, reporting progress."""

    def __init__(self, preset, writer, only):
        self.p = PRESETS[preset]
        self.w = writer
        self.only = only
        self.progress = common.Progress()
        self.gemm = {prec: float(writer.context.get(f"ceiling_cpu_gemm_{prec}_GFLOPs", 0))
                     for prec in ("f32", "f64")}
        self.copy = float(writer.context.get("ceiling_cpu_copy_GBps", 0))

    def wanted(self, kind):
        return not self.only or kind in self.only

    def too_big(self, name, elems, iters=1, problems=1):
        """The preset's caps (2 cores): elements of A, elements x iterations, problems x iterations."""
        p = self.p
        if elems > p["max_elems"] or elems * iters > p["max_elem_iters"] \
                or problems * iters > p["max_problem_iters"]:
            self.progress.skip(name, "above this preset's CPU cap")
            return True
        return False

    def _record(self, name, times, counters, rate):
        self.w.add(name, times, counters, rate=rate)
        self.progress.report(name, times, f"rel_err {counters.get('rel_err', float('nan')):.2e}")

    def ls(self):
        for prec in self.p["precisions"]:
            for m, n in self.p["ls"]:
                if m == n and n > self.p.get("max_square", n):
                    continue
                if self.too_big(common.ls_name("*", prec, m, n), m * n):
                    continue
                a, b, x_true = gaussian_problem(m, n, prec, seed=m + n)
                for solver, fn in LS_SOLVERS.items():
                    name = common.ls_name(solver, prec, m, n)
                    if solver in SVD_BASED and n > self.p["max_n_svd"]:
                        self.progress.skip(name, f"n > {self.p['max_n_svd']} for SVD drivers")
                        continue
                    times, x = time_call(lambda: fn(a, b), self.p["repetitions"],
                                         self.p["budget_s"])
                    counters = {"rel_err": rel_err(x, x_true), "ne_resid": ne_resid(a, b, x),
                                "failed": 0}
                    rate = {"flops": common.flops_qr_ls(m, n),
                            "bytes": common.bytes_ls(m, n, common.ELEM_BYTES[prec]),
                            "peak": ("GFLOP/s", self.gemm[prec])}
                    self._record(name, times, counters, rate)

    def bls(self):
        for prec in self.p["precisions"]:
            for batch, m, n in self.p["bls"]:
                name = common.bls_name("numpy.qr", prec, batch, m, n)
                if self.too_big(name, batch * m * n):
                    continue
                a, b, x_true = gaussian_problem(m, n, prec, seed=batch + m + n, batch=batch)
                times, x = time_call(lambda: solve_batched_qr(a, b), self.p["repetitions"],
                                     self.p["budget_s"])
                eb = common.ELEM_BYTES[prec]
                rate = {"flops": batch * common.flops_qr_ls(m, n),
                        "bytes": batch * common.bytes_ls(m, n, eb),
                        "peak": ("GFLOP/s", self.gemm[prec])}
                self._record(name, times, {"rel_err": rel_err(x, x_true), "failed": 0}, rate)

    def _gd(self, name, a, b, x_true, iters, batch, m, n, prec):
        # The step 1/L (20 power iterations) is timed with the loop, as lsgd's GD solvers time
        # theirs (bench_gd / bench_bgd pass no Lipschitz constant) and as cpu_targets.py does.
        times, x = time_call(lambda: gd_loop(a, b, gd_alpha(a), iters), self.p["repetitions"],
                             self.p["budget_s"])
        eb = common.ELEM_BYTES[prec]
        rate = {"flops": batch * iters * common.flops_gd_iter(m, n),
                "bytes": batch * iters * common.bytes_gd_iter(m, n, eb),
                "peak": ("GB/s", self.copy)}
        self._record(name, times, {"rel_err": rel_err(x, x_true), "iters": iters, "failed": 0},
                     rate)

    def bgd(self):
        for prec in self.p["precisions"]:
            for batch, m, n, iters in self.p["bgd"]:
                name = common.bgd_name("numpy.matmul", prec, batch, m, n, iters)
                if self.too_big(name, batch * m * n, iters, batch):
                    continue
                a, b, x_true = gaussian_problem(m, n, prec, seed=batch + m + n, batch=batch)
                self._gd(name, a, b, x_true, iters, batch, m, n, prec)

    def gd(self):
        for prec in self.p["precisions"]:
            for m, n, iters in self.p["gd"]:
                name = common.gd_name("numpy.matmul", prec, m, n, iters)
                if self.too_big(name, m * n, iters):
                    continue
                a, b, x_true = gaussian_problem(m, n, prec, seed=m + n)
                self._gd(name, a, b, x_true.reshape(n, 1), iters, 1, m, n, prec)

    def tta(self):
        """Direct solvers against kappa: the solve's time, failed where rel_err misses the target.

        kappa in the names is kappa(A^T A) = kappa(A)^2 (lsgd's convention); one solve serves both
        targets."""
        for m, n in self.p["tta"]:
            for prec in self.p["precisions"]:
                for kappa_h in self.p["kappas_h"] + common.EXTRA_KAPPAS_H[prec]:
                    a, b, x_true = kappa_problem(m, n, kappa_h ** 0.5, prec,
                                                 seed=int(kappa_h) % 1000 + 1)
                    for solver, fn in TTA_SOLVERS.items():
                        self._tta_one(solver, fn, a, b, x_true, prec, m, n, kappa_h)

    def _tta_one(self, solver, fn, a, b, x_true, prec, m, n, kappa_h):
        names = [common.tta_name(solver, prec, m, n, kappa_h, t) for t in common.TTA_TARGETS]
        try:
            times, x = time_call(lambda: fn(a, b), self.p["repetitions"], self.p["budget_s"])
        except np.linalg.LinAlgError as e:
            for name in names:
                self.w.add_error(name, f"{solver}: {e}")
            self.progress.skip(names[0], str(e))
            return
        err = rel_err(x, x_true)
        for name, target in zip(names, common.TTA_TARGETS):
            counters = {"rel_err": err, "ne_resid": ne_resid(a, b, x),
                        "failed": int(not err <= target)}
            self._record(name, times, counters, {"flops": common.flops_qr_ls(m, n)})

    def run(self):
        for kind in ("ls", "bls", "gd", "bgd", "tta"):
            if self.wanted(kind):
                getattr(self, kind)()


def histories(path, quick):
    """GD convergence histories (rel_err every `every` iterations), a few kappas; docs/peers-and-figures.md."""
    m, n = (1024, 32) if quick else (4096, 64)
    iters, every = (500, 10) if quick else (3000, 20)
    out = []
    for prec in ("f64", "f32"):
        for kappa in common.HISTORY_KAPPAS_H:
            a, b, x_true = kappa_problem(m, n, kappa ** 0.5, prec, seed=int(kappa))
            alpha = gd_alpha(a)
            times, _ = time_call(lambda: gd_loop(a, b, alpha, 100), 3, 1.0)
            x = np.zeros((n, 1), dtype=a.dtype)
            errs = [rel_err(x, x_true.reshape(n, 1))]
            for _ in range(iters // every):
                x = gd_loop(a, b, alpha, every, x)
                errs.append(rel_err(x, x_true.reshape(n, 1)))
            out.append({"solver": "numpy.matmul", "precision": prec, "kappa": kappa, "m": m, "n": n,
                        "method": "gd", "step": "1/L", "seconds_per_iter": min(times) / 100,
                        "every": every, "rel_err": errs})
            print(f"history numpy.matmul {prec} kappa {kappa:g}: rel_err {errs[-1]:.2e} after "
                  f"{iters} iterations", file=sys.stderr, flush=True)
    ctx = common.base_context("numpy", "cpu", {"numpy": np.__version__})
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"context": ctx, "histories": out}, f, indent=1)
        f.write("\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="quick")
    parser.add_argument("--out", default="-", help="JSON output file ('-': stdout)")
    parser.add_argument("--only", nargs="*", choices=["ls", "bls", "gd", "bgd", "tta"],
                        help="run only these benchmark kinds")
    parser.add_argument("--history", metavar="FILE",
                        help="also write GD convergence histories to FILE")
    args = parser.parse_args(argv)

    print(f"numpy_peers: {sys.executable}, NumPy {np.__version__}, SciPy {scipy.__version__}, "
          f"preset {args.preset}", file=sys.stderr, flush=True)
    extra = {"numpy": np.__version__, "scipy": scipy.__version__, "preset": args.preset,
             "blas": loaded_blas(), "threads": os.cpu_count()}
    print(f"numpy_peers: BLAS/LAPACK {extra['blas']}", file=sys.stderr, flush=True)
    extra.update(ceilings(args.preset == "quick"))
    writer = common.BenchWriter(common.base_context("numpy", "cpu", extra))
    Runner(args.preset, writer, args.only).run()
    writer.write(args.out)
    if args.out != "-":
        print(f"numpy_peers: wrote {len(writer.benchmarks)} entries to {args.out}", file=sys.stderr)
    if args.history:
        histories(args.history, args.preset == "quick")
        print(f"numpy_peers: wrote histories to {args.history}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
