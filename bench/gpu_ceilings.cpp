// CUDA build: GPU ceilings (D2D copy bandwidth, cuBLAS GEMM without TF32) and the L2 flush.
// Compiled by the host compiler against the CUDA headers; no kernels of our own.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "bench/gpu_bench.hpp"
#include "kernels/cuda_raii.hpp"
#include "lsgd/device.hpp"

namespace lsgd::bench {
namespace {

// Best-of-`reps` seconds of `enqueue` on `stream` (after one untimed warm-up call).
template <typename F>
double best_seconds(cudaStream_t stream, int reps, F&& enqueue) {
  enqueue();
  LSGD_CUDA_CHECK(cudaStreamSynchronize(stream));
  double best = 0.0;
  for (int r = 0; r < reps; ++r) {
    cuda::GpuTimer timer(stream);
    timer.start();
    enqueue();
    const double s = timer.stop_seconds();
    if (r == 0 || s < best) best = s;
  }
  return best;
}

double measure_copy(cudaStream_t stream) {
  const size_t bytes = size_t{1} << 30;
  cuda::DeviceBuffer<unsigned char> src(bytes), dst(bytes);
  LSGD_CUDA_CHECK(cudaMemsetAsync(src.data(), 1, bytes, stream));
  const double s = best_seconds(stream, 10, [&] {
    LSGD_CUDA_CHECK(
        cudaMemcpyAsync(dst.data(), src.data(), bytes, cudaMemcpyDeviceToDevice, stream));
  });
  return 2.0 * static_cast<double>(bytes) / s * 1e-9;
}

// Non-zero operands: GEMM on zeros draws less power and can run at higher clocks than real data.
template <typename T>
std::vector<T> operand(size_t count) {
  std::vector<T> h(count);
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  for (auto& v : h) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    v = static_cast<T>(static_cast<double>(state >> 11) * 0x1.0p-53 - 0.5);
  }
  return h;
}

template <typename T>
double measure_gemm(cudaStream_t stream) {
  const int n = 8192;
  const size_t count = static_cast<size_t>(n) * n;
  const std::vector<T> h = operand<T>(count);
  cuda::DeviceBuffer<T> a(count), b(count), c(count);
  a.upload(h.data(), count, stream);
  b.upload(h.data(), count, stream);
  c.zero(stream);
  cuda::CublasHandle handle(stream);
  // CUBLAS_DEFAULT_MATH: FP32 GEMM in true FP32 (no TF32 unless NVIDIA_TF32_OVERRIDE forces it).
  LSGD_CUBLAS_CHECK(cublasSetMathMode(handle.get(), CUBLAS_DEFAULT_MATH));
  const T one = 1, zero = 0;
  const double s = best_seconds(stream, 5, [&] {
    if constexpr (sizeof(T) == 4) {
      LSGD_CUBLAS_CHECK(cublasSgemm(handle.get(), CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one,
                                    a.data(), n, b.data(), n, &zero, c.data(), n));
    } else {
      LSGD_CUBLAS_CHECK(cublasDgemm(handle.get(), CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one,
                                    a.data(), n, b.data(), n, &zero, c.data(), n));
    }
  });
  return 2.0 * static_cast<double>(n) * n * n / s * 1e-9;
}

}  // namespace

GpuCeilings measure_gpu_ceilings(bool want_copy, bool want_f32, bool want_f64) {
  cuda::require_gpu();
  cuda::Stream stream;
  GpuCeilings c;
  if (want_copy) c.copy_GBps = measure_copy(stream.get());
  if (want_f32) c.gemm_f32_GFLOPs = measure_gemm<float>(stream.get());
  if (want_f64) c.gemm_f64_GFLOPs = measure_gemm<double>(stream.get());
  return c;
}

void flush_gpu_l2() {
  if (!gpu_available()) return;
  // Kept for the whole run (allocating per iteration would add cudaMalloc's implicit syncs) and
  // deliberately never destroyed: a static destructor would run cudaFree after the CUDA runtime has
  // been unloaded at exit.
  static cuda::DeviceBuffer<unsigned char>* scratch = [] {
    const double l2_bytes = std::max(device_info().l2_mib, 1.0) * 1024.0 * 1024.0;
    return new cuda::DeviceBuffer<unsigned char>(static_cast<size_t>(3.0 * l2_bytes));
  }();
  LSGD_CUDA_CHECK(cudaMemsetAsync(scratch->data(), 0, scratch->bytes(), nullptr));
  LSGD_CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace lsgd::bench
