"""The public functions of the lsgd package (re-exported by lsgd/__init__.py)."""
import numpy as np

from . import _lsgd
from ._options import make_options
from ._results import RegressionStats, Solver, batched_result, lstsq_result

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def solvers(backend=None, kind=None, available=None):
    """The registry as a list of Solver records, optionally filtered by backend ("cpu", "cuda",
    "mpi"), kind ("direct", "iterative", "batched-direct", "batched-iterative") and availability."""
    out = [Solver(**d) for d in _lsgd.registry()]
    return [s for s in out
            if (backend is None or s.backend == backend) and (kind is None or s.kind == kind)
            and (available is None or s.available == available)]


def build_info():
    """What this lsgd was built with and runs on: CUDA, the device, MPI, BLAS, ISA."""
    return dict(_lsgd.build_info())


def _float_dtype_of(obj):
    """float32 / float64 of an array-like from any framework, else None (unknown or not float)."""
    dt = getattr(obj, "dtype", None)
    name = str(dt).replace("torch.", "") if dt is not None else ""
    return np.dtype(name) if name in ("float32", "float64") else None


def _arrays(fn, A, b):
    """A and b as objects _lsgd reads without a copy: NumPy arrays and DLPack producers (PyTorch,
    JAX, CuPy) pass through; other array-likes (lists) become NumPy arrays. Integer and bool NumPy
    input becomes floating point (as numpy.linalg.lstsq does): the other operand's float32 or
    float64, else float64. float32 and float64 are never converted."""
    def as_np(x):
        if isinstance(x, np.ndarray) or hasattr(x, "__dlpack__"):
            return x
        return np.asarray(x)
    A, b = as_np(A), as_np(b)

    def fix(x, other, name):
        if not isinstance(x, np.ndarray):
            return x
        if x.dtype.kind in "biu":
            return x.astype(_float_dtype_of(other) or np.float64)
        if x.dtype not in _FLOATS and x.dtype.newbyteorder("=") not in _FLOATS:
            raise TypeError("%s: %s has dtype %s; lsgd solves in float32 or float64: cast it first "
                            "(e.g. %s.astype(numpy.float64))" % (fn, name, x.dtype, name))
        if not x.dtype.isnative and x.dtype.kind == "f":
            return x.astype(x.dtype.newbyteorder("="))  # byte-swapped data: one conversion copy
        return x
    return fix(A, b, "A"), fix(b, A, "b")


def _dtype(x):
    return _float_dtype_of(x) or np.dtype(np.float64)


def _single(fn, A, b, solver, options, iterative_only):
    allow_unconverged = options.pop("allow_unconverged", False)
    opt = make_options(fn, options)
    A, b = _arrays(fn, A, b)
    d = _lsgd.solve(A, b, solver, opt, fn, iterative_only)
    r = lstsq_result(d, solver, _dtype(A), getattr(b, "ndim", 1) == 2)
    if not r.converged and not allow_unconverged:
        why = "%s: not converged within max_iters %d" % (solver, opt.max_iters)
        if r.note:
            why += " (%s)" % r.note
        raise _lsgd.NumericalError(why + "; raise max_iters, loosen tol, or pass "
                                   "allow_unconverged=True to keep the last iterate")
    return r


def lstsq(A, b, solver="cpu.qr", **options):
    """Least squares min ||A x - b||_2 with one of lsgd's registered solvers.

    A: (m, n) array; b: (m,) or (m, k) (k right-hand sides, solved one after the other). float32 or
    float64, kept as given (A and b must agree; no silent promotion); C- or Fortran-ordered or
    strided; NumPy arrays or DLPack producers on the host. lsgd copies A once into its column-major
    layout (a plain memcpy for Fortran order), outside the timed region, with the GIL released.
    solver: a name from lsgd.solvers() (direct or iterative). options: see lsgd.OPTIONS, plus
    allow_unconverged=False (iterative solvers: keep the last iterate instead of raising
    NumericalError when max_iters ends the run first).

    Returns LstsqResult (x, residual_norm, iterations, converged, time_s, note, ...). Raises
    InvalidInputError (a ValueError) for invalid input, NumericalError (an ArithmeticError) when
    the numerics fail, DeviceError (a RuntimeError) when the solver cannot run here, with the
    messages of the lsgd CLI; TypeError for unsupported dtypes.
    """
    return _single("lsgd.lstsq", A, b, solver, dict(options), False)


def gd(A, b, solver="cpu.gd", **options):
    """Gradient descent on f(x) = 1/(2m) ||A x - b||^2 + ridge/2 ||x||^2 with an iterative solver
    (cpu.gd, cpu.gd.momentum, cpu.gd.nesterov, cpu.sgd, cuda.gd): lsgd.lstsq restricted to
    iterative solvers, with the CLI's options (max_iters, tol, step, lipschitz, power_iters,
    momentum, sgd_batch, schedule, seed, history_every, ridge, threads, allow_unconverged)."""
    return _single("lsgd.gd", A, b, solver, dict(options), True)


def _batched(fn, A, b, solver, options, iterative_only):
    opt = make_options(fn, options)
    A, b = _arrays(fn, A, b)
    d = _lsgd.solve_batched(A, b, solver, opt, fn, iterative_only)
    return batched_result(d, solver, _dtype(A))


def lstsq_batched(A, b, solver="cpu.batched.qr", **options):
    """Least squares on a stack: A (batch, m, n), b (batch, m), with a batched solver
    (cpu.batched.qr, cpu.batched.cholesky, cpu.bgd, cuda.batched.*, cuda.bgd.*). Each A[p] is
    copied once into lsgd's layout (problem-major, each column-major: a memcpy per column when
    A[p] is Fortran-ordered, i.e. A.transpose(0, 2, 1) is C-contiguous). Returns BatchedResult;
    failed problems are reported in result.status / result.failed, never raised."""
    return _batched("lsgd.lstsq_batched", A, b, solver, dict(options), False)


def gd_batched(A, b, solver="cpu.bgd", **options):
    """Batched gradient descent (cpu.bgd, cuda.bgd.*) on a (batch, m, n) stack; options as lsgd.gd
    (allow_unconverged does not apply: per-problem status instead)."""
    return _batched("lsgd.gd_batched", A, b, solver, dict(options), True)


def stats(A, b, names=None):
    """The regression statistics of `lsgd solve --stats` for b ~ A: coefficients, standard errors,
    t, p-values, R^2, F, log-likelihood, AIC/BIC, condition numbers, computed in double from a QR
    of A refined in double-double (float32 input is widened to double, as the CLI does). names:
    optional column names for the summary text. Returns RegressionStats; str() is the CLI's text.
    Raises InvalidInputError when m <= n and NumericalError when A is rank deficient."""
    A, b = _arrays("lsgd.stats", A, b)
    d = _lsgd.stats(A, b, [] if names is None else [str(n) for n in names])
    d["summary"] = d["summary"].lstrip("\n")
    return RegressionStats(**d)
