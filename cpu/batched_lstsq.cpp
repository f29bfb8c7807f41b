// CPU batched least squares (Eigen per problem, OpenMP over problems): Householder QR and normal
// equations + Cholesky. Float and double. A singular problem (the rank tests of cpu.qr and
// cpu.cholesky) is reported in info().problem_status (kSingular; its x is NaN) and never stops the
// others.
#include <cmath>
#include <limits>
#include <memory>
#include <sstream>

#include "cpu/cpu_common.hpp"
#include "cpu/cpu_families.hpp"
#include "lsgd/registry.hpp"

namespace lsgd::cpu {
namespace {

enum class BatchedMethod { qr, cholesky };

// Entries of A (batch * m * n) below which the batch is solved on one thread.
constexpr index_t kParallelMinEntries = index_t{1} << 16;

const char* batched_name(BatchedMethod m) {
  return m == BatchedMethod::qr ? "cpu.batched.qr" : "cpu.batched.cholesky";
}

template <typename T>
class BatchedDirectSolver final : public CpuSolver<BatchedSolver<T>> {
 public:
  BatchedDirectSolver(BatchedMethod method, const SolverOptions& opt) : method_(method), opt_(opt) {
    if (opt.ridge_lambda != 0.0) {
      throw InvalidInput(name() + ": ridge lambda is not supported by the batched solvers");
    }
  }

  std::string name() const override { return batched_name(method_); }
  Backend backend() const override { return Backend::cpu; }

  void setup_step(const BatchedProblem<T>& p) override {
    p.validate();
    if (p.m < p.n) {
      std::ostringstream os;
      os << name() << ": m = " << p.m << " < n = " << p.n
         << " (underdetermined); the batched solvers need m >= n";
      throw InvalidInput(os.str());
    }
    batch_ = p.batch;
    m_ = p.m;
    n_ = p.n;
    A_ = p.A;
    b_ = p.b;
    x_.assign(static_cast<size_t>(batch_ * n_), T(0));
    this->info_ = SolveInfo{};
    this->info_.threads = resolve_threads(opt_);
    this->info_.problem_status.assign(static_cast<size_t>(batch_), kSolved);
  }

  std::vector<T> solution() override { return x_; }

 private:
  void solve() override {
    int* status = this->info_.problem_status.data();
    // Whole problems go to threads, in one region; a batch too small to pay for the region's
    // fork-join (~1 ms on a busy 2-core machine) runs on the calling thread. Problems differ in
    // cost only through early exits; dynamic scheduling keeps both cores busy.
    const int nt = batch_ * m_ * n_ >= kParallelMinEntries ? this->info_.threads : 1;
    this->info_.threads = nt;
#pragma omp parallel for schedule(dynamic, 4) num_threads(nt) if (nt > 1)
    for (index_t p = 0; p < batch_; ++p) {
      const MapMat<T> A(A_.data() + p * m_ * n_, m_, n_);
      const MapVec<T> b(b_.data() + p * m_, m_);
      Eigen::Map<Vec<T>> x(x_.data() + p * n_, n_);
      const bool ok = method_ == BatchedMethod::qr ? solve_qr(A, b, x) : solve_cholesky(A, b, x);
      status[p] = ok && x.allFinite() ? kSolved : kSingular;
      if (status[p] != kSolved) x.setConstant(std::numeric_limits<T>::quiet_NaN());
    }
  }

  // cpu.qr's and cpu.cholesky's tolerance: rounding leaves noise of about sqrt(m) eps (relative to
  // the column norm) in |R(j,j)| and in the Cholesky pivots; below 10x that, column j is
  // numerically dependent on the columns before it.
  static T rank_tol(index_t m) {
    return static_cast<T>(10.0 * std::sqrt(static_cast<double>(m)) *
                          static_cast<double>(std::numeric_limits<T>::epsilon()));
  }

  static bool solve_qr(const MapMat<T>& A, const MapVec<T>& b, Eigen::Map<Vec<T>>& x) {
    const index_t n = A.cols();
    const T tol = rank_tol(A.rows());
    Eigen::HouseholderQR<Mat<T>> qr(A);
    const auto R = qr.matrixQR().topLeftCorner(n, n);
    for (index_t j = 0; j < n; ++j) {
      if (!(std::abs(R(j, j)) > tol * A.col(j).norm())) return false;
    }
    x = qr.solve(b);
    return true;
  }

  static bool solve_cholesky(const MapMat<T>& A, const MapVec<T>& b, Eigen::Map<Vec<T>>& x) {
    const index_t n = A.cols();
    const T tol = rank_tol(A.rows());
    Mat<T> G(n, n);
    G.noalias() = A.transpose() * A;
    const Vec<T> c = A.transpose() * b;
    Eigen::LLT<Mat<T>> llt(G);
    if (llt.info() != Eigen::Success) return false;
    for (index_t j = 0; j < n; ++j) {
      const T l = llt.matrixLLT()(j, j);
      if (!(l * l > tol * G(j, j))) return false;
    }
    x = llt.solve(c);
    return true;
  }

  BatchedMethod method_;
  SolverOptions opt_;
  index_t batch_ = 0, m_ = 0, n_ = 0;
  std::vector<T> A_, b_, x_;
};

void add_batched(Registry& r, BatchedMethod m, const char* desc) {
  SolverEntry e = SolverEntry::make(batched_name(m), Backend::cpu, Kind::batched_direct, desc);
  e.normal_equations = m == BatchedMethod::cholesky;
  e.error_growth = e.normal_equations ? ErrorGrowth::kappa_squared : ErrorGrowth::kappa;
  e.flop_model = e.normal_equations ? FlopModel::cholesky : FlopModel::qr;
  e.algorithm = e.normal_equations ? "normal_eq" : "qr";
  e.make_batched_f32 = [m](const SolverOptions& o) {
    return std::make_unique<BatchedDirectSolver<float>>(m, o);
  };
  e.make_batched_f64 = [m](const SolverOptions& o) {
    return std::make_unique<BatchedDirectSolver<double>>(m, o);
  };
  r.add(std::move(e));
}

}  // namespace
}  // namespace lsgd::cpu

namespace lsgd {

void register_cpu_batched(Registry& r) {
  using cpu::BatchedMethod;
  cpu::add_batched(r, BatchedMethod::qr,
                   "batched Householder QR, OpenMP over problems (m >= n, per-problem status)");
  cpu::add_batched(
      r, BatchedMethod::cholesky,
      "batched normal equations + Cholesky, OpenMP over problems (per-problem status)");
}

}  // namespace lsgd
