#!/usr/bin/env python3
"""Tests of tools/advise_table.py and tools/crossover.py (issue 26), plain unittest.

advise_table.py (standard library only) is tested on fixtures built here in the benchmark schema,
with and without the fields issue 24 adds (algorithm, pairs_with, problem, seed,
compute_precision), and on the committed reference run (its table must be up to date).
crossover.py needs NumPy, matplotlib and the lsgd binary ($LSGD_CLI, set by ctest): without them
its tests are skipped, the others still run. Exit 77 (ctest's skip code) only when nothing ran.
"""

import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
import advise_table  # noqa: E402
import lsgd_results  # noqa: E402

REFERENCE = os.path.join(ROOT, "results", "cpu-2core-20261129")


def entry(family, solver, m, n, mean_s, batch=None, iterations=None, kappa=None, target=None,
          precision="f64", error=None, counters=None, extra=None, samples=None):
    """One Google Benchmark entry with its lsgd object, as bench/ writes it."""
    obj = {"schema": 1, "family": family, "solver": solver, "backend": solver.split(".")[0],
           "device": "gpu" if solver.startswith("cuda.") else "cpu", "precision": precision,
           "m": m, "n": n, "batch": batch, "iterations": iterations, "mode": None,
           "kappa": kappa, "target": target, "noise": None, "gen": "shifted_gaussian",
           "flop_model": "qr", "flops": 2.0 * m * n * n, "bytes": 8.0 * m * n,
           "peak_kind": "cpu_gemm_f64"}
    obj.update(extra or {})
    name = f"{family}/{solver}/{precision}/m:{m}/n:{n}"
    e = {"name": name, "run_name": name, "run_type": "iteration", "repetitions": 1,
         "repetition_index": 0, "threads": 1, "iterations": 1, "real_time": mean_s * 1e3,
         "cpu_time": 1.0, "time_unit": "ms", "lsgd": obj}
    if error:
        e["error_occurred"] = True
        e["error_message"] = error
        return e
    samples = samples or [mean_s * 0.98, mean_s, mean_s * 1.02]
    obj["stats"] = {"reps": len(samples), "mean_s": mean_s, "median_s": mean_s,
                    "min_s": min(samples), "stddev_s": 0.02 * mean_s, "rse": 0.01,
                    "stop": "rse", "samples_s": samples}
    obj["machine"] = {"other_cpu": 0.0, "busy": False, "throttled": False, "flags": []}
    e.update(counters or {"rel_err": 1e-15})
    return e


def bench_file(entries, path):
    doc = {"context": {"cpu_model": "Test CPU", "num_cpus": 2, "git_revision": "abc1234",
                       "gpu_name": "Test GPU", "gpu_sms": "132",
                       "date": "2026-12-04T00:00:00+00:00",
                       "caches": [{"type": "Unified", "level": 2, "size": 2097152,
                                   "num_sharing": 1}]},
           "benchmarks": entries}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)


def read_rows(text):
    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    header = lines[0].split("\t")
    return [dict(zip(header, ln.split("\t"))) for ln in lines[1:]]


class AdviseTable(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="lsgd_advise_py_")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def fixture(self, extra=None):
        entries = [
            entry("ls", "cpu.qr", 1024, 64, 1e-3, extra=extra),
            entry("ls", "cpu.qr", 4096, 64, 4e-3, extra=extra),
            entry("ls", "cpu.svd", 4096, 64, 0.0, error="capped", extra=extra),
            entry("bgd", "cpu.bgd", 64, 8, 2e-3, batch=256, iterations=100, extra=extra),
            entry("acc", "cpu.qr", 4096, 64, 2e-3, kappa=1e8, extra=extra,
                  counters={"digits": 13.5, "rel_err": 3e-14, "converged": 1.0}),
            entry("tta", "cpu.gd", 1024, 32, 5e-3, iterations=536, kappa=100, target=1e-3,
                  extra=extra),
            entry("ls", "numpy.lstsq", 1024, 64, 9e-3, extra=extra),  # a peer: left out
        ]
        bench_file(entries, os.path.join(self.dir, "bench_x.json"))
        return advise_table.table_text(self.dir)

    def test_rows_carry_the_fields_the_model_reads(self):
        text = self.fixture()
        self.assertIn("#@\tformat\t1", text)
        self.assertIn("#@\tdevice\tcpu\tTest CPU", text)
        self.assertIn("#@\tcache\tcpu\tl2\t2097152", text)
        rows = read_rows(text)
        self.assertEqual(len(rows), 6)  # the peer is not a row
        by = {(r["family"], r["solver"], r["m"]): r for r in rows}
        qr = by[("ls", "cpu.qr", "1024")]
        self.assertAlmostEqual(float(qr["time_s"]), 1e-3)
        self.assertAlmostEqual(float(qr["spread"]), 0.02)
        self.assertEqual(qr["failed"], "0")
        self.assertEqual(qr["batch"], "")
        svd = by[("ls", "cpu.svd", "4096")]
        self.assertEqual((svd["failed"], svd["time_s"], svd["error"]), ("1", "", "capped"))
        acc = by[("acc", "cpu.qr", "4096")]
        self.assertEqual((acc["digits"], acc["converged"], acc["kappa"]), ("13.5", "1", "100000000"))
        bgd = by[("bgd", "cpu.bgd", "64")]
        self.assertEqual((bgd["batch"], bgd["iterations"]), ("256", "100"))
        tta = by[("tta", "cpu.gd", "1024")]
        self.assertEqual((tta["iterations"], tta["target"]), ("536", "0.001"))

    def test_issue_24_fields_change_nothing(self):
        """The fields issue 24 adds (algorithm family, pairing, problem id, seed, the precision
        a peer computed in) are read and ignored: the table is the same."""
        plain = self.fixture()
        added = self.fixture(extra={"algorithm": "householder_qr", "pairs_with": ["scipy.qr"],
                                    "problem": "sg-42-1024x64", "seed": 42,
                                    "compute_precision": "f64"})
        self.assertEqual(plain, added)

    def test_a_rerun_keeps_the_entry_with_the_smaller_error(self):
        entries = [entry("ls", "cpu.qr", 1024, 64, 1e-3)]
        bench_file(entries, os.path.join(self.dir, "bench_a.json"))
        again = entry("ls", "cpu.qr", 1024, 64, 1.5e-3)
        again["lsgd"]["stats"]["rse"] = 0.001
        bench_file([again], os.path.join(self.dir, "bench_b.json"))
        rows = read_rows(advise_table.table_text(self.dir))
        self.assertEqual(len(rows), 1)
        self.assertAlmostEqual(float(rows[0]["time_s"]), 1.5e-3)

    def test_check_mode_and_errors(self):
        self.fixture()
        script = os.path.join(ROOT, "tools", "advise_table.py")
        run = lambda *a: subprocess.run([sys.executable, script, *a], capture_output=True,
                                        text=True)
        self.assertEqual(run("--check", self.dir).returncode, 1)  # not written yet
        self.assertEqual(run(self.dir).returncode, 0)
        r = run("--check", self.dir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("up to date", r.stdout)
        empty = tempfile.mkdtemp(dir=self.dir)
        bench_file([entry("ls", "numpy.lstsq", 10, 2, 1e-4)], os.path.join(empty, "p.json"))
        r = run(empty)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no lsgd entry", r.stderr)
        self.assertEqual(run(os.path.join(self.dir, "nope")).returncode, 2)

    def test_the_committed_tables_are_up_to_date(self):
        # The reference CPU run and the two H200 runs' quick presets (results/h200-*/quick).
        for d in (REFERENCE, os.path.join(ROOT, "results", "h200-20261204", "quick"),
                  os.path.join(ROOT, "results", "h200-20261204-2", "quick")):
            with open(os.path.join(d, advise_table.FILENAME), encoding="utf-8") as f:
                committed = f.read()
            self.assertEqual(committed, advise_table.table_text(d),
                             "run tools/advise_table.py " + d)

    def test_a_run_is_named_by_its_folder_under_results(self):
        self.assertEqual(advise_table.source_name(REFERENCE), "cpu-2core-20261129")
        self.assertEqual(advise_table.source_name(os.path.join(ROOT, "results", "h200-20261204-2",
                                                               "quick")), "h200-20261204-2/quick")
        self.assertEqual(advise_table.source_name("/tmp/x/run/"), "x/run")


def _crossover_ready():
    missing = [m for m in ("numpy", "matplotlib") if not _importable(m)]
    cli = os.environ.get("LSGD_CLI")
    if missing:
        return f"needs {', '.join(missing)}"
    if not cli or not os.access(cli, os.X_OK):
        return "needs the lsgd binary in $LSGD_CLI"
    return ""


def _importable(mod):
    try:
        __import__(mod)
        return True
    except ImportError:
        return False


class Crossover(unittest.TestCase):
    def setUp(self):
        why = _crossover_ready()
        if why:
            self.skipTest(why)
        self.dir = tempfile.mkdtemp(prefix="lsgd_crossover_")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_maps_of_the_reference_run(self):
        import crossover
        rc = crossover.main(["--results", REFERENCE, "--out", self.dir, "--grid", "6",
                             "--lsgd", os.environ["LSGD_CLI"]])
        self.assertEqual(rc, 0)
        names = sorted(os.listdir(self.dir))
        for kind in ("single", "batched"):
            for prec in ("f32", "f64"):
                self.assertIn(f"crossover_{kind}_{prec}_cpu.png", names)
                self.assertIn(f"crossover_{kind}_{prec}_cpu.svg", names)
        self.assertFalse([n for n in names if "cpu_vs_gpu" in n])  # no GPU measured there

    def test_a_cpu_vs_gpu_map_when_one_run_measured_both(self):
        import crossover
        entries = []
        for m in (4096, 16384, 65536, 262144):
            for n in (16, 64):
                entries.append(entry("ls", "cpu.qr", m, n, 4e-9 * m * n))
                entries.append(entry("ls", "cuda.qr", m, n, 1e-3 + 1e-9 * m * n,
                                     extra={"mode": "e2e"}))
        bench_file(entries, os.path.join(self.dir, "bench_ls.json"))
        with open(os.path.join(self.dir, advise_table.FILENAME), "w", encoding="utf-8") as f:
            f.write(advise_table.table_text(self.dir))
        rc = crossover.main(["--results", self.dir, "--grid", "5", "--lsgd",
                             os.environ["LSGD_CLI"]])
        self.assertEqual(rc, 0)
        names = os.listdir(self.dir)
        for fig in ("crossover_single_f64_cpu", "crossover_single_f64_gpu",
                    "crossover_single_f64_cpu_vs_gpu"):
            self.assertIn(fig + ".png", names)
        # Small problems on the CPU, large on the GPU (the 1 ms transfer pays from 1/3 M elements).
        _, rows = crossover.run_map(os.environ["LSGD_CLI"], self.dir, "single", "f64", 6, 100, 5)
        best = {}
        for r in rows:
            key = (float(r["x"]), float(r["y"]))
            if r["solver"] and (key not in best or float(r["time_s"]) < best[key][1]):
                best[key] = (r["device"].split(":")[1], float(r["time_s"]))
        self.assertEqual(best[(4096.0, 16.0)][0], "cpu")
        self.assertEqual(best[(262144.0, 64.0)][0], "gpu")

    def test_the_grid_names_the_fastest_solver_where_it_was_measured(self):
        import crossover
        meta, rows = crossover.run_map(os.environ["LSGD_CLI"], REFERENCE, "single", "f64", 6,
                                       100, 6)
        self.assertEqual(meta["map"][0][:2], ["single", "f64"])
        at = [r for r in rows if r["x"] == "1048576" and r["y"] == "8"]
        self.assertEqual(len(at), 1)
        # Measured there (cpu.cholesky 5.2 ms on the 2026-11-29 run): the map shows the measurement.
        with open(os.path.join(REFERENCE, advise_table.FILENAME), encoding="utf-8") as f:
            rows_here = [r for r in read_rows(f.read()) if r["family"] == "ls" and
                         r["precision"] == "f64" and r["m"] == "1048576" and r["n"] == "8" and
                         r["failed"] == "0"]
        fastest = min(rows_here, key=lambda r: float(r["time_s"]))
        self.assertEqual(at[0]["solver"], fastest["solver"])
        self.assertAlmostEqual(float(at[0]["time_s"]), float(fastest["time_s"]),
                               delta=1e-5 * float(fastest["time_s"]))
        self.assertTrue(at[0]["runner_up"])
        for r in rows:
            self.assertGreaterEqual(float(r["m"]), float(r["n"]))


if __name__ == "__main__":
    lsgd_results.reexec_if_missing(("numpy", "matplotlib"), "test_advise_py")
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    result = unittest.main(exit=False, verbosity=2).result
    if result.testsRun == len(result.skipped):
        sys.exit(77)
    sys.exit(0 if result.wasSuccessful() else 1)
