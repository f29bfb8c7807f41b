// BLAS thread control and the CPU backend's build description (include/lsgd/cpu_info.hpp).
#include <string>

#include "cpu/blas_threads.hpp"
#include "lsgd/cpu_info.hpp"

#ifdef LSGD_OPENBLAS
extern "C" {
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
char* openblas_get_config(void);
char* openblas_get_corename(void);
}
#endif

#ifndef LSGD_BLAS_VENDOR
#define LSGD_BLAS_VENDOR "unknown"
#endif
#ifndef LSGD_ISA_FLAGS
#define LSGD_ISA_FLAGS "unknown"
#endif

namespace lsgd {
namespace cpu {

int get_blas_threads() {
#ifdef LSGD_OPENBLAS
  return openblas_get_num_threads();
#else
  return 1;
#endif
}

void set_blas_threads(int threads) {
#ifdef LSGD_OPENBLAS
  if (threads > 0) openblas_set_num_threads(threads);
#else
  (void)threads;
#endif
}

}  // namespace cpu

std::string blas_vendor() { return LSGD_BLAS_VENDOR; }

std::string blas_config() {
#ifdef LSGD_OPENBLAS
  std::string s = openblas_get_config();
  s += " (core ";
  s += openblas_get_corename();
  s += ")";
  return s;
#else
  return "not reported by this BLAS";
#endif
}

int blas_threads() { return cpu::get_blas_threads(); }

std::string blas_core_note() {
#if defined(LSGD_OPENBLAS) && (defined(__x86_64__) || defined(__i386__))
  const std::string core = openblas_get_corename();
  static const char* const kGeneric[] = {"Prescott", "Core2",  "Katmai",     "Coppermine", "Northwood",
                                         "Banias",   "Atom",   "Penryn",     "Dunnington", "Nehalem"};
  bool generic = false;
  for (const char* g : kGeneric) generic = generic || core == g;
  if (!generic) return std::string();
  const char* fix = nullptr;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl")) {
    fix = "SkylakeX";
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    fix = "Haswell";
  }
  if (fix == nullptr) return std::string();
  return "OpenBLAS runs its generic '" + core + "' kernels on a CPU with " +
         (std::string(fix) == "SkylakeX" ? "AVX-512" : "AVX2") +
         " (this OpenBLAS predates the CPU): BLAS/LAPACK run several times below the machine's "
         "capability; set OPENBLAS_CORETYPE=" + fix + " (scripts/bench does)";
#else
  return std::string();
#endif
}

std::string isa_flags() { return LSGD_ISA_FLAGS; }

std::string isa_extensions() {
  std::string s;
  const auto add = [&s](const char* name) {
    if (!s.empty()) s += ' ';
    s += name;
  };
#ifdef __AVX512F__
  add("avx512f");
#endif
#ifdef __AVX512VL__
  add("avx512vl");
#endif
#ifdef __AVX2__
  add("avx2");
#endif
#ifdef __FMA__
  add("fma");
#endif
#ifdef __AVX__
  add("avx");
#endif
#ifdef __SSE4_2__
  add("sse4.2");
#endif
#ifdef __SSE2__
  add("sse2");
#endif
#ifdef __ARM_NEON
  add("neon");
#endif
  return s.empty() ? "none" : s;
}

}  // namespace lsgd

// ---- measurements -------------------------------------------------------------------------------
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "common/lapack.hpp"
#include "lsgd/error.hpp"

namespace lsgd {
namespace {

template <typename F>
double best_seconds(int reps, F&& fn) {
  fn();  // warm-up: page faults, BLAS thread start-up
  double best = 0.0;
  for (int r = 0; r < std::max(1, reps); ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r == 0 || s < best) best = s;
  }
  return best;
}

template <typename T>
double gemm_rate(int n, int reps) {
  const size_t nn = static_cast<size_t>(n) * static_cast<size_t>(n);
  std::vector<T> a(nn), b(nn), c(nn, T(0));
  for (size_t i = 0; i < nn; ++i) {  // deterministic, bounded, not all equal
    a[i] = static_cast<T>((i * 7919 % 1000) * 1e-3 - 0.5);
    b[i] = static_cast<T>((i * 104729 % 1000) * 1e-3 - 0.5);
  }
  const double s = best_seconds(reps, [&] {
    cpu::lapack::gemm('N', 'N', n, n, n, T(1), a.data(), n, b.data(), n, T(0), c.data(), n);
  });
  for (size_t i = 0; i < nn; i += nn / 7 + 1) {
    if (!std::isfinite(c[i])) throw NumericalError("BLAS GEMM ceiling: non-finite result");
  }
  return 2.0 * n * static_cast<double>(n) * n / s * 1e-9;
}

}  // namespace

double measure_blas_gemm_gflops(bool f64, int n, int reps) {
  if (n <= 0) throw InvalidInput("measure_blas_gemm_gflops: n must be > 0");
  return f64 ? gemm_rate<double>(n, reps) : gemm_rate<float>(n, reps);
}

OmpCosts measure_omp_costs() {
  OmpCosts c;
  c.threads = omp_get_max_threads();
  constexpr int kRounds = 200;
  volatile int sink = 0;
#pragma omp parallel
  { sink = sink + omp_get_thread_num(); }  // start the pool: the first region creates threads
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kRounds; ++i) {
#pragma omp parallel
    { sink = sink + omp_get_thread_num(); }
  }
  const auto t1 = std::chrono::steady_clock::now();
#pragma omp parallel
  {
    for (int i = 0; i < kRounds; ++i) {
#pragma omp barrier
    }
  }
  const auto t2 = std::chrono::steady_clock::now();
  const double region = std::chrono::duration<double>(t1 - t0).count() / kRounds;
  // The barrier loop's time includes one region; subtract it.
  const double barrier =
      std::max(0.0, std::chrono::duration<double>(t2 - t1).count() - region) / kRounds;
  c.region_us = region * 1e6;
  c.barrier_us = barrier * 1e6;
  return c;
}

}  // namespace lsgd
