#!/usr/bin/env python3
"""An alpha-beta-gamma model of the mpi.* solvers and ScaLAPACK's PDGELS, fitted to bench_mpi runs.

  tools/mpi_model.py [--out DIR] [--pmax 4096] FILE.json...

Reads bench_mpi JSON files (family "mpi", one P per file) and writes DIR/mpi_model.png and .svg
(time against P for strong and weak scaling, MODEL lines with the measured points as markers) and
DIR/mpi_model.md (the fitted constants and a model-vs-measured table).

The constants: alpha (latency, s) and beta (bandwidth, bytes/s) are the ping-pong values the runs
with P >= 2 measured (median over files); gamma (seconds per flop) per solver is its compute time at
P = 1 divided by its flop model. The communication terms (w = bytes per value, L = ceil(log2 P)):
  tsqr      L (alpha + w (n+1)^2 / beta + gamma 10/3 (n+1)^3)      tree of (n+1)^2 triangles
            + L (alpha + w n / beta)                                 broadcast of x
  cholesky  2 L alpha + 2 (P-1)/P w (n^2+n) / beta                   one allreduce (reduce-scatter + allgather)
  gd        iters L (alpha + w (n+1) / beta)                         one small allreduce per iteration
  pdgels    2 n L alpha + n L w (n/2) / beta                         P x 1 grid: two reductions per column
plus gamma times the flops of the m/P local rows. The model ignores contention, load imbalance and
the network's topology: beyond the measured P it is a model, and the figure says so.
Needs NumPy and matplotlib (Debian: python3-numpy python3-matplotlib; scripts/bench-mpi finds an
interpreter that has them).
"""

import argparse
import math
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lsgd_results as lr  # noqa: E402  (the one reader of the result fields)

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print(f"mpi_model.py: {sys.executable} has no matplotlib "
          "(apt-get install python3-matplotlib, or run /usr/bin/python3)", file=sys.stderr)
    sys.exit(3)

FAMILIES = {"mpi.tsqr": "tsqr", "mpi.cholesky": "cholesky", "mpi.gd": "gd",
            "scalapack.gels": "pdgels"}
COLORS = {"tsqr": "#1f77b4", "cholesky": "#2ca02c", "gd": "#d62728", "pdgels": "#7f7f7f"}
LABELS = {"tsqr": "mpi.tsqr", "cholesky": "mpi.cholesky", "gd": "mpi.gd",
          "pdgels": "ScaLAPACK PDGELS"}


def flops_qr(m, n):
    return 2.0 * m * n * n - 2.0 * n ** 3 / 3.0 + 4.0 * m * n - n * n


def flops_cholesky(m, n):
    return float(n) * n * m + 2.0 * m * n + n ** 3 / 3.0 + 2.0 * n * n


def local_flops(fam, m, n, iters):
    if fam == "gd":
        return iters * 4.0 * m * n
    if fam == "cholesky":
        return flops_cholesky(m, n)
    return flops_qr(m, n)


def comm_model(fam, P, n, iters, w, alpha, beta, gamma):
    if P <= 1:
        return 0.0
    L = math.ceil(math.log2(P))
    if fam == "tsqr":
        return (L * (alpha + w * (n + 1) ** 2 / beta + gamma * 10.0 / 3.0 * (n + 1) ** 3)
                + L * (alpha + w * n / beta))
    if fam == "cholesky":
        return 2 * L * alpha + 2.0 * (P - 1) / P * w * (n * n + n) / beta
    if fam == "gd":
        return iters * L * (alpha + w * (n + 1) / beta)
    return 2 * n * L * alpha + n * L * w * (n / 2.0) / beta  # pdgels


def model_time(fam, P, m_global, n, iters, w, alpha, beta, gamma):
    return gamma * local_flops(fam, m_global / P, n, iters) + comm_model(
        fam, P, n, iters, w, alpha, beta, gamma)


def load(paths):
    """The runs of bench_mpi files, from their lsgd fields (tools/lsgd_results.py, the one reader)."""
    try:
        results = lr.load(paths)
    except lr.ResultsError as e:
        sys.exit(f"mpi_model.py: {e}")
    runs, contexts = [], []
    for f in results.files:
        if f.context.get("lsgd_family") != "mpi":
            continue
        contexts.append(f.context)
        for e in f.entries:
            if e.error or e.fields["family"] != "mpi" or e.solver not in FAMILIES:
                continue
            runs.append({
                "fam": FAMILIES[e.solver], "prec": e.precision, "m": e.m, "n": e.n, "P": e.ranks,
                "scaling": e.scaling, "iters": e.iterations or 0, "time": e.time_s,
                "compute": e.counters["compute_s"], "comm": e.counters["comm_s"],
            })
    # ScaLAPACK is swept over block sizes and grids (fields nb, grid): the fastest of each run is
    # the peer, as in the comparisons (tools/lsgd_pairs.py).
    best = {}
    for r in runs:
        key = (r["fam"], r["prec"], r["m"], r["n"], r["P"], r["scaling"], r["iters"])
        if key not in best or r["time"] < best[key]["time"]:
            best[key] = r
    return list(best.values()), contexts


def fit(runs, contexts):
    def ctx_values(key):
        out = []
        for c in contexts:
            try:
                v = float(c.get(key, "nan"))
            except ValueError:
                continue
            if math.isfinite(v):
                out.append(v)
        return out

    alphas = ctx_values("mpi_pingpong_alpha_us")
    betas = ctx_values("mpi_pingpong_beta_GBps")
    if not alphas or not betas:
        sys.exit("mpi_model.py: no run with P >= 2 (ping-pong alpha/beta) among the files")
    alpha = statistics.median(alphas) * 1e-6
    beta = statistics.median(betas) * 1e9
    # gamma per solver and n (a rate depends on the width), the median over that solver's P = 1 runs.
    gamma = {}
    for fam, n in set((r["fam"], r["n"]) for r in runs):
        g = [r["compute"] / local_flops(fam, r["m"], r["n"], r["iters"])
             for r in runs if r["fam"] == fam and r["n"] == n and r["P"] == 1]
        if g:
            gamma[(fam, n)] = statistics.median(g)
    return alpha, beta, gamma


def draw(runs, alpha, beta, gamma, pmax, out_dir):
    Ps = [2 ** k for k in range(0, int(math.log2(pmax)) + 1)]
    scalings = [s for s in ("strong", "weak") if any(r["scaling"] == s for r in runs)]
    fig, axes = plt.subplots(1, len(scalings), figsize=(6.5 * len(scalings), 5), squeeze=False)
    rows = []
    for ax, scaling in zip(axes[0], scalings):
        sel = [r for r in runs if r["scaling"] == scaling]
        # The shape of this panel: the most common (m per rank for weak, m for strong), n.
        shapes = {}
        for r in sel:
            key = (r["m"] // r["P"] if scaling == "weak" else r["m"], r["n"])
            shapes[key] = shapes.get(key, 0) + 1
        (m0, n), _ = max(shapes.items(), key=lambda kv: (kv[1], kv[0]))
        for fam in ("tsqr", "cholesky", "gd", "pdgels"):
            if (fam, n) not in gamma:
                continue
            pts = [r for r in sel if r["fam"] == fam and r["n"] == n and
                   (r["m"] // r["P"] if scaling == "weak" else r["m"]) == m0]
            iters = max([r["iters"] for r in pts] or [0])
            w = 8 if not pts or pts[0]["prec"] == "f64" else 4
            ys = [model_time(fam, P, m0 * P if scaling == "weak" else m0, n, iters, w, alpha, beta,
                             gamma[(fam, n)]) for P in Ps]
            ax.plot(Ps, ys, color=COLORS[fam], lw=1.6, ls="--",
                    label=f"{LABELS[fam]}: MODEL")
            if pts:
                ax.plot([r["P"] for r in pts], [r["time"] for r in pts], "o", color=COLORS[fam],
                        ms=7, mfc="none", mew=2, label=f"{LABELS[fam]}: measured")
            for P, y in zip(Ps, ys):
                meas = [r["time"] for r in pts if r["P"] == P]
                rows.append((scaling, m0, n, fam, P, y, meas[0] if meas else None))
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("ranks P")
        ax.set_ylabel("time per solve (s)")
        what = f"m = {m0} per rank" if scaling == "weak" else f"m = {m0}"
        ax.set_title(f"{scaling} scaling, {what}, n = {n}\nMODEL (alpha-beta-gamma fit) beyond the "
                     "measured points", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
        ax.text(0.03, 0.04, "MODEL", transform=ax.transAxes, fontsize=28, color="0.85",
                fontweight="bold", zorder=0)
    fig.suptitle(f"alpha-beta-gamma MODEL (dashed): alpha = {alpha * 1e6:.2f} us, "
                 f"beta = {beta / 1e9:.2f} GB/s (ping-pong, one machine),\n"
                 "gamma per solver from its P = 1 compute time. Markers: measured runs.", fontsize=9)
    fig.tight_layout()
    os.makedirs(out_dir, exist_ok=True)
    for ext in ("png", "svg"):
        fig.savefig(os.path.join(out_dir, f"mpi_model.{ext}"), dpi=120)
    return rows


def write_table(rows, alpha, beta, gamma, out_dir):
    lines = ["# alpha-beta-gamma model of bench_mpi (a MODEL beyond the measured P)", "",
             f"alpha = {alpha * 1e6:.3f} us, beta = {beta / 1e9:.3f} GB/s (ping-pong, median over "
             "runs with P >= 2)", ""]
    lines += [f"- gamma[{LABELS[fam]}, n = {n}] = {g * 1e9:.4f} ns/flop ({1e-9 / g:.2f} GFLOP/s per "
              "rank at P = 1)" for (fam, n), g in sorted(gamma.items())]
    lines += ["", "| scaling | m | n | solver | P | model (s) | measured (s) |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for scaling, m0, n, fam, P, y, meas in rows:
        if P in (1, 2, 4, 16, 64, 256, 1024, 4096):
            lines.append(f"| {scaling} | {m0} | {n} | {LABELS[fam]} | {P} | {y:.4g} | "
                         f"{'' if meas is None else f'{meas:.4g}'} |")
    with open(os.path.join(out_dir, "mpi_model.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--out", default=".")
    ap.add_argument("--pmax", type=int, default=4096)
    args = ap.parse_args()
    runs, contexts = load(args.files)
    if not runs:
        sys.exit("mpi_model.py: no bench_mpi runs in the files")
    alpha, beta, gamma = fit(runs, contexts)
    rows = draw(runs, alpha, beta, gamma, args.pmax, args.out)
    write_table(rows, alpha, beta, gamma, args.out)
    print(f"mpi_model.py: alpha {alpha * 1e6:.3f} us, beta {beta / 1e9:.3f} GB/s; wrote "
          f"{args.out}/mpi_model.png, .svg, .md")


if __name__ == "__main__":
    main()
