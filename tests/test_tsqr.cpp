// cuda.tsqr against cpu.qr in double: kappa-scaled bounds up to kappa = 1e10 in double (TSQR is
// backward stable like Householder QR, so the bound is c kappa eps, not kappa^2), m not a multiple
// of the panel, m just above n and m = n, n at the limit (64) and beyond (InvalidInput), a tree of
// several levels, rank deficiency (NumericalError), both GPU modes. Without a GPU these skip (FAIL
// with -DLSGD_REQUIRE_GPU=ON).
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/registry.hpp"
#include "tests/test_util.hpp"

namespace lsgd {
namespace {

constexpr double kC = 30.0;  // LAPACK's test threshold for eps-scaled ratios

const SolverEntry& tsqr() { return default_registry().get("cuda.tsqr"); }

template <typename T>
std::vector<T> solve(const Problem<T>& p, GpuMode mode = GpuMode::resident) {
  SolverOptions opt;
  opt.gpu_mode = mode;
  auto s = tsqr().make<T>(opt);
  s->setup(p);
  EXPECT_GT(s->timed_solve(), 0.0);
  return s->solution();
}

std::vector<double> cpu_qr(const Problem<double>& p) {
  auto s = default_registry().get("cpu.qr").make<double>();
  s->setup(p);
  s->timed_solve();
  return s->solution();
}

template <typename T>
void check(index_t m, index_t n, double kappa, double noise = 0.0) {
  GenOptions o = gen_options(m, n, kappa, static_cast<std::uint64_t>(m * 131 + n), noise);
  const Problem<T> p = generate<T>(o);
  const std::vector<T> x = solve(p);
  const std::vector<double> ref = cpu_qr(p.template cast<double>());
  const double fe = forward_error(x, ref);
  // Consistent: c kappa eps. Noisy: the LS solution's own kappa^2 ||r|| term joins in.
  const double growth = noise > 0.0 ? kappa + kappa * kappa * noise : kappa;
  const double bound = kC * growth * eps<T>();
  EXPECT_LE(fe, bound) << "cuda.tsqr " << m << "x" << n << " kappa " << kappa << " noise " << noise;
  EXPECT_LE(normal_eq_residual(p, x), kC * eps<T>()) << m << "x" << n << " kappa " << kappa;
}

TEST(TsqrCatalog, Entry) {
  const SolverEntry& e = tsqr();
  EXPECT_EQ(e.kind, Kind::direct);
  EXPECT_EQ(e.max_n, 64);
  EXPECT_TRUE(e.requires_full_rank);
}

TEST(Tsqr, DoubleUpToKappa1e10) {
  LSGD_SKIP_IF_UNAVAILABLE(&tsqr());
  for (double kappa : {1.0, 1e2, 1e5, 1e8, 1e10}) check<double>(20000, 32, kappa);
  check<double>(5000, 64, 1e10);
  check<double>(3000, 8, 1e10);
}

TEST(Tsqr, FloatUpToKappa1e3) {
  LSGD_SKIP_IF_UNAVAILABLE(&tsqr());
  for (double kappa : {1.0, 1e2, 1e3}) check<float>(20000, 32, kappa);
  check<float>(4000, 64, 1e3);
}

TEST(Tsqr, NoisyProblems) {
  LSGD_SKIP_IF_UNAVAILABLE(&tsqr());
  check<double>(10000, 20, 1e4, 1e-3);
  check<float>(10000, 20, 1e2, 1e-3);
}

TEST(Tsqr, AwkwardShapes) {
  LSGD_SKIP_IF_UNAVAILABLE(&tsqr());
  check<double>(256 * 7 + 77, 20, 1e4);  // m not a multiple of the 256-row panel
  check<double>(64 * 9 + 5, 10, 1e4);    // nor of the 64-row panel (n <= 16)
  check<double>(33, 32, 1e3);            // m just above n
  check<double>(9, 8, 1e3);
  check<double>(64, 64, 1e3);  // m = n
  check<double>(17, 17, 1e3);
  check<double>(1000, 1, 1.0);
  check<double>(200, 10, 1e6);     // one panel: a single level
  check<double>(257, 16, 1e6);     // n = 16 with m = 4 panels + 1 row
  check<double>(300000, 16, 1e8);  // several levels in the reduction tree
  check<float>(100001, 4, 1e2);
}

TEST(Tsqr, EndToEndModeAndRepeatedSolvesAgree) {
  LSGD_SKIP_IF_UNAVAILABLE(&tsqr());
  GenOptions o = gen_options(50000, 24, 1e3);
  const Problem<double> p = generate<double>(o);
  auto s = tsqr().make<double>();
  s->setup(p);
  s->timed_solve();
  const std::vector<double> x1 = s->solution();
  s->timed_solve();
  EXPECT_EQ(s->solution(), x1);
  EXPECT_EQ(solve(p, GpuMode::end_to_end), x1);
}

TEST(Tsqr, RankDeficientIsNumericalError) {
  LSGD_SKIP_IF_UNAVAILABLE(&tsqr());
  GenOptions o = gen_options(5000, 12, 10);
  Problem<double> zero_col = generate<double>(o);
  for (index_t i = 0; i < o.m; ++i) zero_col.a(i, 5) = 0.0;
  EXPECT_THROW(solve(zero_col), NumericalError);
  Problem<double> dup = generate<double>(o);
  for (index_t i = 0; i < o.m; ++i) dup.a(i, 7) = dup.a(i, 2);
  EXPECT_THROW(solve(dup), NumericalError);
  o.rank = 10;
  EXPECT_THROW(solve(generate<float>(o)), NumericalError);
}

TEST(Tsqr, BadShapesAreInvalidInput) {
  LSGD_SKIP_IF_UNAVAILABLE(&tsqr());
  GenOptions o = gen_options(200, 65);
  auto s = tsqr().make<double>();
  try {
    s->setup(generate<double>(o));
    ADD_FAILURE() << "cuda.tsqr accepted n = 65";
  } catch (const InvalidInput& err) {
    EXPECT_NE(std::string(err.what()).find("64"), std::string::npos) << err.what();
  }
  o.m = 10;
  o.n = 20;
  EXPECT_THROW(s->setup(generate<double>(o)), InvalidInput);
  o.m = 30;
  o.n = 3;
  Problem<double> bad = generate<double>(o);
  bad.b[4] = std::numeric_limits<double>::infinity();
  EXPECT_THROW(s->setup(bad), InvalidInput);
  EXPECT_THROW(tsqr().make<double>()->timed_solve(), InvalidInput);
}

}  // namespace
}  // namespace lsgd
