#include "bench/ceilings.hpp"

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>

#include <omp.h>
#include <sys/mman.h>

#include "bench/gpu_bench.hpp"
#include "lsgd/cpu_info.hpp"
#include "lsgd/device.hpp"
#include "lsgd/error.hpp"

namespace lsgd::bench {
namespace {

template <typename F>
double best_seconds(int reps, F&& fn) {
  fn();  // warm-up: page faults, thread start-up
  double best = 0.0;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r == 0 || s < best) best = s;
  }
  return best;
}

// STREAM's triad a = b + s c over three 128 MiB arrays, each thread on its own contiguous chunk
// (first-touched by that thread), counting 3 x 8 bytes per element as STREAM does (the write
// allocate of a is not counted). The memory ceiling GB/s counters are compared with.
double measure_cpu_triad() {
  const size_t n = size_t{16} << 20;  // 16 Mi doubles = 128 MiB per array, above any L3 here
  std::unique_ptr<double[]> a(new double[n]), b(new double[n]), c(new double[n]);
  const double s = 3.0;
  const auto run = [&](bool init) {
#pragma omp parallel
    {
      const size_t t = static_cast<size_t>(omp_get_thread_num());
      const size_t nt = static_cast<size_t>(omp_get_num_threads());
      const size_t begin = std::min(n, t * ((n + nt - 1) / nt));
      const size_t end = std::min(n, begin + (n + nt - 1) / nt);
      double* __restrict pa = a.get();
      const double* __restrict pb = b.get();
      const double* __restrict pc = c.get();
      if (init) {
        for (size_t i = begin; i < end; ++i) {
          a[i] = 0.0;
          b[i] = 1.0;
          c[i] = 2.0;
        }
      } else {
#pragma omp simd
        for (size_t i = begin; i < end; ++i) pa[i] = pb[i] + s * pc[i];
      }
    }
  };
  run(true);
  const double sec = best_seconds(4, [&] { run(false); });
  if (a[n / 2] != 7.0) throw NumericalError("CPU triad ceiling: wrong result");
  return 3.0 * sizeof(double) * static_cast<double>(n) / sec * 1e-9;
}

// A sequential read on every thread, each of its own contiguous share of a 256 MiB
// buffer (above any L3 here), 2 MB aligned and advised to huge pages as cpu.gd's panels are
// (cpu/gd_stream.hpp): the memory ceiling of a kernel that reads A and writes nothing.
double measure_cpu_read() {
  typedef double V __attribute__((vector_size(64)));
  constexpr size_t kAlign = size_t{2} << 20, kBytes = size_t{256} << 20;
  constexpr size_t n = kBytes / sizeof(V);
  std::unique_ptr<V, void (*)(void*)> buf(static_cast<V*>(std::aligned_alloc(kAlign, kBytes)),
                                          std::free);
  if (!buf) throw NumericalError("CPU read ceiling: cannot allocate 256 MiB");
#ifdef MADV_HUGEPAGE
  madvise(buf.get(), kBytes, MADV_HUGEPAGE);
#endif
  double total = 0.0;
  const auto run = [&](bool init) {
    double sum = 0.0;
#pragma omp parallel reduction(+ : sum)
    {
      const size_t t = static_cast<size_t>(omp_get_thread_num());
      const size_t nt = static_cast<size_t>(omp_get_num_threads());
      const size_t begin = n * t / nt, end = n * (t + 1) / nt;
      V* p = buf.get();
      if (init) {
        for (size_t i = begin; i < end; ++i) p[i] = V{} + 1.0;
      } else {
        V s0{}, s1{}, s2{}, s3{};
        size_t i = begin;
        for (; i + 4 <= end; i += 4) {
          s0 += p[i];
          s1 += p[i + 1];
          s2 += p[i + 2];
          s3 += p[i + 3];
        }
        for (; i < end; ++i) s0 += p[i];
        const V s = (s0 + s1) + (s2 + s3);
        for (int l = 0; l < 8; ++l) sum += s[l];
      }
    }
    total = sum;
  };
  run(true);
  const double sec = best_seconds(6, [&] { run(false); });
  if (total != static_cast<double>(kBytes / sizeof(double))) {
    throw NumericalError("CPU read ceiling: wrong sum");
  }
  return static_cast<double>(kBytes) / sec * 1e-9;
}

// The FMA peak of this build's ISA on every thread: 16 independent chains x = x a + c of 64-byte
// vectors per thread (AVX-512 FMAs with -march=native on an AVX-512 CPU; whatever the build's
// vectors compile to otherwise, e.g. SSE2 multiply + add in LSGD_PORTABLE builds: the ceiling of
// code this build can run). 2 flops per lane per FMA.
template <typename T>
double measure_cpu_fma() {
  typedef T V __attribute__((vector_size(64)));
  constexpr int W = 64 / sizeof(T), K = 16;
  constexpr long kIters = 4000000;  // ~20-40 ms per thread at AVX-512 rates
  double check = 0.0;
  const double sec = best_seconds(4, [&] {
    double sink = 0.0;
#pragma omp parallel reduction(+ : sink)
    {
      V acc[K], a = V{} + T(0.999999), c = V{} + T(1e-7);
      for (int k = 0; k < K; ++k) acc[k] = V{} + T(k);
      for (long i = 0; i < kIters; ++i) {
#pragma GCC unroll 16
        for (int k = 0; k < K; ++k) acc[k] = acc[k] * a + c;
        asm volatile("" : "+x"(a));  // a is opaque: the chains cannot be folded or hoisted
      }
      V s = acc[0];
      for (int k = 1; k < K; ++k) s += acc[k];
      for (int l = 0; l < W; ++l) sink += static_cast<double>(s[l]);
    }
    check = sink;
  });
  if (!std::isfinite(check) || !(check > 0.0)) throw NumericalError("CPU FMA ceiling: wrong sum");
  return 2.0 * W * K * static_cast<double>(kIters) * omp_get_max_threads() / sec * 1e-9;
}

// The BLAS (OpenBLAS where found) on every thread: the best GEMM on the machine, so pct_peak does
// not flatter the CPU solvers. 1536^3: ~7 GFLOP, a fraction of a second on two cores.
template <typename T>
double measure_cpu_gemm() {
  return measure_blas_gemm_gflops(sizeof(T) == 8, 1536, 2);
}

}  // namespace

Ceilings obtain_ceilings(const CeilingOverrides& given) {
  Ceilings c;
  bool measured = false, was_given = false;
  const auto pick = [&](double g, auto&& measure) {
    if (g >= 0.0) {
      was_given = true;
      return g;
    }
    measured = true;
    return measure();
  };
  c.cpu_copy_GBps = pick(given.cpu_copy, measure_cpu_triad);
  c.cpu_gemm_f32_GFLOPs = pick(given.cpu_gemm_f32, measure_cpu_gemm<float>);
  c.cpu_gemm_f64_GFLOPs = pick(given.cpu_gemm_f64, measure_cpu_gemm<double>);
  c.cpu_read_GBps = pick(given.cpu_read, measure_cpu_read);
  c.cpu_fma_f32_GFLOPs = pick(given.cpu_fma_f32, measure_cpu_fma<float>);
  c.cpu_fma_f64_GFLOPs = pick(given.cpu_fma_f64, measure_cpu_fma<double>);
  for (const auto& [g, dst] : {std::pair{given.gpu_copy, &c.gpu_copy_GBps},
                                std::pair{given.gpu_gemm_f32, &c.gpu_gemm_f32_GFLOPs},
                                std::pair{given.gpu_gemm_f64, &c.gpu_gemm_f64_GFLOPs}}) {
    if (g >= 0.0) {
      *dst = g;
      was_given = true;
    }
  }
  const bool want_copy = given.gpu_copy < 0.0, want_f32 = given.gpu_gemm_f32 < 0.0,
             want_f64 = given.gpu_gemm_f64 < 0.0;
  if (!gpu_available()) {
    if (want_copy || want_f32 || want_f64) c.note = "GPU ceilings not measured: " + describe_device();
  } else if (want_copy || want_f32 || want_f64) {
    try {
      const GpuCeilings g = measure_gpu_ceilings(want_copy, want_f32, want_f64);
      if (want_copy) c.gpu_copy_GBps = g.copy_GBps;
      if (want_f32) c.gpu_gemm_f32_GFLOPs = g.gemm_f32_GFLOPs;
      if (want_f64) c.gpu_gemm_f64_GFLOPs = g.gemm_f64_GFLOPs;
      measured = true;
    } catch (const Error& e) {
      c.note = std::string("GPU ceilings not measured: ") + e.what();
    }
  }
  c.source = measured && was_given ? "measured+given" : (was_given ? "given" : "measured");
  return c;
}

}  // namespace lsgd::bench
