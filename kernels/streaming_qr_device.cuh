#pragma once
// The streaming-QR kernel (cuda.batched.resident's solve, cuda.tsqr's reduction; interface in
// kernels/batched_resident.cuh, launched by kernels/batched_resident.cu). Compiled by nvcc and by
// the CPU emulation (kernels/device_compat.hpp).
#include <cstddef>
#include <limits>

#include "kernels/batched_resident.cuh"
#include "kernels/device_compat.hpp"

namespace lsgd::cuda::detail {

// Sum over the warp; every lane ends with the same bits (xor butterflies pair equal partial sums).
template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}

// LAPACK xLARFG for x = [alpha; x2] with ss = ||x2||^2: H = I - tau [1; v][1; v]^T,
// v = x2 * scale, maps x to [beta; 0]. ss == 0 needs no reflection (tau = 0, beta = alpha).
template <typename T>
__device__ __forceinline__ void householder(T alpha, T ss, T& beta, T& tau, T& scale) {
  if (ss == T(0)) {
    beta = alpha;
    tau = T(0);
    scale = T(0);
    return;
  }
  const T norm = sqrt(alpha * alpha + ss);
  beta = alpha >= T(0) ? -norm : norm;
  tau = (beta - alpha) / beta;
  scale = T(1) / (alpha - beta);  // |alpha - beta| = |alpha| + norm: no cancellation
}

// Shared memory (column-major): R accumulator n x (n+1) (column n holds c), panel P x (n+1)
// (column n holds b's rows), then tau[n], scale[n], x[n].
template <typename T>
LSGD_HOST_DEVICE constexpr size_t smem_elems(index_t n, index_t P) {
  return static_cast<size_t>(n * (n + 1) + P * (n + 1) + 3 * n);
}

// RPL rows per lane: a panel has P = 32*RPL rows; lane l of a warp owns rows l, l+32, ... of the
// column it works on. NW warps split the trailing columns of each Householder step (column k is
// handled by warp (k - j - 1) mod NW in step j), so a column's dot product and update need only
// warp shuffles, and a step needs one __syncthreads.
template <typename T, int RPL, int NW>
__global__ void __launch_bounds__(32 * NW) streaming_qr_kernel(StreamingQrArgs<T> a) {
  constexpr int P = 32 * RPL;
  constexpr int kThreads = 32 * NW;
  LSGD_DYNAMIC_SHARED(T, s_r);  // R(i,k) = s_r[k*n + i]

  const int n = static_cast<int>(a.n);
  const int n1 = n + 1;
  T* s_p = s_r + n * n1;                    // panel(i,k) = s_p[k*P + i]
  T* s_tau = s_p + P * n1;
  T* s_scale = s_tau + n;
  T* s_x = s_scale + n;

  const int tid = static_cast<int>(threadIdx.x);
  const int lane = tid & 31;
  const int warp = tid >> 5;
  const index_t g = blockIdx.x;
  const T* A = a.A + (a.solve ? g * a.a_stride : 0);
  const T* b = a.b + (a.solve ? g * a.b_stride : 0);
  const index_t r0 = a.solve ? 0 : g * a.chunk;
  const index_t r1 = a.solve || r0 + a.chunk > a.rows ? a.rows : r0 + a.chunk;

  for (int idx = tid; idx < n * n1; idx += kThreads) s_r[idx] = T(0);

  for (index_t ps = r0; ps < r1; ps += P) {
    // Panel load, zero-padded past r1 (zero rows leave R unchanged). Consecutive threads read
    // consecutive rows of a column: coalesced.
    for (int idx = tid; idx < P * n1; idx += kThreads) {
      const int i = idx % P;
      const int k = idx / P;
      const index_t row = ps + i;
      T v = T(0);
      if (row < r1) v = k < n ? A[static_cast<index_t>(k) * a.lda + row] : b[row];
      s_p[idx] = v;
    }
    __syncthreads();  // panel (and, on the first pass, the zeroed R) visible to all warps

    // Reflector of column 0 of [R; panel]: only R(0,0) and the panel rows are nonzero in it.
    if (warp == 0) {
      T ss = T(0);
#pragma unroll
      for (int r = 0; r < RPL; ++r) {
        const T v = s_p[lane + 32 * r];
        ss += v * v;
      }
      ss = warp_sum(ss);
      const T alpha = s_r[0];
      T beta, tau, scale;
      householder(alpha, ss, beta, tau, scale);
      __syncwarp();  // every lane has read R(0,0) before lane 0 overwrites it
      if (lane == 0) {
        s_tau[0] = tau;
        s_scale[0] = scale;
        s_r[0] = beta;
      }
    }
    __syncthreads();

    for (int j = 0; j < n; ++j) {
      // Step j applies reflector j (support: R row j and the panel rows) to columns j+1..n; the
      // warp that updates column j+1 also builds reflector j+1 for the next step.
      const T tau = s_tau[j];
      const T scale = s_scale[j];
      T v[RPL];
#pragma unroll
      for (int r = 0; r < RPL; ++r) v[r] = s_p[j * P + lane + 32 * r] * scale;

      for (int k = j + 1 + warp; k <= n; k += NW) {
        T c[RPL];
#pragma unroll
        for (int r = 0; r < RPL; ++r) c[r] = s_p[k * P + lane + 32 * r];
        if (tau != T(0)) {
          const T rjk = s_r[k * n + j];
          T w = T(0);
#pragma unroll
          for (int r = 0; r < RPL; ++r) w += v[r] * c[r];
          w = warp_sum(w) + rjk;
          const T t = tau * w;
#pragma unroll
          for (int r = 0; r < RPL; ++r) {
            c[r] -= t * v[r];
            s_p[k * P + lane + 32 * r] = c[r];
          }
          __syncwarp();  // every lane has read R(j,k) before lane 0 overwrites it
          if (lane == 0) s_r[k * n + j] = rjk - t;
        }
        if (k == j + 1 && k < n) {
          T ss = T(0);
#pragma unroll
          for (int r = 0; r < RPL; ++r) ss += c[r] * c[r];
          ss = warp_sum(ss);
          const T alpha = s_r[k * n + k];
          T beta, tau_k, scale_k;
          householder(alpha, ss, beta, tau_k, scale_k);
          __syncwarp();
          if (lane == 0) {
            s_tau[k] = tau_k;
            s_scale[k] = scale_k;
            s_r[k * n + k] = beta;
          }
        }
      }
      __syncthreads();  // column j+1 and reflector j+1 complete before step j+1 reads them
    }
  }

  if (!a.solve) {
    // The lower triangle of s_r was never written: it is still zero.
    for (int idx = tid; idx < n * n1; idx += kThreads) {
      const int i = idx % n;
      const int k = idx / n;
      a.out[static_cast<index_t>(k) * a.ldo + g * n + i] = s_r[idx];
    }
    return;
  }

  // Solve mode. Rank test as in cpu.qr: |R(j,j)| is the distance of column j from the span of the
  // columns before it, compared with the column's norm (= ||R(0:j, j)||, as Q is orthogonal) times
  // the rounding-noise level rank_tol = 10 sqrt(m) eps. Then back-substitution R x = c.
  int col_ok = 1;
  for (int j = tid; j < n; j += kThreads) {
    T col = T(0);
    for (int i = 0; i <= j; ++i) col += s_r[j * n + i] * s_r[j * n + i];
    if (!(fabs(s_r[j * n + j]) > a.rank_tol * sqrt(col))) col_ok = 0;
  }
  bool ok = __syncthreads_and(col_ok) != 0;  // uniform across the block: the loop may synchronize
  if (ok) {
    T* c = s_r + n * n;
    for (int j = n - 1; j >= 0; --j) {
      if (tid == 0) s_x[j] = c[j] / s_r[j * n + j];
      __syncthreads();
      const T xj = s_x[j];
      for (int i = tid; i < j; i += kThreads) c[i] -= s_r[j * n + i] * xj;
      __syncthreads();
    }
    int finite = 1;
    for (int i = tid; i < n; i += kThreads) {
      if (!isfinite(s_x[i])) finite = 0;
    }
    ok = __syncthreads_and(finite) != 0;
  }
  for (int i = tid; i < n; i += kThreads) {
    a.x[g * n + i] = ok ? s_x[i] : std::numeric_limits<T>::quiet_NaN();
  }
  if (tid == 0) a.status[g] = ok ? 0 : 1;
}

}  // namespace lsgd::cuda::detail
