// The CPU batched direct solvers (every Kind::batched_direct entry of the CPU backend in the
// registry): every problem of a batch against per-problem cpu.qr in double, with condition numbers
// spread across the batch and kappa-scaled bounds (kappa^2 for the normal equations); batches with
// singular problems (failed indices exact, the others solved); bad input.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/registry.hpp"
#include "tests/batched_test_util.hpp"
#include "tests/test_util.hpp"

namespace lsgd {
namespace {

class BatchedCpu : public ::testing::TestWithParam<std::string> {
 protected:
  const SolverEntry& entry() const { return default_registry().get(GetParam()); }
};

using Shape = test::BatchShape;
using test::solve_batched;

template <typename T>
void check_accuracy(const SolverEntry& e, const Shape& sh, double noise) {
  GenOptions o = gen_options(sh.m, sh.n, 1.0, 11, noise);
  // Noisy systems add kappa^2 ||r|| eps to the LS solution's sensitivity: keep kappa where the
  // kappa^2 bound still asserts digits, and apply it to every solver.
  const bool squared = e.kappa_squared() || noise > 0.0;
  const double kappa_max = test::kappa_limit<T>(squared);
  const BatchedProblem<T> bp = generate_batch<T>(sh.batch, o, kappa_max);
  SolveInfo info;
  const std::vector<T> x = solve_batched(e, bp, &info);
  EXPECT_TRUE(failed_indices(info).empty()) << e.name << ": reported failures on full-rank data";
  const double ratio =
      test::max_error_ratio(bp, x, test::per_problem_reference(bp), 1.0, kappa_max, squared);
  EXPECT_LE(ratio, 1.0) << e.name << " " << sh.batch << " x " << sh.m << "x" << sh.n
                        << " (kappa up to " << kappa_max << ", noise " << noise
                        << "): max error / bound over the batch";
}

TEST_P(BatchedCpu, EveryProblemMatchesCpuQr) {
  const SolverEntry& e = entry();
  for (const Shape& sh : {Shape{48, 64, 8}, Shape{12, 150, 20}, Shape{8, 12, 12}, Shape{5, 3, 1}}) {
    check_accuracy<float>(e, sh, 0.0);
    check_accuracy<double>(e, sh, 0.0);
  }
}

TEST_P(BatchedCpu, NoisyProblemsMatchCpuQr) {
  const SolverEntry& e = entry();
  check_accuracy<float>(e, Shape{16, 80, 6}, 1e-2);
  check_accuracy<double>(e, Shape{16, 80, 6}, 1e-2);
}

template <typename T>
void check_singular(const SolverEntry& e) {
  GenOptions o = gen_options(40, 6, 1.0, 5);
  const double kappa_max = 100.0;
  BatchedProblem<T> bp = generate_batch<T>(10, o, kappa_max);
  const std::vector<index_t> expected = {3, 6, 9};
  test::make_singular(bp, 3, {6, 9}, 2);
  SolveInfo info;
  std::vector<T> x;
  ASSERT_NO_THROW(x = solve_batched(e, bp, &info))
      << e.name << ": threw on a per-problem singularity";
  EXPECT_EQ(failed_indices(info), expected) << e.name;
  ASSERT_EQ(info.problem_status.size(), 10u);
  for (index_t p : expected) {
    EXPECT_EQ(info.problem_status[static_cast<size_t>(p)], kSingular) << e.name << " problem " << p;
    for (index_t j = 0; j < bp.n; ++j)
      EXPECT_TRUE(std::isnan(x[static_cast<size_t>(p * bp.n + j)]));
  }
  // The others are solved as accurately as in a batch without failures. The reference skips the
  // singular problems (cpu.qr would throw on them).
  std::vector<double> ref(static_cast<size_t>(bp.batch * bp.n), 0.0);
  auto qr = default_registry().get("cpu.qr").make<double>();
  for (index_t p = 0; p < bp.batch; ++p) {
    if (p == 3 || p == 6 || p == 9) continue;
    qr->setup(bp.extract(p).template cast<double>());
    qr->timed_solve();
    const std::vector<double> xp = qr->solution();
    std::copy(xp.begin(), xp.end(), ref.begin() + p * bp.n);
  }
  const double ratio =
      test::max_error_ratio(bp, x, ref, 1.0, kappa_max, e.kappa_squared(), expected);
  EXPECT_LE(ratio, 1.0) << e.name << ": the non-singular problems of a batch with failures";
}

TEST_P(BatchedCpu, SingularProblemsReportedOthersSolved) {
  check_singular<float>(entry());
  check_singular<double>(entry());
}

// A duplicated column is exactly rank deficient but leaves rounding noise instead of a zero pivot:
// the rank tests of cpu.qr / cpu.cholesky must still flag it.
TEST_P(BatchedCpu, DuplicatedColumnIsSingular) {
  const SolverEntry& e = entry();
  GenOptions o = gen_options(50, 5);
  BatchedProblem<double> bp = generate_batch<double>(4, o, 10.0);
  std::copy(bp.a_of(1), bp.a_of(1) + bp.m, bp.a_of(1) + 3 * bp.m);  // column 3 = column 0
  SolveInfo info;
  solve_batched(e, bp, &info);
  EXPECT_EQ(failed_indices(info), std::vector<index_t>{1}) << e.name;
}

template <typename T>
void check_bad_input(const SolverEntry& e) {
  GenOptions o = gen_options(20, 4);
  const BatchedProblem<T> good = generate_batch<T>(3, o);
  auto expect_invalid = [&](const BatchedProblem<T>& bp, const std::string& what,
                            const std::string& word) {
    auto s = e.make_batched<T>();
    try {
      s->setup(bp);
      s->timed_solve();
      ADD_FAILURE() << e.name << ": " << what << ": no InvalidInput";
    } catch (const InvalidInput& err) {
      EXPECT_NE(std::string(err.what()).find(word), std::string::npos)
          << e.name << ": " << what << ": message '" << err.what() << "' lacks '" << word << "'";
    }
  };
  BatchedProblem<T> bp = good;
  bp.a_of(2)[5] = std::numeric_limits<T>::quiet_NaN();
  expect_invalid(bp, "NaN in problem 2", "problem 2");
  bp = good;
  bp.b_of(1)[0] = std::numeric_limits<T>::infinity();
  expect_invalid(bp, "Inf in b of problem 1", "problem 1");
  bp = good;
  bp.A.pop_back();
  expect_invalid(bp, "short storage", "storage");
  expect_invalid(BatchedProblem<T>{}, "empty batch", "empty");
  o.m = 3;
  o.n = 5;
  expect_invalid(generate_batch<T>(2, o), "m < n", "m = 3 < n = 5");

  auto s = e.make_batched<T>();
  EXPECT_THROW(s->timed_solve(), InvalidInput) << e.name << ": timed_solve() before setup()";
  SolverOptions ridge;
  ridge.ridge_lambda = 0.5;
  EXPECT_THROW(e.make_batched<T>(ridge), InvalidInput) << e.name << ": ridge lambda ignored";
  EXPECT_THROW(e.make<T>(), InvalidInput) << e.name << ": made as a single-problem solver";
}

TEST_P(BatchedCpu, BadInputIsInvalidInput) {
  check_bad_input<float>(entry());
  check_bad_input<double>(entry());
}

// timed_solve() solves from scratch each call; the thread count changes nothing but speed. The
// batch (400 x 30 x 7 entries) is above the size that the solvers split across threads.
TEST_P(BatchedCpu, RepeatableAndThreadCountIndependent) {
  const SolverEntry& e = entry();
  GenOptions o = gen_options(30, 7);
  const BatchedProblem<double> bp = generate_batch<double>(400, o, 1e3);
  SolverOptions one, two;
  one.threads = 1;
  two.threads = 2;
  auto s = e.make_batched<double>(one);
  s->setup(bp);
  s->timed_solve();
  EXPECT_EQ(s->info().threads, 1);
  const std::vector<double> x1 = s->solution();
  s->timed_solve();
  EXPECT_EQ(s->solution(), x1) << e.name << ": a second timed_solve() changed the result";
  SolveInfo info2;
  const std::vector<double> x2 = solve_batched(e, bp, &info2, two);
  EXPECT_EQ(info2.threads, 2);
  EXPECT_LE(forward_error(x2, x1), 10 * eps<double>()) << e.name;
}

// A batch that costs less than an OpenMP fork-join runs on the calling thread, and says so.
TEST_P(BatchedCpu, SmallBatchRunsOnOneThread) {
  const SolverEntry& e = entry();
  GenOptions o = gen_options(64, 8);
  const BatchedProblem<double> bp = generate_batch<double>(1, o, 10.0);
  SolverOptions two;
  two.threads = 2;
  SolveInfo info;
  const std::vector<double> x = solve_batched(e, bp, &info, two);
  EXPECT_EQ(info.threads, 1) << e.name;
  EXPECT_EQ(x.size(), 8u);
}

INSTANTIATE_TEST_SUITE_P(Registry, BatchedCpu,
                         ::testing::ValuesIn(test::batched_names(Backend::cpu)),
                         [](const auto& info) { return test::param_name(info.param); });

TEST(BatchedRegistry, CpuEntriesPresent) {
  const std::vector<std::string> names = test::batched_names(Backend::cpu);
  EXPECT_NE(std::find(names.begin(), names.end(), "cpu.batched.qr"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "cpu.batched.cholesky"), names.end());
  EXPECT_TRUE(default_registry().get("cpu.batched.cholesky").normal_equations);
  EXPECT_FALSE(default_registry().get("cpu.batched.qr").normal_equations);
}

}  // namespace
}  // namespace lsgd
