#!/usr/bin/env python3
"""JAX peers: what a performance-minded user writes with jax.jit, jax.vmap and lax.fori_loop, on
lsgd's own problems (bench/peers/cases.py), in the data's precision (float64 with jax_enable_x64).
CPU here; the same code on a GPU where jaxlib has one.

  family     solver               what it runs (one jitted function per shape, compiled in the
                                  untimed warm-up call)
  normal_eq  jax.cho_solve        A^T A, A^T b, jax.scipy.linalg.cho_factor + cho_solve
  qr         jax.qr               jnp.linalg.qr (reduced) + solve_triangular(R, Q^T b)
  svd        jax.lstsq            jnp.linalg.lstsq (SVD-based, as JAX implements it)
  batched    the same, jax.vmap over the problems (jax.batched.cho_solve, jax.batched.qr)
  gd         jax.gd               lax.fori_loop of lsgd's update, 20 power iterations for L from
  (momentum, nesterov)            ones / sqrt(n) inside the same jitted call (timed, as lsgd's)
  bgd        jax.gd               jax.vmap of the single-problem loop

  bench/peers/jax_peers.py --install [VENV]   pip-install jax into VENV (default build/peers-venv)
  bench/peers/jax_peers.py --worker [--device cpu|gpu]   (run by bench/peers/run_peers.py; the
                                  problem's arrays are placed on that device, default cpu, so a
                                  GPU-enabled jaxlib still computes the cpu workloads on the CPU)

JAX is optional, like torch: without it run_peers.py says so and goes on.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

DEFAULT_VENV = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build",
                            "peers-venv")


def install(venv):
    """A virtualenv with jax[cpu] from PyPI (its own NumPy/SciPy wheels: Debian's stay untouched)."""
    venv = os.path.abspath(venv)
    base = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
    if not os.path.exists(os.path.join(venv, "bin", "python")):
        print(f"jax_peers: creating {venv} with {base}", file=sys.stderr, flush=True)
        subprocess.run([base, "-m", "venv", venv], check=True)
    print("jax_peers: pip install jax[cpu] (PyPI)", file=sys.stderr, flush=True)
    subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "jax[cpu]"], check=True)
    out = subprocess.run([os.path.join(venv, "bin", "python"), "-c",
                          "import jax; print(jax.__version__)"], capture_output=True, text=True,
                         check=True)
    print(f"jax_peers: jax {out.stdout.strip()} in {venv}", file=sys.stderr)
    return 0


if __name__ == "__main__" and sys.argv[1:2] == ["--install"]:
    sys.exit(install(sys.argv[2] if len(sys.argv) > 2 else DEFAULT_VENV))

import cases  # noqa: E402

try:
    import jax  # noqa: E402
except ImportError:
    if __name__ == "__main__":
        print("jax_peers.py: jax not available (bench/peers/jax_peers.py --install): nothing "
              "measured", file=sys.stderr)
        sys.exit(77)
    raise

jax.config.update("jax_enable_x64", True)  # float64 arrays stay float64
# float32 products in float32, as lsgd's and torch's (TF32 off): on a GPU JAX's default precision
# lets float32 matmuls run in TF32 (the first H200 run, 2026-12-04: jax.batched.cho_solve's error
# was 8.8e-4 against 6.7e-7 for lsgd's and torch's Cholesky on the same f32 problem).
jax.config.update("jax_default_matmul_precision", "highest")
import jax.numpy as jnp  # noqa: E402
import jax.scipy.linalg as jsl  # noqa: E402
import numpy as np  # noqa: E402
from jax import lax  # noqa: E402

LIBRARY = "jax"
POWER_ITERS = 20
MOMENTUM = 0.9
DEVICE = "cpu"  # --device: where load() places the arrays (jit computes where its inputs live)


def jax_device(kind):
    """The first jax device of kind cpu or gpu, or None when jaxlib has none."""
    try:
        devs = jax.devices(kind)
    except RuntimeError:  # "Unknown backend" / no such platform
        return None
    return devs[0] if devs else None


def context():
    import jaxlib
    ctx = {"jax": jax.__version__, "jaxlib": jaxlib.__version__, "numpy": np.__version__,
           "jax_devices": ";".join(str(d) for d in jax.devices()),
           "jax_backend": jax.default_backend(), "jax_device": str(jax_device(DEVICE)),
           "jax_default_matmul_precision": str(jax.config.jax_default_matmul_precision),
           "xla_flags": os.environ.get("XLA_FLAGS", "unset")}
    jnp.linalg.qr(jnp.ones((4, 4))).Q.block_until_ready()  # LAPACK loaded
    ctx.update(cases.blas_info())
    return ctx


def load(directory, problem):
    a, b, x = cases.read_problem(directory, problem)
    dev = jax_device(DEVICE)
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    # A_host, b_host: the end-to-end calls' inputs (NumPy memory: JAX has no pinned host arrays).
    return {"A": jax.device_put(a, dev), "b": jax.device_put(b, dev), "A_host": a, "b_host": b,
            "x_true": np.asarray(x, np.float64)}


def error(x, data):
    x = np.asarray(x, dtype=np.float64).reshape(data["x_true"].shape)
    t = data["x_true"]
    err = np.linalg.norm(x - t, axis=-1) / np.linalg.norm(t, axis=-1)
    return float(np.max(err)) if not np.isnan(err).any() else float("nan")


def error_message(solver, exc):
    return f"{solver.name}: {type(exc).__name__}: {exc}"


def cho_solve(a, b):
    g = a.T @ a
    return jsl.cho_solve(jsl.cho_factor(g), a.T @ b)


def qr_solve(a, b):
    q, r = jnp.linalg.qr(a)
    return jsl.solve_triangular(r, q.T @ b)


def lstsq(a, b):
    return jnp.linalg.lstsq(a, b)[0]


def gd(a, b, iters, variant):
    """lsgd's loop (cpu/gd_common.hpp): power iteration for L, then `iters` steps from 0."""
    m, n = a.shape
    mt = a.dtype.type(m)

    def power(_, vl):
        v, _l = vl
        w = a.T @ (a @ v) / mt
        L = jnp.linalg.norm(w)
        return w / L, L
    v0 = jnp.full((n,), 1.0 / np.sqrt(n), dtype=a.dtype)
    _, L = lax.fori_loop(0, POWER_ITERS, power, (v0, jnp.zeros((), a.dtype)))
    alpha = 1.0 / L
    beta = a.dtype.type(MOMENTUM)

    def step(k, s):
        x, x_prev, g_prev = s
        g = a.T @ (a @ x - b) / mt
        if variant == "gd":
            return x - alpha * g, x, g
        if variant == "momentum":
            return x - alpha * g + beta * (x - x_prev), x, g
        mu = jnp.where(k == 0, 0.0, (k - 1) / (k + 2)).astype(a.dtype)
        return x + mu * (x - x_prev) - alpha * ((1 + mu) * g - mu * g_prev), x, g
    z = jnp.zeros((n,), a.dtype)
    return lax.fori_loop(0, iters, step, (z, z, z))[0]


DIRECT = {"normal_eq": ("cho_solve", cho_solve), "qr": ("qr", qr_solve), "svd": ("lstsq", lstsq)}
GD = {"gd": "jax.gd", "momentum": "jax.gd.momentum", "nesterov": "jax.gd.nesterov"}


def _ready(fn, *args):
    return lambda: fn(*args).block_until_ready()


def _e2e(fn, ha, hb):
    """lsgd's end-to-end mode: host A and b copied to the device, solved, x copied back."""
    dev = jax_device(DEVICE)
    return lambda: np.asarray(fn(jax.device_put(ha, dev), jax.device_put(hb, dev)))


def solvers(w, data):
    if w.device != DEVICE or jax_device(DEVICE) is None:
        return []
    a, b = data["A"], data["b"]
    out = []
    # A GPU workload of mode e2e times the transfers too (the first H200 run, 2026-12-04, labelled
    # resident calls e2e: such entries are not comparable and were left out of the results).
    e2e = w.mode == "e2e"
    if w.family in ("ls", "tta", "bls"):
        batched = w.family == "bls"
        for fam in sorted(w.wanted & set(DIRECT)):
            what, fn = DIRECT[fam]
            f = jax.jit(jax.vmap(fn) if batched else fn)
            call = _e2e(f, data["A_host"], data["b_host"]) if e2e else _ready(f, a, b)
            out.append(cases.Solver(f"jax.{'batched.' if batched else ''}{what}", fam, call,
                                    mode="e2e" if e2e else None, compiles=True))
    elif w.family in ("gd", "bgd") and not e2e:  # as torch_peers: GD's peers run resident only
        for fam in sorted(w.wanted & set(GD)):
            def one(a1, b1, fam=fam):
                return gd(a1, b1, w.iterations, fam)
            f = jax.jit(jax.vmap(one) if w.family == "bgd" else one)
            out.append(cases.Solver(GD[fam], fam, _ready(f, a, b), compiles=True))
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--worker"] and args[1:] in ([], ["--device", "cpu"], ["--device", "gpu"]):
        DEVICE = args[2] if len(args) == 3 else "cpu"
        if jax_device(DEVICE) is None:
            print(f"jax_peers.py: jax has no {DEVICE} device ({jax.devices()}): nothing measured",
                  file=sys.stderr)
            sys.exit(77)
        cases.worker_main(sys.modules[__name__])
        sys.exit(0)
    print("usage: jax_peers.py --install [VENV] | --worker [--device cpu|gpu]", file=sys.stderr)
    sys.exit(2)
