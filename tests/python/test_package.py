"""The package itself: version, registry records, options table, build information."""
import os
import re
import subprocess

import lsgd
from conftest import cli_path

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_version_matches_pyproject_and_cmake():
    if not os.path.isfile(os.path.join(ROOT, "pyproject.toml")):
        import pytest
        pytest.skip("the tests run outside the repository")
    with open(os.path.join(ROOT, "pyproject.toml")) as f:
        assert re.search(r'^version = "%s"$' % re.escape(lsgd.__version__), f.read(), re.M)
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        assert "project(lsgd VERSION %s " % lsgd.__version__ in f.read()


def test_solver_records():
    records = lsgd.solvers()
    names = [s.name for s in records]
    assert len(names) == len(set(names)) and "cpu.qr" in names
    for s in records:
        assert s.backend in ("cpu", "cuda", "mpi")
        assert s.kind in ("direct", "iterative", "batched-direct", "batched-iterative")
        assert set(s.precisions) <= {"float32", "float64"} and s.precisions
        assert s.available == (s.why_not == ""), s
        assert s.error_growth in ("kappa", "kappa^2")
        assert s.batched == s.kind.startswith("batched")
    assert all(s.available for s in lsgd.solvers(backend="cpu"))
    assert [s.name for s in lsgd.solvers(kind="batched-iterative", backend="cpu")] == ["cpu.bgd"]
    info = lsgd.build_info()
    if not info["gpu_available"]:
        assert not any(s.available for s in lsgd.solvers(backend="cuda"))


def test_records_agree_with_lsgd_list():
    if cli_path() is None:
        import pytest
        pytest.skip("LSGD_CLI not set")
    out = subprocess.run([cli_path(), "list"], capture_output=True, text=True, timeout=60).stdout
    for s in lsgd.solvers():
        assert s.name in out


def test_options_table():
    assert set(lsgd.OPTIONS) == {"ridge", "rcond", "max_iters", "tol", "step", "lipschitz",
                                 "power_iters", "momentum", "sgd_batch", "schedule", "seed",
                                 "history_every", "inner", "mode", "threads"}
    for default, doc in lsgd.OPTIONS.values():
        assert doc


def test_import_loads_no_cuda_library():
    # The CUDA backend is loaded only when a cuda.* solver runs with a driver present.
    import numpy as np
    lsgd.lstsq(np.eye(3), np.ones(3))
    lsgd.solvers()
    with open("/proc/self/maps") as f:
        maps = f.read()
    for lib in ("libcudart", "libcublas", "libcusolver", "liblsgd_cuda"):
        if not lsgd.build_info()["gpu_available"]:
            assert lib not in maps, lib
