#pragma once
// The streamed gradient-descent kernels (cuda.bgd.fused, the streamed fallback of
// cuda.bgd.resident, cuda.gd, and the update of cuda.bgd.cublas) and the state kernels; launched by
// kernels/bgd_stream.cu. Compiled by nvcc and by the CPU emulation (kernels/device_compat.hpp).
#include <algorithm>
#include <cstdint>

#include "kernels/bgd_device.cuh"

namespace lsgd::cuda::gd::detail {

// ---------------------------------------------------------------------------------------------
// State management.

template <typename T>
__global__ void reset_kernel(GdParams prm, GdState<T> st) {
  const i64 total = prm.batch * prm.n;
  const i64 top = total > prm.batch ? total : prm.batch;
  for (i64 i = static_cast<i64>(blockIdx.x) * blockDim.x + threadIdx.x; i < top;
       i += static_cast<i64>(gridDim.x) * blockDim.x) {
    if (i < total) st.x[i] = T(0);
    if (i < prm.batch) {
      st.status[i] = kRunning;
      st.iters[i] = 0;
      st.f_last[i] = T(0);
      st.f0[i] = T(0);
      st.g0[i] = T(0);
    }
  }
  if (blockIdx.x == 0 && threadIdx.x == 0) *st.active = static_cast<int>(prm.batch);
}

template <typename T>
__global__ void fill_x_kernel(GdParams prm, GdState<T> st, T value) {
  const i64 total = prm.batch * prm.n;
  for (i64 i = static_cast<i64>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += static_cast<i64>(gridDim.x) * blockDim.x) {
    st.x[i] = value;
  }
}

template <typename T>
__global__ void given_lipschitz_kernel(GdParams prm, GdState<T> st) {
  for (i64 p = static_cast<i64>(blockIdx.x) * blockDim.x + threadIdx.x; p < prm.batch;
       p += static_cast<i64>(gridDim.x) * blockDim.x) {
    const T lip = static_cast<T>(prm.lipschitz);
    st.lip[p] = lip;
    st.alpha[p] = prm.step > 0.0 ? static_cast<T>(prm.step) : T(1) / lip;
  }
}

// ---------------------------------------------------------------------------------------------
// Streamed one-pass gradient.
//
// Block (p, c) owns rows [c*chunk_rows, min(m, (c+1)*chunk_rows)) of problem p. Per tile of R rows:
// stage the R x n tile in shared memory (column-major, leading dimension R+1 so that both the
// row-wise and the column-wise sweeps are free of bank conflicts), r_i = a_i . x - b_i with NT/R
// threads per row, then g_j += sum_i r_i a_ij with NT/n threads per column (or 1 thread for up to
// 4 columns when n > NT). Shared memory: n(R+1) tile + n (x) + R (r) + NT (partials) + 32.
template <typename T>
__global__ void stream_gradient_kernel(const T* __restrict__ A, const T* __restrict__ b,
                                       GdParams prm, GdState<T> st, int R, int log2_r,
                                       i64 chunk_rows, i64 chunks, T* __restrict__ gpart,
                                       T* __restrict__ rrpart) {
  LSGD_DYNAMIC_SHARED(T, S);
  const i64 blk = blockIdx.x;
  const i64 p = blk / chunks;
  const i64 c = blk - p * chunks;
  if (p >= prm.batch) return;
  if (st.status[p] != kRunning) return;  // uniform in the block

  const i64 m = prm.m;
  const int n = static_cast<int>(prm.n);
  const int t = threadIdx.x;
  const int NT = blockDim.x;
  const int LDT = R + 1;
  T* xs = S + static_cast<i64>(n) * LDT;
  T* rs = xs + n;
  T* red = rs + R;
  T* scratch = red + NT;

  const T* Ap = A + p * m * n;
  const T* bp = b != nullptr ? b + p * m : nullptr;
  for (int j = t; j < n; j += NT) xs[j] = st.x[p * n + j];

  const i64 row0 = c * chunk_rows;
  const i64 row_end = std::min<i64>(m, row0 + chunk_rows);
  const bool gsplit = n <= NT;
  const int G = gsplit ? NT / n : 1;
  const bool gactive = !gsplit || t < G * n;
  const int gj = gsplit ? t % n : t;
  const int gs = gsplit ? t / n : 0;
  const int Q = NT / R;
  const int ri = t & (R - 1);
  const int rq = t >> log2_r;
  const int total = R * n;
  T gacc[4] = {T(0), T(0), T(0), T(0)};
  T rr = T(0);
  __syncthreads();

  constexpr int U = 8;
  for (i64 tile0 = row0; tile0 < row_end; tile0 += R) {
    const int rv = static_cast<int>(std::min<i64>(R, row_end - tile0));
    // Stage: element e of the tile is (i = e mod R, j = e / R): consecutive threads read
    // consecutive rows of one column (coalesced), U loads in flight per thread.
    for (int e0 = 0; e0 < total; e0 += NT * U) {
      T v[U];
#pragma unroll
      for (int u = 0; u < U; ++u) {
        const int e = e0 + u * NT + t;
        const int i = e & (R - 1);
        const int j = e >> log2_r;
        v[u] = (e < total && i < rv) ? __ldg(Ap + (tile0 + i) + static_cast<i64>(j) * m) : T(0);
      }
#pragma unroll
      for (int u = 0; u < U; ++u) {
        const int e = e0 + u * NT + t;
        if (e < total) S[(e >> log2_r) * LDT + (e & (R - 1))] = v[u];
      }
    }
    __syncthreads();
    {
      T acc = T(0);
      for (int j = rq; j < n; j += Q) acc = fma(S[j * LDT + ri], xs[j], acc);
      red[rq * R + ri] = acc;
    }
    __syncthreads();
    if (t < R) {
      T r = T(0);
      for (int q = 0; q < Q; ++q) r += red[q * R + t];
      if (bp != nullptr && t < rv) r -= __ldg(bp + tile0 + t);
      rs[t] = r;
      rr = fma(r, r, rr);
    }
    __syncthreads();
    if (gsplit) {
      if (gactive) {
        T acc = gacc[0];
        for (int i = gs; i < R; i += G) acc = fma(S[gj * LDT + i], rs[i], acc);
        gacc[0] = acc;
      }
    } else {
#pragma unroll
      for (int kk = 0; kk < 4; ++kk) {
        const int j = t + kk * NT;
        if (j < n) {
          T acc = gacc[kk];
          for (int i = 0; i < R; ++i) acc = fma(S[j * LDT + i], rs[i], acc);
          gacc[kk] = acc;
        }
      }
    }
    __syncthreads();  // the next tile overwrites S, red and rs
  }

  T* gout = gpart + (p * chunks + c) * n;
  if (gsplit) {
    red[t] = gactive ? gacc[0] : T(0);
    __syncthreads();
    if (t < n) {
      T s = T(0);
      for (int u = 0; u < G; ++u) s += red[u * n + t];
      gout[t] = s;
    }
  } else {
#pragma unroll
    for (int kk = 0; kk < 4; ++kk) {
      const int j = t + kk * NT;
      if (j < n) gout[j] = gacc[kk];
    }
  }
  rr = block_all_sum(rr, scratch);
  if (t == 0 && rrpart != nullptr) rrpart[p * chunks + c] = rr;
}

// gp[j] = sum over chunks of gp[c*n + j]; afterwards thread t owns the columns j = t, t + NT, ...
// (the same ownership in both branches, so callers may read back what they own).
template <typename T>
__device__ void column_sums(T* gp, i64 chunks, int n, T* red) {
  const int t = threadIdx.x;
  const int NT = blockDim.x;
  if (chunks == 1) return;
  if (n <= NT / 2) {
    const int G = NT / n;
    T acc = T(0);
    if (t < G * n) {
      const int j = t % n;
      for (i64 c = t / n; c < chunks; c += G) acc += gp[c * n + j];
    }
    red[t] = acc;
    __syncthreads();
    if (t < n) {
      T s = T(0);
      for (int u = 0; u < G; ++u) s += red[u * n + t];
      gp[t] = s;
    }
  } else {
    for (int j = t; j < n; j += NT) {
      T s = T(0);
      for (i64 c = 0; c < chunks; ++c) s += gp[c * n + j];
      gp[j] = s;
    }
  }
}

template <typename T>
__global__ void update_kernel(int k, GdParams prm, GdState<T> st, T* gpart, const T* rrpart,
                              const T* r_vec, i64 chunks) {
  __shared__ T red[256];
  __shared__ T scratch[32];
  const i64 p = blockIdx.x;
  if (p >= prm.batch) return;
  if (st.status[p] != kRunning) return;  // uniform in the block
  const int n = static_cast<int>(prm.n);
  const i64 m = prm.m;
  const int t = threadIdx.x;
  const int NT = blockDim.x;
  const T lam = static_cast<T>(prm.lambda);
  T* gp = gpart + p * chunks * n;
  T* xp = st.x + p * n;
  column_sums(gp, chunks, n, red);

  T gg = T(0), xx = T(0), rr = T(0);
  for (int j = t; j < n; j += NT) {
    const T xj = xp[j];
    const T g = gp[j] / static_cast<T>(m) + lam * xj;
    gp[j] = g;
    gg = fma(g, g, gg);
    xx = fma(xj, xj, xx);
  }
  if (r_vec != nullptr) {
    const T* rp = r_vec + p * m;
    for (i64 i = t; i < m; i += NT) rr = fma(rp[i], rp[i], rr);
  } else {
    for (i64 c = t; c < chunks; c += NT) rr += rrpart[p * chunks + c];
  }
  gg = block_all_sum(gg, scratch);
  xx = block_all_sum(xx, scratch);
  rr = block_all_sum(rr, scratch);
  const T f = rr / (T(2) * static_cast<T>(m)) + T(0.5) * lam * xx;
  const T gn = sqrt(gg);
  const T f0 = k == 0 ? f : st.f0[p];
  const T g0 = k == 0 ? gn : st.g0[p];
  const int d = decide(k, f, gn, f0, g0, prm);
  if (t == 0) record(k, d, f, gn, p, prm, st);
  if (d != kRunning) return;
  const T alpha = st.alpha[p];
  for (int j = t; j < n; j += NT) xp[j] -= alpha * gp[j];
}

template <typename T>
__global__ void power_update_kernel(GdParams prm, GdState<T> st, T* gpart, i64 chunks, bool last) {
  __shared__ T red[256];
  __shared__ T scratch[32];
  const i64 p = blockIdx.x;
  if (p >= prm.batch) return;
  const int n = static_cast<int>(prm.n);
  const T m = static_cast<T>(prm.m);
  const int t = threadIdx.x;
  const int NT = blockDim.x;
  T* gp = gpart + p * chunks * n;
  T* xp = st.x + p * n;
  column_sums(gp, chunks, n, red);
  T ww = T(0);
  for (int j = t; j < n; j += NT) {
    const T w = gp[j] / m;
    gp[j] = w;
    ww = fma(w, w, ww);
  }
  ww = block_all_sum(ww, scratch);
  const T L = sqrt(ww);
  for (int j = t; j < n; j += NT) xp[j] = L > T(0) ? gp[j] / L : T(0);
  if (last && t == 0) {
    const T lip = L + static_cast<T>(prm.lambda);
    st.lip[p] = lip;
    st.alpha[p] = prm.step > 0.0 ? static_cast<T>(prm.step) : (lip > T(0) ? T(1) / lip : T(0));
  }
}

}  // namespace lsgd::cuda::gd::detail
