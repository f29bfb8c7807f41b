// CPU mini-batch stochastic gradient descent (cpu.sgd) on f(x) = 1/(2m)||Ax - b||^2 +
// lambda/2||x||^2. Each epoch visits the rows in a fresh order drawn by our own seeded PRNG
// (identical on every standard library), in mini-batches of options.sgd_batch rows. max_iters
// counts epochs; the stopping test, the divergence check and the history use the full gradient /
// objective at the end of each epoch (one fused OpenMP pass over A). Float and double.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <numeric>
#include <sstream>

#include "cpu/cpu_common.hpp"
#include "cpu/cpu_families.hpp"
#include "cpu/gd_common.hpp"

namespace lsgd::cpu {
namespace {

constexpr const char* kName = "cpu.sgd";
constexpr double kInvTimeEpochs = 10.0;  // T of the inv_time schedule alpha0 / (1 + t/T)

// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and fully specified, so a seed gives the same
// row orders everywhere (std::shuffle / std::uniform_int_distribution differ between libraries).
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound), bound > 0, without modulo bias (rejection of the short top range).
  std::uint64_t below(std::uint64_t bound) {
    const std::uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
    for (;;) {
      const std::uint64_t r = next();
      if (r >= threshold) return r % bound;
    }
  }

 private:
  std::uint64_t state_;
};

// Fisher-Yates with SplitMix64.
void shuffle(std::vector<index_t>& v, SplitMix64& rng) {
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng.below(i));
    std::swap(v[i - 1], v[j]);
  }
}

double schedule_step(StepSchedule s, double alpha0, int epoch) {
  const double t = static_cast<double>(epoch);
  switch (s) {
    case StepSchedule::constant:
      return alpha0;
    case StepSchedule::inv_sqrt:
      return alpha0 / std::sqrt(1.0 + t);
    case StepSchedule::inv_time:
      return alpha0 / (1.0 + t / kInvTimeEpochs);
  }
  return alpha0;
}

// Mini-batches below this many entries (rows * n) are summed by one thread: smaller ones finish in
// about the time of an OpenMP fork-join.
constexpr index_t kParallelBatchEntries = 1 << 16;

template <typename T>
class SgdSolver final : public CpuSolver<Solver<T>> {
 public:
  explicit SgdSolver(const SolverOptions& opt) : opt_(opt) {
    gd::check_options(kName, opt);
    if (opt.sgd_batch < 1) {
      throw InvalidInput(std::string(kName) + ": sgd_batch must be >= 1 (got " +
                         std::to_string(opt.sgd_batch) + ")");
    }
  }

  std::string name() const override { return kName; }
  Backend backend() const override { return Backend::cpu; }

  void setup_step(const Problem<T>& p) override {
    p.validate();
    A_ = p.A;
    b_ = p.b;
    m_ = p.m;
    n_ = p.n;
    // Row-major copy: a mini-batch reads whole rows, which are strided in the column-major A.
    At_ = MapMat<T>(p.A.data(), p.m, p.n).transpose();
    x_.setZero(n_);
    this->info_ = SolveInfo{};
    this->info_.threads = resolve_threads(opt_);
  }

  std::vector<T> solution() override { return std::vector<T>(x_.data(), x_.data() + x_.size()); }

 private:
  // g = A_B^T (A_B x - b_B) / |B| + lambda x over the rows rows[0..len).
  void batch_gradient(const index_t* rows, index_t len, T lambda, Vec<T>& g, Mat<T>& part) {
    const int nt = len * n_ >= kParallelBatchEntries ? this->info_.threads : 1;
    auto body = [&](int t) {
      auto gt = part.col(t);
      gt.setZero();
      for (index_t k = len * t / nt; k < len * (t + 1) / nt; ++k) {
        const auto a = At_.col(rows[k]);
        const T r = a.dot(x_) - b_[static_cast<size_t>(rows[k])];
        gt += r * a;
      }
    };
    if (nt > 1) {
#pragma omp parallel for schedule(static) num_threads(nt)
      for (int t = 0; t < nt; ++t) body(t);
    } else {
      body(0);
    }
    g = part.col(0);
    for (int t = 1; t < nt; ++t) g += part.col(t);
    g *= T(1) / static_cast<T>(len);
    if (lambda != T(0)) g += lambda * x_;
  }

  // Expected smoothness of the mini-batch gradient (Gower et al., "SGD: general analysis and improved
  // rates", 2019, sampling B of m rows without replacement):
  //   L_B = m(B-1)/(B(m-1)) L + (m-B)/(B(m-1)) L_max,  L_max = max_i ||a_i||^2 + lambda.
  // The default step 1/L_B equals GD's 1/L for B = m and shrinks towards 1/L_max for B = 1, where 1/L
  // would diverge on data with a few large rows.
  double minibatch_smoothness(double L) const {
    const double m = static_cast<double>(m_);
    const double bsz = static_cast<double>(std::min<index_t>(opt_.sgd_batch, m_));
    if (m_ <= 1) return L;
    double row_max = 0.0;
    for (index_t i = 0; i < m_; ++i) {
      row_max = std::max(row_max, static_cast<double>(At_.col(i).squaredNorm()));
    }
    const double l_max = row_max + opt_.ridge_lambda;
    return m * (bsz - 1.0) / (bsz * (m - 1.0)) * L + (m - bsz) / (bsz * (m - 1.0)) * l_max;
  }

  void solve() override {
    gd::GradientPass<T> pass(A_.data(), m_, n_, this->info_.threads);
    const double L = gd::lipschitz(pass, opt_, kName);
    const double alpha0 = opt_.step > 0.0 ? opt_.step : 1.0 / minibatch_smoothness(L);
    const T lambda = static_cast<T>(opt_.ridge_lambda);
    const double m = static_cast<double>(m_);

    SplitMix64 rng(opt_.seed);
    std::vector<index_t> order(static_cast<size_t>(m_));
    std::iota(order.begin(), order.end(), index_t{0});
    Vec<T> g(n_), gb(n_);
    Mat<T> part(n_, std::max(1, this->info_.threads));
    gd::History history(opt_.history_every);
    x_.setZero(n_);

    // Full objective and gradient at the current x: the per-epoch test.
    auto full = [&](double& gn) {
      const double rr = pass(x_.data(), b_.data(), lambda, g.data(), true);
      gn = static_cast<double>(g.norm());
      return 0.5 * rr / m + 0.5 * opt_.ridge_lambda * static_cast<double>(x_.squaredNorm());
    };
    double g0 = 0.0;
    const double f0 = full(g0);
    history.at(0, f0);
    double rel = g0 > 0.0 ? 1.0 : 0.0;
    // The stopping rule of cpu.gd (gd_stop.hpp), on the full gradient at each epoch's end.
    gd::Spectrum spectrum;
    if (opt_.tol > 0.0) {
      spectrum = gd::lanczos<T>(
          [&](const T* x, const T* b, T lam, T* g, bool need) { return pass(x, b, lam, g, need); },
          n_, b_.data(), opt_.ridge_lambda, gd::kLanczosSteps);
    }
    double estimate = gd::forward_error_estimate(g0, 0.0, spectrum.mu);
    bool converged = opt_.tol > 0.0 && g0 == 0.0;
    int epoch = 0;
    double last_f = f0;
    const index_t bs = opt_.sgd_batch;
    while (!converged && epoch < opt_.max_iters) {
      const T alpha = static_cast<T>(schedule_step(opt_.schedule, alpha0, epoch));
      shuffle(order, rng);
      for (index_t s = 0; s < m_; s += bs) {
        const index_t len = std::min(bs, m_ - s);
        batch_gradient(order.data() + s, len, lambda, gb, part);
        x_ -= alpha * gb;
      }
      ++epoch;
      double gn = 0.0;
      last_f = full(gn);
      if (gd::is_divergent(last_f, gn, f0)) {
        throw NumericalError(gd::divergence_message(kName, epoch, alpha0, L) +
                             " (alpha is the schedule's alpha0; epochs count as iterations)");
      }
      history.at(epoch, last_f);
      rel = g0 > 0.0 ? gn / g0 : 0.0;
      const double xn = gd::norm_of(x_.data(), n_);
      estimate = gd::forward_error_estimate(gn, xn, spectrum.mu);
      converged = gd::stop_test(opt_.tol, gn, g0, xn, spectrum.mu);
    }
    history.at_end(epoch, last_f);
    SolveInfo& info = this->info_;
    info.iterations = epoch;
    info.converged = converged || opt_.tol == 0.0;
    info.loss_history = history.take();
    info.history_every = opt_.history_every;
    info.error_estimate = spectrum.mu > 0.0 ? estimate : std::numeric_limits<double>::quiet_NaN();
    info.note.clear();
    if (!info.converged) {
      info.note = gd::not_converged_note(kName, epoch, opt_.tol, estimate, rel, L, spectrum.mu) +
                  " (epochs count as iterations)";
    }
  }

  SolverOptions opt_;
  std::vector<T> A_, b_;
  Mat<T> At_;  // n x m: column i is row i of A
  index_t m_ = 0, n_ = 0;
  Vec<T> x_;
};

}  // namespace
}  // namespace lsgd::cpu

namespace lsgd {

void register_cpu_sgd(Registry& r) {
  SolverEntry e = SolverEntry::make(
      cpu::kName, Backend::cpu, Kind::iterative,
      "mini-batch SGD (sgd_batch rows, seeded shuffle, step schedule); epochs = iterations");
  e.error_growth = ErrorGrowth::kappa_squared;  // attainable accuracy ~ kappa(A)^2 eps
  e.flop_model = FlopModel::gd_iter;
  e.algorithm = "sgd";
  e.make_f32 = [](const SolverOptions& o) { return std::make_unique<cpu::SgdSolver<float>>(o); };
  e.make_f64 = [](const SolverOptions& o) { return std::make_unique<cpu::SgdSolver<double>>(o); };
  r.add(std::move(e));
}

}  // namespace lsgd
