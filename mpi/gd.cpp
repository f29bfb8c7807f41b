// mpi.gd, mpi.gd.momentum, mpi.gd.nesterov: gradient descent with rows sharded across ranks. Every
// rank evaluates its rows' residual and gradient part with cpu.gd's fused pass (cpu/gd_common.hpp,
// its own OpenMP threads), scaled by the global 1/m, and ONE MPI_Allreduce of n + 1 values (the
// gradient and ||r||^2) per iteration completes the evaluation on every rank. The driver loop is
// cpu.gd's (gd::run), so the iterates, stopping rule, history and divergence checks are those of
// cpu.gd up to the rounding of the sums; every rank runs the loop in lock step on the same reduced
// values, so every rank stops (or fails) at the same iteration without another message.
#include <memory>

#include "cpu/gd_common.hpp"
#include "mpi/mpi_families.hpp"
#include "mpi/row_solver.hpp"

namespace lsgd::mpi {
namespace {

using cpu::gd::Variant;

const char* variant_name(Variant v) {
  switch (v) {
    case Variant::plain: return "mpi.gd";
    case Variant::momentum: return "mpi.gd.momentum";
    case Variant::nesterov: return "mpi.gd.nesterov";
  }
  return "?";
}

template <typename T>
class GdSolver final : public RowSolver<T> {
 public:
  GdSolver(Variant variant, const SolverOptions& opt)
      : RowSolver<T>(variant_name(variant), opt), variant_(variant) {
    cpu::gd::check_options(this->name_, opt);
  }

 private:
  void allocate() override { sums_.assign(static_cast<size_t>(this->n_ + 1), 0.0); }

  void solve() override {
    namespace gd = cpu::gd;
    const index_t n = this->n_;
    const SolverOptions& opt = this->opt_;
    gd::GradientPass<T> pass(this->A_.data(), this->m_, n, this->info_.threads, this->m_global_);
    gd::Solve result;
    cpu::Vec<T> x0;
    gd::in_region(pass.threads(), [&](int t, int nt, auto&& sync) {
      // This rank's part (g scaled by the global 1/m, lambda added after the sum), then the sum over
      // the ranks by thread 0 (MPI_THREAD_FUNNELED), shared with the region's other threads.
      const auto eval = [&](const T* x, const T* b, T lambda, T* g, bool need) {
        const double f = pass.eval(t, nt, x, b, T(0), g, need, sync);
        if (t == 0) {
          const index_t count = need ? n + 1 : 1;
          sums_[0] = f;
          if (need) {
            for (index_t j = 0; j < n; ++j) sums_[static_cast<size_t>(j + 1)] = g[j];
          }
          allreduce_sum(sums_.data(), count, this->comm_);
        }
        sync();
        if (need) {
          for (index_t j = 0; j < n; ++j) {
            g[j] = static_cast<T>(sums_[static_cast<size_t>(j + 1)]) + lambda * x[j];
          }
        }
        const double total = sums_[0];
        sync();  // sums_ is rewritten by the next evaluation only after every thread has read it
        return total;
      };
      cpu::Vec<T> x_other;
      gd::Solve s = gd::solve_from_zero<T>(eval, variant_, opt, this->m_global_, n,
                                           this->b_.data(), t == 0 ? x0 : x_other);
      if (t == 0) result = std::move(s);
    });
    // Every rank saw the same reduced values, so this throws on every rank or on none.
    gd::finish(this->name_, opt, result, pass.threads(), this->info_);
    std::copy(x0.data(), x0.data() + n, this->x_.data());
  }

  Variant variant_;
  std::vector<double> sums_;  // [||r||^2, g_1 .. g_n], summed over the ranks in double
};

void add(Registry& r, Variant v, const char* desc) {
  r.add(row_entry(
      variant_name(v), cpu::gd::algorithm_family(v), Kind::iterative, desc, true,
      [v](const SolverOptions& o) { return std::make_unique<GdSolver<float>>(v, o); },
      [v](const SolverOptions& o) { return std::make_unique<GdSolver<double>>(v, o); }));
}

}  // namespace

void register_mpi_gd(Registry& r) {
  add(r, Variant::plain,
      "rows sharded across MPI ranks: cpu.gd's fused pass per rank, one allreduce of n+1 values "
      "per iteration");
  add(r, Variant::momentum, "heavy-ball GD (momentum 0.9 unless given), rows sharded across ranks");
  add(r, Variant::nesterov, "Nesterov accelerated GD, rows sharded across ranks");
}

}  // namespace lsgd::mpi
