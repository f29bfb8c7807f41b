// cpu.svd: the minimum-norm least-squares solution by SVD, singular values below rcond times the
// largest treated as zero. Float and double; m < n allowed. Columns equilibrated when m >= n
// (lstsq_common.hpp).
// - Large problems: LAPACK GELSD (bidiagonalization and divide and conquer, NumPy's lstsq driver).
// - Narrow problems (n <= kJacobiMaxN, m >= n): Householder QR of [A b] (GEQRT; Q^T b falls out),
//   then the one-sided Jacobi SVD of the n x n R (LAPACK GESVJ; Drmac-Veselic's preconditioned
//   Jacobi): x = V S^+ U^T (Q^T b)(0:n). Householder QR is backward stable column by column and
//   one-sided Jacobi computes every singular value to a relative accuracy governed by
//   min_D kappa(A D), so the solution keeps the digits the column-scaled conditioning allows even
//   without the equilibration. Eigen's two-sided JacobiSVD, used before, lost them: 8.9 digits on
//   NIST Wampler2 where QR keeps 12.6 (tests/test_accuracy.cpp, LstsqAccuracy.SvdColumnScaled).
//   Its O(n^3) sweeps cost little next to the QR at n <= 16.
#include <algorithm>
#include <memory>

#include "cpu/cpu_families.hpp"
#include "cpu/lstsq_common.hpp"

namespace lsgd::cpu {
namespace {

constexpr index_t kJacobiMaxN = 16;

template <typename T>
class SvdSolver final : public DirectSolverBase<T> {
 public:
  explicit SvdSolver(const SolverOptions& opt)
      : DirectSolverBase<T>("cpu.svd", opt, true, Scaling::rank_revealing) {
    this->reject_ridge();
  }

 private:
  index_t ldb() const { return std::max(this->m_, this->n_); }
  bool jacobi() const { return this->n_ <= kJacobiMaxN && this->m_ >= this->n_; }

  void allocate() override {
    const int m = static_cast<int>(this->m_), n = static_cast<int>(this->n_);
    if (jacobi()) {
      const size_t n1 = static_cast<size_t>(n) + 1;
      nb_ = std::min(n + 1, m);  // GEQRT: 1 <= nb <= min(m, n + 1)
      W_.assign(static_cast<size_t>(this->m_) * n1, T(0));
      tf_.assign(static_cast<size_t>(nb_) * n1, T(0));
      work_.assign(static_cast<size_t>(nb_) * n1, T(0));
      R_.assign(static_cast<size_t>(n) * static_cast<size_t>(n), T(0));
      V_.assign(R_.size(), T(0));
      s_.assign(static_cast<size_t>(n), T(0));
      return;
    }
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

  index_t solve_jacobi() {
    const index_t m = this->m_, n = this->n_;
    const int mi = static_cast<int>(m), ni = static_cast<int>(n);
    copy_scaled_columns(this->A_.data(), m, n, this->scales(), W_.data());
    std::copy(this->b_.begin(), this->b_.end(), W_.begin() + m * n);
    lapack::geqrt(mi, ni + 1, nb_, W_.data(), mi, tf_.data(), nb_, work_.data());
    for (index_t j = 0; j < n; ++j) {
      for (index_t i = 0; i < n; ++i)
        R_[static_cast<size_t>(i + j * n)] = i <= j ? W_[static_cast<size_t>(i + j * m)] : T(0);
    }
    const T* c = W_.data() + m * n;  // (Q^T b)(0:n)
    const auto svd = lapack::gesvj('U', true, ni, ni, R_.data(), ni, s_.data(), V_.data(), ni);
    // Non-finite singular values: the data overflow this precision.
    if (!std::isfinite(static_cast<double>(s_[0]) * static_cast<double>(svd.scale))) {
      this->throw_overflow(0);
    }
    if (svd.info > 0) {
      throw NumericalError(this->name_ +
                           ": the one-sided Jacobi SVD did not converge in 30 "
                           "sweeps; the data may contain values near overflow or underflow");
    }
    // Singular values scale * s_[k], descending; kept while above rcond times the largest (and
    // above the underflow threshold, beyond which GESVJ computes no singular vector).
    const double smax = static_cast<double>(s_[0]);
    index_t rank = 0;
    while (rank < svd.above_underflow &&
           rank<n&& static_cast<double>(s_[static_cast<size_t>(rank)])> static_cast<double>(
               this->cutoff()) *
               smax &&
           s_[static_cast<size_t>(rank)] > T(0)) {
      ++rank;
    }
    std::vector<double> y(static_cast<size_t>(rank));  // S^-1 U^T c, in double
    for (index_t k = 0; k < rank; ++k) {
      double u_c = 0.0;
      for (index_t i = 0; i < n; ++i) {
        u_c += static_cast<double>(R_[static_cast<size_t>(i + k * n)]) * static_cast<double>(c[i]);
      }
      y[static_cast<size_t>(k)] =
          u_c / (static_cast<double>(s_[static_cast<size_t>(k)]) * static_cast<double>(svd.scale));
    }
    for (index_t j = 0; j < n; ++j) {
      double xj = 0.0;
      for (index_t k = 0; k < rank; ++k) {
        xj += static_cast<double>(V_[static_cast<size_t>(j + k * n)]) * y[static_cast<size_t>(k)];
      }
      this->x_[static_cast<size_t>(j)] = static_cast<T>(xj);
    }
    this->info_.note = this->rank_note(rank, n);
    return rank;
  }

  index_t solve_equilibrated() override {
    if (jacobi()) return solve_jacobi();
    const int m = static_cast<int>(this->m_), n = static_cast<int>(this->n_);
    copy_scaled_columns(this->A_.data(), this->m_, this->n_, this->scales(), W_.data());
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
    return rank;
  }

  int nb_ = 1;
  std::vector<T> W_, B_, s_, work_, tf_, R_, V_;
  std::vector<int> iwork_;
};

}  // namespace
}  // namespace lsgd::cpu

namespace lsgd {

void register_cpu_svd(Registry& r) {
  SolverEntry e =
      cpu::direct_entry<cpu::SvdSolver>("cpu.svd", "svd",
                                        "SVD (LAPACK GELSD; QR + one-sided Jacobi GESVJ for n <= "
                                        "16), minimum-norm with relative cutoff rcond",
                                        false, true, false);
  e.flop_model = FlopModel::svd;
  r.add(std::move(e));
}

}  // namespace lsgd
