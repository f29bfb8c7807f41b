// cpu.svd: the minimum-norm least-squares solution by SVD, singular values below rcond times the
// largest treated as zero. Float and double; m < n allowed.
// - Large problems: LAPACK GELSD (bidiagonalization and divide and conquer, NumPy's lstsq driver).
// - Narrow problems (n <= kJacobiMaxN, m >= n): one-sided Jacobi after a pivoted QR (Eigen's
//   JacobiSVD, the same switch Eigen's BDCSVD makes): it is accurate relative to each column's scale,
//   which bidiagonalization is not. Measured on NIST Pontius (columns 1, x, x^2 with x ~ 1e6):
//   GELSD 6.2 digits, Jacobi 12.9. Its O(m n^2) sweeps cost little at n <= 16.
#include <algorithm>
#include <memory>

#include <Eigen/SVD>

#include "cpu/cpu_families.hpp"
#include "cpu/lstsq_common.hpp"

namespace lsgd::cpu {
namespace {

constexpr index_t kJacobiMaxN = 16;

template <typename T>
class SvdSolver final : public DirectSolverBase<T> {
 public:
  explicit SvdSolver(const SolverOptions& opt) : DirectSolverBase<T>("cpu.svd", opt, true) {
    this->reject_ridge();
  }

 private:
  index_t ldb() const { return std::max(this->m_, this->n_); }
  bool jacobi() const { return this->n_ <= kJacobiMaxN && this->m_ >= this->n_; }

  void allocate() override {
    if (jacobi()) return;
    const int m = static_cast<int>(this->m_), n = static_cast<int>(this->n_);
    W_.assign(static_cast<size_t>(this->m_ * this->n_), T(0));
    B_.assign(static_cast<size_t>(ldb()), T(0));
    s_.assign(static_cast<size_t>(std::min(m, n)), T(0));
    T query = 0;
    int iquery = 0, rank = 0;
    lapack::gelsd(m, n, W_.data(), std::max(1, m), B_.data(), static_cast<int>(ldb()), s_.data(),
                  this->cutoff(), &rank, &query, -1, &iquery);
    work_.assign(static_cast<size_t>(lapack::query_size(query)), T(0));
    iwork_.assign(static_cast<size_t>(std::max(1, iquery)), 0);
  }

  void solve_jacobi() {
    const MapMat<T> A(this->A_.data(), this->m_, this->n_);
    const MapVec<T> b(this->b_.data(), this->m_);
    Eigen::JacobiSVD<Mat<T>, Eigen::ColPivHouseholderQRPreconditioner> svd(
        A, Eigen::ComputeThinU | Eigen::ComputeThinV);
    if (!std::isfinite(svd.singularValues()(0))) this->throw_overflow(0);
    svd.setThreshold(this->cutoff());
    Eigen::Map<Vec<T>>(this->x_.data(), this->n_) = svd.solve(b);
    const index_t rank = svd.rank();
    this->info_.note = this->rank_note(rank, this->n_);
  }

  void solve() override {
    if (jacobi()) {
      solve_jacobi();
      return;
    }
    const int m = static_cast<int>(this->m_), n = static_cast<int>(this->n_);
    std::copy(this->A_.begin(), this->A_.end(), W_.begin());
    std::fill(B_.begin(), B_.end(), T(0));
    std::copy(this->b_.begin(), this->b_.end(), B_.begin());
    int rank = 0;
    const int info = lapack::gelsd(m, n, W_.data(), std::max(1, m), B_.data(),
                                   static_cast<int>(ldb()), s_.data(), this->cutoff(), &rank,
                                   work_.data(), static_cast<int>(work_.size()), iwork_.data());
    if (info > 0) {
      throw NumericalError(this->name_ + ": the SVD did not converge (" + std::to_string(info) +
                           " off-diagonal elements did not reach zero); the data may contain "
                           "values near overflow: rescale the columns of A");
    }
    if (!std::isfinite(s_.empty() ? T(0) : s_[0])) this->throw_overflow(0);
    std::copy(B_.begin(), B_.begin() + this->n_, this->x_.begin());
    this->info_.note = this->rank_note(rank, std::min(m, n));
  }

  std::vector<T> W_, B_, s_, work_;
  std::vector<int> iwork_;
};

}  // namespace
}  // namespace lsgd::cpu

namespace lsgd {

void register_cpu_svd(Registry& r) {
  SolverEntry e = cpu::direct_entry<cpu::SvdSolver>(
      "cpu.svd", "SVD (LAPACK GELSD; Jacobi for n <= 16), minimum-norm with relative cutoff rcond", false, true,
      false);
  e.flop_model = FlopModel::svd;
  r.add(std::move(e));
}

}  // namespace lsgd
