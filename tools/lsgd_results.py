"""The one reader of lsgd's benchmark results (docs/benchmarks.md, "The lsgd object").

Every entry that lsgd's bench binaries and the peers (bench/peers) write carries an ``lsgd`` object
with its parameters as fields; this module reads those fields and nothing else: benchmark names
are for people and are never parsed. Used by tools/plot.py, tools/compare.py,
scripts/validate_bench_json.py and the peers' tests. Standard library only.

    import lsgd_results as lr
    runs = lr.load(["results/a/bench_ls.json", "results/b"])   # files or directories
    for e in runs.entries:
        e.solver, e.precision, e.m, e.n, e.time_s, e.samples, e.busy ...

Time: e.time_s is the MEDIAN seconds per solve (the one estimator of every table, ratio and
figure, issue 24); e.mean_s is the mean. Pairing of lsgd with its peers (same algorithm family,
precision, problem) lives in tools/lsgd_pairs.py.
"""

import glob
import json
import math
import os
import statistics
from dataclasses import dataclass, field

SCHEMA = 1
FAMILIES = ("ls", "bls", "gd", "bgd", "tta", "acc", "mpi")
LSGD_BACKENDS = ("cpu", "cuda", "mpi")
PEER_BACKENDS = ("torch", "numpy", "scipy", "jax", "scalapack")
TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
# Keys of a Google Benchmark entry that are not counters.
STANDARD_KEYS = {"name", "run_name", "run_type", "repetitions", "repetition_index", "threads",
                 "iterations", "real_time", "cpu_time", "time_unit", "family_index",
                 "per_family_instance_index", "aggregate_name", "aggregate_unit",
                 "error_occurred", "error_message", "label", "lsgd"}
# The fields every lsgd object has (null where not applicable: batch, iterations, mode, kappa...).
REQUIRED_FIELDS = ("schema", "family", "solver", "backend", "device", "precision", "m", "n")
OPTIONAL_FIELDS = ("batch", "iterations", "mode", "kappa", "target", "noise", "ranks", "scaling", "gen",
                   "flop_model", "flops",
                   "bytes", "peak_kind",
                   # issue 24: the algorithm family (pairing key), the families it pairs with, the
                   # problem's data id and seed, the precision a peer really computed in (NumPy's
                   # linalg promotes float32 to float64), ScaLAPACK's block size and grid (mpi).
                   "algorithm", "pairs_with", "problem", "seed", "compute_precision", "nb", "grid")


class ResultsError(Exception):
    """Unreadable or malformed input: one line, naming the file."""


@dataclass
class Entry:
    """One benchmark of one file: its fields, its time per solve and the repetitions behind it."""
    name: str               # for display only
    fields: dict            # the lsgd object without stats and machine
    time_s: float           # median seconds per solve (nan when the run failed)
    samples: list           # seconds per solve, one per repetition (may be empty)
    stats: dict             # lsgd stats (reps, mean_s, median_s, min_s, rse, stop) or {}
    counters: dict          # Google Benchmark counters (GFLOP/s, rel_err, ...)
    machine: dict           # lsgd machine object ({} when absent)
    error: bool = False
    error_message: str = ""
    source: str = ""
    context: dict = field(default_factory=dict)

    def __getattr__(self, key):  # e.solver, e.m, e.kappa ... from the fields
        fields = self.__dict__.get("fields")
        if fields is not None and (key in fields or key in OPTIONAL_FIELDS):
            return fields.get(key)
        raise AttributeError(key)

    @property
    def gpu(self):
        return self.fields.get("device") == "gpu"

    @property
    def is_lsgd(self):
        return self.fields.get("backend") in LSGD_BACKENDS

    @property
    def is_peer(self):
        return not self.is_lsgd

    @property
    def method_family(self):
        return method_family(self.fields["solver"])

    @property
    def failed(self):
        return self.error or (self.counters.get("failed") or 0) > 0

    @property
    def mean_s(self):
        """Mean seconds per solve (nan when unknown)."""
        if self.stats.get("mean_s") is not None:
            return float(self.stats["mean_s"])
        return statistics.fmean(self.samples) if self.samples else float("nan")

    @property
    def compute_precision(self):
        """The precision the solver computed in: the field where a peer sets it, else the data's."""
        return self.fields.get("compute_precision") or self.fields["precision"]

    @property
    def rel_err(self):
        """Forward error of the solution (the rel_err counter), or None."""
        v = self.counters.get("rel_err")
        return None if v is None else float(v)

    @property
    def rse(self):
        """Relative standard error of the mean time (nan with fewer than 2 samples)."""
        if self.stats.get("rse") is not None:
            return float(self.stats["rse"])
        return relative_stderr(self.samples)

    @property
    def flags(self):
        return list(self.machine.get("flags") or [])

    @property
    def busy(self):
        return bool(self.machine.get("busy"))

    @property
    def throttled(self):
        return bool(self.machine.get("throttled"))

    def workload(self):
        return workload_key(self.fields)

    def workload_label(self):
        return workload_label(self.fields)


@dataclass
class ResultFile:
    path: str
    context: dict
    entries: list
    machine: dict           # the top-level lsgd_machine object ({} when absent)
    histories: list
    foreign: int = 0        # entries without an lsgd object (other benchmarks): not read
    skipped: list = field(default_factory=list)  # lsgd_skipped: cases left out, with reasons


@dataclass
class Results:
    files: list

    @property
    def entries(self):
        return [e for f in self.files for e in f.entries]

    @property
    def histories(self):
        return [h for f in self.files for h in f.histories]

    @property
    def contexts(self):
        return [f.context for f in self.files]

    @property
    def skipped(self):
        """Cases the binaries left out, with their reasons (lsgd_skipped of every file)."""
        return [s for f in self.files for s in f.skipped]


def method_family(solver):
    """The method of a solver name, for colours and pairing: 'qr' of cpu.qr and cpu.qr.refined,
    'bgd' of cuda.bgd.resident, 'cholesky' of cpu.batched.cholesky, 'lstsq' of torch.lstsq."""
    parts = solver.split(".")
    if len(parts) > 2 and parts[1] == "batched":
        return parts[2]
    return parts[1] if len(parts) > 1 else parts[0]


def method_variant(solver):
    """What follows the family in the name ('' for cpu.qr, 'refined' for cpu.qr.refined)."""
    parts = solver.split(".")
    if len(parts) > 2 and parts[1] == "batched":
        return ".".join(["batched"] + parts[3:])
    return ".".join(parts[2:])


def reexec_if_missing(modules, who, candidates=("/usr/bin/python3",)):
    """python3 on PATH may lack NumPy/matplotlib/SciPy while Debian's /usr/bin/python3 has them:
    re-run this script under the first candidate (once, LSGD_PY_REEXEC) when a module is missing.
    Returns the modules still missing (empty when all import)."""
    import sys
    missing = []
    for mod in modules:
        try:
            __import__(mod)
        except ImportError:
            missing.append(mod)
    if missing and not os.environ.get("LSGD_PY_REEXEC"):
        for exe in candidates:
            same = os.path.realpath(exe) == os.path.realpath(sys.executable)
            if os.access(exe, os.X_OK) and not same:
                print(f"{who}: {sys.executable} lacks {', '.join(missing)}; using {exe}",
                      file=sys.stderr, flush=True)
                os.execve(exe, [exe] + sys.argv, dict(os.environ, LSGD_PY_REEXEC="1"))
    return missing


def require_modules(modules, who, packages, exit_code=2):
    """A command-line tool's start: reexec_if_missing, then, if a module is still missing, one line
    on stderr naming it and the Debian packages that provide it, and exit with exit_code."""
    import sys
    missing = reexec_if_missing(modules, who)
    if missing:
        print(f"{who}: error: no python with {', '.join(missing)} (apt-get install {packages})",
              file=sys.stderr)
        sys.exit(exit_code)


def skip_unless_modules(modules, who):
    """A test script's start: reexec_if_missing, then, if a module is still missing, say SKIP and
    exit 77 (ctest's SKIP_RETURN_CODE)."""
    import sys
    missing = reexec_if_missing(modules, who)
    if missing:
        print(f"SKIP: {who} needs {', '.join(missing)}; no interpreter here has them")
        sys.exit(77)


# Statistics


def relative_stderr(samples):
    if len(samples) < 2:
        return float("nan")
    mean = statistics.fmean(samples)
    return statistics.stdev(samples) / math.sqrt(len(samples)) / mean if mean > 0 else float("nan")


# Workloads: what a solver was asked to do, without the solver.


def _mode(fields):
    # A CPU solver (no mode), a peer on its device and a resident GPU solver time the same thing;
    # end to end (transfers timed) is another workload.
    return "e2e" if fields.get("mode") == "e2e" else None


def workload_key(fields):
    """Hashable key of the workload of an entry: family, precision, sizes, GD iterations (a
    parameter of gd/bgd, a result of tta), e2e or not, kappa and target."""
    fam = fields["family"]
    iters = fields.get("iterations") if fam in ("gd", "bgd", "mpi") else None
    key = (fam, fields["precision"], fields.get("batch") or 0, fields["m"], fields["n"],
           iters or 0, _mode(fields), _round(fields.get("kappa")), _round(fields.get("target")))
    # MPI runs: P and the scaling mode are part of the workload (appended, so that the other
    # families' keys keep their shape).
    return key + ((fields.get("ranks"), fields.get("scaling")) if fam == "mpi" else ())


def _round(v):
    return None if v is None else float(f"{float(v):.6g}")


def _fmt_power(v):
    """1e-06 -> '1e-6', 1e12 -> '1e12', 100 -> '100' (integers below 1e4 as such)."""
    e = round(math.log10(v)) if v > 0 else None
    if e is not None and math.isclose(v, 10.0 ** e, rel_tol=1e-9):
        return str(10 ** e) if 0 <= e < 4 else f"1e{e}"
    return f"{v:g}"


def workload_label(fields):
    """'ls/f64/m:4096/n:4096', 'bgd/f32/batch:256/m:64/n:8/iters:100',
    'tta/f64/m:4096/n:64/kappa:1e12/target:1e-6', '.../mode:e2e': for tables, built from fields."""
    fam, prec, batch, m, n, iters, mode, kappa, target = workload_key(fields)[:9]
    parts = [fam, prec] + ([f"batch:{batch}"] if batch else []) + [f"m:{m}", f"n:{n}"]
    if iters:
        parts.append(f"iters:{iters}")
    if kappa is not None:
        parts.append(f"kappa:{_fmt_power(kappa)}")
    if target is not None:
        parts.append(f"target:{_fmt_power(target)}")
    if fields["family"] == "mpi":
        parts += [f"P:{fields.get('ranks')}", f"scaling:{fields.get('scaling')}"]
    if mode:
        parts.append(f"mode:{mode}")
    return "/".join(parts)


# Reading


def _seconds(entry):
    unit = entry.get("time_unit", "ns")
    if unit not in TIME_UNITS:
        raise ResultsError(f"{entry.get('name')}: unknown time_unit {unit!r}")
    return float(entry["real_time"]) * TIME_UNITS[unit]


def _counters(entry):
    return {k: float(v) for k, v in entry.items()
            if k not in STANDARD_KEYS and isinstance(v, (int, float)) and not isinstance(v, bool)}


def check_fields(obj):
    """Problems with an lsgd object (list of strings; empty when it is well-formed)."""
    if not isinstance(obj, dict):
        return ["'lsgd' is not an object"]
    problems = [f"lsgd.{k} missing" for k in REQUIRED_FIELDS if k not in obj]
    if problems:
        return problems
    if obj["schema"] != SCHEMA:
        problems.append(f"lsgd.schema {obj['schema']!r} (this reader knows {SCHEMA})")
    if obj["family"] not in FAMILIES:
        problems.append(f"lsgd.family {obj['family']!r}")
    if obj["precision"] not in ("f32", "f64"):
        problems.append(f"lsgd.precision {obj['precision']!r}")
    if obj["device"] not in ("cpu", "gpu"):
        problems.append(f"lsgd.device {obj['device']!r}")
    if not isinstance(obj["solver"], str) or not obj["solver"].startswith(obj["backend"] + "."):
        problems.append(f"lsgd.solver {obj['solver']!r} does not start with its backend")
    for k in ("m", "n"):
        if not isinstance(obj[k], int) or obj[k] <= 0:
            problems.append(f"lsgd.{k} = {obj[k]!r} is not a positive integer")
    if obj["family"] in ("bls", "bgd") and not (isinstance(obj.get("batch"), int)
                                               and obj["batch"] > 0):
        problems.append(f"lsgd.batch = {obj.get('batch')!r} in a batched family")
    if obj["family"] in ("gd", "bgd") and not (isinstance(obj.get("iterations"), int)
                                               and obj["iterations"] > 0):
        problems.append(f"lsgd.iterations = {obj.get('iterations')!r} in a GD family")
    if obj["family"] == "tta" and not (obj.get("kappa") and obj.get("target")):
        problems.append("lsgd.kappa / lsgd.target missing in a tta entry")
    if obj["family"] == "mpi" and not (isinstance(obj.get("ranks"), int) and obj["ranks"] > 0
                                       and obj.get("scaling") in ("strong", "weak")):
        problems.append("lsgd.ranks / lsgd.scaling missing in an mpi entry")
    if obj.get("mode") not in (None, "resident", "e2e"):
        problems.append(f"lsgd.mode {obj['mode']!r}")
    if obj.get("compute_precision") not in (None, "f32", "f64"):
        problems.append(f"lsgd.compute_precision {obj['compute_precision']!r}")
    if obj.get("algorithm") is not None and not isinstance(obj["algorithm"], str):
        problems.append(f"lsgd.algorithm {obj['algorithm']!r} is not a string")
    if obj.get("pairs_with") is not None and not (
            isinstance(obj["pairs_with"], list) and all(isinstance(a, str) for a in obj["pairs_with"])):
        problems.append(f"lsgd.pairs_with {obj['pairs_with']!r} is not a list of strings")
    return problems


def _group(benchmarks):
    groups = {}
    for entry in benchmarks:
        if not isinstance(entry, dict) or "name" not in entry:
            continue
        run = entry.get("run_name") or entry["name"]
        groups.setdefault(run, []).append(entry)
    return groups


def _entry_of(run, entries, path, context):
    """One Entry from the Google Benchmark entries of one run (repetitions, aggregates)."""
    obj = next((e["lsgd"] for e in entries if isinstance(e.get("lsgd"), dict)), None)
    problems = check_fields(obj)
    if problems:
        raise ResultsError(f"{path}: benchmark '{run}': {'; '.join(problems)}")
    fields = {k: v for k, v in obj.items() if k not in ("stats", "machine")}
    iters = [e for e in entries if e.get("run_type", "iteration") == "iteration"]
    errors = [e for e in entries if e.get("error_occurred")]
    machine = {}
    for e in iters:  # flags of every repetition
        mc = e.get("lsgd", {}).get("machine")
        if isinstance(mc, dict):
            if not machine:
                machine = dict(mc, flags=list(mc.get("flags") or []))
            else:
                machine["busy"] = machine.get("busy") or mc.get("busy")
                machine["throttled"] = machine.get("throttled") or mc.get("throttled")
                machine["flags"] += [f for f in mc.get("flags") or [] if f not in machine["flags"]]
    if errors:
        return Entry(run, fields, float("nan"), [], {}, _counters(errors[0]), machine, True,
                     str(errors[0].get("error_message", "")), path, context)
    stats_list = [e["lsgd"]["stats"] for e in iters
                  if isinstance(e.get("lsgd"), dict) and isinstance(e["lsgd"].get("stats"), dict)]
    counters = {}
    if stats_list:
        samples = [float(s) for st in stats_list for s in st.get("samples_s") or []]
        if not samples:
            samples = [float(st["mean_s"]) for st in stats_list]
        stats = dict(stats_list[0]) if len(stats_list) == 1 else {
            "reps": len(samples), "mean_s": statistics.fmean(samples),
            "median_s": statistics.median(samples), "min_s": min(samples),
            "rse": relative_stderr(samples), "stop": "pooled"}
        stats.pop("samples_s", None)
        time_s = float(stats["median_s"]) if stats.get("median_s") is not None \
            else statistics.median(samples)
    else:
        # No lsgd statistics (Google Benchmark repetitions): the median of the repetitions, else
        # the median aggregate, else the mean aggregate; the repetitions are the samples.
        samples = [_seconds(e) for e in iters]
        medians = [e for e in entries if e.get("aggregate_name") == "median"]
        means = [e for e in entries if e.get("aggregate_name") == "mean"]
        if samples:
            time_s = statistics.median(samples)
            if means:
                counters = _counters(means[0])
        elif medians or means:
            time_s = _seconds((medians or means)[0])
            counters = _counters((medians or means)[0])
        else:
            raise ResultsError(f"{path}: benchmark '{run}' has no timed entry")
        stats = {}
    if not counters and iters:
        keys = set().union(*(_counters(e).keys() for e in iters))
        counters = {k: statistics.median([_counters(e)[k] for e in iters if k in _counters(e)])
                    for k in keys}
    return Entry(run, fields, time_s, samples, stats, counters, machine, False, "", path, context)


def load_file(path):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, UnicodeDecodeError) as e:
        raise ResultsError(f"cannot read {path}: {e.strerror if isinstance(e, OSError) else e}")
    except json.JSONDecodeError as e:
        raise ResultsError(f"{path} is not valid JSON: {e.msg} at line {e.lineno} "
                           f"column {e.colno}")
    if not isinstance(doc, dict) or not (isinstance(doc.get("benchmarks"), list)
                                         or isinstance(doc.get("histories"), list)):
        raise ResultsError(f"{path}: neither a benchmark JSON ('benchmarks' list) nor a history "
                           "file ('histories' list)")
    context = doc.get("context") if isinstance(doc.get("context"), dict) else {}
    entries, foreign = [], 0
    try:
        for run, group in _group(doc.get("benchmarks") or []).items():
            if not any("lsgd" in e for e in group):
                foreign += 1
                continue
            entries.append(_entry_of(run, group, path, context))
        histories = []
        for hist in doc.get("histories") or []:
            if not isinstance(hist, dict) or not isinstance(hist.get("rel_err"), list) \
                    or "solver" not in hist:
                raise ResultsError(f"{path}: a history lacks 'solver' or 'rel_err'")
            histories.append(hist)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ResultsError(f"{path}: malformed benchmark entry ({type(e).__name__}: {e})")
    machine = doc.get("lsgd_machine") if isinstance(doc.get("lsgd_machine"), dict) else {}
    skipped = [s for s in doc.get("lsgd_skipped") or [] if isinstance(s, dict)]
    return ResultFile(path, context, entries, machine, histories, foreign, skipped)


def expand(paths):
    """Files as given; directories become their *.json files (sorted)."""
    out = []
    for p in paths:
        if os.path.isdir(p):
            found = sorted(glob.glob(os.path.join(p, "*.json")))
            if not found:
                raise ResultsError(f"{p}: no *.json file in this directory")
            out += found
        else:
            out.append(p)
    return out


def load(paths, skip_unrelated=False):
    """Read files and directories. skip_unrelated: leave out JSON files that are neither benchmark
    nor history files (cpu_targets.json in a results directory) instead of failing."""
    files = []
    for p in expand(paths):
        try:
            files.append(load_file(p))
        except ResultsError:
            if skip_unrelated and os.path.isdir(os.path.dirname(p)) and p not in paths:
                continue
            raise
    return Results(files)
