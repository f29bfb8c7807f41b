#pragma once
// The register-resident gradient-descent kernel (cuda.bgd.resident); launched by
// kernels/bgd_resident.cu. Compiled by nvcc and by the CPU emulation (kernels/device_compat.hpp).
#include <cstdint>

#include "kernels/bgd_device.cuh"

namespace lsgd::cuda::gd::detail {

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


}  // namespace lsgd::cuda::gd::detail
