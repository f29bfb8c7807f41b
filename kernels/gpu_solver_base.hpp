#pragma once
// The one contract of every CUDA solver: GpuSolver<T> (one problem, lsgd::Solver<T>) and its
// batched twin BatchedGpuSolver<T> (lsgd::BatchedSolver<T>) are the same template, so the two
// measured modes (SolverOptions::gpu_mode) are written once (docs/gpu-backend.md):
//
//   resident    setup():       validate, upload A and b to the device, prepare() (workspaces).
//               timed_solve(): [untimed: zero status, stage()] | timed: solve(), status words
//                              -> pinned host | then check().
//   end_to_end  setup():       validate, copy A and b into pinned host memory, allocate the device
//                              buffers, prepare() (workspaces).
//               timed_solve(): | timed: upload A and b from pinned memory, zero status, stage(),
//                              solve(), status words and x -> pinned host | then check().
//
// Both modes time with CUDA events on the solver's stream (GpuTimer) and return seconds. The device
// copies of A and b (A(), b()) are never modified: solvers whose factorization overwrites its input
// copy them into their own work buffers in stage(), so timed_solve() can be called repeatedly.
// lsgd::Solver / BatchedSolver refuse timed_solve() unless the last setup() returned normally, so a
// setup() that failed half way (out of memory, a failed upload) is never solved on.
//
// A derived solver implements, in call order:
//   check_shape(m, n)  throw InvalidInput for shapes it does not support (m < n, int overflow)
//   prepare(p)         allocate work buffers, query and allocate workspaces, set kernel attributes
//                      (A(), b(), x() allocated; m(), n(), batch() set)
//   stage()            reset what solve() overwrites: device copies of A(), b(), state resets
//   solve()            enqueue the solve on stream(), writing x() (batch()*n() entries,
//                      problem-major); may synchronize to decide only through fetch_status_now()
//   check()            after the stream finished: read status words and per-problem results,
//                      throw NumericalError / set info_
//   finish_solution(x) optional: adjust the host copy solution() returns (batched: NaN rows)
// The single-problem base then throws NumericalError if x has NaN / Inf entries (counted on the
// device, inside the timed region).
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cuda_raii.hpp"
#include "lsgd/solver.hpp"

namespace lsgd::cuda {

// One per solver: the stream every operation of the solver is ordered on, and the cuBLAS and
// cuSOLVER handles bound to it. require_gpu() runs before anything is created, so a machine
// without a GPU gets DeviceError("no CUDA device: ...") and no raw CUDA error text.
struct GpuContext {
  GpuContext();
  bool gpu_checked;  // first member: require_gpu() has returned
  Stream stream;
  CublasHandle cublas;
  CusolverHandle cusolver;
};

template <typename T, typename Interface>
class GpuSolverBase : public Interface {
 public:
  static constexpr bool kBatched = std::is_same_v<Interface, BatchedSolver<T>>;
  using ProblemType = std::conditional_t<kBatched, BatchedProblem<T>, Problem<T>>;

  std::string name() const override { return name_; }
  Backend backend() const override { return Backend::cuda; }
  std::vector<T> solution() final;

 protected:
  // The context is made first: require_gpu(), then the stream and the handles.
  GpuSolverBase(std::string name, const SolverOptions& opt);

  void setup_step(const ProblemType& p) final;
  double timed_solve_step() final;

  virtual void check_shape(index_t m, index_t n) const {
    (void)m;
    (void)n;
  }
  virtual void prepare(const ProblemType& p) = 0;
  virtual void stage() {}
  virtual void solve() = 0;
  virtual void check() {}
  virtual void finish_solution(std::vector<T>& x) const { (void)x; }

  const SolverOptions& options() const { return opt_; }
  index_t m() const { return m_; }
  index_t n() const { return n_; }
  index_t batch() const { return batch_; }
  cudaStream_t stream() const { return ctx_.stream.get(); }
  cublasHandle_t cublas() const { return ctx_.cublas.get(); }
  cusolverDnHandle_t cusolver() const { return ctx_.cusolver.get(); }
  const T* A() const { return A_.data(); }  // device, batch problems of m x n; never modified
  const T* b() const { return b_.data(); }  // device, batch * m entries; never modified
  T* x() { return x_.data(); }              // device, batch * n entries: the solve's output

  // Status words: device ints zeroed before every solve and copied to pinned host memory after
  // solve() (inside the timed region); status(i) reads the host copy in check(). Slot 0 belongs to
  // the single-problem base (non-finite count of x); derived solvers use slots 1 .. kStatusSlots-1
  // (devInfo, ranks, counters).
  static constexpr int kStatusSlots = 8;
  int* status_slot(int i) { return status_d_.data() + i; }
  int status(int i) const { return status_h_[static_cast<size_t>(i)]; }
  // Copies slot i to the host now (synchronizes the stream), for decisions inside solve().
  int fetch_status_now(int i);

  // Throws InvalidInput naming the solver when m or n exceeds the int range of a legacy API.
  void require_int_range(index_t m, index_t n, const char* api) const;
  // Throws InvalidInput naming the solver when options().ridge_lambda != 0 (the factorization
  // solvers; ridge goes to cuda.cholesky and the GD solvers).
  void reject_ridge() const;
  // Throws InvalidInput naming the solver when m < n, pointing at cuda.svd's minimum-norm solution.
  void require_overdetermined(index_t m, index_t n) const;

 private:
  void zero_status();
  void finish_solve();  // nonfinite count of x (single problem), status -> host; timed

  std::string name_;
  SolverOptions opt_;
  GpuContext ctx_;  // after name_/opt_, before everything that allocates
  GpuTimer timer_;
  DeviceBuffer<int> status_d_;
  PinnedBuffer<int> status_h_;

  index_t m_ = 0, n_ = 0, batch_ = 0;
  DeviceBuffer<T> A_, b_, x_;
  PinnedBuffer<T> A_h_, b_h_, x_h_;  // end_to_end only
};

template <typename T>
using GpuSolver = GpuSolverBase<T, Solver<T>>;
template <typename T>
using BatchedGpuSolver = GpuSolverBase<T, BatchedSolver<T>>;

}  // namespace lsgd::cuda
