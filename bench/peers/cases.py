"""The case list of lsgd's benchmark binaries, and how a peer library runs it (issue 24, issue 30).

The binaries describe their cases (``bench_ls --lsgd_list_cases``: problems with generator, seed and
flop/byte models, every case registered or skipped with its reason, the algorithm families and the
repetition rule) and write a problem's numbers (``--lsgd_problem=ID --lsgd_write_problem=DIR``:
A.npy, b.npy, x_true.npy). A peer library (numpy_peers.py, jax_peers.py, torch_peers.py) is a
module with

  LIBRARY                      "numpy", "jax", "torch" (the backend of its solver names)
  context()                    {versions, BLAS, threads, ...}: strings for the JSON context
  load(problem_dir, problem)   the library's arrays of the problem (untimed)
  solvers(workload, data)      [Solver]: the library's solvers of the families lsgd runs there

and run_problem() times each solver on the workload with the binaries' rule, writing entries whose
fields name the same problem id and workload as lsgd's: tools/lsgd_pairs.py pairs them only within
one algorithm family, precision and problem. Standard library only (the libraries come with the
peer modules).
"""

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

FAMILIES = ("ls", "bls", "gd", "bgd", "tta")
WARMUP_CAP = 5.0   # a peer whose untimed warm-up exceeds this many time caps is not timed
BINARY = {f: f"bench_{f}" for f in FAMILIES}


# The case list


def binary_path(build_dir, family):
    path = os.path.join(build_dir, "bench", BINARY[family])
    if not os.access(path, os.X_OK):
        raise FileNotFoundError(f"{path}: not built (cmake --build {build_dir} --target "
                                f"{BINARY[family]})")
    return path


def list_cases(build_dir, family, preset, extra_flags=()):
    """Runs the family's binary with --lsgd_list_cases and returns the parsed document."""
    exe = binary_path(build_dir, family)
    proc = subprocess.run([exe, f"--lsgd_preset={preset}", "--lsgd_list_cases", *extra_flags],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{exe} --lsgd_list_cases failed ({proc.returncode}): "
                           f"{proc.stderr.strip().splitlines()[-1:]}")
    doc = json.loads(proc.stdout)
    if doc.get("lsgd_cases") != 1:
        raise RuntimeError(f"{exe}: unknown case list schema {doc.get('lsgd_cases')!r}")
    return doc


def ceilings_flag(doc):
    """--lsgd_ceilings=... from a case list: later calls of the binary measure nothing again."""
    c = doc["ceilings"]
    keys = ("cpu_copy", "cpu_gemm_f32", "cpu_gemm_f64", "gpu_copy", "gpu_gemm_f32", "gpu_gemm_f64")
    vals = [c["cpu_copy_GBps"], c["cpu_gemm_f32_GFLOPs"], c["cpu_gemm_f64_GFLOPs"],
            c["gpu_copy_GBps"], c["gpu_gemm_f32_GFLOPs"], c["gpu_gemm_f64_GFLOPs"]]
    return "--lsgd_ceilings=" + ",".join(f"{k}={v}" for k, v in zip(keys, vals))


@dataclass
class Workload:
    """What lsgd runs on one problem in one setting: the peers must match it field for field."""
    family: str
    problem: dict
    device: str
    mode: str = None          # resident / e2e (GPU); None on the CPU
    iterations: int = None    # gd / bgd
    kappa: float = None       # tta: kappa(A^T A)
    targets: list = field(default_factory=list)   # tta: the targets sharing one solve
    algorithms: set = field(default_factory=set)  # lsgd's families here
    wanted: set = field(default_factory=set)      # peer families they pair with

    @property
    def precision(self):
        return self.problem["precision"]


def workloads(doc, device):
    """{problem id: [Workload]} of the registered cases on `device` (cpu or gpu)."""
    out = {}
    problems = {p["id"]: p for p in doc["problems"]}
    algos = doc["algorithms"]
    for c in doc["cases"]:
        if c["status"] != "registered" or c["device"] != device or c["problem"] not in problems:
            continue
        mode = None if c.get("mode") in (None, "resident") else c["mode"]
        key = (mode, c.get("iterations") if doc["family"] in ("gd", "bgd") else None,
               c.get("kappa"))
        ws = out.setdefault(c["problem"], {})
        w = ws.get(key)
        if w is None:
            w = ws[key] = Workload(doc["family"], problems[c["problem"]], device, key[0], key[1],
                                   key[2])
        if c.get("target") is not None and c["target"] not in w.targets:
            w.targets.append(c["target"])
        w.algorithms.add(c["algorithm"])
        w.wanted.update(algos.get(c["algorithm"], {}).get("pairs_with", [c["algorithm"]]))
    return {pid: list(ws.values()) for pid, ws in out.items()}


def write_problem(build_dir, doc, problem_id, directory, preset):
    """The binary writes the problem's numbers into `directory` (A.npy, b.npy, x_true.npy)."""
    exe = binary_path(build_dir, doc["family"])
    proc = subprocess.run([exe, f"--lsgd_preset={preset}", ceilings_flag(doc),
                           f"--lsgd_problem={problem_id}", f"--lsgd_write_problem={directory}"],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"writing {problem_id}: {proc.stderr.strip()}")


def read_problem(directory, problem):
    """(A, b, x_true) as NumPy arrays from the binary's files, A's dtype checked against the case
    list: (m, n), (m,), (n,) or, batched, (B, m, n), (B, m), (B, n) views (no copy)."""
    import numpy as np
    a = np.load(os.path.join(directory, "A.npy"))
    b = np.load(os.path.join(directory, "b.npy"))
    x = np.load(os.path.join(directory, "x_true.npy"))
    want = {"f32": np.float32, "f64": np.float64}[problem["precision"]]
    if a.dtype != want or b.dtype != want:
        raise ValueError(f"{directory}: A.npy holds {a.dtype}, the case list says "
                         f"{problem['precision']}")
    if problem.get("batch"):
        return np.moveaxis(a, 2, 0), b.T, x.T
    return a, b, x


# Running a peer library on one problem


@dataclass
class Solver:
    """One peer solver on one workload: call() solves once (returns the solution, synchronized)."""
    name: str                    # "scipy.cho_solve", "jax.gd", ...
    algorithm: str               # its family (the schema's algorithm values)
    call: object                 # () -> solution as the library returns it
    compute_precision: str = None  # when it differs from the data's (NumPy's linalg: f64)
    mode: str = None             # e2e when transfers are inside call()
    clock: object = None         # a timer(fn) -> (seconds, result) replacing the host clock
    compiles: bool = False       # the first call compiles (jax.jit): the second one is the warm-up


def flops_bytes(doc, workload, algorithm):
    """The model flops and bytes of one solve (gd: all its iterations) from the case list."""
    model = doc["algorithms"][algorithm]["flop_model"]
    p = workload.problem
    k = workload.iterations or 1
    if model == "gd_iter":
        return model, p["flops"]["gd_iter"] * k, p["bytes"]["gd_iter"] * k
    return model, p["flops"][model], p["bytes"]["solve"]


def fields_of(doc, workload, solver, target=None):
    p = workload.problem
    f = common.Fields(
        schema=1, family=workload.family, solver=solver.name, backend=solver.name.split(".")[0],
        precision=p["precision"], m=p["m"], n=p["n"], batch=p.get("batch"),
        iterations=workload.iterations, mode=solver.mode or workload.mode,
        kappa=workload.kappa, target=target, gen=p["gen"], seed=p["seed"],
        algorithm=solver.algorithm, problem=p["id"],
        compute_precision=solver.compute_precision or p["precision"])
    f["flop_model"] = doc["algorithms"][solver.algorithm]["flop_model"]
    return f


def run_problem(lib, doc, problem_dir, wls, rule, writer, progress, errors_of=None):
    """Times every solver the library has for the workloads of one problem, adding entries to
    writer. errors_of(solver, exc) -> message for the library's own failures (else re-raised)."""
    data = lib.load(problem_dir, wls[0].problem)
    for w in wls:
        for solver in lib.solvers(w, data):
            targets = w.targets or [None]
            names = [fields_of(doc, w, solver, t) for t in targets]
            writer.begin()
            try:
                if solver.compiles:
                    out = solver.call()  # compilation, untimed and unguarded
                t0 = time.perf_counter()
                out = solver.call()  # warm-up (allocates); untimed
                warm = time.perf_counter() - t0
                if warm > WARMUP_CAP * rule["max_time_s"]:
                    # min_reps more calls would take minutes: recorded, not timed (a peer this slow
                    # is not its family's fastest; the run stays bounded).
                    msg = (f"{solver.name}: the warm-up call took {warm:.3g} s, above "
                           f"{WARMUP_CAP:g} x the time cap ({rule['max_time_s']:g} s): not timed")
                    for name in names:
                        writer.add_error(name, msg)
                    progress.skip(str(names[0]), msg)
                    continue
                clock = solver.clock or _host_clock

                def timed():
                    nonlocal out
                    seconds, out = clock(solver.call)
                    return seconds
                times, why = common.repeat(timed, rule)
                err = lib.error(out, data)
            except Exception as e:  # noqa: BLE001  (a peer's refusal is an entry, not a crash)
                msg = errors_of(solver, e) if errors_of else None
                if msg is None:
                    raise
                for name in names:
                    writer.add_error(name, msg)
                progress.skip(str(names[0]), msg)
                continue
            model, flops, nbytes = flops_bytes(doc, w, solver.algorithm)
            side = "gpu" if w.device == "gpu" else "cpu"
            if model == "gd_iter":
                peak = ("GB/s", float(doc["ceilings"][f"{side}_copy_GBps"]))
            else:
                peak = ("GFLOP/s", float(doc["ceilings"][f"{side}_gemm_{w.precision}_GFLOPs"]))
            for name, target in zip(names, targets):
                counters = {"rel_err": err, "failed": 0}
                if w.iterations:
                    counters["iters"] = w.iterations
                if target is not None:
                    counters["failed"] = int(not err <= target)
                writer.add(name, times, counters, rate={"flops": flops, "bytes": nbytes,
                                                        "peak": peak}, stop=why)
                progress.report(name, times, f"rel_err {err:.2e}")


def _host_clock(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


# BLAS and threads of this process (recorded by every peer)


def blas_info():
    """The BLAS/LAPACK this process loaded, its threads and OpenBLAS kernel set where readable."""
    info = {"blas": "unknown", "blas_threads": "unknown", "blas_core": "unknown"}
    try:
        with open("/proc/self/maps", encoding="utf-8") as f:
            paths = {line.split()[-1] for line in f if "/" in line}
    except OSError:
        return info
    libs = sorted(os.path.realpath(p) for p in paths
                  if any(k in os.path.basename(p).lower() for k in ("blas", "lapack", "mkl"))
                  and ".cpython-" not in p)
    info["blas"] = ";".join(dict.fromkeys(libs)) or "unknown"
    import ctypes
    for lib in libs:
        try:
            h = ctypes.CDLL(lib)
        except OSError:
            continue
        for sym in ("openblas_get_num_threads", "scipy_openblas_get_num_threads64_",
                    "openblas_get_num_threads64_"):
            fn = getattr(h, sym, None)
            if fn is not None:
                info["blas_threads"] = str(fn())
                core = getattr(h, sym.replace("num_threads", "corename"), None)
                if core is not None:
                    core.restype = ctypes.c_char_p
                    info["blas_core"] = core().decode()
                break
    info["omp_num_threads"] = os.environ.get("OMP_NUM_THREADS", "unset")
    info["openblas_coretype"] = os.environ.get("OPENBLAS_CORETYPE", "unset")
    return info


# The worker protocol: the driver (run_peers.py) sends one JSON line per problem, the worker answers
# with one JSON line of entries; lets a library live in its own interpreter (JAX's virtualenv,
# torch's) and keep its compiled functions across problems.


def worker_main(lib):
    """Serves requests on stdin: {"doc": case list (first request), "problem_dir", "problem",
    "workloads": [...], "rule"} -> {"benchmarks": [...]}; {"context": true} -> context."""
    doc = None
    for line in sys.stdin:
        req = json.loads(line)
        if req.get("context"):
            reply = {"context": lib.context()}
        else:
            doc = req.get("doc") or doc
            wls = [Workload(**dict(w, algorithms=set(w["algorithms"]), wanted=set(w["wanted"])))
                   for w in req["workloads"]]
            writer = common.BenchWriter({}, device=wls[0].device)
            run_problem(lib, doc, req["problem_dir"], wls, req["rule"], writer,
                        common.Progress(), getattr(lib, "error_message", None))
            reply = {"benchmarks": writer.benchmarks}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


def workload_json(w):
    return {"family": w.family, "problem": w.problem, "device": w.device, "mode": w.mode,
            "iterations": w.iterations, "kappa": w.kappa, "targets": w.targets,
            "algorithms": sorted(w.algorithms), "wanted": sorted(w.wanted)}


class Worker:
    """A peer library in another interpreter, speaking worker_main's protocol."""

    def __init__(self, argv, name):
        self.name = name
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.sent_doc = None

    def ask(self, req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.name} peer worker exited ({self.proc.wait()})")
        return json.loads(line)

    def context(self):
        return self.ask({"context": True})["context"]

    def run(self, doc, problem_dir, wls, rule):
        req = {"problem_dir": problem_dir, "workloads": [workload_json(w) for w in wls],
               "rule": rule}
        if self.sent_doc is not doc:
            req["doc"] = doc
            self.sent_doc = doc
        return self.ask(req)["benchmarks"]

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)


def remove(path):
    shutil.rmtree(path, ignore_errors=True)
