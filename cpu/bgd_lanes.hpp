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
#include "cpu/simd.hpp"
#include "lsgd/solver.hpp"

namespace lsgd::cpu::bgd {

using cpu::add_squares;
using cpu::any8;
using cpu::block_pass;
using cpu::Lanes;
using cpu::sqrt8;

// Rows per register block of lanes_eval: the block's residuals stay in registers while they are
// used for f and for the n gradient sums. Up to n = 8 the n x and n gradient vectors are held in
// registers too (2n + R + 2 of the 32 vector registers of AVX-512).
template <int N>
constexpr int block_rows() {
  return N > 0 && N <= 4 ? 16 : (N > 0 && N <= 8 ? 6 : 8);
}

// The dispatch of LaneGroup: n with a compiled kernel, 0 for the run-time-n kernel.
inline int compiled_n(index_t n) {
  return n == 1 || n == 2 || n == 4 || n == 8 || n == 16 || n == 32 ? static_cast<int>(n) : 0;
}
inline int block_rows_for(index_t n) {
  switch (compiled_n(n)) {
    case 1:
      return block_rows<1>();
    case 2:
      return block_rows<2>();
    case 4:
      return block_rows<4>();
    case 8:
      return block_rows<8>();
    case 16:
      return block_rows<16>();
    case 32:
      return block_rows<32>();
    default:
      return block_rows<0>();
  }
}

// Where element (i, j) of the group's A lives: rows in blocks of R, each block R x n vectors
// column-major (one pointer and constant offsets for the whole block); the last m mod R rows one
// row (n vectors) each.
struct BlockLayout {
  index_t m, n, R, m_full;
  BlockLayout(index_t m_, index_t n_, index_t R_) : m(m_), n(n_), R(R_), m_full(m_ / R_ * R_) {}
  index_t pos(index_t i, index_t j) const {
    return i < m_full ? (i / R) * R * n + j * R + i % R : m_full * n + (i - m_full) * n + j;
  }
};

// One evaluation for the W interleaved problems of a group: A holds m x n vectors in the
// BlockLayout of R = block_rows<N>() (element (i, j) of every lane), b m vectors (nullptr: b = 0),
// x n vectors.
// rr (H halves) gets every lane's ||A x - b||^2 (accumulated in double, rows in order); with
// need_grad, s gets every lane's A^T (A x - b) (rows in order). N > 0: n fixed at compile time (x
// and the sums held in registers up to N = 8); N = 0: n at run time.
template <typename T, int N>
void lanes_eval(const typename Lanes<T>::V* __restrict A, const typename Lanes<T>::V* __restrict b,
                index_t m, index_t n, const typename Lanes<T>::V* __restrict x,
                typename Lanes<T>::V* __restrict s, typename Lanes<T>::D8* rr, bool need_grad) {
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
    for (; i + R <= m; i += R)
      block_pass<T, N, R>(A + i * N, b ? b + i : nullptr, N, xr, sr, f, need_grad);
    for (; i < m; ++i) block_pass<T, N, 1>(A + i * N, b ? b + i : nullptr, N, xr, sr, f, need_grad);
#pragma GCC unroll 8
    for (int j = 0; j < N; ++j) s[j] = sr[j];
  } else {
    for (index_t j = 0; j < n; ++j) s[j] = V{};
    for (; i + R <= m; i += R)
      block_pass<T, N, R>(A + i * n, b ? b + i : nullptr, n, x, s, f, need_grad);
    for (; i < m; ++i) block_pass<T, N, 1>(A + i * n, b ? b + i : nullptr, n, x, s, f, need_grad);
  }
  for (int h = 0; h < Lanes<T>::H; ++h) rr[h] = f[h];
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
        t[2 * i] = __builtin_shufflevector(v[i], v[i + 8], 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21,
                                           6, 22, 7, 23);
        t[2 * i + 1] = __builtin_shufflevector(v[i], v[i + 8], 8, 24, 9, 25, 10, 26, 11, 27, 12, 28,
                                               13, 29, 14, 30, 15, 31);
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

// dst[pos(e)][l] = src_l[e] for e < len: W arrays of length len interleaved into len vectors,
// W x W blocks at a time through transpose_lanes(); pos(e) is called for e = 0, 1, ... in order.
template <typename T, typename Pos>
void interleave(const T* const* src, index_t len, typename Lanes<T>::V* dst, Pos&& pos) {
  using V = typename Lanes<T>::V;
  constexpr int W = Lanes<T>::W;
  index_t e = 0;
  for (; e + W <= len; e += W) {
    V v[W];
    for (int l = 0; l < W; ++l) std::memcpy(&v[l], src[l] + e, sizeof(V));
    transpose_lanes<T>(v);
    for (int k = 0; k < W; ++k) dst[pos()] = v[k];
  }
  for (; e < len; ++e) {
    V& d = dst[pos()];
    for (int l = 0; l < W; ++l) d[l] = src[l][e];
  }
}

// What a group's solve reports per lane.
struct LaneResult {
  int status = kSolved;  // kSolved, kDiverged, kNotConverged
  int iterations = 0;
  double L = 0.0;      // the power iteration's estimate (+ lambda), or options.lipschitz
  bool bad_L = false;  // the power iteration gave 0 or a non-finite L: the caller throws
};

// The plain-GD solve of up to W problems of one shape, interleaved: load() lays them out (the
// layout change is part of the solve and timed with it), solve() runs gd::run()'s algorithm on
// every lane. Buffers are the object's own and reused across groups (one object per thread).
template <typename T>
class LaneGroup {
 public:
  using L = Lanes<T>;
  using V = typename L::V;
  using D8 = typename L::D8;
  using M8 = typename L::M8;
  static constexpr int W = L::W;
  static constexpr int H = L::H;

  LaneGroup(index_t m, index_t n)
      : m_(m),
        n_(n),
        A_(static_cast<size_t>(m * n)),
        b_(static_cast<size_t>(m)),
        x_(static_cast<size_t>(n)),
        g_(static_cast<size_t>(n)),
        s_(static_cast<size_t>(n)) {}

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
    // A column-major: e = j m + i walks i fastest.
    const BlockLayout lay(m_, n_, block_rows_for(n_));
    index_t i = 0, j = 0;
    interleave<T>(srcA, m_ * n_, A_.data(), [&] {
      const index_t p = lay.pos(i, j);
      if (++i == m_) {
        i = 0;
        ++j;
      }
      return p;
    });
    index_t e = 0;
    interleave<T>(srcb, m_, b_.data(), [&] { return e++; });
  }

  // Power iteration (unless o.lipschitz), then plain GD from x = 0 with per-lane step, stopping
  // and divergence, as gd::run(); out[l] for the loaded lanes. x_out (count x n, problem-major)
  // gets the iterates, NaN for a diverged problem. Returns false if some lane's L is unusable
  // (out[l].bad_L; nothing else is valid then).
  bool solve(const SolverOptions& o, LaneResult* out, T* x_out) {
    double Lv[W];
    if (o.lipschitz > 0.0) {
      for (double& v : Lv) v = o.lipschitz;
    } else {
      power_iteration(o.power_iters, Lv);
      bool bad = false;
      for (int l = 0; l < count_; ++l) {
        out[l].L = Lv[l];
        if (!(Lv[l] > 0.0) || !std::isfinite(Lv[l])) {
          out[l].bad_L = true;
          bad = true;
        }
      }
      if (bad) return false;
      for (double& v : Lv) v += o.ridge_lambda;
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

  // One evaluation on the loaded group (tests): rr (H halves) and s = A^T (A x - b) per lane.
  void eval(const V* x, V* s, D8* rr, bool with_b, bool need_grad) const {
    dispatch(x, s, rr, with_b, need_grad);
  }

 private:
  void dispatch(const V* x, V* s, D8* rr, bool with_b, bool need_grad) const {
    const V* b = with_b ? b_.data() : nullptr;
    const V* A = A_.data();
    switch (compiled_n(n_)) {
      case 1:
        return lanes_eval<T, 1>(A, b, m_, n_, x, s, rr, need_grad);
      case 2:
        return lanes_eval<T, 2>(A, b, m_, n_, x, s, rr, need_grad);
      case 4:
        return lanes_eval<T, 4>(A, b, m_, n_, x, s, rr, need_grad);
      case 8:
        return lanes_eval<T, 8>(A, b, m_, n_, x, s, rr, need_grad);
      case 16:
        return lanes_eval<T, 16>(A, b, m_, n_, x, s, rr, need_grad);
      case 32:
        return lanes_eval<T, 32>(A, b, m_, n_, x, s, rr, need_grad);
      default:
        return lanes_eval<T, 0>(A, b, m_, n_, x, s, rr, need_grad);
    }
  }

  // g = s / m + lambda x (as gd::SmallPass forms it) and every lane's ||g||^2 in double (gg, H
  // halves), j in order as gd::norm_of sums.
  void gradient(T lambda, D8* gg) {
    const T inv_m = T(1) / static_cast<T>(m_);
    for (int h = 0; h < H; ++h) gg[h] = D8{};
    for (index_t j = 0; j < n_; ++j) {
      const size_t js = static_cast<size_t>(j);
      g_[js] = s_[js] * inv_m + lambda * x_[js];
      add_squares<T>(g_[js], gg);
    }
  }

  // gd::power_iteration() lane-wise: v = ones/sqrt(n); iters times { w = A^T A v / m; L = ||w||;
  // v = w / L }. A lane whose L is 0 or not finite keeps that value (the caller throws).
  void power_iteration(int iters, double* Lv) {
    const T v0 = T(1) / std::sqrt(static_cast<T>(n_));
    for (auto& v : x_) v = V{} + v0;
    bool done[W] = {};
    for (int l = 0; l < W; ++l) Lv[l] = 0.0;
    D8 rr[H], gg[H];
    for (int it = 0; it < iters; ++it) {
      dispatch(x_.data(), s_.data(), rr, false, true);
      gradient(T(0), gg);
      bool all_done = true;
      V Lt;
      for (int h = 0; h < H; ++h) {
        D8 Lit;
        sqrt8(gg[h], Lit);
        for (int e = 0; e < 8; ++e) {
          const int l = 8 * h + e;
          if (!done[l]) {
            Lv[l] = Lit[e];
            done[l] = !(Lit[e] > 0.0) || !std::isfinite(Lit[e]);
          }
          all_done = all_done && done[l];
          Lt[l] = static_cast<T>(done[l] ? 1.0 : Lit[e]);
        }
      }
      if (all_done) break;
      for (index_t j = 0; j < n_; ++j) x_[static_cast<size_t>(j)] = g_[static_cast<size_t>(j)] / Lt;
    }
  }

  // gd::run() for Variant::plain on every lane, in whole vectors; the rare iteration in which some
  // lane stops (converged, diverged, or max_iters reached) is settled lane by lane. A stopped lane
  // gets step 0, so its x stays the iterate it stopped at while the group goes on; the group ends
  // when every lane has stopped.
  void run(const SolverOptions& o, V& alpha, LaneResult* out) {
    const T lambda = static_cast<T>(o.ridge_lambda);
    const double m = static_cast<double>(m_);
    const double tiny = std::numeric_limits<double>::min();
    for (auto& v : x_) v = V{};
    M8 active[H];
    for (int h = 0; h < H; ++h) active[h] = M8{} - 1;
    int n_active = W;
    LaneResult sink;
    D8 f0[H] = {}, g0[H] = {}, rr[H], xn[H], gg[H];
    for (int k = 0;; ++k) {
      const bool last = k == o.max_iters;
      const bool need_grad = !(last && o.tol == 0.0);
      const bool need_norm = o.tol > 0.0 || k == 0;  // else only the norm's finiteness is read
      dispatch(x_.data(), s_.data(), rr, true, need_grad);
      for (int h = 0; h < H; ++h) xn[h] = gg[h] = D8{};
      if (o.ridge_lambda != 0.0) {
        for (const V& xj : x_) add_squares<T>(xj, xn);
        for (int h = 0; h < H; ++h) sqrt8(xn[h], xn[h]);
      }
      if (need_grad) gradient(lambda, gg);
      M8 diverged[H], converged[H], events{};
      for (int h = 0; h < H; ++h) {
        const D8 f = 0.5 * rr[h] / m + 0.5 * o.ridge_lambda * xn[h] * xn[h];
        D8 gn = gg[h];  // only its finiteness is read without need_norm
        if (need_norm) sqrt8(gg[h], gn);
        if (k == 0) {
          f0[h] = f;
          g0[h] = gn;
        }
        const D8 floor = f0[h] > tiny ? f0[h] : D8{} + tiny;
        diverged[h] = (f - f != 0.0) | (gn - gn != 0.0) | (f > gd::kDivergenceFactor * floor);
        converged[h] = o.tol > 0.0 ? M8(gn <= o.tol * g0[h]) : M8{};
        events |= (diverged[h] | converged[h]) & active[h];
      }
      if (last || any8(events)) {
        for (int l = 0; l < W; ++l) {
          const int h = l / 8, e = l % 8;
          if (!active[h][e]) continue;
          int status = -1;
          if (diverged[h][e])
            status = kDiverged;
          else if (converged[h][e])
            status = kSolved;
          else if (last)
            status = o.tol == 0.0 ? kSolved : kNotConverged;
          if (status < 0) continue;
          LaneResult& r = l < count_ ? out[l] : sink;
          r.status = status;
          r.iterations = k;
          active[h][e] = 0;
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
