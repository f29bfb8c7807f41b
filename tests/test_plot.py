#!/usr/bin/env python3
"""Tests of tools/plot.py on the committed fixtures in tests/data/plot/ (plain unittest).

Run as a script or through ctest. Needs NumPy and matplotlib: re-runs itself under /usr/bin/python3
when this interpreter lacks them, and exits 77 (ctest's SKIP_RETURN_CODE) when none has them.
"""

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PLOT = os.path.join(ROOT, "tools", "plot.py")
DATA = os.path.join(HERE, "data", "plot")


sys.path.insert(0, os.path.join(ROOT, "tools"))
import lsgd_results  # noqa: E402  (standard library only)


def _ensure_modules():
    lsgd_results.skip_unless_modules(("numpy", "matplotlib"), "test_plot")



class DigitsAgainstTime(unittest.TestCase):
    """bench_acc output (tests/data/plot/acc.json: a real quick-preset run, f64, 512 x 32, kappa(A)
    1e2, 1e6, 1e10; cpu.cholesky refused at 1e10): the digits_time figure and the digits table."""

    @classmethod
    def setUpClass(cls):
        cls.out = tempfile.mkdtemp(prefix="lsgd_plot_acc_")
        cls.proc = run_plot("--out", cls.out, "--summary", os.path.join(DATA, "acc.json"))
        with open(os.path.join(cls.out, "summary.md"), encoding="utf-8") as f:
            cls.summary = f.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.out, ignore_errors=True)

    def row(self, solver):
        for line in self.summary.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells and cells[0] == solver:
                return cells[1:]
        self.fail(f"no row for {solver} in\n{self.summary}")

    def test_figure_written(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        for ext in ("png", "svg"):
            self.assertTrue(os.path.isfile(os.path.join(self.out, f"digits_time.{ext}")))
        self.assertIn("accuracy_kappa: no data, skipped", self.proc.stdout)  # tta only

    def test_digits_table(self):
        self.assertIn("| solver | kappa(A) 1e+02 | kappa(A) 1e+06 | kappa(A) 1e+10 |", self.summary)
        refined = self.row("cpu.qr.refined")
        self.assertEqual([c.split(",")[0] for c in refined], ["16.0", "16.0", "16.0"])
        qr = [float(c.split(",")[0]) for c in self.row("cpu.qr")]
        self.assertEqual(qr, sorted(qr, reverse=True))  # fewer digits as kappa grows
        self.assertEqual(self.row("cpu.cholesky")[2], "error")
        self.assertTrue(all("*" in c.split(",")[0] for c in self.row("cpu.gd")))  # at the cap

    def test_acc_entries_are_not_peer_workloads(self):
        self.assertIn("wrote", self.proc.stdout)
        self.assertNotIn("| acc/", self.summary)

if __name__ == "__main__":
    _ensure_modules()

import plot  # noqa: E402

FIXTURES = [os.path.join(DATA, f) for f in ("lsgd.json", "torch.json", "numpy.json",
                                            "histories.json", "pairs.json")]
EXPECTED_FIGURES = [
    "time_ls_square", "speedup_ls_square", "roofline_ls_square",
    "time_ls_tall_skinny", "speedup_ls_tall_skinny", "roofline_ls_tall_skinny",
    "time_bls", "speedup_bls", "roofline_bls", "throughput_bls",
    "time_gd", "speedup_gd", "roofline_gd",
    "time_bgd", "speedup_bgd", "roofline_bgd", "throughput_bgd",
    "accuracy_kappa", "convergence_iter", "convergence_time", "frontier_ls",
]


def run_plot(*args):
    return subprocess.run([sys.executable, PLOT, *args], capture_output=True, text=True,
                          timeout=600, check=False)


MACHINE = {}  # (workload, lsgd solver) -> the machine cell of summary.md


def summary_table(path):
    """{(workload, lsgd solver): (family, peer, ratio text, verdict)} from summary.md's pair rows."""
    rows = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) != 11 or cells[0] in ("workload", "---"):
                continue
            rows[(cells[0], cells[2])] = (cells[1], cells[5], cells[8], cells[9])
            MACHINE[(cells[0], cells[2])] = cells[10]
    return rows


class FiguresFromFixtures(unittest.TestCase):
    """One CLI run over every fixture; the tests read what it wrote."""

    @classmethod
    def setUpClass(cls):
        cls.out = tempfile.mkdtemp(prefix="lsgd_plot_")
        cls.proc = run_plot("--out", cls.out, "--summary", *FIXTURES)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.out, ignore_errors=True)

    def test_exit_status_zero(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)

    def test_every_figure_written_as_png_and_svg(self):
        for stem in EXPECTED_FIGURES:
            for ext, magic in (("png", b"\x89PNG"), ("svg", b"<svg")):
                path = os.path.join(self.out, f"{stem}.{ext}")
                with self.subTest(figure=f"{stem}.{ext}"):
                    self.assertTrue(os.path.isfile(path), f"{path} missing\n{self.proc.stdout}")
                    with open(path, "rb") as f:
                        head = f.read(4096)
                    self.assertGreater(os.path.getsize(path), 1000)
                    self.assertIn(magic, head)
                    self.assertIn(f"wrote {path}", self.proc.stdout)

    def test_figure_without_data_is_reported_and_skipped(self):
        # The fixtures hold no m = 16 n problem.
        self.assertIn("time_ls_tall: no data, skipped", self.proc.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.out, "time_ls_tall.png")))

    def test_crossover_printed(self):
        # cpu.qr / cuda.qr: speedup 0.5 at n = 256, 5 at n = 1024 (fixture): interpolated in
        # (log n, log speedup), the GPU is faster from 256 * 4^(ln 2 / (ln 2 + ln 5)).
        expected = 256 * 4 ** (math.log(2) / (math.log(2) + math.log(5)))
        line = next(l for l in self.proc.stdout.splitlines()
                    if l.startswith("crossover ls_square lsgd qr f64"))
        self.assertAlmostEqual(float(line.rsplit("=", 1)[1]), expected, delta=0.1)
        self.assertIn("crossover bgd lsgd gd f32 64x8, 100 iterations: none (GPU faster at every",
                      self.proc.stdout)
        # Per algorithm family only: no "best" line mixing families.
        self.assertNotIn(" best ", self.proc.stdout)

    def test_summary_pairs_like_with_like_only(self):
        rows = summary_table(os.path.join(self.out, "summary.md"))
        # The audit's 4096^2 headline (cuda.cholesky against torch.lstsq, 8x) is gone: the normal
        # equations have no peer of their family here. cuda.qr against torch.lstsq (gels): 3x,
        # with 3 repetitions a side: shown, not ranked.
        self.assertNotIn(("ls/f64/m:4096/n:4096", "cuda.cholesky"), rows)
        fam, peer, ratio, verdict = rows[("ls/f64/m:4096/n:4096", "cuda.qr")]
        self.assertEqual((fam, peer, ratio), ("qr", "torch.lstsq", "(3)"))
        self.assertEqual(verdict, "not ranked: fewer than 5 repetitions (3/3)")
        # CPU against CPU: cpu.qr 2 ms against scipy.qr 3 ms; cpu.cholesky has no partner.
        self.assertEqual(rows[("ls/f64/m:256/n:256", "cpu.qr")][1:3], ("scipy.qr", "(1.5)"))
        self.assertNotIn(("ls/f64/m:256/n:256", "cpu.cholesky"), rows)
        # A peer faster than lsgd: ratio below 1 (torch.bmm_graph 1.1 ms, cuda.bgd 2 ms).
        self.assertEqual(rows[("bgd/f32/batch:256/m:64/n:8/iters:100", "cuda.bgd.resident")][1:3],
                         ("torch.bmm_graph", "(0.55)"))
        # Different devices are never paired (cpu.qr on the CPU, torch.lstsq on the GPU).
        self.assertNotIn(("tta/f64/m:4096/n:64/kappa:1e12/target:1e-6", "cpu.qr"), rows)
        # e2e is its own workload, here without a peer.
        self.assertNotIn(("ls/f64/m:262144/n:64/mode:e2e", "cuda.qr"), rows)
        # Ranked with an interval (7 repetitions a side): cpu.qr 10 ms against scipy.gels 20 ms;
        # cpu.cholesky (normal equations) is never put against gelsy or numpy.lstsq.
        fam, peer, ratio, verdict = rows[("ls/f64/m:512/n:512", "cpu.qr")]
        self.assertEqual((fam, peer, verdict), ("qr", "scipy.gels", "lsgd faster"))
        self.assertRegex(ratio, r"^2 \[1\.9[0-9]*, 2\.0[0-9]*\]$")
        self.assertNotIn(("ls/f64/m:512/n:512", "cpu.cholesky"), rows)
        with open(os.path.join(self.out, "summary.md"), encoding="utf-8") as f:
            text = f.read()
        self.assertIn("1.2e-15", text)  # both accuracies beside the times
        self.assertIn("1.4e-15", text)
        self.assertIn("## Across algorithm families: accuracy against time (no ratios)", text)

    def test_summary_flags_busy_entries_one_by_one(self):
        summary_table(os.path.join(self.out, "summary.md"))
        self.assertIn("peer: busy: other processes used 50% of the CPUs",
                      MACHINE[("ls/f64/m:512/n:512", "cpu.qr")])
        self.assertEqual(MACHINE[("ls/f64/m:256/n:256", "cpu.qr")], "")
        with open(os.path.join(self.out, "summary.md"), encoding="utf-8") as f:
            self.assertIn("2 of", f.read())


class Crossover(unittest.TestCase):
    def test_exact_in_log_space(self):
        # log(cpu / gpu) = log(n / 100) is linear in log n: interpolation is exact.
        sizes = [2 ** k for k in range(2, 14)]
        got = plot.crossover(sizes, [n * n for n in sizes], [100.0 * n for n in sizes])
        self.assertAlmostEqual(got, 100.0, places=6)

    def test_cubic_against_quadratic_plus_latency(self):
        # cpu t = n^3, gpu t = 1e3 + n^2: they cross at the root of n^3 - n^2 - 1e3 (about 10.33).
        lo, hi = 1.0, 100.0
        for _ in range(100):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if mid ** 3 - mid ** 2 - 1e3 < 0 else (lo, mid)
        sizes = [10 ** (k / 20) for k in range(0, 61)]
        got = plot.crossover(sizes, [n ** 3 for n in sizes], [1e3 + n ** 2 for n in sizes])
        self.assertAlmostEqual(got, lo, delta=0.01 * lo)

    def test_unsorted_input(self):
        sizes = [1024, 64, 4096, 256]
        got = plot.crossover(sizes, [n * n for n in sizes], [100.0 * n for n in sizes])
        self.assertAlmostEqual(got, 100.0, places=6)

    def test_gpu_always_faster_or_slower(self):
        sizes = [64, 256, 1024]
        self.assertIsNone(plot.crossover(sizes, [10, 20, 30], [1, 2, 3]))
        self.assertIsNone(plot.crossover(sizes, [1, 2, 3], [10, 20, 30]))

    def test_gpu_not_faster_at_largest(self):
        self.assertIsNone(plot.crossover([1, 10, 100], [1, 10, 5], [2, 5, 10]))

    def test_later_crossing_wins(self):
        # Faster, slower, then faster for good: the GPU is faster from the second crossing on.
        got = plot.crossover([1, 10, 100, 1000], [2, 1, 1, 4], [1, 2, 2, 1])
        self.assertGreater(got, 100)
        self.assertLess(got, 1000)

    def test_tie_at_a_sample(self):
        self.assertEqual(plot.crossover([10, 100, 1000], [1, 5, 9], [2, 5, 3]), 100)

    def test_length_mismatch(self):
        with self.assertRaises(ValueError):
            plot.crossover([1, 2], [1], [1, 2])


class Reading(unittest.TestCase):
    """tools/lsgd_results.py: fields, not names; the statistics of the repetitions."""

    FIELDS = {"schema": 1, "family": "ls", "solver": "cpu.qr", "backend": "cpu", "device": "cpu",
              "precision": "f64", "m": 8, "n": 8}

    def entries(self, benchmarks):
        path = os.path.join(tempfile.mkdtemp(prefix="lsgd_read_"), "r.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"context": {}, "benchmarks": benchmarks}, f)
        try:
            return lsgd_results.load([path]).entries
        finally:
            shutil.rmtree(os.path.dirname(path), ignore_errors=True)

    def rep(self, t, i, name="any name at all"):
        return {"name": name, "run_name": name, "run_type": "iteration", "repetition_index": i,
                "real_time": t, "time_unit": "ms", "rel_err": t, "lsgd": dict(self.FIELDS)}

    def test_fields_not_names(self):
        (e,) = self.entries([self.rep(1.0, 0, name="BM_unparseable/xyz")])
        self.assertEqual((e.solver, e.precision, e.m, e.n, e.batch), ("cpu.qr", "f64", 8, 8, None))
        self.assertEqual(e.workload_label(), "ls/f64/m:8/n:8")

    def test_median_of_the_repetitions_whatever_the_aggregates(self):
        reps = [self.rep(1.0, 0), self.rep(2.0, 1), self.rep(10.0, 2)]
        mean = dict(reps[0], run_type="aggregate", aggregate_name="mean", real_time=5.0,
                    name="any name at all_mean", rel_err=4.0)
        (e,) = self.entries(reps)
        self.assertAlmostEqual(e.time_s, 2e-3)
        self.assertAlmostEqual(e.mean_s, 13e-3 / 3)
        self.assertEqual(e.counters["rel_err"], 2.0)
        self.assertEqual(e.samples, [1e-3, 2e-3, 10e-3])
        (e,) = self.entries(reps + [mean])
        self.assertAlmostEqual(e.time_s, 2e-3)  # one estimator: the median
        self.assertEqual(e.counters["rel_err"], 4.0)
        (e,) = self.entries([mean])  # only an aggregate: its time
        self.assertAlmostEqual(e.time_s, 5e-3)

    def test_statistics_of_the_lsgd_object_win(self):
        entry = self.rep(3.0, 0)
        entry["lsgd"]["stats"] = {"reps": 4, "mean_s": 0.0025, "median_s": 0.0025, "min_s": 0.001,
                                  "rse": 0.2, "stop": "time_cap",
                                  "samples_s": [0.001, 0.002, 0.003, 0.004]}
        entry["lsgd"]["machine"] = {"busy": True, "flags": ["busy: other processes used 48%"]}
        (e,) = self.entries([entry])
        self.assertAlmostEqual(e.time_s, 0.0025)
        self.assertEqual(len(e.samples), 4)
        self.assertEqual(e.rse, 0.2)
        self.assertTrue(e.busy)

    def test_entry_without_fields_is_foreign_and_bad_fields_fail(self):
        entry = self.rep(1.0, 0)
        del entry["lsgd"]
        self.assertEqual(self.entries([entry]), [])
        entry["lsgd"] = dict(self.FIELDS, family="bgd")  # batched GD without batch, iterations
        with self.assertRaises(lsgd_results.ResultsError) as cm:
            self.entries([entry])
        self.assertIn("lsgd.batch", str(cm.exception))


class PeerWriterRoundTrip(unittest.TestCase):
    """bench/peers/common.py writes what tools/lsgd_results.py reads (fields, statistics, flags)."""

    def test_round_trip(self):
        sys.path.insert(0, os.path.join(ROOT, "bench", "peers"))
        import common  # noqa: E402
        w = common.BenchWriter({"peer": "numpy"}, device="cpu")
        fields = common.bgd_name("numpy.matmul", "f32", 64, 256, 32, 100)
        self.assertEqual(str(fields), "bgd/numpy.matmul/f32/batch:64/m:256/n:32/iters:100")
        w.add(fields, [1e-3, 2e-3, 3e-3], {"rel_err": 1e-6}, rate={"flops": 1e6})
        w.add_error(common.tta_name("numpy.lstsq", "f64", 256, 16, 1e4, 1e-6), "failed")
        # 200 jiffies of machine time, 100 busy, none of them ours: 50% other load -> busy.
        busy = common.machine_of((0, 0, 0.0, 1.0), (100, 200, 0.0, 1.0))
        self.assertTrue(busy["busy"])
        self.assertFalse(common.machine_of((0, 0, 0.0, 1.0), (10, 200, 0.0, 1.0))["busy"])
        path = os.path.join(tempfile.mkdtemp(prefix="lsgd_peer_"), "p.json")
        try:
            w.write(path)
            ok, err = lsgd_results.load([path]).entries
        finally:
            shutil.rmtree(os.path.dirname(path), ignore_errors=True)
        self.assertEqual((ok.family, ok.solver, ok.batch, ok.m, ok.n, ok.iterations),
                         ("bgd", "numpy.matmul", 64, 256, 32, 100))
        self.assertAlmostEqual(ok.time_s, 2e-3)
        self.assertEqual(ok.samples, [1e-3, 2e-3, 3e-3])
        self.assertAlmostEqual(ok.counters["GFLOP/s"], 1e6 / 2e-3 / 1e9)
        self.assertTrue(err.error)
        self.assertEqual((err.kappa, err.target), (1e4, 1e-6))


class Panels(unittest.TestCase):
    def test_precisions_apart_and_at_most_eight_lines_per_panel(self):
        series = {(f"cpu.s{i:02d}", "f64", False, "", False): ([1, 2], [1, 2]) for i in range(19)}
        series.update({(f"numpy.p{i}", "f32", False, "", False): ([1, 2], [1, 2])
                       for i in range(3)})
        fig, cells = plot.panel_grid(series, "t")
        try:
            by_prec = {}
            for _, prec, keys in cells:
                self.assertLessEqual(len(keys), plot.MAX_SERIES)
                self.assertTrue(all(k[1] == prec for k in keys))
                by_prec.setdefault(prec, []).extend(keys)
            self.assertEqual(len(by_prec["f64"]), 19)
            self.assertEqual(len([c for c in cells if c[1] == "f64"]), 3)
            self.assertEqual(len(by_prec["f32"]), 3)
        finally:
            plot.plt.close(fig)

    def test_lsgd_solid_peers_dashed_gpu_filled(self):
        recs = [plot.Record(s, {"solver": s, "algorithm": a, "family": "ls"}, 1.0, {}, False)
                for s, a in (("cuda.qr", "qr"), ("cpu.qr", "qr"), ("numpy.lstsq", "svd"),
                             ("torch.lstsq", "qr"), ("scipy.lstsq.gelsy", "rrqr"),
                             ("scipy.lstsq.gelsd", "svd"))]
        styler = plot.Styler(recs)
        self.assertEqual(styler.kwargs("cuda.qr", True)["linestyle"], "-")
        self.assertEqual(styler.kwargs("cpu.qr", False)["linestyle"], "-")
        for peer in ("numpy.lstsq", "torch.lstsq"):
            self.assertNotEqual(styler.kwargs(peer, False)["linestyle"], "-")
        self.assertEqual(styler.kwargs("cpu.qr", False)["markerfacecolor"], "white")
        self.assertNotEqual(styler.kwargs("cuda.qr", True)["markerfacecolor"], "white")
        # One colour per family, whatever the backend; gelsy (pivoted QR) and gelsd (SVD), one
        # colour each (they shared one before).
        self.assertEqual(styler.kwargs("cuda.qr", True)["color"],
                         styler.kwargs("cpu.qr", False)["color"])
        self.assertNotEqual(styler.kwargs("scipy.lstsq.gelsy", False)["color"],
                            styler.kwargs("scipy.lstsq.gelsd", False)["color"])
        self.assertEqual(styler.family["scipy.lstsq.gelsd"], styler.family["numpy.lstsq"])

    def test_one_line_per_shape(self):
        # Tall-skinny: x = m, one panel per n; GD: one panel per shape, x = iterations. A line
        # never joins two shapes (the audit found 6 of 10 x positions mixing shapes).
        ts = next(p for p in plot.PANELS if p.key == "ls_tall_skinny")
        gd = next(p for p in plot.PANELS if p.key == "gd")
        rec = [plot.Record("r", {"solver": "cpu.qr", "family": "ls", "m": m, "n": n,
                                 "precision": "f64"}, 1.0, {}, False)
               for m, n in ((1 << 14, 8), (1 << 14, 32), (1 << 16, 8))]
        keys = {plot.series_key(r, ts) for r in rec}
        self.assertEqual({k[3] for k in keys}, {"n = 8", "n = 32"})
        self.assertEqual([ts.x(r) for r in rec], [1 << 14, 1 << 14, 1 << 16])
        g = plot.Record("g", {"solver": "cpu.gd", "family": "gd", "m": 4096, "n": 64,
                              "iterations": 100, "precision": "f64"}, 1.0, {}, False)
        self.assertEqual((gd.x(g), gd.sub(g)), (100.0, "4096x64"))


class BadInput(unittest.TestCase):
    def setUp(self):
        self.out = tempfile.mkdtemp(prefix="lsgd_plot_bad_")

    def tearDown(self):
        shutil.rmtree(self.out, ignore_errors=True)

    def assert_one_line_error(self, path, fragment):
        proc = run_plot("--out", self.out, path)
        self.assertNotEqual(proc.returncode, 0)
        lines = [l for l in proc.stderr.splitlines() if not l.endswith("using /usr/bin/python3")]
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertTrue(lines[0].startswith("plot.py: error:"), lines[0])
        self.assertIn(fragment, lines[0])
        self.assertNotIn("Traceback", proc.stderr)

    def test_malformed_json(self):
        self.assert_one_line_error(os.path.join(DATA, "malformed.json"), "malformed.json")

    def test_missing_file(self):
        self.assert_one_line_error(os.path.join(self.out, "absent.json"), "absent.json")

    def test_json_of_the_wrong_shape(self):
        path = os.path.join(self.out, "list.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write("[1, 2, 3]\n")
        self.assert_one_line_error(path, "list.json")


if __name__ == "__main__":
    unittest.main()
