#pragma once
// Element-wise kernels of the GPU least-squares solvers and the column norms of R for their rank
// checks (interface kernels/lstsq_kernels.hpp, launched by kernels/lstsq_kernels.cu). Grid-stride
// loops. Compiled by nvcc and by the CPU emulation (kernels/device_compat.hpp).
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

// NaN wins, then the larger: a NaN entry must make its column's norm non-finite (fmax drops NaN).
struct NanMax {
  template <typename T>
  LSGD_HOST_DEVICE T operator()(T a, T b) const {
    if (a != a) return a;
    if (b != b) return b;
    return a > b ? a : b;
  }
};
struct Plus {
  template <typename T>
  LSGD_HOST_DEVICE T operator()(T a, T b) const {
    return a + b;
  }
};

// Block-wide reduction of v over BLOCK threads (a power of two) through s[BLOCK]; every thread
// gets the result. Called by every thread of the block (the barriers).
template <typename T, int BLOCK, typename Op>
__device__ T block_reduce(T v, T* s, Op op) {
  const int tid = static_cast<int>(threadIdx.x);
  s[tid] = v;
  __syncthreads();
  for (int half = BLOCK / 2; half > 0; half /= 2) {
    if (tid < half) s[tid] = op(s[tid], s[tid + half]);
    __syncthreads();
  }
  const T out = s[0];
  __syncthreads();  // s[0] is read by every thread before s is written again
  return out;
}

// norms[j] = ||R(0:j, j)|| for j < n, R upper triangular, column-major, leading dimension ldr:
// one block of BLOCK threads per column (grid-stride over the columns; every thread of a block
// takes the same columns, so the barriers are uniform). Overflow-safe like LAPACK's nrm2: the
// squares are of R(i, j) / max_i |R(i, j)|, so columns near the largest finite value do not
// overflow; max 0 gives 0 and a non-finite max (Inf or NaN in the column) is returned as the norm.
template <typename T, int BLOCK>
__global__ void r_column_norms_kernel(const T* R, int64_t ldr, int64_t n, T* norms) {
  __shared__ T red[BLOCK];
  const int tid = static_cast<int>(threadIdx.x);
  for (int64_t j = static_cast<int64_t>(blockIdx.x); j < n; j += gridDim.x) {
    const T* col = R + j * ldr;
    const int64_t rows = j + 1;
    T big = T(0);
    for (int64_t i = tid; i < rows; i += BLOCK) big = NanMax{}(big, static_cast<T>(fabs(col[i])));
    big = block_reduce<T, BLOCK>(big, red, NanMax{});
    const bool scaled = big > T(0) && isfinite(big);  // the same in every thread of the block
    T sum = T(0);
    if (scaled) {
      for (int64_t i = tid; i < rows; i += BLOCK) {
        const T t = col[i] / big;  // division, not a reciprocal: 1 / big overflows for subnormals
        sum = fma(t, t, sum);
      }
    }
    sum = block_reduce<T, BLOCK>(sum, red, Plus{});
    if (tid == 0) norms[j] = scaled ? big * static_cast<T>(sqrt(sum)) : big;
  }
}

}  // namespace lsgd::cuda::detail
