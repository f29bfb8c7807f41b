// CPU gradient descent on f(x) = 1/(2m)||Ax - b||^2 + lambda/2 ||x||^2: plain (cpu.gd), heavy ball
// (cpu.gd.momentum) and Nesterov (cpu.gd.nesterov). One OpenMP region per solve and one pass over
// A per iteration: the streaming row-panel pass of cpu/gd_stream.hpp for tall A, the chunked
// GradientPass of cpu/gd_common.hpp (two GEMVs when very wide) otherwise. Float and double.
#include <memory>
#include <sstream>
#include <type_traits>

#include "cpu/cpu_common.hpp"
#include "cpu/cpu_families.hpp"
#include "cpu/gd_common.hpp"
#include "cpu/gd_stream.hpp"

namespace lsgd::cpu {
namespace {

const char* variant_name(gd::Variant v) {
  switch (v) {
    case gd::Variant::plain:
      return "cpu.gd";
    case gd::Variant::momentum:
      return "cpu.gd.momentum";
    case gd::Variant::nesterov:
      return "cpu.gd.nesterov";
  }
  return "?";
}

template <typename T>
class GdSolver final : public CpuSolver<Solver<T>> {
 public:
  GdSolver(gd::Variant variant, const SolverOptions& opt) : variant_(variant), opt_(opt) {
    gd::check_options(name(), opt);
  }

  std::string name() const override { return variant_name(variant_); }
  Backend backend() const override { return Backend::cpu; }

  void setup_step(const Problem<T>& p) override {
    p.validate();
    A_ = p.A;
    b_ = p.b;
    m_ = p.m;
    n_ = p.n;
    x_.setZero(n_);
    this->info_ = SolveInfo{};
    this->info_.threads = resolve_threads(opt_);
    // The panel copy of A is workspace (allocated and first touched here, untimed); filling it
    // is part of every solve.
    panels_.reset();
    if (gd::PanelPass<T>::suits(m_, n_)) {
      panels_ = std::make_unique<gd::PanelPass<T>>(m_, n_, this->info_.threads);
    }
  }

  std::vector<T> solution() override { return std::vector<T>(x_.data(), x_.data() + x_.size()); }

 private:
  // One OpenMP region for the whole solve (power iteration and every iteration): each thread owns
  // a block of rows and runs the same loop in lock step (gd_common.hpp, GradientPass::eval).
  void solve() override {
    if (panels_) {
      solve_with(*panels_);
    } else {
      gd::GradientPass<T> pass(A_.data(), m_, n_, this->info_.threads);
      solve_with(pass);
    }
  }

  template <typename Pass>
  void solve_with(Pass& pass) {
    gd::Solve result;
    gd::in_region(pass.threads(), [&](int t, int nt, auto&& sync) {
      if constexpr (std::is_same_v<Pass, gd::PanelPass<T>>) pass.pack(t, nt, A_.data(), b_.data());
      const auto eval = [&](const T* x, const T* b, T lambda, T* g, bool need) {
        return pass.eval(t, nt, x, b, lambda, g, need, sync);
      };
      Vec<T> x_other;
      gd::Solve s =
          gd::solve_from_zero<T>(eval, variant_, opt_, m_, n_, b_.data(), t == 0 ? x_ : x_other);
      if (t == 0) result = std::move(s);
    });
    gd::finish(name(), opt_, result, pass.threads(), this->info_);
  }

  gd::Variant variant_;
  SolverOptions opt_;
  std::vector<T> A_, b_;
  index_t m_ = 0, n_ = 0;
  Vec<T> x_;
  std::unique_ptr<gd::PanelPass<T>> panels_;
};

void add(Registry& r, gd::Variant v, const char* desc) {
  SolverEntry e = SolverEntry::make(variant_name(v), Backend::cpu, Kind::iterative, desc);
  e.error_growth = ErrorGrowth::kappa_squared;  // attainable accuracy ~ kappa(A)^2 eps
  e.flop_model = FlopModel::gd_iter;
  e.algorithm = gd::algorithm_family(v);
  e.make_f32 = [v](const SolverOptions& o) { return std::make_unique<GdSolver<float>>(v, o); };
  e.make_f64 = [v](const SolverOptions& o) { return std::make_unique<GdSolver<double>>(v, o); };
  r.add(std::move(e));
}

}  // namespace
}  // namespace lsgd::cpu

namespace lsgd {

void register_cpu_gd(Registry& r) {
  using cpu::gd::Variant;
  cpu::add(r, Variant::plain,
           "gradient descent, step 1/L (power iteration), one streaming pass over A per iteration");
  cpu::add(r, Variant::momentum,
           "heavy-ball gradient descent (momentum 0.9 unless given), step 1/L");
  cpu::add(r, Variant::nesterov,
           "Nesterov accelerated gradient, (k-1)/(k+2) extrapolation, step 1/L");
}

}  // namespace lsgd
