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
#include "kernels/gd_checks.hpp"
#include "lsgd/registry.hpp"

namespace lsgd::cuda::gd {
namespace {

// The measured modes, setup and refusal after a failed setup come from GpuSolver; the engine is
// made once, with the solver, after require_gpu(), and prepared again by every setup().
template <typename T>
class GdSolver final : public GpuSolver<T> {
 public:
  explicit GdSolver(const SolverOptions& opt) : GpuSolver<T>("cuda.gd", opt), engine_("cuda.gd", opt) {}

 private:
  static Variant variant_for(index_t n) { return n <= kStreamMaxN ? Variant::fused : Variant::cublas; }

  void check_shape(index_t m, index_t n) const override {
    engine_.check_shape(variant_for(n), m, n);
  }
  void prepare(const Problem<T>& p) override {
    engine_.prepare(variant_for(p.n), this->A(), this->b(), this->x(), p.m, p.n, 1, this->stream(),
                    this->cublas());
  }
  void stage() override { engine_.reset(); }
  void solve() override { engine_.run(); }

  void check() override {
    const SolveInfo in = engine_.collect_info();
    const SolverOptions& opt = this->options();
    if (opt.lipschitz == 0.0) {
      // The power iteration's estimate, λ excluded: only a zero (or non-finite) estimate is an
      // error. L itself is rounded to T, so L - λ may round to 0 in float for a large λ while the
      // problem is well posed (f is then λ-strongly convex and 1/L a safe step): no error then.
      const double L = static_cast<double>(engine_.lipschitz_values()[0]);
      if (!power_estimate_ok<T>(L, opt.ridge_lambda)) {
        std::ostringstream os;
        os << "cuda.gd: power iteration gave L = " << L - opt.ridge_lambda
           << " (A is zero, its start vector ones/sqrt(n) lies in the null space of A, or A "
              "overflows); pass options.lipschitz";
        throw InvalidInput(os.str());
      }
    }
    if (in.problem_status[0] == kDiverged) {
      const double L = static_cast<double>(engine_.lipschitz_values()[0]);
      const double alpha = static_cast<double>(engine_.steps()[0]);
      std::ostringstream os;
      os << "cuda.gd: diverged at iteration " << in.problem_iterations[0] << " (f(x_0) = "
         << static_cast<double>(engine_.initial_losses()[0]) << ", step alpha = " << alpha
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
      os << "cuda.gd: not converged within max_iters = " << opt.max_iters << " (tol = " << opt.tol
         << "); " << in.note;
      info.note = os.str();
    }
    this->info_ = std::move(info);
  }

  GdEngine<T> engine_;
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
