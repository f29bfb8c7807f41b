#!/usr/bin/env python3
"""Validate a Google Benchmark JSON file written by the lsgd bench binaries (stdlib only).

Checks the context keys (machine, versions, ceilings), every benchmark name against the fixed
schema of docs/benchmarks.md, and for every benchmark that ran: positive finite times and the counters
of its family, present and finite. Benchmarks skipped with an error must carry an error message.

  scripts/validate_bench_json.py [--family ls|bls|gd|bgd|tta|mpi] [--min-ok N] FILE.json [...]

Exit status 0 when every file is valid, 1 otherwise (each problem printed on stderr).
"""
import argparse
import json
import math
import re
import sys

CONTEXT_KEYS = [
    "lsgd_device", "gpu_name", "gpu_sms", "gpu_sm_clock_mhz", "cuda_runtime", "cuda_driver",
    "cpu_model", "omp_threads", "eigen_version", "git_revision", "lsgd_preset",
    "ceiling_cpu_copy_GBps", "ceiling_cpu_gemm_f32_GFLOPs", "ceiling_cpu_gemm_f64_GFLOPs",
    "ceiling_gpu_copy_GBps", "ceiling_gpu_gemm_f32_GFLOPs", "ceiling_gpu_gemm_f64_GFLOPs",
]

SOLVER = r"(?P<solver>[A-Za-z0-9_.\-]+)"
PREC = r"(?P<prec>f32|f64)"
MODE = r"(?:/mode:(?P<mode>resident|e2e))?"
NAME_PATTERNS = {
    "ls": re.compile(rf"^ls/{SOLVER}/{PREC}/m:(?P<m>\d+)/n:(?P<n>\d+){MODE}$"),
    "bls": re.compile(rf"^bls/{SOLVER}/{PREC}/batch:(?P<batch>\d+)/m:(?P<m>\d+)/n:(?P<n>\d+){MODE}$"),
    "gd": re.compile(rf"^gd/{SOLVER}/{PREC}/m:(?P<m>\d+)/n:(?P<n>\d+)/iters:(?P<iters>\d+){MODE}$"),
    "bgd": re.compile(rf"^bgd/{SOLVER}/{PREC}/batch:(?P<batch>\d+)/m:(?P<m>\d+)/n:(?P<n>\d+)"
                      rf"/iters:(?P<iters>\d+){MODE}$"),
    "tta": re.compile(rf"^tta/{SOLVER}/{PREC}/m:(?P<m>\d+)/n:(?P<n>\d+)/kappa:(?P<kappa>\d+)"
                      r"/target:(?P<target>1e-3|1e-6)$"),
    # bench_mpi (issue 16): one P per run, strong or weak scaling.
    "mpi": re.compile(rf"^mpi/{SOLVER}/{PREC}/m:(?P<m>\d+)/n:(?P<n>\d+)/P:(?P<P>\d+)"
                      r"/scaling:(?P<scaling>strong|weak)(?:/iters:(?P<iters>\d+))?$"),
}
BASE_COUNTERS = ["GFLOP/s", "GB/s", "rel_err", "ne_resid", "iters"]
FAMILY_COUNTERS = {
    "ls": BASE_COUNTERS,
    "bls": BASE_COUNTERS + ["failed"],
    "gd": BASE_COUNTERS,
    "bgd": BASE_COUNTERS + ["failed"],
    "tta": BASE_COUNTERS + ["target", "kappa"],
    "mpi": BASE_COUNTERS + ["P", "comm_s", "compute_s"],
}


def finite_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


GB_TOKENS = ("manual_time", "real_time", "process_time")
GB_PREFIXES = ("repeats:", "threads:", "min_time:", "iterations:", "min_warmup_time:")


def strip_gb_suffixes(name):
    """Google Benchmark appends '/manual_time' (and '/min_time:X', '/repeats:N'... when set)."""
    parts = name.split("/")
    while parts and (parts[-1] in GB_TOKENS or parts[-1].startswith(GB_PREFIXES)):
        parts.pop()
    return "/".join(parts)


def parse_name(name):
    name = strip_gb_suffixes(name)
    family = name.split("/", 1)[0]
    pat = NAME_PATTERNS.get(family)
    if pat is None:
        return None, None
    m = pat.match(name)
    return family, m


def validate(path, want_family, min_ok):
    errors = []
    try:
        with open(path) as f:
            doc = json.load(f)  # Python's json accepts NaN/Infinity; they are rejected below
    except (OSError, ValueError) as e:
        return [f"cannot read JSON: {e}"], 0, 0
    ctx = doc.get("context")
    if not isinstance(ctx, dict):
        return ["no 'context' object"], 0, 0
    for key in CONTEXT_KEYS:
        if key not in ctx:
            errors.append(f"context: missing key '{key}'")
    ceilings = {}
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

    benches = doc.get("benchmarks")
    if not isinstance(benches, list):
        return errors + ["no 'benchmarks' list"], 0, 0
    ok = skipped = 0
    seen = set()
    for b in benches:
        name = b.get("name", "")
        where = f"benchmark '{name}'"
        aggregate = b.get("run_type") == "aggregate"
        base = b.get("run_name", name) if aggregate else name
        family, m = parse_name(base)
        if m is None:
            errors.append(f"{where}: name does not follow the schema")
            continue
        if want_family and family != want_family:
            errors.append(f"{where}: family '{family}', expected '{want_family}'")
        if not aggregate:
            if name in seen:
                errors.append(f"{where}: duplicate name")
            seen.add(name)
        if b.get("error_occurred"):
            if not b.get("error_message"):
                errors.append(f"{where}: error_occurred without an error_message")
            skipped += 1
            continue
        if aggregate:
            # Aggregates (--benchmark_repetitions): the times of mean/median/stddev must be finite;
            # counters may legitimately be NaN in a coefficient of variation (0 / 0).
            if b.get("aggregate_name") != "cv" and not finite_number(b.get("real_time")):
                errors.append(f"{where}: real_time = {b.get('real_time')!r} is not finite")
            continue
        for key in ("real_time", "cpu_time"):
            if not finite_number(b.get(key)) or b.get(key) < 0:
                errors.append(f"{where}: {key} = {b.get(key)!r} is not a finite non-negative number")
        if not (finite_number(b.get("real_time")) and b["real_time"] > 0):
            errors.append(f"{where}: real_time must be positive")
        if not (isinstance(b.get("iterations"), int) and b["iterations"] > 0):
            errors.append(f"{where}: iterations = {b.get('iterations')!r}")
        for c in FAMILY_COUNTERS[family]:
            if c not in b:
                errors.append(f"{where}: counter '{c}' missing")
            elif not finite_number(b[c]) or b[c] < 0:
                errors.append(f"{where}: counter '{c}' = {b[c]!r} is not finite and >= 0")
        label = b.get("label", "")
        lm = re.search(r"(?:^|;)peak_kind=(cpu|gpu)_(copy|gemm_f32|gemm_f64)(?:;|$)", label)
        if not lm:
            errors.append(f"{where}: label {label!r} has no peak_kind")
        else:
            backend, kind = lm.group(1), lm.group(2)
            ceiling = ceilings.get(f"ceiling_{backend}_{kind}_" + ("GBps" if kind == "copy" else "GFLOPs"), 0.0)
            if ceiling > 0:
                v = b.get("pct_peak")
                if not finite_number(v) or v < 0:
                    errors.append(f"{where}: pct_peak = {v!r} (ceiling {ceiling} is known)")
            if (m.group("solver").startswith("cuda.")) != (backend == "gpu"):
                errors.append(f"{where}: peak_kind {backend}_{kind} does not match the solver's backend")
        if family in ("bls", "bgd") and finite_number(b.get("failed")):
            if b["failed"] >= int(m.group("batch")):
                errors.append(f"{where}: failed = {b['failed']} is the whole batch")
        ok += 1
    if ok < min_ok:
        errors.append(f"only {ok} benchmark(s) ran without error; at least {min_ok} required")
    return errors, ok, skipped


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--family", choices=sorted(NAME_PATTERNS), help="require this family")
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
