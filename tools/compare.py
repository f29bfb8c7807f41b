#!/usr/bin/env python3
"""Compare two benchmark result sets, or lsgd against its peers within one.

  tools/compare.py OLD NEW [--threshold 0.05] [--alpha 0.05] [--out DIR]
  tools/compare.py --peers RESULTS [--out DIR]

OLD, NEW and RESULTS are JSON files or result directories (every *.json in them) written by lsgd's
bench binaries or the peers. Entries are matched by their fields (tools/lsgd_results.py: solver
and workload), never by name. Per match:
  ratio      NEW mean time / OLD mean time (above 1: NEW is slower)
  95% CI     of the ratio, from the repetitions: log ratio +- t(0.975, df) * sqrt(rse_old^2 +
             rse_new^2), df = min(n_old, n_new) - 1 (rse: relative standard error of each mean)
  p          two-sided Mann-Whitney U test of the two sets of repetitions (as Google Benchmark's
             tools/compare.py does)
  verdict    slower / faster when the ratio is beyond the threshold (default 5%), p < alpha and the
             CI excludes 1; "noise" when the ratio is beyond the threshold but not significant;
             "same" otherwise; "?" with fewer than 2 repetitions on a side.
A markdown table sorted by change goes to stdout (and DIR/compare.md), a figure of the ratios with
their intervals to DIR/compare.png and .svg. Entries flagged busy or throttled (lsgd machine state)
are marked. Exit status: 1 when any workload is significantly slower (OLD NEW mode), 2 on
unreadable input, 0 otherwise.

--peers: per workload, the fastest lsgd solver against the fastest peer (torch.*, numpy.*,
scipy.*) of the same set; ratio = lsgd / peer (below 1: lsgd is faster); exit status 0.

Needs SciPy (and matplotlib for the figure); re-runs itself under /usr/bin/python3 when the
python3 on PATH lacks them.
"""

import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lsgd_results as lr  # noqa: E402


if __name__ == "__main__":
    _MISSING = lr.reexec_if_missing(["scipy", "matplotlib"], "compare.py")
    if _MISSING:
        print(f"compare.py: error: no python with {', '.join(_MISSING)} "
              "(apt-get install python3-scipy python3-matplotlib)", file=sys.stderr)
        sys.exit(2)

from scipy import stats  # noqa: E402


class Row:
    """One comparison: `a` is the baseline (OLD, or the peer), `b` the candidate."""

    def __init__(self, label, what, a, b, threshold, alpha):
        self.label, self.what, self.a, self.b = label, what, a, b
        self.ratio = self.lo = self.hi = self.p = None
        self.verdict = "?"
        if a is None or b is None:
            self.verdict = "removed" if b is None else "new"
            return
        self.ratio = b.time_s / a.time_s
        na, nb = len(a.samples), len(b.samples)
        if na >= 2 and nb >= 2:
            se = math.sqrt(a.rse ** 2 + b.rse ** 2)
            t = stats.t.ppf(0.975, min(na, nb) - 1)
            self.lo = self.ratio * math.exp(-t * se)
            self.hi = self.ratio * math.exp(t * se)
            self.p = float(stats.mannwhitneyu(a.samples, b.samples,
                                              alternative="two-sided").pvalue)
            beyond = self.ratio > 1 + threshold or self.ratio < 1 / (1 + threshold)
            significant = self.p < alpha and (self.lo > 1 or self.hi < 1)
            if beyond and significant:
                self.verdict = "slower" if self.ratio > 1 else "faster"
            elif beyond:
                self.verdict = "noise"
            else:
                self.verdict = "same"

    @property
    def flags(self):
        out = []
        for side, e in (("old", self.a), ("new", self.b)):
            if e is not None and (e.busy or e.throttled):
                out.append(f"{side}: " + "; ".join(e.flags or ["busy"]))
        return out


def _index(entries):
    """{(solver, device, workload): entry}; failed entries left out. A run repeated in one set
    (two files with the same entry) keeps the last."""
    out = {}
    for e in entries:
        if not e.failed and math.isfinite(e.time_s) and e.time_s > 0:
            out[(e.solver, e.fields["device"], e.workload())] = e
    return out


def compare_sets(old, new, threshold, alpha):
    a, b = _index(old), _index(new)
    rows = []
    for key in sorted(set(a) | set(b), key=str):
        e = a.get(key) or b.get(key)
        what = key[0] + (" [GPU]" if key[1] == "gpu" else "")
        rows.append(Row(e.workload_label(), what, a.get(key), b.get(key), threshold, alpha))
    return rows


def compare_peers(entries, threshold, alpha):
    best = {}
    for e in entries:
        if e.failed or not math.isfinite(e.time_s) or e.time_s <= 0:
            continue
        slot = best.setdefault(e.workload(), {})
        side = "lsgd" if e.is_lsgd else "peer"
        if side not in slot or e.time_s < slot[side].time_s:
            slot[side] = e
    rows = []
    for key, slot in sorted(best.items(), key=lambda kv: str(kv[0])):
        if "lsgd" in slot and "peer" in slot:
            ours, peer = slot["lsgd"], slot["peer"]
            rows.append(Row(ours.workload_label(), f"{ours.solver} vs {peer.solver}", peer, ours,
                            threshold, alpha))
    return rows


def _t(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.4g} {unit}"
    return f"{seconds / 1e-9:.4g} ns"


def _order(row):
    # Largest slowdown first, then speed-ups, then rows without a ratio.
    return (row.ratio is None, -(row.ratio or 0.0), row.label, row.what)


def _verdict(v, peers):
    if peers and v in ("slower", "faster"):
        return f"lsgd {v}"
    return "**slower**" if v == "slower" else v


def table(rows, peers):
    a_name, b_name = ("peer", "lsgd") if peers else ("old", "new")
    ratio = "lsgd / peer" if peers else "new / old"
    lines = [f"| workload | {'solvers' if peers else 'solver'} | {a_name} | {b_name} | {ratio} | "
             "95% CI | p (U test) | reps | verdict | machine |",
             "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | --- | --- |"]
    for r in sorted(rows, key=_order):
        reps = "/".join(str(len(e.samples)) if e else "-" for e in (r.a, r.b))
        lines.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
            r.label, r.what, _t(r.a.time_s) if r.a else "-", _t(r.b.time_s) if r.b else "-",
            f"{r.ratio:.3f}" if r.ratio is not None else "-",
            f"[{r.lo:.3f}, {r.hi:.3f}]" if r.lo is not None else "-",
            f"{r.p:.2g}" if r.p is not None else "-", reps,
            _verdict(r.verdict, peers),
            "; ".join(r.flags) if r.flags else ""))
    return "\n".join(lines)


def figure(rows, path_stem, title, xlabel, peers=False):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker  # noqa: F401
    shown = sorted((r for r in rows if r.ratio is not None), key=_order)
    if not shown:
        return []
    if len(shown) > 60:  # the 30 largest changes either way
        shown = shown[:30] + shown[-30:]
    colors = {"slower": "#d62728", "faster": "#2ca02c", "noise": "#ff7f0e", "same": "#7f7f7f",
              "?": "#bbbbbb"}
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.28 * len(shown)))
    for i, r in enumerate(shown):
        y = len(shown) - 1 - i
        c = colors.get(r.verdict, "#7f7f7f")
        if r.lo is not None:
            ax.plot([r.lo, r.hi], [y, y], color=c, linewidth=2, solid_capstyle="butt")
        ax.plot([r.ratio], [y], "o", color=c, markersize=5,
                markerfacecolor="white" if r.flags else c)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks(range(len(shown)))
    ax.set_yticklabels([f"{r.label}  {r.what}" for r in reversed(shown)], fontsize=7)
    ax.set_xscale("log")
    ax.set_ylim(-0.7, len(shown) - 0.3)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    ax.grid(True, axis="x", which="both", alpha=0.3)
    handles = [matplotlib.lines.Line2D([], [], color=c, marker="o",
                                       label=f"lsgd {v}" if peers and v in ("slower", "faster")
                                       else v)
               for v, c in colors.items() if any(r.verdict == v for r in shown)]
    handles.append(matplotlib.lines.Line2D([], [], color="gray", marker="o",
                                           markerfacecolor="white", linestyle="",
                                           label="machine busy/throttled"))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%.2g"))
    lo, hi = ax.get_xlim()
    # Minor ticks labelled only over a narrow range (they collide over decades).
    ax.xaxis.set_minor_formatter(matplotlib.ticker.FormatStrFormatter("%.2g") if hi / lo < 8
                                 else matplotlib.ticker.NullFormatter())
    ax.tick_params(axis="x", which="minor", labelsize=7)
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    paths = []
    for ext in ("png", "svg"):
        fig.savefig(f"{path_stem}.{ext}", dpi=110 if ext == "png" else None, bbox_inches="tight")
        paths.append(f"{path_stem}.{ext}")
    plt.close(fig)
    return paths


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+", metavar="OLD NEW | RESULTS",
                    help="two result sets (files or directories), or one with --peers")
    ap.add_argument("--peers", action="store_true", help="lsgd against its peers in one set")
    ap.add_argument("--threshold", type=float, default=0.05,
                    help="relative change below which nothing is reported (default 0.05)")
    ap.add_argument("--alpha", type=float, default=0.05,
                    help="significance level of the U test (default 0.05)")
    ap.add_argument("--out", help="directory for compare.md and the figure")
    args = ap.parse_args(argv)
    if args.peers != (len(args.paths) == 1) or len(args.paths) > 2:
        ap.error("give OLD NEW, or --peers RESULTS")
    if not (args.threshold >= 0 and 0 < args.alpha < 1):
        ap.error("--threshold must be >= 0 and --alpha in (0, 1)")
    try:
        if args.peers:
            rows = compare_peers(lr.load(args.paths, skip_unrelated=True).entries,
                                 args.threshold, args.alpha)
        else:
            old = lr.load([args.paths[0]], skip_unrelated=True).entries
            new = lr.load([args.paths[1]], skip_unrelated=True).entries
            rows = compare_sets(old, new, args.threshold, args.alpha)
    except lr.ResultsError as e:
        print(f"compare.py: error: {e}", file=sys.stderr)
        return 2
    if not rows:
        print("compare.py: error: nothing to compare (no common workload)", file=sys.stderr)
        return 2
    md = table(rows, args.peers)
    counts = {v: sum(r.verdict == v for r in rows)
              for v in ("slower", "faster", "noise", "same", "?", "new", "removed")}
    head = (f"{len(rows)} comparisons: " + ", ".join(f"{n} {v}" for v, n in counts.items() if n)
            + f" (threshold {args.threshold:.0%}, alpha {args.alpha:g})")
    print(head)
    print()
    print(md)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "compare.md"), "w", encoding="utf-8") as f:
            f.write(f"# {'lsgd against its peers' if args.peers else 'NEW against OLD'}\n\n"
                    f"{head}\n\n{md}\n")
        title = ("lsgd time / best peer time (below 1: lsgd faster), 95% CI" if args.peers
                 else "NEW time / OLD time (above 1: slower), 95% CI")
        for p in figure(rows, os.path.join(args.out, "compare"), title,
                        "lsgd / peer" if args.peers else "new / old", args.peers):
            print(f"wrote {p}")
    if not args.peers and counts["slower"]:
        print(f"compare.py: {counts['slower']} workload(s) significantly slower by more than "
              f"{args.threshold:.0%}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
