"""Like-for-like pairing and the statistics of every ratio lsgd publishes (issue 24); shared by
tools/compare.py and tools/plot.py (its summary.md).

A speedup is only ever computed between an lsgd solver and a peer that
  - solve the same workload (tools/lsgd_results.workload_key: family, precision, sizes, GD
    iterations, e2e or not, kappa, target) on the same data: both entries name the same problem
    id (the bench binary wrote the problem, the peer read it),
  - compute in the same precision (a peer's compute_precision, e.g. NumPy's linalg promoting
    float32 to float64, must equal lsgd's precision),
  - belong to the same algorithm family: the peer's `algorithm` is one of the lsgd entry's
    `pairs_with` (its own family; TSQR also pairs with unpivoted QR),
  - run on the same device.
Everything else is shown only as accuracy against time (frontier()), never as a ratio.

Estimator: the median time of each side. Interval: 95% percentile bootstrap of the ratio of
medians, resampling each side's repetitions (BOOTSTRAP resamples, fixed seed: reproducible).
A pair is ranked (counted as faster / slower / no difference) only when both sides have at least
MIN_REPS repetitions and their forward errors agree within ACCURACY_FACTOR (errors below
EPS_FLOOR x eps of the precision count as that floor: both at working accuracy); otherwise it is
marked "not ranked" with the reason.

Standard library; NumPy when present makes the bootstrap fast (the same resamples either way are
not promised, the interval's definition is).
"""

import math
import random
import statistics

import lsgd_results as lr

ACCURACY_FACTOR = 10.0   # forward errors further apart than this: the row is marked, not ranked
EPS_FLOOR = 16.0         # errors below 16 eps count as 16 eps (both sides at working accuracy)
MIN_REPS = 5             # repetitions per side below which a ratio gets no interval
BOOTSTRAP = 2000
CONFIDENCE = 0.95
EPS = {"f32": 2.0 ** -23, "f64": 2.0 ** -52}


# Formatting and figure files (compare.py and plot.py alike)


def fmt_time(seconds):
    if seconds is None or not math.isfinite(seconds):
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.4g} {unit}"
    return f"{seconds / 1e-9:.4g} ns"


def solver_label(e):
    """The solver, with ScaLAPACK's tuning where it was swept: 'scalapack.gels (nb 32, grid 1x2)'."""
    f = e.fields
    return f"{e.solver} (nb {f['nb']}, grid {f.get('grid')})" if f.get("nb") else e.solver


def fmt_err(err):
    return "-" if err is None or not math.isfinite(err) else f"{err:.2g}"


def save_figure(fig, stem, dpi=110):
    """Writes stem.png and stem.svg and closes the figure; returns the paths."""
    import matplotlib.pyplot as plt
    paths = []
    for ext in ("png", "svg"):
        fig.savefig(f"{stem}.{ext}", dpi=dpi if ext == "png" else None, bbox_inches="tight")
        paths.append(f"{stem}.{ext}")
    plt.close(fig)
    return paths


# Statistics


def usable(e):
    """An entry that ran and has a positive, finite median time."""
    return e is not None and not e.failed and math.isfinite(e.time_s) and e.time_s > 0


def _samples(e):
    return list(e.samples) if e.samples else [e.time_s]


def ratio_interval(base, cand, resamples=BOOTSTRAP, seed=12345):
    """(lo, hi): the 95% percentile-bootstrap interval of median(base) / median(cand), resampling
    each side's repetitions independently; None with fewer than MIN_REPS repetitions on a side."""
    a, b = _samples(base), _samples(cand)
    if len(a) < MIN_REPS or len(b) < MIN_REPS:
        return None
    tail = (1.0 - CONFIDENCE) / 2.0
    try:
        import numpy as np
        rng = np.random.default_rng(seed)
        ma = np.median(rng.choice(np.asarray(a), (resamples, len(a))), axis=1)
        mb = np.median(rng.choice(np.asarray(b), (resamples, len(b))), axis=1)
        ratios = np.sort(ma / mb)
        return float(np.quantile(ratios, tail)), float(np.quantile(ratios, 1.0 - tail))
    except ImportError:
        rng = random.Random(seed)
        ratios = sorted(statistics.median(rng.choices(a, k=len(a)))
                        / statistics.median(rng.choices(b, k=len(b))) for _ in range(resamples))
        return (ratios[int(tail * (resamples - 1))], ratios[int((1.0 - tail) * (resamples - 1))])


def accuracy_gap(x, y):
    """How many times apart two entries' forward errors are (>= 1), each floored at EPS_FLOOR x eps
    of its precision; None when either error is unknown. inf when one is not finite."""
    ex, ey = x.rel_err, y.rel_err
    if ex is None or ey is None:
        return None
    if not (math.isfinite(ex) and math.isfinite(ey)):
        return math.inf
    floor = EPS_FLOOR * EPS.get(x.fields["precision"], EPS["f64"])
    ex, ey = max(ex, floor), max(ey, floor)
    return max(ex, ey) / min(ex, ey)


# Pairing


def pairs_with(e):
    """The peer families an lsgd entry is compared with (its pairs_with field, else its own)."""
    fams = e.fields.get("pairs_with") or []
    own = e.fields.get("algorithm")
    return list(fams) if fams else ([own] if own else [])


def pair_key(e):
    """What must be equal for two entries to be compared: the workload (family, precision, sizes,
    iterations, e2e, kappa, target), the problem's data, the compute precision, the device."""
    return (e.workload(), e.fields.get("problem"), e.compute_precision, e.fields["device"])


def like_for_like(ours, peer):
    """Whether an lsgd entry and a peer entry may be put in a ratio (see the module's docstring)."""
    return (ours.is_lsgd and peer.is_peer and ours.fields.get("problem") is not None
            and pair_key(ours) == pair_key(peer)
            and peer.fields.get("algorithm") in pairs_with(ours))


class Pair:
    """An lsgd entry against one like-for-like peer: ratio = peer median / lsgd median (above 1:
    lsgd is faster), its interval, both forward errors, and the verdict."""

    def __init__(self, ours, peer):
        self.ours, self.peer = ours, peer
        self.ratio = peer.time_s / ours.time_s
        self.interval = ratio_interval(peer, ours)
        self.gap = accuracy_gap(ours, peer)
        self.reason = None
        if self.interval is None:
            self.reason = (f"fewer than {MIN_REPS} repetitions "
                           f"({len(_samples(ours))}/{len(_samples(peer))})")
        elif self.gap is None:
            self.reason = "accuracy unknown"
        elif self.gap > ACCURACY_FACTOR:
            self.reason = f"accuracy differs {self.gap:.3g}x"

    @property
    def ranked(self):
        return self.reason is None

    @property
    def lo(self):
        return self.interval[0] if self.interval else None

    @property
    def hi(self):
        return self.interval[1] if self.interval else None

    @property
    def verdict(self):
        if not self.ranked:
            return "not ranked: " + self.reason
        if self.lo > 1.0:
            return "lsgd faster"
        if self.hi < 1.0:
            return "lsgd slower"
        return "no difference"

    @property
    def flags(self):
        out = []
        for side, e in (("lsgd", self.ours), ("peer", self.peer)):
            if e.busy or e.throttled:
                out.append(f"{side}: " + "; ".join(e.flags or ["busy"]))
        return out

    @property
    def label(self):
        return self.ours.workload_label()

    def ratio_text(self):
        text = f"{self.ratio:.3g}"
        if self.interval:
            text += f" [{self.lo:.3g}, {self.hi:.3g}]"
        return text if self.ranked else f"({text})"


def peer_pairs(entries, every_peer=False):
    """[Pair]: each usable lsgd entry against its fastest like-for-like peer (by median), or with
    every_peer against each of them. lsgd entries without a like-for-like peer are left out (see
    unpaired())."""
    peers = {}
    for e in entries:
        if usable(e) and e.is_peer and e.fields.get("algorithm"):
            peers.setdefault(pair_key(e), []).append(e)
    out = []
    for e in entries:
        if not (usable(e) and e.is_lsgd):
            continue
        matches = [p for p in peers.get(pair_key(e), []) if like_for_like(e, p)]
        if not matches:
            continue
        if every_peer:
            out += [Pair(e, p) for p in sorted(matches, key=lambda p: (p.time_s, p.solver))]
        else:
            out.append(Pair(e, min(matches, key=lambda p: (p.time_s, p.solver))))
    return out


def unpaired(entries):
    """Usable lsgd entries with no like-for-like peer (shown without a ratio)."""
    paired = {id(p.ours) for p in peer_pairs(entries)}
    return [e for e in entries if usable(e) and e.is_lsgd and id(e) not in paired]


def frontier(entries):
    """{workload label: [entries]}: across algorithm families and sides, the entries not beaten
    in both time and forward error by another entry of the same workload and device (the Pareto
    front of accuracy against time); a view without ratios."""
    groups = {}
    for e in entries:
        # Accuracy is comparable on the same data only: entries without a problem id are left out.
        if usable(e) and e.rel_err is not None and math.isfinite(e.rel_err) \
                and e.fields.get("problem") is not None:
            groups.setdefault((e.workload(), e.fields["problem"], e.fields["device"]), []).append(e)
    out = {}
    for _, es in sorted(groups.items(), key=lambda kv: str(kv[0])):
        front = [e for e in es if not any(
            o is not e and o.time_s <= e.time_s and o.rel_err <= e.rel_err
            and (o.time_s < e.time_s or o.rel_err < e.rel_err) for o in es)]
        if len(front) > 1 or len({f.fields.get("algorithm") for f in es}) > 1:
            out.setdefault(es[0].workload_label(), []).extend(
                sorted(front, key=lambda f: f.time_s))
    return out


def summary_counts(pairs):
    """{verdict class: count} and the median ratio over the ranked pairs (None without any)."""
    counts = {"lsgd faster": 0, "lsgd slower": 0, "no difference": 0, "not ranked": 0}
    for p in pairs:
        counts["not ranked" if not p.ranked else p.verdict] += 1
    ranked = [p.ratio for p in pairs if p.ranked]
    return counts, (statistics.median(ranked) if ranked else None)


def describe_rules():
    return (f"Ratios only between an lsgd solver and a peer of the same algorithm family, at the "
            f"same working precision, on the same problem (same generator, seed and data), on the "
            f"same device. Times are medians of the repetitions; the interval is a "
            f"{CONFIDENCE:.0%} bootstrap interval of the ratio of medians ({BOOTSTRAP} resamples). "
            f"A pair is not ranked when a side has fewer than {MIN_REPS} repetitions or the "
            f"forward errors differ by more than {ACCURACY_FACTOR:g}x (errors below "
            f"{EPS_FLOOR:g} eps count as {EPS_FLOOR:g} eps).")


__all__ = ["ACCURACY_FACTOR", "MIN_REPS", "Pair", "peer_pairs", "unpaired", "frontier",
           "ratio_interval", "accuracy_gap", "like_for_like", "fmt_time", "fmt_err",
           "save_figure", "summary_counts", "describe_rules", "lr"]
