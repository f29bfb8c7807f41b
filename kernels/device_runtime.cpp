// Runtime-API helpers of the device code, compiled for CUDA and for the CPU emulation alike
// (kernels/device_compat.hpp): out-of-memory reports and kernels' shared-memory limits.
#include <map>
#include <mutex>
#include <sstream>

#include "kernels/cuda_raii.hpp"

namespace lsgd::cuda {

void throw_out_of_memory(size_t requested_bytes, cudaError_t err) {
  size_t free_b = 0, total_b = 0;
  if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) (void)cudaGetLastError();
  std::ostringstream os;
  os << "out of device memory: requested " << requested_bytes << " bytes, " << free_b
     << " bytes free of " << total_b << " (" << cudaGetErrorName(err) << ")";
  throw DeviceError(os.str());
}

void throw_pinned_alloc_failure(size_t requested_bytes, cudaError_t err) {
  std::ostringstream os;
  os << "pinned host allocation failed: requested " << requested_bytes << " bytes ("
     << cudaGetErrorName(err) << ": " << cudaGetErrorString(err) << ")";
  throw DeviceError(os.str());
}

void raise_dynamic_smem_limit(const void* kernel, size_t bytes) {
  static std::mutex mu;
  static std::map<const void*, size_t> raised;  // kernel -> the limit set
  const std::lock_guard<std::mutex> lock(mu);
  size_t& current = raised[kernel];
  if (bytes <= current) return;
  LSGD_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                       static_cast<int>(bytes)));
  current = bytes;
}

}  // namespace lsgd::cuda
