#pragma once
// Shared base of the CPU direct least-squares solvers (cpu/lstsq_*.cpp, cpu/tsqr.cpp): setup keeps
// a copy of A and b, computes the column scales of the equilibration (common/equilibration.hpp) and
// allocates the workspace (not timed); timed_solve() checks setup, applies the thread count to
// OpenMP and the BLAS, and times solve(): the solver's solve_equilibrated() on A D, then x = D z.
// LAPACK overwrites its input, so every solve starts by copying A into the workspace: part of the
// solve, as in NumPy and SciPy.
//
// Equilibration (SolverOptions::equilibrate; docs/cpu-backend.md):
//   full-rank solvers (QR, refined QR, TSQR, Cholesky): A D is stored at setup, where the copy of A
//     is made anyway. Bit for bit the unscaled computation unless something over- or underflows
//     (A^T A of a column of 1e200, ||A|| of one of 1e300), so on by default: it cannot hurt.
//   rank-revealing solvers (column-pivoted QR, COD, SVD): the timed copy into the workspace scales.
//     Their rank decision and GELSD's accuracy depend on the columns' scales, which are units, not
//     information; in automatic mode they solve A D when m >= n and, when A D is numerically rank
//     deficient (the basic / minimum-norm solution is then defined in the user's coordinates),
//     solve again unscaled. m < n (always minimum-norm) is solved unscaled unless asked.
#include <algorithm>
#include <cmath>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

#include "cpu/cpu_common.hpp"
#include "common/equilibration.hpp"
#include "common/lapack.hpp"
#include "common/rank_tolerance.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/registry.hpp"

namespace lsgd::cpu {

// Throws NumericalError (1-based column, suggesting the rank-revealing solvers) unless every
// |R(j,j)| of the n x n upper triangle at r (leading dimension ldr) of an m-row A exceeds the
// rounding noise relative to its column's norm, which Q's orthogonality makes the norm of R(0:j, j)
// (the rule and tolerance of common/rank_tolerance.hpp, shared with the CUDA solvers).
template <typename T>
void check_full_rank(const std::string& who, index_t m, index_t n, const T* r, index_t ldr) {
  const T tol = rank_tolerance<T>(m);
  for (index_t j = 0; j < n; ++j) {
    const T* col = r + j * ldr;
    check_r_column(who, j, col[j], scaled_norm(col, j + 1), tol, "cpu.colpiv_qr, cpu.cod or cpu.svd");
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

// How a solver family takes column equilibration (see the file comment).
enum class Scaling { full_rank, rank_revealing };

template <typename T>
class DirectSolverBase : public CpuSolver<Solver<T>> {
 public:
  DirectSolverBase(std::string name, const SolverOptions& opt, bool allows_underdetermined,
                   Scaling scaling = Scaling::full_rank)
      : name_(std::move(name)),
        opt_(opt),
        allows_underdetermined_(allows_underdetermined),
        scaling_(scaling) {
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
    scales_.clear();
    if (equilibrates()) {
      scales_ = column_scales(p.A.data(), m_, n_);
      if (scaling_ == Scaling::full_rank)
        copy_scaled_columns(p.A.data(), m_, n_, scales_, A_.data());
    }
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
  // Solves for A diag(scales()) (full-rank solvers: A_ holds it already; rank-revealing ones apply
  // scales() in their copy of A_) and writes z into x_; returns the numerical rank it found (the
  // full-rank solvers throw NumericalError instead and return n). Throws NumericalError for
  // singular or overflowing input.
  virtual index_t solve_equilibrated() = 0;

  // The column scales of the current solve; empty: unscaled.
  const std::vector<T>& scales() const { return active_; }

  // The timed solve: z from solve_equilibrated(), again unscaled when an equilibrated
  // rank-revealing solve in automatic mode found A D rank deficient, then x = D z.
  void solve() final {
    active_ = scales_;
    index_t rank = solve_equilibrated();
    if (scaling_ == Scaling::rank_revealing && !active_.empty() &&
        opt_.equilibrate == Equilibrate::automatic && rank < std::min(m_, n_)) {
      active_.clear();
      rank = solve_equilibrated();
      this->info_.note += std::string(this->info_.note.empty() ? "" : "; ") +
                          "rank deficient after column equilibration too: solved without it, so "
                          "the basic / minimum-norm solution is that of the original columns";
    }
    for (size_t j = 0; j < active_.size(); ++j) x_[j] *= active_[j];
  }

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
       << " (singular values or pivots below rcond times the largest treated as zero"
       << (active_.empty() ? "" : ", columns equilibrated") << ")";
    return os.str();
  }

  [[noreturn]] void throw_overflow(index_t col) const { cpu::throw_overflow(name_, col); }

  void check_full_rank(const T* r, index_t ldr) const { cpu::check_full_rank(name_, m_, n_, r, ldr); }

  std::string name_;
  SolverOptions opt_;
  bool allows_underdetermined_;
  index_t m_ = 0, n_ = 0;
  std::vector<T> A_, b_, x_;

 private:
  // Whether setup() computes column scales: SolverOptions::equilibrate, and in automatic mode every
  // full-rank solver and the rank-revealing ones when m >= n.
  bool equilibrates() const {
    switch (opt_.equilibrate) {
      case Equilibrate::off:
        return false;
      case Equilibrate::on:
        return true;
      case Equilibrate::automatic:
        return scaling_ == Scaling::full_rank || m_ >= n_;
    }
    return false;
  }

  Scaling scaling_;
  std::vector<T> scales_, active_;
};

// Registry entry of a CPU direct solver family with float and double factories.
template <template <typename> class S>
SolverEntry direct_entry(const char* name, const char* algorithm, const char* desc, bool full_rank,
                         bool underdetermined, bool normal_equations) {
  SolverEntry e;
  e.name = name;
  e.algorithm = algorithm;
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
