#!/usr/bin/env python3
"""Reader peers: what a user would call instead of lsgd's CSV reader, on the same file.

  numpy.loadtxt    numpy.loadtxt(FILE, delimiter=D, skiprows=H)     (NumPy >= 1.23: a C parser)
  pandas.read_csv  pandas.read_csv(FILE, sep=D, header=H).to_numpy() (pandas' C engine)

The delimiter (',', ';', tab, or blanks) and the header line (a first line with a field that is not a
number) are read off the file's first line and given to both, as a user would write them.

Each peer runs in a fresh interpreter (so that its peak resident memory is its own) for
--repetitions timed reads after --warmup untimed ones (the file in the page cache, as for
bench_io). Writes Google Benchmark-schema JSON (see common.py) with MB/s of file read and the peak
RSS; prints one line per peer. Peers whose module is missing are reported and skipped. bench_io
runs one peer per repetition through --measure, in the same run as lsgd's reader.

  python3 bench/peers/io_peers.py --file big.csv [--repetitions 3] [--out peers_io.json]
  python3 bench/peers/io_peers.py --file big.csv --measure pandas.read_csv --repetitions 1 --warmup 0
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402  (path set above)

PEERS = {
    "numpy.loadtxt": ("numpy", "import numpy as np\n"
                               "read = lambda f, d, h: np.loadtxt(f, delimiter=d, skiprows=1 if h else 0)"),
    "pandas.read_csv": ("pandas", "import pandas as pd\n"
                                  "read = lambda f, d, h: pd.read_csv(f, sep=d if d else r'\\s+', "
                                  "header=0 if h else None).to_numpy()"),
}


def layout(path):
    """(delimiter or None for blanks, header line?) from the file's first line."""
    with open(path, "r", errors="replace") as f:
        first = f.readline().strip()
    delim = next((d for d in (",", ";", "\t") if d in first), None)
    fields = first.split(delim) if delim else first.split()

    def number(t):
        try:
            float(t)
            return True
        except ValueError:
            return False
    return delim, not all(number(t) for t in fields)


def run_one(name, path, reps, warmup):
    """In this (fresh) interpreter: untimed warm-up reads, then `reps` timed reads; prints a JSON line."""
    module, setup = PEERS[name]
    scope = {}
    exec(setup, scope)  # noqa: S102  (fixed text above)
    delim, header = layout(path)
    read = scope["read"]
    shape = None
    for _ in range(warmup):
        shape = read(path, delim, header).shape
    seconds, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        data = read(path, delim, header)
        seconds.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        shape = data.shape
        del data
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    version = __import__(module).__version__
    print(json.dumps({"name": name, "seconds": seconds, "cpu_seconds": cpu, "shape": list(shape), "peak_rss_MB": peak_mb,
                      "version": version}))


def interpreter_with(module):
    for exe in (sys.executable, "/usr/bin/python3"):
        if subprocess.run([exe, "-c", f"import {module}"], capture_output=True).returncode == 0:
            return exe
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", required=True, help="the CSV file (header line, numeric rows)")
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--out", default="", help="JSON output (Google Benchmark schema)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed reads first (default 1)")
    ap.add_argument("--measure", default="", choices=[""] + list(PEERS),
                    help="run one peer in an interpreter that has its module; print its JSON line")
    ap.add_argument("--one", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        run_one(args.one, args.file, args.repetitions, args.warmup)
        return 0
    if args.measure:
        module = PEERS[args.measure][0]
        exe = interpreter_with(module)
        if exe is None:
            print(f"{module} not installed (tried {sys.executable}, /usr/bin/python3)", file=sys.stderr)
            return 1
        proc = subprocess.run([exe, os.path.abspath(__file__), "--file", args.file, "--one", args.measure,
                               "--repetitions", str(args.repetitions), "--warmup", str(args.warmup)],
                              capture_output=True, text=True)
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr[-2000:])
        return proc.returncode
    size = os.path.getsize(args.file)
    writer = common.BenchWriter(common.base_context("io_peers", "cpu", {"io_file": args.file,
                                                                         "io_file_bytes": size}))
    status = 0
    for name, (module, _) in PEERS.items():
        bench = f"io/{name}/{os.path.basename(args.file)}"
        exe = interpreter_with(module)
        if exe is None:
            print(f"{name}: skipped: no interpreter with {module} (tried {sys.executable}, "
                  "/usr/bin/python3)", file=sys.stderr)
            writer.add_error(bench, f"{module} not installed")
            continue
        proc = subprocess.run([exe, os.path.abspath(__file__), "--file", args.file, "--one", name,
                               "--repetitions", str(args.repetitions), "--warmup", str(args.warmup)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{name}: failed: {proc.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            writer.add_error(bench, "failed")
            status = 1
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        best, best_cpu = min(r["seconds"]), min(r["cpu_seconds"])
        writer.add(bench, r["seconds"], counters={"peak_rss_MB": r["peak_rss_MB"],
                                                  "file_MB": size / 1e6,
                                                  "cpu_MB/s": size / best_cpu / 1e6},
                   rate={"bytes": size})
        # Wall and CPU time both: on a shared machine the CPU time is the parser's own cost.
        print(f"{name} ({module} {r['version']}, {exe}): {size / best / 1e6:.0f} MB/s wall, "
              f"{size / best_cpu / 1e6:.0f} MB/s CPU time (best of {len(r['seconds'])}: "
              f"{best:.3f} s wall, {best_cpu:.3f} s CPU), shape {tuple(r['shape'])}, "
              f"peak RSS {r['peak_rss_MB']:.0f} MB")
    if args.out:
        writer.write(args.out)
    return status


if __name__ == "__main__":
    sys.exit(main())
