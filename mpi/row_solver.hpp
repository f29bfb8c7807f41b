#pragma once
// Base of the row-sharded mpi.* solvers (mpi.tsqr, mpi.cholesky, mpi.gd*): every rank calls setup()
// with its own rows (any number, 0 included; n the same everywhere), timed_solve() on every rank
// runs the collective solve and returns the slowest rank's time, solution() is the same x on every
// rank. Failures are agreed on (mpi_common.hpp): every rank throws the same error, none hangs.
#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "cpu/cpu_common.hpp"
#include "lsgd/registry.hpp"
#include "mpi/mpi_common.hpp"

namespace lsgd::mpi {

template <typename T>
class RowSolver : public Solver<T>, public Distributed {
 public:
  RowSolver(std::string name, const SolverOptions& opt) : name_(std::move(name)), opt_(opt) {}

  std::string name() const override { return name_; }
  Backend backend() const override { return Backend::mpi; }
  double comm_seconds() const override { return comm_max_; }
  index_t global_rows() const override { return m_global_; }

  std::vector<T> solution() override { return x_; }

 protected:
  // Solver<T>::setup() runs this and marks the solver ready only when it returns on this rank;
  // failures are agreed on, so every rank is ready or none is.
  void setup_step(const Problem<T>& p) override {
    const index_t first_row = offset_of_rank(p.m);
    agree(name_, [&] {
      if (p.m == 0) {  // a rank without rows: allowed, it only takes part in the reductions
        if (p.n <= 0 || !p.A.empty() || !p.b.empty()) {
          throw InvalidInput("a rank with 0 rows needs n > 0 and empty A and b");
        }
        return;
      }
      try {
        p.validate();
      } catch (const InvalidInput& e) {
        std::ostringstream os;
        os << e.what() << " (row numbers local to this rank, whose rows start at global row "
           << first_row << ")";
        throw InvalidInput(os.str());
      }
    });
    int n_range[2] = {static_cast<int>(-p.n), static_cast<int>(p.n)};
    LSGD_MPI_CHECK(
        MPI_Allreduce(MPI_IN_PLACE, n_range, 2, MPI_INT, MPI_MAX, MPI_COMM_WORLD));
    if (-n_range[0] != n_range[1]) {
      std::ostringstream os;
      os << name_ << ": the ranks disagree on n (from " << -n_range[0] << " to " << n_range[1]
         << " columns)";
      throw InvalidInput(os.str());
    }
    m_global_ = sum_over_ranks(p.m);
    if (m_global_ < p.n) {
      std::ostringstream os;
      os << name_ << ": m = " << m_global_ << " < n = " << p.n
         << " over all ranks (underdetermined); use cpu.cod or cpu.svd for the minimum-norm "
            "solution";
      throw InvalidInput(os.str());
    }
    m_ = p.m;
    n_ = p.n;
    first_row_ = first_row;
    A_ = p.A;
    b_ = p.b;
    x_.assign(static_cast<size_t>(n_), T(0));
    this->info_ = SolveInfo{};
    this->info_.threads = cpu::resolve_threads(opt_);
    agree(name_, [&] { allocate(); });
  }

  double timed_solve_step() override {
    cpu::ScopedThreads threads(this->info_.threads);
    comm_.reset();
    // Start together, so that the time is the collective's, not a late rank's arrival.
    LSGD_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
    double s = 0.0;
    s = cpu::time_seconds([&] { solve(); });
    if (!std::all_of(x_.begin(), x_.end(), [](T v) { return std::isfinite(v); })) {
      // x is the same on every rank (broadcast or computed from the same reduced data).
      throw NumericalError(name_ + ": the solution has non-finite entries (A is singular or the "
                                   "data overflow in this precision; rescale the columns of A)");
    }
    comm_max_ = max_over_ranks(comm_.seconds());
    return max_over_ranks(s);
  }

  // Workspace for this rank's rows (m_, n_, A_, b_ and m_global_ set). Not timed. Local.
  virtual void allocate() {}
  // Collective: writes x_ on every rank. Must throw on every rank or on none: work that can fail on
  // one rank (a local solve, a check of local data) runs inside agree(), which ends in a collective
  // every rank reaches; a rank throwing outside it would leave its peers waiting in the next one.
  virtual void solve() = 0;

  std::string name_;
  SolverOptions opt_;
  index_t m_ = 0, n_ = 0, m_global_ = 0, first_row_ = 0;
  std::vector<T> A_, b_, x_;
  CommClock comm_;
  double comm_max_ = 0.0;
};

// Registry entry of an mpi.* row-sharded solver family.
template <typename MakeF32, typename MakeF64>
SolverEntry row_entry(const char* name, const char* algorithm, Kind kind, const char* desc,
                      bool normal_equations, MakeF32 f32, MakeF64 f64) {
  SolverEntry e;
  e.name = name;
  e.algorithm = algorithm;
  e.backend = Backend::mpi;
  e.kind = kind;
  e.description = desc;
  e.requires_full_rank = true;
  // As the registry's fields say for the single-process twins: GD iterates on A^T A without
  // forming it (kappa^2 growth, the gd_iter flop model); the normal equations form it.
  const bool iterative = kind == Kind::iterative;
  e.normal_equations = normal_equations && !iterative;
  e.error_growth = normal_equations || iterative ? ErrorGrowth::kappa_squared : ErrorGrowth::kappa;
  e.flop_model = iterative ? FlopModel::gd_iter
                           : normal_equations ? FlopModel::cholesky : FlopModel::qr;
  e.make_f32 = f32;
  e.make_f64 = f64;
  e.available = [] { return initialized(); };
  e.unavailable_reason = kNeedsMpi;
  return e;
}

}  // namespace lsgd::mpi
