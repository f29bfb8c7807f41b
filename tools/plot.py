#!/usr/bin/env python3
"""Figures from lsgd's and its peers' Google Benchmark JSON files.

  tools/plot.py [--out DIR] [--summary] FILE.json...

Reads benchmark files (lsgd's bench binaries, bench/peers/*.py) and convergence-history files
(schema in docs/peers-and-figures.md), and writes PNG + SVG figures into DIR:
  time_<panel>       time against problem size, one line per solver and precision, CPU and GPU
  speedup_<panel>    GPU/CPU speedup against size, crossover marked (also printed)
  roofline_<panel>   achieved GFLOP/s or GB/s against size, with the contexts' measured ceilings
  throughput_<kind>  batched: problems per second against batch size
  accuracy_kappa     digits lost, log10(rel_err / eps), against the condition number
  convergence_iter, convergence_time   GD relative error against iteration and wall time
  frontier_<family>  accuracy against time across algorithm families (no ratio across families)
With --summary also DIR/summary.md: each lsgd solver against the fastest peer of its own algorithm
family, precision and problem (tools/lsgd_pairs.py): both median times, the ratio with its 95%
interval, both forward errors; the accuracy-against-time front of every workload; skipped cases.

Style, fixed across figures: colour = algorithm family (normal equations, QR, TSQR, pivoted QR/COD,
SVD, GD, momentum, Nesterov...; the solvers of one family are shades of it), line style = backend
(lsgd solid, peers dashed, each peer library its own dashes), GPU filled markers, CPU open ones.
Convergence figures colour by condition number instead.
Standard library + NumPy + matplotlib (Agg) only; re-runs itself under /usr/bin/python3 when the
python3 on PATH lacks them.
"""

import argparse
import math
import os
import re
import sys
import zlib
from dataclasses import dataclass, field


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lsgd_pairs as lp  # noqa: E402  (like-for-like pairing and intervals: shared with compare.py)
import lsgd_results as lr  # noqa: E402  (the one reader of the result fields)

if __name__ == "__main__":
    lr.require_modules(["numpy", "matplotlib"], "plot.py", "python3-numpy python3-matplotlib",
                       exit_code=3)

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.lines  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402


KINDS = lr.FAMILIES
LSGD_BACKENDS = lr.LSGD_BACKENDS
PEER_BACKENDS = lr.PEER_BACKENDS
EPS = {"f32": float(np.finfo(np.float32).eps), "f64": float(np.finfo(np.float64).eps)}

FAMILY_COLORS = {
    # The algorithm families of the schema's `algorithm` field (bench/algorithms.cpp), first.
    "normal_eq": "#ff7f0e", "qr": "#1f77b4", "tsqr": "#7570b3", "rrqr": "#a6761d", "svd": "#2ca02c",
    "qr_refined": "#17becf", "qr_mixed": "#bcbd22", "gd": "#d62728", "momentum": "#e377c2",
    "nesterov": "#9467bd", "sgd": "#c51b7d",
    # Name-derived families of entries written before the field existed.
    "cholesky": "#ff7f0e", "lstsq": "#8c564b", "cod": "#a6761d", "colpiv_qr": "#66c2a5",
    "gels": "#17becf", "irs": "#bcbd22", "bgd": "#d62728", "cg": "#7f7f7f", "cgls": "#7f7f7f",
    "lsqr": "#393b79", "bls": "#1f77b4", "bmm": "#e7298a", "bmm_graph": "#1b9e77",
    "matmul": "#8c6d31", "matmul_graph": "#637939",
}
FALLBACK_COLORS = ["#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363", "#843c39", "#7b4173",
                   "#5254a3", "#8ca252", "#bd9e39"]
# lsgd solid; peers dashed (each peer library its own dash pattern).
BACKEND_STYLES = {"cuda": "-", "cpu": "-", "torch": (0, (6, 2)), "numpy": (0, (3, 2)),
                  "scipy": (0, (6, 2, 1, 2)), "jax": (0, (1, 1.5))}
PREC_MARKERS = {"f32": "o", "f64": "s"}
MAX_SERIES = 8  # lines per panel; more go to further panels


PlotError = lr.ResultsError  # unreadable input: reported as one line, exit status 2


@dataclass
class Record:
    """One benchmark: its fields (lsgd object), mean time per solve, counters, machine flags."""
    name: str
    fields: dict
    time_s: float
    counters: dict
    gpu: bool
    error: bool = False
    flags: tuple = ()
    rse: float = float("nan")   # relative standard error of time_s
    reps: int = 0
    entry: object = None        # the lsgd_results.Entry (pairing reads it)

    @property
    def kind(self):
        return self.fields["family"]

    @property
    def solver(self):
        return self.fields["solver"]

    @property
    def prec(self):
        return self.fields["precision"]

    @property
    def mode(self):
        return self.fields.get("mode")

    @property
    def params(self):
        f = self.fields
        out = {"m": float(f["m"]), "n": float(f["n"])}
        for key, name in (("batch", "batch"), ("iterations", "iters"), ("kappa", "kappa"),
                          ("target", "target")):
            if f.get(key) is not None and not (key == "iterations" and f["family"] == "tta"):
                out[name] = float(f[key])
        return out

    @property
    def backend(self):
        return self.fields["backend"]

    @property
    def family(self):
        """The algorithm family (the schema's field; the name's family for older files)."""
        return self.fields.get("algorithm") or lr.method_family(self.solver)

    @property
    def failed(self):
        return self.error or self.counters.get("failed", 0) > 0

    def p(self, key, default=None):
        return self.params.get(key, default)


@dataclass
class Data:
    records: list = field(default_factory=list)
    histories: list = field(default_factory=list)
    contexts: list = field(default_factory=list)
    machines: list = field(default_factory=list)  # (path, lsgd_machine object) per file
    foreign: list = field(default_factory=list)   # entries without lsgd fields, per file
    skipped: list = field(default_factory=list)   # lsgd_skipped: cases left out, with reasons

    @property
    def entries(self):
        return [r.entry for r in self.records if r.entry is not None]


def is_gpu(backend, context):
    """Histories (no lsgd object): GPU for cuda.*, and torch.* unless its context says cpu."""
    if backend == "cuda":
        return True
    if backend == "torch":
        return context.get("torch_device", "cuda") != "cpu"
    return False


def load(paths):
    """Read benchmark and history files through lsgd_results; PlotError (one line) on anything
    unreadable."""
    results = lr.load(paths)
    data = Data()
    for rf in results.files:
        data.contexts.append(rf.context)
        data.machines.append((rf.path, rf.machine))
        data.foreign.append(rf.foreign)
        for e in rf.entries:
            data.records.append(Record(e.name, e.fields, e.time_s, e.counters, e.gpu, e.error,
                                       tuple(e.flags), e.rse, len(e.samples), e))
        data.skipped += rf.skipped
        for hist in rf.histories:
            data.histories.append(dict(hist, gpu=is_gpu(hist["solver"].split(".")[0],
                                                        rf.context)))
    return data


# Crossover


def crossover(sizes, cpu_times, gpu_times):
    """The smallest size from which the GPU is faster, or None.

    With s = log(cpu_time / gpu_time) over increasing sizes: the GPU must be faster (s > 0) at the
    largest size and slower (s <= 0) somewhere; the crossover lies between the last size where
    s <= 0 and the next one, interpolated linearly in (log size, s). None if the GPU is faster at
    every size, or not faster at the largest one.
    """
    if not (len(sizes) == len(cpu_times) == len(gpu_times)):
        raise ValueError("crossover: sizes, cpu_times and gpu_times differ in length")
    pts = sorted((float(x), math.log(c / g)) for x, c, g in zip(sizes, cpu_times, gpu_times)
                 if x > 0 and c > 0 and g > 0 and math.isfinite(c) and math.isfinite(g))
    if not pts or pts[-1][1] <= 0:
        return None
    last_slow = max((i for i, (_, s) in enumerate(pts) if s <= 0), default=None)
    if last_slow is None:
        return None
    (x0, s0), (x1, s1) = pts[last_slow], pts[last_slow + 1]
    if s0 == 0:
        return x0
    t = s0 / (s0 - s1)
    return math.exp(math.log(x0) + t * (math.log(x1) - math.log(x0)))


# Style


def _shade(hex_color, amount):
    """Mix a colour towards black (amount < 0) or white (amount > 0)."""
    rgb = np.array(matplotlib.colors.to_rgb(hex_color))
    target = np.ones(3) if amount > 0 else np.zeros(3)
    return tuple(rgb + (target - rgb) * abs(amount))


class Styler:
    """Fixed colours per algorithm family; the solvers of one family (cuda.bgd.resident and
    cuda.bgd.fused, numpy.lstsq and scipy.lstsq.gelsd) get shades of it."""

    SHADES = (0.0, -0.35, 0.4, -0.6, 0.65)

    def __init__(self, records):
        self.family = {}
        for r in records:
            self.family.setdefault(r.solver, r.family)
        self.variant_index = {}
        by_family = {}
        for solver, fam in sorted(self.family.items()):
            by_family.setdefault(fam, []).append(solver)
        for fam, solvers in by_family.items():
            # lsgd's CPU and GPU solvers of one method (cpu.qr, cuda.qr) share a shade.
            variants = sorted({self._variant(x) for x in solvers},
                              key=lambda v: (not v.startswith("lsgd:"), v))
            for solver in solvers:
                self.variant_index[solver] = variants.index(self._variant(solver))

    @staticmethod
    def _variant(solver):
        backend, _, rest = solver.partition(".")
        return f"lsgd:{rest}" if backend in LSGD_BACKENDS else solver

    @staticmethod
    def family_color(family):
        if family in FAMILY_COLORS:
            return FAMILY_COLORS[family]
        return FALLBACK_COLORS[zlib.crc32(family.encode()) % len(FALLBACK_COLORS)]

    def color(self, solver):
        family = self.family.get(solver) or lr.method_family(solver)
        i = self.variant_index.get(solver, 0)
        return _shade(self.family_color(family), self.SHADES[i % len(self.SHADES)])

    def kwargs(self, solver, gpu):
        """Colour: algorithm family; line: lsgd solid, peers dashed; GPU: filled circles and a
        wider line, CPU: open squares."""
        backend = solver.split(".")[0]
        color = self.color(solver)
        return {"color": color, "linestyle": BACKEND_STYLES.get(backend, (0, (3, 2))),
                "marker": "o" if gpu else "s", "markersize": 6 if gpu else 5,
                "markerfacecolor": color if gpu else "white", "markeredgecolor": color,
                "linewidth": 2.2 if gpu else 1.5}


# Panels: which records a figure holds and what its x axis is.


@dataclass
class Panel:
    key: str
    title: str
    kinds: tuple
    select: object          # Record -> bool
    x: object               # Record -> float
    xlabel: str
    per_iter: bool = False
    batched: bool = False
    sub: object = None      # Record -> str: one panel per value (a shape), so no line mixes shapes


def _ratio(r):
    return r.p("m", 0) / max(r.p("n", 1), 1)


def _shape(r):
    return f"{int(r.p('m'))}x{int(r.p('n'))}"


def _iters(r):
    return f"{int(r.p('iters'))} iterations" if r.p("iters") else ""


PANELS = [
    Panel("ls_square", "least squares, square A (n x n)", ("ls",),
          lambda r: r.p("m") == r.p("n"), lambda r: r.p("n"), "n (A is n x n)"),
    Panel("ls_tall", "least squares, tall A (m = 16 n)", ("ls",),
          lambda r: _ratio(r) == 16, lambda r: r.p("n"), "n (A is 16n x n)"),
    # x = m, one panel per n: a line never joins two widths.
    Panel("ls_tall_skinny", "least squares, tall-skinny A (m > 16 n)", ("ls",),
          lambda r: _ratio(r) > 16, lambda r: r.p("m"), "m (rows of A)",
          sub=lambda r: f"n = {int(r.p('n'))}"),
    Panel("ls_other", "least squares, other shapes", ("ls",),
          lambda r: _ratio(r) < 16 and r.p("m") != r.p("n"), lambda r: r.p("m"),
          "m (rows of A)", sub=lambda r: f"n = {int(r.p('n'))}"),
    Panel("bls", "batched least squares", ("bls",), lambda r: True, lambda r: r.p("batch"),
          "batch size (problems)", batched=True, sub=_shape),
    # One panel per shape, x = the iteration count: time per iteration at 10, 100, 1000.
    Panel("gd", "gradient descent, one problem", ("gd",), lambda r: True,
          lambda r: r.p("iters"), "iterations", per_iter=True, sub=_shape),
    Panel("bgd", "batched gradient descent", ("bgd",), lambda r: True, lambda r: r.p("batch"),
          "batch size (problems)", per_iter=True, batched=True,
          sub=lambda r: f"{_shape(r)}, {_iters(r)}"),
]


def panel_records(data, panel, include_failed=False):
    out = []
    for r in data.records:
        if r.kind not in panel.kinds or (r.failed and not include_failed):
            continue
        if r.p("m") is None or r.p("n") is None or (panel.batched and r.p("batch") is None):
            continue
        if panel.select(r):
            out.append(r)
    return out


def series_key(r, panel):
    """Lines: solver, precision, end-to-end or not, GPU or not, and the panel's sub-key (a shape):
    a line never mixes shapes."""
    extra = panel.sub(r) if panel.sub else ""
    return (r.solver, r.prec, r.mode == "e2e", extra, r.gpu)


def series_label(key):
    solver, prec, e2e, extra, gpu = key
    return (f"{solver}" + (" e2e" if e2e else "") + (f" {extra}" if extra else "")
            + (" [GPU]" if gpu else " [CPU]"))


def group_series(records, panel, value):
    """{series key: (xs, ys)} sorted by x; the series key holds the shape, so duplicates at one x
    are repetitions of one workload in several files: the smallest is kept."""
    groups = {}
    for r in records:
        y = value(r)
        if y is None or not math.isfinite(y) or y <= 0:
            continue
        pts = groups.setdefault(series_key(r, panel), {})
        x = panel.x(r)
        pts[x] = min(pts.get(x, y), y)
    return {k: (sorted(v), [v[x] for x in sorted(v)]) for k, v in sorted(groups.items())}


def save(fig, out_dir, stem):
    return lp.save_figure(fig, os.path.join(out_dir, stem))


def _series_order(key):
    """lsgd before peers, then family, GPU before CPU, then the rest: neighbours share a panel."""
    solver = key[0]
    backend = solver.split(".")[0]
    return (backend not in LSGD_BACKENDS, lr.method_family(solver), not key[4], key)


def _series_sub(key):
    """The shape of a batched series ('64x8'): each shape gets its own panels."""
    return key[3] if len(key) == 5 else ""


def panel_grid(series, title, order=_series_order, sub=_series_sub):
    """One column per precision (f32 | f64); below, one panel per shape of batched series and at
    most MAX_SERIES lines per panel. series: {key: value} with key[1] the precision.
    Returns (fig, [(ax, prec, keys)])."""
    by_prec = {}
    for key in sorted(series, key=order):
        by_prec.setdefault(key[1], {}).setdefault(sub(key), []).append(key)
    precs = [p for p in ("f32", "f64") if p in by_prec] + sorted(set(by_prec) - {"f32", "f64"})
    panels = {}
    for p in precs:
        panels[p] = []
        for shape, keys in sorted(by_prec[p].items()):
            chunks = [keys[i:i + MAX_SERIES] for i in range(0, len(keys), MAX_SERIES)]
            for i, chunk in enumerate(chunks):
                part = f" ({i + 1} of {len(chunks)})" if len(chunks) > 1 else ""
                panels[p].append((f"{p}{' ' + shape if shape else ''}{part}", chunk))
    nrows = max(len(v) for v in panels.values())
    fig, axes = plt.subplots(nrows, len(precs), figsize=(6.4 * len(precs), 5.4 * nrows),
                             squeeze=False, layout="constrained")
    fig.suptitle(title, fontsize=12)
    cells = []
    for c, prec in enumerate(precs):
        for r in range(nrows):
            ax = axes[r][c]
            if r >= len(panels[prec]):
                ax.set_visible(False)
                continue
            ax.set_title(panels[prec][r][0], fontsize=11)
            cells.append((ax, prec, panels[prec][r][1]))
    return fig, cells


def _finish(ax, title, xlabel, ylabel, legend=True):
    if title:
        ax.set_title(title, fontsize=11)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.35)
    ax.grid(True, which="minor", alpha=0.12)
    if legend and ax.get_legend_handles_labels()[0]:
        # Below the axes, so that no line is hidden behind it.
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2,
                  frameon=False)


def _size_ticks(ax, xs):
    """The measured sizes as x tick labels (256, 1024, 4096), when there are few enough."""
    xs = sorted({x for x in xs if x > 0})
    if 0 < len(xs) <= 10:
        ax.set_xticks(xs)
        ax.set_xticklabels([f"{int(x)}" if x < 1e7 and x == int(x) else f"{x:.3g}" for x in xs],
                           fontsize=8)
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def _style_note():
    return "lsgd solid, peers dashed; GPU filled markers, CPU open markers; colour = algorithm family"


def _series_figure(series, title, xlabel, ylabel, styler, decorate=None):
    """The common figure: series {key: (xs, ys)} in precision panels; decorate(ax, prec) adds
    ceilings or theory lines."""
    fig, cells = panel_grid(series, f"{title}\n{_style_note()}")
    for ax, prec, keys in cells:
        for key in keys:
            xs, ys = series[key]
            ax.plot(xs, ys, label=series_label(key), **styler.kwargs(key[0], key[4]))
        if decorate:
            decorate(ax, prec)
        ax.set_xscale("log")
        ax.set_yscale("log")
        _size_ticks(ax, [x for key in keys for x in series[key][0]])
        _finish(ax, None, xlabel, ylabel)
    return fig


# Figures


def fig_time(data, panel, styler, out_dir):
    records = panel_records(data, panel)

    def value(r):
        return r.time_s / r.p("iters", 1) if panel.per_iter else r.time_s
    series = group_series(records, panel, value)
    if not series:
        return []
    ylabel = "time per iteration (s)" if panel.per_iter else "time per solve (s)"
    fig = _series_figure(series, f"{panel.title}: time", panel.xlabel, ylabel, styler)
    return save(fig, out_dir, f"time_{panel.key}")


def speedup_pairs(records, panel):
    """[(label, colour, prec, extra, {x: cpu_time}, {x: gpu_time})]: per algorithm family present
    on both devices, lsgd's CPU solver of that family against lsgd's GPU solver of it, and the
    peers' likewise; never across families (a cross-family ratio says more about the algorithm
    than about the device)."""
    def best(rs):
        out = {}
        for r in rs:
            if r.mode == "e2e":
                continue
            x = panel.x(r)
            out[x] = min(out.get(x, math.inf), r.time_s)
        return out

    pairs = []
    precs = sorted({r.prec for r in records})
    extras = sorted({panel.sub(r) for r in records}) if panel.sub else [""]
    for prec in precs:
        for extra in extras:
            rs = [r for r in records if r.prec == prec and (not extra or panel.sub(r) == extra)]
            for side, mine in (("lsgd", [r for r in rs if r.backend in LSGD_BACKENDS]),
                               ("peers", [r for r in rs if r.backend in PEER_BACKENDS])):
                fams = sorted({r.family for r in mine if r.gpu}
                              & {r.family for r in mine if not r.gpu})
                for fam in fams:
                    fr = [r for r in mine if r.family == fam]
                    pairs.append((f"{side} {fam}", Styler.family_color(fam), prec, extra,
                                  best(r for r in fr if not r.gpu), best(r for r in fr if r.gpu)))
    return [p for p in pairs if set(p[4]) & set(p[5])]


def _size_text(panel, x):
    """The crossover's size in the panel's own terms: n = 412, batch = 90, m*n = 3.1e+05."""
    what = panel.xlabel.split(" (")[0].split(",")[0]
    return f"{what} = {x:.3g}"


def fig_speedup(data, panel, out_dir, crossovers):
    pairs = speedup_pairs(panel_records(data, panel), panel)
    if not pairs:
        return []
    series = {}
    for i, (label, color, prec, extra, cpu, gpu) in enumerate(pairs):
        xs = sorted(set(cpu) & set(gpu))
        series[(label, prec, extra, i)] = (xs, [cpu[x] / gpu[x] for x in xs], color, cpu, gpu)
    fig, cells = panel_grid(series, f"{panel.title}: GPU speedup over CPU (CPU time / GPU time)\n"
                            "lsgd solid, peers dashed; crossover: the size from which the GPU "
                            "is faster", order=lambda k: k[3], sub=lambda k: k[2])
    for ax, prec, keys in cells:
        n_cross = 0
        for key in keys:
            label, _, extra, _ = key
            xs, ys, color, cpu, gpu = series[key]
            name = f"{label} {prec}" + (f" {extra}" if extra else "")
            ax.plot(xs, ys, color=color, label=name, marker="o", markersize=4,
                    linestyle="-" if label.startswith("lsgd") else "--", linewidth=1.8)
            # (label, prec, extra) keys: the same family on both devices, never two families.
            cross = crossover(xs, [cpu[x] for x in xs], [gpu[x] for x in xs])
            crossovers.append((panel, name, cross, xs, ys))
            if cross is not None:
                ax.axvline(cross, color=color, linestyle=":", linewidth=1)
                ax.plot([cross], [1.0], marker="D", color=color, markersize=7)
                # Listed in the corner (labels at the crossing itself collide when they are close).
                ax.text(0.02, 0.97 - 0.065 * n_cross,
                        f"{label}: GPU faster from {_size_text(panel, cross)}",
                        transform=ax.transAxes, color=color, fontsize=9, fontweight="bold",
                        va="top", bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8,
                                        "pad": 1})
                n_cross += 1
        ax.axhline(1.0, color="gray", linewidth=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        _size_ticks(ax, [x for key in keys for x in series[key][0]])
        _finish(ax, None, panel.xlabel, "speedup = CPU time / GPU time")
    return save(fig, out_dir, f"speedup_{panel.key}")


def ceilings(data, suffix):
    """{context key: value} of the measured ceilings ending in `suffix` (_GFLOPs or _GBps); max
    over files."""
    out = {}
    for ctx in data.contexts:
        for key, value in ctx.items():
            if key.startswith("ceiling_") and key.endswith(suffix):
                try:
                    v = float(value)
                except (TypeError, ValueError):
                    continue
                if v > 0:
                    out[key] = max(out.get(key, 0.0), v)
    return out


def fig_roofline(data, panel, styler, out_dir):
    memory_bound = panel.key in ("gd", "bgd")
    counter, suffix, unit = (("GB/s", "_GBps", "GB/s") if memory_bound
                             else ("GFLOP/s", "_GFLOPs", "GFLOP/s"))
    records = panel_records(data, panel)
    series = group_series(records, panel, lambda r: r.counters.get(counter))
    if not series:
        return []
    all_ceilings = sorted(ceilings(data, suffix).items())

    def decorate(ax, prec):
        shown = [(k, v) for k, v in all_ceilings if memory_bound or f"_{prec}_" in k]
        for i, (key, value) in enumerate(shown):
            side, what = key.split("_")[1], " ".join(key.split("_")[2:-1])
            ax.axhline(value, color="black", linewidth=1,
                       linestyle="-" if side == "gpu" else (0, (4, 2)))
            ax.annotate(f"{side.upper()} {what} ceiling {value:,.0f} {unit}",
                        (0.01 + 0.5 * (i % 2), value), xycoords=("axes fraction", "data"),
                        xytext=(0, 2), textcoords="offset points", fontsize=8)
    what = "bandwidth (model bytes: A read once per iteration)" if memory_bound else "flop rate"
    fig = _series_figure(series, f"{panel.title}: achieved {what}", panel.xlabel,
                         f"achieved {unit}", styler, decorate)
    return save(fig, out_dir, f"roofline_{panel.key}")


def fig_throughput(data, panel, styler, out_dir):
    records = panel_records(data, panel)
    series = group_series(records, panel, lambda r: r.p("batch") / r.time_s)
    if not series:
        return []
    iters = sorted({int(r.p("iters")) for r in records if r.p("iters")})
    what = f" ({'/'.join(map(str, iters))} iterations each)" if iters else ""
    fig = _series_figure(series, f"{panel.title}: throughput{what}", panel.xlabel,
                         "problems solved per second", styler)
    return save(fig, out_dir, f"throughput_{panel.key}")


def fig_accuracy(data, styler, out_dir):
    records = [r for r in data.records if not r.error and r.kind == "tta" and r.p("kappa") is not None
               and r.counters.get("rel_err") is not None and r.prec in EPS]
    groups = {}
    for r in records:
        err = r.counters["rel_err"]
        if not math.isfinite(err) or err <= 0:
            continue
        key = (r.solver, r.prec, False, f"{int(r.p('m'))}x{int(r.p('n'))}", r.gpu)
        groups.setdefault(key, {})[r.p("kappa")] = math.log10(err / EPS[r.prec])
    if not groups:
        return []
    series = {k: (sorted(v), [v[x] for x in sorted(v)]) for k, v in groups.items()}

    def decorate(ax, prec):
        kappas = sorted({k for key, pts in groups.items() if key[1] == prec for k in pts})
        # kappa is kappa(A^T A) = kappa(A)^2: backward-stable QR/SVD lose about log10 kappa(A) =
        # log10(kappa)/2 digits on a consistent system, the normal equations log10 kappa.
        grid = np.geomspace(max(kappas[0], 1.0), max(kappas[-1], 10.0), 50)
        ax.plot(grid, 0.5 * np.log10(grid), color="gray", linestyle=(0, (1, 3)),
                label="kappa(A) * eps (QR, SVD)")
        ax.plot(grid, np.log10(grid), color="gray", linestyle=(0, (5, 3)),
                label="kappa(A)^2 * eps (normal equations)")
    fig, cells = panel_grid(series, "accuracy against condition number (consistent b = A "
                            "x_true)\n" + _style_note())
    for ax, prec, keys in cells:
        for key in keys:
            xs, ys = series[key]
            ax.plot(xs, ys, label=series_label(key), **styler.kwargs(key[0], key[4]))
        decorate(ax, prec)
        ax.set_xscale("log")
        _finish(ax, None, "kappa = kappa(A^T A) = kappa(A)^2", "digits lost: log10(rel_err / eps)")
    return save(fig, out_dir, "accuracy_kappa")

# bench_acc: digits correct against time across kappa(A). The solvers the issue names, in this order;
# colpiv_qr, cod and tsqr track qr within a few tenths of a digit and stay in the JSON and summary.
DIGITS_METHODS = ("qr", "qr.refined", "cholesky", "svd", "gd", "gd.momentum", "gd.nesterov", "sgd")
KAPPA_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def fig_digits_time(data, styler, out_dir):
    """One marker per (solver, kappa(A)): x the time of a solve, y the digits correct against the
    quad-precision reference of the rounded data; a solver's points joined in kappa order. Marker
    shape = kappa(A), colour = method; one panel per precision (and device)."""
    records = [r for r in data.records if not r.error and r.kind == "acc"
               and r.counters.get("digits") is not None and r.time_s > 0
               and r.solver.split(".", 1)[-1] in DIGITS_METHODS]
    if not records:
        return []
    kappas = sorted({r.counters["kappa_A"] for r in records})
    marker = {k: KAPPA_MARKERS[i % len(KAPPA_MARKERS)] for i, k in enumerate(kappas)}
    series = {}
    for r in records:
        key = (r.solver, r.prec, r.gpu)
        series.setdefault(key, []).append((r.counters["kappa_A"], r.time_s, r.counters["digits"]))
    rank = {m: i for i, m in enumerate(DIGITS_METHODS)}
    shapes = sorted({f"{int(r.p('m'))}x{int(r.p('n'))}" for r in records})
    fig, cells = panel_grid(
        series, f"digits correct against time across kappa(A), {', '.join(shapes)}, b with 1e-6 "
        "relative noise\ndigits against the exact least-squares solution of the rounded data "
        "(quad precision); iterative solvers stop at their tolerance or cap",
        order=lambda key: (key[2], rank[key[0].split(".", 1)[-1]], key[0]),
        sub=lambda key: "GPU" if key[2] else "CPU")
    for ax, prec, keys in cells:
        for key in keys:
            pts = sorted(series[key])
            style = styler.kwargs(key[0], key[2])
            ax.plot([t for _, t, _ in pts], [d for _, _, d in pts], color=style["color"],
                    linestyle=style["linestyle"], linewidth=1.0, alpha=0.7, label=key[0])
            for k, t, d in pts:
                ax.plot([t], [d], linestyle="none", marker=marker[k], markersize=7,
                        color=style["color"], markerfacecolor=style["color"] if key[2] else "white",
                        markeredgecolor=style["color"])
        ax.axhline(-math.log10(EPS[prec]) if prec in EPS else 16, color="gray",
                   linestyle=(0, (1, 3)), linewidth=1)
        ax.set_xscale("log")
        ax.set_ylim(-0.5, 17)
        ax.set_xlabel("time per solve (s)")
        ax.set_ylabel("digits correct: -log10(forward error)")
        ax.grid(True, which="both", alpha=0.25)
        method_legend = ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
                                  title="solver", title_fontsize=8)
        ax.add_artist(method_legend)
        handles = [matplotlib.lines.Line2D([], [], linestyle="none", marker=marker[k], color="gray",
                                           markerfacecolor="white", label=f"kappa(A) = {k:.0e}")
                   for k in kappas]
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(1.01, 0.0), fontsize=8,
                  title="marker", title_fontsize=8)
    return save(fig, out_dir, "digits_time")



def _history_style(h, colors):
    backend = h["solver"].split(".")[0]
    return {"color": colors[h.get("kappa")], "linestyle": BACKEND_STYLES.get(backend, "-"),
            "marker": PREC_MARKERS.get(h.get("precision"), "^"), "markersize": 4,
            "markevery": 0.1, "linewidth": 1.5}


def _history_label(h):
    side = "GPU" if h["gpu"] else "CPU"
    return f"{h['solver']} {h.get('precision', '')} kappa={h.get('kappa', '?'):g} ({side})"


def _kappa_colors(histories):
    kappas = sorted({h.get("kappa") for h in histories}, key=lambda k: (k is None, k or 0))
    cmap = plt.get_cmap("viridis")
    return {k: cmap(0.85 * i / max(len(kappas) - 1, 1)) for i, k in enumerate(kappas)}


def fig_convergence(data, out_dir):
    """rel_err against iteration with the theoretical rates, and against wall time."""
    hists = [h for h in data.histories if h["rel_err"]]
    if not hists:
        return []
    colors = _kappa_colors(hists)
    paths = []
    fig, ax = plt.subplots(figsize=(7.5, 5))
    drawn = set()
    for h in hists:
        every = h.get("every", 1)
        ks = np.arange(len(h["rel_err"])) * every
        errs = np.array(h["rel_err"], dtype=float)
        ax.plot(ks, errs, label=_history_label(h), **_history_style(h, colors))
        kappa = h.get("kappa")
        if kappa and kappa not in drawn and errs[0] > 0:
            drawn.add(kappa)
            # kappa = kappa(A^T A) = L / mu: GD with step 1/L contracts by (1 - 1/kappa) per step,
            # an accelerated method by about (1 - 1/sqrt(kappa)).
            kf = float(kappa)
            ax.plot(ks, errs[0] * (1 - 1 / kf) ** ks, color=colors[kappa], linestyle=(0, (1, 2)),
                    linewidth=1, label=f"(1 - 1/kappa)^k, kappa={kappa:g}")
            ax.plot(ks, errs[0] * (1 - 1 / math.sqrt(kf)) ** ks, color=colors[kappa],
                    linestyle=(0, (6, 3)), linewidth=1,
                    label=f"(1 - 1/sqrt(kappa))^k, kappa={kappa:g}")
    ax.set_yscale("log")
    positive = [e for h in hists for e in h["rel_err"] if e > 0 and math.isfinite(e)]
    if positive:
        ax.set_ylim(max(min(positive) / 10, 1e-18), max(positive) * 3)
    _finish(ax, "gradient descent: error against iteration, with the theoretical rates",
            "iteration k", "relative error ||x_k - x*|| / ||x*||")
    paths += save(fig, out_dir, "convergence_iter")

    timed = [h for h in hists if h.get("seconds_per_iter")]
    if timed:
        fig, ax = plt.subplots(figsize=(7.5, 5))
        for h in timed:
            every = h.get("every", 1)
            ts = np.arange(1, len(h["rel_err"])) * every * float(h["seconds_per_iter"])
            ax.plot(ts, np.array(h["rel_err"][1:], dtype=float), label=_history_label(h),
                    **_history_style(h, colors))
        ax.set_xscale("log")
        ax.set_yscale("log")
        _finish(ax, "gradient descent: error against wall time, CPU and GPU",
                "wall time (s)", "relative error ||x_k - x*|| / ||x*||")
        paths += save(fig, out_dir, "convergence_time")
    else:
        print("convergence_time: no history has seconds_per_iter: skipped")
    return paths


# Summary


def workload_of(r):
    """'ls/f64/m:4096/n:4096' (lsgd_results.workload_label): resident and no mode are one workload
    (a peer's data lives on its device too); e2e is another."""
    return lr.workload_label(r.fields)


_fmt_time = lp.fmt_time

SUMMARY_FAMILIES = ("ls", "bls", "gd", "bgd", "tta", "mpi")


def summary_rows(data):
    """[lsgd_pairs.Pair]: every lsgd solver against the fastest peer of its own algorithm family,
    precision and problem (never across families), in table order."""
    entries = [e for e in data.entries if e.fields["family"] != "acc"]

    def order(p):
        f = p.ours.fields
        return (SUMMARY_FAMILIES.index(f["family"]) if f["family"] in SUMMARY_FAMILIES else 99,
                f["precision"], f.get("batch") or 0, f["m"], f["n"], f.get("iterations") or 0,
                str(f.get("kappa")), str(f.get("target")), f.get("algorithm") or "", p.ours.solver)
    return sorted(lp.peer_pairs(entries), key=order)


def _pair_line(p):
    marks = p.flags
    return "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
        p.label, p.ours.fields.get("algorithm"), p.ours.solver,
        _time_cell(p.ours), lp.fmt_err(p.ours.rel_err), lp.solver_label(p.peer), _time_cell(p.peer),
        lp.fmt_err(p.peer.rel_err), p.ratio_text(), p.verdict,
        "**" + "; ".join(marks) + "**" if marks else "")


def _time_cell(e):
    """'1.234 ms (n=12)': the median and the repetitions behind it."""
    if e is None:
        return "-"
    return f"{lp.fmt_time(e.time_s)} (n={len(e.samples)})" if e.samples else lp.fmt_time(e.time_s)


def pair_lines(pairs):
    lines = []
    for fam in SUMMARY_FAMILIES:
        ps = [p for p in pairs if p.ours.fields["family"] == fam]
        if not ps:
            continue
        counts, med = lp.summary_counts(ps)
        lines += [f"### {fam}", "",
                  f"{len(ps)} pairs: " + ", ".join(f"{n} {v}" for v, n in counts.items() if n)
                  + (f"; median peer / lsgd over the ranked pairs: {med:.3g}" if med else "")
                  + ".", "",
                  "| workload | family | lsgd solver | lsgd median | lsgd rel_err | peer | "
                  "peer median | peer rel_err | peer / lsgd [95% CI] | verdict | machine |",
                  "| --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | --- | --- |"]
        lines += [_pair_line(p) for p in ps] + [""]
        if fam == "mpi":
            lines += mpi_ratio_lines(ps)
    return lines


def mpi_ratio_lines(pairs):
    """The P = 1 ratio beside every P > 1 ratio: a gap already there at P = 1 is the local
    kernel's, not scale-out; only what grows with P is."""
    groups, ranks = {}, set()
    for p in pairs:
        f = p.ours.fields
        P = int(f.get("ranks") or 1)
        rows = f["m"] // P if f.get("scaling") == "weak" else f["m"]
        key = (p.ours.solver, f["precision"], f.get("scaling"), rows, f["n"],
               f.get("iterations") or 0)
        groups.setdefault(key, {})[P] = p
        ranks.add(P)
    ranks = sorted(ranks)
    if len(ranks) < 2:
        return []
    lines = ["peer / lsgd by number of ranks (the fastest ScaLAPACK block size and grid at each "
             "P); a ratio already there at P = 1 is a local-kernel difference, and only its "
             "growth with P is scale-out:", "",
             "| lsgd solver | precision | scaling | rows (per rank if weak) x n | "
             + " | ".join(f"P = {P}" for P in ranks) + " |",
             "| --- | --- | --- | --- |" + " ---: |" * len(ranks)]
    for key, byP in sorted(groups.items(), key=lambda kv: str(kv[0])):
        solver, prec, scaling, rows, n, _ = key
        lines.append(f"| {solver} | {prec} | {scaling} | {rows} x {n} | "
                     + " | ".join(byP[P].ratio_text() if P in byP else "-" for P in ranks) + " |")
    return lines + [""]


def unpaired_lines(data):
    """lsgd solvers that ran without a like-for-like peer, counted per family and algorithm."""
    groups = {}
    for e in lp.unpaired([e for e in data.entries if e.fields["family"] != "acc"]):
        key = (e.fields["family"], e.fields.get("algorithm") or "?")
        groups.setdefault(key, set()).add(e.solver)
    if not groups:
        return []
    lines = ["## lsgd solvers without a like-for-like peer", "",
             "No peer of the same algorithm family ran on the same problem in the same precision "
             "and device: shown in the figures and the front below, never in a ratio.", "",
             "| family | algorithm | solvers | entries |", "| --- | --- | --- | ---: |"]
    counts = {}
    for e in lp.unpaired([e for e in data.entries if e.fields["family"] != "acc"]):
        key = (e.fields["family"], e.fields.get("algorithm") or "?")
        counts[key] = counts.get(key, 0) + 1
    for key in sorted(groups):
        lines.append(f"| {key[0]} | {key[1]} | {', '.join(sorted(groups[key]))} | {counts[key]} |")
    return lines + [""]


def frontier_lines(data):
    front = lp.frontier([e for e in data.entries if e.fields["family"] in ("ls", "bls", "gd", "bgd")])
    if not front:
        return []
    lines = ["## Across algorithm families: accuracy against time (no ratios)", "",
             "Per workload, the entries no other entry beats in both median time and forward "
             "error (the Pareto front), fastest first: which algorithm to pick for which "
             "accuracy. Different families do different work; their times are not put in "
             "a ratio.", "", "| workload | front: solver (family) median time, rel_err |",
             "| --- | --- |"]
    for label, es in front.items():
        cells = "; ".join(f"{e.solver} ({e.fields.get('algorithm') or '?'}"
                          + ("" if e.compute_precision == e.precision
                             else f", computes in {e.compute_precision}")
                          + f") {lp.fmt_time(e.time_s)}, {lp.fmt_err(e.rel_err)}" for e in es)
        lines.append(f"| {label} | {cells} |")
    return lines + [""]


def skipped_lines(data):
    if not data.skipped:
        return []
    reasons = {}
    for s in data.skipped:
        # One row per kind of reason: the numbers in it replaced.
        key = re.sub(r"\d[\d.]*(e[+-]?\d+)?", "#", str(s.get("reason", "?")))
        reasons.setdefault(key, []).append(s)
    lines = ["## Cases left out by the binaries (lsgd_skipped)", "",
             f"{len(data.skipped)} cases, each with its reason in the JSON:", "",
             "| reason | cases | e.g. |", "| --- | ---: | --- |"]
    for key, ss in sorted(reasons.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"| {key} | {len(ss)} | {ss[0].get('name', '?')} |")
    return lines + [""]


def accuracy_lines(data):
    """bench_acc's table: per precision and solver, the digits correct and the time at each
    kappa(A); the solver's error where it refused."""
    records = [r for r in data.records if r.kind == "acc"]
    if not records:
        return []
    lines = ["", "## Digits correct against kappa(A) (bench_acc)", "",
             "Digits: -log10 of the forward error against the exact least-squares solution of the "
             "rounded data (quad precision), capped at 16; b carries 1e-6 relative noise. Each "
             "cell: digits, time per solve; iterative solvers: * when they stopped at the "
             "iteration cap. A cell with an error is the solver's refusal.", ""]
    for prec in ("f32", "f64"):
        rs = [r for r in records if r.prec == prec]
        if not rs:
            continue
        kappas = sorted({float(r.fields["kappa"]) ** 0.5 for r in rs})
        lines += [f"**{prec}**", "", "| solver | " + " | ".join(f"kappa(A) {k:.0e}" for k in kappas)
                  + " |", "| --- |" + " ---: |" * len(kappas)]
        cells = {}
        for r in rs:
            k = float(r.fields["kappa"]) ** 0.5
            col = min(range(len(kappas)), key=lambda i: abs(math.log10(kappas[i] / k)))
            if r.error:
                text = "error"
            else:
                star = "*" if r.counters.get("converged", 1) == 0 else ""
                text = f"{r.counters.get('digits', float('nan')):.1f}{star}, {_fmt_time(r.time_s)}"
            cells.setdefault(r.solver, {})[col] = text
        for solver in sorted(cells):
            lines.append(f"| {solver} | " + " | ".join(cells[solver].get(i, "-")
                                                      for i in range(len(kappas))) + " |")
        lines.append("")
    return lines


def write_summary(data, path, label=None):
    pairs = summary_rows(data)
    lines = ["# lsgd against its like-for-like peers", ""]
    if label:
        lines += [f"**Run: {label}.**", ""]
    lines += [lp.describe_rules() + " peer / lsgd above 1: lsgd is faster. rel_err: forward "
              "error against the generator's x_true (the problem's exact solution up to the "
              "rounding of b); batched: the maximum over the batch. The machine column names an "
              "entry whose machine was busy (other processes used more than 25% of the CPUs "
              "while it ran) or throttled: its time is not to be trusted.", ""]
    run_flags = [(path, f) for path, machine in data.machines for f in machine.get("flags") or []]
    busy = sum(1 for r in data.records if r.flags)
    if run_flags or busy:
        lines += [f"**Machine: {busy} of {len(data.records)} entries ran on a busy or throttled "
                  "machine.**", ""]
        lines += [f"- {os.path.basename(path)}: {flag}" for path, flag in run_flags] + [""]
    else:
        lines += ["Machine: no entry was flagged busy or throttled.", ""]
    lines += ["## Same family, same precision, same problem", ""]
    lines += pair_lines(pairs) if pairs else [
        "No lsgd solver has a peer of its own algorithm family on the same problem data (peers "
        "run on the binaries' case list write the problem id; older peer files do not).", ""]
    lines += unpaired_lines(data)
    lines += frontier_lines(data)
    lines += skipped_lines(data)
    lines += accuracy_lines(data)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return pairs


# Main


def fig_frontier(data, styler, out_dir, family):
    """Accuracy against time across algorithm families for one benchmark family: per precision,
    the largest workload where at least two families ran; every solver one marker, the Pareto
    front joined. A view without ratios (tools/lsgd_pairs.frontier)."""
    entries = [e for e in data.entries if e.fields["family"] == family]
    front = lp.frontier(entries)
    if not front:
        return []
    chosen = {}
    for e in entries:
        if not lp.usable(e) or e.rel_err is None or not math.isfinite(e.rel_err):
            continue
        if e.workload_label() not in front:
            continue
        f = e.fields
        size = (f.get("batch") or 1) * f["m"] * f["n"] * (f.get("iterations") or 1)
        key = (f["precision"], e.fields["device"])
        if key not in chosen or size > chosen[key][0]:
            chosen[key] = (size, e.workload_label())
    if not chosen:
        return []
    keys = sorted(chosen)
    fig, axes = plt.subplots(1, len(keys), figsize=(6.6 * len(keys), 5.2), squeeze=False,
                             layout="constrained")
    fig.suptitle(f"{family}: forward error against median time, across algorithm families "
                 "(no speedups across families)\ncolour = algorithm family, its solvers in shades; "
                 "the Pareto front joined", fontsize=11)
    for ax, key in zip(axes[0], keys):
        label = chosen[key][1]
        es = [e for e in entries if lp.usable(e) and e.workload_label() == label
              and e.fields["device"] == key[1] and e.rel_err is not None
              and math.isfinite(e.rel_err)]
        for e in sorted(es, key=lambda e: e.solver):
            st = styler.kwargs(e.solver, e.gpu)
            ax.plot([e.time_s], [max(e.rel_err, 1e-18)], linestyle="none", marker=st["marker"],
                    markersize=8, color=st["color"], markerfacecolor=st["markerfacecolor"],
                    markeredgecolor=st["color"],
                    label=f"{e.solver} ({e.fields.get('algorithm') or '?'})"
                    + ("" if e.compute_precision == e.precision
                       else f" [computes in {e.compute_precision}]"))
        fr = front[label]
        fr = [e for e in fr if e.fields["device"] == key[1]]
        ax.plot([e.time_s for e in fr], [max(e.rel_err, 1e-18) for e in fr], color="gray",
                linewidth=1, linestyle=(0, (4, 2)), zorder=0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{label} [{key[1].upper()}]", fontsize=10)
        _finish(ax, None, "median time per solve (s)", "forward error ||x - x_true|| / ||x_true||")
    return save(fig, out_dir, f"frontier_{family}")


def make_figures(data, out_dir):
    """Write every figure that has data; returns (paths, crossovers, skipped figure names)."""
    styler = Styler(data.records)
    written, crossovers, skipped = [], [], []

    def run(name, fn, *args):
        paths = fn(*args)
        if paths:
            written.extend(paths)
        else:
            skipped.append(name)

    for panel in PANELS:
        run(f"time_{panel.key}", fig_time, data, panel, styler, out_dir)
        run(f"speedup_{panel.key}", fig_speedup, data, panel, out_dir, crossovers)
        run(f"roofline_{panel.key}", fig_roofline, data, panel, styler, out_dir)
        if panel.batched:
            run(f"throughput_{panel.key}", fig_throughput, data, panel, styler, out_dir)
    for family in ("ls", "bls", "gd", "bgd"):
        run(f"frontier_{family}", fig_frontier, data, styler, out_dir, family)
    run("accuracy_kappa", fig_accuracy, data, styler, out_dir)
    run("digits_time", fig_digits_time, data, styler, out_dir)
    run("convergence", fig_convergence, data, out_dir)
    return written, crossovers, skipped


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Figures (PNG + SVG) from lsgd's and the peers' Google Benchmark JSON files.")
    parser.add_argument("files", nargs="+", metavar="FILE.json",
                        help="benchmark files (Google Benchmark JSON) and history files")
    parser.add_argument("--out", default="plots", help="output directory (default: plots)")
    parser.add_argument("--summary", action="store_true",
                        help="also write OUT/summary.md: each lsgd solver against the fastest peer "
                             "of its own algorithm family, precision and problem")
    parser.add_argument("--label", help="a line for summary.md's head (e.g. 'quick preset, BUSY "
                                        "machine: not for publication')")
    args = parser.parse_args(argv)
    try:
        data = load(args.files)
    except PlotError as e:
        print(f"plot.py: error: {e}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    if not data.records and not data.histories:
        foreign = sum(m for m in data.foreign)
        why = (f" ({foreign} entries without an lsgd object: written by another benchmark, or "
               "before the fields existed; re-run them)" if foreign else "")
        print(f"plot.py: no lsgd or peer benchmarks in the input{why}: no figure written")
        return 0
    written, crossovers, skipped = make_figures(data, args.out)
    for path in written:
        print(f"wrote {path}")
    for name in skipped:
        print(f"{name}: no data, skipped")
    for panel, name, cross, xs, ys in crossovers:
        if cross is None:
            if min(ys) > 1:
                which = "GPU faster at every size"
            elif max(ys) <= 1:
                which = "GPU slower at every size"
            else:
                which = "GPU not faster at the largest size"
            print(f"crossover {panel.key} {name}: none ({which} in {panel.xlabel} "
                  f"[{xs[0]:g}, {xs[-1]:g}])")
        else:
            print(f"crossover {panel.key} {name}: GPU faster from {panel.xlabel} = {cross:.4g}")
    if not data.histories:
        print("convergence: no history file given (schema in docs/peers-and-figures.md): skipped")
    if args.summary:
        path = os.path.join(args.out, "summary.md")
        rows = write_summary(data, path, args.label)
        print(f"wrote {path} ({len(rows)} like-for-like pairs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
