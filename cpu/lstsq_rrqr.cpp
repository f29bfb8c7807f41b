// Rank-revealing QR solvers on LAPACK: cpu.colpiv_qr (GEQP3 column-pivoted QR, the basic solution
// x = P [R11^{-1} (Q^T b)(0:r); 0]) and cpu.cod (GELSY: complete orthogonal factorization, the
// minimum-norm solution, m < n allowed). The rank r is the number of pivots above rcond times the
// largest one, of the column-equilibrated A when m >= n (lstsq_common.hpp). Float and double.
#include <algorithm>
#include <memory>

#include "cpu/cpu_families.hpp"
#include "cpu/lstsq_common.hpp"

namespace lsgd::cpu {
namespace {

template <typename T>
class ColPivQrSolver final : public DirectSolverBase<T> {
 public:
  explicit ColPivQrSolver(const SolverOptions& opt)
      : DirectSolverBase<T>("cpu.colpiv_qr", opt, false, Scaling::rank_revealing) {
    this->reject_ridge();
  }

 private:
  void allocate() override {
    const int m = static_cast<int>(this->m_), n = static_cast<int>(this->n_);
    W_.assign(static_cast<size_t>(this->m_ * this->n_), T(0));
    c_.assign(static_cast<size_t>(this->m_), T(0));
    tau_.assign(static_cast<size_t>(n), T(0));
    jpvt_.assign(static_cast<size_t>(n), 0);
    T q1 = 0, q2 = 0;
    lapack::geqp3(m, n, W_.data(), m, jpvt_.data(), tau_.data(), &q1, -1);
    lapack::ormqr_lt(m, 1, n, W_.data(), m, tau_.data(), c_.data(), m, &q2, -1);
    work_.assign(static_cast<size_t>(std::max(lapack::query_size(q1), lapack::query_size(q2))),
                 T(0));
  }

  index_t solve_equilibrated() override {
    const int m = static_cast<int>(this->m_), n = static_cast<int>(this->n_);
    const int lwork = static_cast<int>(work_.size());
    copy_scaled_columns(this->A_.data(), this->m_, this->n_, this->scales(), W_.data());
    std::copy(this->b_.begin(), this->b_.end(), c_.begin());
    std::fill(jpvt_.begin(), jpvt_.end(), 0);  // every column free to move
    lapack::geqp3(m, n, W_.data(), m, jpvt_.data(), tau_.data(), work_.data(), lwork);
    const T r00 = std::abs(W_[0]);
    if (!std::isfinite(r00)) this->throw_overflow(jpvt_[0] - 1);
    const T threshold = this->cutoff() * r00;
    int r = 0;
    while (r < n && std::abs(W_[static_cast<size_t>(r) * (m + 1)]) > threshold) ++r;
    lapack::ormqr_lt(m, 1, n, W_.data(), m, tau_.data(), c_.data(), m, work_.data(), lwork);
    if (r > 0) lapack::trtrs_upper(r, 1, W_.data(), m, c_.data(), m);
    std::fill(this->x_.begin(), this->x_.end(), T(0));
    for (int i = 0; i < r; ++i) this->x_[static_cast<size_t>(jpvt_[i] - 1)] = c_[static_cast<size_t>(i)];
    this->info_.note = this->rank_note(r, n);
    return r;
  }

  std::vector<T> W_, c_, tau_, work_;
  std::vector<int> jpvt_;
};

template <typename T>
class CodSolver final : public DirectSolverBase<T> {
 public:
  explicit CodSolver(const SolverOptions& opt)
      : DirectSolverBase<T>("cpu.cod", opt, true, Scaling::rank_revealing) {
    this->reject_ridge();
  }

 private:
  index_t ldb() const { return std::max(this->m_, this->n_); }

  void allocate() override {
    const int m = static_cast<int>(this->m_), n = static_cast<int>(this->n_);
    W_.assign(static_cast<size_t>(this->m_ * this->n_), T(0));
    B_.assign(static_cast<size_t>(ldb()), T(0));
    jpvt_.assign(static_cast<size_t>(n), 0);
    T query = 0;
    lapack::gelsy(m, n, W_.data(), std::max(1, m), B_.data(), static_cast<int>(ldb()),
                  jpvt_.data(), this->cutoff(), &query, -1);
    work_.assign(static_cast<size_t>(lapack::query_size(query)), T(0));
  }

  index_t solve_equilibrated() override {
    const int m = static_cast<int>(this->m_), n = static_cast<int>(this->n_);
    for (index_t j = 0; j < this->n_; ++j) {
      double s = 0.0;
      for (index_t i = 0; i < this->m_; ++i) {
        const double v = this->A_[static_cast<size_t>(j * this->m_ + i)];
        s = std::max(s, std::abs(v));
      }
      if (!std::isfinite(s)) this->throw_overflow(j);
    }
    copy_scaled_columns(this->A_.data(), this->m_, this->n_, this->scales(), W_.data());
    std::fill(B_.begin(), B_.end(), T(0));
    std::copy(this->b_.begin(), this->b_.end(), B_.begin());
    std::fill(jpvt_.begin(), jpvt_.end(), 0);
    const int rank = lapack::gelsy(m, n, W_.data(), std::max(1, m), B_.data(),
                                   static_cast<int>(ldb()), jpvt_.data(), this->cutoff(),
                                   work_.data(), static_cast<int>(work_.size()));
    std::copy(B_.begin(), B_.begin() + this->n_, this->x_.begin());
    this->info_.note = this->rank_note(rank, std::min(m, n));
    return rank;
  }

  std::vector<T> W_, B_, work_;
  std::vector<int> jpvt_;
};

}  // namespace
}  // namespace lsgd::cpu

namespace lsgd {

void register_cpu_rrqr(Registry& r) {
  r.add(cpu::direct_entry<cpu::ColPivQrSolver>(
      "cpu.colpiv_qr", "rrqr", "column-pivoted Householder QR (LAPACK GEQP3; rank-revealing, basic solution)",
      false, false, false));
  r.add(cpu::direct_entry<cpu::CodSolver>(
      "cpu.cod", "rrqr",
      "complete orthogonal decomposition (LAPACK GELSY; minimum-norm; rank deficient, m < n)",
      false, true, false));
}

}  // namespace lsgd
