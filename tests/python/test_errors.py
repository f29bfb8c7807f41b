"""lsgd's exceptions as Python exceptions, with the CLI's messages; the binding's own checks."""
import subprocess

import numpy as np
import pytest

import lsgd
from conftest import cli_path, make_problem


def test_exception_hierarchy():
    assert issubclass(lsgd.InvalidInputError, ValueError)
    assert issubclass(lsgd.NumericalError, ArithmeticError)
    assert issubclass(lsgd.DeviceError, RuntimeError)
    for cls in (lsgd.InvalidInputError, lsgd.NumericalError, lsgd.DeviceError):
        assert cls.__module__ == "lsgd" and cls.__doc__


@pytest.fixture(scope="module")
def rank_deficient():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((30, 4))
    A[:, 2] = A[:, 1]
    return A, rng.standard_normal(30)


def cli_error(A, b, tmp_path, *args):
    """The one line the lsgd CLI prints on stderr for the same data (CSV at full precision)."""
    path = tmp_path / "p.csv"
    np.savetxt(path, np.c_[A, b], delimiter=",", fmt="%.17g")
    p = subprocess.run([cli_path(), "solve", "--input", str(path), "--no-header", *args],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, p.stderr
    assert p.stderr.startswith("lsgd: ")
    return p.stderr[len("lsgd: "):].strip()


# (solver, Python options, CLI options, expected exception)
CASES = [
    ("cpu.cholesky", {}, [], lsgd.NumericalError),
    ("cpu.qr", {}, [], lsgd.NumericalError),
    ("cpu.gd", {"step": 10.0}, ["--step", "10"], lsgd.NumericalError),
]


@pytest.mark.parametrize("solver,options,cli_args,exc", CASES, ids=[c[0] for c in CASES])
def test_numerical_errors_carry_the_cli_message(rank_deficient, tmp_path, solver, options, cli_args, exc):
    A, b = rank_deficient
    with pytest.raises(exc) as info:
        lsgd.lstsq(A, b, solver=solver, **options)
    if cli_path() is None:
        pytest.skip("LSGD_CLI not set (ctest sets it): message not compared with the CLI's")
    assert str(info.value) == cli_error(A, b, tmp_path, "--solver", solver, *cli_args)


def test_unavailable_cuda_solver_is_a_device_error_with_the_cli_message(rank_deficient, tmp_path):
    cuda = [s for s in lsgd.solvers(backend="cuda") if not s.available]
    if not cuda:
        pytest.skip("no unavailable cuda.* solver here (a GPU is present, or a CPU-only build)")
    A, b = rank_deficient
    with pytest.raises(lsgd.DeviceError) as info:
        lsgd.lstsq(A, b, solver=cuda[0].name)
    assert isinstance(info.value, RuntimeError)
    assert "cannot run here" in str(info.value) and cuda[0].why_not in str(info.value)
    if cli_path() is not None:
        assert str(info.value) == cli_error(A, b, tmp_path, "--solver", cuda[0].name)


def test_not_converged_raises_unless_allowed(rank_deficient):
    A, b = make_problem(40, 5, 30.0, seed=2, noise=0.1)
    with pytest.raises(lsgd.NumericalError, match=r"cpu.gd: not converged within max_iters 3 .*"
                                                  r"allow_unconverged=True"):
        lsgd.gd(A, b, max_iters=3)
    r = lsgd.gd(A, b, max_iters=3, allow_unconverged=True)
    assert not r.converged and r.iterations == 3 and r.note


def test_invalid_input_errors():
    A, b = make_problem(20, 3, 2.0)
    bad = A.copy()
    bad[4, 1] = np.nan
    with pytest.raises(lsgd.InvalidInputError, match=r"A has a non-finite entry \(nan\) at row 4, column 1"):
        lsgd.lstsq(bad, b)
    binf = b.copy()
    binf[7] = np.inf
    with pytest.raises(ValueError, match="b has a non-finite entry"):
        lsgd.lstsq(A, binf, solver="cpu.svd")
    with pytest.raises(lsgd.InvalidInputError, match="unknown solver|cpu.qr"):
        lsgd.lstsq(A, b, solver="cpu.nope")
    with pytest.raises(lsgd.InvalidInputError, match="empty problem"):
        lsgd.lstsq(np.zeros((0, 3)), np.zeros(0))
    with pytest.raises(lsgd.InvalidInputError):
        lsgd.lstsq(A[:2], b[:2], solver="cpu.qr")  # m < n: cpu.qr needs m >= n


def test_shape_errors():
    A, b = make_problem(20, 3, 2.0)
    with pytest.raises(ValueError, match=r"A must be 2-D \(m, n\), got 1-D with shape \(20,\)"):
        lsgd.lstsq(b, b)
    with pytest.raises(ValueError, match="b has 19 rows but A has 20"):
        lsgd.lstsq(A, b[:19])
    with pytest.raises(ValueError, match="b must be 2-D"):
        lsgd.lstsq(A, b.reshape(20, 1, 1))
    with pytest.raises(ValueError, match="b has no columns"):
        lsgd.lstsq(A, np.zeros((20, 0)))
    with pytest.raises(ValueError, match="is a batched-direct solver"):
        lsgd.lstsq(A, b, solver="cpu.batched.qr")
    with pytest.raises(ValueError, match="not gradient descent"):
        lsgd.gd(A, b, solver="cpu.qr")
    with pytest.raises(ValueError, match="is a direct solver"):
        lsgd.lstsq_batched(A[None], b[None], solver="cpu.qr")
    with pytest.raises(ValueError, match="A holds 2 problems but b 1"):
        lsgd.lstsq_batched(np.stack([A, A]), b[None])
    with pytest.raises(ValueError, match=r"A must be 3-D \(batch, m, n\)"):
        lsgd.lstsq_batched(A, b)
    with pytest.raises(TypeError, match="b has dtype object; lsgd solves in float32 or float64"):
        lsgd.lstsq(A, object())


@pytest.mark.parametrize("options,exc,pattern", [
    ({"tol": 1.0}, ValueError, "tol must be < 1"),
    ({"tol": -1e-3}, ValueError, "tol must be a finite number"),
    ({"max_iters": 0}, ValueError, r"max_iters must be in \[1, "),
    ({"max_iters": 2.5}, TypeError, "max_iters must be an integer"),
    ({"momentum": 1.0}, ValueError, "momentum"),
    ({"ridge": float("nan")}, ValueError, "ridge must be a finite number"),
    ({"rcond": -1.0}, ValueError, "rcond"),
    ({"schedule": "cosine"}, ValueError, "schedule must be one of 'constant', 'inv_sqrt', 'inv_time'"),
    ({"mode": "fast"}, ValueError, "mode must be one of"),
    ({"threads": 100000}, ValueError, "threads must be in"),
    ({"threads": True}, TypeError, "threads must be an integer"),
    ({"lamda": 1.0}, TypeError, "unexpected keyword argument 'lamda'"),
])
def test_option_checks(options, exc, pattern):
    A, b = make_problem(20, 3, 2.0)
    with pytest.raises(exc, match=pattern):
        lsgd.lstsq(A, b, solver="cpu.gd", **options)


def test_options_reach_the_solver():
    A, b = make_problem(60, 6, 5.0, seed=4, noise=0.1)
    ridge = lsgd.lstsq(A, b, solver="cpu.cholesky", ridge=1.0).x
    plain = lsgd.lstsq(A, b, solver="cpu.cholesky").x
    want = np.linalg.solve(A.T @ A + np.eye(6), A.T @ b)
    np.testing.assert_allclose(ridge, want, rtol=1e-10)
    assert np.linalg.norm(ridge) < np.linalg.norm(plain)
    r = lsgd.gd(A, b, tol=0.0, max_iters=17)
    assert r.iterations == 17
    assert lsgd.lstsq(A, b, threads=1).threads == 1
