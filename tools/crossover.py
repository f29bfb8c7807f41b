#!/usr/bin/env python3
"""Crossover maps: which solver is fastest where, from `lsgd advise --map` (docs/advise.md).

  tools/crossover.py --results results/cpu-2core-20261129 [--out DIR] [--lsgd PATH]
                     [--digits-f64 D] [--digits-f32 D] [--kappa K] [--grid N]

For each precision and device of the results directory: single problems over the (m, n) plane
and batches over the (batch, n) plane (m following the measured batched shapes). Colour = the
fastest solver that reaches the digits goal at kappa(A) (as `lsgd advise` predicts it from the
measurements), shade = its margin over the runner-up on the same device (pale: within 10%, full:
3x or more), hatching = a prediction extrapolated (iterations of a gradient method beyond those
measured), grey = no solver reaches the goal there; black dots = the measured sizes. Only the
measured range is drawn (`--map` predicts nothing beyond it). Where one results directory holds
comparable CPU and GPU measurements (same kind of problem, same run), a CPU-vs-GPU map: colour =
the faster device, shade = its margin.

Writes DIR/crossover_<single|batched>_<f32|f64>_<device>.png and .svg (and ..._cpu_vs_gpu) and
prints one line per figure. The predictions come from the lsgd binary (--lsgd, else $LSGD_CLI,
else the newest build/*/tools/lsgd of this tree, else lsgd on PATH): one model, in C++. Needs
matplotlib and NumPy; re-runs itself under /usr/bin/python3 when the python3 on PATH lacks them.
"""

import argparse
import glob
import math
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import lsgd_results as lr  # noqa: E402
import advise_table  # noqa: E402

if __name__ == "__main__":
    lr.require_modules(["numpy", "matplotlib"], "crossover.py", "python3-numpy python3-matplotlib")

import numpy as np  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

KINDS = ("single", "batched")
FULL_MARGIN = 3.0  # a margin this large (or larger) gets the full colour


class CrossoverError(Exception):
    pass


def find_lsgd(given=None):
    """The lsgd binary to ask, and how it was found."""
    if given:
        return given, "--lsgd"
    if os.environ.get("LSGD_CLI"):
        return os.environ["LSGD_CLI"], "$LSGD_CLI"
    built = [p for p in glob.glob(os.path.join(ROOT, "build", "*", "tools", "lsgd"))
             if os.access(p, os.X_OK)]
    if built:
        return max(built, key=os.path.getmtime), "the newest build of this tree"
    on_path = shutil.which("lsgd")
    if on_path:
        return on_path, "PATH"
    raise CrossoverError("no lsgd binary: build it (cmake --build build/cpu --target lsgd_cli) or "
                         "give --lsgd PATH")


def read_map(text):
    """Parse `lsgd advise --map` output: (metadata, rows as dicts)."""
    meta, rows, header = {}, [], None
    for line in text.splitlines():
        if line.startswith("#@"):
            f = line.split("\t")
            meta.setdefault(f[1], []).append(f[2:])
            continue
        if not line or line.startswith("#"):
            continue
        f = line.split("\t")
        if header is None:
            header = f
            continue
        rows.append(dict(zip(header, f)))
    if header is None:
        raise CrossoverError("lsgd advise --map printed no grid")
    return meta, rows


def run_map(lsgd, results, kind, precision, digits, kappa, grid):
    cmd = [lsgd, "advise", "--map", kind, "--precision", precision, "--digits", str(digits),
           "--kappa", str(kappa), "--grid", str(grid), "--results", results]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode == 1 and "no data" in p.stderr:
        return None  # nothing of this kind and precision was measured
    if p.returncode != 0:
        raise CrossoverError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
    return read_map(p.stdout)


def measured_sizes(results, kind, precision, device):
    """(x, y) of the measured time entries of this kind, precision and device."""
    path = os.path.join(results, advise_table.FILENAME)
    pts = set()
    with open(path, encoding="utf-8") as f:
        header = None
        for line in f:
            if line.startswith("#"):
                continue
            cells = line.rstrip("\n").split("\t")
            if header is None:
                header = cells
                continue
            r = dict(zip(header, cells))
            fam = r.get("family")
            ok = fam in (("bls", "bgd") if kind == "batched" else ("ls", "gd"))
            if not ok or r.get("precision") != precision or r.get("device") != device \
                    or r.get("failed") == "1":
                continue
            x = float(r["batch"]) if kind == "batched" else float(r["m"])
            pts.add((x, float(r["n"])))
    return sorted(pts)


def solver_colours(names):
    cmap = plt.get_cmap("tab10" if len(names) <= 10 else "tab20")
    return {s: cmap(i % cmap.N) for i, s in enumerate(sorted(names))}


def shade(rgba, margin):
    """Pale for a near tie, full colour at FULL_MARGIN or more."""
    if margin is None or not math.isfinite(margin):
        s = 1.0
    else:
        s = min(1.0, max(0.2, math.log(max(margin, 1.0)) / math.log(FULL_MARGIN)))
    return tuple(1.0 - s * (1.0 - c) for c in rgba[:3]) + (1.0,)


def _edges(values):
    """Cell edges (log2) around log2-spaced grid values."""
    lv = np.log2(values)
    if len(lv) == 1:
        return np.array([lv[0] - 0.5, lv[0] + 0.5])
    mid = (lv[1:] + lv[:-1]) / 2
    return np.concatenate([[lv[0] - (mid[0] - lv[0])], mid, [lv[-1] + (lv[-1] - mid[-1])]])


def _tick_label(v):
    v = 2.0 ** v
    for div, suf in ((2 ** 20, "M"), (2 ** 10, "k")):
        if v >= div and v % div == 0:
            return f"{int(v // div)}{suf}"
    return f"{int(round(v))}"


def draw(cells, xs, ys, colours, title, xlabel, measured, legend_items, out_base, note):
    """cells: {(x, y): (rgba, hatched)}; None colour = nothing qualifies."""
    xe, ye = _edges(np.array(xs)), _edges(np.array(ys))
    fig, ax = plt.subplots(figsize=(8.2, 5.6))
    for (x, y), (rgba, hatched) in cells.items():
        i, j = xs.index(x), ys.index(y)
        ax.fill_between([xe[i], xe[i + 1]], ye[j], ye[j + 1], color=rgba, linewidth=0,
                        hatch="///" if hatched else None, edgecolor=(1, 1, 1, 0.6))
    if measured:
        mx, my = zip(*measured)
        ax.plot(np.log2(mx), np.log2(my), "k.", markersize=4, label="measured")
    ax.set_xlim(xe[0], xe[-1])
    ax.set_ylim(ye[0], ye[-1])
    xt = range(int(math.ceil(xe[0])), int(math.floor(xe[-1])) + 1, 2)
    yt = range(int(math.ceil(ye[0])), int(math.floor(ye[-1])) + 1)
    ax.set_xticks(list(xt))
    ax.set_xticklabels([_tick_label(v) for v in xt])
    ax.set_yticks(list(yt))
    ax.set_yticklabels([_tick_label(v) for v in yt])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("n (columns)")
    ax.set_title(title, fontsize=9)
    handles = [Patch(facecolor=c, label=s) for s, c in legend_items]
    handles.append(Patch(facecolor=(0.85, 0.85, 0.85), label="none reaches the goal"))
    handles.append(Patch(facecolor="white", hatch="///", edgecolor="grey",
                         label="extrapolated"))
    ax.legend(handles=handles + ([ax.lines[0]] if measured else []), fontsize=8,
              loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.text(0.01, 0.01, note, fontsize=7, color="0.3")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    # Same input, same bytes: no date in the files, fixed SVG ids.
    with plt.rc_context({"svg.hashsalt": "lsgd-crossover"}):
        fig.savefig(f"{out_base}.png", dpi=110, metadata={"Software": None})
        fig.savefig(f"{out_base}.svg", metadata={"Date": None})
    plt.close(fig)


def maps_for(lsgd, results, kind, precision, digits, kappa, grid, out_dir):
    got = run_map(lsgd, results, kind, precision, digits, kappa, grid)
    if got is None:
        return []
    meta, rows = got
    labels = {d[0]: d[1] for d in meta.get("device", [])}
    xs = sorted({float(r["x"]) for r in rows})
    ys = sorted({float(r["y"]) for r in rows})
    devices = sorted({r["device"] for r in rows if r["device"]})
    colours = solver_colours({r["solver"] for r in rows if r["solver"]}
                             | {r["runner_up"] for r in rows if r["runner_up"]})
    xlabel = "batch (problems)" if kind == "batched" else "m (rows)"
    written = []
    goal = f"{digits:g} digits at kappa(A) = {kappa:g}"
    m_note = " (m follows the measured shapes)" if kind == "batched" else ""
    by_point = {}
    for r in rows:
        by_point.setdefault((float(r["x"]), float(r["y"])), []).append(r)
    for dev in devices:
        source, kind_dev = dev.split(":", 1)
        cells, used = {}, set()
        for pt, rs in by_point.items():
            r = next((q for q in rs if q["device"] == dev), None)
            if r is None:
                cells[pt] = ((0.85, 0.85, 0.85, 1.0), False)
                continue
            t, tr = float(r["time_s"]), r["runner_time_s"]
            margin = float(tr) / t if tr else None
            cells[pt] = (shade(colours[r["solver"]], margin), r["extrapolated"] == "1")
            used.add(r["solver"])
        base = os.path.join(out_dir, f"crossover_{kind}_{precision}_{kind_dev}")
        title = (f"{'single problems' if kind == 'single' else 'batches'}{m_note}, {precision}: "
                 f"the fastest solver reaching {goal}\n{kind_dev}: {labels.get(dev, '?')} "
                 f"[{source}]")
        note = ("shade: margin over the runner-up on this device (pale: < 1.1x, full: >= "
                f"{FULL_MARGIN:g}x); predicted by lsgd advise from the measurements, inside the "
                "measured range only")
        draw(cells, xs, ys, colours, title, xlabel,
             measured_sizes(results, kind, precision, kind_dev),
             [(s, colours[s]) for s in sorted(used)], base, note)
        written.append(base)
    # CPU against GPU: both devices of one run.
    for source in sorted({d.split(":", 1)[0] for d in devices}):
        cpu, gpu = f"{source}:cpu", f"{source}:gpu"
        if cpu not in devices or gpu not in devices:
            continue
        dev_colour = {"cpu": (0.12, 0.47, 0.71, 1.0), "gpu": (0.17, 0.63, 0.17, 1.0)}
        cells = {}
        for pt, rs in by_point.items():
            best = {q["device"]: float(q["time_s"]) for q in rs if q["device"] in (cpu, gpu)}
            if len(best) < 2:
                only = next(iter(best), None)
                cells[pt] = ((dev_colour[only.split(":")[1]] if only else (0.85, 0.85, 0.85, 1)),
                             False)
                continue
            fast = min(best, key=best.get)
            slow = max(best, key=best.get)
            cells[pt] = (shade(dev_colour[fast.split(":")[1]], best[slow] / best[fast]), False)
        base = os.path.join(out_dir, f"crossover_{kind}_{precision}_cpu_vs_gpu")
        draw(cells, xs, ys, None,
             f"{kind}, {precision}: the faster device reaching {goal} [{source}]", xlabel,
             measured_sizes(results, kind, precision, "gpu"),
             [("CPU: " + labels.get(cpu, "?"), dev_colour["cpu"]),
              ("GPU: " + labels.get(gpu, "?"), dev_colour["gpu"])], base,
             "shade: margin of the faster device's best solver over the other's (end to end)")
        written.append(base)
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", required=True, help="a results directory with advise_table.tsv")
    ap.add_argument("--out", help="output directory (default: --results)")
    ap.add_argument("--lsgd", help="the lsgd binary")
    ap.add_argument("--digits-f64", type=float, default=10.0,
                    help="digits goal in f64 (default 10)")
    ap.add_argument("--digits-f32", type=float, default=4.0, help="digits goal in f32 (default 4)")
    ap.add_argument("--kappa", type=float, default=100.0, help="kappa(A) (default 100)")
    ap.add_argument("--grid", type=int, default=25, help="points per axis (default 25)")
    args = ap.parse_args(argv)
    out = args.out or args.results
    try:
        if not os.path.isfile(os.path.join(args.results, advise_table.FILENAME)):
            raise CrossoverError(f"{args.results}: no {advise_table.FILENAME} (write it with "
                                 f"tools/advise_table.py {args.results})")
        os.makedirs(out, exist_ok=True)
        lsgd, how = find_lsgd(args.lsgd)
        print(f"crossover.py: predictions from {lsgd} ({how})")
        written = []
        for precision, digits in (("f64", args.digits_f64), ("f32", args.digits_f32)):
            for kind in KINDS:
                written += maps_for(lsgd, args.results, kind, precision, digits, args.kappa,
                                    args.grid, out)
    except (CrossoverError, OSError) as e:
        print(f"crossover.py: error: {e}", file=sys.stderr)
        return 1
    for w in written:
        print(f"crossover.py: {w}.png / .svg")
    if not written:
        print("crossover.py: error: nothing measured to map", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
