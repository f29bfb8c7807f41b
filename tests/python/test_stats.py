"""lsgd.stats: the numbers of `lsgd solve --stats`, against NumPy/SciPy and against the CLI."""
import subprocess

import numpy as np
import pytest

import lsgd
from conftest import EPS, cli_path


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(3)
    m = 200
    X = np.c_[np.ones(m), rng.standard_normal((m, 3)) * [1.0, 10.0, 0.1]]
    y = X @ np.array([2.0, 0.5, -0.3, 4.0]) + 0.7 * rng.standard_normal(m)
    return X, y


def test_against_numpy_closed_forms(regression):
    # Well conditioned (kappa ~ 1e2 after column scaling): the textbook formulas in NumPy agree with
    # lsgd's refined QR to c kappa^2 eps at worst; 1e-9 relative is far above that and far below
    # any wrong formula.
    X, y = regression
    s = lsgd.stats(X, y, names=["const", "a", "b", "c"])
    m, p = X.shape
    coef = np.linalg.lstsq(X, y, rcond=None)[0]
    resid = y - X @ coef
    ssr = resid @ resid
    sigma2 = ssr / (m - p)
    se = np.sqrt(sigma2 * np.diag(np.linalg.inv(X.T @ X)))
    sst = np.sum((y - y.mean()) ** 2)
    r2 = 1 - ssr / sst
    f = ((sst - ssr) / (p - 1)) / (ssr / (m - p))
    ll = -m / 2 * (np.log(2 * np.pi) + np.log(ssr / m) + 1)
    assert (s.m, s.p, s.df_resid, s.df_model, s.intercept_column) == (m, p, m - p, p - 1, 0)
    np.testing.assert_allclose(s.coef, coef, rtol=1e-9)
    np.testing.assert_allclose(s.std_err, se, rtol=1e-9)
    np.testing.assert_allclose(s.t, coef / se, rtol=1e-9)
    for got, want in [(s.ssr, ssr), (s.residual_sd, np.sqrt(sigma2)), (s.r_squared, r2),
                      (s.adj_r_squared, 1 - (m - 1) / (m - p) * (1 - r2)), (s.f_statistic, f),
                      (s.log_likelihood, ll), (s.aic, -2 * ll + 2 * p), (s.bic, -2 * ll + p * np.log(m)),
                      (s.condition_number, np.linalg.cond(X))]:
        assert got == pytest.approx(want, rel=1e-9)
    assert s.converged and s.coef.dtype == np.float64
    scipy_stats = pytest.importorskip("scipy.stats")
    np.testing.assert_allclose(s.p_value, 2 * scipy_stats.t.sf(np.abs(coef / se), m - p), rtol=1e-8, atol=1e-300)
    assert s.f_p_value == pytest.approx(scipy_stats.f.sf(f, p - 1, m - p), rel=1e-8, abs=1e-300)


def test_float32_input_is_computed_in_double(regression):
    X, y = regression
    s32 = lsgd.stats(X.astype(np.float32), y.astype(np.float32))
    s64 = lsgd.stats(X.astype(np.float32).astype(np.float64), y.astype(np.float32).astype(np.float64))
    np.testing.assert_array_equal(s32.coef, s64.coef)
    assert s32.coef.dtype == np.float64


def test_undefined_statistics_are_errors(regression):
    X, y = regression
    with pytest.raises(lsgd.InvalidInputError):
        lsgd.stats(X[:4], y[:4])  # m <= p: no residual degrees of freedom
    Xd = X.copy()
    Xd[:, 2] = 2 * Xd[:, 1]
    with pytest.raises(lsgd.NumericalError):
        lsgd.stats(Xd, y)
    with pytest.raises(ValueError, match="names has 2 entries but A has 4 columns"):
        lsgd.stats(X, y, names=["a", "b"])


def test_summary_is_the_cli_text(regression, tmp_path):
    X, y = regression
    names = ["(intercept)", "x1", "x2", "x3"]
    s = lsgd.stats(X, y, names=names)
    assert str(s) == s.summary and s.summary.startswith("OLS statistics")
    if cli_path() is None:
        pytest.skip("LSGD_CLI not set (ctest sets it)")
    path = tmp_path / "d.csv"
    np.savetxt(path, np.c_[X[:, 1:], y], delimiter=",", fmt="%.17g", header="x1,x2,x3,y", comments="")
    out = subprocess.run([cli_path(), "solve", "--input", str(path), "--target", "y", "--intercept",
                          "--solver", "cpu.qr", "--stats"], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    block = out[out.index("OLS statistics"):]
    # The CLI adds one line comparing its solver's coefficients with the fit.
    cli_lines = [l for l in block.splitlines() if "solver agreement" not in l]
    assert s.summary.splitlines() == cli_lines
