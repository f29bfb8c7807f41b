// Residual kernels of cuda.qr.refined in double-double (see qr_refined.cuh). Grid-stride loops.
#include <algorithm>

#include "cpu/double_double.hpp"
#include "kernels/cuda_check.hpp"
#include "kernels/qr_refined.cuh"

namespace lsgd::cuda {
namespace {

using cpu::DoubleDouble;
using cpu::dd_add;
using cpu::dd_add_prod;
using cpu::to_double;

constexpr int kBlock = 256;  // a power of two: the tree reduction of residual_g_kernel halves it
constexpr int64_t kMaxBlocks = 4096;

unsigned grid_for(int64_t n) {
  const int64_t blocks = std::min<int64_t>((n + kBlock - 1) / kBlock, kMaxBlocks);
  return static_cast<unsigned>(std::max<int64_t>(blocks, 1));
}

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
__global__ void __launch_bounds__(kBlock) residual_g_kernel(const T* A, int64_t m, const T* r,
                                                            T* g) {
  __shared__ double s_hi[kBlock];
  __shared__ double s_lo[kBlock];
  const int64_t j = blockIdx.x;
  const int tid = static_cast<int>(threadIdx.x);
  const T* a = A + j * m;
  DoubleDouble acc;
  for (int64_t i = tid; i < m; i += kBlock) {
    dd_add_prod(acc, static_cast<double>(a[i]), -static_cast<double>(r[i]));
  }
  s_hi[tid] = acc.hi;
  s_lo[tid] = acc.lo;
  __syncthreads();
  for (int half = kBlock / 2; half > 0; half /= 2) {
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

}  // namespace

template <typename T>
void refine_residuals(const T* A, int64_t m, int64_t n, const T* b, const T* r, const T* x, T* f,
                      T* g, cudaStream_t stream) {
  if (m <= 0 || n <= 0) return;
  residual_f_kernel<T><<<grid_for(m), kBlock, 0, stream>>>(A, m, n, b, r, x, f);
  LSGD_CUDA_CHECK_LAUNCH();
  // n <= m <= INT_MAX (the solver checks the int range of ormqr): one block per column fits a grid.
  residual_g_kernel<T><<<static_cast<unsigned>(n), kBlock, 0, stream>>>(A, m, r, g);
  LSGD_CUDA_CHECK_LAUNCH();
}

template <typename T>
void refine_split(T* d, const T* h, T* dx, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  split_kernel<T><<<grid_for(n), kBlock, 0, stream>>>(d, h, dx, n);
  LSGD_CUDA_CHECK_LAUNCH();
}

template <typename T>
void add_in_place(T* y, const T* x, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  add_kernel<T><<<grid_for(n), kBlock, 0, stream>>>(y, x, n);
  LSGD_CUDA_CHECK_LAUNCH();
}

#define LSGD_REFINE_INSTANTIATE(T)                                                              \
  template void refine_residuals<T>(const T*, int64_t, int64_t, const T*, const T*, const T*, \
                                    T*, T*, cudaStream_t);                                    \
  template void refine_split<T>(T*, const T*, T*, int64_t, cudaStream_t);                     \
  template void add_in_place<T>(T*, const T*, int64_t, cudaStream_t);

LSGD_REFINE_INSTANTIATE(float)
LSGD_REFINE_INSTANTIATE(double)
#undef LSGD_REFINE_INSTANTIATE

}  // namespace lsgd::cuda
