// cpu.qr: Householder QR of the augmented matrix [A b]: its last column carries Q^T b through the
// same reflectors, so no separate ORMQR pass over Q is needed; then the triangular solve
// R x = (Q^T b)(0:n). Float and double, m >= n, full rank. Forward error ~ kappa eps.
// The factorization is LAPACK GEQRT (compact WY, recursive panels), not GEQRF: GEQRF's level-2
// panel factorization reads a tall panel once per column, GEQRT3's recursion about log2(nb) times
// (measured 262144 x 33, one core: GEQRF 350-400 ms, GEQRT nb=16 170-210 ms; 1024^2 on two cores:
// 180-195 vs 173-198 at nb=32; bench/NOTES.md).
#include <algorithm>
#include <memory>

#include "cpu/cpu_families.hpp"
#include "cpu/lstsq_common.hpp"

namespace lsgd::cpu {
namespace {

template <typename T>
class QrSolver final : public DirectSolverBase<T> {
 public:
  explicit QrSolver(const SolverOptions& opt) : DirectSolverBase<T>("cpu.qr", opt, false) {
    this->reject_ridge();
  }

 private:
  void allocate() override {
    const int m = static_cast<int>(this->m_), n1 = static_cast<int>(this->n_ + 1);
    nb_ = std::min({n1, m, n1 <= 64 ? 16 : 32});  // GEQRT: 1 <= nb <= min(m, n+1)
    W_.assign(static_cast<size_t>(this->m_ * (this->n_ + 1)), T(0));
    tau_.assign(static_cast<size_t>(nb_) * static_cast<size_t>(n1), T(0));  // the T factors
    work_.assign(static_cast<size_t>(nb_) * static_cast<size_t>(n1), T(0));
  }

  index_t solve_equilibrated() override {
    const index_t m = this->m_, n = this->n_;
    std::copy(this->A_.begin(), this->A_.end(), W_.begin());
    std::copy(this->b_.begin(), this->b_.end(), W_.begin() + m * n);
    lapack::geqrt(static_cast<int>(m), static_cast<int>(n + 1), nb_, W_.data(),
                  static_cast<int>(m), tau_.data(), nb_, work_.data());
    this->check_full_rank(W_.data(), m);
    T* x = this->x_.data();
    std::copy(W_.begin() + m * n, W_.begin() + m * n + n, x);
    lapack::trtrs_upper(static_cast<int>(n), 1, W_.data(), static_cast<int>(m), x,
                        static_cast<int>(n));
    return n;
  }

  int nb_ = 16;
  std::vector<T> W_, tau_, work_;
};

}  // namespace
}  // namespace lsgd::cpu

namespace lsgd {

void register_cpu_qr(Registry& r) {
  r.add(cpu::direct_entry<cpu::QrSolver>(
      "cpu.qr", "qr", "Householder QR of [A b] (LAPACK GEQRT; full rank, m >= n)", true, false, false));
}

}  // namespace lsgd
