#pragma once
// GpuSolver<T>: the shared base of GPU single-problem solvers. It owns one non-blocking stream, the
// cuBLAS and cuSOLVER handles bound to it, the device copies of A, b and x, a small status area,
// and it implements the two measured modes (SolverOptions::gpu_mode) once for every solver:
//
//   resident    setup():       validate, upload A and b to the device, prepare() (workspaces).
//               timed_solve(): [untimed: zero status, stage()] | timed: solve(), status -> host |
//                              then check(). Only the solve is timed: the working copies a
//                              factorization overwrites are made by stage() before the start event.
//   end_to_end  setup():       validate, keep A and b in pinned host memory, allocate the device
//                              buffers, prepare() (workspaces).
//               timed_solve(): | timed: upload A and b, zero status, stage(), solve(), status and
//                              x -> host | then check().
//
// Both modes time with CUDA events on the solver's stream (GpuTimer) and return seconds. The device
// copies of A and b (A(), b()) are never modified: solvers whose factorization overwrites its input
// copy them into their own work buffers in stage(), so timed_solve() can be called repeatedly.
//
// A derived solver implements, in call order:
//   check_shape(m, n)  throw InvalidInput for shapes it does not support (m < n, int overflow)
//   prepare(p)         allocate work buffers, query and allocate workspaces (A(), b() allocated)
//   stage()            device-to-device copies of A(), b() into its work buffers (may be empty)
//   solve()            enqueue the solve on stream(), writing x(); may synchronize to decide
//   check()            after the stream finished: read status words, throw NumericalError
// The base then throws NumericalError if x has NaN / Inf entries (counted on the device).
#include <string>
#include <vector>

#include "kernels/cuda_raii.hpp"
#include "lsgd/solver.hpp"

namespace lsgd::cuda {

template <typename T>
class GpuSolver : public Solver<T> {
 public:
  std::string name() const override { return name_; }
  Backend backend() const override { return Backend::cuda; }
  void setup(const Problem<T>& p) final;
  double timed_solve() final;
  std::vector<T> solution() final;

 protected:
  // Calls require_gpu() first: no stream or handle is created without a usable device.
  GpuSolver(std::string name, const SolverOptions& opt);

  virtual void check_shape(index_t m, index_t n) const {
    (void)m;
    (void)n;
  }
  virtual void prepare(const Problem<T>& p) = 0;
  virtual void stage() {}
  virtual void solve() = 0;
  virtual void check() {}

  const SolverOptions& options() const { return opt_; }
  index_t m() const { return m_; }
  index_t n() const { return n_; }
  cudaStream_t stream() const { return stream_.get(); }
  cublasHandle_t cublas() const { return cublas_.get(); }
  cusolverDnHandle_t cusolver() const { return cusolver_.get(); }
  const T* A() const { return A_.data(); }  // device, m x n column-major, lda = m; never modified
  const T* b() const { return b_.data(); }  // device, m entries; never modified
  T* x() { return x_.data(); }              // device, n entries: the solve's output

  // Status words: device ints zeroed before every solve and copied to pinned host memory after
  // solve(); status(i) reads the host copy in check(). Slot 0 belongs to the base (non-finite count
  // of x); derived solvers use slots 1 .. kStatusSlots-1 (devInfo, ranks, counters).
  static constexpr int kStatusSlots = 8;
  int* status_slot(int i) { return status_d_.data() + i; }
  int status(int i) const { return status_h_[static_cast<size_t>(i)]; }
  // Copies slot i to the host now (synchronizes the stream), for decisions inside solve().
  int fetch_status_now(int i);

  // Throws InvalidInput naming the solver when m or n exceeds the int range of a legacy API.
  void require_int_range(index_t m, index_t n, const char* api) const;

 private:
  static Stream make_stream();
  void zero_status();
  void finish_solve();  // nonfinite count of x, status -> host; inside the timed region

  std::string name_;
  SolverOptions opt_;
  Stream stream_;  // after name_/opt_; make_stream() calls require_gpu() before anything else
  CublasHandle cublas_;
  CusolverHandle cusolver_;
  GpuTimer timer_;
  DeviceBuffer<int> status_d_;
  PinnedBuffer<int> status_h_;

  index_t m_ = 0, n_ = 0;
  DeviceBuffer<T> A_, b_, x_;
  PinnedBuffer<T> A_h_, b_h_, x_h_;  // end_to_end only
};

}  // namespace lsgd::cuda
