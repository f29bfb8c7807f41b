#!/usr/bin/env python3
"""PyTorch peers: lsgd's jobs as a PyTorch user writes them, on lsgd's own problems
(bench/peers/cases.py), on the GPU (--device cuda) or the CPU (--device cpu), in the data's
precision (TF32 off).

  family     solver                   what it calls
  normal_eq  torch.cholesky           A^T A, torch.linalg.cholesky + torch.cholesky_solve
  qr         torch.lstsq.gels         torch.linalg.lstsq(driver="gels") (Householder QR; the only
                                      driver on CUDA)
  rrqr       torch.lstsq.gelsy        driver "gelsy" (CPU only)
  svd        torch.lstsq.gelsd        driver "gelsd" (CPU only)
  batched    torch.batched.cholesky, torch.batched.lstsq.gels: the same on the (B, m, n) stack
  gd         torch.matmul             r = A x - b; g = A^T r / m; x -= g / L, k steps from 0, with
  (momentum, nesterov)                lsgd's update rules; L from 20 power iterations from
                                      ones / sqrt(n) INSIDE the timed call, as lsgd's solvers
  bgd        torch.bmm                the same loop with bmm on the stack
  on CUDA    *_graph                  the whole call (power iteration + loop) captured once in a
                                      CUDA graph and replayed
Timing: CUDA events on the current stream around the call (data resident on the device); mode
e2e (where lsgd runs e2e cases): A and b in PINNED host memory (as lsgd's end-to-end mode), copied
in, solved, x copied back, timed by the host clock with the device drained.

  torch_peers.py --worker [--device cuda|cpu]          (run by bench/peers/run_peers.py)
  torch_peers.py --preset quick|full [--device cuda|cpu] [--build-dir DIR] --out FILE
        standalone: run_peers.py for torch alone (no interleaving), the JSON to FILE
Exits 77 (skip) with one line when torch, or CUDA for --device cuda, is missing.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases  # noqa: E402
import common  # noqa: E402

SKIP = 77

if __name__ == "__main__":
    if common.reexec_with(["torch", "numpy"]):
        print(f"torch_peers.py: torch not available ({sys.executable} cannot import it): "
              "nothing measured", file=sys.stderr)
        sys.exit(SKIP)

import numpy as np  # noqa: E402
import torch  # noqa: E402

LIBRARY = "torch"
POWER_ITERS = 20
MOMENTUM = 0.9
DEVICE = torch.device("cpu")


def set_device(name):
    global DEVICE
    DEVICE = torch.device(name)
    if DEVICE.type == "cpu":
        # All the CPUs this process may use, as lsgd's OpenMP and OpenBLAS use them (Debian's torch
        # can start with one intra-op thread); recorded as torch_threads.
        torch.set_num_threads(len(os.sched_getaffinity(0)))
    # TF32 would change f32 results and rates: off, as in lsgd's FP32 GEMM ceiling.
    torch.backends.cuda.matmul.allow_tf32 = False


def cuda():
    return DEVICE.type == "cuda"


def context():
    ctx = {"torch": torch.__version__, "torch_device": DEVICE.type, "numpy": np.__version__,
           "allow_tf32": torch.backends.cuda.matmul.allow_tf32,
           "torch_threads": torch.get_num_threads()}
    if cuda():
        props = torch.cuda.get_device_properties(DEVICE)
        ctx.update({"gpu_name": props.name, "gpu_sms": props.multi_processor_count,
                    "gpu_memory_GiB": f"{props.total_memory / 2**30:.1f}",
                    "cuda_runtime": torch.version.cuda})
    else:
        torch.linalg.qr(torch.ones(4, 4))  # LAPACK loaded
        ctx.update(cases.blas_info())
    return ctx


def load(directory, problem):
    a, b, x = cases.read_problem(directory, problem)
    b, x = b[..., None], x[..., None]  # columns, as torch's solvers take them
    host_a = torch.from_numpy(np.ascontiguousarray(a))
    host_b = torch.from_numpy(np.ascontiguousarray(b))
    data = {"A": host_a.to(DEVICE), "b": host_b.to(DEVICE), "x_true": np.asarray(x, np.float64)}
    if cuda():  # for end-to-end: pinned host memory, as lsgd's e2e mode stages
        data["A_host"], data["b_host"] = host_a.pin_memory(), host_b.pin_memory()
    return data


def error(x, data):
    x = x.detach().to("cpu").double().numpy().reshape(data["x_true"].shape)
    t = data["x_true"]
    err = np.linalg.norm(x - t, axis=-2) / np.linalg.norm(t, axis=-2)
    return float(np.max(err)) if not np.isnan(err).any() else float("nan")


def error_message(solver, exc):
    if isinstance(exc, (RuntimeError, ValueError, MemoryError)):
        return f"{solver.name}: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
    return None


def normal_eq(a, b):
    at = a.mT
    return torch.cholesky_solve(at @ b, torch.linalg.cholesky(at @ a))


def lstsq(driver):
    return lambda a, b: torch.linalg.lstsq(a, b, driver=driver).solution


def gd(a, b, iters, variant):
    """lsgd's loop (cpu/gd_common.hpp) with its power iteration, on one problem or a stack."""
    m, n = a.shape[-2], a.shape[-1]
    at = a.mT
    v = torch.full(a.shape[:-2] + (n, 1), 1.0 / n ** 0.5, dtype=a.dtype, device=a.device)
    L = None
    for _ in range(POWER_ITERS):
        w = at @ (a @ v) / m
        L = torch.linalg.norm(w, dim=-2, keepdim=True)
        v = w / L
    alpha = 1.0 / L
    x = torch.zeros_like(v)
    x_prev = torch.zeros_like(v)
    g_prev = torch.zeros_like(v)
    for k in range(iters):
        g = at @ (a @ x - b) / m
        if variant == "gd":
            x = x - alpha * g
        elif variant == "momentum":
            x, x_prev = x - alpha * g + MOMENTUM * (x - x_prev), x
        else:
            mu = 0.0 if k == 0 else (k - 1) / (k + 2)
            x, x_prev = x + mu * (x - x_prev) - alpha * ((1 + mu) * g - mu * g_prev), x
            g_prev = g
    return x


def event_clock(fn):
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    out = fn()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / 1e3, out


def host_clock(fn):
    torch.cuda.synchronize(DEVICE)
    t0 = time.perf_counter()
    out = fn()
    torch.cuda.synchronize(DEVICE)
    return time.perf_counter() - t0, out


def graphed(fn):
    """fn() captured once in a CUDA graph (after a side-stream warm-up); each call replays it."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        fn()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = fn()

    def replay():
        graph.replay()
        return out
    return replay


DIRECT = {"normal_eq": ("cholesky", normal_eq), "qr": ("lstsq.gels", lstsq("gels")),
          "rrqr": ("lstsq.gelsy", lstsq("gelsy")), "svd": ("lstsq.gelsd", lstsq("gelsd"))}
CPU_ONLY = {"rrqr", "svd"}
GD = {"gd": "", "momentum": ".momentum", "nesterov": ".nesterov"}


def solvers(w, data):
    if (w.device == "gpu") != cuda():
        return []
    a, b = data["A"], data["b"]
    clock = event_clock if cuda() else None
    out = []
    if w.family in ("ls", "tta", "bls"):
        batched = "batched." if w.family == "bls" else ""
        for fam in sorted(w.wanted & set(DIRECT)):
            if cuda() and fam in CPU_ONLY:
                continue
            what, fn = DIRECT[fam]
            if w.mode == "e2e":
                ha, hb = data["A_host"], data["b_host"]

                def e2e(fn=fn, ha=ha, hb=hb):
                    da = ha.to(DEVICE, non_blocking=True)
                    db = hb.to(DEVICE, non_blocking=True)
                    return fn(da, db).to("cpu")
                out.append(cases.Solver(f"torch.{batched}{what}", fam, e2e, mode="e2e",
                                        clock=host_clock))
            else:
                out.append(cases.Solver(f"torch.{batched}{what}", fam,
                                        (lambda fn=fn: fn(a, b)), clock=clock))
    elif w.family in ("gd", "bgd") and w.mode != "e2e":
        base = "torch.bmm" if w.family == "bgd" else "torch.matmul"
        for fam in sorted(w.wanted & set(GD)):
            def run(fam=fam):
                return gd(a, b, w.iterations, fam)
            out.append(cases.Solver(f"{base}{GD[fam]}", fam, run, clock=clock))
            if cuda():
                out.append(cases.Solver(f"{base}_graph{GD[fam]}", fam, graphed(run),
                                        clock=clock))
    return out


def standalone(args):
    """run_peers.py for torch alone: the binaries' case list, no interleaving, JSON to --out."""
    import run_peers
    build_dir = args.build_dir or next((d for d in ("build/gpu-check", "build/cuda", "build/cpu")
                                        if os.path.isdir(os.path.join(d, "bench"))), None)
    if build_dir is None:
        print("torch_peers.py: no build directory with the bench binaries (--build-dir)",
              file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix="lsgd_torch_")
    try:
        rc = run_peers.main(["--build-dir", build_dir, "--preset", args.preset, "--out", tmp,
                             "--peers", "torch", "--torch-device", args.device,
                             "--torch-python", sys.executable, "--no-interleave"])
        src = os.path.join(tmp, "peers_torch.json")
        if rc == 0 and os.path.exists(src):
            shutil.copy(src, args.out)
            print(f"torch_peers: wrote {args.out}", file=sys.stderr)
        return rc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", action="store_true")
    ap.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    ap.add_argument("--preset", choices=("quick", "full"), default="quick")
    ap.add_argument("--build-dir")
    ap.add_argument("--out", help="standalone: the JSON file")
    args = ap.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        print(f"torch_peers.py: CUDA not available to torch {torch.__version__} "
              f"({sys.executable}); nothing measured (--device cpu runs on the CPU)",
              file=sys.stderr)
        return SKIP
    set_device(args.device)
    if args.worker:
        cases.worker_main(sys.modules[__name__])
        return 0
    if not args.out:
        ap.error("--out FILE (or --worker)")
    return standalone(args)


if __name__ == "__main__":
    sys.exit(main())
