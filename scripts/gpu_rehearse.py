#!/usr/bin/env python3
"""The rehearsal of the GPU check (scripts/gpu-check --rehearse): hide this machine's copies of the
carried packages, so that only the prepared folder can supply them, and estimate the GPU machine's
build time from the rehearsal's cold build.

  gpu_rehearse.py hide PLANFILE [--extra-dir PATH ...]   (root, inside a private mount namespace)
  gpu_rehearse.py estimate BUILD_DIR --cpu-seconds S [--cores 16]
"""
import argparse
import os
import sys
import tempfile

from gpu_deps import COMPONENTS, die, run

# System packages hidden in the rehearsal beside the carried ones: other copies of the same
# libraries (reference BLAS, GoogleMock, the OpenBLAS alternatives) that CMake could fall back to.
ALSO_HIDDEN = ["googletest", "libgmock-dev", "libopenblas-dev", "libopenblas0", "libblas-dev",
               "libblas3", "liblapack-dev", "liblapack3", "libgfortran-12-dev"]


def hide(args):
    """Bind empty folders and files over every file of the system's copies of the carried packages
    (and ALSO_HIDDEN), inside the caller's private mount namespace. Writes the plan to PLANFILE."""
    if os.geteuid() != 0:
        die("hide needs root inside a private mount namespace (unshare -m)")
    packages = sorted({p for ps in COMPONENTS.values() for p in ps} | set(ALSO_HIDDEN))
    installed = [p for p in packages
                 if "install ok installed" in run(["dpkg-query", "-W", "-f=${Status}", p]).stdout]
    owned = set()
    for p in installed:
        owned |= {l for l in run(["dpkg-query", "-L", p]).stdout.splitlines() if l.startswith("/")}

    def wholly_owned(d):
        for dirpath, dirnames, filenames in os.walk(d):
            for n in dirnames + filenames:
                if os.path.join(dirpath, n) not in owned:
                    return False
        return True

    dirs = []
    for path in sorted(owned, key=lambda p: (p.count("/"), p)):
        if (os.path.isdir(path) and not os.path.islink(path) and path.count("/") >= 3
                and not any(path.startswith(d + "/") for d in dirs) and wholly_owned(path)):
            dirs.append(path)
    files = sorted(p for p in owned if os.path.isfile(p) and not os.path.islink(p)
                   and not any(p.startswith(d + "/") for d in dirs))
    extra = [os.path.realpath(d) for d in args.extra_dir if os.path.isdir(d)]
    empty = tempfile.mkdtemp(prefix="lsgd-hidden-")
    empty_file = os.path.join(empty, ".empty-file")
    empty_dir = os.path.join(empty, "empty-dir")
    open(empty_file, "w").close()
    os.makedirs(empty_dir)
    for d in dirs + extra:
        r = run(["mount", "--bind", empty_dir, d])
        if r.returncode != 0:
            die("mount --bind over %s failed: %s" % (d, r.stderr.strip()))
    for f in files:
        r = run(["mount", "--bind", empty_file, f])
        if r.returncode != 0:
            die("mount --bind over %s failed: %s" % (f, r.stderr.strip()))
    with open(args.planfile, "w") as f:
        f.write("# hidden by scripts/gpu_deps.py hide: the system's copies of the carried packages\n")
        f.write("# packages: %s\n" % " ".join(installed))
        for d in dirs + extra:
            f.write("dir  %s\n" % d)
        for p in files:
            f.write("file %s\n" % p)
    print("gpu_rehearse: hidden %d installed packages (%s): %d folders and %d files bound empty%s"
          % (len(installed), " ".join(installed), len(dirs) + len(extra), len(files),
             "; also " + " ".join(extra) if extra else ""))
    return 0


# ---- build-time estimate ---------------------------------------------------------------------------
def build_estimate(args):
    """From a cold build's .ninja_log and its CPU seconds: the build's wall time on N cores."""
    seen = {}
    for line in open(os.path.join(args.build_dir, ".ninja_log")):
        if line.startswith("#"):
            continue
        start, end, _, target, cmdhash = line.rstrip("\n").split("\t")
        # One line per output: a step with several outputs (a link and its test list) appears
        # once per output with the same times and command hash. Later builds of a target win.
        seen[target] = (start, end, cmdhash)
    rows = sorted(((int(e) - int(s)) / 1000.0 for s, e, _ in set(seen.values())), reverse=True)
    wall_sum = sum(rows)
    # Jobs' wall times here include waiting for a busy CPU; scale them to CPU time.
    scale = min(1.0, args.cpu_seconds / wall_sum) if wall_sum > 0 else 1.0
    longest = rows[0] * scale if rows else 0.0
    cores = args.cores
    # A greedy schedule on `cores` workers (longest first): a lower bound that ignores dependencies;
    # the 1.25 factor covers the link steps that wait for their objects.
    workers = [0.0] * cores
    for r in rows:
        workers[workers.index(min(workers))] += r * scale
    estimate_s = max(max(workers), longest) * 1.25
    print("gpu_rehearse: %d build steps, %.0f s of CPU (%.0f s of job wall time here, scale %.2f); "
          "longest step %.0f s CPU" % (len(rows), args.cpu_seconds, wall_sum, scale, longest))
    print("gpu_rehearse: estimated build on %d cores of the same speed: %.0f s" % (cores, estimate_s))
    return estimate_s


def estimate(args):
    build_estimate(args)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("hide")
    h.add_argument("planfile")
    h.add_argument("--extra-dir", action="append", default=[])
    e = sub.add_parser("estimate")
    e.add_argument("build_dir")
    e.add_argument("--cpu-seconds", type=float, required=True)
    e.add_argument("--cores", type=int, default=16)
    args = ap.parse_args()
    return {"hide": hide, "estimate": estimate}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
