#pragma once
// Hardware ceilings the pct_peak counters are measured against, taken once at start-up.
#include <string>

#include "bench/bench_config.hpp"

namespace lsgd::bench {

struct Ceilings {
  // 0 = not available (no GPU, or the measurement failed: see note).
  double cpu_copy_GBps = 0.0;        // memory bandwidth: STREAM triad on all threads (3 x 8 B/elem)
  double cpu_gemm_f32_GFLOPs = 0.0;  // BLAS (OpenBLAS) 1536^3 GEMM on all threads
  double cpu_gemm_f64_GFLOPs = 0.0;
  double gpu_copy_GBps = 0.0;
  double gpu_gemm_f32_GFLOPs = 0.0;
  double gpu_gemm_f64_GFLOPs = 0.0;
  std::string source;  // "measured", "given" or "measured+given"
  std::string note;    // why a GPU ceiling is 0

  double copy(bool gpu) const { return gpu ? gpu_copy_GBps : cpu_copy_GBps; }
  double gemm(bool gpu, bool f64) const {
    return gpu ? (f64 ? gpu_gemm_f64_GFLOPs : gpu_gemm_f32_GFLOPs)
               : (f64 ? cpu_gemm_f64_GFLOPs : cpu_gemm_f32_GFLOPs);
  }
};

// Measures every ceiling not given in `given` (GPU ones only when a GPU is usable).
Ceilings obtain_ceilings(const CeilingOverrides& given);

}  // namespace lsgd::bench
