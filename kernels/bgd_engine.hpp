#pragma once
// The engine behind every CUDA gradient-descent solver (cuda.gd, cuda.bgd.*): device state, upload,
// the per-variant iteration drivers, and the SolveInfo assembled from the per-problem device state.
// The registry adapters (kernels/bgd_solvers.cpp, kernels/bgd_cublas.cpp, kernels/gd_single.cpp)
// are thin wrappers around it.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kernels/bgd_kernels.cuh"
#include "kernels/cuda_raii.hpp"
#include "lsgd/solver.hpp"

namespace lsgd::cuda::gd {

enum class Variant {
  cublas,    // strided-batched cuBLAS GEMVs + our update kernel: what a user would write
  fused,     // one pass over A per iteration (streamed gradient kernel) + update kernel
  resident,  // one launch, A in registers; the fused pipeline when the shape does not fit
  gram,      // G = A^T A/m, c = A^T b/m by cuBLAS, then one launch on G in shared memory
};

// The host reads the count of running problems every kCheckEvery iterations (cuBLAS and fused
// drivers; the single-launch kernels stop on-chip). Stopped problems are frozen on the device at
// once, so this only bounds the wasted launches.
constexpr int kCheckEvery = 10;


template <typename T>
class GdEngine {
 public:
  GdEngine(std::string solver_name, const SolverOptions& opt, Variant variant);

  // Copies (end-to-end mode) or uploads (resident mode) batch problems of m x n, problem-major,
  // each column-major. Validates the shape against the variant's limits.
  void setup(const T* A, const T* b, std::int64_t m, std::int64_t n, std::int64_t batch);
  double timed_solve();  // the whole solve (power iteration included), CUDA events on the stream
  std::vector<T> solution();  // batch*n
  const SolveInfo& info() const { return info_; }
  bool set_up() const { return prm_.batch > 0; }

  // For the cuBLAS driver (kernels/bgd_cublas.cpp).
  const GdParams& params() const { return prm_; }
  const GdState<T>& state() const { return st_; }
  const T* A() const { return A_.data(); }
  const T* b() const { return b_.data(); }
  cudaStream_t stream() const { return stream_.get(); }
  cublasHandle_t cublas() const { return cublas_.get(); }
  bool all_stopped();  // reads the running count (synchronizes the stream)
  // Per problem, after a solve: L (lambda included), f(x_0).
  std::vector<T> lipschitz_values() { return lip_.to_host(0, stream_.get()); }
  std::vector<T> initial_losses() { return f0_.to_host(0, stream_.get()); }
  std::vector<T> steps() { return alpha_.to_host(0, stream_.get()); }

 private:
  void allocate_workspace();
  void upload_problem();
  void run();
  void run_fused();
  void run_gram();
  void collect_info();

  std::string name_;
  SolverOptions opt_;
  Variant variant_;
  bool resident_fits_ = false;  // resident variant: the register kernel takes this shape
  GdParams prm_;
  GdState<T> st_;
  StreamPlan plan_;
  std::vector<T> host_A_, host_b_;  // end-to-end mode: uploaded inside the timed region

  Stream stream_;
  CublasHandle cublas_;
  DeviceBuffer<T> A_, b_, x_, lip_, alpha_, f0_, g0_, f_last_;
  DeviceBuffer<int> status_, iters_, active_, hist_cnt_;
  DeviceBuffer<double> hist_sum_;
  DeviceBuffer<T> work_a_, work_b_;  // streamed partials / cuBLAS r and g / Gram G and c
  SolveInfo info_;
};

// One full solve of the cuBLAS baseline on the engine's state (kernels/bgd_cublas.cpp): r (batch*m)
// and g (batch*n) are its work buffers.
template <typename T>
void run_cublas_iterations(GdEngine<T>& e, T* r, T* g);

// The registry's face of the batched variants.
template <typename T>
class BatchedGdSolver final : public BatchedSolver<T> {
 public:
  BatchedGdSolver(std::string name, const SolverOptions& opt, Variant v)
      : name_(name), engine_(std::move(name), opt, v) {}
  std::string name() const override { return name_; }
  Backend backend() const override { return Backend::cuda; }
  void setup(const BatchedProblem<T>& p) override {
    p.validate();
    engine_.setup(p.A.data(), p.b.data(), p.m, p.n, p.batch);
    this->info_ = SolveInfo{};
  }
  double timed_solve() override {
    const double t = engine_.timed_solve();
    this->info_ = engine_.info();
    return t;
  }
  std::vector<T> solution() override { return engine_.solution(); }

 private:
  std::string name_;
  GdEngine<T> engine_;
};

}  // namespace lsgd::cuda::gd
