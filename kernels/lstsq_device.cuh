#pragma once
// Element-wise kernels of the GPU least-squares solvers (interface kernels/lstsq_kernels.hpp,
// launched by kernels/lstsq_kernels.cu). Grid-stride loops. Compiled by nvcc and by the CPU
// emulation (kernels/device_compat.hpp).
#include <cstdint>

#include "kernels/device_compat.hpp"

namespace lsgd::cuda::detail {

template <typename T>
__global__ void add_to_diagonal_kernel(T* A, int64_t lda, int64_t n, T value) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    A[i * (lda + 1)] += value;
  }
}

template <typename T>
__global__ void svd_pinv_scale_kernel(T* c, const T* s, int64_t k, T rcond, int* rank) {
  const T cutoff = rcond * s[0];
  int kept = 0;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < k;
       i += stride) {
    const T si = s[i];
    // s[i] > cutoff is false for s[i] = 0 = cutoff (A = 0): the minimum-norm answer is then x = 0.
    if (si > cutoff) {
      c[i] = c[i] / si;
      ++kept;
    } else {
      c[i] = T(0);
    }
  }
  if (kept > 0) atomicAdd(rank, kept);
}

template <typename T>
__global__ void count_nonfinite_kernel(const T* x, int64_t n, int* count) {
  int bad = 0;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    if (!isfinite(x[i])) ++bad;
  }
  if (bad > 0) atomicAdd(count, bad);
}

template <typename T>
__global__ void gather_strided_kernel(T* dst, const T* src, int64_t count, int64_t groups,
                                      int64_t src_stride) {
  const int64_t total = count * groups;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += stride) {
    const int64_t g = i / count;
    dst[i] = src[g * src_stride + (i - g * count)];
  }
}

}  // namespace lsgd::cuda::detail
