#pragma once
// The Solver interface: one contract for every CPU and GPU, direct and iterative solver.
//
//   auto s = entry.make<double>(options);   // from the registry
//   s->setup(problem);     // allocation, upload (resident mode), workspace queries: not timed
//   double t = s->timed_solve();            // seconds: steady clock on CPU, CUDA events on GPU
//   std::vector<double> x = s->solution();  // download: not timed
//   s->info();             // iterations, loss history, notes (refinement, fallback), threads
//
// timed_solve() may be called repeatedly (benchmarks); each call solves the problem given to setup()
// from scratch, with the same inputs.
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "lsgd/error.hpp"
#include "lsgd/problem.hpp"

namespace lsgd {

enum class Backend { cpu, cuda, mpi };  // mpi: rows sharded across MPI ranks (mpi/)
enum class Kind { direct, iterative, batched_direct, batched_iterative };
enum class Precision { f32, f64 };

const char* to_string(Backend b);
const char* to_string(Kind k);
const char* to_string(Precision p);

template <typename T>
constexpr Precision precision_of() {
  return sizeof(T) == 4 ? Precision::f32 : Precision::f64;
}

// GPU measurement modes. resident: setup() uploads A and b; timed_solve() times the solve on the
// device only. end_to_end: setup() keeps host data; timed_solve() times upload + solve + download.
enum class GpuMode { resident, end_to_end };

enum class StepSchedule { constant, inv_sqrt, inv_time };  // SGD: a0, a0/sqrt(1+t), a0/(1+t/T)

// Column equilibration of the CPU direct solvers: solve (A D) z = b, x = D z, D = diag of powers of
// two bringing every column norm into [1, 4) (exact). automatic: the full-rank solvers always (bit
// for bit the unscaled result unless something over- or underflows), the rank-revealing ones when
// m >= n, solving again unscaled if A D is rank deficient (docs/cpu-backend.md).
enum class Equilibrate { automatic, on, off };
const char* to_string(Equilibrate e);

struct SolverOptions {
  // Direct solvers.
  double ridge_lambda = 0.0;  // normal equations: (A^T A + lambda I) x = A^T b; GD objective's lambda
  double rcond = -1.0;        // SVD/COD relative cutoff; < 0 means max(m,n) * eps(T)
  std::string inner_precision = "tf32";  // cuda.gels_irs: fp32 (double only), tf32, fp16, bf16
  GpuMode gpu_mode = GpuMode::resident;
  Equilibrate equilibrate = Equilibrate::automatic;  // CPU direct solvers

  // Iterative solvers: f(x) = 1/(2m)||Ax-b||^2 + lambda/2 ||x||^2.
  int max_iters = 1000;
  // cpu.gd*, mpi.gd*, cpu.sgd: stop when the estimated relative forward error ||x - x*|| / ||x||
  // <= tol (cpu/gd_stop.hpp); cpu.bgd and the cuda.* GD solvers: when ||grad f(x)|| <= tol *
  // ||grad f(0)||, which bounds the backward error only. 0 runs max_iters exactly.
  double tol = 1e-6;
  double step = 0.0;        // 0: 1/L with L from power iteration (+lambda)
  double lipschitz = 0.0;   // L if known (skips the power iteration)
  int power_iters = 20;     // power iterations for L
  double momentum = 0.0;    // heavy ball beta; 0 picks 0.9 (a common default, suited to ill-conditioned problems)
  int history_every = 0;    // record loss every k iterations; 0: no history
  int sgd_batch = 32;       // mini-batch rows
  StepSchedule schedule = StepSchedule::constant;
  std::uint64_t seed = 1;   // SGD shuffling
  int threads = 0;          // CPU: 0 = OMP default (OMP_NUM_THREADS)
};

struct SolveInfo {
  int iterations = 0;  // iterative solvers; refinement iterations for gels_irs
  bool converged = true;
  // Iterative solvers that estimate it (cpu.gd*, mpi.gd*, cpu.sgd with tol > 0): the estimated
  // relative forward error ||x - x*|| / ||x|| of the returned x; NaN otherwise.
  double error_estimate = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> loss_history;  // f(x_k) every history_every iterations, starting with k = 0
  int history_every = 0;
  int threads = 1;     // CPU threads used
  std::string note;    // e.g. "refinement did not converge; fell back to working precision"
  // Batched solvers: one entry per problem. status 0 = solved; otherwise a failure code
  // (1 = singular / not positive definite, 2 = diverged, 3 = not converged within max_iters).
  std::vector<int> problem_status;
  std::vector<int> problem_iterations;
};

// Failure codes of SolveInfo::problem_status.
enum ProblemStatus : int { kSolved = 0, kSingular = 1, kDiverged = 2, kNotConverged = 3 };

// Checks the SolverOptions fields every gradient-descent solver reads (max_iters, tol, step,
// lipschitz, ridge_lambda, momentum, power_iters, history_every); throws InvalidInput naming the
// solver. The one rule of every backend (cpu/gd_common.hpp, kernels/bgd_engine.cpp, mpi/gd.cpp):
// a solver that ignores a field (momentum in plain GD) still refuses a bad value of it.
void validate_iterative_options(const std::string& solver, const SolverOptions& o);

// Indices of the problems whose status is not kSolved.
std::vector<index_t> failed_indices(const SolveInfo& info);

// The non-virtual face of every solver (Ginkgo's apply / apply_impl): setup() and timed_solve()
// are written once here, around the protected steps a solver implements. The "timed_solve() before
// setup()" guard lives only here: a solver is ready after a setup() that returned normally, and a
// setup() that throws (invalid input, out of memory, a failed upload) leaves it not ready, so the
// next timed_solve() raises InvalidInput instead of running on freed or undersized buffers.
class SolverBase {
 public:
  virtual ~SolverBase() = default;
  virtual std::string name() const = 0;
  virtual Backend backend() const = 0;
  // Throws InvalidInput("<name>: timed_solve() before setup() ...") unless the last setup()
  // succeeded; otherwise the solver's timed step (seconds).
  double timed_solve() {
    if (!ready_) {
      throw InvalidInput(name() +
                         ": timed_solve() before setup() (or after a setup() that failed)");
    }
    return timed_solve_step();
  }
  bool ready() const { return ready_; }
  virtual const SolveInfo& info() const { return info_; }

 protected:
  // The solve, timed by the solver (steady clock on CPU, CUDA events on GPU); only called when
  // ready().
  virtual double timed_solve_step() = 0;
  // Runs a setup step: not ready while it runs, ready only when it returns normally.
  template <typename F>
  void guarded_setup(F&& step) {
    ready_ = false;
    step();
    ready_ = true;
  }

  SolveInfo info_;

 private:
  bool ready_ = false;
};

template <typename T>
class Solver : public SolverBase {
 public:
  void setup(const Problem<T>& problem) {
    guarded_setup([&] { setup_step(problem); });
  }
  virtual std::vector<T> solution() = 0;  // n entries

 protected:
  virtual void setup_step(const Problem<T>& problem) = 0;
};

template <typename T>
class BatchedSolver : public SolverBase {
 public:
  void setup(const BatchedProblem<T>& problem) {
    guarded_setup([&] { setup_step(problem); });
  }
  virtual std::vector<T> solution() = 0;  // batch*n entries, problem-major

 protected:
  virtual void setup_step(const BatchedProblem<T>& problem) = 0;
};

}  // namespace lsgd
