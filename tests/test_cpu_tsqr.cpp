// cpu.tsqr specifics (the generic least-squares checks run on it through the registry in
// test_lstsq.cpp): against cpu.qr in double up to kappa = 1e10 on shapes that span many row blocks
// and both threads, with m not a multiple of the block, m = n and m just above n; the same answer
// up to rounding for one and two threads; rank deficiency in a late block is a NumericalError naming
// the column; m < n is InvalidInput.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/registry.hpp"

namespace lsgd {
namespace {

constexpr double kC = 30.0;  // LAPACK's test threshold for eps-scaled ratios

template <typename T>
std::vector<T> solve(const std::string& name, const Problem<T>& p, int threads = 0,
                     SolveInfo* info = nullptr) {
  SolverOptions opt;
  opt.threads = threads;
  auto s = default_registry().get(name).make<T>(opt);
  s->setup(p);
  EXPECT_GE(s->timed_solve(), 0.0);
  if (info != nullptr) *info = s->info();
  return s->solution();
}

template <typename T>
Problem<T> make(index_t m, index_t n, double kappa, double noise = 0.0) {
  GenOptions o = gen_options(m, n, kappa, static_cast<std::uint64_t>(m * 131 + n), noise);
  return generate<T>(o);
}

struct Shape {
  index_t m, n;
};

TEST(CpuTsqr, AgreesWithQrWithinKappaEps) {
  // 300001 x 8: ~75 blocks per thread; 40000 x 33 and 70001 x 64: several blocks; 64 x 64 and
  // 65 x 64: one block each, the stack barely taller than the triangle.
  for (const Shape s : {Shape{300001, 8}, Shape{40000, 33}, Shape{70001, 64}, Shape{64, 64},
                        Shape{65, 64}}) {
    for (double kappa : {10.0, 1e5, 1e10}) {
      const Problem<double> p = make<double>(s.m, s.n, kappa);
      const std::vector<double> x = solve("cpu.tsqr", p);
      const std::vector<double> ref = solve("cpu.qr", p);
      EXPECT_LE(forward_error(x, ref), kC * kappa * eps<double>())
          << s.m << "x" << s.n << " kappa " << kappa;
      EXPECT_LE(normal_eq_residual(p, x), kC * eps<double>()) << s.m << "x" << s.n;
    }
  }
}

TEST(CpuTsqr, NoisyFloatWithinTheLeastSquaresBound) {
  const double kappa = 100.0, noise = 1e-2;
  const Problem<float> p = make<float>(120000, 16, kappa, noise);
  const std::vector<float> x = solve("cpu.tsqr", p);
  const std::vector<double> ref = solve("cpu.qr", p.cast<double>());
  EXPECT_LE(forward_error(x, ref), kC * (kappa + kappa * kappa * noise) * eps<float>());
}

TEST(CpuTsqr, OneAndTwoThreadsAgree) {
  const Problem<double> p = make<double>(200000, 12, 1e3);
  SolveInfo one, two;
  const std::vector<double> x1 = solve("cpu.tsqr", p, 1, &one);
  const std::vector<double> x2 = solve("cpu.tsqr", p, 2, &two);
  EXPECT_EQ(one.threads, 1);
  EXPECT_EQ(two.threads, 2);
  EXPECT_LE(forward_error(x2, x1), kC * 1e3 * eps<double>());
}

TEST(CpuTsqr, RankDeficiencyIsNumericalErrorNamingTheColumn) {
  Problem<double> p = make<double>(100000, 6, 10.0);
  for (index_t i = 0; i < p.m; ++i) p.a(i, 4) = 2.0 * p.a(i, 1) - p.a(i, 0);  // column 5
  try {
    solve("cpu.tsqr", p);
    FAIL() << "rank-deficient A accepted";
  } catch (const NumericalError& e) {
    EXPECT_NE(std::string(e.what()).find("column 5"), std::string::npos) << e.what();
  }
}

TEST(CpuTsqr, UnderdeterminedIsInvalidInput) {
  const Problem<double> p = make<double>(5, 8, 10.0);
  auto s = default_registry().get("cpu.tsqr").make<double>();
  EXPECT_THROW(s->setup(p), InvalidInput);
  EXPECT_THROW(s->timed_solve(), InvalidInput);  // never set up
}

}  // namespace
}  // namespace lsgd
