// cpu.qr: Householder QR of the augmented matrix [A b] (LAPACK GEQRF): its last column carries
// Q^T b through the same reflectors, so no separate ORMQR pass over Q is needed; then the triangular
// solve R x = (Q^T b)(0:n). Float and double, m >= n, full rank. Forward error ~ kappa eps.
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
    W_.assign(static_cast<size_t>(this->m_ * (this->n_ + 1)), T(0));
    tau_.assign(static_cast<size_t>(n1), T(0));
    T query = 0;
    lapack::geqrf(m, n1, W_.data(), m, tau_.data(), &query, -1);
    work_.assign(static_cast<size_t>(lapack::query_size(query)), T(0));
  }

  void solve() override {
    const index_t m = this->m_, n = this->n_;
    std::copy(this->A_.begin(), this->A_.end(), W_.begin());
    std::copy(this->b_.begin(), this->b_.end(), W_.begin() + m * n);
    lapack::geqrf(static_cast<int>(m), static_cast<int>(n + 1), W_.data(), static_cast<int>(m),
                  tau_.data(), work_.data(), static_cast<int>(work_.size()));
    this->check_full_rank(W_.data(), m);
    T* x = this->x_.data();
    std::copy(W_.begin() + m * n, W_.begin() + m * n + n, x);
    lapack::trtrs_upper(static_cast<int>(n), 1, W_.data(), static_cast<int>(m), x,
                        static_cast<int>(n));
  }

  std::vector<T> W_, tau_, work_;
};

}  // namespace
}  // namespace lsgd::cpu

namespace lsgd {

void register_cpu_qr(Registry& r) {
  r.add(cpu::direct_entry<cpu::QrSolver>(
      "cpu.qr", "Householder QR of [A b] (LAPACK GEQRF; full rank, m >= n)", true, false, false));
}

}  // namespace lsgd
