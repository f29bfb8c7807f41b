#!/usr/bin/env python3
"""Validate a benchmark JSON file written by the lsgd bench binaries or the peers (stdlib only).

Checks the context keys (machine, versions, ceilings) of lsgd's binaries, and for every entry its
lsgd object (the fields of docs/benchmarks.md, read by tools/lsgd_results.py; names are not read);
for every entry that ran: positive finite times, the counters of its family present and finite,
the repetition statistics, pct_peak where the ceiling is known. Entries skipped with an error must
carry an error message.

  scripts/validate_bench_json.py [--family ls|bls|gd|bgd|tta|acc|mpi] [--min-ok N] FILE.json [...]

Exit status 0 when every file is valid, 1 otherwise (each problem printed on stderr).
"""
import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import lsgd_results as lr  # noqa: E402

CONTEXT_KEYS = [
    "lsgd_device", "gpu_name", "gpu_sms", "gpu_sm_clock_mhz", "cuda_runtime", "cuda_driver",
    "cpu_model", "omp_threads", "eigen_version", "git_revision", "lsgd_preset",
    "ceiling_cpu_copy_GBps", "ceiling_cpu_gemm_f32_GFLOPs", "ceiling_cpu_gemm_f64_GFLOPs",
    "ceiling_gpu_copy_GBps", "ceiling_gpu_gemm_f32_GFLOPs", "ceiling_gpu_gemm_f64_GFLOPs",
]
BASE_COUNTERS = ["GFLOP/s", "GB/s", "rel_err", "ne_resid", "iters"]
FAMILY_COUNTERS = {
    "ls": BASE_COUNTERS,
    "bls": BASE_COUNTERS + ["failed"],
    "gd": BASE_COUNTERS,
    "bgd": BASE_COUNTERS + ["failed"],
    "tta": BASE_COUNTERS + ["target", "kappa"],
    "mpi": BASE_COUNTERS + ["P", "comm_s", "compute_s"],
    "acc": BASE_COUNTERS + ["digits", "kappa_A", "converged"],
}
PEAK_KINDS = {f"{side}_{k}" for side in ("cpu", "gpu") for k in ("copy", "gemm_f32", "gemm_f64")}


def finite_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def check_context(ctx, errors):
    ceilings = {}
    for key in CONTEXT_KEYS:
        if key not in ctx:
            errors.append(f"context: missing key '{key}'")
    for key in CONTEXT_KEYS:
        if key.startswith("ceiling_") and key in ctx:
            try:
                v = float(ctx[key])
            except (TypeError, ValueError):
                errors.append(f"context: {key} = {ctx[key]!r} is not a number")
                continue
            if not math.isfinite(v) or v < 0:
                errors.append(f"context: {key} = {v} is not a finite non-negative number")
            ceilings[key] = v
    if ctx.get("lsgd_preset") not in (None, "quick", "full"):
        errors.append(f"context: lsgd_preset = {ctx.get('lsgd_preset')!r}")
    return ceilings


def check_entry(e, raw, ceilings, lsgd_binary, errors):
    where = f"benchmark '{e.name}'"
    f = e.fields
    # Pairing needs the algorithm family and the problem's data id (issue 24): the binaries always
    # write them. A peer entry without them is valid but never paired (summary.md, compare.py).
    if lsgd_binary:
        for key in ("algorithm", "problem"):
            if not f.get(key):
                errors.append(f"{where}: lsgd.{key} missing (who it pairs with is unknown)")
    if e.error:
        if not e.error_message:
            errors.append(f"{where}: error_occurred without an error_message")
        return False
    for entry in raw:
        if entry.get("run_type") == "aggregate":
            continue
        for key in ("real_time", "cpu_time"):
            if not finite_number(entry.get(key)) or entry.get(key) < 0:
                errors.append(f"{where}: {key} = {entry.get(key)!r} is not a finite non-negative "
                              "number")
        if not (finite_number(entry.get("real_time")) and entry["real_time"] > 0):
            errors.append(f"{where}: real_time must be positive")
        if not (isinstance(entry.get("iterations"), int) and entry["iterations"] > 0):
            errors.append(f"{where}: iterations = {entry.get('iterations')!r}")
    if not (math.isfinite(e.time_s) and e.time_s > 0):
        errors.append(f"{where}: mean time {e.time_s!r} is not positive")
    if e.stats:
        reps = e.stats.get("reps")
        if not (isinstance(reps, int) and reps >= 1):
            errors.append(f"{where}: lsgd.stats.reps = {reps!r}")
        for k in ("mean_s", "median_s", "min_s"):
            if not (finite_number(e.stats.get(k)) and e.stats[k] > 0):
                errors.append(f"{where}: lsgd.stats.{k} = {e.stats.get(k)!r}")
        if finite_number(e.stats.get("min_s")) and finite_number(e.stats.get("mean_s")) \
                and e.stats["min_s"] > e.stats["mean_s"] * (1 + 1e-9):
            errors.append(f"{where}: lsgd.stats.min_s above mean_s")
        if e.samples and len(e.samples) != reps and e.stats.get("stop") != "pooled":
            errors.append(f"{where}: {len(e.samples)} samples for reps = {reps}")
    elif lsgd_binary:
        errors.append(f"{where}: no lsgd.stats (repetition statistics)")
    if not isinstance(e.machine.get("flags", []), list):
        errors.append(f"{where}: lsgd.machine.flags is not a list")
    if lsgd_binary:
        for c in FAMILY_COUNTERS[f["family"]]:
            v = e.counters.get(c)
            if v is None:
                errors.append(f"{where}: counter '{c}' missing")
            elif not finite_number(v) or v < 0:
                errors.append(f"{where}: counter '{c}' = {v!r} is not finite and >= 0")
        kind = f.get("peak_kind")
        if kind not in PEAK_KINDS:
            errors.append(f"{where}: lsgd.peak_kind = {kind!r}")
        else:
            side, what = kind.split("_", 1)
            if (side == "gpu") != (f["device"] == "gpu"):
                errors.append(f"{where}: peak_kind {kind} does not match the device")
            unit = "GBps" if what == "copy" else "GFLOPs"
            if ceilings.get(f"ceiling_{side}_{what}_{unit}", 0.0) > 0:
                v = e.counters.get("pct_peak")
                if not finite_number(v) or v < 0:
                    errors.append(f"{where}: pct_peak = {v!r} (its ceiling is known)")
        if not (finite_number(f.get("flops")) and f["flops"] > 0):
            errors.append(f"{where}: lsgd.flops = {f.get('flops')!r}")
    if f["family"] in ("bls", "bgd") and finite_number(e.counters.get("failed")):
        if e.counters["failed"] >= f["batch"]:
            errors.append(f"{where}: failed = {e.counters['failed']} is the whole batch")
    return True


def validate(path, want_family, min_ok):
    errors = []
    try:
        rf = lr.load_file(path)
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except lr.ResultsError as e:
        return [str(e)], 0, 0
    if not isinstance(doc.get("context"), dict):
        return ["no 'context' object"], 0, 0
    lsgd_binary = "peer" not in rf.context
    ceilings = check_context(rf.context, errors) if lsgd_binary else {}
    raw = {}
    names = set()
    for b in doc.get("benchmarks") or []:
        raw.setdefault(b.get("run_name") or b.get("name"), []).append(b)
        if b.get("run_type") != "aggregate":
            if b.get("name") in names:
                errors.append(f"benchmark '{b.get('name')}': duplicate name")
            names.add(b.get("name"))
            if "lsgd" not in b:
                errors.append(f"benchmark '{b.get('name')}': no lsgd object")
    ok = skipped = 0
    for e in rf.entries:
        if want_family and e.fields["family"] != want_family:
            errors.append(f"benchmark '{e.name}': family '{e.fields['family']}', expected "
                          f"'{want_family}'")
        if check_entry(e, raw.get(e.name, []), ceilings, lsgd_binary, errors):
            ok += 1
        else:
            skipped += 1
    if lsgd_binary and doc.get("benchmarks") and not isinstance(doc.get("lsgd_machine"), dict):
        errors.append("no 'lsgd_machine' object (machine state at start and end)")
    for s in doc.get("lsgd_skipped") or []:
        if not (isinstance(s, dict) and s.get("name") and s.get("reason")):
            errors.append(f"lsgd_skipped: {s!r} lacks a name or a reason")
    if ok < min_ok:
        errors.append(f"only {ok} benchmark(s) ran without error; at least {min_ok} required")
    return errors, ok, skipped


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--family", choices=lr.FAMILIES, help="require this family")
    ap.add_argument("--min-ok", type=int, default=0,
                    help="minimum number of benchmarks that ran without error (default 0)")
    args = ap.parse_args()
    bad = False
    for path in args.files:
        errors, ok, skipped = validate(path, args.family, args.min_ok)
        if errors:
            bad = True
            print(f"{path}: INVALID ({len(errors)} problem(s))", file=sys.stderr)
            for e in errors[:50]:
                print(f"  {e}", file=sys.stderr)
            if len(errors) > 50:
                print(f"  ... and {len(errors) - 50} more", file=sys.stderr)
        else:
            print(f"{path}: valid ({ok} ran, {skipped} skipped with an error message)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
