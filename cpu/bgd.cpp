// CPU batched gradient descent (cpu.bgd): plain GD on each problem of a BatchedProblem, each with
// its own L from the same power iteration as cpu.gd. Small problems go W at a time (16 float / 8
// double) through the interleaved kernel of cpu/bgd_lanes.hpp, one problem per SIMD lane; larger
// ones one at a time through gd::SmallPass or the chunked pass of cpu.gd. OpenMP over groups or
// problems: a group's or a problem's A stays in L1/L2 for all of its iterations, so A is read from
// memory once per solve. A diverging problem is marked kDiverged and the others go on.
// Float and double.
#include <atomic>
#include <limits>
#include <memory>
#include <sstream>

#include "common/gd_input.hpp"
#include "cpu/bgd_lanes.hpp"
#include "cpu/cpu_common.hpp"
#include "cpu/cpu_families.hpp"
#include "cpu/gd_common.hpp"

namespace lsgd::cpu {
namespace {

constexpr const char* kName = "cpu.bgd";
// Entries of A times iterations below which the batch is solved on one thread.
constexpr double kParallelMinWork = 1 << 22;
// Problems up to this size (A in bytes; 64 x 8 floats is 2 KB) take gd::SmallPass: plain vectorized
// loops over A in L1/L2; larger ones the chunked Eigen pass of cpu.gd on one thread.
constexpr index_t kSmallBytes = 256 * 1024;
// The interleaved kernel (cpu/bgd_lanes.hpp) takes a batch when the W problems of a group
// together (the group's A, one buffer per thread) fit kLaneGroupBytes and the batch fills at
// least a quarter of a group. Measured on one Zen 4 core (bench/NOTES.md (roofline)): a group
// costs the same for 1 to W problems and one problem alone costs W/4 of a group (64 x 8 float:
// 55 us against 14 us); groups up to 8 MB (16 x 4096 x 32 float) win by 1.5-9x over one problem
// at a time, a 16 MB group (16 x 4096 x 64 float) loses 1.7x to the per-problem kernel whose 1 MB
// problem stays in L2.
constexpr index_t kLaneGroupBytes = 8 << 20;

template <typename T>
bool use_lanes(index_t batch, index_t m, index_t n) {
  constexpr index_t W = bgd::Lanes<T>::W;
  return 4 * batch >= W && W * m * n * static_cast<index_t>(sizeof(T)) <= kLaneGroupBytes;
}

template <typename T>
class BgdSolver final : public CpuSolver<BatchedSolver<T>> {
 public:
  explicit BgdSolver(const SolverOptions& opt) : opt_(opt) { gd::check_options(kName, opt); }

  std::string name() const override { return kName; }
  Backend backend() const override { return Backend::cpu; }

  void setup_step(const BatchedProblem<T>& p) override {
    p.validate();
    gd_input::reject_zero_problems(kName, p);  // the rule the CUDA bgd solvers share
    A_ = p.A;
    b_ = p.b;
    batch_ = p.batch;
    m_ = p.m;
    n_ = p.n;
    x_.assign(static_cast<size_t>(batch_ * n_), T(0));
    this->info_ = SolveInfo{};
    this->info_.threads = resolve_threads(opt_);
  }

  std::vector<T> solution() override { return x_; }

 private:
  void solve() override {
    SolveInfo& info = this->info_;
    info.problem_status.assign(static_cast<size_t>(batch_), kSolved);
    info.problem_iterations.assign(static_cast<size_t>(batch_), 0);
    // Exceptions must not leave an OpenMP region: the first failing problem is remembered instead.
    std::atomic<index_t> bad_problem{-1};
    std::string bad_message;
    // Whole problems go to threads in one region; a batch whose whole solve is a few hundred
    // microseconds runs on the calling thread (a region costs ~1 ms on a busy 2-core machine).
    const double work = static_cast<double>(batch_) * static_cast<double>(m_ * n_) *
                        (opt_.max_iters + opt_.power_iters);
    const int nt = work >= kParallelMinWork ? info.threads : 1;
    info.threads = nt;
    const auto fail = [&](index_t q, const Error& e) {
      index_t expected = -1;
      if (bad_problem.compare_exchange_strong(expected, q)) bad_message = e.what();
    };
    if (use_lanes<T>(batch_, m_, n_)) {
      constexpr index_t W = bgd::Lanes<T>::W;
      const index_t groups = (batch_ + W - 1) / W;
#pragma omp parallel num_threads(nt) if (nt > 1)
      {
        bgd::LaneGroup<T> group(m_, n_);
#pragma omp for schedule(dynamic, 1)
        for (index_t gi = 0; gi < groups; ++gi) {
          if (bad_problem.load() >= 0) continue;
          const index_t q0 = gi * W;
          try {
            solve_group(group, q0, static_cast<int>(std::min(W, batch_ - q0)));
          } catch (const Error& e) {
            fail(q0, e);
          }
        }
      }
    } else {
#pragma omp parallel num_threads(nt) if (nt > 1)
      {
        Vec<T> x(n_);
        gd::SmallPass<T> small(n_);
#pragma omp for schedule(dynamic, 4)
        for (index_t q = 0; q < batch_; ++q) {
          if (bad_problem.load() >= 0) continue;
          try {
            solve_one(q, x, small);
          } catch (const Error& e) {
            fail(q, e);
          }
        }
      }
    }
    if (bad_problem.load() >= 0) throw InvalidInput(bad_message);
    int diverged = 0, not_converged = 0, max_iters = 0;
    for (index_t q = 0; q < batch_; ++q) {
      diverged += info.problem_status[q] == kDiverged;
      not_converged += info.problem_status[q] == kNotConverged;
      max_iters = std::max(max_iters, info.problem_iterations[q]);
    }
    info.iterations = max_iters;
    info.converged = diverged == 0 && not_converged == 0;
    info.history_every = 0;  // per-problem histories are not kept (see docs/gradient-descent-cpu.md)
    info.note.clear();
    if (!info.converged) {
      std::ostringstream os;
      os << kName << ": " << diverged << " of " << batch_ << " problems diverged (solution NaN), "
         << not_converged << " did not reach tol = " << opt_.tol
         << " within max_iters = " << opt_.max_iters << " (see problem_status)";
      info.note = os.str();
    }
  }

  // Problems q0 .. q0 + count - 1, one per lane of the interleaved kernel.
  void solve_group(bgd::LaneGroup<T>& group, index_t q0, int count) {
    bgd::LaneResult res[bgd::Lanes<T>::W];
    group.load(A_.data(), b_.data(), q0, count);
    if (!group.solve(opt_, res, x_.data() + q0 * n_)) {
      for (int l = 0; l < count; ++l) {
        if (res[l].bad_L) {
          gd::throw_bad_lipschitz(std::string(kName) + ": problem " + std::to_string(q0 + l),
                                  res[l].L);
        }
      }
    }
    for (int l = 0; l < count; ++l) {
      const size_t qs = static_cast<size_t>(q0 + l);
      this->info_.problem_status[qs] = res[l].status;
      this->info_.problem_iterations[qs] = res[l].iterations;
    }
  }

  void solve_one(index_t q, Vec<T>& x, gd::SmallPass<T>& small) {
    const T* a = A_.data() + q * m_ * n_;
    const T* b = b_.data() + q * m_;
    if (m_ * n_ * static_cast<index_t>(sizeof(T)) <= kSmallBytes) {
      small.bind(a, m_, n_);
      solve_with(q, b, x, small);
    } else {
      gd::GradientPass<T> pass(a, m_, n_, 1);
      solve_with(q, b, x, pass);
    }
  }

  template <typename Pass>
  void solve_with(index_t q, const T* b, Vec<T>& x, Pass& pass) {
    const auto eval = [&pass](const T* xx, const T* bb, T lambda, T* g, bool need) {
      return pass(xx, bb, lambda, g, need);
    };
    double L = opt_.lipschitz;
    if (L == 0.0) {
      // The message is built only on failure: a problem's solve takes microseconds.
      L = gd::power_iteration<T>(eval, n_, opt_.power_iters);
      if (!(L > 0.0) || !std::isfinite(L)) {
        gd::throw_bad_lipschitz(std::string(kName) + ": problem " + std::to_string(q), L);
      }
      L += opt_.ridge_lambda;
    }
    gd::Params p;
    p.variant = gd::Variant::plain;
    p.max_iters = opt_.max_iters;
    p.tol = opt_.tol;
    p.alpha = opt_.step > 0.0 ? opt_.step : 1.0 / L;
    p.lambda = opt_.ridge_lambda;
    p.L = L;
    const gd::Outcome out = gd::run<T>(eval, m_, n_, b, p, x);
    const size_t qs = static_cast<size_t>(q);
    T* xq = x_.data() + q * n_;
    this->info_.problem_iterations[qs] = out.iterations;
    if (out.diverged) {
      this->info_.problem_status[qs] = kDiverged;
      std::fill(xq, xq + n_, std::numeric_limits<T>::quiet_NaN());
      return;
    }
    this->info_.problem_status[qs] = out.converged ? kSolved : kNotConverged;
    std::copy(x.data(), x.data() + n_, xq);
  }

  SolverOptions opt_;
  std::vector<T> A_, b_, x_;
  index_t batch_ = 0, m_ = 0, n_ = 0;
};

}  // namespace
}  // namespace lsgd::cpu

namespace lsgd {

void register_cpu_bgd(Registry& r) {
  SolverEntry e = SolverEntry::make(
      cpu::kName, Backend::cpu, Kind::batched_iterative,
      "batched gradient descent, per-problem step 1/L; small problems one per SIMD lane; OpenMP");
  e.error_growth = ErrorGrowth::kappa_squared;  // attainable accuracy ~ kappa(A)^2 eps
  e.flop_model = FlopModel::gd_iter;
  e.algorithm = "gd";
  e.make_batched_f32 = [](const SolverOptions& o) {
    return std::make_unique<cpu::BgdSolver<float>>(o);
  };
  e.make_batched_f64 = [](const SolverOptions& o) {
    return std::make_unique<cpu::BgdSolver<double>>(o);
  };
  r.add(std::move(e));
}

}  // namespace lsgd
