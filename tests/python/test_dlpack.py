"""Arrays through DLPack: any __dlpack__ producer on the host is read without a copy; CUDA device
arrays are refused before anything is read (docs/python.md, 'Device arrays')."""
import ctypes

import numpy as np
import pytest

import lsgd
from conftest import make_problem


class HostDLPack:
    """Exposes a NumPy array only through DLPack, as a foreign framework would."""

    def __init__(self, a):
        self.a = a

    def __dlpack__(self, stream=None, **kwargs):
        return self.a.__dlpack__()

    def __dlpack_device__(self):
        return self.a.__dlpack_device__()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dlpack_host_arrays_match_numpy_bit_for_bit(dtype):
    if not hasattr(np.ndarray, "__dlpack__"):
        pytest.skip("NumPy %s has no __dlpack__" % np.__version__)
    A, b = make_problem(60, 5, 10.0, dtype=dtype, seed=9, noise=0.1)
    want = lsgd.lstsq(A, b).x
    for a in (A, np.asfortranarray(A), A[:, ::-1][:, ::-1]):
        r = lsgd.lstsq(HostDLPack(a), HostDLPack(b))
        assert r.x.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(r.x, want)
    stack = np.stack([A, A])
    np.testing.assert_array_equal(
        lsgd.lstsq_batched(HostDLPack(stack), HostDLPack(np.stack([b, b]))).x,
        lsgd.lstsq_batched(stack, np.stack([b, b])).x)


# DLPack's C structures (dlpack.h), to hand lsgd a tensor that claims to live on a CUDA device.
class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


class DLManagedTensor(ctypes.Structure):
    _fields_ = [("dl_tensor", DLTensor), ("manager_ctx", ctypes.c_void_p),
                ("deleter", ctypes.c_void_p)]


KDL_CUDA = 2


class FakeCudaArray:
    """A float64 tensor whose DLPack device is cuda:0. Its data pointer is host memory that lsgd
    must never read: the refusal has to come before any copy."""

    def __init__(self, shape):
        self.host = np.zeros(shape)
        self.shape = (ctypes.c_int64 * len(shape))(*shape)
        self.managed = DLManagedTensor()
        t = self.managed.dl_tensor
        t.data = self.host.ctypes.data
        t.device = DLDevice(KDL_CUDA, 0)
        t.ndim = len(shape)
        t.dtype = DLDataType(2, 64, 1)  # kDLFloat, 64 bits
        t.shape = self.shape
        t.strides = None

    def __dlpack__(self, stream=None, **kwargs):
        new = ctypes.pythonapi.PyCapsule_New
        new.restype = ctypes.py_object
        new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
        return new(ctypes.addressof(self.managed), b"dltensor", None)

    def __dlpack_device__(self):
        return (KDL_CUDA, 0)


@pytest.mark.parametrize("solver", ["cpu.qr", "cuda.qr"])
def test_cuda_device_arrays_are_refused_cleanly(solver):
    A, b = FakeCudaArray((8, 3)), FakeCudaArray((8,))
    with pytest.raises(ValueError, match="A is a CUDA device array; lsgd's solvers take host arrays"):
        lsgd.lstsq(A, b, solver=solver)
    with pytest.raises(ValueError, match="b is a CUDA device array"):
        lsgd.lstsq(np.zeros((8, 3)), FakeCudaArray((8,)), solver=solver)
    with pytest.raises(ValueError, match="CUDA device array"):
        lsgd.lstsq_batched(FakeCudaArray((2, 8, 3)), FakeCudaArray((2, 8)))


def test_torch_cpu_tensors():
    torch = pytest.importorskip("torch")
    A, b = make_problem(60, 5, 10.0, seed=9, noise=0.1)
    want = lsgd.lstsq(A, b).x
    for dt, npdt in ((torch.float64, np.float64), (torch.float32, np.float32)):
        tA, tb = torch.from_numpy(A).to(dt), torch.from_numpy(b).to(dt)
        r = lsgd.lstsq(tA, tb)
        assert r.x.dtype == np.dtype(npdt)
        np.testing.assert_array_equal(r.x, lsgd.lstsq(A.astype(npdt), b.astype(npdt)).x)
        r = lsgd.lstsq(tA.t().contiguous().t(), tb)  # column-major tensor
        np.testing.assert_array_equal(r.x, lsgd.lstsq(A.astype(npdt), b.astype(npdt)).x)
    np.testing.assert_array_equal(lsgd.lstsq(torch.from_numpy(A), torch.from_numpy(b)).x, want)
    with pytest.raises(TypeError, match="float32 or float64"):
        lsgd.lstsq(torch.from_numpy(A).to(torch.float16), torch.from_numpy(b).to(torch.float16))
    if torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA device array"):
            lsgd.lstsq(torch.from_numpy(A).cuda(), torch.from_numpy(b).cuda(), solver="cuda.qr")
