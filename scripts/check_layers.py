#!/usr/bin/env python3
"""The layering of lsgd's C++ sources, checked: a wrong-layer #include fails ctest `layering`.

  scripts/check_layers.py [--root DIR] [--graph]

Every #include "x/..." (and <lsgd/...>) in the C++/CUDA sources of the layer folders below must
point into the same folder or into a layer that folder may use (LAYERS, the picture of README's
"Architecture"); the applications (tools, bench, python) may use a backend only through the headers
that backend exports (EXPORTS). Exit 1 with one line per crossing: the file, its line, the include,
and what the layer may use. --graph prints the layer graph that the sources actually have.
Standard library only; about 0.1 s.
"""

import argparse
import os
import re
import sys

# layer -> the layers its files may include (besides its own folder). The order is the build's:
# a layer uses only layers above it.
LAYERS = {
    "include": set(),                                 # lsgd/: the public interface
    "common": {"include"},                            # LAPACK declarations, double-double, refinement
                                                      # rule, equilibration, JSON/text formatting
    "core": {"include", "common"},                    # generators, metrics, registry, file I/O
    "cpu": {"include", "common", "core"},             # the CPU backend
    "kernels": {"include", "common", "core"},         # the CUDA backend (and its kernels on HIP-CPU)
    "mpi": {"include", "common", "core", "cpu"},      # each rank runs the CPU backend's kernels
    "tools": {"include", "common", "core"},           # the lsgd CLI and lsgd advise
    "python": {"include", "common", "core"},          # the Python module
    "bench": {"include", "common", "core", "cpu"},    # the benchmark binaries
    "tests": None,                                    # white-box tests: any layer
}
# What a backend offers the applications (tools, python, bench) beyond the registry of include/.
EXPORTS = {
    "kernels": {"kernels/cuda_backend.hpp", "kernels/cuda_check.hpp", "kernels/cuda_raii.hpp",
                "kernels/unique_handle.hpp"},
    "mpi": {"mpi/mpi_common.hpp"},
    "tools": {"tools/advise.hpp"},  # lsgd advise's model (library lsgd_advise), timed by bench_advise
}
APPLICATIONS = {"tools", "python", "bench"}
SOURCES = (".cpp", ".hpp", ".cu", ".cuh", ".h", ".cc", ".def", ".inc")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def layer_of_include(path):
    top = path.split("/", 1)[0]
    if top == "lsgd":
        return "include"
    return top if top in LAYERS else None


def allowed(layer, target, path):
    if layer == target:
        return True
    may = LAYERS[layer]
    if may is None or target in may:
        return True
    return layer in APPLICATIONS and path in EXPORTS.get(target, set())


def source_files(root):
    for layer in LAYERS:
        base = os.path.join(root, layer)
        for dirpath, dirnames, files in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith((".", "build"))]
            for f in sorted(files):
                if f.endswith(SOURCES):
                    yield layer, os.path.join(dirpath, f)


def check(root):
    problems, graph = [], {}
    for layer, path in source_files(root):
        rel = os.path.relpath(path, root)
        with open(path, encoding="utf-8", errors="replace") as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                bracket, inc = m.groups()
                if inc.startswith("../"):
                    problems.append(f"{rel}:{lineno}: #include \"{inc}\": include from the source "
                                    "root (folder/file), not with ../")
                    continue
                target = layer_of_include(inc)
                if target is None or (bracket == "<" and target != "include"):
                    continue  # system, third-party or same-folder header
                graph.setdefault(layer, set()).add(target)
                if not allowed(layer, target, inc):
                    may = LAYERS[layer]
                    extra = sorted(p for t, ps in EXPORTS.items() for p in ps) \
                        if layer in APPLICATIONS else []
                    problems.append(
                        f"{rel}:{lineno}: #include \"{inc}\": layer {layer}/ may not include "
                        f"{target}/ (it may use {', '.join(sorted(may)) or 'nothing'}"
                        + (f"; of the backends only {', '.join(extra)}" if extra else "") + ")")
    return problems, graph


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.add_argument("--graph", action="store_true", help="print the include graph between layers")
    args = ap.parse_args(argv)
    root = os.path.abspath(args.root)
    missing = [layer for layer in ("include", "core", "cpu") if not os.path.isdir(os.path.join(root, layer))]
    if missing:
        print(f"check_layers: {root} is not an lsgd source tree (no {', '.join(missing)}/)", file=sys.stderr)
        return 2
    problems, graph = check(root)
    if args.graph:
        for layer in LAYERS:
            if layer in graph:
                print(f"{layer:8s} -> {', '.join(sorted(t for t in graph[layer] if t != layer))}")
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"check_layers: {len(problems)} include(s) cross the layers (scripts/check_layers.py "
              "holds the picture; README, Architecture)", file=sys.stderr)
        return 1
    n = sum(1 for _ in source_files(root))
    print(f"check_layers: {n} files, every include within the layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
