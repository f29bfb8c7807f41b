#pragma once
// What the CPU backend runs on: the BLAS/LAPACK library and the ISA it was compiled for. Recorded in
// the benchmarks' JSON context so that a CPU number can be traced to what produced it.
#include <string>

namespace lsgd {

std::string blas_vendor();       // "OpenBLAS", "generic", ... (from the build)
std::string blas_config();       // the library's own description (OpenBLAS: version, core, threading)
int blas_threads();              // threads the BLAS uses now (1 when it cannot say)
// Empty, or a warning that OpenBLAS runs its generic kernels on a CPU with AVX2/AVX-512 (an OpenBLAS
// older than the CPU), naming the OPENBLAS_CORETYPE that fixes it.
std::string blas_core_note();
std::string isa_flags();         // the host compiler's target flags ("-march=native" or "portable ...")
std::string isa_extensions();    // the SIMD extensions compiled in, e.g. "avx512f avx2 fma"

}  // namespace lsgd

namespace lsgd {

// The BLAS's n x n x n GEMM rate in GFLOP/s (best of `reps` after a warm-up) on the BLAS's current
// thread count: the CPU compute ceiling the benchmarks report against.
double measure_blas_gemm_gflops(bool f64, int n, int reps);

// OpenMP synchronization costs in microseconds, measured now on omp_get_max_threads() threads: a
// parallel region (fork-join) and a barrier inside one region. Recorded with every benchmark run:
// on a busy machine both grow by orders of magnitude.
struct OmpCosts {
  int threads = 1;
  double region_us = 0.0;
  double barrier_us = 0.0;
};
OmpCosts measure_omp_costs();

}  // namespace lsgd
