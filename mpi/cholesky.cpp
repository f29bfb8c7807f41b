// mpi.cholesky: the normal equations with rows sharded across ranks. Every rank forms its part of
// A^T A (upper triangle, SYRK) and A^T b (GEMV) in one chunked read of its rows (cpu.cholesky's
// gram_rows, one thread), ONE MPI_Allreduce sums the n^2 + n values, and every rank factors the
// same G (POTRF) and solves: no broadcast needed. Accuracy ~ kappa^2 eps, as cpu.cholesky; ridge
// lambda supported. Communication O(n^2) words per rank (a reduce-scatter + allgather in Open MPI).
#include <memory>

#include "cpu/normal_equations.hpp"
#include "mpi/mpi_families.hpp"
#include "mpi/row_solver.hpp"

namespace lsgd::mpi {
namespace {

constexpr const char* kName = "mpi.cholesky";
// Bytes of A per chunk (cpu.cholesky's choice): the chunk stays in L2 between SYRK and GEMV.
constexpr index_t kChunkBytes = 512 * 1024;

template <typename T>
class CholeskySolver final : public RowSolver<T> {
 public:
  explicit CholeskySolver(const SolverOptions& opt) : RowSolver<T>(kName, opt) {
    if (opt.ridge_lambda < 0.0 || !std::isfinite(opt.ridge_lambda)) {
      throw InvalidInput(std::string(kName) + ": ridge lambda must be >= 0");
    }
  }

 private:
  void allocate() override {
    const index_t n = this->n_;
    chunk_ = std::max<index_t>(4 * n, kChunkBytes / (n * static_cast<index_t>(sizeof(T))));
    buf_.assign(static_cast<size_t>(n * n + n), T(0));
    diag_.assign(static_cast<size_t>(n), T(0));
    this->info_.threads = 1;
  }

  void solve() override {
    const index_t n = this->n_;
    T* G = buf_.data();
    T* c = G + n * n;
    cpu::normal::gram_rows(this->A_.data(), this->m_, 0, this->m_, n, this->b_.data(), chunk_, G,
                           c);
    allreduce_sum(G, n * n + n, this->comm_);
    T* x = this->x_.data();
    std::copy(c, c + n, x);
    // Every rank has the same G and makes the same decision; agree() anyway, so that a rank whose
    // reduction differed in the last bit cannot leave the others behind.
    agree(this->name_, [&] {
      cpu::normal::solve_gram(this->name_, this->m_global_, n,
                              static_cast<T>(this->opt_.ridge_lambda), G, x, diag_.data());
    });
  }

  index_t chunk_ = 0;
  std::vector<T> buf_, diag_;
};

}  // namespace

void register_mpi_cholesky(Registry& r) {
  r.add(row_entry(
      kName, "normal_eq", Kind::direct,
      "rows sharded across MPI ranks: local SYRK + GEMV, one allreduce of A^T A and A^T b, "
      "Cholesky on every rank; ridge lambda",
      true, [](const SolverOptions& o) { return std::make_unique<CholeskySolver<float>>(o); },
      [](const SolverOptions& o) { return std::make_unique<CholeskySolver<double>>(o); }));
}

}  // namespace lsgd::mpi
