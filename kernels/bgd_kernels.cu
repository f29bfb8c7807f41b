// Our own gradient-descent kernels: the streamed one-pass gradient + per-problem update
// (cuda.bgd.fused, cuda.gd), the register-resident single-launch solver (cuda.bgd.resident) and the
// Gram-matrix single-launch solver (cuda.bgd.gram). See kernels/bgd_kernels.cuh for the contract.
//
// Reductions whose results drive a decision (stop / step) are all-reductions that leave bit-identical
// values in every thread of a problem's group (butterflies: a + b == b + a; shared sums in a fixed
// order), so every thread takes the same branch and block barriers are never split.
#include <algorithm>
#include <cstdint>

#include <cuda_runtime.h>

#include "kernels/bgd_kernels.cuh"
#include "kernels/cuda_check.hpp"
#include "kernels/cuda_raii.hpp"

namespace lsgd::cuda::gd {
namespace {

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

int grid_for(i64 work, int threads) {
  const i64 g = (work + threads - 1) / threads;
  return static_cast<int>(std::max<i64>(1, std::min<i64>(g, 65535)));
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
  extern __shared__ __align__(16) unsigned char smem_raw[];
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
  T* S = reinterpret_cast<T*>(smem_raw);
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

// ---------------------------------------------------------------------------------------------
// Register-resident kernel.
//
// A group of TPP threads owns one problem: thread q holds rows q, q + TPP, ..., (RPL rows) of A and b
// in registers, x in full (NMAX registers). Per evaluation: r = A_rows x - b locally, partial
// g = A_rows^T r (NMAX values), then a transpose-reduction across the L lanes of the group (each
// stage halves the vector: log2(NMAX) + log2(L/NMAX) shuffles per lane instead of NMAX log2(L))
// after which lane l owns OW = max(1, NMAX/L) entries of the gradient; MULTI groups (TPP > 32, one
// problem per block) add the warps' results through shared memory in a fixed order. The owners
// step their x entries and broadcast x back: through a per-group (MULTI: per-warp) slice of shared
// memory read with 16-byte loads when NMAX >= 8 and the group has >= 4 lanes (1 store + NMAX/4
// loads instead of NMAX shuffles, the scarcer unit), with NMAX shuffles otherwise.

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

template <typename T, int NMAX>
constexpr int resident_rows_per_lane() {
  // A values per thread: 64 (float; 128 at n = 32, where 4 rows per thread halve the reduction and
  // broadcast work per problem) or 32 (double) registers' worth, at least one row.
  constexpr int budget = sizeof(T) == 4 ? (NMAX == 32 ? 128 : 64) : 32;
  return budget / NMAX > 0 ? budget / NMAX : 1;
}

template <typename T, int NMAX, int RPL, int L, bool MULTI>
__global__ void __launch_bounds__(256) resident_kernel(const T* __restrict__ A,
                                                       const T* __restrict__ b, GdParams prm,
                                                       GdState<T> st) {
  constexpr int OW = NMAX >= L ? NMAX / L : 1;   // gradient entries owned per lane
  constexpr int REP = NMAX >= L ? 1 : L / NMAX;  // lanes owning the same entry
  constexpr bool SMEM_BCAST = MULTI || (NMAX >= 8 && L >= 4);
  constexpr int REGIONS = MULTI ? 8 : 256 / L;
  __shared__ T red[MULTI ? 2 : 1][MULTI ? 8 : 1][NMAX];
  __shared__ T rred[MULTI ? 2 : 1][MULTI ? 8 : 1];
  __shared__ __align__(16) T xsh[SMEM_BCAST ? REGIONS : 1][SMEM_BCAST ? NMAX : 1];

  const int tid = threadIdx.x;
  i64 p;
  int q, lane, tpp;
  unsigned mask;
  if constexpr (MULTI) {
    p = blockIdx.x;
    q = tid;
    lane = tid & 31;
    tpp = blockDim.x;
    mask = 0xffffffffu;
  } else {
    p = static_cast<i64>(blockIdx.x) * (blockDim.x / L) + tid / L;
    q = tid % L;
    lane = q;
    tpp = L;
    if constexpr (L == 32) {
      mask = 0xffffffffu;
    } else {
      mask = ((1u << L) - 1u) << ((tid & 31) & ~(L - 1));
    }
  }
  if (p >= prm.batch) return;  // MULTI: the whole block; otherwise the whole group

  const i64 m = prm.m;
  const int n = static_cast<int>(prm.n);
  const T* Ap = A + p * m * n;
  const T* bp = b + p * m;
  T a[RPL][NMAX];
  T bv[RPL];
#pragma unroll
  for (int s = 0; s < RPL; ++s) {
    const i64 row = q + static_cast<i64>(tpp) * s;
    const bool rok = row < m;
#pragma unroll
    for (int j = 0; j < NMAX; ++j) {
      a[s][j] = (rok && j < n) ? __ldg(Ap + row + static_cast<i64>(j) * m) : T(0);
    }
    bv[s] = rok ? __ldg(bp + row) : T(0);
  }
  const int jbase = NMAX >= L ? lane * OW : lane / REP;
  const bool writer = (lane % REP) == 0 && (!MULTI || tid < 32);
  const bool leader = q == 0;
  int par = 0;

  // Full local x from the owners' entries.
  auto broadcast = [&](const T(&xo)[OW], T(&xr)[NMAX]) {
    if constexpr (SMEM_BCAST) {
      T* xg = xsh[MULTI ? (tid >> 5) : (tid / L)];
      __syncwarp(mask);  // the previous broadcast's readers are done
      if (lane % REP == 0) {
#pragma unroll
        for (int k = 0; k < OW; ++k) xg[jbase + k] = xo[k];
      }
      __syncwarp(mask);
      load_shared_vec(xg, xr);
    } else if constexpr (NMAX >= L) {
#pragma unroll
      for (int k = 0; k < OW; ++k) {
#pragma unroll
        for (int s = 0; s < L; ++s) xr[s * OW + k] = __shfl_sync(mask, xo[k], s, L);
      }
    } else {
#pragma unroll
      for (int j = 0; j < NMAX; ++j) xr[j] = __shfl_sync(mask, xo[0], j * REP, L);
    }
  };
  // gv[0..OW) <- owned entries of A^T (A x - b) (or A^T A x), rr <- ||A x - b||^2, group-wide.
  auto evaluate = [&](const T(&xr)[NMAX], bool with_b, T(&gv)[NMAX], T& rr) {
    rr = T(0);
#pragma unroll
    for (int j = 0; j < NMAX; ++j) gv[j] = T(0);
#pragma unroll
    for (int s = 0; s < RPL; ++s) {
      T r = with_b ? -bv[s] : T(0);
#pragma unroll
      for (int j = 0; j < NMAX; ++j) r = fma(a[s][j], xr[j], r);
      rr = fma(r, r, rr);
#pragma unroll
      for (int j = 0; j < NMAX; ++j) gv[j] = fma(r, a[s][j], gv[j]);
    }
    transpose_reduce<NMAX / 2, L / 2, L>(gv, lane, mask);
    rr = butterfly<L / 2, 1, L>(rr, mask);
    if constexpr (MULTI) {
      const int w = tid >> 5;
      const int nw = blockDim.x >> 5;
      if (lane % REP == 0) {
#pragma unroll
        for (int k = 0; k < OW; ++k) red[par][w][jbase + k] = gv[k];
      }
      if (lane == 0) rred[par][w] = rr;
      __syncthreads();
#pragma unroll
      for (int k = 0; k < OW; ++k) {
        T s = T(0);
        for (int u = 0; u < nw; ++u) s += red[par][u][jbase + k];
        gv[k] = s;
      }
      T s = T(0);
      for (int u = 0; u < nw; ++u) s += rred[par][u];
      rr = s;
      par ^= 1;  // double buffer: the next evaluation writes the other half
    }
  };

  const T mT = static_cast<T>(m);
  const T lam = static_cast<T>(prm.lambda);
  T xo[OW];
  T xr[NMAX];
  T gv[NMAX];
  T rr;

  // Lipschitz constant.
  T lip;
  if (prm.lipschitz > 0.0) {
    lip = static_cast<T>(prm.lipschitz);
  } else {
    const T v0 = T(1) / sqrt(static_cast<T>(n));
#pragma unroll
    for (int k = 0; k < OW; ++k) xo[k] = (jbase + k < n) ? v0 : T(0);
    broadcast(xo, xr);
    T L2 = T(0);
    for (int it = 0; it < prm.power_iters; ++it) {
      evaluate(xr, false, gv, rr);
      T ww = T(0);
#pragma unroll
      for (int k = 0; k < OW; ++k) {
        gv[k] = gv[k] / mT;
        ww = fma(gv[k], gv[k], ww);
      }
      ww = butterfly<L / 2, REP, L>(ww, mask);
      L2 = sqrt(ww);
#pragma unroll
      for (int k = 0; k < OW; ++k) xo[k] = L2 > T(0) ? gv[k] / L2 : T(0);
      broadcast(xo, xr);
    }
    lip = L2 + lam;
  }
  const T alpha =
      prm.step > 0.0 ? static_cast<T>(prm.step) : (lip > T(0) ? T(1) / lip : T(0));
  if (leader) {
    st.lip[p] = lip;
    st.alpha[p] = alpha;
  }

  // Gradient descent from x0 = 0.
#pragma unroll
  for (int k = 0; k < OW; ++k) xo[k] = T(0);
#pragma unroll
  for (int j = 0; j < NMAX; ++j) xr[j] = T(0);
  T f0 = T(0), g0 = T(0);
  for (int k = 0;; ++k) {
    evaluate(xr, true, gv, rr);
    T gg = T(0);
#pragma unroll
    for (int kk = 0; kk < OW; ++kk) {
      gv[kk] = gv[kk] / mT + lam * xo[kk];
      gg = fma(gv[kk], gv[kk], gg);
    }
    gg = butterfly<L / 2, REP, L>(gg, mask);
    T xx = T(0);
#pragma unroll
    for (int j = 0; j < NMAX; ++j) xx = fma(xr[j], xr[j], xx);
    const T f = rr / (T(2) * mT) + T(0.5) * lam * xx;
    const T gn = sqrt(gg);
    if (k == 0) {
      f0 = f;
      g0 = gn;
    }
    const int d = decide(k, f, gn, f0, g0, prm);
    if (leader) record(k, d, f, gn, p, prm, st);
    if (d != kRunning) break;
#pragma unroll
    for (int kk = 0; kk < OW; ++kk) xo[kk] -= alpha * gv[kk];
    broadcast(xo, xr);
  }
  if (writer) {
#pragma unroll
    for (int k = 0; k < OW; ++k) {
      if (jbase + k < n) st.x[p * n + jbase + k] = xo[k];
    }
  }
}

template <typename T, int NMAX, int RPL, int L, bool MULTI>
void launch_resident_cfg(const T* A, const T* b, const GdParams& prm, const GdState<T>& st,
                         int tpp, cudaStream_t s) {
  i64 blocks;
  int threads;
  if constexpr (MULTI) {
    threads = tpp;
    blocks = prm.batch;
  } else {
    threads = 256;
    const i64 per_block = 256 / L;
    blocks = (prm.batch + per_block - 1) / per_block;
  }
  if (blocks > 2147483647LL) throw InvalidInput("cuda.bgd.resident: batch too large for one grid");
  resident_kernel<T, NMAX, RPL, L, MULTI>
      <<<static_cast<unsigned>(blocks), threads, 0, s>>>(A, b, prm, st);
  LSGD_CUDA_CHECK_LAUNCH();
}

template <typename T, int NMAX>
void dispatch_resident(const T* A, const T* b, const GdParams& prm, const GdState<T>& st,
                       cudaStream_t s) {
  constexpr int RPL = resident_rows_per_lane<T, NMAX>();
  const i64 lanes = (prm.m + RPL - 1) / RPL;
  int tpp = 1;
  while (tpp < lanes) tpp *= 2;
  switch (tpp) {
    case 1: return launch_resident_cfg<T, NMAX, RPL, 1, false>(A, b, prm, st, tpp, s);
    case 2: return launch_resident_cfg<T, NMAX, RPL, 2, false>(A, b, prm, st, tpp, s);
    case 4: return launch_resident_cfg<T, NMAX, RPL, 4, false>(A, b, prm, st, tpp, s);
    case 8: return launch_resident_cfg<T, NMAX, RPL, 8, false>(A, b, prm, st, tpp, s);
    case 16: return launch_resident_cfg<T, NMAX, RPL, 16, false>(A, b, prm, st, tpp, s);
    case 32: return launch_resident_cfg<T, NMAX, RPL, 32, false>(A, b, prm, st, tpp, s);
    case 64:
    case 128:
    case 256: return launch_resident_cfg<T, NMAX, RPL, 32, true>(A, b, prm, st, tpp, s);
    default:
      throw InvalidInput("cuda.bgd.resident: m = " + std::to_string(prm.m) +
                         " exceeds the register-resident limit " +
                         std::to_string(256 * RPL) + " for n = " + std::to_string(prm.n));
  }
}

// ---------------------------------------------------------------------------------------------
// Gram kernel: a group of GS threads per problem (GS = next power of two >= n; several problems per
// 256-thread block for n <= 32, one problem per block of 64 or 128 threads otherwise). Thread j < n
// owns row j of G (G is symmetric: row j = column j): (G x)_j, g_j = (G x)_j - c_j + lambda x_j.
// n <= 32: row j in registers, x in a per-group slice of shared memory read back with vector loads;
// n > 32: G (n x n) and x in (dynamic) shared memory.
// f(x) = x.(G x/2 - c) + lambda/2 ||x||^2 + ||b||^2/(2m).
template <typename T, int L, bool MULTI>
__global__ void __launch_bounds__(256) gram_kernel(const T* __restrict__ G, const T* __restrict__ c,
                                                   const T* __restrict__ b, GdParams prm,
                                                   GdState<T> st) {
  extern __shared__ __align__(16) unsigned char smem_raw[];
  __shared__ T scratch[32];
  __shared__ __align__(16) T xsh[MULTI ? 1 : 256];
  const int n = static_cast<int>(prm.n);
  const i64 m = prm.m;
  const int tid = threadIdx.x;
  i64 p;
  int j, gsize, gi;
  unsigned mask = 0xffffffffu;
  if constexpr (MULTI) {
    p = blockIdx.x;
    j = tid;
    gsize = blockDim.x;
    gi = 0;
  } else {
    gi = tid / L;
    p = static_cast<i64>(blockIdx.x) * (blockDim.x / L) + gi;
    j = tid % L;
    gsize = L;
    if constexpr (L < 32) mask = ((1u << L) - 1u) << ((tid & 31) & ~(L - 1));
  }
  if (p >= prm.batch) return;  // MULTI: the whole block; otherwise the whole group

  auto group_sync = [&]() {
    if constexpr (MULTI) {
      __syncthreads();
    } else {
      __syncwarp(mask);
    }
  };
  auto group_sum = [&](T v) -> T {
    if constexpr (MULTI) {
      return block_all_sum(v, scratch);
    } else {
      return butterfly<L / 2, 1, L>(v, mask);
    }
  };

  const i64 nn = static_cast<i64>(n) * n;
  const T* Gp = G + p * nn;
  const bool own = j < n;
  T* Gs = nullptr;
  T* xs = nullptr;
  T grow[MULTI ? 1 : L];
  if constexpr (MULTI) {
    Gs = reinterpret_cast<T*>(smem_raw);
    xs = Gs + nn;
    for (i64 e = j; e < nn; e += gsize) Gs[e] = Gp[e];
  } else {
    xs = xsh + gi * L;
#pragma unroll
    for (int i = 0; i < L; ++i) grow[i] = (own && i < n) ? Gp[j + static_cast<i64>(i) * n] : T(0);
    xs[j] = T(0);  // entries n..L-1 stay zero (they meet zero rows of G, but NaN * 0 is NaN)
  }
  const T cj = own ? c[p * n + j] : T(0);
  T bb = T(0);
  for (i64 i = j; i < m; i += gsize) {
    const T bi = b[p * m + i];
    bb = fma(bi, bi, bb);
  }
  bb = group_sum(bb) / (T(2) * static_cast<T>(m));
  const T lam = static_cast<T>(prm.lambda);

  auto matvec = [&]() -> T {
    T s = T(0);
    if constexpr (MULTI) {
      if (own) {
        for (int i = 0; i < n; ++i) s = fma(Gs[j + static_cast<i64>(i) * n], xs[i], s);
      }
    } else {
      T xr[L];
      load_shared_vec(xs, xr);
#pragma unroll
      for (int i = 0; i < L; ++i) s = fma(grow[i], xr[i], s);
    }
    return s;
  };

  T lip;
  if (prm.lipschitz > 0.0) {
    lip = static_cast<T>(prm.lipschitz);
  } else {
    if (own) xs[j] = T(1) / sqrt(static_cast<T>(n));
    group_sync();
    T L2 = T(0);
    for (int it = 0; it < prm.power_iters; ++it) {
      const T w = matvec();
      L2 = sqrt(group_sum(w * w));
      group_sync();  // every read of xs is done
      if (own) xs[j] = L2 > T(0) ? w / L2 : T(0);
      group_sync();
    }
    lip = L2 + lam;
  }
  const T alpha =
      prm.step > 0.0 ? static_cast<T>(prm.step) : (lip > T(0) ? T(1) / lip : T(0));
  if (j == 0) {
    st.lip[p] = lip;
    st.alpha[p] = alpha;
  }
  group_sync();
  T xj = T(0);
  if (own) xs[j] = T(0);
  group_sync();

  T f0 = T(0), g0 = T(0);
  for (int k = 0;; ++k) {
    const T gx = matvec();
    const T g = own ? gx - cj + lam * xj : T(0);
    const T fterm = own ? xj * (T(0.5) * gx - cj) + T(0.5) * lam * xj * xj : T(0);
    const T gn = sqrt(group_sum(g * g));
    const T f = group_sum(fterm) + bb;
    if (k == 0) {
      f0 = f;
      g0 = gn;
    }
    const int d = decide(k, f, gn, f0, g0, prm);
    if (j == 0) record(k, d, f, gn, p, prm, st);
    if (d != kRunning) break;
    group_sync();  // every read of xs is done
    xj -= alpha * g;
    if (own) xs[j] = xj;
    group_sync();
  }
  if (own) st.x[p * n + j] = xj;
}

template <typename T, int L, bool MULTI>
void launch_gram_cfg(const T* G, const T* c, const T* b, const GdParams& prm,
                     const GdState<T>& st, int threads, cudaStream_t s) {
  const i64 per_block = MULTI ? 1 : threads / L;
  const i64 blocks = (prm.batch + per_block - 1) / per_block;
  if (blocks > 2147483647LL) throw InvalidInput("cuda.bgd.gram: batch too large for one grid");
  // Dynamic shared memory only for n > 32: G and x of the block's one problem.
  const size_t smem = MULTI ? static_cast<size_t>(prm.n * prm.n + prm.n) * sizeof(T) : 0;
  // The shared-memory limit beyond 48 KB was raised in setup (prepare_gram).
  gram_kernel<T, L, MULTI><<<static_cast<unsigned>(blocks), threads, smem, s>>>(G, c, b, prm, st);
  LSGD_CUDA_CHECK_LAUNCH();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Host launchers.

template <typename T>
void launch_reset(const GdParams& prm, const GdState<T>& st, cudaStream_t s) {
  const i64 work = std::max(prm.batch * prm.n, prm.batch);
  reset_kernel<T><<<grid_for(work, 256), 256, 0, s>>>(prm, st);
  LSGD_CUDA_CHECK_LAUNCH();
  if (prm.history_every > 0) {
    const size_t slots = static_cast<size_t>(prm.max_iters / prm.history_every + 1);
    LSGD_CUDA_CHECK(cudaMemsetAsync(st.hist_sum, 0, slots * sizeof(double), s));
    LSGD_CUDA_CHECK(cudaMemsetAsync(st.hist_cnt, 0, slots * sizeof(int), s));
  }
}

template <typename T>
void launch_fill_x(const GdParams& prm, const GdState<T>& st, T value, cudaStream_t s) {
  fill_x_kernel<T><<<grid_for(prm.batch * prm.n, 256), 256, 0, s>>>(prm, st, value);
  LSGD_CUDA_CHECK_LAUNCH();
}

template <typename T>
void launch_set_given_lipschitz(const GdParams& prm, const GdState<T>& st, cudaStream_t s) {
  given_lipschitz_kernel<T><<<grid_for(prm.batch, 256), 256, 0, s>>>(prm, st);
  LSGD_CUDA_CHECK_LAUNCH();
}

template <typename T>
StreamPlan plan_stream(std::int64_t m, std::int64_t n, std::int64_t batch) {
  if (n > kStreamMaxN) {
    throw InvalidInput("streamed GD gradient: n = " + std::to_string(n) + " exceeds the limit " +
                       std::to_string(kStreamMaxN));
  }
  StreamPlan plan;
  plan.threads = n >= 64 ? 256 : (n >= 16 ? 128 : 64);
  int R = 64;
  // Keep the tile at <= 96 KB (two blocks per SM) and no taller than the problem needs.
  while (R > 16 && static_cast<size_t>(R + 1) * static_cast<size_t>(n) * sizeof(T) > 96 * 1024) {
    R /= 2;
  }
  while (R > 16 && R / 2 >= m) R /= 2;
  plan.tile_rows = R;
  // Enough blocks to fill the GPU (~4096), but per-problem partials of at most 64K entries so the
  // update's reduction stays small next to the pass over A.
  const i64 target_blocks = 4096;
  i64 chunks_wanted = std::max<i64>(1, (target_blocks + batch - 1) / batch);
  chunks_wanted = std::min<i64>(chunks_wanted, std::max<i64>(1, 65536 / n));
  const i64 tiles = (m + R - 1) / R;
  const i64 tiles_per_chunk = (tiles + chunks_wanted - 1) / chunks_wanted;
  plan.chunk_rows = tiles_per_chunk * R;
  plan.chunks = (m + plan.chunk_rows - 1) / plan.chunk_rows;
  plan.smem_bytes = static_cast<size_t>(n * (R + 1) + n + R + plan.threads + 32) * sizeof(T);
  int u = 32;
  while (u < 256 && u < n * plan.chunks) u *= 2;
  plan.update_threads = u;
  return plan;
}

template <typename T>
void launch_stream_gradient(const T* A, const T* b, const GdParams& prm, const GdState<T>& st,
                            const StreamPlan& plan, T* gpart, T* rrpart, cudaStream_t s) {
  const i64 blocks = prm.batch * plan.chunks;
  if (blocks > 2147483647LL) throw InvalidInput("streamed GD gradient: too many blocks");
  // The shared-memory limit beyond 48 KB was raised in setup (prepare_stream_gradient).
  int log2_r = 0;
  while ((1 << log2_r) < plan.tile_rows) ++log2_r;
  stream_gradient_kernel<T><<<static_cast<unsigned>(blocks), plan.threads, plan.smem_bytes, s>>>(
      A, b, prm, st, plan.tile_rows, log2_r, plan.chunk_rows, plan.chunks, gpart, rrpart);
  LSGD_CUDA_CHECK_LAUNCH();
}

template <typename T>
void prepare_stream_gradient(const StreamPlan& plan) {
  if (plan.smem_bytes > 48 * 1024) {
    raise_dynamic_smem_limit(reinterpret_cast<const void*>(&stream_gradient_kernel<T>),
                             plan.smem_bytes);
  }
}

template <typename T>
void launch_update(int k, const GdParams& prm, const GdState<T>& st, T* gpart, const T* rrpart,
                   const T* r_vec, std::int64_t chunks, int threads, cudaStream_t s) {
  if (prm.batch > 2147483647LL) throw InvalidInput("GD update: batch too large for one grid");
  update_kernel<T><<<static_cast<unsigned>(prm.batch), threads, 0, s>>>(k, prm, st, gpart, rrpart,
                                                                         r_vec, chunks);
  LSGD_CUDA_CHECK_LAUNCH();
}

template <typename T>
void launch_power_update(const GdParams& prm, const GdState<T>& st, T* gpart,
                         std::int64_t chunks, int threads, bool last, cudaStream_t s) {
  if (prm.batch > 2147483647LL) throw InvalidInput("GD update: batch too large for one grid");
  power_update_kernel<T><<<static_cast<unsigned>(prm.batch), threads, 0, s>>>(prm, st, gpart,
                                                                               chunks, last);
  LSGD_CUDA_CHECK_LAUNCH();
}

template <typename T>
std::int64_t resident_max_m(std::int64_t n) {
  if (n <= 4) return 256 * resident_rows_per_lane<T, 4>();
  if (n <= 8) return 256 * resident_rows_per_lane<T, 8>();
  if (n <= 16) return 256 * resident_rows_per_lane<T, 16>();
  if (n <= 32) return 256 * resident_rows_per_lane<T, 32>();
  return 0;
}

template <typename T>
void launch_resident(const T* A, const T* b, const GdParams& prm, const GdState<T>& st,
                     cudaStream_t s) {
  if (prm.n > kResidentMaxN || prm.m > resident_max_m<T>(prm.n)) {
    throw InvalidInput("cuda.bgd.resident: " + std::to_string(prm.m) + " x " +
                       std::to_string(prm.n) + " does not fit the register-resident kernel");
  }
  if (prm.n <= 4) return dispatch_resident<T, 4>(A, b, prm, st, s);
  if (prm.n <= 8) return dispatch_resident<T, 8>(A, b, prm, st, s);
  if (prm.n <= 16) return dispatch_resident<T, 16>(A, b, prm, st, s);
  return dispatch_resident<T, 32>(A, b, prm, st, s);
}

template <typename T>
void prepare_gram(std::int64_t n) {
  // launch_gram_cfg's only variant with dynamic shared memory: <T, 32, true> for n > 32.
  if (n <= 32) return;
  const size_t smem = static_cast<size_t>(n * n + n) * sizeof(T);
  if (smem > 48 * 1024) {
    raise_dynamic_smem_limit(reinterpret_cast<const void*>(&gram_kernel<T, 32, true>), smem);
  }
}

template <typename T>
void launch_gram(const T* G, const T* c, const T* b, const GdParams& prm, const GdState<T>& st,
                 cudaStream_t s) {
  if (prm.n > kGramMaxN) {
    throw InvalidInput("cuda.bgd.gram: n = " + std::to_string(prm.n) + " exceeds the limit " +
                       std::to_string(kGramMaxN) + " (G = A^T A/m must fit in shared memory)");
  }
  const i64 n = prm.n;
  if (n <= 1) return launch_gram_cfg<T, 1, false>(G, c, b, prm, st, 256, s);
  if (n <= 2) return launch_gram_cfg<T, 2, false>(G, c, b, prm, st, 256, s);
  if (n <= 4) return launch_gram_cfg<T, 4, false>(G, c, b, prm, st, 256, s);
  if (n <= 8) return launch_gram_cfg<T, 8, false>(G, c, b, prm, st, 256, s);
  if (n <= 16) return launch_gram_cfg<T, 16, false>(G, c, b, prm, st, 256, s);
  if (n <= 32) return launch_gram_cfg<T, 32, false>(G, c, b, prm, st, 256, s);
  if (n <= 64) return launch_gram_cfg<T, 32, true>(G, c, b, prm, st, 64, s);
  return launch_gram_cfg<T, 32, true>(G, c, b, prm, st, 128, s);
}

#define LSGD_BGD_INSTANTIATE(T)                                                                   \
  template void launch_reset<T>(const GdParams&, const GdState<T>&, cudaStream_t);                \
  template void launch_fill_x<T>(const GdParams&, const GdState<T>&, T, cudaStream_t);            \
  template void launch_set_given_lipschitz<T>(const GdParams&, const GdState<T>&, cudaStream_t);  \
  template StreamPlan plan_stream<T>(std::int64_t, std::int64_t, std::int64_t);                   \
  template void launch_stream_gradient<T>(const T*, const T*, const GdParams&, const GdState<T>&, \
                                          const StreamPlan&, T*, T*, cudaStream_t);               \
  template void prepare_stream_gradient<T>(const StreamPlan&);                                    \
  template void prepare_gram<T>(std::int64_t);                                                    \
  template void launch_update<T>(int, const GdParams&, const GdState<T>&, T*, const T*,           \
                                 const T*, std::int64_t, int, cudaStream_t);                      \
  template void launch_power_update<T>(const GdParams&, const GdState<T>&, T*, std::int64_t, int, \
                                       bool, cudaStream_t);                                       \
  template std::int64_t resident_max_m<T>(std::int64_t);                                          \
  template void launch_resident<T>(const T*, const T*, const GdParams&, const GdState<T>&,        \
                                   cudaStream_t);                                                 \
  template void launch_gram<T>(const T*, const T*, const T*, const GdParams&, const GdState<T>&,  \
                               cudaStream_t);

LSGD_BGD_INSTANTIATE(float)
LSGD_BGD_INSTANTIATE(double)
#undef LSGD_BGD_INSTANTIATE

}  // namespace lsgd::cuda::gd
