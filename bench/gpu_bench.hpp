#pragma once
// Backend-neutral GPU helpers of the benchmarks. gpu_ceilings.cpp implements them with CUDA;
// gpu_absent.cpp (built without CUDA) reports that there is no GPU.
namespace lsgd::bench {

struct GpuCeilings {
  double copy_GBps = 0.0;        // cudaMemcpyAsync D2D of 1 GiB, bytes read + written
  double gemm_f32_GFLOPs = 0.0;  // cublasSgemm 8192^3, CUBLAS_DEFAULT_MATH (no TF32)
  double gemm_f64_GFLOPs = 0.0;  // cublasDgemm 8192^3
};

// Measures what `want_*` asks for on device 0. Throws DeviceError without a usable GPU.
GpuCeilings measure_gpu_ceilings(bool want_copy, bool want_f32, bool want_f64);

// Evicts the GPU L2: writes a scratch device buffer of 3x L2 (cudaMemsetAsync) and waits for it.
// Called between timed iterations for cold numbers; a no-op without CUDA or without a GPU.
void flush_gpu_l2();

}  // namespace lsgd::bench
