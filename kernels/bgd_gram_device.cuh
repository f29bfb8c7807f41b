#pragma once
// The Gram-matrix gradient-descent kernel (cuda.bgd.gram); launched by kernels/bgd_gram.cu.
// Compiled by nvcc and by the CPU emulation (kernels/device_compat.hpp).
#include <cstdint>

#include "kernels/bgd_device.cuh"

namespace lsgd::cuda::gd::detail {

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
  LSGD_DYNAMIC_SHARED(T, smem);  // MULTI: G and x of the block's problem
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
    Gs = smem;
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


}  // namespace lsgd::cuda::gd::detail
