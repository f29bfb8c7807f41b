#pragma once
// The streaming pass of cpu.gd / cpu.gd.momentum / cpu.gd.nesterov: r = A x - b, f = ||r||^2 and
// g = A^T r / m + lambda x with ONE read of A per evaluation, at memory speed.
//
// Why not the column-major chunks of gd::GradientPass: a chunk of rows touches n columns that lie
// m entries apart, i.e. n concurrent streams of a few cache lines each; the hardware prefetchers
// lose them and one core reads 10-12 GB/s where a sequential read gets 20-30 (bench/NOTES.md
// (roofline)). Here A is copied once per solve (inside the timed solve) into row panels of P rows,
// each panel P x n column-major and contiguous, in a buffer advised to huge pages (a 4 KB page per
// column segment costs TLB misses too). Every evaluation then streams its thread's panels
// sequentially: r of a panel (P/W vectors) stays in registers while the panel, just read, is
// still in L1/L2 for A_p^T r; the gradient sums stay vector-wide per thread until the end of the
// pass. One OpenMP region per solve and one barrier per evaluation, as GradientPass.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include <sys/mman.h>

#include "cpu/cpu_common.hpp"
#include "cpu/gd_common.hpp"
#include "cpu/simd.hpp"

namespace lsgd::cpu::gd {

// A T buffer of n values, 2 MB aligned and advised to transparent huge pages where the OS has them;
// the pages are touched (zeroed) by `touch` on the threads that will use them.
template <typename T>
class HugeBuffer {
 public:
  HugeBuffer() = default;
  explicit HugeBuffer(size_t n) : n_(n) {
    constexpr size_t kAlign = size_t{2} << 20;
    const size_t bytes = std::max(kAlign, (n * sizeof(T) + kAlign - 1) / kAlign * kAlign);
    p_.reset(static_cast<T*>(std::aligned_alloc(kAlign, bytes)));
    if (!p_) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    madvise(p_.get(), bytes, MADV_HUGEPAGE);  // advice only: no error if refused
#endif
  }
  T* data() const { return p_.get(); }
  size_t size() const { return n_; }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T, Free> p_;
  size_t n_ = 0;
};

// Row-panel geometry: P = W * RV rows per panel (RV vectors of W rows), panels of at most
// kPanelBytes so that a panel read for r is still in L2 (usually L1) for the gradient half.
constexpr index_t kPanelBytes = 256 * 1024;

template <typename T>
int panel_vectors(index_t n) {
  const index_t row_block = Lanes<T>::W * n * static_cast<index_t>(sizeof(T));
  const index_t rv = kPanelBytes / std::max<index_t>(1, row_block);
  return rv >= 8 ? 8 : rv >= 4 ? 4 : rv >= 2 ? 2 : 1;
}

// The pass itself: same contract as GradientPass::eval (every thread of a region calls eval()
// with the same x and gets the same f and g; one barrier per call), on the packed copy of A that
// pack() makes. Workspace (the panel copy, partial sums) is allocated by the constructor (solver
// setup, not timed); pack() is part of the solve.
template <typename T>
class PanelPass {
 public:
  using V = typename Lanes<T>::V;
  using D8 = typename Lanes<T>::D8;
  static constexpr int W = Lanes<T>::W;

  // Tall enough and narrow enough for panels: at least two W-row panels, and a W-row panel plus
  // the thread's n gradient vectors (64 n bytes each) within 2 kPanelBytes, half of a 1 MB L2
  // (n <= 4096; wider A keeps GradientPass, whose two-GEMV path was measured for it).
  static bool suits(index_t m, index_t n) { return m >= 2 * W && 2 * 64 * n <= 2 * kPanelBytes; }

  PanelPass(index_t m, index_t n, int threads)
      : m_(m),
        n_(n),
        threads_(m * n >= kParallelMinEntries ? std::max(1, threads) : 1),
        rv_(panel_vectors<T>(n)),
        rows_(static_cast<index_t>(W) * rv_),
        panels_((m + rows_ - 1) / rows_),
        A_(static_cast<size_t>(panels_ * rows_ * n)),
        b_(static_cast<size_t>(panels_ * rows_)),
        G_(static_cast<size_t>(threads_)) {
    for (int s = 0; s < 2; ++s) {
      part_g_[s].assign(static_cast<size_t>(n * threads_), T(0));
      part_f_[s].assign(static_cast<size_t>(threads_), 0.0);
    }
    for (auto& G : G_) G.resize(static_cast<size_t>(n));
    calls_.assign(static_cast<size_t>(threads_), 0);
    // First touch by the threads that will stream the panels (their pages, their NUMA node).
    in_region(threads_, [&](int t, int nt, auto&&) {
      for (int p = t; p < threads_; p += nt) {
        const auto [p0, p1] = panel_range(p);
        std::memset(A_.data() + p0 * rows_ * n_, 0,
                    static_cast<size_t>((p1 - p0) * rows_ * n_) * sizeof(T));
      }
    });
  }

  index_t m() const { return m_; }
  index_t n() const { return n_; }
  int threads() const { return threads_; }
  index_t panel_rows() const { return rows_; }

  // Copies A (column-major m x n) and b (m, or nullptr) into the panels, thread t of nt doing
  // its own panels: call from inside the solve's region, before the first eval (which
  // synchronizes).
  void pack(int t, int nt, const T* A, const T* b) {
    for (int p = t; p < threads_; p += nt) {
      const auto [p0, p1] = panel_range(p);
      for (index_t q = p0; q < p1; ++q) {
        const index_t i0 = q * rows_, len = std::min(rows_, m_ - i0);
        T* dst = A_.data() + q * rows_ * n_;
        for (index_t j = 0; j < n_; ++j) {
          const T* src = A + j * m_ + i0;
          T* d = dst + j * rows_;
          if (len == rows_) {
            copy_streaming(src, d, rows_);
          } else {
            std::copy(src, src + len, d);
            std::fill(d + len, d + rows_, T(0));
          }
        }
        T* bd = b_.data() + i0;
        if (b != nullptr) std::copy(b + i0, b + i0 + len, bd);
        std::fill(bd + (b != nullptr ? len : 0), bd + rows_, T(0));
      }
    }
#if defined(__AVX512F__)
    _mm_sfence();  // the streaming stores are visible before the region's first barrier
#endif
  }

  // As GradientPass::eval; b only says whether the packed b is used (b != nullptr) or b = 0.
  template <typename Sync>
  double eval(int t, int nt, const T* x, const T* b, T lambda, T* g, bool need_grad, Sync&& sync) {
    const int slot = static_cast<int>(calls_[static_cast<size_t>(t)]++ & 1);
    for (int p = t; p < threads_; p += nt) part(p, slot, x, b != nullptr, need_grad);
    sync();
    double f = 0.0;
    for (double v : part_f_[slot]) f += v;
    if (need_grad) {
      const std::vector<T>& pg = part_g_[slot];
      const T inv_m = T(1) / static_cast<T>(m_);
      for (index_t j = 0; j < n_; ++j) {
        T s = pg[static_cast<size_t>(j)];
        for (int c = 1; c < threads_; ++c) s += pg[static_cast<size_t>(c * n_ + j)];
        g[j] = s * inv_m + lambda * x[j];
      }
    }
    return f;
  }

 private:
  // dst (64-byte aligned, len a multiple of W) = src, with non-temporal stores where the ISA has
  // them: the panels are far larger than the caches and are read back later, so the stores skip
  // the read-for-ownership of each line (measured: bench/NOTES.md (roofline)).
  static void copy_streaming(const T* src, T* dst, index_t len) {
#if defined(__AVX512F__)
    for (index_t k = 0; k < len; k += W) {
      if constexpr (sizeof(T) == 8) {
        _mm512_stream_pd(reinterpret_cast<double*>(dst + k),
                         _mm512_loadu_pd(reinterpret_cast<const double*>(src + k)));
      } else {
        _mm512_stream_ps(reinterpret_cast<float*>(dst + k),
                         _mm512_loadu_ps(reinterpret_cast<const float*>(src + k)));
      }
    }
#else
    std::copy(src, src + len, dst);
#endif
  }

  std::pair<index_t, index_t> panel_range(int p) const {
    return {panels_ * p / threads_, panels_ * (p + 1) / threads_};
  }

  void part(int p, int slot, const T* x, bool with_b, bool need_grad) {
    std::vector<V>& G = G_[static_cast<size_t>(p)];
    std::fill(G.begin(), G.end(), V{});
    D8 f[Lanes<T>::H] = {};
    const auto [p0, p1] = panel_range(p);
    switch (rv_) {
      case 8:
        panels<8>(p0, p1, x, with_b, G.data(), f, need_grad);
        break;
      case 4:
        panels<4>(p0, p1, x, with_b, G.data(), f, need_grad);
        break;
      case 2:
        panels<2>(p0, p1, x, with_b, G.data(), f, need_grad);
        break;
      default:
        panels<1>(p0, p1, x, with_b, G.data(), f, need_grad);
        break;
    }
    double fs = 0.0;
    for (int h = 0; h < Lanes<T>::H; ++h) {
      for (int l = 0; l < 8; ++l) fs += f[h][l];
    }
    part_f_[slot][static_cast<size_t>(p)] = fs;
    if (need_grad) {
      T* pg = part_g_[slot].data() + p * n_;
      for (index_t j = 0; j < n_; ++j) {
        T s = T(0);
        for (int l = 0; l < W; ++l) s += G[static_cast<size_t>(j)][l];
        pg[j] = s;
      }
    }
  }

  template <int RV>
  void panels(index_t p0, index_t p1, const T* x, bool with_b, V* G, D8* f, bool need_grad) {
    const V* A = reinterpret_cast<const V*>(A_.data());
    const V* b = reinterpret_cast<const V*>(b_.data());
    for (index_t q = p0; q < p1; ++q) {
      block_pass<T, 0, RV>(A + q * n_ * RV, with_b ? b + q * RV : nullptr, n_, x, G, f, need_grad);
    }
  }

  index_t m_, n_;
  int threads_;
  int rv_;
  index_t rows_, panels_;
  HugeBuffer<T> A_, b_;
  std::vector<std::vector<V>> G_;
  std::vector<T> part_g_[2];
  std::vector<double> part_f_[2];
  std::vector<std::uint64_t> calls_;
};

}  // namespace lsgd::cpu::gd
