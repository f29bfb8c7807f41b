// The CPU GD kernels of issue 29 against references: cpu.bgd's interleaved kernel
// (cpu/bgd_lanes.hpp; one problem per SIMD lane) and cpu.gd's streaming panel pass
// (cpu/gd_stream.hpp).
// - Same arithmetic order: bit-for-bit (one lanes evaluation against a scalar loop in the kernel's
//   order; a problem's result whatever its lane, group, batch size or thread count).
// - Other order (the per-problem solvers, an exact evaluation): within the rounding bound of the
//   evaluation, stated where it is used.
// - Batch tails of every size 1 .. 2W; NaN (overflowing) and divergent problems among good ones.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <Eigen/Dense>

#include "cpu/bgd_lanes.hpp"
#include "cpu/gd_stream.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/registry.hpp"

namespace lsgd {
namespace {

using cpu::Lanes;

template <typename T>
std::vector<T> randn(size_t count, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> d;
  std::vector<T> v(count);
  for (T& x : v) x = static_cast<T>(d(g));
  return v;
}

// gamma_k = k u / (1 - k u), u the unit roundoff of T (Higham, Accuracy and Stability, 3.1).
template <typename T>
double gamma(double k) {
  const double u = std::numeric_limits<T>::epsilon() / 2;
  return k * u / (1.0 - k * u);
}

BatchedProblem<double> batch_of(index_t batch, index_t m, index_t n, double kappa, double kappa_max,
                                std::uint64_t seed) {
  GenOptions o = gen_options(m, n, kappa, seed, 0.05);
  return generate_batch<double>(batch, o, kappa_max);
}

// ---------------------------------------------------------------------------------------------
// cpu.bgd's interleaved kernel.

// a * b + c as the kernels' vector code computes it: one fused multiply-add where the build's ISA
// has FMA (the compiler contracts the kernels' a * b + c then), else a product and a sum.
template <typename T>
T madd(T a, T b, T c) {
#if defined(__FMA__)
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}

// One evaluation of the lanes kernel equals, bit for bit, a scalar loop that performs the same
// operations in the same order per lane (row by row: r = -b_i + sum_j a_ij x_j, f += r^2 in
// double, s_j += a_ij r). Shapes: compiled n (1, 4, 8, 32) and run-time n (3, 5); m not a multiple
// of the kernel's row block, so the one-row tail runs too.
template <typename T>
void check_lanes_eval(index_t m, index_t n) {
  SCOPED_TRACE(std::string(sizeof(T) == 4 ? "f32 " : "f64 ") + std::to_string(m) + "x" +
               std::to_string(n));
  constexpr int W = Lanes<T>::W, H = Lanes<T>::H;
  using V = typename Lanes<T>::V;
  using D8 = typename Lanes<T>::D8;
  const std::vector<T> A = randn<T>(static_cast<size_t>(W * m * n), 11);
  const std::vector<T> b = randn<T>(static_cast<size_t>(W * m), 12);
  const std::vector<T> x = randn<T>(static_cast<size_t>(W * n), 13);
  cpu::bgd::LaneGroup<T> group(m, n);
  group.load(A.data(), b.data(), 0, W);
  std::vector<V> xv(static_cast<size_t>(n)), s(static_cast<size_t>(n));
  for (index_t j = 0; j < n; ++j) {
    for (int l = 0; l < W; ++l) xv[j][l] = x[l * n + j];
  }
  for (bool with_b : {true, false}) {
    D8 rr[H];
    group.eval(xv.data(), s.data(), rr, with_b, true);
    for (int l = 0; l < W; ++l) {
      const T* a = A.data() + l * m * n;
      const T* xl = x.data() + l * n;
      double f = 0.0;
      std::vector<T> sl(static_cast<size_t>(n), T(0));
      for (index_t i = 0; i < m; ++i) {
        T r = with_b ? -b[l * m + i] : T(0);
        for (index_t j = 0; j < n; ++j) r = madd(a[j * m + i], xl[j], r);
        const double rd = r;
        f = madd(rd, rd, f);
        for (index_t j = 0; j < n; ++j) sl[j] = madd(a[j * m + i], r, sl[j]);
      }
      for (index_t j = 0; j < n; ++j) ASSERT_EQ(s[j][l], sl[j]) << "lane " << l << ", j = " << j;
      ASSERT_EQ(rr[l / 8][l % 8], f) << "lane " << l << (with_b ? " with b" : " b = 0");
    }
  }
}

TEST(CpuBgdLanes, EvaluationBitForBitWithScalarLoopInTheSameOrder) {
  for (index_t n : {1, 3, 4, 5, 8, 32}) {
    check_lanes_eval<float>(37, n);
    check_lanes_eval<double>(37, n);
  }
  check_lanes_eval<float>(5, 4);  // fewer rows than one block
}

// The W x W in-register transpose used by the layout change.
TEST(CpuBgdLanes, InterleavePutsEveryValueInItsLane) {
  constexpr int W = Lanes<float>::W;
  const index_t len = 3 * W + 5;  // whole W x W blocks and a tail
  std::vector<std::vector<float>> src(W);
  const float* ptr[W];
  for (int l = 0; l < W; ++l) {
    src[l].resize(len);
    for (index_t e = 0; e < len; ++e) src[l][e] = static_cast<float>(1000 * l + e);
    ptr[l] = src[l].data();
  }
  std::vector<Lanes<float>::V> dst(len);
  index_t e = 0;
  cpu::bgd::interleave<float>(ptr, len, dst.data(), [&] { return e++; });
  for (index_t k = 0; k < len; ++k) {
    for (int l = 0; l < W; ++l) ASSERT_EQ(dst[k][l], src[l][k]) << k << ", lane " << l;
  }
}

struct BgdRun {
  std::vector<double> x;  // solution, as double
  std::vector<int> status, iterations;
};

template <typename T>
BgdRun run_bgd(const BatchedProblem<T>& p, const SolverOptions& o) {
  auto s = default_registry().get("cpu.bgd").make_batched<T>(o);
  s->setup(p);
  s->timed_solve();
  const std::vector<T> x = s->solution();
  return {std::vector<double>(x.begin(), x.end()), s->info().problem_status,
          s->info().problem_iterations};
}

template <typename T>
BatchedProblem<T> first_problems(const BatchedProblem<T>& p, index_t count) {
  BatchedProblem<T> q = p;
  q.batch = count;
  q.A.resize(static_cast<size_t>(count * p.m * p.n));
  q.b.resize(static_cast<size_t>(count * p.m));
  if (!q.x_true.empty()) q.x_true.resize(static_cast<size_t>(count * p.n));
  return q;
}

bool same_bits(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

// Batch tails of every size 1 .. 2W: the first B problems of a 2W batch (condition numbers
// spread, so the lanes of a group stop at different iterations). Where the interleaved kernel runs
// (B >= W/4) every problem's solution, status and iteration count equal bit for bit those of the
// full batch (a lane's arithmetic is its own, whatever the group's other lanes and its size);
// every B, with 1 and 2 threads, stays within the tol bound of cpu.gd on the problem alone.
template <typename T>
void check_tails() {
  constexpr int W = Lanes<T>::W;
  SCOPED_TRACE(sizeof(T) == 4 ? "f32" : "f64");
  const index_t m = 24, n = 4;
  const BatchedProblem<T> full = batch_of(2 * W, m, n, 2.0, 20.0, 21).template cast<T>();
  SolverOptions o;
  o.tol = sizeof(T) == 4 ? 1e-4 : 1e-9;
  o.max_iters = 20000;
  const BgdRun ref = run_bgd(full, o);
  for (index_t p = 0; p < 2 * W; ++p) ASSERT_EQ(ref.status[p], kSolved) << p;
  std::vector<std::vector<double>> single(2 * W);
  for (index_t p = 0; p < 2 * W; ++p) {
    auto s = default_registry().get("cpu.gd").make<T>(o);
    s->setup(full.extract(p));
    s->timed_solve();
    const std::vector<T> xs = s->solution();
    single[p].assign(xs.begin(), xs.end());
  }
  for (int threads : {1, 2}) {
    o.threads = threads;
    for (index_t B = 1; B <= 2 * W; ++B) {
      SCOPED_TRACE("batch " + std::to_string(B) + ", threads " + std::to_string(threads));
      const BgdRun r = run_bgd(first_problems(full, B), o);
      for (index_t p = 0; p < B; ++p) {
        EXPECT_EQ(r.status[p], kSolved) << p;
        if (4 * B >= W) {
          EXPECT_EQ(r.iterations[p], ref.iterations[p]) << p;
          for (index_t j = 0; j < n; ++j) {
            EXPECT_TRUE(same_bits(r.x[p * n + j], ref.x[p * n + j])) << p << ", " << j;
          }
        }
        // Both stop at ||g|| <= tol ||g0||: ||x - x*|| <= kappa(H) tol ||x*|| each (test_gd.cpp),
        // so they differ by at most twice that; kappa(H) <= 20^2 here.
        const std::vector<double> xp(r.x.begin() + p * n, r.x.begin() + (p + 1) * n);
        EXPECT_LE(forward_error(xp, single[p]), 2.0 * 400.0 * o.tol + 1e3 * eps<T>()) << p;
      }
    }
  }
}

TEST(CpuBgdLanes, BatchTailsOfEverySizeUpToTwoWidths) {
  check_tails<float>();
  check_tails<double>();
}

// Fixed iterations, the same step (L given): the interleaved kernel against cpu.gd on each problem
// alone (chunked Eigen pass: another summation order). One evaluation's gradient from either has
// an error of at most gamma_{m+n+2} (|A|^T (|A| |x| + |b|)) / m elementwise, so the two differ by
// at most twice that per step; with step 1/L the GD map is non-expansive, so after k steps
// ||x - x_ref|| <= 2 k alpha gamma_{m+n+2} || |A|^T (|A| |x| + |b|) || / m, |x| bounded by
// 2 |x_ref| + 1 (a margin for the intermediate iterates, which approach x_ref from 0 here).
template <typename T>
void check_against_single(index_t m, index_t n) {
  SCOPED_TRACE(std::string(sizeof(T) == 4 ? "f32 " : "f64 ") + std::to_string(m) + "x" +
               std::to_string(n));
  const index_t batch = 2 * Lanes<T>::W + 3;
  const BatchedProblem<T> bp = batch_of(batch, m, n, 1.5, 8.0, 31).template cast<T>();
  double L = 0.0;
  for (index_t p = 0; p < batch; ++p) {
    const Problem<double> pd = bp.extract(p).template cast<double>();
    const Eigen::Map<const Eigen::MatrixXd> A(pd.A.data(), m, n);
    L = std::max(L, std::pow(Eigen::JacobiSVD<Eigen::MatrixXd>(A).singularValues()(0), 2) / m);
  }
  SolverOptions o;
  o.tol = 0.0;
  o.max_iters = 200;
  o.lipschitz = L;  // one step for every problem and both solvers
  const BgdRun r = run_bgd(bp, o);
  for (index_t p = 0; p < batch; ++p) {
    const Problem<T> pp = bp.extract(p);
    auto s = default_registry().get("cpu.gd").make<T>(o);
    s->setup(pp);
    s->timed_solve();
    const std::vector<T> xs = s->solution();
    const Problem<double> pd = pp.template cast<double>();
    const Eigen::Map<const Eigen::MatrixXd> A(pd.A.data(), m, n);
    const Eigen::Map<const Eigen::VectorXd> b(pd.b.data(), m);
    Eigen::VectorXd xa(n);
    for (index_t j = 0; j < n; ++j) xa(j) = 2.0 * std::abs(static_cast<double>(xs[j])) + 1.0;
    const double C = (A.cwiseAbs().transpose() * (A.cwiseAbs() * xa + b.cwiseAbs())).norm() / m;
    const double bound = 2.0 * o.max_iters / L * gamma<T>(m + n + 2) * C;
    double diff = 0.0;
    for (index_t j = 0; j < n; ++j) diff += std::pow(r.x[p * n + j] - xs[j], 2);
    EXPECT_LE(std::sqrt(diff), bound) << "problem " << p;
    EXPECT_EQ(r.status[p], kSolved);
    EXPECT_EQ(r.iterations[p], o.max_iters);
  }
}

TEST(CpuBgdLanes, WithinRoundingOfThePerProblemSolver) {
  check_against_single<float>(64, 8);
  check_against_single<double>(64, 8);
  check_against_single<float>(40, 6);  // run-time n
  check_against_single<double>(19, 32);
}

// NaN and divergent problems among good ones, in one group and across groups: problem 3 is scaled
// by 4 (16x the Lipschitz constant: a common step of 2.5/L_3 diverges by the growth rule), problem
// 5 by 1e15 (f overflows to inf in the first steps: non-finite), problem W+1 scaled as 3. They are
// kDiverged with NaN solutions; every other problem is solved, bit for bit as in the same batch
// without the bad ones (their lanes do not see their neighbours).
template <typename T>
void check_bad_lanes() {
  constexpr int W = Lanes<T>::W;
  SCOPED_TRACE(sizeof(T) == 4 ? "f32" : "f64");
  const index_t batch = 2 * W, m = 32, n = 4;
  BatchedProblem<T> bp = batch_of(batch, m, n, 2.0, 0.0, 41).template cast<T>();
  const BatchedProblem<T> good = bp;
  const auto scale = [&](index_t p, T c) {
    std::transform(bp.a_of(p), bp.a_of(p + 1), bp.a_of(p), [c](T v) { return c * v; });
    std::transform(bp.b_of(p), bp.b_of(p + 1), bp.b_of(p), [c](T v) { return c * v; });
  };
  const T big = sizeof(T) == 4 ? T(1e15) : T(1e150);
  scale(3, T(4));
  scale(5, big);
  scale(W + 1, T(4));
  const Problem<double> p3 = bp.extract(3).template cast<double>();
  const Eigen::Map<const Eigen::MatrixXd> A3(p3.A.data(), m, n);
  const double L3 = std::pow(Eigen::JacobiSVD<Eigen::MatrixXd>(A3).singularValues()(0), 2) / m;
  SolverOptions o;
  o.tol = sizeof(T) == 4 ? 1e-4 : 1e-9;
  o.max_iters = 5000;
  o.step = 2.5 / L3;  // > 2/L for the scaled problems, about 2.5/16 / L for the others
  o.lipschitz = L3;   // no power iteration: it would overflow on problem 5 (InvalidInput)
  const BgdRun r = run_bgd(bp, o);
  const std::vector<index_t> bad = {3, 5, W + 1};
  // Without the bad problems (same step): the reference for the good ones.
  const BgdRun rg = run_bgd(good, o);
  for (index_t p = 0; p < batch; ++p) {
    SCOPED_TRACE("problem " + std::to_string(p));
    if (std::find(bad.begin(), bad.end(), p) != bad.end()) {
      EXPECT_EQ(r.status[p], kDiverged);
      for (index_t j = 0; j < n; ++j) EXPECT_TRUE(std::isnan(r.x[p * n + j]));
      continue;
    }
    EXPECT_EQ(r.status[p], kSolved);
    EXPECT_EQ(r.iterations[p], rg.iterations[p]);
    for (index_t j = 0; j < n; ++j) EXPECT_TRUE(same_bits(r.x[p * n + j], rg.x[p * n + j]));
  }
  // The overflowing problem is caught at once (f or the gradient not finite), the scaled ones by
  // the growth rule after some steps.
  EXPECT_LE(r.iterations[5], 3);
  EXPECT_GT(r.iterations[3], 1);
}

TEST(CpuBgdLanes, NanAndDivergentProblemsAmongGoodOnes) {
  check_bad_lanes<float>();
  check_bad_lanes<double>();
}

// ---------------------------------------------------------------------------------------------
// cpu.gd's streaming panel pass.

// One evaluation against the exact value (long double accumulation of the rounded data): for
// each j, |g_j - g*_j| <= gamma_{m+n+2} (|A|^T (|A| |x| + |b|))_j / m (a dot product of length n
// for each residual, the residuals' m-term sums per column, the scaling; Higham 3.5), and
// |f - f*| <= gamma_{m+n+2} || |A| |x| + |b| ||^2. Rows not a multiple of the panel (zero-padded
// tail), several panels per thread, 1 and 2 threads (which must agree exactly: every thread of a
// region sums the partials in the same order).
template <typename T>
void check_panel_pass(index_t m, index_t n, int threads) {
  SCOPED_TRACE(std::string(sizeof(T) == 4 ? "f32 " : "f64 ") + std::to_string(m) + "x" +
               std::to_string(n) + ", threads " + std::to_string(threads));
  ASSERT_TRUE(cpu::gd::PanelPass<T>::suits(m, n));
  const std::vector<T> A = randn<T>(static_cast<size_t>(m * n), 51);
  const std::vector<T> b = randn<T>(static_cast<size_t>(m), 52);
  const std::vector<T> x = randn<T>(static_cast<size_t>(n), 53);
  const T lambda = T(0.25);
  cpu::gd::PanelPass<T> pass(m, n, threads);
  std::vector<T> g(static_cast<size_t>(n)), g_nob(static_cast<size_t>(n));
  double f = 0.0, f_nob = 0.0;
  cpu::gd::in_region(pass.threads(), [&](int t, int nt, auto&& sync) {
    pass.pack(t, nt, A.data(), b.data());
    std::vector<T> gt(static_cast<size_t>(n)), gt2(static_cast<size_t>(n));
    const double ft = pass.eval(t, nt, x.data(), b.data(), lambda, gt.data(), true, sync);
    const double ft2 = pass.eval(t, nt, x.data(), nullptr, T(0), gt2.data(), true, sync);
    if (t == 0) {
      f = ft;
      f_nob = ft2;
      g = gt;
      g_nob = gt2;
    }
  });
  for (bool with_b : {true, false}) {
    std::vector<long double> ge(static_cast<size_t>(n), 0.0L), gabs(static_cast<size_t>(n), 0.0L);
    long double fe = 0.0L, fabs_ = 0.0L;
    for (index_t i = 0; i < m; ++i) {
      long double r = with_b ? -static_cast<long double>(b[i]) : 0.0L;
      long double ra = with_b ? std::abs(static_cast<long double>(b[i])) : 0.0L;
      for (index_t j = 0; j < n; ++j) {
        r += static_cast<long double>(A[j * m + i]) * x[j];
        ra += std::abs(static_cast<long double>(A[j * m + i]) * x[j]);
      }
      fe += r * r;
      fabs_ += ra * ra;
      for (index_t j = 0; j < n; ++j) {
        ge[j] += static_cast<long double>(A[j * m + i]) * r;
        gabs[j] += std::abs(static_cast<long double>(A[j * m + i])) * ra;
      }
    }
    const double gam = gamma<T>(static_cast<double>(m + n + 2));
    const double fv = with_b ? f : f_nob;
    EXPECT_LE(std::abs(fv - static_cast<double>(fe)), gam * static_cast<double>(fabs_));
    for (index_t j = 0; j < n; ++j) {
      const T lam = with_b ? lambda : T(0);
      const double exact = static_cast<double>(ge[j] / m) + static_cast<double>(lam) * x[j];
      const double got = with_b ? g[j] : g_nob[j];
      // + 2 u |lambda x_j| for the final scaling and addition in T
      const double tol = gam * static_cast<double>(gabs[j] / m) +
                         2.0 * gamma<T>(1) * std::abs(static_cast<double>(lam) * x[j]);
      EXPECT_LE(std::abs(got - exact), tol) << "j = " << j << (with_b ? "" : " (b = 0)");
    }
  }
}

TEST(CpuGdStream, EvaluationWithinRoundingOfExact) {
  for (int threads : {1, 2}) {
    check_panel_pass<double>(1000, 7, threads);  // 8 vectors per panel, padded tail
    check_panel_pass<float>(1000, 7, threads);
    check_panel_pass<double>(4099, 256, threads);  // 128 KB panels
    check_panel_pass<float>(2053, 1024, threads);  // 64-row panels of 256 KB
  }
}

// The whole solve with panels (cpu.gd picks them for tall A) against the same iterations through
// the chunked pass on the same problem: both within the per-step bound of check_against_single,
// and the thread counts bitwise identical to themselves across repeated solves.
TEST(CpuGdStream, SolveMatchesAcrossThreadsAndRepeats) {
  GenOptions go = gen_options(3001, 48, 5.0, 42, 0.1);
  const Problem<double> p = generate<double>(go);
  SolverOptions o;
  o.tol = 0.0;
  o.max_iters = 50;
  std::vector<std::vector<double>> xs;
  for (int threads : {1, 2}) {
    o.threads = threads;
    auto s = default_registry().get("cpu.gd.nesterov").make<double>(o);
    s->setup(p);
    s->timed_solve();
    const std::vector<double> first = s->solution();
    s->timed_solve();
    EXPECT_EQ(s->solution(), first) << "threads " << threads << ": repeat differs";
    xs.push_back(first);
  }
  // 1 vs 2 threads: the partial gradients are summed in another grouping; per step
  // gamma_{m+n+2}-small, so the iterates agree far below the forward error of the problem.
  EXPECT_LE(forward_error(xs[1], xs[0]), 1e3 * (go.m + go.n) * eps<double>());
}

}  // namespace
}  // namespace lsgd
