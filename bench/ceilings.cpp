#include "bench/ceilings.hpp"

#include <chrono>
#include <cstring>
#include <memory>
#include <utility>

#include <Eigen/Dense>
#include <omp.h>

#include "bench/gpu_bench.hpp"
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

// Each thread copies its own contiguous chunk, so the copy is spread over every core's memory
// path (one memcpy on one core does not saturate a server's memory system).
double measure_cpu_copy() {
  const size_t bytes = size_t{256} << 20;  // src + dst: 512 MiB, above any last-level cache
  std::unique_ptr<char[]> src(new char[bytes]), dst(new char[bytes]);
  const auto copy = [&](bool init) {
#pragma omp parallel
    {
      const size_t t = static_cast<size_t>(omp_get_thread_num());
      const size_t nt = static_cast<size_t>(omp_get_num_threads());
      const size_t chunk = (bytes + nt - 1) / nt;
      const size_t begin = std::min(bytes, t * chunk);
      const size_t len = std::min(bytes, begin + chunk) - begin;
      if (init) {  // first touch by the thread that copies: pages land on its NUMA node
        std::memset(src.get() + begin, static_cast<int>(t + 1), len);
        std::memset(dst.get() + begin, 0, len);
      } else {
        std::memcpy(dst.get() + begin, src.get() + begin, len);
      }
    }
  };
  copy(true);
  const double s = best_seconds(3, [&] { copy(false); });
  return 2.0 * static_cast<double>(bytes) / s * 1e-9;
}

template <typename T>
double measure_cpu_gemm() {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  const int n = 1024;
  Eigen::setNbThreads(omp_get_max_threads());
  const Mat a = Mat::Random(n, n), b = Mat::Random(n, n);
  Mat c(n, n);
  const double s = best_seconds(2, [&] { c.noalias() = a * b; });
  if (!c.allFinite()) throw NumericalError("CPU GEMM ceiling: non-finite result");
  return 2.0 * static_cast<double>(n) * n * n / s * 1e-9;
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
  c.cpu_copy_GBps = pick(given.cpu_copy, measure_cpu_copy);
  c.cpu_gemm_f32_GFLOPs = pick(given.cpu_gemm_f32, measure_cpu_gemm<float>);
  c.cpu_gemm_f64_GFLOPs = pick(given.cpu_gemm_f64, measure_cpu_gemm<double>);
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
