#pragma once
// One source, two compilers: what our kernels (kernels/*.cuh) and their launch units (kernels/*.cu)
// need beyond plain C++, for nvcc and for the CPU emulation (HIP-CPU, compile definition
// LSGD_DEVICE_EMULATION: kernels/device_emulation.hpp). Rules for code both compile:
//  - launches go through launch_kernel() below (no <<<>>> outside this header);
//  - dynamic shared memory through LSGD_DYNAMIC_SHARED (one declaration per kernel);
//  - warp-level code through the *_sync shuffles and __syncwarp with an explicit mask, warps of 32
//    lanes written as 32 (never warpSize: HIP-CPU's is 64);
//  - host-side runtime calls limited to those kernels/device_emulation.hpp maps (a new one fails to
//    compile in the emulated build until it is mapped there).
// Plain .cpp files of a CUDA build may include this header: it then only includes cuda_runtime.h.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

#if defined(LSGD_DEVICE_EMULATION)
#include "kernels/device_emulation.hpp"
#else
#include <cuda_runtime.h>
#endif

// Functions compiled for host and device (common/double_double.hpp defines the same macro).
#if defined(__CUDACC__)
#define LSGD_HOST_DEVICE __host__ __device__
#else
#define LSGD_HOST_DEVICE
#endif

// `type* name` pointing at the block's dynamic shared memory (16-byte aligned).
#if defined(LSGD_DEVICE_EMULATION)
#define LSGD_DYNAMIC_SHARED(type, name) type* name = ::lsgd::emu::dynamic_shared<type>()
#else
#define LSGD_DYNAMIC_SHARED(type, name)                                 \
  extern __shared__ __align__(16) unsigned char lsgd_dynamic_shared_[]; \
  type* name = reinterpret_cast<type*>(lsgd_dynamic_shared_)
#endif

namespace lsgd::cuda {

// Blocks of `block` threads for a grid-stride loop over n elements: ceil(n / block), at least 1, at
// most max_blocks (the loop covers the rest).
inline unsigned grid_stride_blocks(int64_t n, int block, int64_t max_blocks) {
  const int64_t blocks = std::min<int64_t>((n + block - 1) / block, max_blocks);
  return static_cast<unsigned>(std::max<int64_t>(blocks, 1));
}

// The one launch: kernel<<<grid, block, smem_bytes, stream>>>(args...) on the GPU, the same grid
// on the CPU in the emulated build. Returns the launch's error (cudaGetLastError()), to be checked
// with LSGD_CUDA_CHECK at the call site.
#if defined(__CUDACC__) || defined(LSGD_DEVICE_EMULATION)
template <typename... Params, typename... Args>
cudaError_t launch_kernel(void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem_bytes,
                          cudaStream_t stream, Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "launch_kernel: argument count");
#if defined(LSGD_DEVICE_EMULATION)
  return emu::launch(kernel, grid, block, smem_bytes, stream, std::forward<Args>(args)...);
#else
  // (clang-format would split the closing >>>)
  // clang-format off
  kernel<<<grid, block, smem_bytes, stream>>>(std::forward<Args>(args)...);
  // clang-format on
  return cudaGetLastError();
#endif
}
#endif

// Raises `kernel`'s dynamic shared-memory limit (cudaFuncAttributeMaxDynamicSharedMemorySize) to at
// least `bytes`, never lowering it. The limit is a property of the kernel, shared by every solver
// of the process, so it is only ever raised (under a lock); callers set it in setup(), never inside
// a timed region. Throws DeviceError when the device refuses. (kernels/device.cpp on the GPU.)
void raise_dynamic_smem_limit(const void* kernel, size_t bytes);

}  // namespace lsgd::cuda
