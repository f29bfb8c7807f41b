#pragma once
// Device helpers of the gradient-descent kernels (kernels/bgd_*_device.cuh): the stopping rule, the
// per-problem record, and the reductions. Compiled by nvcc and by the CPU emulation
// (kernels/device_compat.hpp).
//
// Reductions whose results drive a decision (stop / step) are all-reductions that leave
// bit-identical values in every thread of a problem's group (butterflies: a + b == b + a; shared
// sums in a fixed order), so every thread takes the same branch and block barriers are never split.
#include <cstdint>

#include "kernels/bgd_kernels.cuh"
#include "kernels/device_compat.hpp"

namespace lsgd::cuda::gd::detail {

using i64 = std::int64_t;

template <typename T>
__device__ __forceinline__ T tiny_value();
template <>
__device__ __forceinline__ float tiny_value<float>() {
  return 1.17549435e-38f;  // FLT_MIN
}
template <>
__device__ __forceinline__ double tiny_value<double>() {
  return 2.2250738585072014e-308;  // DBL_MIN
}

// The stopping rule of the conventions, evaluated after f(x_k) and ||grad f(x_k)|| are known.
template <typename T>
__device__ __forceinline__ int decide(int k, T f, T gn, T f0, T g0, const GdParams& prm) {
  const T floor_f0 = f0 > tiny_value<T>() ? f0 : tiny_value<T>();
  if (!isfinite(f) || !isfinite(gn) || f > T(1e8) * floor_f0) return kDoneDiverged;
  if (prm.tol > 0.0 && gn <= static_cast<T>(prm.tol) * g0) return kDoneOk;
  if (k >= prm.max_iters) return prm.tol > 0.0 ? kDoneMaxIters : kDoneOk;
  return kRunning;
}

// Global side effects of one evaluation, by one thread per problem.
template <typename T>
__device__ void record(int k, int d, T f, T gn, i64 p, const GdParams& prm, const GdState<T>& st) {
  if (k == 0) {
    st.f0[p] = f;
    st.g0[p] = gn;
  }
  if (d != kDoneDiverged && prm.history_every > 0 && k % prm.history_every == 0) {
    atomicAdd(&st.hist_sum[k / prm.history_every], static_cast<double>(f));
    atomicAdd(&st.hist_cnt[k / prm.history_every], 1);
  }
  if (d != kRunning) {
    st.status[p] = d;
    st.iters[p] = k;
    st.f_last[p] = f;
    atomicSub(st.active, 1);
  }
}

template <typename T>
__device__ __forceinline__ T warp_all_sum(T v) {
#pragma unroll
  for (int o = 16; o >= 1; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Sum over the block, returned to every thread (blockDim a multiple of 32). The leading barrier
// protects `scratch` (>= 32 entries) from the readers of a previous call.
template <typename T>
__device__ T block_all_sum(T v, T* scratch) {
  v = warp_all_sum(v);
  const int w = threadIdx.x >> 5;
  const int nw = static_cast<int>(blockDim.x >> 5);
  __syncthreads();
  if ((threadIdx.x & 31) == 0) scratch[w] = v;
  __syncthreads();
  T s = T(0);
  for (int u = 0; u < nw; ++u) s += scratch[u];
  return s;
}

// dst[0..N) = src[0..N) from shared memory, 16-byte loads where the size allows (src 16-byte
// aligned). Every lane of a warp reads the same addresses: broadcasts, no bank conflicts.
template <int N>
__device__ __forceinline__ void load_shared_vec(const float* src, float (&dst)[N]) {
  if constexpr (N % 4 == 0) {
#pragma unroll
    for (int i = 0; i < N / 4; ++i) {
      const float4 v = reinterpret_cast<const float4*>(src)[i];
      dst[4 * i] = v.x;
      dst[4 * i + 1] = v.y;
      dst[4 * i + 2] = v.z;
      dst[4 * i + 3] = v.w;
    }
  } else {
#pragma unroll
    for (int i = 0; i < N; ++i) dst[i] = src[i];
  }
}
template <int N>
__device__ __forceinline__ void load_shared_vec(const double* src, double (&dst)[N]) {
  if constexpr (N % 2 == 0) {
#pragma unroll
    for (int i = 0; i < N / 2; ++i) {
      const double2 v = reinterpret_cast<const double2*>(src)[i];
      dst[2 * i] = v.x;
      dst[2 * i + 1] = v.y;
    }
  } else {
#pragma unroll
    for (int i = 0; i < N; ++i) dst[i] = src[i];
  }
}


// Transpose-reduction stage: vector half H, lane offset O (both halve each stage); scalar stages
// once the vector has one entry.
template <int H, int O, int L, typename T, int NMAX>
__device__ __forceinline__ void transpose_reduce(T (&v)[NMAX], int lane, unsigned mask) {
  if constexpr (H >= 1 && O >= 1) {
    const bool up = (lane & O) != 0;
#pragma unroll
    for (int k = 0; k < H; ++k) {
      const T send = up ? v[k] : v[k + H];
      const T keep = up ? v[k + H] : v[k];
      v[k] = keep + __shfl_xor_sync(mask, send, O, L);
    }
    transpose_reduce<H / 2, O / 2, L>(v, lane, mask);
  } else if constexpr (O >= 1) {
    v[0] += __shfl_xor_sync(mask, v[0], O, L);
    transpose_reduce<0, O / 2, L>(v, lane, mask);
  }
}

// Butterfly sum over lane offsets O, O/2, ..., OMIN.
template <int O, int OMIN, int L, typename T>
__device__ __forceinline__ T butterfly(T v, unsigned mask) {
  if constexpr (O >= OMIN && O >= 1) {
    v += __shfl_xor_sync(mask, v, O, L);
    return butterfly<O / 2, OMIN, L>(v, mask);
  } else {
    return v;
  }
}


}  // namespace lsgd::cuda::gd::detail
