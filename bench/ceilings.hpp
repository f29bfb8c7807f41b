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
  // The roofline of the GD kernels (bench/NOTES.md (roofline)): a sequential read of a buffer far
  // above the last-level cache on all threads (GD reads A and writes nothing), and the FMA peak of
  // the build's ISA on all threads (independent vector FMAs in registers).
  double cpu_read_GBps = 0.0;
  double cpu_fma_f32_GFLOPs = 0.0;
  double cpu_fma_f64_GFLOPs = 0.0;
  double gpu_copy_GBps = 0.0;
  double gpu_gemm_f32_GFLOPs = 0.0;
  double gpu_gemm_f64_GFLOPs = 0.0;
  std::string source;  // "measured", "given" or "measured+given"
  std::string note;    // why a GPU ceiling is 0

  double copy(bool gpu) const { return gpu ? gpu_copy_GBps : cpu_copy_GBps; }
  double fma(bool f64) const { return f64 ? cpu_fma_f64_GFLOPs : cpu_fma_f32_GFLOPs; }
  double gemm(bool gpu, bool f64) const {
    return gpu ? (f64 ? gpu_gemm_f64_GFLOPs : gpu_gemm_f32_GFLOPs)
               : (f64 ? cpu_gemm_f64_GFLOPs : cpu_gemm_f32_GFLOPs);
  }
};

// Measures every ceiling not given in `given` (GPU ones only when a GPU is usable).
Ceilings obtain_ceilings(const CeilingOverrides& given);

}  // namespace lsgd::bench
