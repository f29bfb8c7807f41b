#pragma once
// Shared helpers of the CPU solvers: Eigen views of Problem storage, steady-clock timing, threads.
#include <chrono>
#include <string>

#include <Eigen/Dense>
#include <omp.h>

#include "cpu/blas_threads.hpp"
#include "lsgd/error.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/solver.hpp"

namespace lsgd::cpu {

template <typename T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;  // column-major
template <typename T>
using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
template <typename T>
using MapMat = Eigen::Map<const Mat<T>>;
template <typename T>
using MapVec = Eigen::Map<const Vec<T>>;

template <typename T>
MapMat<T> view_A(const Problem<T>& p) {
  return MapMat<T>(p.A.data(), p.m, p.n);
}
template <typename T>
MapVec<T> view_b(const Problem<T>& p) {
  return MapVec<T>(p.b.data(), p.m);
}

// Seconds of fn() by the steady clock.
template <typename F>
double time_seconds(F&& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double>(t1 - t0).count();
}

// The OpenMP thread count a solver uses: options.threads if > 0, else the OMP default
// (OMP_NUM_THREADS or the core count). Eigen's own parallel GEMM follows omp_get_max_threads().
inline int resolve_threads(const SolverOptions& opt) {
  return opt.threads > 0 ? opt.threads : omp_get_max_threads();
}

// Applies a thread count for the lifetime of the object (OpenMP, Eigen and the BLAS), restoring it
// afterwards.
class ScopedThreads {
 public:
  explicit ScopedThreads(int threads) : saved_(omp_get_max_threads()), blas_(threads) {
    omp_set_num_threads(threads);
    Eigen::setNbThreads(threads);
  }
  ~ScopedThreads() {
    omp_set_num_threads(saved_);
    Eigen::setNbThreads(saved_);
  }
  ScopedThreads(const ScopedThreads&) = delete;
  ScopedThreads& operator=(const ScopedThreads&) = delete;

 private:
  int saved_;
  ScopedBlasThreads blas_;
};

// The CPU face of the solver contract (lsgd::Solver's setup() / timed_solve() check readiness):
// the timed step scopes the solver's threads (info_.threads: OpenMP, Eigen and the BLAS) and times
// solve() with the steady clock; check() runs after the timing, inside the thread scope. Every CPU
// solver derives from CpuSolver<Solver<T>> or CpuSolver<BatchedSolver<T>> and implements solve().
template <typename Interface>
class CpuSolver : public Interface {
 public:
  Backend backend() const override { return Backend::cpu; }

 protected:
  double timed_solve_step() final {
    ScopedThreads threads(this->info_.threads);
    const double seconds = time_seconds([&] { solve(); });
    check();
    return seconds;
  }
  virtual void solve() = 0;  // the timed work
  virtual void check() {}    // after the timing: throw NumericalError for a bad result
};

}  // namespace lsgd::cpu
