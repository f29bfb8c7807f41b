#!/usr/bin/env python3
"""GPU peers: lsgd's least-squares and gradient-descent jobs as a PyTorch user would write them.

  torch.lstsq        torch.linalg.lstsq (driver "gels" on CUDA, the only one there; "gelsy" on CPU)
  torch.normal_eq    torch.linalg.solve(A^T A, A^T b) (accuracy sweep only: the normal-equation
                     penalty)
  torch.bmm          batched GD: r = bmm(A, x) - b; g = bmm(A^T, r) / m; x -= (1/L) g, 100
                     iterations, one kernel launch per operation, L per problem from 20 power
                     iterations (not timed)
  torch.bmm_graph    the same 100-iteration loop captured once in a CUDA graph and replayed
  torch.matmul       single-problem GD with matmul (A @ x); torch.matmul_graph: captured in a graph

Timing: one warm-up call outside the timed region, then repetitions, each between two CUDA events on
the current stream (resident mode: data already on the device); the end-to-end mode (ls only) takes
host tensors in and returns host tensors, timed by the host clock. Accuracy: rel_err against the
generated x_true (b = A x_true consistent; Gaussian A, or A = U diag(sigma) V^T for a prescribed
kappa). Writes Google Benchmark-schema JSON (see common.py) with the torch version and device in the
context; "peer": "torch". Exits 77 (skip) with one line when torch, or CUDA for --device cuda, is
missing.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402  (path set above)

SKIP = 77

if __name__ == "__main__":
    if common.reexec_with(["torch"]):
        print(f"torch_peers.py: torch not available ({sys.executable} cannot import it): "
              "nothing measured", file=sys.stderr)
        sys.exit(SKIP)

import torch  # noqa: E402

DTYPES = {"f32": torch.float32, "f64": torch.float64}
OOM_ERRORS = (getattr(torch.cuda, "OutOfMemoryError", RuntimeError), RuntimeError)

# lsgd's sizes (common.py mirrors bench/presets.cpp) plus the headline shapes of DESIGN.md.
PRESETS = {
    "quick": {
        "precisions": ["f32", "f64"],
        "ls": common.ls_shapes("quick") + [(1024, 1024), (4096, 4096), (262144, 64),
                                           (1048576, 32)],
        "e2e": [(262144, 64), (1048576, 32)],          # f64, host in / host out
        "bls": common.bls_shapes("quick") + [(1024, 1024, 64), (16384, 64, 8)],
        "gd": common.gd_shapes("quick") + [(262144, 64, 100), (1048576, 32, 100)],
        "bgd": common.bgd_shapes("quick") + [(65536, 64, 8, 100), (16384, 256, 32, 100)],
        "tta": common.tta_shapes("quick") + [(4096, 64)],
        "kappas_h": common.TTA_KAPPAS_H["quick"],
        "repetitions": 5, "budget_s": 1.0, "ceiling_n": 4096,
    },
    "full": {
        "precisions": ["f32", "f64"],
        "ls": common.ls_shapes("full") + [(4194304, 16)],
        "e2e": [(65536, 256), (262144, 64), (1048576, 32), (4096, 4096)],
        "bls": common.bls_shapes("full"),
        "gd": common.gd_shapes("full"),
        "bgd": common.bgd_shapes("full"),
        "tta": common.tta_shapes("full") + [(4096, 64)],
        "kappas_h": common.TTA_KAPPAS_H["full"],
        "repetitions": 10, "budget_s": 3.0, "ceiling_n": 8192,
    },
}
# On a CPU (--device cpu: a check of this script, or a torch-on-CPU peer) the GPU sizes take hours:
# lsgd's quick sizes only, whatever --preset says.
CPU_PRESET = {
    "precisions": ["f32", "f64"],
    "ls": common.ls_shapes("quick"), "e2e": [], "bls": common.bls_shapes("quick"),
    "gd": common.gd_shapes("quick"), "bgd": common.bgd_shapes("quick"),
    "tta": common.tta_shapes("quick"), "kappas_h": common.TTA_KAPPAS_H["quick"],
    "repetitions": 3, "budget_s": 0.5, "ceiling_n": 512,
}


class Device:
    """The torch device and its clock: CUDA events on the current stream, or the host clock."""

    def __init__(self, name):
        self.dev = torch.device(name)
        self.cuda = self.dev.type == "cuda"

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize(self.dev)

    def time(self, fn, repetitions, budget_s):
        """Warm-up call (not timed), then timed calls until the mean is known
        (common.repeat_until: at least `repetitions`, then relative standard error below 1%) or
        about `budget_s`. Returns (seconds per call, last result)."""
        self.sync()
        out = fn()
        self.sync()
        times = []

        def timed():
            nonlocal out
            if self.cuda:
                start = torch.cuda.Event(enable_timing=True)
                end = torch.cuda.Event(enable_timing=True)
                start.record()
                out = fn()
                end.record()
                end.synchronize()
                times.append(start.elapsed_time(end) / 1e3)
            else:
                t0 = time.perf_counter()
                out = fn()
                times.append(time.perf_counter() - t0)
        common.repeat_until(timed, times, max(2, repetitions), budget_s)
        return times, out

    def time_host(self, fn, repetitions, budget_s):
        """As time(), by the host clock with the device drained before and after (end-to-end)."""
        self.sync()
        fn()
        self.sync()
        times = []
        for _ in range(repetitions):
            self.sync()
            t0 = time.perf_counter()
            out = fn()
            self.sync()
            times.append(time.perf_counter() - t0)
            if sum(times) > budget_s and len(times) >= 2:
                break
        return times, out

    def fits(self, nbytes):
        """Whether `nbytes` of working set fit in 80% of the device's free memory."""
        if not self.cuda:
            return True
        free, _ = torch.cuda.mem_get_info(self.dev)
        return nbytes < 0.8 * free

    def release(self):
        if self.cuda:
            torch.cuda.empty_cache()


# Problems


def consistent_b(a, x_true):
    """b = A x_true formed in double, rounded to A's precision; in chunks (bounded temporaries)."""
    if a.dim() == 2:
        return (a.double() @ x_true).to(a.dtype)
    b = torch.empty(a.shape[0], a.shape[1], 1, dtype=a.dtype, device=a.device)
    chunk = max(1, (1 << 27) // (a.shape[1] * a.shape[2]))
    for p in range(0, a.shape[0], chunk):
        b[p:p + chunk] = torch.bmm(a[p:p + chunk].double(), x_true[p:p + chunk]).to(a.dtype)
    return b


def gaussian_problem(dev, m, n, prec, seed, batch=None):
    """Gaussian A (row-major, as torch.randn gives it), unit-norm x_true (double), consistent b."""
    g = torch.Generator(device=dev.dev)
    g.manual_seed(seed)
    shape = (m, n) if batch is None else (batch, m, n)
    a = torch.randn(shape, generator=g, device=dev.dev, dtype=DTYPES[prec])
    x_true = torch.randn(shape[:-2] + (n, 1), generator=g, device=dev.dev, dtype=torch.float64)
    x_true /= torch.linalg.norm(x_true, dim=-2, keepdim=True)
    return a, consistent_b(a, x_true), x_true


def kappa_problem(dev, m, n, kappa, prec, seed):
    """A = U diag(sigma) V^T with sigma geometric from 1 to 1/kappa (as lsgd's generator)."""
    g = torch.Generator(device=dev.dev)
    g.manual_seed(seed)
    f64 = torch.float64
    u, _ = torch.linalg.qr(torch.randn(m, n, generator=g, device=dev.dev, dtype=f64))
    v, _ = torch.linalg.qr(torch.randn(n, n, generator=g, device=dev.dev, dtype=f64))
    sigma = torch.logspace(0.0, -torch.log10(torch.tensor(float(kappa))).item(), n,
                           device=dev.dev, dtype=f64)
    a64 = (u * sigma) @ v.T
    x_true = torch.randn(n, 1, generator=g, device=dev.dev, dtype=f64)
    x_true /= torch.linalg.norm(x_true)
    return a64.to(DTYPES[prec]), (a64 @ x_true).to(DTYPES[prec]), x_true


def rel_err(x, x_true):
    """max over the batch of ||x - x_true|| / ||x_true||, in double; NaN propagates."""
    err = torch.linalg.norm(x.double() - x_true, dim=-2) / torch.linalg.norm(x_true, dim=-2)
    return float(err.max().item()) if not torch.isnan(err).any() else float("nan")


def ne_resid(a, b, x):
    """||A^T (b - A x)|| / (||A||_F (||A||_F ||x|| + ||b||)), in double."""
    a, b, x = a.double(), b.double(), x.double()
    norm_a = torch.linalg.norm(a)
    r = b - a @ x
    return float((torch.linalg.norm(a.mT @ r)
                  / (norm_a * (norm_a * torch.linalg.norm(x) + torch.linalg.norm(b)))).item())


# Solvers (the code a user would write)


def lstsq(a, b):
    driver = "gels" if a.is_cuda else "gelsy"
    return torch.linalg.lstsq(a, b, driver=driver).solution


def normal_eq(a, b):
    return torch.linalg.solve(a.mT @ a, a.mT @ b)


def gd_step_size(a, iters=20, seed=7):
    """alpha = 1/L per problem, L = lambda_max(A^T A) / m from `iters` power iterations."""
    g = torch.Generator(device=a.device)
    g.manual_seed(seed)
    v = torch.randn(a.shape[:-2] + (a.shape[-1], 1), generator=g, device=a.device, dtype=a.dtype)
    for _ in range(iters):
        w = a.mT @ (a @ v)
        v = w / torch.linalg.norm(w, dim=-2, keepdim=True)
    av = a @ v
    return a.shape[-2] / (av * av).sum(dim=-2, keepdim=True)


class GdLoop:
    """`iters` GD steps from x = 0, eager or captured in one CUDA graph (replayed per call)."""

    def __init__(self, a, b, alpha, iters, graph):
        self.a, self.b, self.alpha, self.iters = a, b, alpha, iters
        self.m = a.shape[-2]
        self.at = a.mT
        self.mm = torch.bmm if a.dim() == 3 else torch.matmul
        self.x = torch.zeros(a.shape[:-2] + (a.shape[-1], 1), device=a.device, dtype=a.dtype)
        self.graph = None
        if graph:
            self._capture()

    def _body(self):
        self.x.zero_()
        for _ in range(self.iters):
            # As a user writes it: residual, gradient of 1/(2m)||Ax - b||^2, step 1/L.
            r = self.mm(self.a, self.x) - self.b
            g = self.mm(self.at, r) / self.m
            self.x -= self.alpha * g

    def _capture(self):
        # Warm up on a side stream first (cuBLAS workspaces, allocator), as the PyTorch docs ask.
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            self._body()
        torch.cuda.current_stream().wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self._body()

    def __call__(self):
        if self.graph is not None:
            self.graph.replay()
        else:
            self._body()
        return self.x


# Runs


def ceilings(dev, n):
    """Measured ceilings of this device as context strings: copy (bytes read + written), GEMM."""
    side = "gpu" if dev.cuda else "cpu"
    out = {}
    for prec in ("f32", "f64"):
        out[f"ceiling_{side}_gemm_{prec}_GFLOPs"] = f"{gemm_rate(dev, n, DTYPES[prec]):.1f}"
    out[f"ceiling_{side}_copy_GBps"] = f"{copy_rate(dev, 1 << 28 if dev.cuda else 1 << 23):.1f}"
    dev.release()
    return out


def gemm_rate(dev, n, dtype):
    """GFLOP/s of an n x n x n GEMM (best of the repetitions)."""
    x = torch.randn(n, n, device=dev.dev, dtype=dtype)
    times, _ = dev.time(lambda: x @ x, 5, 2.0)
    return 2.0 * n ** 3 / min(times) / 1e9


def copy_rate(dev, elems):
    """GB/s of a device copy of `elems` floats, bytes read + written (best of the repetitions)."""
    src = torch.ones(elems, device=dev.dev, dtype=torch.float32)
    dst = torch.empty_like(src)
    times, _ = dev.time(lambda: dst.copy_(src), 10, 1.0)
    return 2.0 * 4 * elems / min(times) / 1e9


class Runner:
    """Runs a preset's benchmarks into a BenchWriter, reporting progress."""

    def __init__(self, preset, dev, writer, only):
        self.p = preset
        self.dev = dev
        self.w = writer
        self.only = only
        self.mode = "resident" if dev.cuda else None
        self.progress = common.Progress()
        side = "gpu" if dev.cuda else "cpu"
        self.gemm = {p: float(writer.context.get(f"ceiling_{side}_gemm_{p}_GFLOPs", 0))
                     for p in ("f32", "f64")}
        self.copy = float(writer.context.get(f"ceiling_{side}_copy_GBps", 0))

    def _guard(self, name, nbytes, body):
        """Run body() unless the working set does not fit; record an error entry on OOM."""
        if not self.dev.fits(nbytes):
            self.w.add_error(name, f"skipped: needs about {nbytes / 2**30:.1f} GiB")
            self.progress.skip(name, "does not fit in device memory")
            return
        try:
            body()
        except OOM_ERRORS as e:
            msg = str(e).splitlines()[0][:200]
            self.w.add_error(name, msg)
            self.progress.skip(name, msg)
        finally:
            self.dev.release()

    def _record(self, name, times, counters, rate):
        self.w.add(name, times, counters, rate=rate)
        self.progress.report(name, times, f"rel_err {counters.get('rel_err', float('nan')):.2e}")

    def ls(self):
        for prec in self.p["precisions"]:
            eb = common.ELEM_BYTES[prec]
            for m, n in self.p["ls"]:
                name = common.ls_name("torch.lstsq", prec, m, n, self.mode)

                def body(m=m, n=n, prec=prec, name=name):
                    a, b, x_true = gaussian_problem(self.dev, m, n, prec, seed=m + n)
                    times, x = self.dev.time(lambda: lstsq(a, b), self.p["repetitions"],
                                             self.p["budget_s"])
                    counters = {"rel_err": rel_err(x, x_true), "ne_resid": ne_resid(a, b, x),
                                "failed": 0}
                    rate = {"flops": common.flops_qr_ls(m, n), "bytes": common.bytes_ls(m, n, eb),
                            "peak": ("GFLOP/s", self.gemm[prec])}
                    self._record(name, times, counters, rate)
                # A, b, the factorization's copy of A, and the double temporaries of the checks.
                self._guard(name, m * n * (2 * eb + 8) + 16 * m, body)

    def ls_e2e(self):
        """Host tensors in, host solution out: what a NumPy user moving to the GPU pays."""
        if not self.dev.cuda:
            return
        prec = "f64"
        for m, n in self.p["e2e"]:
            name = common.ls_name("torch.lstsq", prec, m, n, "e2e")

            def body(m=m, n=n, name=name):
                a, b, x_true = gaussian_problem(self.dev, m, n, prec, seed=m + n)
                a_host, b_host = a.cpu(), b.cpu()
                del a, b
                times, x = self.dev.time_host(lambda: lstsq(a_host.cuda(), b_host.cuda()).cpu(),
                                              self.p["repetitions"], self.p["budget_s"])
                counters = {"rel_err": rel_err(x.to(x_true.device), x_true), "failed": 0}
                rate = {"flops": common.flops_qr_ls(m, n), "bytes": common.bytes_ls(m, n, 8)}
                self._record(name, times, counters, rate)
            self._guard(name, m * n * 8 * 3, body)

    def bls(self):
        for prec, (batch, m, n) in ((p, s) for p in self.p["precisions"] for s in self.p["bls"]):
            name = common.bls_name("torch.lstsq", prec, batch, m, n, self.mode)
            eb = common.ELEM_BYTES[prec]

            def body(batch=batch, m=m, n=n, name=name, prec=prec, eb=eb):
                a, b, x_true = gaussian_problem(self.dev, m, n, prec, seed=batch + m + n,
                                                batch=batch)
                times, x = self.dev.time(lambda: lstsq(a, b), self.p["repetitions"],
                                         self.p["budget_s"])
                rate = {"flops": batch * common.flops_qr_ls(m, n),
                        "bytes": batch * common.bytes_ls(m, n, eb),
                        "peak": ("GFLOP/s", self.gemm[prec])}
                self._record(name, times, {"rel_err": rel_err(x, x_true), "failed": 0}, rate)
            self._guard(name, batch * m * n * eb * 4, body)

    def _gd(self, solver, prec, batch, m, n, iters, make):
        """GD on `batch` problems (batch None: one problem), eager and graph-captured."""
        eb = common.ELEM_BYTES[prec]
        nb = batch or 1
        variants = [(solver, False)] + ([(solver + "_graph", True)] if self.dev.cuda else [])
        for variant, graph in variants:
            if batch is None:
                name = common.gd_name(variant, prec, m, n, iters, self.mode)
            else:
                name = common.bgd_name(variant, prec, batch, m, n, iters, self.mode)

            def body(variant=variant, graph=graph, name=name):
                a, b, x_true = make()
                loop = GdLoop(a, b, gd_step_size(a), iters, graph)
                times, x = self.dev.time(loop, self.p["repetitions"], self.p["budget_s"])
                rate = {"flops": nb * iters * common.flops_gd_iter(m, n),
                        "bytes": nb * iters * common.bytes_gd_iter(m, n, eb),
                        "peak": ("GB/s", self.copy)}
                self._record(name, times, {"rel_err": rel_err(x, x_true), "iters": iters,
                                           "failed": 0}, rate)
            # A, plus b and double temporaries of generation (chunked) and checks.
            self._guard(name, nb * m * n * eb + nb * (m + n) * 8 * 4 + (1 << 30), body)

    def bgd(self):
        for prec in self.p["precisions"]:
            for batch, m, n, iters in self.p["bgd"]:
                self._gd("torch.bmm", prec, batch, m, n, iters,
                         lambda batch=batch, m=m, n=n, prec=prec: gaussian_problem(
                             self.dev, m, n, prec, seed=batch + m + n, batch=batch))

    def gd(self):
        for prec in self.p["precisions"]:
            for m, n, iters in self.p["gd"]:
                self._gd("torch.matmul", prec, None, m, n, iters,
                         lambda m=m, n=n, prec=prec: gaussian_problem(self.dev, m, n, prec,
                                                                      seed=m + n))

    def tta(self):
        """Direct solvers against kappa: the solve's time, failed where rel_err misses the target.

        kappa in the names is kappa(A^T A) = kappa(A)^2 (lsgd's convention); one solve serves both
        targets."""
        for m, n in self.p["tta"]:
            for prec in self.p["precisions"]:
                for kappa_h in self.p["kappas_h"] + common.EXTRA_KAPPAS_H[prec]:
                    a, b, x_true = kappa_problem(self.dev, m, n, kappa_h ** 0.5, prec,
                                                 seed=int(kappa_h) % 1000)
                    for solver, fn in (("torch.lstsq", lstsq), ("torch.normal_eq", normal_eq)):
                        self._tta_one(solver, fn, a, b, x_true, prec, m, n, kappa_h)
                    self.dev.release()

    def _tta_one(self, solver, fn, a, b, x_true, prec, m, n, kappa_h):
        names = [common.tta_name(solver, prec, m, n, kappa_h, t) for t in common.TTA_TARGETS]
        try:
            times, x = self.dev.time(lambda: fn(a, b), self.p["repetitions"], self.p["budget_s"])
        except RuntimeError as e:   # singular normal equations in low precision
            msg = str(e).splitlines()[0][:200]
            for name in names:
                self.w.add_error(name, msg)
            self.progress.skip(names[0], msg)
            return
        err = rel_err(x, x_true)
        for name, target in zip(names, common.TTA_TARGETS):
            counters = {"rel_err": err, "ne_resid": ne_resid(a, b, x),
                        "failed": int(not err <= target)}
            self._record(name, times, counters, {"flops": common.flops_qr_ls(m, n)})

    def run(self, kinds):
        for kind in kinds:
            if not self.only or kind in self.only:
                getattr(self, kind)()
        if not self.only or "ls" in self.only:
            self.ls_e2e()


def histories(dev, path, quick):
    """GD convergence histories (rel_err every `every` steps) for a few kappas; docs/peers-and-figures.md."""
    m, n = (4096, 64) if quick or not dev.cuda else (65536, 256)
    iters, every = (500, 10) if quick else (3000, 20)
    out = []
    for prec in ("f64", "f32"):
        for kappa in common.HISTORY_KAPPAS_H:
            a, b, x_true = kappa_problem(dev, m, n, kappa ** 0.5, prec, seed=int(kappa))
            alpha = gd_step_size(a)
            timed = GdLoop(a, b, alpha, 100, graph=False)
            times, _ = dev.time(timed, 3, 1.0)
            x = torch.zeros(n, 1, device=dev.dev, dtype=a.dtype)
            errs = [rel_err(x, x_true)]
            for _ in range(iters // every):
                for _ in range(every):   # GdLoop restarts from 0: continue from x by hand
                    x -= alpha * (a.mT @ (a @ x - b)) / m
                errs.append(rel_err(x, x_true))
            out.append({"solver": "torch.matmul", "precision": prec, "kappa": kappa, "m": m,
                        "n": n, "method": "gd", "step": "1/L",
                        "seconds_per_iter": min(times) / 100, "every": every, "rel_err": errs})
            print(f"history torch.matmul {prec} kappa {kappa:g}: rel_err {errs[-1]:.2e} after "
                  f"{iters} iterations", file=sys.stderr, flush=True)
    ctx = common.base_context("torch", device_name(dev), {"torch": torch.__version__,
                                                          "torch_device": dev.dev.type})
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"context": ctx, "histories": out}, f, indent=1)
        f.write("\n")


def device_name(dev):
    return torch.cuda.get_device_name(dev.dev) if dev.cuda else "cpu"


def context_extra(dev, preset_name):
    extra = {"torch": torch.__version__, "torch_device": dev.dev.type, "preset": preset_name,
             "allow_tf32": torch.backends.cuda.matmul.allow_tf32,
             "threads": torch.get_num_threads()}
    if dev.cuda:
        props = torch.cuda.get_device_properties(dev.dev)
        extra.update({"gpu_name": props.name, "gpu_sms": props.multi_processor_count,
                      "gpu_memory_GiB": f"{props.total_memory / 2**30:.1f}",
                      "cuda_runtime": torch.version.cuda})
    return extra


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="quick")
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--out", default="-", help="JSON output file ('-': stdout)")
    parser.add_argument("--only", nargs="*", choices=["ls", "bls", "gd", "bgd", "tta"],
                        help="run only these benchmark kinds")
    parser.add_argument("--history", metavar="FILE",
                        help="also write GD convergence histories to FILE")
    args = parser.parse_args(argv)

    if args.device == "cuda" and not torch.cuda.is_available():
        print(f"torch_peers.py: CUDA not available to torch {torch.__version__} "
              f"({sys.executable}); nothing measured (--device cpu runs on the CPU)",
              file=sys.stderr)
        return SKIP
    # TF32 would change f32 results and rates: off, as in lsgd's FP32 GEMM ceiling.
    torch.backends.cuda.matmul.allow_tf32 = False
    dev = Device(args.device)
    preset = PRESETS[args.preset] if dev.cuda else CPU_PRESET
    print(f"torch_peers: {sys.executable}, torch {torch.__version__}, device {device_name(dev)}, "
          f"preset {args.preset if dev.cuda else 'cpu'}", file=sys.stderr, flush=True)
    extra = context_extra(dev, args.preset if dev.cuda else "cpu")
    extra.update(ceilings(dev, preset["ceiling_n"]))
    writer = common.BenchWriter(common.base_context("torch", device_name(dev), extra),
                                device="gpu" if dev.cuda else "cpu")
    Runner(preset, dev, writer, args.only).run(["ls", "bls", "gd", "bgd", "tta"])
    writer.write(args.out)
    if args.out != "-":
        print(f"torch_peers: wrote {len(writer.benchmarks)} entries to {args.out}", file=sys.stderr)
    if args.history:
        histories(dev, args.history, args.preset == "quick")
        print(f"torch_peers: wrote histories to {args.history}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
