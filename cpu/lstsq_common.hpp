#pragma once
// Shared base of the CPU direct least-squares solvers (cpu/lstsq_*.cpp, cpu/tsqr.cpp): setup keeps a
// copy of A and b and allocates the workspace (not timed), timed_solve() checks setup, applies the
// thread count to OpenMP and the BLAS, and times solve(). LAPACK overwrites its input, so every
// solve starts by copying A into the workspace: part of the solve, as in NumPy and SciPy.
#include <algorithm>
#include <cmath>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

#include "cpu/cpu_common.hpp"
#include "cpu/lapack.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/registry.hpp"

namespace lsgd::cpu {

// Rounding leaves noise of about sqrt(m) eps (relative to the column's norm) in |R(j,j)| of a
// Householder QR and in the Cholesky pivots of A^T A (measured: up to ~30 eps on 20000 rows). Below
// 10x that, column j is numerically dependent on the columns before it (scale-invariant).
template <typename T>
T rank_tolerance(index_t m) {
  return static_cast<T>(10.0 * std::sqrt(static_cast<double>(m)) * eps<T>());
}

// ||v||, scaled like LAPACK's nrm2 so that entries near 1e300 do not overflow the sum of squares
// (the largest |v_i| when that is 0 or not finite).
template <typename T>
double scaled_norm(const T* v, index_t n) {
  double big = 0.0;
  for (index_t i = 0; i < n; ++i) big = std::max(big, std::abs(static_cast<double>(v[i])));
  if (!(big > 0.0) || !std::isfinite(big)) return big;
  double s = 0.0;
  for (index_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(v[i]) / big;
    s += t * t;
  }
  return big * std::sqrt(s);
}

[[noreturn]] inline void throw_overflow(const std::string& who, index_t col) {
  std::ostringstream os;
  os << who << ": the norm of column " << col + 1
     << " of A is not finite in this precision (overflow); rescale the columns of A";
  throw NumericalError(os.str());
}

// Throws NumericalError (1-based column, suggesting the rank-revealing solvers) unless every
// |R(j,j)| of the n x n upper triangle at r (leading dimension ldr) of an m-row A exceeds the
// rounding noise relative to its column's norm, which Q's orthogonality makes the norm of R(0:j, j).
template <typename T>
void check_full_rank(const std::string& who, index_t m, index_t n, const T* r, index_t ldr) {
  const T tol = rank_tolerance<T>(m);
  for (index_t j = 0; j < n; ++j) {
    const T* col = r + j * ldr;
    const double norm = scaled_norm(col, j + 1);
    if (!std::isfinite(norm)) throw_overflow(who, j);
    const T rjj = std::abs(col[j]);
    if (!(static_cast<double>(rjj) > static_cast<double>(tol) * norm)) {
      std::ostringstream os;
      os << who << ": A is rank deficient to working precision: column " << j + 1
         << " lies in the span of the columns before it (|R(" << j + 1 << "," << j + 1
         << ")| = " << rjj << " vs column norm " << norm
         << "); use cpu.colpiv_qr, cpu.cod or cpu.svd";
      throw NumericalError(os.str());
    }
  }
}

// Runs body(p) for every partition p = 0..P-1 in ONE OpenMP region (on the calling thread, without a
// region, when P == 1), the BLAS on one thread inside so that the two pools never oversubscribe the
// cores. A thread of a region that got fewer than P threads takes several partitions. The first
// exception is rethrown after the region (none may leave it).
template <typename F>
void for_each_partition(int P, F&& body) {
  if (P <= 1) {
    body(0);
    return;
  }
  ScopedBlasThreads one(1);
  std::exception_ptr failure;
#pragma omp parallel num_threads(P)
  {
    for (int p = omp_get_thread_num(); p < P; p += omp_get_num_threads()) {
      try {
        body(p);
      } catch (...) {
#pragma omp critical(lsgd_for_each_partition)
        if (!failure) failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
}

template <typename T>
class DirectSolverBase : public CpuSolver<Solver<T>> {
 public:
  DirectSolverBase(std::string name, const SolverOptions& opt, bool allows_underdetermined)
      : name_(std::move(name)), opt_(opt), allows_underdetermined_(allows_underdetermined) {
    if (opt.ridge_lambda < 0.0 || !std::isfinite(opt.ridge_lambda)) {
      throw InvalidInput(name_ + ": ridge lambda must be >= 0");
    }
    if (!std::isfinite(opt.rcond)) throw InvalidInput(name_ + ": rcond must be finite");
  }

  std::string name() const override { return name_; }
  Backend backend() const override { return Backend::cpu; }

  void setup_step(const Problem<T>& p) override {
    p.validate();
    if (p.m < p.n && !allows_underdetermined_) {
      std::ostringstream os;
      os << name_ << ": m = " << p.m << " < n = " << p.n
         << " (underdetermined); use cpu.cod or cpu.svd for the minimum-norm solution";
      throw InvalidInput(os.str());
    }
    lapack::dim(p.m, "m");
    lapack::dim(p.n + 1, "n");
    m_ = p.m;
    n_ = p.n;
    A_ = p.A;
    b_ = p.b;
    x_.assign(static_cast<size_t>(n_), T(0));
    this->info_ = SolveInfo{};
    this->info_.threads = resolve_threads(opt_);
    allocate();
  }

  // After the timing (CpuSolver): non-finite entries of x are an error.
  void check() override {
    if (!std::all_of(x_.begin(), x_.end(), [](T v) { return std::isfinite(v); })) {
      throw NumericalError(name_ + ": the solution has non-finite entries (A is singular or the "
                                   "data overflow in this precision; rescale the columns of A)");
    }
  }

  std::vector<T> solution() override { return x_; }

 protected:
  // Workspace for the problem given to setup() (m_, n_, A_, b_ are set). Not timed.
  virtual void allocate() = 0;
  // Writes x_. Throws NumericalError for singular or overflowing input.
  virtual void solve() = 0;

  // The SVD/COD relative cutoff: options.rcond if >= 0, else max(m, n) eps (NumPy's convention).
  T cutoff() const {
    const double rc =
        opt_.rcond >= 0.0 ? opt_.rcond : static_cast<double>(std::max(m_, n_)) * eps<T>();
    return static_cast<T>(rc);
  }

  // For every solver but the normal equations, whose G = A^T A + lambda I is where lambda goes.
  void reject_ridge() const {
    if (opt_.ridge_lambda > 0.0) {
      throw InvalidInput(name_ + ": ridge lambda is supported by cpu.cholesky (and the GD solvers) only");
    }
  }

  // info().note of the rank-revealing solvers when they truncated.
  std::string rank_note(index_t rank, index_t full) const {
    if (rank >= full) return std::string();
    std::ostringstream os;
    os << "numerical rank " << rank << " of " << full << " at rcond " << cutoff()
       << " (singular values or pivots below rcond times the largest treated as zero)";
    return os.str();
  }

  [[noreturn]] void throw_overflow(index_t col) const { cpu::throw_overflow(name_, col); }

  void check_full_rank(const T* r, index_t ldr) const { cpu::check_full_rank(name_, m_, n_, r, ldr); }

  std::string name_;
  SolverOptions opt_;
  bool allows_underdetermined_;
  index_t m_ = 0, n_ = 0;
  std::vector<T> A_, b_, x_;
};

// Registry entry of a CPU direct solver family with float and double factories.
template <template <typename> class S>
SolverEntry direct_entry(const char* name, const char* desc, bool full_rank, bool underdetermined,
                         bool normal_equations) {
  SolverEntry e;
  e.name = name;
  e.backend = Backend::cpu;
  e.kind = Kind::direct;
  e.description = desc;
  e.requires_full_rank = full_rank;
  e.allows_underdetermined = underdetermined;
  e.normal_equations = normal_equations;
  e.error_growth = normal_equations ? ErrorGrowth::kappa_squared : ErrorGrowth::kappa;
  e.flop_model = normal_equations ? FlopModel::cholesky : FlopModel::qr;
  e.minimum_norm = underdetermined;  // the solvers that take m < n return the minimum-norm x
  e.make_f32 = [](const SolverOptions& o) { return std::make_unique<S<float>>(o); };
  e.make_f64 = [](const SolverOptions& o) { return std::make_unique<S<double>>(o); };
  return e;
}

}  // namespace lsgd::cpu
