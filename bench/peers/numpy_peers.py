#!/usr/bin/env python3
"""CPU peers in NumPy/SciPy: the cheapest correct call a user would make for each algorithm family
lsgd runs, on lsgd's own problems (bench/peers/cases.py reads the binaries' case list and problem
files), in the data's precision where the library allows it.

  family     solver                    what it calls
  normal_eq  scipy.cho_solve           A^T A (GEMM), scipy.linalg.cho_factor + cho_solve (LAPACK
                                       ?potrf/?potrs in the data's precision)
             numpy.normal_eq           numpy.linalg.solve(A^T A, A^T b) (LU; NumPy's linalg computes
                                       in float64 even for float32 data: compute_precision f64)
  qr         scipy.gels                LAPACK ?gels through scipy.linalg.lapack (Householder QR, Q^T b
                                       applied, never formed)
             scipy.qr_multiply         scipy.linalg.qr_multiply (Q^T b without forming Q) +
                                       solve_triangular
  rrqr       scipy.lstsq.gelsy         scipy.linalg.lstsq(lapack_driver="gelsy") (pivoted QR / COD)
  svd        scipy.lstsq.gelsd         scipy.linalg.lstsq(lapack_driver="gelsd")
             numpy.lstsq               numpy.linalg.lstsq (gelsd; float64 even for float32 data)
  batched    numpy.batched.normal_eq   stacked A^T A, A^T b (matmul) + numpy.linalg.solve (f64 compute)
             scipy.batched.cho_solve   stacked A^T A, A^T b + cho_factor/cho_solve per problem
             numpy.batched.qr          stacked numpy.linalg.qr + R solve (f64 compute)
             scipy.batched.gels        ?gels per problem
  gd         numpy.matmul              r = A x - b; g = A^T r / m; x -= g / L, k iterations from 0;
             (.momentum, .nesterov)    L from 20 power iterations from ones / sqrt(n), timed with the
                                       loop, as lsgd's solvers do; heavy ball (beta 0.9) and Nesterov
                                       ((k-1)/(k+2)) with lsgd's update rules
  bgd        numpy.matmul              the same loop on the (B, m, n) stack

  bench/peers/numpy_peers.py --worker           (run by bench/peers/run_peers.py)
  bench/peers/numpy_peers.py --history FILE     GD convergence histories (docs/peers-and-figures.md)
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases  # noqa: E402
import common  # noqa: E402

if __name__ == "__main__":
    common.lr.require_modules(["numpy", "scipy"], "numpy_peers.py", "python3-numpy python3-scipy")

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.linalg as sla  # noqa: E402

LIBRARY = "numpy"
DTYPES = {"f32": np.float32, "f64": np.float64}
POWER_ITERS = 20       # lsgd's SolverOptions::power_iters
MOMENTUM = 0.9         # lsgd's kDefaultMomentum


def context():
    ctx = {"numpy": np.__version__, "scipy": scipy.__version__}
    np.ones((4, 4)) @ np.ones((4, 4))  # BLAS loaded
    sla.cho_factor(np.eye(4))           # LAPACK loaded
    ctx.update(cases.blas_info())
    return ctx


def loaded_blas():
    """The BLAS/LAPACK libraries this process loaded (bench/peers/inproc_peers.py records it)."""
    return cases.blas_info()["blas"]


# Problems: lsgd's files, in the layout each call wants (untimed)


def load(directory, problem):
    a, b, x = cases.read_problem(directory, problem)
    if problem.get("batch"):
        # (B, m, n) stacks, each problem contiguous, b and x as (B, k, 1) columns.
        a = np.ascontiguousarray(a)
        b = np.ascontiguousarray(b)[:, :, None]
        x = np.ascontiguousarray(x)[:, :, None]
    return {"A": a, "b": b, "x_true": x}


def error(x, data):
    """max over the batch of ||x - x_true|| / ||x_true||, in double; NaN propagates."""
    x = np.asarray(x, dtype=np.float64).reshape(data["x_true"].shape)
    t = data["x_true"].astype(np.float64)
    err = np.linalg.norm(x - t, axis=-2 if t.ndim == 3 else 0) / \
        np.linalg.norm(t, axis=-2 if t.ndim == 3 else 0)
    return float(np.max(err)) if not np.isnan(err).any() else float("nan")


def error_message(solver, exc):
    if isinstance(exc, (np.linalg.LinAlgError, ValueError, MemoryError)):
        return f"{solver.name}: {type(exc).__name__}: {exc}"
    return None


# Direct solvers (the code a user would write)


def normal_eq_cho(a, b):
    return sla.cho_solve(sla.cho_factor(a.T @ a, check_finite=False), a.T @ b, check_finite=False)


def normal_eq_solve(a, b):
    return np.linalg.solve(a.T @ a, a.T @ b)


def gels(a, b):
    fn = sla.get_lapack_funcs("gels", (a, b))
    _, x, info = fn(a, b)
    if info != 0:
        raise np.linalg.LinAlgError(f"?gels info = {info}")
    return x[:a.shape[1]]


def qr_multiply(a, b):
    cq, r = sla.qr_multiply(a, b.reshape(1, -1), mode="right")  # b^T Q = (Q^T b)^T, economic
    n = a.shape[1]
    return sla.solve_triangular(r[:n, :n], cq[0, :n], check_finite=False)


def gelsy(a, b):
    return sla.lstsq(a, b, lapack_driver="gelsy", check_finite=False)[0]


def gelsd(a, b):
    return sla.lstsq(a, b, lapack_driver="gelsd", check_finite=False)[0]


def numpy_lstsq(a, b):
    return np.linalg.lstsq(a, b, rcond=None)[0]


def batched_normal_eq(a, b):
    at = np.swapaxes(a, -1, -2)
    return np.linalg.solve(at @ a, at @ b)


def batched_cho(a, b):
    at = np.swapaxes(a, -1, -2)
    g, c = at @ a, at @ b
    return np.stack([sla.cho_solve(sla.cho_factor(g[q], check_finite=False), c[q],
                                   check_finite=False) for q in range(a.shape[0])])


def batched_qr(a, b):
    q, r = np.linalg.qr(a)
    return np.linalg.solve(r, np.swapaxes(q, -1, -2) @ b)


def batched_gels(a, b):
    fn = sla.get_lapack_funcs("gels", (a[0], b[0]))
    n = a.shape[2]
    out = np.empty((a.shape[0], n, 1), dtype=a.dtype)
    for q in range(a.shape[0]):
        _, x, info = fn(a[q], b[q])
        if info != 0:
            raise np.linalg.LinAlgError(f"?gels info = {info} (problem {q})")
        out[q] = x[:n]
    return out


# Gradient descent: lsgd's rules (cpu/gd_common.hpp)


def lipschitz(a):
    """lsgd's power iteration: v = ones/sqrt(n); w = A^T A v / m; L = ||w||; v = w / L; 20 times.
    Per problem on a stack."""
    m, n = a.shape[-2], a.shape[-1]
    at = np.swapaxes(a, -1, -2)
    v = np.full(a.shape[:-2] + (n, 1), 1.0 / np.sqrt(n), dtype=a.dtype)
    L = None
    for _ in range(POWER_ITERS):
        w = (at @ (a @ v)) / m
        L = np.linalg.norm(w, axis=-2, keepdims=True)
        v = w / L
    return L


def gd(a, b, iters, variant="gd"):
    """k iterations from x = 0 on f = 1/(2m) ||A x - b||^2, step 1/L: plain, heavy ball, Nesterov."""
    m = a.shape[-2]
    at = np.swapaxes(a, -1, -2)
    b = b.reshape(a.shape[:-1] + (1,))
    alpha = (1.0 / lipschitz(a)).astype(a.dtype)
    x = np.zeros(a.shape[:-2] + (a.shape[-1], 1), dtype=a.dtype)
    x_prev = np.zeros_like(x)
    g_prev = np.zeros_like(x)
    beta = a.dtype.type(MOMENTUM)
    for k in range(iters):
        g = (at @ (a @ x - b)) / a.dtype.type(m)
        if variant == "gd":
            x = x - alpha * g
        elif variant == "momentum":
            x, x_prev = x - alpha * g + beta * (x - x_prev), x
        else:
            mu = a.dtype.type(0.0 if k == 0 else (k - 1) / (k + 2))
            x, x_prev = x + mu * (x - x_prev) - alpha * ((1 + mu) * g - mu * g_prev), x
            g_prev = g
    return x


DIRECT = {  # family -> [(name, fn, computes in float64 whatever the data)]
    "normal_eq": [("scipy.cho_solve", normal_eq_cho, False),
                  ("numpy.normal_eq", normal_eq_solve, True)],
    "qr": [("scipy.gels", gels, False), ("scipy.qr_multiply", qr_multiply, False)],
    "rrqr": [("scipy.lstsq.gelsy", gelsy, False)],
    "svd": [("scipy.lstsq.gelsd", gelsd, False), ("numpy.lstsq", numpy_lstsq, True)],
}
BATCHED = {
    "normal_eq": [("numpy.batched.normal_eq", batched_normal_eq, True),
                  ("scipy.batched.cho_solve", batched_cho, False)],
    "qr": [("numpy.batched.qr", batched_qr, True), ("scipy.batched.gels", batched_gels, False)],
}
GD_VARIANTS = {"gd": "numpy.matmul", "momentum": "numpy.matmul.momentum",
               "nesterov": "numpy.matmul.nesterov"}


def solvers(w, data):
    """The solvers of the families lsgd runs on workload w (CPU only)."""
    if w.device != "cpu":
        return []
    a, b = data["A"], data["b"]
    out = []
    f64 = "f64"
    if w.family in ("ls", "tta"):
        for fam in sorted(w.wanted & set(DIRECT)):
            for name, fn, promotes in DIRECT[fam]:
                out.append(cases.Solver(name, fam, (lambda fn=fn: fn(a, b)),
                                        f64 if promotes else None))
    elif w.family == "bls":
        for fam in sorted(w.wanted & set(BATCHED)):
            for name, fn, promotes in BATCHED[fam]:
                out.append(cases.Solver(name, fam, (lambda fn=fn: fn(a, b)),
                                        f64 if promotes else None))
    elif w.family in ("gd", "bgd"):
        for fam in sorted(w.wanted & set(GD_VARIANTS)):
            out.append(cases.Solver(GD_VARIANTS[fam], fam,
                                    (lambda fam=fam: gd(a, b, w.iterations, fam))))
    return out


# Convergence histories (the peers' own figure; no lsgd twin)


def kappa_problem(m, n, kappa, prec, seed):
    """A = U diag(sigma) V^T, sigma geometric from 1 to 1/kappa; consistent b."""
    rng = np.random.default_rng(seed)
    u, _ = np.linalg.qr(rng.standard_normal((m, n)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    a64 = (u * np.geomspace(1.0, 1.0 / kappa, n)) @ v.T
    x_true = rng.standard_normal(n)
    x_true /= np.linalg.norm(x_true)
    return a64.astype(DTYPES[prec]), (a64 @ x_true).astype(DTYPES[prec]), x_true


def histories(path, quick):
    """GD convergence histories (rel_err every `every` iterations), a few kappas."""
    m, n = (1024, 32) if quick else (4096, 64)
    iters, every = (500, 10) if quick else (3000, 20)
    out = []
    for prec in ("f64", "f32"):
        for kappa in common.HISTORY_KAPPAS_H:
            a, b, x_true = kappa_problem(m, n, kappa ** 0.5, prec, seed=int(kappa))
            t0 = common.time.perf_counter()
            gd(a, b, 100)
            per_iter = (common.time.perf_counter() - t0) / 100
            data = {"x_true": x_true}
            errs = [error(np.zeros(n), data)] + [error(gd(a, b, k), data)
                                                 for k in range(every, iters + 1, every)]
            out.append({"solver": "numpy.matmul", "precision": prec, "kappa": kappa, "m": m,
                        "n": n, "method": "gd", "step": "1/L", "seconds_per_iter": per_iter,
                        "every": every, "rel_err": errs})
    ctx = common.base_context("numpy", "cpu", {"numpy": np.__version__})
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"context": ctx, "histories": out}, f, indent=1)
        f.write("\n")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--worker"]:
        cases.worker_main(sys.modules[__name__])
        return 0
    if len(argv) in (2, 3) and argv[0] == "--history":
        histories(argv[1], quick=argv[2:] == ["--quick"])
        return 0
    print("usage: numpy_peers.py --worker | --history FILE [--quick]\n"
          "(the peers run through bench/peers/run_peers.py, which reads the binaries' case list)",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
