#!/usr/bin/env python3
"""lsgd and its peers on the same problems, interleaved problem by problem (issue 24).

  bench/peers/run_peers.py --build-dir build/cpu --preset quick|full --out DIR
                           [--families ls bls gd bgd tta] [--peers numpy jax torch]
                           [--no-interleave] [--jax-python PY] [--torch-python PY]
                           [--torch-device cpu|cuda] [--jax-device cpu|gpu]
                           [--problems REGEX] [-- lsgd flags...]

For each benchmark family: the binary lists its cases (--lsgd_list_cases); for each problem with a
registered case the binary writes the problem's numbers (A.npy, b.npy, x_true.npy), then, back to
back on that problem: lsgd's own cases of it (the binary with --lsgd_problem=ID; skipped with
--no-interleave), NumPy/SciPy (in this process), JAX and torch (worker processes in their own
interpreters, when given or found). Writes DIR/bench_<family>.json (lsgd, merged over the
problems, with every skipped case and its reason), DIR/peers_numpy.json, DIR/peers_jax.json,
DIR/peers_torch.json. --problems keeps the problems whose case-list id matches REGEX (a search, as
--lsgd_filter_solver): scripts/gpu-check's targets phase measures only issue 28's table. Each peer entry names the problem id, its algorithm family and the precision
it computed in, so that tools/lsgd_pairs.py pairs like with like only.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases  # noqa: E402
import common  # noqa: E402

if __name__ == "__main__":
    common.lr.require_modules(["numpy", "scipy"], "run_peers.py", "python3-numpy python3-scipy")

import numpy_peers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def log(msg):
    print(f"run_peers: {msg}", file=sys.stderr, flush=True)


def run_lsgd(build_dir, doc, preset, problem_id, flags, out_json):
    """lsgd's cases of one problem, now (the interleaved half of the pair)."""
    exe = cases.binary_path(build_dir, doc["family"])
    cmd = [exe, f"--lsgd_preset={preset}", cases.ceilings_flag(doc), f"--lsgd_problem={problem_id}",
           f"--benchmark_out={out_json}", "--benchmark_out_format=json", *flags]
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {proc.returncode}: {proc.stderr.strip()[-400:]}")


def merge_lsgd(parts, doc, path, problems=None):
    """One Google Benchmark JSON from the per-problem runs: first context, every entry, the
    machine state combined, and every skipped case of the case list with its reason."""
    merged = None
    kinds = set()
    for part in parts:
        with open(part, encoding="utf-8") as f:
            d = json.load(f)
        if merged is None:
            merged = {"context": d.get("context", {}), "benchmarks": [],
                      "lsgd_machine": dict(d.get("lsgd_machine") or {}, flags=[], entries=0,
                                           busy_entries=0, throttled_entries=0)}
        merged["benchmarks"] += d.get("benchmarks", [])
        lm, m = merged["lsgd_machine"], d.get("lsgd_machine") or {}
        for k in ("entries", "busy_entries", "throttled_entries"):
            lm[k] += int(m.get(k) or 0)
        for f in m.get("flags") or []:  # one of each kind: the parts' numbers differ
            kind = re.sub(r"\d+", "#", f)
            if kind not in kinds:
                kinds.add(kind)
                lm["flags"].append(f + " (one problem's run; others alike)")
        lm["end"] = m.get("end", lm.get("end"))
    if merged is None:
        return False
    merged["context"]["lsgd_interleaved"] = "per problem, with the peers (bench/peers/run_peers.py)"
    merged["lsgd_machine"]["other_cpu"] = None  # per part only
    merged["lsgd_skipped"] = [
        {"name": c["name"], "solver": c["solver"], "algorithm": c.get("algorithm"),
         "precision": c["precision"], "problem": c.get("problem"), "mode": c.get("mode"),
         "reason": c.get("reason", "")} for c in doc["cases"]
        if c["status"] == "skipped" and (problems is None or c.get("problem") in problems)]
    with open(path, "w", encoding="utf-8") as f:
        json.dump(merged, f, indent=1)
        f.write("\n")
    return True


def find_python(module, given):
    """The interpreter of a worker: given, else the virtualenv the peer's --install makes, else
    python3 / /usr/bin/python3 when they import the module."""
    cands = [given] if given else [os.path.join(os.getcwd(), "build", "peers-venv", "bin", "python"),
                                   "python3", "/usr/bin/python3"]
    for exe in cands:
        if not exe:
            continue
        try:
            ok = subprocess.run([exe, "-c", f"import {module}"], capture_output=True,
                                check=False, timeout=120).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return exe
    return None


def write_peers(writers, out, quiet=False):
    """DIR/peers_<library>.json of every peer with entries (each file rewritten whole)."""
    for lib, writer in writers.items():
        if writer.benchmarks:
            path = os.path.join(out, f"peers_{lib}.json")
            writer.write(path)
            if not quiet:
                log(f"wrote {len(writer.benchmarks)} {lib} entries to {path}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--preset", choices=("quick", "full"), default="quick")
    ap.add_argument("--out", required=True)
    ap.add_argument("--families", nargs="+", choices=cases.FAMILIES, default=list(cases.FAMILIES))
    ap.add_argument("--peers", nargs="+", choices=("numpy", "jax", "torch"),
                    default=["numpy", "jax", "torch"])
    ap.add_argument("--no-interleave", action="store_true",
                    help="peers only (lsgd's binaries run separately)")
    ap.add_argument("--jax-python", help="interpreter with jax (default: build/peers-venv, python3)")
    ap.add_argument("--torch-python", help="interpreter with torch (default: python3, /usr/bin/python3)")
    ap.add_argument("--torch-device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--jax-device", choices=("cpu", "gpu"), default="cpu",
                    help="where the JAX worker places the problems (gpu: a CUDA jaxlib)")
    ap.add_argument("--problems", action="append", default=[], metavar="[FAMILY=]REGEX",
                    help="only the problems whose case-list id matches REGEX (a search), in every "
                    "family or, as FAMILY=REGEX, in that one; repeatable")
    ap.add_argument("lsgd_flags", nargs="*", help="after --: flags for lsgd's binaries")
    args = ap.parse_args(argv)
    keep = {}  # family (or None: all) -> compiled regex
    for text in args.problems:
        fam, sep, rx = text.partition("=")
        if not sep:
            fam, rx = None, text
        elif fam not in cases.FAMILIES:
            ap.error(f"--problems {text!r}: unknown family {fam!r} ({', '.join(cases.FAMILIES)})")
        try:
            keep[fam] = re.compile(rx)
        except re.error as e:
            ap.error(f"--problems: invalid regex {rx!r}: {e}")
    os.makedirs(args.out, exist_ok=True)
    t0 = time.perf_counter()

    writers, workers = {}, {}
    if "numpy" in args.peers:
        writers["numpy"] = common.BenchWriter(common.base_context("numpy", "cpu",
                                                                  numpy_peers.context()))
    for lib, module, given in (("jax", "jax", args.jax_python), ("torch", "torch",
                                                                 args.torch_python)):
        if lib not in args.peers:
            continue
        exe = find_python(module, given)
        if exe is None:
            log(f"{lib}: no interpreter imports {module}: {lib} peers skipped"
                + (" (bench/peers/jax_peers.py --install makes build/peers-venv)"
                   if lib == "jax" else ""))
            continue
        argv_w = [exe, os.path.join(HERE, f"{lib}_peers.py"), "--worker"]
        if lib == "torch":
            argv_w += ["--device", args.torch_device]
        else:
            argv_w += ["--device", args.jax_device]
        worker = cases.Worker(argv_w, lib)
        try:
            ctx = worker.context()
        except RuntimeError as e:  # the worker exits 77 without the device asked for
            log(f"{lib}: {e}: {lib} peers skipped")
            worker.close()
            continue
        workers[lib] = worker
        device = "gpu" if (args.torch_device == "cuda" if lib == "torch"
                           else args.jax_device == "gpu") else "cpu"
        writers[lib] = common.BenchWriter(common.base_context(lib, device, ctx), device=device)
        log(f"{lib}: {exe} ({', '.join(f'{k} {v}' for k, v in ctx.items() if k in (lib, 'jaxlib'))})")

    ceilings = None
    tmp = tempfile.mkdtemp(prefix="lsgd_problems_", dir=args.out)
    progress = common.Progress()
    status = 0
    try:
        for family in args.families:
            flags = list(args.lsgd_flags) + ([ceilings] if ceilings else [])
            doc = cases.list_cases(args.build_dir, family, args.preset, flags)
            ceilings = ceilings or cases.ceilings_flag(doc)
            rule = doc["stop_rule"]
            by_problem = {}
            for device in ("cpu", "gpu"):
                for pid, wls in cases.workloads(doc, device).items():
                    rx = keep.get(family, keep.get(None))
                    if not keep or (rx is not None and rx.search(pid)):
                        by_problem.setdefault(pid, []).extend(wls)
            log(f"{family}: {len(by_problem)} problems, "
                f"{sum(c['status'] == 'registered' for c in doc['cases'])} lsgd cases "
                f"({sum(c['status'] == 'skipped' for c in doc['cases'])} skipped)")
            parts = []
            for k, (pid, wls) in enumerate(by_problem.items()):
                log(f"{family}: problem {k + 1}/{len(by_problem)} {pid} "
                    f"[{time.perf_counter() - t0:.0f} s]")
                pdir = os.path.join(tmp, f"p{k}")
                cases.write_problem(args.build_dir, doc, pid, pdir, args.preset)
                try:
                    if not args.no_interleave:
                        part = os.path.join(tmp, f"{family}_{k}.json")
                        run_lsgd(args.build_dir, doc, args.preset, pid, list(args.lsgd_flags),
                                 part)
                        parts.append(part)
                    cpu = [w for w in wls if w.device == "cpu"]
                    if "numpy" in writers and cpu:
                        cases.run_problem(numpy_peers, doc, pdir, cpu, rule, writers["numpy"],
                                          progress, numpy_peers.error_message)
                    for lib, worker in workers.items():
                        mine = [w for w in wls if w.device == writers[lib].device]
                        if mine:
                            writers[lib].benchmarks += worker.run(doc, pdir, mine, rule)
                finally:
                    cases.remove(pdir)
                # Checkpoint after every problem: a run stopped later keeps what it measured.
                if parts:
                    merge_lsgd(parts, doc, os.path.join(args.out, f"bench_{family}.json"),
                               None if not args.problems else set(by_problem))
                write_peers(writers, args.out, quiet=True)
            for p in parts:
                os.remove(p)
            log(f"{family}: done ({time.perf_counter() - t0:.0f} s)")
    except (RuntimeError, FileNotFoundError) as e:
        log(f"error: {e}")
        status = 1
    finally:
        for worker in workers.values():
            worker.close()
        cases.remove(tmp)
    write_peers(writers, args.out)
    log(f"finished in {time.perf_counter() - t0:.0f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
