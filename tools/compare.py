#!/usr/bin/env python3
"""Compare two benchmark result sets, or lsgd against its like-for-like peers within one.

  tools/compare.py OLD NEW [--threshold 0.05] [--alpha 0.05] [--out DIR]
  tools/compare.py --peers RESULTS [--every-peer] [--out DIR]

OLD, NEW and RESULTS are JSON files or result directories (every *.json in them) written by lsgd's
bench binaries or the peers. Entries are matched by their fields (tools/lsgd_results.py: solver
and workload), never by name. Per match:
  ratio      NEW median time / OLD median time (above 1: NEW is slower)
  95% CI     percentile bootstrap of the ratio of medians over the repetitions of each side
             (tools/lsgd_pairs.py; none with fewer than 5 repetitions on a side)
  p          two-sided Mann-Whitney U test of the two sets of repetitions (as Google Benchmark's
             tools/compare.py does)
  verdict    slower / faster when the ratio is beyond the threshold (default 5%), p < alpha and the
             CI excludes 1; "noise" when the ratio is beyond the threshold but not significant;
             "same" otherwise; "?" with too few repetitions.
A markdown table sorted by change goes to stdout (and DIR/compare.md), a figure of the ratios with
their intervals to DIR/compare.png and .svg. Entries flagged busy or throttled (lsgd machine state)
are marked. Exit status: 1 when any workload is significantly slower (OLD NEW mode), 2 on
unreadable input, 0 otherwise.

--peers: each lsgd solver against the fastest peer of ITS OWN algorithm family, at the same working
precision, on the same problem data and device (tools/lsgd_pairs.py; --every-peer: against each
such peer). ratio = peer median / lsgd median (above 1: lsgd is faster), its 95% bootstrap interval,
both forward errors; a row whose errors differ by more than 10x, or with fewer than 5 repetitions
on a side, is marked "not ranked". Solvers of different families are never put in a ratio: their
accuracy against time is in plot.py's frontier. Exit status 0.

Needs SciPy (and matplotlib for the figure); re-runs itself under /usr/bin/python3 when the
python3 on PATH lacks them.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lsgd_pairs as lp  # noqa: E402  (pairing, bootstrap intervals, formatting: shared with plot.py)
import lsgd_results as lr  # noqa: E402


if __name__ == "__main__":
    lr.require_modules(["scipy", "matplotlib"], "compare.py", "python3-scipy python3-matplotlib")

from scipy import stats  # noqa: E402


class Row:
    """One OLD/NEW comparison: `a` is OLD, `b` NEW."""

    def __init__(self, label, what, a, b, threshold, alpha):
        self.label, self.what, self.a, self.b = label, what, a, b
        self.ratio = self.lo = self.hi = self.p = None
        self.verdict = "?"
        if a is None or b is None:
            self.verdict = "removed" if b is None else "new"
            return
        self.ratio = b.time_s / a.time_s
        interval = lp.ratio_interval(b, a)  # median(NEW) / median(OLD)
        if interval is not None:
            self.lo, self.hi = interval
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
        if lp.usable(e):
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


def compare_peers(entries, every_peer=False):
    """[lsgd_pairs.Pair]: like-for-like only (same family, precision, problem, device)."""
    return lp.peer_pairs(entries, every_peer)


def _order(row):
    # Largest slowdown first, then speed-ups, then rows without a ratio.
    return (row.ratio is None, -(row.ratio or 0.0), row.label, row.what)


def table(rows):
    lines = ["| workload | solver | old | new | new / old | 95% CI | p (U test) | reps | verdict "
             "| machine |",
             "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | --- | --- |"]
    for r in sorted(rows, key=_order):
        reps = "/".join(str(len(e.samples)) if e else "-" for e in (r.a, r.b))
        lines.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
            r.label, r.what, lp.fmt_time(r.a.time_s) if r.a else "-",
            lp.fmt_time(r.b.time_s) if r.b else "-",
            f"{r.ratio:.3f}" if r.ratio is not None else "-",
            f"[{r.lo:.3f}, {r.hi:.3f}]" if r.lo is not None else "-",
            f"{r.p:.2g}" if r.p is not None else "-", reps,
            "**slower**" if r.verdict == "slower" else r.verdict,
            "; ".join(r.flags) if r.flags else ""))
    return "\n".join(lines)


def peer_table(pairs):
    lines = ["| workload | family | lsgd solver | lsgd time | lsgd rel_err | peer | peer time | "
             "peer rel_err | peer / lsgd [95% CI] | reps | verdict | machine |",
             "| --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- | --- |"]
    for p in sorted(pairs, key=lambda p: (not p.ranked, -p.ratio, p.label)):
        lines.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
            p.label, p.ours.fields.get("algorithm"), p.ours.solver, lp.fmt_time(p.ours.time_s),
            lp.fmt_err(p.ours.rel_err), lp.solver_label(p.peer), lp.fmt_time(p.peer.time_s),
            lp.fmt_err(p.peer.rel_err), p.ratio_text(),
            f"{len(p.ours.samples)}/{len(p.peer.samples)}", p.verdict,
            "; ".join(p.flags) if p.flags else ""))
    return "\n".join(lines)


class _PeerRow:
    """A Pair as the figure draws it (verdict colours, label)."""

    def __init__(self, p):
        self.label, self.what = p.label, f"{p.ours.solver} vs {p.peer.solver}"
        self.ratio, self.lo, self.hi, self.flags = p.ratio, p.lo, p.hi, p.flags
        self.verdict = p.verdict if p.ranked else "not ranked"


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
    colors = ({"lsgd slower": "#d62728", "lsgd faster": "#2ca02c", "no difference": "#7f7f7f",
               "not ranked": "#bbbbbb"} if peers else
              {"slower": "#d62728", "faster": "#2ca02c", "noise": "#ff7f0e", "same": "#7f7f7f",
               "?": "#bbbbbb"})
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
    handles = [matplotlib.lines.Line2D([], [], color=c, marker="o", label=v)
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
    return lp.save_figure(fig, path_stem)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("paths", nargs="+", metavar="OLD NEW | RESULTS",
                    help="two result sets (files or directories), or one with --peers")
    ap.add_argument("--peers", action="store_true",
                    help="lsgd against its like-for-like peers in one set")
    ap.add_argument("--every-peer", action="store_true",
                    help="with --peers: every like-for-like peer, not only the fastest")
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
            entries = lr.load(args.paths, skip_unrelated=True).entries
            rows = compare_peers(entries, args.every_peer)
        else:
            old = lr.load([args.paths[0]], skip_unrelated=True).entries
            new = lr.load([args.paths[1]], skip_unrelated=True).entries
            rows = compare_sets(old, new, args.threshold, args.alpha)
    except lr.ResultsError as e:
        print(f"compare.py: error: {e}", file=sys.stderr)
        return 2
    if not rows:
        why = (" (no lsgd solver has a peer of its own algorithm family, precision and problem "
               "data: were the peers run on the binaries' case list?)" if args.peers
               else " (no common workload)")
        print(f"compare.py: error: nothing to compare{why}", file=sys.stderr)
        return 2
    if args.peers:
        md = peer_table(rows)
        counts, med = lp.summary_counts(rows)
        head = (f"{len(rows)} like-for-like pairs: " + ", ".join(f"{n} {v}" for v, n in
                                                                 counts.items() if n)
                + (f"; median peer/lsgd over ranked pairs {med:.3g}" if med else "")
                + "\n\n" + lp.describe_rules())
    else:
        md = table(rows)
        counts = {v: sum(r.verdict == v for r in rows)
                  for v in ("slower", "faster", "noise", "same", "?", "new", "removed")}
        head = (f"{len(rows)} comparisons: " + ", ".join(f"{n} {v}" for v, n in counts.items() if n)
                + f" (threshold {args.threshold:.0%}, alpha {args.alpha:g}; medians, "
                "95% bootstrap intervals)")
    print(head)
    print()
    print(md)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "compare.md"), "w", encoding="utf-8") as f:
            f.write(f"# {'lsgd against its like-for-like peers' if args.peers else 'NEW against OLD'}"
                    f"\n\n{head}\n\n{md}\n")
        title = ("peer time / lsgd time, same algorithm family and precision (above 1: lsgd "
                 "faster), 95% CI" if args.peers else "NEW time / OLD time (above 1: slower), 95% CI")
        shown = [_PeerRow(p) for p in rows] if args.peers else rows
        for p in figure(shown, os.path.join(args.out, "compare"), title,
                        "peer / lsgd" if args.peers else "new / old", args.peers):
            print(f"wrote {p}")
    if not args.peers and counts["slower"]:
        print(f"compare.py: {counts['slower']} workload(s) significantly slower by more than "
              f"{args.threshold:.0%}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
