"""Shared helpers for the peer benchmarks (PyTorch, NumPy/SciPy).

The peers time the same problems as lsgd's Google Benchmark binaries and write the same JSON schema
(Google Benchmark's output format with an ``lsgd`` object per entry, docs/benchmarks.md), so that
tools/lsgd_results.py reads both alike:

  {"context": {...}, "benchmarks": [{"name", "run_name", "run_type": "iteration", "iterations",
   "real_time" (mean per solve), "time_unit", <counters>..., "lsgd": {fields, "stats", "machine"}}],
   "lsgd_machine": {...}}

The *_name functions return the fields of a workload (a dict whose str() is the human-readable
name, e.g. ``ls/numpy.lstsq/f64/m:64/n:64``); nothing reads the name back. The solver field is
``torch.<what>``, ``numpy.<what>`` or ``scipy.<what>``.

Standard library only: the callers bring NumPy or PyTorch.
"""

import ctypes
import datetime
import json
import math
import os
import platform
import socket
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import lsgd_results as lr  # noqa: E402  (stdlib only: safe before NumPy is known to import)

# Sizes, flop/byte models, the problems and the repetition rule are NOT kept here: the benchmark
# binaries describe their cases (--lsgd_list_cases, bench/case_list.cpp) and write the problems
# (--lsgd_write_problem); cases.py reads both, so every peer entry has an lsgd twin on the same
# numbers.

# Convergence histories (docs/peers-and-figures.md): "kappa" is kappa(A^T A), so that GD's theoretical
# rate is (1 - 1/kappa)^k. A figure of the peers' own; no lsgd twin.
HISTORY_KAPPAS_H = (10.0, 100.0, 1000.0)


# Workload fields (the lsgd object of an entry, docs/benchmarks.md)


class Fields(dict):
    """The fields of one benchmark; str() is its human-readable name (never parsed)."""

    def __str__(self):
        parts = [self["family"], self["solver"], self["precision"]]
        if self.get("batch"):
            parts.append(f"batch:{self['batch']}")
        parts += [f"m:{self['m']}", f"n:{self['n']}"]
        if self.get("iterations"):
            parts.append(f"iters:{self['iterations']}")
        if self.get("kappa") is not None:
            parts.append(f"kappa:{fmt_kappa(self['kappa'])}")
        if self.get("target") is not None:
            parts.append(f"target:{fmt_target(self['target'])}")
        if self.get("mode"):
            parts.append(f"mode:{self['mode']}")
        return "/".join(parts)


def fmt_kappa(kappa_h):
    """kappa(A^T A) in names: rounded to an integer (1e6 -> '1000000')."""
    return str(int(round(kappa_h)))


def fmt_target(target):
    """Accuracy target in names: 1e-3, 1e-6."""
    return f"1e{int(round(math.log10(target)))}"


def _fields(family, solver, prec, m, n, batch=None, iters=None, mode=None, kappa=None, target=None):
    return Fields(schema=1, family=family, solver=solver, backend=solver.split(".")[0],
                  precision=prec, m=int(m), n=int(n), batch=int(batch) if batch else None,
                  iterations=int(iters) if iters else None, mode=mode,
                  kappa=float(kappa) if kappa else None, target=float(target) if target else None)


def ls_name(solver, prec, m, n, mode=None):
    return _fields("ls", solver, prec, m, n, mode=mode)


def bls_name(solver, prec, batch, m, n, mode=None):
    return _fields("bls", solver, prec, m, n, batch=batch, mode=mode)


def gd_name(solver, prec, m, n, iters, mode=None):
    return _fields("gd", solver, prec, m, n, iters=iters, mode=mode)


def bgd_name(solver, prec, batch, m, n, iters, mode=None):
    return _fields("bgd", solver, prec, m, n, batch=batch, iters=iters, mode=mode)


def tta_name(solver, prec, m, n, kappa_h, target):
    """kappa_h: condition number of A^T A (kappa(A)^2), as in lsgd's tta entries."""
    return _fields("tta", solver, prec, m, n, kappa=kappa_h, target=target)


# Machine state (the C++ side: bench/machine_state.cpp; same thresholds)

BUSY_OTHER_CPU = 0.25
MIN_SHARE_JIFFIES = 50  # below this much machine time the share is unknown (machine_state.hpp)


def cpu_sample():
    """(busy jiffies, total jiffies, own cpu seconds, loadavg1) or None where /proc is unreadable."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        with open("/proc/loadavg", encoding="ascii") as f:
            load1 = float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    t = os.times()
    busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
    return busy, busy + v[3] + v[4], t.user + t.system, load1


def other_cpu_share(before, after):
    """Share of all CPUs that other processes used between two samples (None if unknown)."""
    if before is None or after is None or after[1] - before[1] < MIN_SHARE_JIFFIES:
        return None
    hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    own = (after[2] - before[2]) * hz
    return max(0.0, (after[0] - before[0] - own) / (after[1] - before[1]))


def machine_of(before, after):
    share = other_cpu_share(before, after)
    flags = []
    if share is not None and share > BUSY_OTHER_CPU:
        flags.append(f"busy: other processes used {100 * share:.0f}% of the CPUs")
    return {"other_cpu": share, "busy": bool(flags), "throttled": False, "flags": flags,
            "cpu_end": {"loadavg1": after[3] if after else None}}


# Repetitions: the rule of lsgd's binaries, not a copy of it. The case list's "stop_rule" holds the
# parameters and names the library that implements the rule (bench/stop_rule.h,
# liblsgd_stop_rule.so of the build that listed the cases); it is loaded here through ctypes
# (standard library), so any interpreter on the machine can use it.


class _CRule(ctypes.Structure):
    _fields_ = [("min_reps", ctypes.c_int), ("min_time_s", ctypes.c_double),
                ("rse", ctypes.c_double), ("max_time_s", ctypes.c_double),
                ("max_reps", ctypes.c_int)]


_RULE_LIBS = {}
_BAD_RULE = -1  # LSGD_STOP_BAD_RULE


def rule_library(rule):
    """The loaded liblsgd_stop_rule.so the case list's stop_rule names. RuntimeError saying what to
    rebuild when it names none or the file cannot be loaded."""
    path = rule.get("library")
    if not path:
        raise RuntimeError("the case list's stop_rule names no library (\"library\"): it came from an "
                           "older build of the bench binaries; rebuild them (cmake --build BUILD "
                           "--target lsgd_bench)")
    lib = _RULE_LIBS.get(path)
    if lib is None:
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            raise RuntimeError(f"{path}: cannot load the repetition rule the case list names ({e}); "
                               "rebuild the bench binaries (target lsgd_bench)") from None
        lib.lsgd_stop_code.argtypes = [ctypes.POINTER(_CRule), ctypes.c_int, ctypes.c_double,
                                       ctypes.c_double]
        lib.lsgd_stop_code.restype = ctypes.c_int
        lib.lsgd_stop_after.argtypes = [ctypes.POINTER(_CRule), ctypes.POINTER(ctypes.c_double),
                                        ctypes.c_size_t, ctypes.c_double]
        lib.lsgd_stop_after.restype = ctypes.c_int
        lib.lsgd_stop_name.argtypes = [ctypes.c_int]
        lib.lsgd_stop_name.restype = ctypes.c_char_p
        _RULE_LIBS[path] = lib
    return lib


def _c_rule(rule):
    return _CRule(int(rule["min_reps"]), float(rule["min_time_s"]), float(rule["rse"]),
                  float(rule["max_time_s"]), int(rule["max_reps"]))


def _name(lib, code, rule):
    if code == _BAD_RULE:
        raise ValueError(f"stop rule refused by {rule.get('library')}: {rule} (min_reps >= 1, "
                         "max_reps >= min_reps, non-negative times and rse)")
    return lib.lsgd_stop_name(code).decode()


def stop_reason(rule, reps, wall_s, rse):
    """Why to stop after `reps` timed solves, `wall_s` seconds and relative standard error `rse`
    (None or NaN: unknown): "rse", "time_cap", "max_reps", or "" to go on (lsgd_stop_code)."""
    lib = rule_library(rule)
    c = _c_rule(rule)
    rse = float("nan") if rse is None else float(rse)
    return _name(lib, lib.lsgd_stop_code(ctypes.byref(c), int(reps), float(wall_s), rse), rule)


def repeat(timed, rule):
    """Calls timed() (returns one solve's seconds) until the rule says stop (lsgd_stop_after, on
    the samples so far); returns (the seconds of each solve, why it stopped)."""
    lib = rule_library(rule)
    c = _c_rule(rule)
    # Room for max_reps samples: a valid rule stops there at the latest; an invalid one is refused
    # on the first sample.
    buf = (ctypes.c_double * max(c.max_reps, 1))()
    times = []
    t0 = time.perf_counter()
    while True:
        seconds = timed()
        buf[len(times)] = seconds
        times.append(seconds)
        code = lib.lsgd_stop_after(ctypes.byref(c), buf, len(times), time.perf_counter() - t0)
        if code:
            return times, _name(lib, code, rule)


# Output

_UNIT_SCALE = {"ns": 1e9, "us": 1e6, "ms": 1e3, "s": 1.0}


def pick_unit(seconds):
    """The Google Benchmark time unit that keeps a time readable (>= 1 in that unit)."""
    if seconds >= 1.0:
        return "s"
    if seconds >= 1e-3:
        return "ms"
    if seconds >= 1e-6:
        return "us"
    return "ns"


class BenchWriter:
    """Collects timed runs and writes them in Google Benchmark's JSON schema with lsgd's fields.

    One "iteration" entry per benchmark: real_time is the median of the timed repetitions (each
    one call), "iterations" their count, and the lsgd object holds the fields, the repetition
    statistics (samples included) and the machine state since the case began (begin()) or the previous entry, as lsgd's
    binaries write. Counters are top-level numbers (GFLOP/s, GB/s, pct_peak from the median).
    """

    def __init__(self, context, device="cpu"):
        self.context = dict(context)
        self.device = device
        self.benchmarks = []
        self._family = {}
        self._last = cpu_sample()
        self._start = self._last

    def begin(self):
        """A case starts: its machine state is sampled from here, not from the previous entry
        (with lsgd and the other peers interleaved per problem, the time since the previous entry
        holds their runs, and the first case of every problem read as busy)."""
        self._last = cpu_sample()

    def _family_index(self, name):
        """Google Benchmark's family_index: one per (family, solver), from the fields."""
        key = (name["family"], name["solver"]) if isinstance(name, Fields) else str(name)
        return self._family.setdefault(key, len(self._family))

    def _lsgd(self, fields, stats=None, rate=None):
        now = cpu_sample()
        obj = dict(fields, device=self.device, stats=stats, machine=machine_of(self._last, now))
        if rate:
            obj["flops"] = rate.get("flops")
            obj["bytes"] = rate.get("bytes")
        if stats is None:
            del obj["stats"]
        self._last = now
        return obj

    def add(self, name, seconds, counters=None, label=None, rate=None, stop=None):
        """Record one benchmark: `name` is a Fields (or a plain string for benchmarks outside
        lsgd's schema), `seconds` one wall time per repetition.

        counters: constant per-run numbers (rel_err, ne_resid, iters, failed).
        rate: {"flops": F, "bytes": B, "peak": (counter, ceiling)} of one repetition; GFLOP/s and
        GB/s from the mean time, pct_peak from the named counter and ceiling.
        """
        if not seconds:
            raise ValueError(f"{name}: no timed repetition")
        counters = dict(counters or {})
        rate = rate or {}
        mean = statistics.fmean(seconds)
        median = statistics.median(seconds)
        unit = pick_unit(median)
        scale = _UNIT_SCALE[unit]
        text = str(name)
        entry = {
            "name": text, "family_index": self._family_index(name), "per_family_instance_index": 0,
            "run_name": text, "run_type": "iteration", "repetitions": 1, "repetition_index": 0,
            "threads": 1, "iterations": len(seconds),
            "real_time": median * scale, "cpu_time": median * scale, "time_unit": unit,
        }
        if rate.get("flops") and median > 0:
            counters["GFLOP/s"] = rate["flops"] / median / 1e9
        if rate.get("bytes") and median > 0:
            counters["GB/s"] = rate["bytes"] / median / 1e9
        if rate.get("peak"):
            key, ceiling = rate["peak"]
            if key in counters and ceiling > 0:
                counters["pct_peak"] = 100.0 * counters[key] / ceiling
        counters["reps"] = len(seconds)
        entry.update(counters)
        if label:
            entry["label"] = label
        if isinstance(name, Fields):
            n = len(seconds)
            sd = statistics.stdev(seconds) if n > 1 else 0.0
            stats = {"reps": n, "mean_s": mean, "median_s": statistics.median(seconds),
                     "min_s": min(seconds), "stddev_s": sd,
                     "rse": sd / math.sqrt(n) / mean if n > 1 and mean > 0 else None,
                     "stop": stop,
                     "samples_s": list(seconds)}
            entry["lsgd"] = self._lsgd(name, stats, rate)
        self.benchmarks.append(entry)

    def add_error(self, name, message):
        """A benchmark that could not run (out of memory...): Google Benchmark's error form."""
        text = str(name)
        entry = {
            "name": text, "family_index": self._family_index(name), "per_family_instance_index": 0,
            "run_name": text, "run_type": "iteration", "repetitions": 1, "repetition_index": 0,
            "threads": 1, "iterations": 0, "real_time": 0.0, "cpu_time": 0.0, "time_unit": "ms",
            "error_occurred": True, "error_message": message, "failed": 1,
        }
        if isinstance(name, Fields):
            entry["lsgd"] = self._lsgd(name)
        self.benchmarks.append(entry)

    def write(self, path):
        """Write the JSON (context + benchmarks + machine state) to `path` ('-' for stdout)."""
        whole = machine_of(self._start, cpu_sample())
        doc = {"context": self.context, "benchmarks": self.benchmarks,
               "lsgd_machine": {"schema": 1, "other_cpu": whole["other_cpu"],
                                "entries": sum(1 for b in self.benchmarks if "lsgd" in b),
                                "busy_entries": sum(1 for b in self.benchmarks
                                                    if b.get("lsgd", {}).get("machine", {})
                                                    .get("busy")),
                                "flags": [f + " over the whole run" for f in whole["flags"]]}}
        text = json.dumps(doc, indent=2)
        if path == "-":
            print(text)
            return
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text + "\n")


def base_context(peer, device_name, extra=None):
    """Google Benchmark's context fields, plus the peer's own (all custom values as strings)."""
    ctx = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host_name": socket.gethostname(),
        "executable": os.path.abspath(sys.argv[0]),
        "num_cpus": os.cpu_count() or 1,
        "mhz_per_cpu": 0,
        "cpu_scaling_enabled": False,
        "caches": [],
        "library_build_type": "release",
        "peer": peer,
        "lsgd_device": device_name,
        "python": platform.python_version(),
        "python_executable": sys.executable,
    }
    for key, value in (extra or {}).items():
        ctx[key] = str(value)
    return ctx


class Progress:
    """One line per benchmark on stderr, so long runs show where they are."""

    def __init__(self, total=None):
        self.start = time.perf_counter()
        self.count = 0
        self.total = total

    def report(self, name, seconds, note=""):
        self.count += 1
        elapsed = time.perf_counter() - self.start
        of = f"/{self.total}" if self.total else ""
        median = statistics.median(seconds) if seconds else float("nan")
        print(f"[{self.count}{of} {elapsed:7.1f}s] {name}: {median * 1e3:.4g} ms {note}",
              file=sys.stderr, flush=True)

    def skip(self, name, why):
        self.count += 1
        print(f"[{self.count}] {name}: skipped ({why})", file=sys.stderr, flush=True)


def reexec_with(modules, candidates=("/usr/bin/python3",)):
    """Re-run this script under an interpreter that can import `modules`, if this one cannot
    (tools/lsgd_results.reexec_if_missing, the one copy). Returns the modules still missing."""
    return lr.reexec_if_missing(modules, os.path.basename(sys.argv[0]), candidates)


# OpenBLAS releases older than a CPU do not recognise it and fall back to their generic x86-64
# kernels (Debian 12's 0.3.21 on an Emerald Rapids core: "Prescott", DGEMM ~8 GFLOP/s on two cores
# instead of ~60-80 with the SkylakeX kernels). OPENBLAS_CORETYPE picks the kernels at load time.
GENERIC_OPENBLAS_CORES = {"Prescott", "Core2", "Katmai", "Coppermine", "Northwood", "Banias",
                          "Atom", "Penryn", "Dunnington", "Nehalem"}


def openblas_core():
    """The kernel set the OpenBLAS of this machine chooses (loads it through ctypes), or None."""
    import ctypes
    for name in ("libopenblas.so.0", "libopenblas.so"):
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        try:
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode()
        except AttributeError:
            return None
    return None


def cpu_flags():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def openblas_coretype_fix():
    """The OPENBLAS_CORETYPE a benchmark run should set, or None: only when the variable is unset,
    OpenBLAS fell back to a generic core, and the CPU has AVX-512 (SkylakeX) or AVX2 (Haswell)."""
    if os.environ.get("OPENBLAS_CORETYPE"):
        return None
    if openblas_core() not in GENERIC_OPENBLAS_CORES:
        return None
    flags = cpu_flags()
    if "avx512f" in flags and "avx512bw" in flags and "avx512vl" in flags:
        return "SkylakeX"
    if "avx2" in flags and "fma" in flags:
        return "Haswell"
    return None


if __name__ == "__main__" and sys.argv[1:] == ["--openblas-coretype"]:
    print(openblas_coretype_fix() or "")
