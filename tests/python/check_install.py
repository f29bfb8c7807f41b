"""The installed package (ctest python_install_layout): import lsgd from PREFIX, solve, and in CUDA
builds find liblsgd_cuda.so beside the module through the module's RUNPATH ($ORIGIN).

usage: check_install.py PREFIX CUDA(ON|OFF)
"""
import os
import sys

prefix, cuda = os.path.realpath(sys.argv[1]), sys.argv[2].upper() in ("ON", "1", "TRUE")
sys.path.insert(0, prefix)
import numpy as np  # noqa: E402

import lsgd  # noqa: E402

pkg = os.path.dirname(os.path.realpath(lsgd.__file__))
assert pkg == os.path.join(prefix, "lsgd"), "imported %s, not the installed copy" % pkg
names = [s.name for s in lsgd.solvers()]
assert "cpu.qr" in names, names
A = np.array([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
r = lsgd.lstsq(A, np.array([1.0, 4.0, 0.0]))
assert np.allclose(r.x, [1.0, 2.0]), r.x
if cuda:
    found = os.path.realpath(lsgd._lsgd.backend_probe())
    want = os.path.join(pkg, "liblsgd_cuda.so")
    assert found == want, "liblsgd_cuda.so loaded from %s, expected %s" % (found, want)
    print("CUDA backend found beside the module:", found)
print("installed package OK:", pkg, "solvers:", len(names))
