"""The records lsgd's functions return."""
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import numpy as np

# BatchedResult.status codes (lsgd::ProblemStatus).
SOLVED, SINGULAR, DIVERGED, NOT_CONVERGED = 0, 1, 2, 3
STATUS_NAMES = {SOLVED: "solved", SINGULAR: "singular", DIVERGED: "diverged",
                NOT_CONVERGED: "not converged"}


@dataclass(frozen=True)
class Solver:
    """One registry entry (`lsgd list`)."""
    name: str              # backend.family[.variant], e.g. "cpu.qr"
    backend: str           # "cpu", "cuda" or "mpi"
    kind: str              # "direct", "iterative", "batched-direct" or "batched-iterative"
    precisions: Tuple[str, ...]  # ("float32", "float64")
    available: bool        # can run in this process now
    why_not: str           # why not, when not available ("" otherwise)
    description: str
    error_growth: str      # forward error ~ "kappa" * eps or "kappa^2" * eps
    requires_full_rank: bool
    allows_underdetermined: bool
    minimum_norm: bool
    normal_equations: bool
    max_n: int             # largest n supported (0: no limit)

    @property
    def batched(self):
        return self.kind.startswith("batched")

    @property
    def iterative(self):
        return self.kind.endswith("iterative")


@dataclass
class LstsqResult:
    """What lsgd.lstsq / lsgd.gd return. With a 2-D b of k columns, x is (n, k) and
    residual_norm, normal_eq_residual and iterations are arrays of k entries; converged says
    whether every column converged and time_s is the sum over the columns."""
    x: np.ndarray                 # (n,) or (n, k), the dtype of A and b
    residual_norm: object         # ||b - A x||_2, in double from the data as given
    normal_eq_residual: object    # ||A^T (b - A x)|| / (||A||_F (||A||_F ||x|| + ||b||)): ~eps if stable
    iterations: object            # iterative solvers; refinement steps of refining direct solvers
    converged: bool
    time_s: float                 # the solver's timed_solve(): setup (copies, allocation) excluded
    note: str                     # e.g. refinement or fallback notes ("" when none)
    solver: str
    dtype: np.dtype
    threads: int
    loss_history: object = None   # with history_every = k: f(x_j) every k iterations (per column)
    history_every: int = 0


@dataclass
class BatchedResult:
    """What lsgd.lstsq_batched / lsgd.gd_batched return: one row per problem. A problem that
    failed (status != SOLVED: singular, diverged, not converged) does not stop the others; its x
    row is NaN unless it merely ran out of iterations (then the last iterate)."""
    x: np.ndarray                 # (batch, n)
    residual_norm: np.ndarray     # (batch,) ||b_p - A_p x_p||_2 in double
    status: np.ndarray            # (batch,) int32: SOLVED, SINGULAR, DIVERGED, NOT_CONVERGED
    iterations: np.ndarray        # (batch,) int32 (iterative solvers)
    time_s: float
    note: str
    solver: str
    dtype: np.dtype
    threads: int

    @property
    def failed(self):
        """Indices of the problems whose status is not SOLVED."""
        return np.flatnonzero(self.status != SOLVED)

    @property
    def converged(self):
        return bool(np.all(self.status == SOLVED))


@dataclass
class RegressionStats:
    """lsgd.stats: the OLS summary of `lsgd solve --stats` (include/lsgd/stats.hpp), computed in
    double from a QR of A refined in double-double, independent of any solver. str() is the CLI's
    text block."""
    m: int
    p: int
    df_resid: int
    df_model: int
    intercept_column: Optional[int]
    coef: np.ndarray
    std_err: np.ndarray
    t: np.ndarray
    p_value: np.ndarray
    ssr: float
    sst: float
    residual_sd: float
    r_squared: float
    adj_r_squared: float
    f_statistic: float
    f_p_value: float
    log_likelihood: float
    aic: float
    bic: float
    condition_number: float
    scaled_condition_number: float
    covariance_refined: bool
    refinement_steps: int
    converged: bool
    correction: float
    note: str
    summary: str = field(repr=False, default="")

    def __str__(self):
        return self.summary


def lstsq_result(d, solver, dtype, matrix_b):
    """LstsqResult from the dict of _lsgd.solve."""
    notes = [n for n in dict.fromkeys(d["note"]) if n]
    if matrix_b:
        residual = np.asarray(d["residual_norm"], dtype=np.float64)
        ne = np.asarray(d["normal_eq_residual"], dtype=np.float64)
        iterations = np.asarray(d["iterations"], dtype=np.int64)
        history: List = [np.asarray(h, dtype=np.float64) for h in d["loss_history"]]
    else:
        residual, ne, iterations = d["residual_norm"][0], d["normal_eq_residual"][0], d["iterations"][0]
        history = np.asarray(d["loss_history"][0], dtype=np.float64)
    return LstsqResult(x=d["x"], residual_norm=residual, normal_eq_residual=ne, iterations=iterations,
                       converged=all(d["converged"]), time_s=d["time_s"], note="; ".join(notes),
                       solver=solver, dtype=dtype, threads=d["threads"], loss_history=history,
                       history_every=d["history_every"])


def batched_result(d, solver, dtype):
    return BatchedResult(x=d["x"], residual_norm=d["residual_norm"], status=d["status"],
                         iterations=d["iterations"], time_s=d["time_s"], note=d["note"],
                         solver=solver, dtype=dtype, threads=d["threads"])
