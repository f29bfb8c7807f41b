#pragma once
// 64-byte vectors of float or double for the CPU GD kernels (cpu/bgd_lanes.hpp, cpu/gd_stream.hpp),
// written with GCC/Clang vector extensions: the build's ISA picks the instructions (AVX-512 with
// -march=native, SSE2 in LSGD_PORTABLE builds). The few operations that the generic code compiles
// badly have an AVX-512 intrinsic path next to the generic one.
#include <cmath>
#include <cstdint>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace lsgd::cpu {

template <typename T>
struct Lanes {
  static constexpr int W = 64 / static_cast<int>(sizeof(T));
  typedef T V __attribute__((vector_size(64)));  // one value per problem
  // Per-lane quantities kept in double (f, norms, L) take H = W / 8 vectors of 8: lane l is
  // element l % 8 of half l / 8.
  static constexpr int H = W / 8;
  typedef double D8 __attribute__((vector_size(64)));
  typedef std::int64_t M8 __attribute__((vector_size(64)));  // a mask of D8 (0 or -1 per lane)
};

// acc[h] += lanes 8h .. 8h+7 of r, squared in double (one vector register per half).
template <typename T>
[[gnu::always_inline]] inline void add_squares(const typename Lanes<T>::V& r,
                                               typename Lanes<T>::D8* acc) {
  using D8 = typename Lanes<T>::D8;
  if constexpr (Lanes<T>::H == 1) {
    const D8 d = __builtin_convertvector(r, D8);
    acc[0] += d * d;
  } else {
#if defined(__AVX512F__)
    // One vcvtps2pd per half (GCC 12 splits the generic conversion below into quarters).
    const __m512 v = reinterpret_cast<__m512>(r);
    const __m256 hi8 = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    const D8 dl = reinterpret_cast<D8>(_mm512_cvtps_pd(_mm512_castps512_ps256(v)));
    const D8 dh = reinterpret_cast<D8>(_mm512_cvtps_pd(hi8));
#else
    typedef T T8 __attribute__((vector_size(8 * sizeof(T))));
    const T8 lo = __builtin_shufflevector(r, r, 0, 1, 2, 3, 4, 5, 6, 7);
    const T8 hi = __builtin_shufflevector(r, r, 8, 9, 10, 11, 12, 13, 14, 15);
    const D8 dl = __builtin_convertvector(lo, D8), dh = __builtin_convertvector(hi, D8);
#endif
    acc[0] += dl * dl;
    acc[1] += dh * dh;
  }
}

// Vectors go by reference in these helpers: by value, a 64-byte vector changes the calling
// convention between AVX-512 and other builds (GCC's -Wpsabi).

// out = element-wise square root of v: one instruction with AVX-512, else a loop over the 8 lanes.
[[gnu::always_inline]] inline void sqrt8(const Lanes<double>::D8& v, Lanes<double>::D8& out) {
#if defined(__AVX512F__)
  out = reinterpret_cast<Lanes<double>::D8>(_mm512_sqrt_pd(reinterpret_cast<__m512d>(v)));
#else
  for (int l = 0; l < 8; ++l) out[l] = std::sqrt(v[l]);
#endif
}

// True if any lane of mask is set.
[[gnu::always_inline]] inline bool any8(const Lanes<double>::M8& mask) {
  Lanes<double>::M8 m = mask;
  m |= __builtin_shufflevector(m, m, 4, 5, 6, 7, 0, 1, 2, 3);
  m |= __builtin_shufflevector(m, m, 2, 3, 0, 1, 6, 7, 4, 5);
  m |= __builtin_shufflevector(m, m, 1, 0, 3, 2, 5, 4, 7, 6);
  return m[0] != 0;
}

// One register block of R row-vectors (W rows each: one row of W problems in cpu.bgd's lanes, W
// consecutive rows of one problem in cpu.gd's panels): blk holds n x R vectors column-major
// (blk[j R + k]), b the block's R vectors of b or nullptr (b = 0), x the n multipliers: vectors
// (one x per lane) or scalars (broadcast). The residuals r = A_blk x - b_blk are formed column by
// column in registers, squared into f (double, per lane), then used at once for the n sums
// s_j += sum_k blk[j R + k] r_k. N > 0 unrolls the column loops (x and s then stay in registers
// when the caller's arrays are register arrays).
template <typename T, int N, int R, typename X>
[[gnu::always_inline]] inline void block_pass(const typename Lanes<T>::V* __restrict blk,
                                              const typename Lanes<T>::V* __restrict b,
                                              std::int64_t n, const X* __restrict x,
                                              typename Lanes<T>::V* __restrict s,
                                              typename Lanes<T>::D8* f, bool need_grad) {
  using V = typename Lanes<T>::V;
  const std::int64_t nn = N > 0 ? N : n;
  V r[R];
#pragma GCC unroll 16
  for (int k = 0; k < R; ++k) r[k] = b != nullptr ? -b[k] : V{};
#pragma GCC unroll 32
  for (std::int64_t j = 0; j < nn; ++j) {
    const V* a = blk + j * R;
    const V xj = V{} + x[j];
#pragma GCC unroll 16
    for (int k = 0; k < R; ++k) r[k] += a[k] * xj;
  }
#pragma GCC unroll 16
  for (int k = 0; k < R; ++k) add_squares<T>(r[k], f);
  if (!need_grad) return;
  // Read the block's A again (L1/L2) rather than let the compiler keep all R x n values from the
  // loop above: they would not fit the registers and would be spilled.
  asm volatile("" ::: "memory");
#pragma GCC unroll 32
  for (std::int64_t j = 0; j < nn; ++j) {
    const V* a = blk + j * R;
    V sj = s[j];
#pragma GCC unroll 16
    for (int k = 0; k < R; ++k) sj += a[k] * r[k];
    s[j] = sj;
  }
}

}  // namespace lsgd::cpu
