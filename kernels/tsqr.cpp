// cuda.tsqr: tall-skinny least squares by TSQR (communication-avoiding Householder QR).
//
// Level 0: blocks stream disjoint row chunks of [A | b] through shared memory once, each folding
// its rows into an n x (n+1) accumulator [R | c] (kernels/batched_resident.cu). Each further level
// stacks the previous level's [R | c] blocks (n rows each) and reduces them the same way, one
// 256-row panel per block, until one panel remains; that last block also checks the diagonal of R
// (rank test of cpu.qr) and back-substitutes R x = c. Q is never formed: Q^T b rides along as
// column n. Backward stable like Householder QR; A is read from device memory exactly once.
#include <algorithm>
#include <memory>
#include <sstream>
#include <vector>

#include "kernels/batched_resident.cuh"
#include "kernels/cuda_raii.hpp"
#include "lsgd/registry.hpp"

namespace lsgd::cuda {
namespace {

index_t ceil_div(index_t a, index_t b) { return (a + b - 1) / b; }

template <typename T>
class TsqrSolver final : public Solver<T> {
 public:
  explicit TsqrSolver(const SolverOptions& opt) : mode_(opt.gpu_mode) {
    require_gpu();
    if (opt.ridge_lambda != 0.0) throw InvalidInput("cuda.tsqr: ridge lambda is not supported");
    stream_ = std::make_unique<Stream>();
  }

  std::string name() const override { return "cuda.tsqr"; }
  Backend backend() const override { return Backend::cuda; }

  void setup(const Problem<T>& p) override {
    p.validate();
    if (p.m < p.n) {
      std::ostringstream os;
      os << name() << ": m = " << p.m << " < n = " << p.n
         << " (underdetermined); TSQR needs m >= n";
      throw InvalidInput(os.str());
    }
    if (p.n > kStreamingQrMaxN) {
      std::ostringstream os;
      os << name() << ": n = " << p.n << " exceeds the largest supported n = " << kStreamingQrMaxN
         << " (each block holds R and a row panel in shared memory); use cuda.qr";
      throw InvalidInput(os.str());
    }
    streaming_qr_prepare<T>(p.n);
    m_ = p.m;
    n_ = p.n;
    plan_levels();

    cudaStream_t s = stream_->get();
    if (mode_ == GpuMode::end_to_end) {
      hA_ = p.A;
      hb_ = p.b;
      dA_.resize(p.A.size());
      db_.resize(p.b.size());
    } else {
      dA_.upload(p.A, s);
      db_.upload(p.b, s);
    }
    dx_.resize(static_cast<size_t>(n_));
    dstatus_.resize(1);
    x_.assign(static_cast<size_t>(n_), T(0));
    stream_->synchronize();
    this->info_ = SolveInfo{};
    std::ostringstream note;
    note << "TSQR: " << levels_.size() << " level(s); level 0: " << levels_[0].grid
         << " block(s) of " << levels_[0].chunk << " rows";
    this->info_.note = note.str();
  }

  double timed_solve() override {
    if (n_ == 0) throw InvalidInput(name() + ": timed_solve() before setup()");
    cudaStream_t s = stream_->get();
    GpuTimer timer(s);
    timer.start();
    if (mode_ == GpuMode::end_to_end) {
      dA_.upload(hA_.data(), hA_.size(), s);
      db_.upload(hb_.data(), hb_.size(), s);
    }
    for (const Level& lv : levels_) streaming_qr_launch(args_for(lv), lv.grid, s);
    if (mode_ == GpuMode::end_to_end) dx_.download(x_.data(), x_.size(), s);
    const double seconds = timer.stop_seconds();

    int status = 0;
    if (mode_ == GpuMode::resident) dx_.download(x_.data(), x_.size(), s);
    dstatus_.download(&status, 1, s);
    stream_->synchronize();
    if (status != 0) {
      throw NumericalError(name() +
                           ": A is rank deficient to working precision (a diagonal entry "
                           "of R is <= 10 sqrt(m) eps times its column's norm, as in cpu.qr, "
                           "or R x = Q^T b overflowed); "
                           "use cpu.colpiv_qr, cpu.cod or cpu.svd");
    }
    return seconds;
  }

  std::vector<T> solution() override { return x_; }

 private:
  // One kernel launch. input: -1 reads A and b, otherwise work buffer `input` (its column n is
  // the carried Q^T b). Reduce levels write to work buffer `output`.
  struct Level {
    index_t rows = 0, chunk = 0, grid = 0;
    bool solve = false;
    int input = -1, output = 0;
  };

  void plan_levels() {
    levels_.clear();
    const index_t panel = streaming_qr_panel_rows(n_);
    const index_t cap = streaming_qr_resident_blocks<T>(n_);
    index_t rows = m_;
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
      rows = lv.grid * n_;  // the stacked [R | c] blocks: panel >= 4n, so rows shrink >= 4x
      work_rows[lv.output] = std::max(work_rows[lv.output], static_cast<size_t>(rows));
      input = lv.output;
    }
    for (int w = 0; w < 2; ++w) work_[w].resize(work_rows[w] * static_cast<size_t>(n_ + 1));
  }

  StreamingQrArgs<T> args_for(const Level& lv) {
    StreamingQrArgs<T> a;
    if (lv.input < 0) {
      a.A = dA_.data();
      a.lda = m_;
      a.b = db_.data();
    } else {
      // A level's input buffer holds exactly lv.rows rows with leading dimension lv.rows.
      a.A = work_[lv.input].data();
      a.lda = lv.rows;
      a.b = work_[lv.input].data() + n_ * lv.rows;
    }
    a.rows = lv.rows;
    a.n = n_;
    a.chunk = lv.chunk;
    a.solve = lv.solve;
    if (lv.solve) {
      a.x = dx_.data();
      a.status = dstatus_.data();
      a.rank_tol = rank_qr_tolerance<T>(m_);  // the original m: the stacked R rows carry A's norms
    } else {
      a.out = work_[lv.output].data();
      a.ldo = lv.grid * n_;
    }
    return a;
  }

  GpuMode mode_;
  std::unique_ptr<Stream> stream_;
  index_t m_ = 0, n_ = 0;
  std::vector<Level> levels_;
  std::vector<T> hA_, hb_, x_;
  DeviceBuffer<T> dA_, db_, dx_;
  DeviceBuffer<T> work_[2];
  DeviceBuffer<int> dstatus_;
};

}  // namespace
}  // namespace lsgd::cuda

namespace lsgd {

void register_cuda_tsqr(SolverEntry& e) {
  e.make_f32 = [](const SolverOptions& o) { return std::make_unique<cuda::TsqrSolver<float>>(o); };
  e.make_f64 = [](const SolverOptions& o) { return std::make_unique<cuda::TsqrSolver<double>>(o); };
}

}  // namespace lsgd
