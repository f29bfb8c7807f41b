"""lsgd: least squares and gradient descent, CPU and GPU, from Python (docs/python.md).

    import numpy as np, lsgd
    A = np.random.default_rng(0).standard_normal((1000, 20)); b = A @ np.ones(20)
    r = lsgd.lstsq(A, b, solver="cpu.qr")          # r.x, r.residual_norm, r.time_s, ...
    [s.name for s in lsgd.solvers(available=True)]

Every solver of lsgd's registry is reachable by name, the same names as the `lsgd` CLI, the tests
and the benchmarks. The CUDA backend (liblsgd_cuda.so, installed beside the module in CUDA builds)
is loaded only when a cuda.* solver runs on a machine with a CUDA driver.
"""
from ._lsgd import DeviceError, InvalidInputError, NumericalError
from ._api import build_info, gd, gd_batched, lstsq, lstsq_batched, solvers, stats
from ._options import OPTIONS
from ._results import (DIVERGED, NOT_CONVERGED, SINGULAR, SOLVED, STATUS_NAMES, BatchedResult,
                       LstsqResult, RegressionStats, Solver)

__version__ = "0.1.0"

__all__ = [
    "solvers", "lstsq", "lstsq_batched", "gd", "gd_batched", "stats", "build_info", "OPTIONS",
    "Solver", "LstsqResult", "BatchedResult", "RegressionStats",
    "InvalidInputError", "NumericalError", "DeviceError",
    "SOLVED", "SINGULAR", "DIVERGED", "NOT_CONVERGED", "STATUS_NAMES",
]
