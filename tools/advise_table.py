#!/usr/bin/env python3
"""The measurements `lsgd advise` reads: one flat table per results directory (docs/advise.md).

    tools/advise_table.py results/cpu-2core-20261129        # writes .../advise_table.tsv
    tools/advise_table.py --check results/*/                # exit 1 when a table is missing or stale

lsgd's benchmark JSON is read here, through tools/lsgd_results.py (the one reader of the schema),
and written as tab-separated text that the C++ side (tools/advise_table.cpp) reads without a JSON
library: `lsgd advise` fits its performance model to these rows every time it runs. Only lsgd
solvers (cpu.*, cuda.*) of the families ls, bls, gd, bgd (time), acc (digits against kappa) and
tta (iterations to a target) are written; peers and MPI runs are left out. Standard library only.

Format (version 1): lines starting with '#@' are metadata (tab-separated: key, then values), other
lines starting with '#' are comments, the first other line names the columns, each further line is
one benchmark entry. Empty cells are unknown values. Columns may be added; readers look them up by
name and ignore the ones they do not know.
"""

import argparse
import math
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lsgd_results as lr  # noqa: E402

FORMAT = 1
FILENAME = "advise_table.tsv"
FAMILIES = ("ls", "bls", "gd", "bgd", "tta", "acc")
COLUMNS = ("family", "solver", "device", "mode", "precision", "m", "n", "batch", "iterations",
           "kappa", "target", "noise", "flop_model", "flops", "bytes", "time_s", "rse", "spread",
           "reps", "rel_err", "digits", "converged", "busy", "failed", "file", "error")


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return "" if not math.isfinite(v) else f"{v:.9g}"
    return " ".join(str(v).split())  # no tabs or newlines inside a cell


def _spread(e):
    """Relative standard deviation of one repetition (stddev / time): the spread of the entry."""
    sd = e.stats.get("stddev_s")
    if sd is None and len(e.samples) >= 2:
        sd = statistics.stdev(e.samples)
    return float(sd) / e.time_s if sd is not None and e.time_s > 0 else None


def _digits(e):
    # bench_acc's counter (against the quad-precision reference); other families: none here.
    v = e.counters.get("digits")
    return None if v is None else float(v)


def row_of(e):
    f = e.fields
    failed = e.failed or not (e.time_s > 0)
    converged = e.counters.get("converged")
    return {
        "family": f["family"], "solver": f["solver"], "device": f["device"],
        "mode": f.get("mode"), "precision": f["precision"], "m": f["m"], "n": f["n"],
        "batch": f.get("batch"), "iterations": f.get("iterations"),
        "kappa": f.get("kappa"), "target": f.get("target"), "noise": f.get("noise"),
        "flop_model": f.get("flop_model"), "flops": f.get("flops"), "bytes": f.get("bytes"),
        "time_s": None if failed else e.time_s, "rse": None if failed else e.rse,
        "spread": None if failed else _spread(e),
        "reps": None if failed else (e.stats.get("reps") or len(e.samples) or None),
        "rel_err": e.counters.get("rel_err"), "digits": _digits(e),
        "converged": None if converged is None else bool(converged),
        "busy": e.busy or e.throttled, "failed": failed,
        "file": os.path.basename(e.source), "error": e.error_message if failed else "",
    }


def _device_labels(results):
    """One line per device kind of the run: what the model's 'device' means to a reader."""
    labels, caches = {}, {}
    for ctx in results.contexts:
        if not ctx:
            continue
        cpu = ctx.get("cpu_model")
        if cpu and "cpu" not in labels:
            extra = [f"{ctx['num_cpus']} CPUs" if ctx.get("num_cpus") else None,
                     ctx.get("blas_vendor"),
                     f"{ctx['omp_threads']} OpenMP threads" if ctx.get("omp_threads") else None]
            labels["cpu"] = f"{cpu.strip()} ({', '.join(x for x in extra if x)})"
            for c in ctx.get("caches") or []:
                if isinstance(c, dict) and c.get("type") in ("Unified", "Data") and c.get("level") \
                        in (2, 3) and c.get("size"):
                    caches[("cpu", f"l{c['level']}")] = int(c["size"])
        gpu = ctx.get("gpu_name")
        if gpu and gpu != "none" and "gpu" not in labels:
            sms = ctx.get("gpu_sms")
            labels["gpu"] = f"{gpu.strip()}" + (f" ({sms} SMs)" if sms and sms != "0" else "")
            if ctx.get("gpu_l2_bytes"):
                caches[("gpu", "l2")] = int(float(ctx["gpu_l2_bytes"]))
    return labels, caches


def source_name(directory):
    """The run's name in the table and in `lsgd advise`'s answers: the directory's name under
    results/ (results/cpu-2core-20261204 -> cpu-2core-20261204), else its parent's name with it
    (results/h200-20261204-2/quick -> h200-20261204-2/quick), so two runs' quick/ stay apart."""
    p = os.path.normpath(os.path.abspath(directory))
    base, parent = os.path.basename(p), os.path.basename(os.path.dirname(p))
    return base if parent in ("results", "") else f"{parent}/{base}"


def table_text(directory):
    """The table of one results directory, as text (raises lsgd_results.ResultsError)."""
    results = lr.load([directory], skip_unrelated=True)
    rows = [row_of(e) for e in results.entries
            if e.is_lsgd and e.fields["family"] in FAMILIES]
    if not rows:
        raise lr.ResultsError(f"{directory}: no lsgd entry of the families {', '.join(FAMILIES)}")
    # One row per solver and workload: a workload measured twice (a re-run) keeps the entry with
    # the smaller relative standard error, so that the model is fitted to each point once.
    best = {}
    for e, row in zip([e for e in results.entries if e.is_lsgd and
                       e.fields["family"] in FAMILIES], rows):
        key = (e.fields["solver"], e.workload())
        old = best.get(key)
        rse = row["rse"] if row["rse"] is not None and math.isfinite(row["rse"]) else math.inf
        if old is None or (not row["failed"] and (old[1]["failed"] or rse < old[0])):
            best[key] = (rse, row)
    rows = [r for _, r in best.values()]
    rows.sort(key=lambda r: (r["family"], r["solver"], r["precision"], r["batch"] or 0, r["m"],
                             r["n"], r["iterations"] or 0, r["kappa"] or 0, r["target"] or 0))
    labels, caches = _device_labels(results)
    measured = {r["device"] for r in rows}  # a device only where something ran on it
    labels = {d: v for d, v in labels.items() if d in measured}
    caches = {k: v for k, v in caches.items() if k[0] in measured}
    gits = sorted({c.get("git_revision") for c in results.contexts if c.get("git_revision")})
    dates = sorted({c.get("date", "")[:10] for c in results.contexts if c.get("date")})
    source = source_name(directory)
    lines = [f"# lsgd advise table: the measurements of {source}"
             f" for `lsgd advise` (written by tools/advise_table.py from its bench_*.json;"
             f" do not edit)",
             f"#@\tformat\t{FORMAT}",
             f"#@\tsource\t{_cell(source)}"]
    if gits:
        lines.append("#@\tgit\t" + _cell(" ".join(gits)))
    if dates:
        lines.append("#@\tdate\t" + _cell(" ".join(dates)))
    for dev, label in sorted(labels.items()):
        lines.append(f"#@\tdevice\t{dev}\t{_cell(label)}")
    for (dev, level), size in sorted(caches.items()):
        lines.append(f"#@\tcache\t{dev}\t{level}\t{size}")
    lines.append("\t".join(COLUMNS))
    for r in rows:
        lines.append("\t".join(_cell(r[c]) for c in COLUMNS))
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="+", help="results directories (results/<device>-<date>/)")
    ap.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 when a directory's table is missing or differs")
    args = ap.parse_args(argv)
    status = 0
    for d in args.dirs:
        if not os.path.isdir(d):
            print(f"advise_table.py: {d}: not a directory", file=sys.stderr)
            return 2
        try:
            text = table_text(d)
        except lr.ResultsError as e:
            print(f"advise_table.py: {e}", file=sys.stderr)
            return 1
        path = os.path.join(d, FILENAME)
        rows = text.count("\n") - sum(1 for ln in text.splitlines() if ln.startswith("#")) - 1
        if args.check:
            try:
                with open(path, encoding="utf-8") as f:
                    same = f.read() == text
            except OSError:
                same = False
            print(f"{path}: {'up to date' if same else 'MISSING OR STALE'} ({rows} rows)")
            status |= 0 if same else 1
            continue
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
        print(f"{path}: {rows} rows")
    return status


if __name__ == "__main__":
    sys.exit(main())
