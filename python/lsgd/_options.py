"""Keyword options of lsgd.lstsq / gd / lstsq_batched / gd_batched -> lsgd::SolverOptions.

The names follow the CLI's options (`lsgd solve --help`) with '-' written '_', except `ridge`
(the CLI's --lambda, a Python keyword), `inner` and `mode`. The ranges are the CLI's.
"""
import math
import os
import numbers

from . import _lsgd

# name: (default, one line of documentation)
OPTIONS = {
    "ridge": (0.0, "ridge lambda >= 0 (normal equations and gradient descent; the CLI's --lambda)"),
    "rcond": (None, "relative singular-value cutoff of SVD/COD/pivoted QR, >= 0 "
                    "(default None: max(m, n) * eps)"),
    "max_iters": (1000, "iterative solvers: iteration limit, >= 1"),
    "tol": (1e-6, "iterative solvers: stop at ||grad|| <= tol * ||grad(0)||, 0 <= tol < 1 "
                  "(0: run max_iters)"),
    "step": (0.0, "iterative solvers: step size (0: 1/L by power iteration)"),
    "lipschitz": (0.0, "iterative solvers: known Lipschitz constant L (skips the power iteration)"),
    "power_iters": (20, "iterative solvers: power iterations for L, >= 1"),
    "momentum": (0.0, "iterative solvers: momentum beta in [0, 1) (0: the solver's choice)"),
    "sgd_batch": (32, "SGD: mini-batch rows, >= 1"),
    "schedule": ("constant", "SGD step schedule: 'constant', 'inv_sqrt' or 'inv_time'"),
    "seed": (1, "SGD shuffling seed, >= 0"),
    "history_every": (0, "record the loss every k iterations (result.loss_history)"),
    "inner": ("tf32", "cuda.gels_irs inner precision: 'tf32', 'fp16', 'bf16' or 'fp32'"),
    "mode": ("resident", "GPU timing: 'resident' or 'end-to-end'"),
    "threads": (0, "CPU threads (0: OMP_NUM_THREADS or all cores)"),
}

_INT_MAX = 2**31 - 1


def _max_threads():
    # As the CLI: more than 4 threads per core (at most 1024) is a typo, and libgomp aborts the
    # process rather than report that it cannot start thousands of threads.
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return min(4 * max(cores, 1), 1024)


def _number(fn, name, v, lo, hi=math.inf, hi_open=False, what="a number"):
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError("%s: %s must be %s, got %r" % (fn, name, what, v))
    v = float(v)
    if not math.isfinite(v) or v < lo or v > hi or (hi_open and v >= hi):
        upper = ("%g)" % hi) if hi_open else ("%g]" % hi if math.isfinite(hi) else "inf)")
        raise ValueError("%s: %s must be a finite number in [%g, %s, got %r" % (fn, name, lo, upper, v))
    return v


def _integer(fn, name, v, lo, hi):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError("%s: %s must be an integer, got %r" % (fn, name, v))
    v = int(v)
    if v < lo or v > hi:
        raise ValueError("%s: %s must be in [%d, %d], got %d" % (fn, name, lo, hi, v))
    return v


def _choice(fn, name, v, allowed):
    if v not in allowed:
        raise ValueError("%s: %s must be one of %s, got %r" % (fn, name, ", ".join(map(repr, allowed)), v))
    return v


def make_options(fn, options):
    """Validated lsgd::SolverOptions from the keyword options (TypeError for unknown names)."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise TypeError("%s() got an unexpected keyword argument %r (options: %s)"
                        % (fn, unknown[0], ", ".join(OPTIONS)))
    v = {k: options.get(k, d) for k, (d, _) in OPTIONS.items()}
    o = _lsgd.Options()
    o.ridge_lambda = _number(fn, "ridge", v["ridge"], 0.0)
    o.rcond = -1.0 if v["rcond"] is None else _number(fn, "rcond", v["rcond"], 0.0)
    o.max_iters = _integer(fn, "max_iters", v["max_iters"], 1, 1_000_000_000)
    if _number(fn, "tol", v["tol"], 0.0) >= 1.0:
        raise ValueError("%s: tol must be < 1 (it is relative to the first gradient: %r would stop "
                         "at once, at x = 0)" % (fn, v["tol"]))
    o.tol = float(v["tol"])
    o.step = _number(fn, "step", v["step"], 0.0)
    o.lipschitz = _number(fn, "lipschitz", v["lipschitz"], 0.0)
    o.power_iters = _integer(fn, "power_iters", v["power_iters"], 1, 1_000_000)
    o.momentum = _number(fn, "momentum", v["momentum"], 0.0, 1.0, hi_open=True)
    o.sgd_batch = _integer(fn, "sgd_batch", v["sgd_batch"], 1, _INT_MAX)
    o.schedule = _choice(fn, "schedule", v["schedule"], ("constant", "inv_sqrt", "inv_time"))
    o.seed = _integer(fn, "seed", v["seed"], 0, 2**64 - 1)
    o.history_every = _integer(fn, "history_every", v["history_every"], 0, _INT_MAX)
    o.inner_precision = _choice(fn, "inner", v["inner"], ("tf32", "fp16", "bf16", "fp32"))
    o.gpu_mode = _choice(fn, "mode", v["mode"], ("resident", "end-to-end"))
    o.threads = _integer(fn, "threads", v["threads"], 0, _max_threads())
    return o
