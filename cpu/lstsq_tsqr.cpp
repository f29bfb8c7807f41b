// cpu.tsqr: tall-skinny QR on the CPU, the twin of cuda.tsqr. Each thread owns a contiguous range of
// rows and walks it in row blocks sized to stay in L2: it stacks the block of the augmented matrix
// [A b] under its running (n+1) x (n+1) triangle and refactors the stack with LAPACK GEQRF (the
// "sequential TSQR" of Demmel et al.), so A is read from memory once and every factorization runs in
// cache. The threads' triangles are then reduced pairwise in a binary tree. The last column of
// [A b] carries Q^T b through every step, so x = R^{-1} (Q^T b)(0:n) at the end, with QR's
// accuracy (forward error ~ kappa eps). One OpenMP region per solve; m >= n, full rank.
#include <algorithm>
#include <memory>

#include "cpu/cpu_families.hpp"
#include "cpu/lstsq_common.hpp"

namespace lsgd::cpu {
namespace {

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

template <typename T>
class TsqrSolver final : public DirectSolverBase<T> {
 public:
  explicit TsqrSolver(const SolverOptions& opt) : DirectSolverBase<T>("cpu.tsqr", opt, false) {
    this->reject_ridge();
  }

 private:
  void allocate() override {
    const index_t m = this->m_, n1 = this->n_ + 1;
    const index_t per_thread_max = std::max<index_t>(1, m * this->n_ / kMinEntriesPerThread);
    threads_ = static_cast<int>(std::min<index_t>(this->info_.threads, per_thread_max));
    // Rows per block: L2-sized, at least 4 (n+1) so that refactoring the triangle with each block
    // adds at most about a quarter to the flops, at most the rows a thread owns.
    const index_t fit = kBlockBytes / (n1 * static_cast<index_t>(sizeof(T)));
    // At least n+1 rows: the tree reduction stacks a partner's whole triangle under one's own.
    const index_t rows =
        std::max(std::min(std::max(fit, 4 * n1), (m + threads_ - 1) / threads_), n1);
    stacks_.clear();
    for (int t = 0; t < threads_; ++t) stacks_.emplace_back(n1, rows);
    this->info_.threads = threads_;
  }

  // Absorbs rows [r0, r1) of [A b] into stack s.
  void factor_rows(Stack<T>& s, index_t r0, index_t r1) {
    const index_t m = this->m_, n = this->n_;
    s.clear_triangle();
    for (index_t i = r0; i < r1; i += s.rows()) {
      const index_t len = std::min(s.rows(), r1 - i);
      for (index_t j = 0; j < n; ++j) {
        const T* src = this->A_.data() + j * m + i;
        std::copy(src, src + len, s.block_row(j));
      }
      std::copy(this->b_.data() + i, this->b_.data() + i + len, s.block_row(n));
      s.absorb(len);
    }
  }

  void solve() override {
    const index_t m = this->m_, n = this->n_, n1 = n + 1;
    const int P = threads_;
    for_each_partition(P, [&](int t) {
      factor_rows(stacks_[static_cast<size_t>(t)], m * t / P, m * (t + 1) / P);
    });
    // Binary tree over the threads' triangles: stack's triangle on top, the partner's under it.
    for (int step = 1; step < P; step *= 2) {
      for (int t = 0; t + step < P; t += 2 * step) {
        Stack<T>& dst = stacks_[static_cast<size_t>(t)];
        Stack<T>& src = stacks_[static_cast<size_t>(t + step)];
        for (index_t j = 0; j < n1; ++j) {
          std::copy(src.triangle() + j * src.ld(), src.triangle() + j * src.ld() + n1,
                    dst.block_row(j));
        }
        dst.absorb(n1);
      }
    }
    Stack<T>& s = stacks_[0];
    this->check_full_rank(s.triangle(), s.ld());
    T* x = this->x_.data();
    std::copy(s.triangle() + n * s.ld(), s.triangle() + n * s.ld() + n, x);
    lapack::trtrs_upper(static_cast<int>(n), 1, s.triangle(), static_cast<int>(s.ld()), x,
                        static_cast<int>(n));
  }

  int threads_ = 1;
  std::vector<Stack<T>> stacks_;
};

}  // namespace
}  // namespace lsgd::cpu

namespace lsgd {

void register_cpu_tsqr(Registry& r) {
  r.add(cpu::direct_entry<cpu::TsqrSolver>(
      "cpu.tsqr",
      "tall-skinny QR: L2-sized row blocks of [A b] factored per thread (LAPACK), tree reduction",
      true, false, false));
}

}  // namespace lsgd
