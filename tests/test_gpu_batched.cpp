// The CUDA batched direct solvers (every Kind::batched_direct entry of the CUDA backend in the
// registry) against cpu.batched.qr in double for every problem of each batch: shapes on both sides
// of the resident kernel's variants (n <= 16: 64-row panels; n <= 64: 256-row panels), m not a
// multiple of the panel, m = n, n at max_n and beyond (InvalidInput); failed-index reports; both
// GPU modes; repeated solves (cuda.batched.gels overwrites its inputs). Without a GPU these skip
// (FAIL with -DLSGD_REQUIRE_GPU=ON).
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

class BatchedGpu : public ::testing::TestWithParam<std::string> {
 protected:
  const SolverEntry& entry() const { return default_registry().get(GetParam()); }
};

using Shape = test::BatchShape;
using test::solve_batched;

SolverOptions in_mode(GpuMode mode) {
  SolverOptions opt;
  opt.gpu_mode = mode;
  return opt;
}

template <typename T>
void check_accuracy(const SolverEntry& e, const Shape& sh) {
  if (e.max_n > 0 && sh.n > e.max_n) return;
  GenOptions o = gen_options(sh.m, sh.n, 1.0, 21);
  const double kappa_max = test::kappa_limit<T>(e.kappa_squared());
  const BatchedProblem<T> bp = generate_batch<T>(sh.batch, o, kappa_max);
  SolveInfo info;
  const std::vector<T> x = solve_batched(e, bp, &info);
  EXPECT_TRUE(failed_indices(info).empty()) << e.name << ": reported failures on full-rank data";
  const double ratio =
      test::max_error_ratio(bp, x, test::batched_reference(bp), 1.0, kappa_max, e.kappa_squared());
  EXPECT_LE(ratio, 1.0) << e.name << " " << sh.batch << " x " << sh.m << "x" << sh.n
                        << " (kappa up to " << kappa_max << "): max error / bound over the batch";
}

TEST_P(BatchedGpu, EveryProblemMatchesCpuBatchedQr) {
  const SolverEntry& e = entry();
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  const Shape shapes[] = {
      {300, 64, 8},   // the small-problem target's shape
      {20, 256, 16},  // largest n of the 64-row-panel variant; m a multiple of 64
      {10, 300, 17},  // smallest n of the 256-row-panel variant; m not a multiple of 256
      {7, 513, 5},    // m = 8 panels + 1 row
      {3, 64, 64},    // m = n at the resident limit
      {4, 1000, 64},  // n at the resident limit, several panels
      {5, 9, 8},      // m just above n
      {6, 40, 1},
  };
  for (const Shape& sh : shapes) {
    check_accuracy<float>(e, sh);
    check_accuracy<double>(e, sh);
  }
}

template <typename T>
void check_singular(const SolverEntry& e, index_t m, index_t n) {
  GenOptions o = gen_options(m, n, 1.0, 5);
  const double kappa_max = 100.0;
  BatchedProblem<T> bp = generate_batch<T>(10, o, kappa_max);
  const std::vector<index_t> expected = {3, 6, 9};
  test::make_singular(bp, 3, {6, 9}, n / 2);
  SolveInfo info;
  std::vector<T> x;
  ASSERT_NO_THROW(x = solve_batched(e, bp, &info))
      << e.name << ": threw on a per-problem singularity";
  EXPECT_EQ(failed_indices(info), expected) << e.name << " " << m << "x" << n;
  for (index_t p : expected) {
    for (index_t j = 0; j < n; ++j) EXPECT_TRUE(std::isnan(x[static_cast<size_t>(p * n + j)]));
  }
  // The reference: cpu.batched.qr in double, which reports the same failures.
  auto ref_solver = default_registry().get("cpu.batched.qr").make_batched<double>();
  ref_solver->setup(bp.template cast<double>());
  ref_solver->timed_solve();
  EXPECT_EQ(failed_indices(ref_solver->info()), expected);
  const double ratio = test::max_error_ratio(bp, x, ref_solver->solution(), 1.0, kappa_max,
                                             e.kappa_squared(), expected);
  EXPECT_LE(ratio, 1.0) << e.name << ": the non-singular problems of a batch with failures";
}

TEST_P(BatchedGpu, SingularProblemsReportedOthersSolved) {
  const SolverEntry& e = entry();
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  check_singular<float>(e, 40, 6);
  check_singular<double>(e, 40, 6);
  check_singular<double>(e, 600, 40);  // the 256-row-panel variant, three panels
}

TEST_P(BatchedGpu, EndToEndModeGivesTheSameSolution) {
  const SolverEntry& e = entry();
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  GenOptions o = gen_options(100, 12);
  const BatchedProblem<float> bp = generate_batch<float>(50, o, 1e2);
  const std::vector<float> resident = solve_batched(e, bp, nullptr, in_mode(GpuMode::resident));
  const std::vector<float> e2e = solve_batched(e, bp, nullptr, in_mode(GpuMode::end_to_end));
  EXPECT_EQ(resident, e2e) << e.name;
}

// Each timed_solve() starts from the inputs given to setup() (gels overwrites its working copy).
TEST_P(BatchedGpu, RepeatedSolvesAgree) {
  const SolverEntry& e = entry();
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  GenOptions o = gen_options(70, 10);
  const BatchedProblem<double> bp = generate_batch<double>(33, o, 1e3);
  for (GpuMode mode : {GpuMode::resident, GpuMode::end_to_end}) {
    SolverOptions opt;
    opt.gpu_mode = mode;
    auto s = e.make_batched<double>(opt);
    s->setup(bp);
    s->timed_solve();
    const std::vector<double> x1 = s->solution();
    s->timed_solve();
    s->timed_solve();
    EXPECT_EQ(s->solution(), x1) << e.name << ": repeated timed_solve() changed the result";
  }
}

TEST_P(BatchedGpu, ShapesBeyondTheLimitAreInvalidInput) {
  const SolverEntry& e = entry();
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  GenOptions o;
  if (e.max_n > 0) {
    o.n = e.max_n + 1;
    o.m = 2 * o.n;
    auto s = e.make_batched<float>();
    try {
      s->setup(generate_batch<float>(2, o));
      s->timed_solve();
      ADD_FAILURE() << e.name << ": accepted n = max_n + 1";
    } catch (const InvalidInput& err) {
      EXPECT_NE(std::string(err.what()).find(std::to_string(e.max_n)), std::string::npos)
          << e.name << ": the message should name the limit: " << err.what();
    }
  }
  o.m = 4;
  o.n = 6;
  auto s = e.make_batched<double>();
  EXPECT_THROW(s->setup(generate_batch<double>(2, o)), InvalidInput) << e.name << ": m < n";
  o.m = 20;
  o.n = 3;
  BatchedProblem<double> bad = generate_batch<double>(3, o);
  bad.a_of(1)[4] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(s->setup(bad), InvalidInput) << e.name << ": NaN in A";
  EXPECT_THROW(e.make_batched<double>()->timed_solve(), InvalidInput) << e.name;
}

INSTANTIATE_TEST_SUITE_P(Registry, BatchedGpu,
                         ::testing::ValuesIn(test::batched_names(Backend::cuda)),
                         [](const auto& info) { return test::param_name(info.param); });

TEST(BatchedGpuRegistry, CatalogLists) {
  const std::vector<std::string> names = test::batched_names(Backend::cuda);
  for (const char* want : {"cuda.batched.gels", "cuda.batched.cholesky", "cuda.batched.resident"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
  EXPECT_EQ(default_registry().get("cuda.batched.resident").max_n, 64);
}

}  // namespace
}  // namespace lsgd
