// cpu.tsqr: tall-skinny QR on the CPU, the twin of cuda.tsqr: the triangle of [A b] by
// cpu/tsqr_factor.hpp (L2-sized row blocks per thread, LAPACK GEQRF, tree reduction over threads),
// then x = R^{-1} (Q^T b)(0:n), with QR's accuracy (forward error ~ kappa eps). One OpenMP region per
// solve; m >= n, full rank.
#include <algorithm>
#include <memory>

#include "cpu/cpu_families.hpp"
#include "cpu/lstsq_common.hpp"
#include "cpu/tsqr_factor.hpp"

namespace lsgd::cpu {
namespace {

template <typename T>
class TsqrSolver final : public DirectSolverBase<T> {
 public:
  explicit TsqrSolver(const SolverOptions& opt) : DirectSolverBase<T>("cpu.tsqr", opt, false) {
    this->reject_ridge();
  }

 private:
  void allocate() override {
    factor_.allocate(this->m_, this->n_, this->info_.threads);
    this->info_.threads = factor_.threads();
  }

  index_t solve_equilibrated() override {
    const index_t n = this->n_;
    factor_.factor(this->A_.data(), this->m_, this->b_.data());
    T* R = factor_.triangle();
    const index_t ld = factor_.ld();
    this->check_full_rank(R, ld);
    T* x = this->x_.data();
    std::copy(R + n * ld, R + n * ld + n, x);
    lapack::trtrs_upper(static_cast<int>(n), 1, R, static_cast<int>(ld), x, static_cast<int>(n));
    return n;
  }

  tsqr::TsqrFactor<T> factor_;
};

}  // namespace
}  // namespace lsgd::cpu

namespace lsgd {

void register_cpu_tsqr(Registry& r) {
  r.add(cpu::direct_entry<cpu::TsqrSolver>(
      "cpu.tsqr", "tsqr",
      "tall-skinny QR: L2-sized row blocks of [A b] factored per thread (LAPACK), tree reduction",
      true, false, false));
}

}  // namespace lsgd
