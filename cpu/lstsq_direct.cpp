// CPU direct least-squares solvers (Eigen): normal equations + Cholesky, Householder QR,
// column-pivoted QR, complete orthogonal decomposition, SVD. Float and double.
#include <cmath>
#include <memory>
#include <sstream>

#include "cpu/cpu_common.hpp"
#include "cpu/cpu_families.hpp"
#include "lsgd/metrics.hpp"

namespace lsgd::cpu {
namespace {

enum class Method { cholesky, qr, colpiv_qr, cod, svd };

const char* method_name(Method m) {
  switch (m) {
    case Method::cholesky: return "cpu.cholesky";
    case Method::qr: return "cpu.qr";
    case Method::colpiv_qr: return "cpu.colpiv_qr";
    case Method::cod: return "cpu.cod";
    case Method::svd: return "cpu.svd";
  }
  return "?";
}

template <typename T>
class DirectSolver final : public Solver<T> {
 public:
  DirectSolver(Method method, const SolverOptions& opt) : method_(method), opt_(opt) {
    if (opt.ridge_lambda < 0.0 || !std::isfinite(opt.ridge_lambda)) {
      throw InvalidInput(std::string(method_name(method)) + ": ridge lambda must be >= 0");
    }
    if (opt.ridge_lambda > 0.0 && method != Method::cholesky) {
      throw InvalidInput(std::string(method_name(method)) +
                         ": ridge lambda is supported by cpu.cholesky (and the GD solvers) only");
    }
  }

  std::string name() const override { return method_name(method_); }
  Backend backend() const override { return Backend::cpu; }

  void setup(const Problem<T>& p) override {
    p.validate();
    if (p.m < p.n && (method_ == Method::qr || method_ == Method::colpiv_qr)) {
      std::ostringstream os;
      os << name() << ": m = " << p.m << " < n = " << p.n
         << " (underdetermined); use cpu.cod or cpu.svd for the minimum-norm solution";
      throw InvalidInput(os.str());
    }
    A_ = view_A(p);
    b_ = view_b(p);
    x_.setZero(p.n);
    this->info_ = SolveInfo{};
    this->info_.threads = resolve_threads(opt_);
  }

  double timed_solve() override {
    if (A_.size() == 0) throw InvalidInput(name() + ": timed_solve() before setup()");
    ScopedThreads threads(this->info_.threads);
    return time_seconds([&] { solve(); });
  }

  std::vector<T> solution() override { return std::vector<T>(x_.data(), x_.data() + x_.size()); }

 private:
  T cutoff() const {
    const double rc = opt_.rcond >= 0.0 ? opt_.rcond
                                         : static_cast<double>(std::max(A_.rows(), A_.cols())) * eps<T>();
    return static_cast<T>(rc);
  }

  void solve() {
    const index_t n = A_.cols();
    switch (method_) {
      case Method::cholesky: {
        Mat<T> G(n, n);
        G.noalias() = A_.transpose() * A_;  // GEMM: parallel in Eigen with OpenMP
        if (opt_.ridge_lambda > 0.0) G.diagonal().array() += static_cast<T>(opt_.ridge_lambda);
        Vec<T> c = A_.transpose() * b_;
        Eigen::LLT<Mat<T>> llt(G);
        // LLT fails only on a non-positive pivot, but rounding in forming A^T A leaves the pivots
        // of a singular A^T A at about +-sqrt(m) eps G(j,j), positive half the time. A pivot below
        // that noise means column j is numerically dependent on the ones before it
        // (scale-invariant: pivot / G(j,j) is the squared sine of its angle to their span).
        const T tol = static_cast<T>(10.0 * std::sqrt(static_cast<double>(A_.rows())) * eps<T>());
        bool singular = llt.info() != Eigen::Success;
        for (index_t j = 0; j < n && !singular; ++j) {
          const T pivot = llt.matrixLLT()(j, j) * llt.matrixLLT()(j, j);
          singular = !(pivot > tol * G(j, j));
        }
        if (singular) {
          throw NumericalError(name() + ": A^T A" + (opt_.ridge_lambda > 0.0 ? " + lambda I" : "") +
                               " is not numerically positive definite (A is rank deficient or too "
                               "ill-conditioned for the normal equations); use cpu.qr, cpu.cod or "
                               "cpu.svd");
        }
        x_ = llt.solve(c);
        break;
      }
      case Method::qr: {
        Eigen::HouseholderQR<Mat<T>> qr(A_);
        const auto R = qr.matrixQR().topLeftCorner(n, n);
        // |R(j,j)| is the distance of column j from the span of the columns before it. Householder
        // QR leaves rounding noise of about sqrt(m) eps ||a_j|| there (measured: up to ~30 eps on
        // 20000 rows), so comparing with eps * max|R(i,i)| misses exact rank deficiency; compare
        // with the column's own norm (scale-invariant) and that noise level instead.
        const T tol = static_cast<T>(10.0 * std::sqrt(static_cast<double>(A_.rows())) * eps<T>());
        for (index_t j = 0; j < n; ++j) {
          const T rjj = std::abs(R(j, j));
          const T col = A_.col(j).norm();
          if (!(rjj > tol * col)) {
            std::ostringstream os;
            os << name() << ": A is rank deficient to working precision (|R(" << j << "," << j
               << ")| = " << rjj << " vs column norm " << col
               << "); use cpu.colpiv_qr, cpu.cod or cpu.svd";
            throw NumericalError(os.str());
          }
        }
        x_ = qr.solve(b_);
        break;
      }
      case Method::colpiv_qr: {
        Eigen::ColPivHouseholderQR<Mat<T>> qr(A_);
        qr.setThreshold(cutoff());
        // Eigen's solve() truncates at nonzeroPivots(), fixed at about eps, not at the threshold:
        // it would divide by rounding noise on rank-deficient input. Truncate at rank() instead,
        // the basic solution x = P [R11^{-1} (Q^T b)(0:r); 0].
        const index_t r = qr.rank();
        const Vec<T> c = qr.householderQ().transpose() * b_;
        Vec<T> y = Vec<T>::Zero(n);
        y.head(r) = qr.matrixQR().topLeftCorner(r, r).template triangularView<Eigen::Upper>().solve(
            c.head(r));
        x_ = qr.colsPermutation() * y;
        break;
      }
      case Method::cod: {
        // The threshold must be set before compute(): the RZ step is built for the rank found
        // then, and a later setThreshold() changes rank() under it (garbage solutions).
        Eigen::CompleteOrthogonalDecomposition<Mat<T>> cod(A_.rows(), A_.cols());
        cod.setThreshold(cutoff());
        cod.compute(A_);
        x_ = cod.solve(b_);
        break;
      }
      case Method::svd: {
        Eigen::BDCSVD<Mat<T>> svd(A_, Eigen::ComputeThinU | Eigen::ComputeThinV);
        svd.setThreshold(cutoff());
        x_ = svd.solve(b_);
        break;
      }
    }
    if (!x_.allFinite()) {
      throw NumericalError(name() + ": the solution has non-finite entries (A is singular or the "
                                    "data overflow in this precision)");
    }
  }

  Method method_;
  SolverOptions opt_;
  Mat<T> A_;
  Vec<T> b_;
  Vec<T> x_;
};

void add(Registry& r, Method m, const char* desc, bool full_rank, bool underdetermined) {
  SolverEntry e;
  e.name = method_name(m);
  e.backend = Backend::cpu;
  e.kind = Kind::direct;
  e.description = desc;
  e.requires_full_rank = full_rank;
  e.allows_underdetermined = underdetermined;
  e.normal_equations = m == Method::cholesky;
  e.make_f32 = [m](const SolverOptions& o) { return std::make_unique<DirectSolver<float>>(m, o); };
  e.make_f64 = [m](const SolverOptions& o) { return std::make_unique<DirectSolver<double>>(m, o); };
  r.add(std::move(e));
}

}  // namespace
}  // namespace lsgd::cpu

namespace lsgd {

void register_cpu_lstsq(Registry& r) {
  using cpu::Method;
  cpu::add(r, Method::cholesky, "normal equations A^T A x = A^T b, Cholesky (LLT); ridge lambda", true, false);
  cpu::add(r, Method::qr, "Householder QR (full rank, m >= n)", true, false);
  cpu::add(r, Method::colpiv_qr, "column-pivoted Householder QR (rank-revealing, basic solution)", false, false);
  cpu::add(r, Method::cod, "complete orthogonal decomposition (minimum-norm; rank deficient, m < n)", false, true);
  cpu::add(r, Method::svd, "SVD (BDCSVD), minimum-norm with relative cutoff rcond", false, true);
}

}  // namespace lsgd
