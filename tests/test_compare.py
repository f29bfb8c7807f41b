#!/usr/bin/env python3
"""Tests of tools/compare.py on the fixtures in tests/data/compare/ (known answers; plain unittest).

old.json / new.json (5 repetitions each, f64, CPU):
  cpu.qr 256x256      new = 1.2 x old, samples fully separated   -> slower (exit 1)
  cpu.qr 512x512      new = 0.8 x old, NEW flagged busy          -> faster, marked busy
  cpu.cholesky 256    overlapping noisy samples, ratio 1.053     -> noise (beyond 5%, p = 0.67)
  cpu.qr 1024x64      new = 1.02 x old                           -> same (below the threshold)
  cpu.svd only in OLD, cpu.cod only in NEW                       -> removed, new
peers.json: 256x256 best lsgd cpu.cholesky 1 ms vs best peer numpy.lstsq 3 ms; 64x64 cpu.qr 0.5 ms
vs numpy.lstsq 0.25 ms; 128x128 has no peer.
Needs SciPy and matplotlib: re-runs itself under /usr/bin/python3, exits 77 (skip) without them.
"""

import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COMPARE = os.path.join(ROOT, "tools", "compare.py")
DATA = os.path.join(HERE, "data", "compare")
OLD, NEW, PEERS = (os.path.join(DATA, f"{n}.json") for n in ("old", "new", "peers"))


sys.path.insert(0, os.path.join(ROOT, "tools"))
import lsgd_results  # noqa: E402  (standard library only)


def _ensure_modules():
    missing = lsgd_results.reexec_if_missing(("scipy", "matplotlib"), "test_compare")
    if missing:
        print(f"SKIP: test_compare needs {', '.join(missing)}; no interpreter here has them")
        sys.exit(77)


if __name__ == "__main__":
    _ensure_modules()

import compare  # noqa: E402
lr = lsgd_results


def run(*args):
    return subprocess.run([sys.executable, COMPARE, *args], capture_output=True, text=True,
                          timeout=300, check=False)


def rows_by(rows):
    return {(r.label, r.what): r for r in rows}


class OldAgainstNew(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rows = rows_by(compare.compare_sets(lr.load([OLD]).entries, lr.load([NEW]).entries,
                                                0.05, 0.05))

    def test_regression_ratio_ci_and_exact_u_test(self):
        r = self.rows[("ls/f64/m:256/n:256", "cpu.qr")]
        self.assertAlmostEqual(r.ratio, 1.2, places=12)
        # Fully separated samples of 5 and 5: the exact two-sided p is 2 / C(10, 5).
        self.assertAlmostEqual(r.p, 2 / math.comb(10, 5), places=6)
        # rse of both means: sd(1, 1.01, .99, 1.02, .98) / sqrt(5) / 1 = 0.0070711; the log ratio's
        # standard error is sqrt(2) x that = 0.01; t(0.975, 4) = 2.776445.
        self.assertAlmostEqual(r.lo, 1.2 * math.exp(-0.02776445), places=5)
        self.assertAlmostEqual(r.hi, 1.2 * math.exp(0.02776445), places=5)
        self.assertEqual(r.verdict, "slower")

    def test_improvement_busy_noise_same_new_removed(self):
        faster = self.rows[("ls/f64/m:512/n:512", "cpu.qr")]
        self.assertAlmostEqual(faster.ratio, 0.8, places=12)
        self.assertEqual(faster.verdict, "faster")
        self.assertIn("new: busy", faster.flags[0])
        noise = self.rows[("ls/f64/m:256/n:256", "cpu.cholesky")]
        self.assertAlmostEqual(noise.ratio, 7.9 / 7.5, places=12)
        self.assertGreater(noise.p, 0.5)
        self.assertEqual(noise.verdict, "noise")
        self.assertEqual(self.rows[("ls/f64/m:1024/n:64", "cpu.qr")].verdict, "same")
        self.assertEqual(self.rows[("ls/f64/m:256/n:256", "cpu.svd")].verdict, "removed")
        self.assertEqual(self.rows[("ls/f64/m:256/n:256", "cpu.cod")].verdict, "new")

    def test_cli_table_sorted_exit_status_and_figure(self):
        out = tempfile.mkdtemp(prefix="lsgd_cmp_")
        try:
            proc = run(OLD, NEW, "--out", out)
            self.assertEqual(proc.returncode, 1, proc.stderr)
            self.assertIn("significantly slower", proc.stderr)
            table = [l for l in proc.stdout.splitlines() if l.startswith("| ls/")]
            ratios = [float(l.split("|")[5]) for l in table if l.split("|")[5].strip() != "-"]
            self.assertEqual(ratios, sorted(ratios, reverse=True))
            self.assertIn("**slower**", table[0])
            for ext in ("png", "svg"):
                self.assertGreater(os.path.getsize(os.path.join(out, f"compare.{ext}")), 1000)
            self.assertTrue(os.path.isfile(os.path.join(out, "compare.md")))
            # A threshold above the 20% regression: nothing fails.
            self.assertEqual(run(OLD, NEW, "--threshold", "0.25").returncode, 0)
        finally:
            shutil.rmtree(out, ignore_errors=True)

    def test_directories(self):
        a, b = tempfile.mkdtemp(prefix="lsgd_cmp_a_"), tempfile.mkdtemp(prefix="lsgd_cmp_b_")
        try:
            shutil.copy(OLD, os.path.join(a, "bench_ls.json"))
            shutil.copy(NEW, os.path.join(b, "bench_ls.json"))
            with open(os.path.join(b, "notes.json"), "w", encoding="utf-8") as f:
                f.write('{"unrelated": true}\n')  # cpu_targets.json and the like are skipped
            proc = run(a, b)
            self.assertEqual(proc.returncode, 1, proc.stderr)
            self.assertIn("1 slower", proc.stdout)
        finally:
            shutil.rmtree(a, ignore_errors=True)
            shutil.rmtree(b, ignore_errors=True)

    def test_bad_input_is_one_line(self):
        proc = run(OLD, os.path.join(DATA, "absent.json"))
        self.assertEqual(proc.returncode, 2)
        lines = [l for l in proc.stderr.splitlines() if "using /usr/bin/python3" not in l]
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertIn("absent.json", lines[0])


class LsgdAgainstPeers(unittest.TestCase):
    def test_best_against_best(self):
        rows = compare.compare_peers(lr.load([PEERS]).entries, 0.05, 0.05)
        by = {r.label: r for r in rows}
        self.assertEqual(set(by), {"ls/f64/m:256/n:256", "ls/f64/m:64/n:64"})
        r = by["ls/f64/m:256/n:256"]
        self.assertEqual(r.what, "cpu.cholesky vs numpy.lstsq")
        self.assertAlmostEqual(r.ratio, 1 / 3, places=12)
        self.assertEqual(r.verdict, "faster")
        self.assertAlmostEqual(by["ls/f64/m:64/n:64"].ratio, 2.0, places=12)
        proc = run("--peers", PEERS)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("lsgd faster", proc.stdout)


if __name__ == "__main__":
    unittest.main()
