#!/usr/bin/env python3
"""Tests of tools/compare.py on the fixtures in tests/data/compare/ (known answers; plain unittest).

old.json / new.json (5 repetitions each, f64, CPU):
  cpu.qr 256x256      new = 1.2 x old, samples fully separated   -> slower (exit 1)
  cpu.qr 512x512      new = 0.8 x old, NEW flagged busy          -> faster, marked busy
  cpu.cholesky 256    overlapping noisy samples, ratio 1.053     -> noise (beyond 5%, p = 0.67)
  cpu.qr 1024x64      new = 1.02 x old                           -> same (below the threshold)
  cpu.svd only in OLD, cpu.cod only in NEW                       -> removed, new
peers.json (written before the pairing fields existed): no pair at all, whatever the times.
LikeForLike builds its fixtures here (entries with algorithm, problem, precision, accuracy) and
proves the pairing: no ratio across algorithm families, precisions, compute precisions, problems
or devices can come out of compare.py or plot.py's summary.
Needs SciPy and matplotlib: re-runs itself under /usr/bin/python3, exits 77 (skip) without them.
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
COMPARE = os.path.join(ROOT, "tools", "compare.py")
DATA = os.path.join(HERE, "data", "compare")
OLD, NEW, PEERS = (os.path.join(DATA, f"{n}.json") for n in ("old", "new", "peers"))


sys.path.insert(0, os.path.join(ROOT, "tools"))
import lsgd_results  # noqa: E402  (standard library only)


def _ensure_modules():
    lsgd_results.skip_unless_modules(("scipy", "matplotlib"), "test_compare")


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
        self.assertAlmostEqual(r.ratio, 1.2, places=12)  # medians 1.2 ms / 1.0 ms
        # Fully separated samples of 5 and 5: the exact two-sided p is 2 / C(10, 5).
        self.assertAlmostEqual(r.p, 2 / math.comb(10, 5), places=6)
        # Bootstrap of the ratio of medians: every resampled median lies within the samples'
        # range (0.98..1.02 of each side's centre), so the interval lies in 1.2 x [0.98/1.02,
        # 1.02/0.98] and, with 2000 resamples, reaches past 1.2 on both sides.
        self.assertGreater(r.lo, 1.2 * 0.98 / 1.02 - 1e-12)
        self.assertLess(r.hi, 1.2 * 1.02 / 0.98 + 1e-12)
        self.assertLess(r.lo, 1.2)
        self.assertGreater(r.hi, 1.2)
        self.assertEqual(r.verdict, "slower")

    def test_improvement_busy_noise_same_new_removed(self):
        faster = self.rows[("ls/f64/m:512/n:512", "cpu.qr")]
        self.assertAlmostEqual(faster.ratio, 0.8, places=12)
        self.assertEqual(faster.verdict, "faster")
        self.assertIn("new: busy", faster.flags[0])
        noise = self.rows[("ls/f64/m:256/n:256", "cpu.cholesky")]
        self.assertAlmostEqual(noise.ratio, 1.6 / 1.5, places=12)  # medians
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


def _entry(solver, algorithm, samples, rel_err, precision="f64", problem="P1", compute=None,
           pairs_with=None, family="ls", m=256, n=256, device="cpu", iterations=None, batch=None,
           busy=False):
    """A Google Benchmark entry with lsgd's fields, as the binaries and peers write it."""
    name = f"{family}/{solver}/{precision}/m:{m}/n:{n}" + (f"/iters:{iterations}" if iterations
                                                          else "")
    med = sorted(samples)[len(samples) // 2]
    fields = {"schema": 1, "family": family, "solver": solver, "backend": solver.split(".")[0],
              "device": device, "precision": precision, "m": m, "n": n, "batch": batch,
              "iterations": iterations, "mode": None, "kappa": None, "target": None,
              "algorithm": algorithm, "problem": problem,
              "stats": {"reps": len(samples), "mean_s": sum(samples) / len(samples),
                        "median_s": med, "min_s": min(samples), "rse": 0.01, "stop": "rse",
                        "samples_s": list(samples)},
              "machine": {"busy": busy, "throttled": False,
                          "flags": ["busy: other processes used 80% of the CPUs"] if busy else []}}
    if compute:
        fields["compute_precision"] = compute
    if pairs_with is not None:
        fields["pairs_with"] = pairs_with
    elif solver.split(".")[0] in ("cpu", "cuda"):
        fields["pairs_with"] = [algorithm]
    return {"name": name, "run_name": name, "run_type": "iteration", "iterations": 1,
            "real_time": med * 1e3, "cpu_time": med * 1e3, "time_unit": "ms", "rel_err": rel_err,
            "lsgd": fields}


def _spread(t, k=7):
    """k samples around t (+-2%), median t."""
    return [t * (1 + 0.02 * (i - k // 2) / (k // 2)) for i in range(k)]


def _write(entries):
    d = tempfile.mkdtemp(prefix="lsgd_pairs_")
    with open(os.path.join(d, "bench.json"), "w", encoding="utf-8") as f:
        json.dump({"context": {"lsgd_preset": "quick"}, "benchmarks": entries}, f)
    return d


def _load(entries):
    d = _write(entries)
    try:
        return lr.load([d]).entries
    finally:
        shutil.rmtree(d, ignore_errors=True)


class LikeForLike(unittest.TestCase):
    """The pairing (tools/lsgd_pairs.py) behind compare.py --peers and summary.md."""

    def pairs(self, entries, every=False):
        return compare.compare_peers(_load(entries), every)

    def test_same_family_precision_problem_is_paired_with_interval_and_accuracy(self):
        ps = self.pairs([_entry("cpu.qr", "qr", _spread(1e-3), 1e-15),
                         _entry("scipy.gels", "qr", _spread(3e-3), 2e-15)])
        self.assertEqual(len(ps), 1)
        p = ps[0]
        self.assertAlmostEqual(p.ratio, 3.0, places=12)  # peer median / lsgd median
        self.assertTrue(p.lo < 3.0 < p.hi and p.lo > 1.0, (p.lo, p.hi))
        self.assertEqual(p.verdict, "lsgd faster")
        self.assertEqual((p.ours.rel_err, p.peer.rel_err), (1e-15, 2e-15))

    def test_no_ratio_across_families(self):
        # The audit's case: normal equations against pivoted QR, SVD and a QR that forms Q.
        entries = [_entry("cpu.cholesky", "normal_eq", _spread(1e-3), 1e-15),
                   _entry("scipy.lstsq.gelsy", "rrqr", _spread(10e-3), 1e-15),
                   _entry("numpy.lstsq", "svd", _spread(20e-3), 1e-15),
                   _entry("scipy.qr", "qr", _spread(5e-3), 1e-15)]
        self.assertEqual(self.pairs(entries, every=True), [])
        d = _write(entries)
        try:
            proc = run("--peers", d)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        self.assertEqual(proc.returncode, 2, proc.stdout)
        self.assertIn("no lsgd solver has a peer of its own algorithm family", proc.stderr)

    def test_no_ratio_across_precisions_or_compute_precisions(self):
        entries = [_entry("cpu.svd", "svd", _spread(1e-3), 1e-7, precision="f32"),
                   _entry("scipy.lstsq.gelsd", "svd", _spread(2e-3), 1e-15, precision="f64"),
                   # float32 data solved in float64 (NumPy's linalg): not an f32 peer.
                   _entry("numpy.lstsq", "svd", _spread(4e-3), 1e-15, precision="f32",
                          compute="f64")]
        self.assertEqual(self.pairs(entries, every=True), [])
        entries.append(_entry("scipy.lstsq.gelsd", "svd", _spread(5e-3), 1e-7, precision="f32"))
        ps = self.pairs(entries, every=True)
        self.assertEqual([(p.ours.solver, p.peer.solver, p.peer.precision) for p in ps],
                         [("cpu.svd", "scipy.lstsq.gelsd", "f32")])

    def test_no_ratio_across_problems_or_devices_or_without_a_problem_id(self):
        entries = [_entry("cpu.qr", "qr", _spread(1e-3), 1e-15, problem="P1"),
                   _entry("scipy.gels", "qr", _spread(2e-3), 1e-15, problem="P2"),
                   _entry("torch.lstsq.gels", "qr", _spread(2e-3), 1e-15, device="gpu"),
                   _entry("cpu.tsqr", "tsqr", _spread(1e-3), 1e-15, problem=None,
                          pairs_with=["tsqr", "qr"])]
        self.assertEqual(self.pairs(entries, every=True), [])

    def test_tsqr_pairs_with_unpivoted_qr_not_with_pivoted(self):
        ps = self.pairs([_entry("cpu.tsqr", "tsqr", _spread(1e-3), 1e-15, pairs_with=["tsqr", "qr"]),
                         _entry("scipy.lstsq.gelsy", "rrqr", _spread(1e-4), 1e-15),
                         _entry("scipy.gels", "qr", _spread(2e-3), 1e-15)], every=True)
        self.assertEqual([p.peer.solver for p in ps], ["scipy.gels"])

    def test_fastest_peer_of_the_family_by_median(self):
        ps = self.pairs([_entry("cpu.cholesky", "normal_eq", _spread(1e-3), 1e-15),
                         _entry("scipy.cho_solve", "normal_eq", _spread(2e-3), 1e-15),
                         _entry("numpy.normal_eq", "normal_eq", _spread(4e-3), 1e-15),
                         _entry("scipy.gels", "qr", _spread(0.5e-3), 1e-15)])
        self.assertEqual([(p.peer.solver, p.ratio) for p in ps], [("scipy.cho_solve", 2.0)])

    def test_accuracy_gap_and_few_repetitions_are_marked_not_ranked(self):
        gd = [_entry("cpu.gd.momentum", "momentum", _spread(1e-3), 0.3, family="gd",
                     iterations=10),
              _entry("numpy.matmul.momentum", "momentum", _spread(5e-3), 1e-7, family="gd",
                     iterations=10)]
        (p,) = self.pairs(gd)
        self.assertFalse(p.ranked)
        self.assertTrue(p.verdict.startswith("not ranked: accuracy differs"), p.verdict)
        # Both at working accuracy (below 16 eps): equal, ranked.
        (q,) = self.pairs([_entry("cpu.qr", "qr", _spread(1e-3), 1e-17),
                           _entry("scipy.gels", "qr", _spread(2e-3), 3e-15)])
        self.assertTrue(q.ranked)
        (r,) = self.pairs([_entry("cpu.qr", "qr", _spread(1e-3), 1e-15),
                           _entry("scipy.gels", "qr", [2e-3, 2.1e-3], 1e-15)])
        self.assertEqual(r.verdict, "not ranked: fewer than 5 repetitions (7/2)")
        self.assertIsNone(r.interval)

    def test_random_mixes_never_pair_unlike_entries(self):
        """Property: over random mixes of families, precisions, compute precisions, problems and
        devices, every pair compare.py and the summary produce is like for like."""
        import random
        import plot
        rng = random.Random(7)
        fams = ["normal_eq", "qr", "tsqr", "rrqr", "svd"]
        for trial in range(40):
            entries = []
            for i in range(12):
                algo = rng.choice(fams)
                prec = rng.choice(["f32", "f64"])
                lsgd = rng.random() < 0.5
                solver = (f"cpu.s{i}" if lsgd else f"{rng.choice(['numpy', 'scipy', 'jax'])}.s{i}")
                entries.append(_entry(
                    solver, algo, _spread(rng.uniform(1e-4, 1e-2)), rng.choice([1e-15, 1e-7, 1e-3]),
                    precision=prec, problem=rng.choice(["P1", "P2", None]),
                    compute=rng.choice([None, "f64"]) if not lsgd else None,
                    pairs_with=(["tsqr", "qr"] if algo == "tsqr" else [algo]) if lsgd else None,
                    device=rng.choice(["cpu", "gpu"])))
            loaded = _load(entries)
            data = plot.Data()
            for e in loaded:
                data.records.append(plot.Record(e.name, e.fields, e.time_s, e.counters, e.gpu,
                                                e.error, (), e.rse, len(e.samples), e))
            for p in compare.compare_peers(loaded, every_peer=True) + plot.summary_rows(data):
                o, q = p.ours.fields, p.peer.fields
                self.assertIn(q["algorithm"], o["pairs_with"], trial)
                self.assertEqual(o["precision"], q["precision"])
                self.assertEqual(o["precision"], q.get("compute_precision") or q["precision"])
                self.assertEqual((o["problem"], o["device"]), (q["problem"], q["device"]))
                self.assertIsNotNone(o["problem"])

    def test_old_peer_files_give_no_pair(self):
        self.assertEqual(compare.compare_peers(lr.load([PEERS]).entries), [])
        self.assertEqual(run("--peers", PEERS).returncode, 2)

    def test_cli_table_has_both_accuracies_and_the_interval(self):
        d = _write([_entry("cpu.qr", "qr", _spread(1e-3), 1.5e-15),
                    _entry("scipy.gels", "qr", _spread(3e-3), 2.5e-15)])
        try:
            proc = run("--peers", d, "--out", d)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn("1 like-for-like pairs: 1 lsgd faster", proc.stdout)
            row = [l for l in proc.stdout.splitlines() if l.startswith("| ls/")][0]
            self.assertIn("1.5e-15", row)
            self.assertIn("2.5e-15", row)
            self.assertRegex(row, r"\| 3 \[[0-9.]+, [0-9.]+\] \|")
            self.assertTrue(os.path.getsize(os.path.join(d, "compare.png")) > 1000)
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
