"""Every registered CPU solver through Python against NumPy (bounds: conftest.py); the CUDA solvers
the same way where a GPU is, skipped elsewhere."""
import numpy as np
import pytest

import lsgd
from conftest import (C, EPS, cpu_solvers, forward_error, local_solvers, make_problem, reference,
                      skip_unless_available)

ENTRIES = {s.name: s for s in lsgd.solvers()}
DTYPES = [np.float32, np.float64]


def assert_residual(got, A, b, x):
    """residual_norm is ||b - A x||_2 of the data as given, in double: it agrees with NumPy's to the
    rounding of either computation, c eps64 (||A||_F ||x|| + ||b||)."""
    A, b, x = (np.asarray(v, dtype=np.float64) for v in (A, b, x))
    want = np.linalg.norm(b - A @ x)
    scale = np.linalg.norm(A) * np.linalg.norm(x) + np.linalg.norm(b)
    assert abs(got - want) <= C * EPS[np.dtype(np.float64)] * scale, (got, want)


def test_every_cpu_solver_is_covered():
    # A solver added to the registry is picked up here without a code change.
    covered = set(cpu_solvers("direct") + cpu_solvers("iterative") + cpu_solvers("batched-direct")
                  + cpu_solvers("batched-iterative"))
    assert covered == {s.name for s in lsgd.solvers(backend="cpu")}
    assert {"cpu.qr", "cpu.cholesky", "cpu.gd", "cpu.bgd", "cpu.batched.qr"} <= covered


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("shape", [(400, 40), (64, 64), (20000, 16)], ids=["tall", "square", "very-tall"])
@pytest.mark.parametrize("kappa", [1e1, 1e4])
@pytest.mark.parametrize("name", local_solvers("direct"))
def test_direct_solver_forward_error(name, kappa, shape, dtype):
    skip_unless_available(name)
    e = ENTRIES[name]
    if e.max_n and shape[1] > e.max_n:
        pytest.skip("%s: n <= %d" % (name, e.max_n))
    eps = EPS[np.dtype(dtype)]
    growth = kappa ** 2 if e.error_growth == "kappa^2" else kappa
    if growth * eps >= 0.1:
        pytest.skip("%s: kappa^2 eps = %.1g: no digits to check" % (name, growth * eps))
    A, b = make_problem(*shape, kappa, dtype=dtype, seed=7)
    options = {}
    # As tests/test_lstsq.cpp: rank-revealing solvers cut singular values below rcond * sigma_max,
    # by default max(m, n) eps; a full-rank problem whose 1/kappa is near that cutoff gets a lower one.
    if not e.requires_full_rank and 1.0 / kappa <= 10.0 * max(shape) * eps:
        options["rcond"] = 0.1 / kappa
    r = lsgd.lstsq(A, b, solver=name, **options)
    assert r.x.dtype == np.dtype(dtype) and r.x.shape == (shape[1],)
    assert r.solver == name and r.converged and r.time_s > 0
    fe = forward_error(r.x, reference(A, b))
    assert fe <= C * growth * eps, "%s: forward error %.3g > %g * %s * eps" % (name, fe, C, e.error_growth)
    # Backward stability: the normal-equation residual of a stable solver is ~eps (c = 30).
    if e.error_growth == "kappa":
        assert r.normal_eq_residual <= C * eps
    assert_residual(r.residual_norm, A, b, r.x)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("name", local_solvers("iterative"))
def test_iterative_solver_converges_within_tol_bound(name, dtype):
    skip_unless_available(name)
    # As tests/test_gd.cpp: ||x - x*|| <= tol kappa(H) ||x*|| + rounding, kappa(H) = kappa(A)^2.
    # SGD with a constant step reaches the exact solution only on consistent systems.
    sgd = name.endswith(".sgd")
    A, b = make_problem(300, 16, 5.0, dtype=dtype, seed=11, noise=0.0 if sgd else 0.05)
    eps = EPS[np.dtype(dtype)]
    tol = 1e-4 if dtype == np.float32 else (1e-6 if sgd else 1e-9)
    r = lsgd.gd(A, b, solver=name, tol=tol, max_iters=20000)
    assert r.x.dtype == np.dtype(dtype)
    assert r.converged and 0 < r.iterations < 20000
    s = np.linalg.svd(A.astype(np.float64), compute_uv=False)
    kh = (s[0] / s[-1]) ** 2
    assert forward_error(r.x, reference(A, b)) <= 1.01 * kh * tol + 100 * kh * eps


@pytest.mark.parametrize("name", local_solvers("iterative"))
def test_loss_history_and_iteration_options(name):
    skip_unless_available(name)
    A, b = make_problem(100, 8, 10.0, seed=3)
    r = lsgd.gd(A, b, solver=name, tol=0.0, max_iters=37, history_every=5)
    assert r.iterations == 37 and r.converged
    assert r.history_every == 5 and len(r.loss_history) >= 7
    assert r.loss_history[-1] < r.loss_history[0]


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("name", local_solvers("batched-direct") + local_solvers("batched-iterative"))
def test_batched_solver_every_problem_against_numpy(name, dtype):
    skip_unless_available(name)
    e = ENTRIES[name]
    batch, m, n = 12, 60, 6
    kappas = np.geomspace(2.0, 20.0, batch)
    probs = [make_problem(m, n, k, dtype=dtype, seed=100 + p, noise=0.01) for p, k in enumerate(kappas)]
    A = np.stack([p[0] for p in probs])
    b = np.stack([p[1] for p in probs])
    eps = EPS[np.dtype(dtype)]
    if e.iterative:
        tol = 1e-4 if dtype == np.float32 else 1e-9
        r = lsgd.gd_batched(A, b, solver=name, tol=tol, max_iters=50000)
    else:
        r = lsgd.lstsq_batched(A, b, solver=name)
    assert r.x.shape == (batch, n) and r.x.dtype == np.dtype(dtype)
    assert r.converged and r.failed.size == 0 and r.status.dtype == np.int32
    for p in range(batch):
        kappa = kappas[p]
        if e.iterative:
            kh = kappa ** 2
            bound = 1.01 * kh * tol + 100 * kh * eps
        else:
            bound = C * (kappa ** 2 if e.error_growth == "kappa^2" else kappa) * eps
            # inconsistent systems add kappa^2 eps ||r|| / (||A|| ||x||) for QR (noise 1%)
            bound += C * kappa ** 2 * eps * 0.01 * np.sqrt(m)
        assert forward_error(r.x[p], reference(A[p], b[p])) <= bound, "problem %d" % p
        assert_residual(r.residual_norm[p], A[p], b[p], r.x[p])


def test_batched_singular_problem_is_reported_not_raised():
    A, b = make_problem(40, 5, 10.0, seed=1)
    As = np.stack([A, A.copy(), A.copy()])
    As[1][:, 2] = 0.0  # rank deficient: singular for QR / Cholesky
    bs = np.stack([b, b, b])
    for name in ("cpu.batched.qr", "cpu.batched.cholesky"):
        r = lsgd.lstsq_batched(As, bs, solver=name)
        assert list(r.failed) == [1] and r.status[1] == lsgd.SINGULAR and not r.converged
        assert np.all(np.isnan(r.x[1])) and np.all(np.isfinite(r.x[[0, 2]]))
        np.testing.assert_array_equal(r.x[0], r.x[2])
