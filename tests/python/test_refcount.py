"""No leak over 10,000 calls: reference counts of the inputs, live Python objects and resident
memory stay put, for solves, errors and the registry."""
import gc
import os
import sys

import numpy as np
import pytest

import lsgd
from conftest import make_problem

CALLS = 10_000


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def live_objects():
    gc.collect()
    return len(gc.get_objects())


def measure(fn, calls=CALLS):
    for _ in range(200):  # warm-up: caches, allocator pools, lazily built tables
        fn()
    objects, rss = live_objects(), rss_bytes()
    for _ in range(calls):
        fn()
    return live_objects() - objects, rss_bytes() - rss


@pytest.mark.parametrize("solver", ["cpu.cholesky", "cpu.qr", "cpu.gd"])
def test_solves_do_not_leak(solver):
    # n = 100: a leaked x (800 bytes) or copy of A (80 kB) per call would add >= 8 MB over 10,000
    # calls; the allowance is 4 MB of allocator noise. One thread: OpenMP regions cost ~1 ms here.
    A, b = make_problem(100, 100, 2.0, seed=1)
    refs = sys.getrefcount(A), sys.getrefcount(b)
    x = lsgd.lstsq(A, b, solver=solver, tol=1e-3, threads=1).x
    x_refs = sys.getrefcount(x)  # outside the assert: pytest's rewriting holds its operands
    assert x_refs == 2  # x and getrefcount's argument: the result held no other reference
    objects, rss = measure(lambda: lsgd.lstsq(A, b, solver=solver, tol=1e-3, threads=1))
    assert (sys.getrefcount(A), sys.getrefcount(b)) == refs
    assert objects < 100, objects
    assert rss < 4 << 20, rss


def test_errors_and_batches_and_registry_do_not_leak():
    A, b = make_problem(50, 5, 10.0, seed=2)
    bad = A.copy()
    bad[0, 0] = np.nan
    refs = sys.getrefcount(bad)

    def error():
        try:
            lsgd.lstsq(bad, b, threads=1)
        except lsgd.InvalidInputError:
            pass
    objects, rss = measure(error)
    assert sys.getrefcount(bad) == refs and objects < 100 and rss < 4 << 20, (objects, rss)

    As, bs = np.stack([A] * 8), np.stack([b] * 8)
    objects, rss = measure(lambda: lsgd.lstsq_batched(As, bs, threads=1), calls=CALLS // 10)
    assert objects < 100 and rss < 4 << 20, (objects, rss)
    objects, rss = measure(lsgd.solvers, calls=CALLS // 10)
    assert objects < 100 and rss < 4 << 20, (objects, rss)
