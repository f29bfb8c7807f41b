#pragma once
// The engine behind every CUDA gradient-descent solver (cuda.gd, cuda.bgd.*): per-problem device
// state, the per-variant iteration drivers, and the SolveInfo assembled from that state. The solvers
// derive from the one GPU contract (GpuSolver / BatchedGpuSolver), which owns A, b, x, the stream,
// the handles and the measured modes.
// The registry adapters (kernels/bgd_solvers.cpp, kernels/bgd_cublas.cpp, kernels/gd_single.cpp)
// are thin wrappers around it.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/gd_input.hpp"
#include "kernels/bgd_kernels.cuh"
#include "kernels/bgd_state.hpp"
#include "kernels/cuda_raii.hpp"
#include "kernels/gpu_solver_base.hpp"
#include "lsgd/solver.hpp"

namespace lsgd::cuda::gd {

enum class Variant {
  cublas,    // strided-batched cuBLAS GEMVs + our update kernel: what a user would write
  fused,     // one pass over A per iteration (streamed gradient kernel) + update kernel
  resident,  // one launch, A in registers; the fused pipeline when the shape does not fit
  gram,      // G = A^T A/m, c = A^T b/m by cuBLAS, then one launch on G in shared memory
};

// The host polls the count of running problems every kCheckEvery iterations (cuBLAS and fused
// drivers; the single-launch kernels stop on-chip) without stalling the device: each poll enqueues
// an asynchronous copy of the count into pinned memory and reads the copy enqueued by the previous
// poll, which the device finished while the launches of the current chunk stayed queued. Stopped
// problems are frozen on the device at once, so this only bounds the wasted launches (at most two
// chunks after the last problem stopped); results and iteration counts come from the device.
constexpr int kCheckEvery = 10;

// The GD engine: per-problem device state, workspaces and iteration drivers over the A, b and x
// owned by a solver of the contract (kernels/gpu_solver_base.hpp), which also owns the stream and
// the cuBLAS handle. No CUDA object exists before the solver's require_gpu().
template <typename T>
class GdEngine {
 public:
  GdEngine(std::string solver_name, const SolverOptions& opt);  // validates the options

  // Throws InvalidInput when the variant's kernels do not take an m x n problem.
  void check_shape(Variant variant, std::int64_t m, std::int64_t n) const;
  // Setup: the state and workspaces for batch problems of m x n at A and b (device, never
  // modified), solving into x (device, batch*n), on `stream` / `cublas`; kernel attributes.
  void prepare(Variant variant, const T* A, const T* b, T* x, std::int64_t m, std::int64_t n,
               std::int64_t batch, cudaStream_t stream, cublasHandle_t cublas);
  void reset();  // stage(): the per-problem state to its start (enqueued)
  void run();    // solve(): the power iteration and the iterations (enqueued)
  SolveInfo collect_info();  // check(): after the stream finished

  // For the cuBLAS driver (kernels/bgd_cublas.cpp).
  const GdParams& params() const { return prm_; }
  const GdState<T>& state() const { return st_; }
  const T* A() const { return A_; }
  const T* b() const { return b_; }
  cudaStream_t stream() const { return stream_; }
  cublasHandle_t cublas() const { return cublas_; }
  // The poll described at kCheckEvery: true when the count read (one poll behind) was zero.
  bool poll_stopped();
  // Per problem, after a solve: L (lambda included), f(x_0), the step.
  std::vector<T> lipschitz_values() { return bufs_.lip.to_host(0, stream_); }
  std::vector<T> initial_losses() { return bufs_.f0.to_host(0, stream_); }
  std::vector<T> steps() { return bufs_.alpha.to_host(0, stream_); }

 private:
  void allocate_workspace();
  void run_fused();
  void run_gram();

  std::string name_;
  SolverOptions opt_;
  Variant variant_ = Variant::fused;
  bool resident_fits_ = false;  // resident variant: the register kernel takes this shape
  GdParams prm_;
  GdState<T> st_;
  StreamPlan plan_;

  const T* A_ = nullptr;
  const T* b_ = nullptr;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  GdStateBuffers<T> bufs_;
  DeviceBuffer<T> work_a_, work_b_;  // streamed partials / cuBLAS r and g / Gram G and c
  PinnedBuffer<int> active_h_;       // two slots: the polls alternate
  Event poll_done_[2] = {Event(cudaEventDisableTiming), Event(cudaEventDisableTiming)};
  int polls_ = 0;
};

// One full solve of the cuBLAS baseline on the engine's state (kernels/bgd_cublas.cpp): r (batch*m)
// and g (batch*n) are its work buffers.
template <typename T>
void run_cublas_iterations(GdEngine<T>& e, T* r, T* g);

// The registry's face of the batched variants: the contract's stage / solve / check on the engine.
template <typename T>
class BatchedGdSolver final : public BatchedGpuSolver<T> {
 public:
  BatchedGdSolver(std::string name, const SolverOptions& opt, Variant v)
      : BatchedGpuSolver<T>(name, opt), variant_(v), engine_(std::move(name), opt) {}

 private:
  void check_shape(index_t m, index_t n) const override { engine_.check_shape(variant_, m, n); }
  void prepare(const BatchedProblem<T>& p) override {
    // The host data's rule of cpu.bgd (setup, untimed): a problem with A = 0 has no step.
    gd_input::reject_zero_problems(this->name(), p);
    engine_.prepare(variant_, this->A(), this->b(), this->x(), p.m, p.n, p.batch, this->stream(),
                    this->cublas());
  }
  void stage() override { engine_.reset(); }
  void solve() override { engine_.run(); }
  void check() override { this->info_ = engine_.collect_info(); }

  Variant variant_;
  GdEngine<T> engine_;
};

}  // namespace lsgd::cuda::gd
