#!/usr/bin/env python3
"""The case list of the bench binaries and the peers that read it (issues 24 and 30).

  tests/test_case_list.py BENCH_DIR     (ctest test_case_list; BENCH_DIR holds bench_ls, ...)

Checks: --lsgd_list_cases describes every case (problem, algorithm family, flop model, registered
or skipped with a reason) and the stop rule; --lsgd_write_problem writes the problem the binary
solves (b = A x_true up to rounding, lsgd's layout); the peers run the binaries' stop rule (the
library the case list names) and it answers tests/data/bench/stop_rule.json; and one problem run both ways (lsgd's binary, the NumPy/SciPy
peers) gives like-for-like pairs only. Re-runs itself under /usr/bin/python3 for NumPy/SciPy;
exits 77 (skipped) without them.
"""

import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "bench", "peers"))
import lsgd_results as lr  # noqa: E402

if __name__ == "__main__":
    if lr.reexec_if_missing(("numpy", "scipy"), "test_case_list"):
        print("SKIP: test_case_list needs NumPy and SciPy")
        sys.exit(77)

import numpy as np  # noqa: E402

import cases  # noqa: E402
import common  # noqa: E402

BENCH = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build",
                                                                                 "cpu", "bench")
BUILD = os.path.dirname(BENCH)
CEILINGS = ("--lsgd_ceilings=cpu_copy=20,cpu_gemm_f32=200,cpu_gemm_f64=100,gpu_copy=0,"
            "gpu_gemm_f32=0,gpu_gemm_f64=0")
CPU = "--lsgd_filter_solver=^cpu\\."


class CaseList(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.docs = {f: cases.list_cases(BUILD, f, "quick", [CEILINGS, CPU])
                    for f in ("ls", "bls", "gd", "bgd")}

    def test_every_case_has_a_problem_family_and_status(self):
        for family, doc in self.docs.items():
            ids = {p["id"] for p in doc["problems"]}
            self.assertTrue(doc["cases"], family)
            for c in doc["cases"]:
                self.assertIn(c["problem"], ids)
                self.assertIn(c["algorithm"], doc["algorithms"])
                self.assertIn(c["status"], ("registered", "skipped"))
                if c["status"] == "skipped":
                    self.assertTrue(c.get("reason"), c)
            for p in doc["problems"]:
                self.assertEqual(p["seed"], 42)
                self.assertEqual(set(p["flops"]), {"qr", "cholesky", "svd", "gd_iter"})

    def test_skips_carry_reasons_and_the_stop_rule_is_the_binaries(self):
        # gd quick at 16384 x 64 f64 with 100 iterations is above the 0.05 s cap here.
        gd = self.docs["gd"]
        skipped = [c for c in gd["cases"] if c["status"] == "skipped"]
        self.assertTrue(skipped)
        self.assertTrue(all("above the preset's cap" in c["reason"] for c in skipped))
        self.assertEqual(gd["stop_rule"]["min_reps"], 5)
        self.assertEqual(gd["stop_rule"]["estimator"], "median")
        self.assertEqual(self.docs["ls"]["algorithms"]["tsqr"]["pairs_with"], ["tsqr", "qr"])

    def test_workloads_group_the_families_lsgd_runs(self):
        ws = cases.workloads(self.docs["gd"], "cpu")
        w = ws["shifted_gaussian/f64/m:1024/n:32/seed:42"]
        self.assertEqual(sorted(x.iterations for x in w), [10, 100])
        self.assertEqual(w[0].wanted, {"gd", "momentum", "nesterov", "sgd"})

    def test_problem_file_is_the_problem(self):
        for family, pid in (("ls", "shifted_gaussian/f32/m:512/n:32/seed:42"),
                            ("bls", "shifted_gaussian/f64/batch:16/m:64/n:8/seed:42")):
            d = tempfile.mkdtemp(prefix="lsgd_prob_")
            try:
                cases.write_problem(BUILD, self.docs[family], pid, os.path.join(d, "p"), "quick")
                a = np.load(os.path.join(d, "p", "A.npy"))
                b = np.load(os.path.join(d, "p", "b.npy"))
                x = np.load(os.path.join(d, "p", "x_true.npy"))
                with open(os.path.join(d, "p", "problem.json"), encoding="utf-8") as f:
                    self.assertEqual(json.load(f)["problem"], pid)
            finally:
                shutil.rmtree(d, ignore_errors=True)
            self.assertTrue(a.flags["F_CONTIGUOUS"])
            if a.ndim == 2:
                self.assertEqual((a.shape, a.dtype), ((512, 32), np.float32))
                # b = A x_true formed in double, rounded to float: within the rounding of b.
                r = a.astype(np.float64) @ x.astype(np.float64) - b
                self.assertLess(np.linalg.norm(r) / np.linalg.norm(b), 2 * 2.0 ** -24)
                # The shifted Gaussian: 4 sqrt(m) on the top diagonal.
                self.assertGreater(a[0, 0], 4 * 512 ** 0.5 - 6)
            else:
                self.assertEqual(a.shape, (64, 8, 16))
                for q in range(16):
                    r = a[:, :, q] @ x[:, q] - b[:, q]
                    self.assertLess(np.linalg.norm(r) / np.linalg.norm(b[:, q]), 1e-15)


class StopRule(unittest.TestCase):
    """The peers' repetitions run the binaries' rule itself: the library the case list names."""

    @classmethod
    def setUpClass(cls):
        cls.library = cases.list_cases(BUILD, "gd", "quick", [CEILINGS, CPU])["stop_rule"]["library"]
        with open(os.path.join(HERE, "data", "bench", "stop_rule.json"), encoding="utf-8") as f:
            cls.pinned = json.load(f)

    def rule(self, **kw):
        return {**self.pinned["rule"], "library": self.library, **kw}

    def test_the_case_list_names_the_built_library(self):
        self.assertTrue(os.path.isabs(self.library), self.library)
        self.assertTrue(os.path.isfile(self.library), self.library)
        self.assertIn("lsgd_stop_rule", os.path.basename(self.library))

    def test_cases_shared_with_the_binaries(self):
        for c in self.pinned["cases"]:
            self.assertEqual(common.stop_reason(self.rule(), c["reps"], c["wall_s"], c["rse"]),
                             c["stop"], c["why"])

    def test_repeat_stops_where_the_rule_says(self):
        # Identical samples: rse 0 once there are two, so "rse" at min_reps when min_time is 0.
        times, why = common.repeat(lambda: 1e-3, self.rule(min_time_s=0.0))
        self.assertEqual((len(times), why), (5, "rse"))
        # Alternating 1 and 3 ms: rse = sd / sqrt(n) / mean ~ 0.5 / sqrt(n) stays above 1% until
        # n > 2500, so the repetition cap (40) stops it first; the time caps are out of reach.
        seq = iter([1e-3, 3e-3] * 1000)
        times, why = common.repeat(lambda: next(seq), self.rule(min_time_s=0.0, max_time_s=1e9,
                                                                 max_reps=40))
        self.assertEqual((len(times), why), (40, "max_reps"))
        # The time cap: 30 ms sleeps, 1 ms min_time and 50 ms cap, a precision never reached.
        import time
        seq = iter([1e-3, 3e-3] * 1000)
        times, why = common.repeat(lambda: (time.sleep(0.03), next(seq))[1],
                                   self.rule(min_time_s=0.001, max_time_s=0.05))
        self.assertEqual((len(times), why), (5, "time_cap"))

    def test_a_bad_rule_or_library_is_a_clear_error(self):
        with self.assertRaisesRegex(ValueError, "refused"):
            common.stop_reason(self.rule(min_reps=0), 5, 1.0, 0.0)
        with self.assertRaisesRegex(ValueError, "refused"):
            common.repeat(lambda: 1e-3, self.rule(max_reps=2))
        with self.assertRaisesRegex(RuntimeError, "names no library"):
            common.stop_reason(self.pinned["rule"], 5, 1.0, 0.0)
        with self.assertRaisesRegex(RuntimeError, "cannot load"):
            common.stop_reason(self.rule(library="/nonexistent/liblsgd_stop_rule.so"), 5, 1.0, 0.0)


class OneProblemBothWays(unittest.TestCase):
    def test_interleaved_run_pairs_like_with_like(self):
        import run_peers
        sys.path.insert(0, os.path.join(ROOT, "tools"))
        import lsgd_pairs
        out = tempfile.mkdtemp(prefix="lsgd_rp_")
        try:
            rc = run_peers.main(["--build-dir", BUILD, "--preset", "quick", "--out", out,
                                 "--families", "ls", "--peers", "numpy", "--",
                                 "--lsgd_filter_solver=^cpu\\.(qr|cholesky|tsqr)$",
                                 "--lsgd_max_seconds=0.0002", "--lsgd_max_time=0.05"])
            self.assertEqual(rc, 0)
            entries = lr.load([out]).entries
        finally:
            shutil.rmtree(out, ignore_errors=True)
        pairs = lsgd_pairs.peer_pairs(entries, every_peer=True)
        self.assertTrue(pairs)
        for p in pairs:
            self.assertEqual(p.ours.fields["problem"], p.peer.fields["problem"])
            self.assertIn(p.peer.fields["algorithm"], p.ours.fields["pairs_with"])
            self.assertEqual(p.ours.precision, p.peer.compute_precision)
        got = {(p.ours.solver, p.peer.solver) for p in pairs}
        self.assertIn(("cpu.cholesky", "scipy.cho_solve"), got)
        self.assertIn(("cpu.tsqr", "scipy.gels"), got)
        self.assertFalse(any(o == "cpu.cholesky" and "gels" in q for o, q in got))
        # NumPy's float64 linalg on float32 data is never an f32 pair.
        self.assertFalse(any(p.peer.solver == "numpy.normal_eq" and p.ours.precision == "f32"
                             for p in pairs))


if __name__ == "__main__":
    unittest.main()
