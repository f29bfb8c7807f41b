// Gradient-descent solvers (every Kind::iterative entry of the registry; CUDA entries skip without
// a GPU): convergence to the least-squares solution within the tolerance's bound, stopping and
// history rules, divergence, ridge, SGD reproducibility, bad input.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <Eigen/Dense>

#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/registry.hpp"
#include "tests/test_util.hpp"

namespace lsgd {
namespace {

const SolverEntry& entry(const std::string& name) { return default_registry().get(name); }
bool is_sgd(const std::string& name) { return entry(name).algorithm == "sgd"; }
bool is_momentum(const std::string& name) { return entry(name).algorithm == "momentum"; }

Problem<double> make_problem(index_t m, index_t n, double kappa, double noise, std::uint64_t seed) {
  GenOptions o = gen_options(m, n, kappa, seed, noise);
  return generate<double>(o);
}

// Exact extreme eigenvalues of the Hessian H = A^T A/m + lambda I (by SVD, in double).
struct Hessian {
  double L, mu;
  double kappa() const { return L / mu; }
};
Hessian hessian(const Problem<double>& p, double lambda = 0.0) {
  const Eigen::Map<const Eigen::MatrixXd> A(p.A.data(), p.m, p.n);
  const Eigen::VectorXd s = Eigen::JacobiSVD<Eigen::MatrixXd>(A).singularValues();
  const double m = static_cast<double>(p.m);
  return {s(0) * s(0) / m + lambda, s(s.size() - 1) * s(s.size() - 1) / m + lambda};
}

std::vector<double> reference(const Problem<double>& p, double lambda = 0.0) {
  SolverOptions o;
  o.ridge_lambda =
      lambda * static_cast<double>(p.m);  // cpu.cholesky solves (A^T A + l I) x = A^T b
  auto s = entry(lambda > 0.0 ? "cpu.cholesky" : "cpu.qr").make<double>(o);
  s->setup(p);
  s->timed_solve();
  return s->solution();
}

template <typename T>
std::vector<T> run(const std::string& name, const Problem<T>& p, const SolverOptions& o,
                   SolveInfo* info = nullptr) {
  auto s = entry(name).make<T>(o);
  s->setup(p);
  s->timed_solve();
  if (info != nullptr) *info = s->info();
  return s->solution();
}

class GdAll : public ::testing::TestWithParam<std::string> {};

// g(x) = H (x - x*), so ||x - x*|| <= ||g(x)|| / mu. Solvers that stop on that bound (cpu.gd*,
// cpu.sgd: cpu/gd_stop.hpp; error_estimate finite) have ||x - x*|| <= tol ||x||, hence
// <= tol / (1 - tol) ||x*||: 1.01 tol. With the relative-gradient test ||g(x)|| <= tol ||g(0)||
// (cuda.gd) and g(0) = -H x*: ||x - x*|| <= tol ||H x*|| / mu <= tol * kappa(H) * ||x*||. Rounding
// adds about kappa(H) * eps times a modest constant (the gradient is computed to ~eps relative).
template <typename T>
void check_converges(const std::string& name) {
  SCOPED_TRACE(std::string(name) + (sizeof(T) == 4 ? " f32" : " f64"));
  const bool sgd = is_sgd(name);
  // SGD with a constant step reaches the exact solution only on consistent systems.
  const Problem<double> p64 = make_problem(300, 16, 5.0, sgd ? 0.0 : 0.05, 11);
  const Problem<T> p = p64.cast<T>();
  const Problem<double> pr = p.template cast<double>();  // the problem the solver really sees
  const std::vector<double> xs = reference(pr);
  const double kh = hessian(pr).kappa();
  SolverOptions o;
  o.tol = sizeof(T) == 4 ? 1e-4 : (sgd ? 1e-6 : 1e-9);
  o.max_iters = 20000;
  SolveInfo info;
  const std::vector<T> x = run(name, p, o, &info);
  ASSERT_TRUE(info.converged) << info.note;
  EXPECT_GT(info.iterations, 0);
  EXPECT_LT(info.iterations, o.max_iters);
  const bool estimates = std::isfinite(info.error_estimate);
  if (estimates) {
    EXPECT_LE(info.error_estimate, o.tol);
  }
  const double bound = 1.01 * (estimates ? 1.0 : kh) * o.tol + 100.0 * kh * eps<T>();
  EXPECT_LE(forward_error(x, xs), bound)
      << "kappa(H) = " << kh << ", iterations " << info.iterations;
}

TEST_P(GdAll, ConvergesToLeastSquaresSolutionWithinTolBound) {
  const SolverEntry& e = entry(GetParam());
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  if (e.f64) check_converges<double>(e.name);
  if (e.f32) check_converges<float>(e.name);
}

TEST_P(GdAll, ZeroTolRunsExactlyMaxItersAndCountsAsConverged) {
  const SolverEntry& e = entry(GetParam());
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  const Problem<double> p = make_problem(100, 8, 10.0, 0.1, 3);
  SolverOptions o;
  o.tol = 0.0;
  o.max_iters = 37;
  SolveInfo info;
  run(e.name, p, o, &info);
  EXPECT_EQ(info.iterations, 37);
  EXPECT_TRUE(info.converged);
}

TEST_P(GdAll, NotConvergedReturnsIterateWithNote) {
  const SolverEntry& e = entry(GetParam());
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  const Problem<double> p = make_problem(100, 8, 30.0, 0.1, 3);
  SolverOptions o;
  o.tol = 1e-12;
  o.max_iters = 5;
  SolveInfo info;
  const std::vector<double> x = run(e.name, p, o, &info);
  EXPECT_FALSE(info.converged);
  EXPECT_EQ(info.iterations, 5);
  EXPECT_FALSE(info.note.empty());
  // Five steps from 0 still lower the objective.
  EXPECT_LT(gd_objective(p, x), gd_objective(p, std::vector<double>(8, 0.0)));
}

// A step of 2.5/L leaves the stable range (2/L; 2(1+beta)/L for heavy ball, hence beta = 0.1
// there): the component along the top eigenvector grows by 1.5 per step until the divergence test
// fires.
TEST_P(GdAll, StepAboveTwoOverLThrowsDivergence) {
  const SolverEntry& e = entry(GetParam());
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  const Problem<double> p = make_problem(200, 10, 10.0, 0.1, 5);
  const Hessian h = hessian(p);
  SolverOptions o;
  o.lipschitz = h.L;
  o.step = 2.5 / h.L;
  o.tol = 0.0;
  o.max_iters = 2000;
  if (is_momentum(e.name)) o.momentum = 0.1;
  try {
    run(e.name, p, o);
    FAIL() << e.name << ": no divergence reported";
  } catch (const NumericalError& err) {
    EXPECT_NE(std::string(err.what()).find("diverged at iteration"), std::string::npos)
        << err.what();
    EXPECT_NE(std::string(err.what()).find(e.name), std::string::npos) << err.what();
  }
}

TEST_P(GdAll, BadInputIsInvalidInput) {
  const SolverEntry& e = entry(GetParam());
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  auto make_with = [&](auto&& set) {
    SolverOptions o;
    set(o);
    return e.make<double>(o);
  };
  EXPECT_THROW(make_with([](SolverOptions& o) { o.tol = -1.0; }), InvalidInput);
  EXPECT_THROW(make_with([](SolverOptions& o) { o.max_iters = -1; }), InvalidInput);
  EXPECT_THROW(make_with([](SolverOptions& o) { o.step = -0.5; }), InvalidInput);
  EXPECT_THROW(make_with([](SolverOptions& o) { o.ridge_lambda = -1.0; }), InvalidInput);
  EXPECT_THROW(make_with([](SolverOptions& o) { o.momentum = 1.0; }), InvalidInput);
  EXPECT_THROW(make_with([](SolverOptions& o) { o.lipschitz = std::nan(""); }), InvalidInput);
  EXPECT_THROW(make_with([](SolverOptions& o) { o.history_every = -2; }), InvalidInput);

  Problem<double> p = make_problem(50, 4, 2.0, 0.0, 1);
  auto s = e.make<double>();
  EXPECT_THROW(s->timed_solve(), InvalidInput);  // before setup
  Problem<double> bad = p;
  bad.a(7, 2) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(s->setup(bad), InvalidInput);
  bad = p;
  bad.b.pop_back();
  EXPECT_THROW(s->setup(bad), InvalidInput);
  // A = 0 has no Lipschitz constant to take a step from.
  Problem<double> zero = p;
  std::fill(zero.A.begin(), zero.A.end(), 0.0);
  EXPECT_THROW(
      {
        s->setup(zero);
        s->timed_solve();
      },
      InvalidInput);
}

INSTANTIATE_TEST_SUITE_P(Registry, GdAll, ::testing::ValuesIn(test::solver_names(Kind::iterative)),
                         [](const auto& info) { return test::param_name(info.param); });

// ---- plain GD: history, ridge, threads
// -----------------------------------------------------------

std::vector<std::string> plain_gd_names() {
  std::vector<std::string> out;
  for (const auto& name : test::solver_names(Kind::iterative)) {
    if (default_registry().get(name).algorithm == "gd") out.push_back(name);
  }
  return out;
}

class GdPlain : public ::testing::TestWithParam<std::string> {};

// Records j = 0, 5, ..., 50 and the final iterate 52; with step 1/L on a quadratic f decreases at
// every step (f(x - g/L) <= f(x) - ||g||^2/(2L)).
TEST_P(GdPlain, LossHistoryLengthAndMonotoneDecrease) {
  const SolverEntry& e = entry(GetParam());
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  const Problem<double> p = make_problem(200, 12, 20.0, 0.1, 9);
  SolverOptions o;
  o.tol = 0.0;
  o.max_iters = 52;
  o.history_every = 5;
  SolveInfo info;
  const std::vector<double> x = run(e.name, p, o, &info);
  EXPECT_EQ(info.history_every, 5);
  ASSERT_EQ(info.loss_history.size(), 12u);
  EXPECT_NEAR(info.loss_history.front(), gd_objective(p, std::vector<double>(12, 0.0)), 1e-14);
  EXPECT_NEAR(info.loss_history.back(), gd_objective(p, x), 1e-13);
  for (size_t j = 1; j < info.loss_history.size(); ++j) {
    EXPECT_LT(info.loss_history[j], info.loss_history[j - 1]) << "entry " << j;
  }
  // No history unless asked.
  o.history_every = 0;
  run(e.name, p, o, &info);
  EXPECT_TRUE(info.loss_history.empty());
}

TEST_P(GdPlain, HistoryEndsWithTheIterateWhereTheTolWasMet) {
  const SolverEntry& e = entry(GetParam());
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  const Problem<double> p = make_problem(200, 12, 5.0, 0.1, 9);
  SolverOptions o;
  o.tol = 1e-6;
  o.history_every = 1000000;  // only j = 0 and the final iterate
  SolveInfo info;
  const std::vector<double> x = run(e.name, p, o, &info);
  ASSERT_TRUE(info.converged);
  ASSERT_EQ(info.loss_history.size(), 2u);
  EXPECT_NEAR(info.loss_history.back(), gd_objective(p, x), 1e-13);
}

// GD's objective carries 1/m: its minimizer solves (A^T A/m + lambda I) x = A^T b/m, i.e.
// cpu.cholesky with ridge lambda m * lambda.
TEST_P(GdPlain, RidgeLambdaGivesTheRidgeSolution) {
  const SolverEntry& e = entry(GetParam());
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  const Problem<double> p = make_problem(300, 16, 30.0, 0.05, 13);
  const double lambda = 2e-4;  // comparable to the Hessian's eigenvalues (1/m ... 1/(900 m))
  const std::vector<double> xr = reference(p, lambda);
  const std::vector<double> xls = reference(p);
  const double kh = hessian(p, lambda).kappa();
  SolverOptions o;
  o.ridge_lambda = lambda;
  o.tol = 1e-10;
  o.max_iters = 100000;
  SolveInfo info;
  const std::vector<double> x = run(e.name, p, o, &info);
  ASSERT_TRUE(info.converged) << info.note;
  EXPECT_LE(forward_error(x, xr), 1.01 * kh * o.tol + 100.0 * kh * eps<double>());
  EXPECT_GT(forward_error(x, xls), 1e-2) << "lambda had no effect";
}

INSTANTIATE_TEST_SUITE_P(Registry, GdPlain, ::testing::ValuesIn(plain_gd_names()),
                         [](const auto& info) { return test::param_name(info.param); });

// ---- CPU specifics ------------------------------------------------------------------------------

// A problem large enough for the parallel row-block pass (m n >= 2^16): the thread count is
// reported and changes only the summation order.
TEST(CpuGd, ThreadsReportedAndResultsAgreeAcrossThreadCounts) {
  const Problem<double> p = make_problem(8192, 16, 10.0, 0.1, 21);
  for (const char* name : {"cpu.gd", "cpu.gd.momentum", "cpu.gd.nesterov", "cpu.sgd"}) {
    SCOPED_TRACE(name);
    SolverOptions o;
    o.tol = 0.0;
    o.max_iters = 20;
    o.threads = 1;
    SolveInfo i1, i2;
    const std::vector<double> x1 = run(name, p, o, &i1);
    o.threads = 2;
    const std::vector<double> x2 = run(name, p, o, &i2);
    EXPECT_EQ(i1.threads, 1);
    EXPECT_EQ(i2.threads, 2);
    EXPECT_LE(forward_error(x2, x1), 1e-12);
  }
}

// Wide A (a cache-sized chunk holds few whole rows) takes the two-GEMV path of the pass: same
// answers.
TEST(CpuGd, WideProblemConvergesWithEitherThreadCount) {
  const Problem<double> p = make_problem(1200, 160, 3.0, 0.05, 23);
  const std::vector<double> xs = reference(p);
  const double kh = hessian(p).kappa();
  for (const char* name : {"cpu.gd", "cpu.gd.nesterov"}) {
    SCOPED_TRACE(name);
    SolverOptions o;
    o.tol = 1e-10;
    o.threads = 1;
    SolveInfo info;
    const std::vector<double> x1 = run(name, p, o, &info);
    ASSERT_TRUE(info.converged) << info.note;
    EXPECT_LE(forward_error(x1, xs), 1.01 * kh * o.tol + 100.0 * kh * eps<double>());
    o.threads = 2;
    const std::vector<double> x2 = run(name, p, o);
    EXPECT_LE(forward_error(x2, x1), 1e-12);
  }
}

// Momentum and Nesterov after one step equal a GD step (x_{-1} = x_0, mu_0 = 0); after two, the
// heavy ball differs from GD by beta (x_1 - x_0) exactly.
TEST(CpuGd, VariantsFollowTheirRecurrences) {
  const Problem<double> p = make_problem(120, 6, 5.0, 0.1, 2);
  SolverOptions o;
  o.tol = 0.0;
  o.lipschitz = hessian(p).L;
  o.max_iters = 1;
  const std::vector<double> g1 = run("cpu.gd", p, o);
  EXPECT_LE(forward_error(run("cpu.gd.momentum", p, o), g1), 1e-15);
  EXPECT_LE(forward_error(run("cpu.gd.nesterov", p, o), g1), 1e-15);
  // Nesterov's mu_1 = 0 too: two steps equal two GD steps.
  o.max_iters = 2;
  EXPECT_LE(forward_error(run("cpu.gd.nesterov", p, o), run("cpu.gd", p, o)), 1e-14);
  // Heavy ball, step 2: x_2 = x_1 - a g(x_1) + beta x_1; GD from x_1 gives x_1 - a g(x_1).
  o.momentum = 0.5;
  const std::vector<double> hb2 = run("cpu.gd.momentum", p, o);
  const std::vector<double> gd2 = run("cpu.gd", p, o);
  std::vector<double> expect(gd2.size());
  for (size_t i = 0; i < gd2.size(); ++i) expect[i] = gd2[i] + 0.5 * g1[i];
  EXPECT_LE(forward_error(hb2, expect), 1e-14);
}

// ---- SGD ----------------------------------------------------------------------------------------

TEST(CpuSgd, EachScheduleConvergesOnAConsistentSystem) {
  const Problem<double> p = make_problem(400, 10, 4.0, 0.0, 17);
  const std::vector<double> xs = reference(p);
  const double kh = hessian(p).kappa();
  for (StepSchedule s : {StepSchedule::constant, StepSchedule::inv_sqrt, StepSchedule::inv_time}) {
    SCOPED_TRACE(static_cast<int>(s));
    SolverOptions o;
    o.schedule = s;
    o.tol = 1e-5;
    o.max_iters = 3000;
    o.sgd_batch = 16;
    SolveInfo info;
    const std::vector<double> x = run("cpu.sgd", p, o, &info);
    ASSERT_TRUE(info.converged) << info.note;
    EXPECT_LE(forward_error(x, xs), 1.01 * kh * o.tol + 100.0 * kh * eps<double>());
  }
}

TEST(CpuSgd, SameSeedReproducesOtherSeedDiffers) {
  const Problem<double> p = make_problem(300, 8, 5.0, 0.1, 4);
  SolverOptions o;
  o.tol = 0.0;
  o.max_iters = 3;
  o.sgd_batch = 7;  // a partial last batch too
  o.seed = 99;
  const std::vector<double> a = run("cpu.sgd", p, o);
  const std::vector<double> b = run("cpu.sgd", p, o);
  EXPECT_EQ(a, b);
  o.seed = 100;
  const std::vector<double> c = run("cpu.sgd", p, o);
  EXPECT_GT(forward_error(c, a), 1e-8);
}

// A mini-batch of all m rows is the full gradient: SGD then takes GD's steps (up to summation
// order), which checks the mini-batch gradient formula including 1/|B| and lambda.
TEST(CpuSgd, FullBatchEqualsGradientDescent) {
  const Problem<double> p = make_problem(150, 9, 8.0, 0.1, 6);
  SolverOptions o;
  o.tol = 0.0;
  o.max_iters = 25;
  o.ridge_lambda = 1e-3;
  o.sgd_batch = 1000;
  const std::vector<double> s = run("cpu.sgd", p, o);
  const std::vector<double> g = run("cpu.gd", p, o);
  EXPECT_LE(forward_error(s, g), 1e-12);
}

TEST(CpuSgd, HistoryPerEpochAndBadBatch) {
  const Problem<double> p = make_problem(128, 8, 3.0, 0.0, 8);
  SolverOptions o;
  o.tol = 0.0;
  o.max_iters = 7;
  o.history_every = 2;
  SolveInfo info;
  run("cpu.sgd", p, o, &info);
  EXPECT_EQ(info.iterations, 7);
  EXPECT_EQ(info.loss_history.size(), 5u);  // epochs 0, 2, 4, 6 and the final 7
  EXPECT_LT(info.loss_history.back(), info.loss_history.front());
  o.sgd_batch = 0;
  EXPECT_THROW(entry("cpu.sgd").make<double>(o), InvalidInput);
}

// ---------------------------------------------------------------------------------------------
// The stopping rule and the error estimate (cpu/gd_stop.hpp; issue 25, item 3).

const std::vector<std::string> kEstimating = {"cpu.gd", "cpu.gd.momentum", "cpu.gd.nesterov"};

// Raw, unscaled regression data of the kind the issue met: an intercept, a year column
// (1950..2009) and a regressor of scale 100; kappa(A^T A) ~ 5e10, all of it the year's collinearity
// with the intercept. The relative-gradient stop called this converged after a few hundred
// iterations with the intercept wrong in every digit; the forward-error rule keeps going and, at
// max_iters, says it is not converged with an estimate that matches the real error.
Problem<double> raw_year_problem() {
  Problem<double> p = Problem<double>::zeros(60, 3);
  for (index_t i = 0; i < p.m; ++i) {
    const double year = 1950.0 + static_cast<double>(i);
    const double sales = 100.0 + 30.0 * std::sin(0.9 * static_cast<double>(i));
    p.a(i, 0) = 1.0;
    p.a(i, 1) = year;
    p.a(i, 2) = sales;
    p.b[static_cast<size_t>(i)] =
        -1552.8 + 0.8 * year + 2.0 * sales + 5.0 * std::cos(1.7 * static_cast<double>(i));
  }
  return p;
}

TEST(GdStopping, RawUnscaledDataIsNotCalledConverged) {
  const Problem<double> p = raw_year_problem();
  const std::vector<double> xs = reference(p);
  const Hessian h = hessian(p);
  ASSERT_GT(h.kappa(), 1e10);
  for (const std::string& name : kEstimating) {
    SolverOptions o;  // defaults: tol 1e-6, max_iters 1000
    SolveInfo info;
    const std::vector<double> x = run(name, p, o, &info);
    EXPECT_FALSE(info.converged) << name << " after " << info.iterations << " iterations";
    EXPECT_EQ(info.iterations, o.max_iters) << name;
    // The estimate is an upper bound of the real error (Lanczos exhausted the 3-dimensional
    // Krylov space: mu is exact up to rounding), and that error is large.
    const double real = forward_error(x, xs) *
                        std::sqrt(Eigen::Map<const Eigen::VectorXd>(xs.data(), 3).squaredNorm()) /
                        Eigen::Map<const Eigen::VectorXd>(x.data(), 3).norm();
    EXPECT_GT(real, 1e-3) << name;
    EXPECT_GE(info.error_estimate, real) << name;
    EXPECT_NE(info.note.find("estimated forward error"), std::string::npos) << info.note;
    EXPECT_NE(info.note.find("kappa(H)"), std::string::npos) << info.note;
  }
}

// The estimate ||g|| / (mu ||x||) bounds the real relative error at every stopping point, tol met
// or not (mu exact: n = 16 <= the Lanczos steps; rounding adds ~ kappa(H) eps, with the constant
// 100 of check_converges), and the converged iterate meets tol.
TEST(GdStopping, EstimateBoundsTheRealError) {
  const Problem<double> p = make_problem(300, 16, 30.0, 0.05, 7);
  const std::vector<double> xs = reference(p);
  const Hessian h = hessian(p);
  for (const std::string& name : kEstimating) {
    for (int iters : {5, 50, 500}) {
      SolverOptions o;
      o.tol = 1e-14;
      o.max_iters = iters;
      SolveInfo info;
      const std::vector<double> x = run(name, p, o, &info);
      const double xn = Eigen::Map<const Eigen::VectorXd>(x.data(), 16).norm();
      const double xsn = Eigen::Map<const Eigen::VectorXd>(xs.data(), 16).norm();
      const double real = forward_error(x, xs) * xsn / xn;
      ASSERT_TRUE(std::isfinite(info.error_estimate)) << name;
      EXPECT_LE(real, info.error_estimate + 100.0 * h.kappa() * eps<double>())
          << name << " after " << iters;
    }
  }
}

// Beyond kLanczosSteps (32) unknowns mu is a Ritz value and the estimate may be low: the note of a
// converged solve says so (`lsgd solve` checks the coefficients with sigma_min from an SVD).
TEST(GdStopping, PartialLanczosSaysTheEstimateMayBeLow) {
  const Problem<double> p = make_problem(400, 48, 3.0, 0.05, 9);
  SolverOptions o;
  o.max_iters = 5000;
  SolveInfo info;
  run("cpu.gd", p, o, &info);
  ASSERT_TRUE(info.converged) << info.note;
  EXPECT_NE(info.note.find("may be low"), std::string::npos) << info.note;
}

}  // namespace
}  // namespace lsgd
