"""Array input: dtype preservation, memory orders, strides, conversions, outputs."""
import numpy as np
import pytest

import lsgd
from conftest import make_problem


@pytest.fixture(params=[np.float32, np.float64], ids=["f32", "f64"])
def problem(request):
    return make_problem(50, 7, 10.0, dtype=request.param, seed=5, noise=0.1)


def test_dtype_is_kept(problem):
    A, b = problem
    for name in ("cpu.qr", "cpu.cholesky", "cpu.svd"):
        assert lsgd.lstsq(A, b, solver=name).x.dtype == A.dtype
    assert lsgd.gd(A, b, tol=1e-3).x.dtype == A.dtype
    r = lsgd.lstsq_batched(np.stack([A, A]), np.stack([b, b]))
    assert r.x.dtype == A.dtype and r.dtype == A.dtype


def test_no_silent_promotion():
    A, b = make_problem(20, 3, 2.0)
    with pytest.raises(TypeError, match="float32 but b is float64"):
        lsgd.lstsq(A.astype(np.float32), b)
    with pytest.raises(TypeError, match="float64 but b is float32"):
        lsgd.lstsq(A, b.astype(np.float32))
    for bad in (np.float16, np.complex128, np.longdouble):
        with pytest.raises(TypeError, match="float32 or float64"):
            lsgd.lstsq(A.astype(bad), b.astype(bad))


def test_integer_input_becomes_the_other_operands_float():
    A = np.array([[1, 0], [0, 2], [1, 1]])
    b = np.array([1, 4, 3])
    assert lsgd.lstsq(A, b).x.dtype == np.float64
    assert lsgd.lstsq(A, b.astype(np.float32)).x.dtype == np.float32
    assert lsgd.lstsq(A.astype(np.float32), b).x.dtype == np.float32
    np.testing.assert_allclose(lsgd.lstsq(A.tolist(), b.tolist()).x, np.linalg.lstsq(A, b, rcond=None)[0])


def test_fortran_c_and_strided_input_give_identical_results(problem):
    # lsgd copies every layout into the same column-major Problem: the solutions agree bit for bit.
    A, b = problem
    ref = lsgd.lstsq(np.asfortranarray(A), b).x
    wide = np.zeros((A.shape[0] * 2, A.shape[1] * 3), dtype=A.dtype)
    wide[::2, ::3] = A
    bwide = np.zeros(b.size * 3, dtype=b.dtype)
    bwide[::3] = b
    for a, bb in [(np.ascontiguousarray(A), b), (wide[::2, ::3], bwide[::3]),
                  (np.asfortranarray(A.T).T, b), (A.T.copy().T, b)]:
        np.testing.assert_array_equal(lsgd.lstsq(a, bb).x, ref)
    # A transposed view of a C array is Fortran-ordered (the memcpy path).
    At = np.ascontiguousarray(A.T)
    np.testing.assert_array_equal(lsgd.lstsq(At.T, b).x, ref)


def test_negative_strides_and_batched_layouts(problem):
    A, b = problem
    x = lsgd.lstsq(A, b).x
    # Columns reversed: the same least-squares problem with x reversed (up to rounding).
    xr = lsgd.lstsq(A[:, ::-1], b).x
    np.testing.assert_allclose(xr[::-1], x, rtol=0, atol=100 * np.finfo(A.dtype).eps * np.abs(x).max())
    stack = np.stack([A, 2 * A, 3 * A])
    rhs = np.stack([b, b, b])
    ref = lsgd.lstsq_batched(stack, rhs).x
    # Each problem Fortran-ordered ((batch, n, m) C-contiguous, transposed): same bits.
    fstack = np.ascontiguousarray(stack.transpose(0, 2, 1)).transpose(0, 2, 1)
    np.testing.assert_array_equal(lsgd.lstsq_batched(fstack, rhs).x, ref)
    np.testing.assert_array_equal(lsgd.lstsq_batched(np.asfortranarray(stack), np.asfortranarray(rhs)).x, ref)
    np.testing.assert_array_equal(lsgd.lstsq_batched(stack[::-1], rhs[::-1]).x, ref[::-1])


def test_inputs_are_not_modified_and_read_only_input_is_accepted(problem):
    A, b = problem
    A0, b0 = A.copy(), b.copy()
    A.flags.writeable = False
    b.flags.writeable = False
    for name in ("cpu.qr", "cpu.cholesky", "cpu.tsqr", "cpu.gd"):
        lsgd.lstsq(A, b, solver=name, allow_unconverged=True)
    np.testing.assert_array_equal(A, A0)
    np.testing.assert_array_equal(b, b0)


def test_byte_swapped_input(problem):
    A, b = problem
    sw = A.astype(A.dtype.newbyteorder(">"))
    x = lsgd.lstsq(sw, b.astype(b.dtype.newbyteorder(">"))).x
    assert x.dtype == A.dtype and x.dtype.isnative
    np.testing.assert_array_equal(x, lsgd.lstsq(A, b).x)


def test_matrix_b_solves_each_column(problem):
    A, b = problem
    B = np.stack([b, 2 * b, -b], axis=1)
    r = lsgd.lstsq(A, B, solver="cpu.qr")
    assert r.x.shape == (A.shape[1], 3) and r.residual_norm.shape == (3,)
    for k in range(3):
        single = lsgd.lstsq(A, np.ascontiguousarray(B[:, k]), solver="cpu.qr")
        np.testing.assert_array_equal(r.x[:, k], single.x)
        assert r.residual_norm[k] == single.residual_norm
    g = lsgd.gd(A, B, tol=1e-3)
    assert g.iterations.shape == (3,) and len(g.loss_history) == 3


def test_result_arrays_own_their_memory(problem):
    A, b = problem
    x = lsgd.lstsq(A, b).x
    x2 = x.copy()
    del A, b
    np.testing.assert_array_equal(x, x2)
    x[0] = 42  # writable, C-contiguous
    assert x.flags.c_contiguous and x.flags.writeable
