// cuda.tsqr: tall-skinny least squares by TSQR (communication-avoiding Householder QR).
//
// Level 0: blocks stream disjoint row chunks of [A | b] through shared memory once, each folding
// its rows into an n x (n+1) accumulator [R | c] (kernels/batched_resident.cu). Each further level
// stacks the previous level's [R | c] blocks (n rows each) and reduces them the same way, one
// 256-row panel per block, until one panel remains; that last block also checks the diagonal of R
// (rank test of cpu.qr) and back-substitutes R x = c. Q is never formed: Q^T b rides along as
// column n. Backward stable like Householder QR; A is read from device memory exactly once.
// The measured modes, setup and refusal after a failed setup come from GpuSolver
// (kernels/gpu_solver_base.hpp).
#include <algorithm>
#include <memory>
#include <sstream>
#include <vector>

#include "kernels/batched_resident.cuh"
#include "kernels/gpu_solver_base.hpp"
#include "lsgd/registry.hpp"

namespace lsgd::cuda {
namespace {

template <typename T>
class TsqrSolver final : public GpuSolver<T> {
 public:
  explicit TsqrSolver(const SolverOptions& opt) : GpuSolver<T>("cuda.tsqr", opt) {
    if (opt.ridge_lambda != 0.0) throw InvalidInput("cuda.tsqr: ridge lambda is not supported");
  }

 private:
  enum Slot : int { kRankStatus = 1 };

  void check_shape(index_t m, index_t n) const override {
    if (m < n) {
      std::ostringstream os;
      os << this->name() << ": m = " << m << " < n = " << n
         << " (underdetermined); TSQR needs m >= n";
      throw InvalidInput(os.str());
    }
    if (n > kStreamingQrMaxN) {
      std::ostringstream os;
      os << this->name() << ": n = " << n
         << " exceeds the largest supported n = " << kStreamingQrMaxN
         << " (each block holds R and a row panel in shared memory); use cuda.qr";
      throw InvalidInput(os.str());
    }
  }

  void prepare(const Problem<T>&) override {
    streaming_qr_prepare<T>(this->n());
    plan_levels();
  }

  // Every level rewrites its output and the last one writes x and the status word: nothing to
  // stage.
  void solve() override {
    for (const TsqrLevel& lv : plan_.levels) streaming_qr_launch(args_for(lv), lv.grid, this->stream());
  }

  void check() override {
    std::ostringstream note;
    note << "TSQR: " << plan_.levels.size() << " level(s); level 0: " << plan_.levels[0].grid
         << " block(s) of " << plan_.levels[0].chunk << " rows";
    this->info_.note = note.str();
    if (this->status(kRankStatus) != 0) {
      throw NumericalError(this->name() +
                           ": A is rank deficient to working precision (a diagonal entry "
                           "of R is <= 10 sqrt(m) eps times its column's norm, as in cpu.qr, "
                           "or R x = Q^T b overflowed); "
                           "use cpu.colpiv_qr, cpu.cod or cpu.svd");
    }
  }

  void plan_levels() {
    const index_t n = this->n();
    plan_ = plan_tsqr(this->m(), n, streaming_qr_panel_rows(n), streaming_qr_resident_blocks<T>(n));
    for (int w = 0; w < 2; ++w) {
      work_[w].resize(static_cast<size_t>(plan_.work_rows[w]) * static_cast<size_t>(n + 1));
    }
  }

  StreamingQrArgs<T> args_for(const TsqrLevel& lv) {
    T* const work[2] = {work_[0].data(), work_[1].data()};
    return tsqr_level_args<T>(lv, this->A(), this->b(), this->m(), this->n(), work, this->x(),
                              this->status_slot(kRankStatus));
  }

  TsqrPlan plan_;
  DeviceBuffer<T> work_[2];
};

}  // namespace
}  // namespace lsgd::cuda

namespace lsgd {

void register_cuda_tsqr(SolverEntry& e) {
  e.make_f32 = [](const SolverOptions& o) { return std::make_unique<cuda::TsqrSolver<float>>(o); };
  e.make_f64 = [](const SolverOptions& o) { return std::make_unique<cuda::TsqrSolver<double>>(o); };
}

}  // namespace lsgd
