// cuda.gd: plain gradient descent on one problem. Each iteration is ONE pass over A (the streamed
// gradient kernel of kernels/bgd_kernels.cu with many blocks over the rows: r_i = a_i . x - b_i and
// g += r_i a_i from the same shared-memory tile) plus a one-block update kernel that sums the
// blocks' partials, evaluates f and ||grad|| on the device, applies the stopping rule and steps.
// The host reads one int (running or not) every kCheckEvery iterations. For n beyond the streamed
// kernel's limit (1024) it runs the two-GEMV cuBLAS form instead.
#include <cmath>
#include <memory>
#include <sstream>

#include "kernels/bgd_engine.hpp"
#include "lsgd/registry.hpp"

namespace lsgd::cuda::gd {
namespace {

template <typename T>
class GdSolver final : public Solver<T> {
 public:
  explicit GdSolver(const SolverOptions& opt) : opt_(opt) {
    validate_iterative_options("cuda.gd", opt);
    require_gpu();
  }
  std::string name() const override { return "cuda.gd"; }
  Backend backend() const override { return Backend::cuda; }

  void setup(const Problem<T>& p) override {
    p.validate();
    const Variant v = p.n <= kStreamMaxN ? Variant::fused : Variant::cublas;
    engine_ = std::make_unique<GdEngine<T>>("cuda.gd", opt_, v);
    engine_->setup(p.A.data(), p.b.data(), p.m, p.n, 1);
    this->info_ = SolveInfo{};
  }

  double timed_solve() override {
    if (!engine_) throw InvalidInput("cuda.gd: timed_solve() before setup()");
    const double t = engine_->timed_solve();
    const SolveInfo& in = engine_->info();
    const double lambda = opt_.ridge_lambda;
    if (opt_.lipschitz == 0.0) {
      const double L = static_cast<double>(engine_->lipschitz_values()[0]);
      if (!std::isfinite(L) || !(L - lambda > 0.0)) {
        std::ostringstream os;
        os << "cuda.gd: power iteration gave L = " << L - lambda
           << " (A is zero, its start vector ones/sqrt(n) lies in the null space of A, or A "
              "overflows); pass options.lipschitz";
        throw InvalidInput(os.str());
      }
    }
    if (in.problem_status[0] == kDiverged) {
      const double L = static_cast<double>(engine_->lipschitz_values()[0]);
      const double alpha = static_cast<double>(engine_->steps()[0]);
      std::ostringstream os;
      os << "cuda.gd: diverged at iteration " << in.problem_iterations[0] << " (f(x_0) = "
         << static_cast<double>(engine_->initial_losses()[0]) << ", step alpha = " << alpha
         << ", 2/L = " << 2.0 / L << ")";
      throw NumericalError(os.str());
    }
    SolveInfo info;
    info.iterations = in.problem_iterations[0];
    info.converged = in.problem_status[0] == kSolved;
    info.loss_history = in.loss_history;
    info.history_every = in.history_every;
    info.note = in.note;
    if (!info.converged) {
      std::ostringstream os;
      os << "cuda.gd: not converged within max_iters = " << opt_.max_iters << " (tol = "
         << opt_.tol << "); " << in.note;
      info.note = os.str();
    }
    this->info_ = std::move(info);
    return t;
  }

  std::vector<T> solution() override {
    if (!engine_) throw InvalidInput("cuda.gd: solution() before setup()");
    return engine_->solution();
  }

 private:
  SolverOptions opt_;
  std::unique_ptr<GdEngine<T>> engine_;
};

}  // namespace
}  // namespace lsgd::cuda::gd

namespace lsgd {

void register_cuda_gd(SolverEntry& e) {
  e.make_f32 = [](const SolverOptions& o) {
    return std::make_unique<cuda::gd::GdSolver<float>>(o);
  };
  e.make_f64 = [](const SolverOptions& o) {
    return std::make_unique<cuda::gd::GdSolver<double>>(o);
  };
}

}  // namespace lsgd
