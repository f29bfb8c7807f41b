// Batched gradient descent (every Kind::batched_iterative entry; CUDA entries skip without a GPU):
// every problem of a batch whose condition number varies is checked against cpu.qr and against the
// single-problem cpu.gd; divergence of one problem leaves the others solved; statuses; bad input.
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

BatchedProblem<double> make_batch(index_t batch, index_t m, index_t n, double kappa,
                                  double kappa_max, double noise, std::uint64_t seed) {
  GenOptions o = gen_options(m, n, kappa, seed, noise);
  return generate_batch<double>(batch, o, kappa_max);
}

double hessian_kappa(const Problem<double>& p) {
  const Eigen::Map<const Eigen::MatrixXd> A(p.A.data(), p.m, p.n);
  const Eigen::VectorXd s = Eigen::JacobiSVD<Eigen::MatrixXd>(A).singularValues();
  return std::pow(s(0) / s(s.size() - 1), 2);
}

std::vector<double> qr_solution(const Problem<double>& p) {
  auto s = entry("cpu.qr").make<double>();
  s->setup(p);
  s->timed_solve();
  return s->solution();
}

template <typename T>
std::vector<T> slice(const std::vector<T>& x, index_t p, index_t n) {
  return std::vector<T>(x.begin() + p * n, x.begin() + (p + 1) * n);
}

class BgdAll : public ::testing::TestWithParam<std::string> {};

// Every problem: status solved, forward error within kappa(H_p) * tol (see test_gd.cpp for the
// bound), and the same iterate as cpu.gd alone after the same number of iterations.
template <typename T>
void check_batch(const SolverEntry& e) {
  SCOPED_TRACE(e.name + (sizeof(T) == 4 ? " f32" : " f64"));
  const index_t batch = 12, m = 128, n = 12;
  const BatchedProblem<T> bp =
      make_batch(batch, m, n, 2.0, sizeof(T) == 4 ? 10.0 : 30.0, 0.05, 5).template cast<T>();
  SolverOptions o;
  o.tol = sizeof(T) == 4 ? 1e-4 : 1e-10;
  o.max_iters = 100000;
  auto s = e.make_batched<T>(o);
  s->setup(bp);
  s->timed_solve();
  const SolveInfo& info = s->info();
  const std::vector<T> x = s->solution();
  ASSERT_EQ(x.size(), static_cast<size_t>(batch * n));
  ASSERT_EQ(info.problem_status.size(), static_cast<size_t>(batch));
  ASSERT_EQ(info.problem_iterations.size(), static_cast<size_t>(batch));
  EXPECT_TRUE(info.converged) << info.note;
  int max_it = 0;
  for (index_t p = 0; p < batch; ++p) {
    SCOPED_TRACE("problem " + std::to_string(p));
    const Problem<T> pp = bp.extract(p);
    const Problem<double> pd = pp.template cast<double>();
    const double kh = hessian_kappa(pd);
    EXPECT_EQ(info.problem_status[p], kSolved);
    const std::vector<T> xp = slice(x, p, n);
    EXPECT_LE(forward_error(xp, qr_solution(pd)), 1.01 * kh * o.tol + 100.0 * kh * eps<T>())
        << "kappa(H) = " << kh;
    // cpu.gd stops on its forward-error estimate (cpu/gd_stop.hpp), cpu.bgd on the relative
    // gradient its GPU twins share, so the counts differ; after the same number of iterations the
    // iterates agree up to the rounding of the sums (the rounding term of the bound above).
    SolverOptions fixed = o;
    fixed.tol = 0.0;
    fixed.max_iters = info.problem_iterations[p];
    auto single = entry("cpu.gd").make<T>(fixed);
    single->setup(pp);
    single->timed_solve();
    EXPECT_LE(forward_error(xp, single->solution()), 100.0 * kh * eps<T>());
    max_it = std::max(max_it, info.problem_iterations[p]);
  }
  EXPECT_EQ(info.iterations, max_it);
  // The condition numbers spread across the batch, and with them the iteration counts.
  EXPECT_GT(info.problem_iterations[batch - 1], 2 * info.problem_iterations[0]);
}

TEST_P(BgdAll, EveryProblemMatchesQrAndSingleGd) {
  const SolverEntry& e = entry(GetParam());
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  if (e.f64) check_batch<double>(e);
  if (e.f32) check_batch<float>(e);
}

// Problem 2 is scaled by 2 (same solution, 4x the Lipschitz constant); a common step of 2.5/L_2 is
// above 2/L_2 for it and 0.625/L for the others: it alone diverges.
TEST_P(BgdAll, DivergingProblemIsMarkedAndTheOthersAreSolved) {
  const SolverEntry& e = entry(GetParam());
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  const index_t batch = 5, m = 100, n = 8;
  BatchedProblem<double> bp = make_batch(batch, m, n, 5.0, 0.0, 0.05, 8);
  std::transform(bp.a_of(2), bp.a_of(3), bp.a_of(2), [](double v) { return 2.0 * v; });
  std::transform(bp.b_of(2), bp.b_of(3), bp.b_of(2), [](double v) { return 2.0 * v; });
  const Problem<double> p2 = bp.extract(2);
  const Eigen::Map<const Eigen::MatrixXd> A2(p2.A.data(), m, n);
  const double L2 = std::pow(Eigen::JacobiSVD<Eigen::MatrixXd>(A2).singularValues()(0), 2) / m;
  SolverOptions o;
  o.step = 2.5 / L2;
  o.tol = 1e-8;
  o.max_iters = 20000;
  auto s = e.make_batched<double>(o);
  s->setup(bp);
  ASSERT_NO_THROW(s->timed_solve());
  const SolveInfo& info = s->info();
  const std::vector<double> x = s->solution();
  EXPECT_FALSE(info.converged);
  EXPECT_FALSE(info.note.empty());
  EXPECT_EQ(failed_indices(info), std::vector<index_t>{2});
  ASSERT_EQ(info.problem_status.size(), static_cast<size_t>(batch));
  EXPECT_EQ(info.problem_status[2], kDiverged);
  for (index_t p : {0, 1, 3, 4}) {
    EXPECT_EQ(info.problem_status[p], kSolved) << "problem " << p;
    const Problem<double> pp = bp.extract(p);
    EXPECT_LE(forward_error(slice(x, p, n), qr_solution(pp)),
              1.01 * hessian_kappa(pp) * o.tol + 1e-12)
        << "problem " << p;
  }
}

TEST_P(BgdAll, StatusesForMaxItersAndZeroTol) {
  const SolverEntry& e = entry(GetParam());
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  const BatchedProblem<double> bp = make_batch(4, 64, 6, 10.0, 0.0, 0.1, 2);
  SolverOptions o;
  o.tol = 1e-12;
  o.max_iters = 3;
  auto s = e.make_batched<double>(o);
  s->setup(bp);
  s->timed_solve();
  EXPECT_FALSE(s->info().converged);
  for (index_t p = 0; p < 4; ++p) {
    EXPECT_EQ(s->info().problem_status[p], kNotConverged);
    EXPECT_EQ(s->info().problem_iterations[p], 3);
  }
  o.tol = 0.0;
  auto z = e.make_batched<double>(o);
  z->setup(bp);
  z->timed_solve();
  EXPECT_TRUE(z->info().converged);
  EXPECT_EQ(z->info().iterations, 3);
  EXPECT_TRUE(failed_indices(z->info()).empty());
}

TEST_P(BgdAll, BadInputIsInvalidInput) {
  const SolverEntry& e = entry(GetParam());
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  SolverOptions bad_opt;
  bad_opt.tol = -1.0;
  EXPECT_THROW(e.make_batched<double>(bad_opt), InvalidInput);
  const BatchedProblem<double> bp = make_batch(4, 32, 4, 3.0, 0.0, 0.0, 3);
  auto s = e.make_batched<double>();
  EXPECT_THROW(s->timed_solve(), InvalidInput);  // before setup
  BatchedProblem<double> nan = bp;
  nan.a_of(3)[5] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(s->setup(nan), InvalidInput);
  BatchedProblem<double> zero = bp;
  std::fill(zero.a_of(1), zero.a_of(2), 0.0);
  try {
    s->setup(zero);
    s->timed_solve();
    FAIL() << "A = 0 in problem 1 accepted";
  } catch (const InvalidInput& err) {
    EXPECT_NE(std::string(err.what()).find("problem 1"), std::string::npos) << err.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, BgdAll,
                         ::testing::ValuesIn(test::solver_names(Kind::batched_iterative)),
                         [](const auto& info) { return test::param_name(info.param); });

// OpenMP over problems, one thread each: the thread count is reported and cannot change a result.
TEST(CpuBgd, ThreadsReportedAndResultsIdentical) {
  const BatchedProblem<double> bp = make_batch(9, 64, 8, 2.0, 20.0, 0.1, 4);
  SolverOptions o;
  o.tol = 1e-8;
  o.threads = 1;
  auto s1 = entry("cpu.bgd").make_batched<double>(o);
  o.threads = 2;
  auto s2 = entry("cpu.bgd").make_batched<double>(o);
  s1->setup(bp);
  s2->setup(bp);
  s1->timed_solve();
  s2->timed_solve();
  EXPECT_EQ(s1->info().threads, 1);
  EXPECT_EQ(s2->info().threads, 2);
  EXPECT_EQ(s1->solution(), s2->solution());
  EXPECT_EQ(s1->info().problem_iterations, s2->info().problem_iterations);
}

}  // namespace
}  // namespace lsgd
