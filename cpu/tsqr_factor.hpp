#pragma once
// The factorization under cpu.tsqr, shared with mpi.tsqr: the (n+1) x (n+1) upper triangle R of the
// augmented matrix [A b] (R(0:n, 0:n) is A's R factor, R(0:n, n) = Q^T b, |R(n, n)| the residual
// norm). Each thread owns a contiguous range of rows and walks it in L2-sized row blocks, stacking
// each block under its running triangle and refactoring the stack with LAPACK GEQRF (the
// "sequential TSQR" of Demmel et al.), so A is read once and every factorization runs in cache; the
// threads' triangles are reduced pairwise in a binary tree. absorb() merges a triangle from
// elsewhere (another rank) the same way. Any m >= 0 (fewer rows than n leave a partial triangle).
#include <algorithm>
#include <vector>

#include "cpu/lstsq_common.hpp"

namespace lsgd::cpu {
namespace tsqr {

// Bytes of one row block of [A b] (the block is refactored together with the running triangle):
// a quarter of this machine class's L2 (1-2 MB per core) leaves room for the triangle and the
// GEQRF workspace.
constexpr index_t kBlockBytes = 512 * 1024;
// Below this many entries of A per thread the fork-join costs more than a second thread saves.
constexpr index_t kMinEntriesPerThread = index_t{1} << 18;

// The running factorization of one thread: a (n+1 + rows) x (n+1) column-major stack whose top
// n+1 rows hold the upper triangle R of the rows absorbed so far.
template <typename T>
class Stack {
 public:
  Stack(index_t n1, index_t rows) : n1_(n1), rows_(rows), ld_(n1 + rows) {
    W_.assign(static_cast<size_t>(ld_ * n1_), T(0));
    tau_.assign(static_cast<size_t>(n1_), T(0));
    T query = 0;
    lapack::geqrf(static_cast<int>(ld_), static_cast<int>(n1_), W_.data(), static_cast<int>(ld_),
                  tau_.data(), &query, -1);
    work_.assign(static_cast<size_t>(lapack::query_size(query)), T(0));
  }

  index_t rows() const { return rows_; }
  T* block_row(index_t col) { return W_.data() + col * ld_ + n1_; }  // where a block's column goes
  T* triangle() { return W_.data(); }
  index_t ld() const { return ld_; }

  void clear_triangle() {
    for (index_t j = 0; j < n1_; ++j) std::fill_n(W_.data() + j * ld_, n1_, T(0));
  }

  // Refactors the triangle with the first `len` block rows under it; keeps the new triangle on
  // top with its lower part zeroed.
  void absorb(index_t len) {
    const index_t h = n1_ + len;
    lapack::geqrf(static_cast<int>(h), static_cast<int>(n1_), W_.data(), static_cast<int>(ld_),
                  tau_.data(), work_.data(), static_cast<int>(work_.size()));
    for (index_t j = 0; j < n1_; ++j) std::fill(W_.data() + j * ld_ + j + 1, W_.data() + j * ld_ + n1_, T(0));
  }

 private:
  index_t n1_, rows_, ld_;
  std::vector<T> W_, tau_, work_;
};

// The whole factorization: allocate() once per shape (not timed), factor() per solve.
template <typename T>
class TsqrFactor {
 public:
  // Workspace for m rows of n columns (+ b) on at most `threads` threads (fewer for small A).
  void allocate(index_t m, index_t n, int threads) {
    m_ = m;
    n_ = n;
    const index_t n1 = n + 1;
    const index_t per_thread_max = std::max<index_t>(1, m * n / kMinEntriesPerThread);
    threads_ = static_cast<int>(std::max<index_t>(1, std::min<index_t>(threads, per_thread_max)));
    // Rows per block: L2-sized, at least 4 (n+1) so that refactoring the triangle with each block
    // adds at most about a quarter to the flops, at most the rows a thread owns.
    const index_t fit = kBlockBytes / (n1 * static_cast<index_t>(sizeof(T)));
    // At least n+1 rows: the tree reduction stacks a partner's whole triangle under one's own.
    const index_t rows =
        std::max(std::min(std::max(fit, 4 * n1), (m + threads_ - 1) / threads_), n1);
    stacks_.clear();
    for (int t = 0; t < threads_; ++t) stacks_.emplace_back(n1, rows);
  }

  int threads() const { return threads_; }
  T* triangle() { return stacks_[0].triangle(); }
  index_t ld() const { return stacks_[0].ld(); }

  // The triangle of [A b] for A (m x n, column-major, leading dimension lda) and b (m).
  void factor(const T* A, index_t lda, const T* b) {
    const index_t m = m_;
    const int P = threads_;
    for_each_partition(P, [&](int t) {
      factor_rows(stacks_[static_cast<size_t>(t)], A, lda, b, m * t / P, m * (t + 1) / P);
    });
    // Binary tree over the threads' triangles: stack's triangle on top, the partner's under it.
    for (int step = 1; step < P; step *= 2) {
      for (int t = 0; t + step < P; t += 2 * step) {
        Stack<T>& src = stacks_[static_cast<size_t>(t + step)];
        merge(stacks_[static_cast<size_t>(t)], src.triangle(), src.ld());
      }
    }
  }

  // Stacks the (n+1) x (n+1) upper triangle R (leading dimension ldr) under the result of factor()
  // and refactors: the triangle of both row sets together.
  void absorb(const T* R, index_t ldr) { merge(stacks_[0], R, ldr); }

 private:
  void merge(Stack<T>& dst, const T* R, index_t ldr) {
    const index_t n1 = n_ + 1;
    for (index_t j = 0; j < n1; ++j) std::copy(R + j * ldr, R + j * ldr + n1, dst.block_row(j));
    dst.absorb(n1);
  }

  // Absorbs rows [r0, r1) of [A b] into stack s.
  void factor_rows(Stack<T>& s, const T* A, index_t lda, const T* b, index_t r0, index_t r1) {
    const index_t n = n_;
    s.clear_triangle();
    for (index_t i = r0; i < r1; i += s.rows()) {
      const index_t len = std::min(s.rows(), r1 - i);
      for (index_t j = 0; j < n; ++j) {
        const T* src = A + j * lda + i;
        std::copy(src, src + len, s.block_row(j));
      }
      std::copy(b + i, b + i + len, s.block_row(n));
      s.absorb(len);
    }
  }

  index_t m_ = 0, n_ = 0;
  int threads_ = 1;
  std::vector<Stack<T>> stacks_;
};

}  // namespace tsqr
}  // namespace lsgd::cpu
