"""Shared helpers of the Python suite (tests/python; docs/python.md).

Thresholds come from the bounds the C++ suites check (tests/test_lstsq.cpp, tests/test_gd.cpp), with
the same constant c = 30 (LAPACK's test drivers):
  backward-stable solvers (error_growth "kappa"):   ||x - x_ref|| / ||x_ref|| <= c kappa eps
  normal equations / GD ("kappa^2"):                ||x - x_ref|| / ||x_ref|| <= c kappa^2 eps
  gradient descent stopped at ||g|| <= tol ||g(0)||: <= 1.01 kappa(H) tol + 100 kappa(H) eps,
      kappa(H) = kappa(A)^2
The reference x_ref is numpy.linalg.lstsq on the same data widened to float64 (the exact solution
of the problem the solver sees, to within kappa * 1e-16).
"""
import os
import sys

import numpy as np
import pytest

# ctest runs the suite against the build tree (PYTHONPATH=build/<preset>/python); an installed
# package (pip install .) is tested the same way without it.
import lsgd  # noqa: F401

C = 30.0
EPS = {np.dtype(np.float32): float(np.finfo(np.float32).eps),
       np.dtype(np.float64): float(np.finfo(np.float64).eps)}


def make_problem(m, n, kappa, dtype=np.float64, seed=0, noise=0.0):
    """A = U diag(sigma) V^T, sigma geometric from 1 to 1/kappa; x_true of unit norm; b = A x_true
    (+ noise). Generated in double, rounded to dtype (as lsgd::generate does)."""
    rng = np.random.default_rng(seed)
    k = min(m, n)
    U, _ = np.linalg.qr(rng.standard_normal((m, k)))
    V, _ = np.linalg.qr(rng.standard_normal((n, k)))
    sigma = np.geomspace(1.0, 1.0 / kappa, k)
    A = (U * sigma) @ V.T
    x = rng.standard_normal(n)
    x /= np.linalg.norm(x)
    b = A @ x
    if noise:
        b = b + noise * np.linalg.norm(b) / np.sqrt(m) * rng.standard_normal(m)
    return A.astype(dtype), b.astype(dtype)


def reference(A, b):
    """numpy.linalg.lstsq in float64 of the data as given (rcond=None: NumPy's default)."""
    return np.linalg.lstsq(A.astype(np.float64), b.astype(np.float64), rcond=None)[0]


def forward_error(x, x_ref):
    x_ref = np.asarray(x_ref, dtype=np.float64)
    return float(np.linalg.norm(np.asarray(x, dtype=np.float64) - x_ref) / np.linalg.norm(x_ref))


def cli_path():
    """The lsgd CLI of the same build (ctest sets LSGD_CLI), or None."""
    path = os.environ.get("LSGD_CLI", "")
    return path if path and os.access(path, os.X_OK) else None


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def cpu_solvers(kind):
    return [s.name for s in lsgd.solvers(backend="cpu", kind=kind)]


def local_solvers(kind):
    """CPU and CUDA solvers of a kind (mpi.* need MPI started: tests/test_mpi.cpp covers them)."""
    return [s.name for s in lsgd.solvers(kind=kind) if s.backend != "mpi"]


def skip_unless_available(name):
    """CUDA solvers run where a GPU is (the GPU machine); elsewhere they skip, saying why."""
    s = next(s for s in lsgd.solvers() if s.name == name)
    if not s.available:
        pytest.skip("%s: %s" % (name, s.why_not))


print("lsgd under test:", os.path.dirname(lsgd.__file__), "python", sys.version.split()[0],
      "numpy", np.__version__, file=sys.stderr)
