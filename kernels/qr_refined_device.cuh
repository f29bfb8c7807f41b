#pragma once
// The double-double residual kernels of cuda.qr.refined (interface kernels/qr_refined.cuh, launched
// by kernels/qr_refined.cu); the arithmetic of common/double_double.hpp. Compiled by nvcc and by the
// CPU emulation (kernels/device_compat.hpp; build with -ffp-contract=off there: the error-free
// transformations must not be contracted).
#include <cstdint>

#include "common/double_double.hpp"
#include "kernels/device_compat.hpp"

namespace lsgd::cuda::detail {

using cpu::DoubleDouble;
using cpu::dd_add;
using cpu::dd_add_prod;
using cpu::to_double;

// Threads per block of the residual kernels: a power of two (the tree reduction of
// residual_g_kernel halves it).
constexpr int kRefineBlock = 256;

// One thread per row: f_i = b_i - r_i - sum_j a_ij x_j. Consecutive threads read consecutive rows
// of a column (coalesced).
template <typename T>
__global__ void residual_f_kernel(const T* A, int64_t m, int64_t n, const T* b, const T* r,
                                  const T* x, T* f) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < m;
       i += stride) {
    DoubleDouble acc;
    acc.hi = static_cast<double>(b[i]);
    dd_add_prod(acc, static_cast<double>(r[i]), -1.0);
    for (int64_t j = 0; j < n; ++j) {
      dd_add_prod(acc, static_cast<double>(A[j * m + i]), -static_cast<double>(x[j]));
    }
    f[i] = static_cast<T>(to_double(acc));
  }
}

// One block per column: g_j = -sum_i a_ij r_i, the block's partial sums merged pairwise in
// double-double (both halves added, as cpu.qr.refined merges its threads' partial sums).
template <typename T>
__global__ void __launch_bounds__(kRefineBlock) residual_g_kernel(const T* A, int64_t m, const T* r,
                                                            T* g) {
  __shared__ double s_hi[kRefineBlock];
  __shared__ double s_lo[kRefineBlock];
  const int64_t j = blockIdx.x;
  const int tid = static_cast<int>(threadIdx.x);
  const T* a = A + j * m;
  DoubleDouble acc;
  for (int64_t i = tid; i < m; i += kRefineBlock) {
    dd_add_prod(acc, static_cast<double>(a[i]), -static_cast<double>(r[i]));
  }
  s_hi[tid] = acc.hi;
  s_lo[tid] = acc.lo;
  __syncthreads();
  for (int half = kRefineBlock / 2; half > 0; half /= 2) {
    if (tid < half) {
      DoubleDouble v;
      v.hi = s_hi[tid];
      v.lo = s_lo[tid];
      dd_add(v, s_hi[tid + half]);
      dd_add(v, s_lo[tid + half]);
      s_hi[tid] = v.hi;
      s_lo[tid] = v.lo;
    }
    __syncthreads();
  }
  if (tid == 0) g[j] = static_cast<T>(s_hi[0] + s_lo[0]);
}

template <typename T>
__global__ void split_kernel(T* d, const T* h, T* dx, int64_t n) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < n;
       j += stride) {
    dx[j] = d[j] - h[j];
    d[j] = h[j];
  }
}

template <typename T>
__global__ void add_kernel(T* y, const T* x, int64_t n) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    y[i] += x[i];
  }
}

}  // namespace lsgd::cuda::detail
