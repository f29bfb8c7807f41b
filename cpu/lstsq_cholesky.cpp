// cpu.cholesky: the normal equations (A^T A + lambda I) x = A^T b by SYRK (half the flops of a GEMM
// on A^T A), GEMV, and LAPACK's POTRF/POTRS. Float and double. Forward error ~ kappa^2 eps.
#include <memory>
#include <sstream>

#include "cpu/cpu_families.hpp"
#include "cpu/lstsq_common.hpp"

namespace lsgd::cpu {
namespace {

template <typename T>
class CholeskySolver final : public DirectSolverBase<T> {
 public:
  explicit CholeskySolver(const SolverOptions& opt)
      : DirectSolverBase<T>("cpu.cholesky", opt, false) {}

 private:
  void allocate() override {
    G_.assign(static_cast<size_t>(this->n_ * this->n_), T(0));
    diag_.assign(static_cast<size_t>(this->n_), T(0));
  }

  void solve() override {
    const int m = static_cast<int>(this->m_), n = static_cast<int>(this->n_);
    T* G = G_.data();
    lapack::syrk_upper_t(n, m, T(1), this->A_.data(), m, T(0), G, n);
    T* x = this->x_.data();
    lapack::gemv('T', m, n, T(1), this->A_.data(), m, this->b_.data(), T(0), x);
    const T lambda = static_cast<T>(this->opt_.ridge_lambda);
    for (int j = 0; j < n; ++j) {
      G[j * n + j] += lambda;
      diag_[static_cast<size_t>(j)] = G[j * n + j];
      if (!std::isfinite(diag_[static_cast<size_t>(j)])) this->throw_overflow(j);
    }
    // POTRF fails only on a non-positive pivot, but rounding in forming A^T A leaves the pivots of
    // a singular A^T A at about +-sqrt(m) eps G(j,j), positive half the time. A pivot below that
    // noise means column j is numerically dependent on the ones before it (scale-invariant:
    // pivot / G(j,j) is the squared sine of its angle to their span).
    const int info = lapack::potrf_upper(n, G, n);
    const T tol = rank_tolerance<T>(this->m_);
    int bad = info > 0 ? info - 1 : -1;
    for (int j = 0; j < n && bad < 0; ++j) {
      const T u = G[j * n + j];
      if (!(u * u > tol * diag_[static_cast<size_t>(j)])) bad = j;
    }
    if (bad >= 0) {
      std::ostringstream os;
      os << this->name_ << ": A^T A" << (lambda > T(0) ? " + lambda I" : "")
         << " is not numerically positive definite at column " << bad + 1
         << " (A is rank deficient or too ill-conditioned for the normal equations, whose error "
            "grows like kappa^2); use cpu.qr, or cpu.cod / cpu.svd for rank-deficient A";
      throw NumericalError(os.str());
    }
    lapack::potrs_upper(n, 1, G, n, x, n);
  }

  std::vector<T> G_, diag_;
};

}  // namespace
}  // namespace lsgd::cpu

namespace lsgd {

void register_cpu_cholesky(Registry& r) {
  r.add(cpu::direct_entry<cpu::CholeskySolver>(
      "cpu.cholesky", "normal equations A^T A x = A^T b: SYRK + Cholesky (LAPACK); ridge lambda",
      true, false, true));
}

}  // namespace lsgd
