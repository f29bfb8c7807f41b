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

index_t ceil_div(index_t a, index_t b) { return (a + b - 1) / b; }

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
    for (const Level& lv : levels_) streaming_qr_launch(args_for(lv), lv.grid, this->stream());
  }

  void check() override {
    std::ostringstream note;
    note << "TSQR: " << levels_.size() << " level(s); level 0: " << levels_[0].grid
         << " block(s) of " << levels_[0].chunk << " rows";
    this->info_.note = note.str();
    if (this->status(kRankStatus) != 0) {
      throw NumericalError(this->name() +
                           ": A is rank deficient to working precision (a diagonal entry "
                           "of R is <= 10 sqrt(m) eps times its column's norm, as in cpu.qr, "
                           "or R x = Q^T b overflowed); "
                           "use cpu.colpiv_qr, cpu.cod or cpu.svd");
    }
  }

  // One kernel launch. input: -1 reads A and b, otherwise work buffer `input` (its column n is
  // the carried Q^T b). Reduce levels write to work buffer `output`.
  struct Level {
    index_t rows = 0, chunk = 0, grid = 0;
    bool solve = false;
    int input = -1, output = 0;
  };

  void plan_levels() {
    const index_t m = this->m(), n = this->n();
    levels_.clear();
    const index_t panel = streaming_qr_panel_rows(n);
    const index_t cap = streaming_qr_resident_blocks<T>(n);
    index_t rows = m;
    int input = -1;
    size_t work_rows[2] = {0, 0};
    while (true) {
      Level lv;
      lv.rows = rows;
      lv.input = input;
      if (rows <= panel) {
        lv.solve = true;
        lv.chunk = rows;
        lv.grid = 1;
        levels_.push_back(lv);
        break;
      }
      if (input < 0) {
        // Level 0: as many blocks as fit on the device at once, each streaming whole panels.
        const index_t blocks = std::min(ceil_div(rows, panel), cap);
        lv.chunk = ceil_div(ceil_div(rows, blocks), panel) * panel;
      } else {
        lv.chunk = panel;
      }
      lv.grid = ceil_div(rows, lv.chunk);
      lv.output = input == 0 ? 1 : 0;
      levels_.push_back(lv);
      rows = lv.grid * n;  // the stacked [R | c] blocks: panel >= 4n, so rows shrink >= 4x
      work_rows[lv.output] = std::max(work_rows[lv.output], static_cast<size_t>(rows));
      input = lv.output;
    }
    for (int w = 0; w < 2; ++w) work_[w].resize(work_rows[w] * static_cast<size_t>(n + 1));
  }

  StreamingQrArgs<T> args_for(const Level& lv) {
    const index_t m = this->m(), n = this->n();
    StreamingQrArgs<T> a;
    if (lv.input < 0) {
      a.A = this->A();
      a.lda = m;
      a.b = this->b();
    } else {
      // A level's input buffer holds exactly lv.rows rows with leading dimension lv.rows.
      a.A = work_[lv.input].data();
      a.lda = lv.rows;
      a.b = work_[lv.input].data() + n * lv.rows;
    }
    a.rows = lv.rows;
    a.n = n;
    a.chunk = lv.chunk;
    a.solve = lv.solve;
    if (lv.solve) {
      a.x = this->x();
      a.status = this->status_slot(kRankStatus);
      a.rank_tol = rank_qr_tolerance<T>(m);  // the original m: the stacked R rows carry A's norms
    } else {
      a.out = work_[lv.output].data();
      a.ldo = lv.grid * n;
    }
    return a;
  }

  std::vector<Level> levels_;
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
