"""The GIL is released during solves, and two threads can solve at once."""
import threading
import time

import numpy as np

import lsgd
from conftest import make_problem


def test_other_python_threads_run_during_a_solve():
    # A Python thread can only run while the solving thread has released the GIL. The main thread
    # wakes every millisecond and records the time while a worker solves; wake-ups that fall in the
    # middle half of the solving (certainly inside C++: the Python around each call takes
    # microseconds) are impossible if the solve holds the GIL, and plentiful if it does not.
    A, b = make_problem(1500, 100, 10.0, seed=1)
    t = time.perf_counter()
    lsgd.lstsq(A, b, solver="cpu.qr", threads=1)
    single = time.perf_counter() - t
    reps = max(1, int(0.3 / max(single, 1e-3)))  # about 0.3 s of solving in the worker
    span = {}

    def work():
        span["start"] = time.perf_counter()
        for _ in range(min(reps, 20)):
            lsgd.lstsq(A, b, solver="cpu.qr", threads=1)
        span["end"] = time.perf_counter()

    ticks = []
    worker = threading.Thread(target=work)
    worker.start()
    while worker.is_alive():
        time.sleep(0.001)  # releases the GIL; waking up needs it back
        ticks.append(time.perf_counter())
    worker.join()
    quarter = (span["end"] - span["start"]) / 4
    inside = [x for x in ticks if span["start"] + quarter < x < span["end"] - quarter]
    assert len(inside) > 0, "no Python ran during %.3f s of solving: the GIL was held" % (4 * quarter)


def test_two_threads_solving_at_once_get_the_single_thread_answers():
    problems = [make_problem(400, 30, 100.0, seed=s, noise=0.1) for s in range(2)]
    solvers = ["cpu.qr", "cpu.cholesky", "cpu.svd", "cpu.gd"]
    want = {(i, s): lsgd.lstsq(*problems[i], solver=s, allow_unconverged=True).x
            for i in range(2) for s in solvers}
    got, errors = {}, []
    barrier = threading.Barrier(2)

    def work(i):
        try:
            barrier.wait()
            for _ in range(5):
                for s in solvers:
                    x = lsgd.lstsq(*problems[i], solver=s, allow_unconverged=True).x
                    got.setdefault((i, s), []).append(x)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for key, xs in got.items():
        for x in xs:
            np.testing.assert_array_equal(x, want[key])


def test_errors_raised_in_threads():
    A, b = make_problem(30, 4, 2.0)
    A[3, 1] = np.nan
    caught = []

    def work():
        try:
            lsgd.lstsq(A, b)
        except lsgd.InvalidInputError as e:
            caught.append(str(e))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(caught) == 4 and all("non-finite" in c for c in caught)
