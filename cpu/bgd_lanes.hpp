#pragma once
// cpu.bgd's kernel for small problems, vectorized ACROSS problems: W problems (W = 64 bytes / T:
// 16 float or 8 double, one AVX-512 vector) are interleaved so that each SIMD lane carries one
// problem, and the whole GD of the group (power iteration, iterations, stopping) runs lane-wise on
// whole vectors. No horizontal sums, no per-problem loop overhead: a row of the W problems' A is n
// vectors, used at once for the residual and the gradient. Written with GCC/Clang vector
// extensions, so the build's ISA decides the instructions (AVX-512 with -march=native, SSE2 in
// LSGD_PORTABLE builds); nothing here needs a particular CPU.
//
// Per lane the arithmetic is that of one problem; a lane's result does not depend on the other
// lanes, on its position in the group or on the thread that ran the group. Relative to
// gd::SmallPass (the per-problem kernel) only the summation order of f and of A^T r differs.
//
// The stopping, divergence and status rules are gd::run()'s, applied per lane (see
// docs/gradient-descent-cpu.md); tests/test_bgd.cpp checks them against the per-problem solver.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "cpu/gd_common.hpp"
#include "lsgd/solver.hpp"

namespace lsgd::cpu::bgd {

template <typename T>
struct Lanes {
  static constexpr int W = 64 / static_cast<int>(sizeof(T));
  typedef T V __attribute__((vector_size(64)));                      // one value per problem
  typedef double D __attribute__((vector_size(W * sizeof(double))));  // the same lanes in double
  typedef std::int64_t DM __attribute__((vector_size(W * sizeof(double))));  // a mask of D
  typedef double D8 __attribute__((vector_size(64)));  // W / 8 of these hold the lanes of D
  static constexpr int H = W / 8;
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
    typedef T T8 __attribute__((vector_size(8 * sizeof(T))));
    const T8 lo = __builtin_shufflevector(r, r, 0, 1, 2, 3, 4, 5, 6, 7);
    const T8 hi = __builtin_shufflevector(r, r, 8, 9, 10, 11, 12, 13, 14, 15);
    const D8 dl = __builtin_convertvector(lo, D8), dh = __builtin_convertvector(hi, D8);
    acc[0] += dl * dl;
    acc[1] += dh * dh;
  }
}

template <typename T>
typename Lanes<T>::D join_halves(const typename Lanes<T>::D8* acc) {
  typename Lanes<T>::D d;
  for (int l = 0; l < Lanes<T>::W; ++l) d[l] = acc[l / 8][l % 8];
  return d;
}

// Rows per register block of lanes_eval: the block's residuals stay in registers while they are
// used for f and for the n gradient sums.
template <int N>
constexpr int block_rows() {
  return N > 0 && N <= 4 ? 8 : (N > 0 && N <= 8 ? 6 : 4);
}

// One register block of lanes_eval: rows i .. i + R - 1 of the group. The residuals r (R vectors)
// are formed column by column, squared into f, then used at once for the n gradient sums s_j.
// N > 0 unrolls the column loops (x and s then live in registers when the caller's arrays do).
template <typename T, int N, int R>
[[gnu::always_inline]] inline void lanes_block(const typename Lanes<T>::V* __restrict A,
                                               const typename Lanes<T>::V* __restrict b,
                                               index_t m, index_t n, index_t i,
                                               const typename Lanes<T>::V* __restrict x,
                                               typename Lanes<T>::V* __restrict s,
                                               typename Lanes<T>::D8* f, bool need_grad) {
  using V = typename Lanes<T>::V;
  const index_t nn = N > 0 ? N : n;
  V r[R];
#pragma GCC unroll 16
  for (int k = 0; k < R; ++k) r[k] = b != nullptr ? -b[i + k] : V{};
#pragma GCC unroll 32
  for (index_t j = 0; j < nn; ++j) {
    const V* a = A + j * m + i;
    const V xj = x[j];
#pragma GCC unroll 16
    for (int k = 0; k < R; ++k) r[k] += a[k] * xj;
  }
#pragma GCC unroll 16
  for (int k = 0; k < R; ++k) add_squares<T>(r[k], f);
  if (need_grad) {
    // Read the block's A again (from L1) rather than let the compiler keep all R x n values from
    // the loop above: they would not fit the registers and would be spilled.
    asm volatile("" ::: "memory");
#pragma GCC unroll 32
    for (index_t j = 0; j < nn; ++j) {
      const V* a = A + j * m + i;
      V sj = s[j];
#pragma GCC unroll 16
      for (int k = 0; k < R; ++k) sj += a[k] * r[k];
      s[j] = sj;
    }
  }
}

// One evaluation for the W interleaved problems of a group: A holds m x n vectors column-major
// (A[j*m + i] = element (i, j) of every lane), b m vectors (nullptr: b = 0), x n vectors.
// rr gets every lane's ||A x - b||^2 (accumulated in double, rows in order); with need_grad, s gets
// every lane's A^T (A x - b) (rows in order). N > 0: n fixed at compile time (x and the sums held
// in registers up to N = 8); N = 0: n at run time.
template <typename T, int N>
void lanes_eval(const typename Lanes<T>::V* __restrict A, const typename Lanes<T>::V* __restrict b,
                index_t m, index_t n, const typename Lanes<T>::V* __restrict x,
                typename Lanes<T>::V* __restrict s, typename Lanes<T>::D& rr, bool need_grad) {
  using V = typename Lanes<T>::V;
  using D8 = typename Lanes<T>::D8;
  constexpr int R = block_rows<N>();
  D8 f[Lanes<T>::H] = {};
  index_t i = 0;
  if constexpr (N > 0 && N <= 8) {
    V xr[N], sr[N];
#pragma GCC unroll 8
    for (int j = 0; j < N; ++j) {
      xr[j] = x[j];
      sr[j] = V{};
    }
    for (; i + R <= m; i += R) lanes_block<T, N, R>(A, b, m, N, i, xr, sr, f, need_grad);
    for (; i < m; ++i) lanes_block<T, N, 1>(A, b, m, N, i, xr, sr, f, need_grad);
#pragma GCC unroll 8
    for (int j = 0; j < N; ++j) s[j] = sr[j];
  } else {
    for (index_t j = 0; j < n; ++j) s[j] = V{};
    for (; i + R <= m; i += R) lanes_block<T, N, R>(A, b, m, n, i, x, s, f, need_grad);
    for (; i < m; ++i) lanes_block<T, N, 1>(A, b, m, n, i, x, s, f, need_grad);
  }
  rr = join_halves<T>(f);
}

// Transposes W x W values in registers: on return v[k][l] holds what v[l][k] held. log2(W)
// rounds of interleaving the first half of the vectors with the second (each round moves one bit
// of the row index into the column index); 2-source shuffles only, whatever the ISA.
template <typename T>
[[gnu::always_inline]] inline void transpose_lanes(typename Lanes<T>::V* v) {
  using V = typename Lanes<T>::V;
  constexpr int W = Lanes<T>::W;
  for (int round = 1; round < W; round *= 2) {
    V t[W];
#pragma GCC unroll 16
    for (int i = 0; i < W / 2; ++i) {
      if constexpr (W == 16) {
        t[2 * i] = __builtin_shufflevector(v[i], v[i + 8], 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5,
                                           21, 6, 22, 7, 23);
        t[2 * i + 1] = __builtin_shufflevector(v[i], v[i + 8], 8, 24, 9, 25, 10, 26, 11, 27, 12,
                                               28, 13, 29, 14, 30, 15, 31);
      } else {
        static_assert(W == 8, "64-byte vectors of float or double");
        t[2 * i] = __builtin_shufflevector(v[i], v[i + 4], 0, 8, 1, 9, 2, 10, 3, 11);
        t[2 * i + 1] = __builtin_shufflevector(v[i], v[i + 4], 4, 12, 5, 13, 6, 14, 7, 15);
      }
    }
#pragma GCC unroll 16
    for (int i = 0; i < W; ++i) v[i] = t[i];
  }
}

// dst[e][l] = src_l[e] for e < len: W arrays of length len interleaved into len vectors, W x W
// blocks at a time through transpose_lanes().
template <typename T>
void interleave(const T* const* src, index_t len, typename Lanes<T>::V* dst) {
  using V = typename Lanes<T>::V;
  constexpr int W = Lanes<T>::W;
  index_t e = 0;
  for (; e + W <= len; e += W) {
    V v[W];
    for (int l = 0; l < W; ++l) std::memcpy(&v[l], src[l] + e, sizeof(V));
    transpose_lanes<T>(v);
    for (int k = 0; k < W; ++k) dst[e + k] = v[k];
  }
  for (; e < len; ++e) {
    for (int l = 0; l < W; ++l) dst[e][l] = src[l][e];
  }
}

// What a group's solve reports per lane.
struct LaneResult {
  int status = kSolved;  // kSolved, kDiverged, kNotConverged
  int iterations = 0;
  double L = 0.0;        // the power iteration's estimate (+ lambda), or options.lipschitz
  bool bad_L = false;    // the power iteration gave 0 or a non-finite L: the caller throws
};

// The plain-GD solve of up to W problems of one shape, interleaved: load() lays them out (the
// layout change is part of the solve and timed with it), solve() runs gd::run()'s algorithm on
// every lane. Buffers are the object's own and reused across groups (one object per thread).
template <typename T>
class LaneGroup {
 public:
  using L = Lanes<T>;
  using V = typename L::V;
  using D = typename L::D;
  using DM = typename L::DM;
  static constexpr int W = L::W;

  LaneGroup(index_t m, index_t n)
      : m_(m), n_(n), A_(static_cast<size_t>(m * n)), b_(static_cast<size_t>(m)),
        x_(static_cast<size_t>(n)), g_(static_cast<size_t>(n)), s_(static_cast<size_t>(n)) {}

  // Interleaves problems q0 .. q0 + count - 1 (count <= W) of a batch stored problem-major
  // (each A column-major m x n, each b of length m). Lanes count .. W-1 repeat the first problem:
  // they compute what lane 0 computes (no zeros, so no special values), finish with it, and are
  // never reported.
  void load(const T* A, const T* b, index_t q0, int count) {
    count_ = count;
    const T* srcA[W];
    const T* srcb[W];
    for (int l = 0; l < W; ++l) {
      const index_t q = q0 + (l < count ? l : 0);
      srcA[l] = A + q * m_ * n_;
      srcb[l] = b + q * m_;
    }
    interleave<T>(srcA, m_ * n_, A_.data());
    interleave<T>(srcb, m_, b_.data());
  }

  // Power iteration (unless o.lipschitz), then plain GD from x = 0 with per-lane step, stopping
  // and divergence, as gd::run(); out[l] for the loaded lanes. x_out (count x n, problem-major)
  // gets the iterates, NaN for a diverged problem. Returns false if some lane's L is unusable
  // (out[l].bad_L; nothing else is valid then).
  bool solve(const SolverOptions& o, LaneResult* out, T* x_out) {
    D Lv;
    if (o.lipschitz > 0.0) {
      Lv = D{} + o.lipschitz;
    } else {
      Lv = power_iteration(o.power_iters);
      bool bad = false;
      for (int l = 0; l < count_; ++l) {
        out[l].L = Lv[l];
        if (!(Lv[l] > 0.0) || !std::isfinite(Lv[l])) {
          out[l].bad_L = true;
          bad = true;
        }
      }
      if (bad) return false;
      Lv += o.ridge_lambda;
    }
    V alpha;
    for (int l = 0; l < W; ++l) {
      if (l < count_) out[l].L = Lv[l];
      alpha[l] = static_cast<T>(o.step > 0.0 ? o.step : 1.0 / Lv[l]);
    }
    run(o, alpha, out);
    for (int l = 0; l < count_; ++l) {
      T* xq = x_out + l * n_;
      for (index_t j = 0; j < n_; ++j) {
        xq[j] = out[l].status == kDiverged ? std::numeric_limits<T>::quiet_NaN()
                                           : x_[static_cast<size_t>(j)][l];
      }
    }
    return true;
  }

  // One evaluation on the loaded group (tests): rr per lane and s = A^T (A x - b) per lane.
  void eval(const V* x, V* s, D& rr, bool with_b, bool need_grad) const {
    dispatch(x, s, rr, with_b, need_grad);
  }

 private:
  void dispatch(const V* x, V* s, D& rr, bool with_b, bool need_grad) const {
    const V* b = with_b ? b_.data() : nullptr;
    switch (n_) {
      case 1: return lanes_eval<T, 1>(A_.data(), b, m_, n_, x, s, rr, need_grad);
      case 2: return lanes_eval<T, 2>(A_.data(), b, m_, n_, x, s, rr, need_grad);
      case 4: return lanes_eval<T, 4>(A_.data(), b, m_, n_, x, s, rr, need_grad);
      case 8: return lanes_eval<T, 8>(A_.data(), b, m_, n_, x, s, rr, need_grad);
      case 16: return lanes_eval<T, 16>(A_.data(), b, m_, n_, x, s, rr, need_grad);
      case 32: return lanes_eval<T, 32>(A_.data(), b, m_, n_, x, s, rr, need_grad);
      default: return lanes_eval<T, 0>(A_.data(), b, m_, n_, x, s, rr, need_grad);
    }
  }

  // g = s / m + lambda x (as gd::SmallPass forms it) and every lane's ||g||^2 in double, j in order.
  D gradient(T lambda) {
    const T inv_m = T(1) / static_cast<T>(m_);
    D gg{};
    for (index_t j = 0; j < n_; ++j) {
      const size_t js = static_cast<size_t>(j);
      g_[js] = s_[js] * inv_m + lambda * x_[js];
      const D gd = __builtin_convertvector(g_[js], D);
      gg += gd * gd;
    }
    return gg;
  }

  static D sqrt_lanes(const D& v) {
    D r;
    for (int l = 0; l < W; ++l) r[l] = std::sqrt(v[l]);
    return r;
  }

  // gd::power_iteration() lane-wise: v = ones/sqrt(n); iters times { w = A^T A v / m; L = ||w||;
  // v = w / L }. A lane whose L is 0 or not finite keeps that value (the caller throws).
  D power_iteration(int iters) {
    const T v0 = T(1) / std::sqrt(static_cast<T>(n_));
    for (auto& v : x_) v = V{} + v0;
    D Lv{}, rr;
    DM done{};
    for (int it = 0; it < iters; ++it) {
      dispatch(x_.data(), s_.data(), rr, false, true);
      const D Lit = sqrt_lanes(gradient(T(0)));
      const DM bad = (Lit <= 0.0) | (Lit - Lit != 0.0);  // 0, inf or NaN
      Lv = done ? Lv : Lit;
      done |= bad;
      bool all_bad = true;
      for (int l = 0; l < W; ++l) all_bad = all_bad && done[l];
      if (all_bad) break;
      V Lt;
      for (int l = 0; l < W; ++l) Lt[l] = static_cast<T>(done[l] ? 1.0 : Lit[l]);
      for (index_t j = 0; j < n_; ++j) x_[static_cast<size_t>(j)] = g_[static_cast<size_t>(j)] / Lt;
    }
    return Lv;
  }

  // gd::run() for Variant::plain on every lane. A lane that stops (converged, diverged, or tol
  // not met at max_iters) gets step 0, so its x stays the iterate it stopped at while the group
  // goes on; the group ends when every lane has stopped.
  void run(const SolverOptions& o, V alpha, LaneResult* out) {
    const T lambda = static_cast<T>(o.ridge_lambda);
    const double m = static_cast<double>(m_);
    for (auto& v : x_) v = V{};
    bool active[W];
    int n_active = W;
    for (int l = 0; l < W; ++l) active[l] = true;
    LaneResult* res[W];
    LaneResult sink[W];
    for (int l = 0; l < W; ++l) res[l] = l < count_ ? &out[l] : &sink[l];
    D f0{}, g0{}, rr;
    for (int k = 0;; ++k) {
      const bool last = k == o.max_iters;
      const bool need_grad = !(last && o.tol == 0.0);
      dispatch(x_.data(), s_.data(), rr, true, need_grad);
      D xn{};
      if (o.ridge_lambda != 0.0) {
        for (const V& xj : x_) {
          const D xd = __builtin_convertvector(xj, D);
          xn += xd * xd;
        }
        xn = sqrt_lanes(xn);
      }
      const D f = 0.5 * rr / m + 0.5 * o.ridge_lambda * xn * xn;
      const D gg = need_grad ? gradient(lambda) : D{};
      const bool need_norm = o.tol > 0.0 || k == 0;
      const D gn = need_norm ? sqrt_lanes(gg) : gg;  // only its finiteness is read otherwise
      if (k == 0) {
        f0 = f;
        g0 = gn;
      }
      const D f0_floor = f0 > std::numeric_limits<double>::min()
                             ? f0
                             : D{} + std::numeric_limits<double>::min();
      const DM diverged =
          (f - f != 0.0) | (gn - gn != 0.0) | (f > gd::kDivergenceFactor * f0_floor);
      const DM converged = o.tol > 0.0 ? DM(gn <= o.tol * g0) : DM{};
      DM event = diverged | converged;
      bool any = last;
      for (int l = 0; l < W; ++l) any = any || (active[l] && event[l] != 0);
      if (any) {
        for (int l = 0; l < W; ++l) {
          if (!active[l]) continue;
          int status = -1;
          if (diverged[l]) status = kDiverged;
          else if (converged[l]) status = kSolved;
          else if (last) status = o.tol == 0.0 ? kSolved : kNotConverged;
          if (status < 0) continue;
          res[l]->status = status;
          res[l]->iterations = k;
          active[l] = false;
          alpha[l] = T(0);
          --n_active;
        }
        if (n_active == 0) break;
      }
      for (index_t j = 0; j < n_; ++j) {
        const size_t js = static_cast<size_t>(j);
        x_[js] -= alpha * g_[js];
      }
    }
  }

  index_t m_, n_;
  int count_ = 0;
  std::vector<V> A_, b_, x_, g_, s_;
};

}  // namespace lsgd::cpu::bgd
