// Core: generators, validation, metrics, registry.
#include <cmath>

#include <Eigen/Dense>
#include <gtest/gtest.h>

#include "lsgd/device.hpp"
#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/registry.hpp"

namespace lsgd {
namespace {

struct KappaCase {
  index_t m, n;
  double kappa;
};

class GeneratorKappa : public ::testing::TestWithParam<KappaCase> {};

TEST_P(GeneratorKappa, AchievedConditionNumberWithinOnePercent) {
  const auto c = GetParam();
  GenOptions o = gen_options(c.m, c.n, c.kappa, 7);
  const auto p = generate<double>(o);
  const double k = condition_number(p);
  EXPECT_NEAR(k / c.kappa, 1.0, 0.01) << "requested " << c.kappa << ", got " << k;
}

INSTANTIATE_TEST_SUITE_P(Shapes, GeneratorKappa,
                         ::testing::Values(KappaCase{50, 50, 1e1}, KappaCase{200, 20, 1e4},
                                           KappaCase{1000, 8, 1e8}, KappaCase{64, 64, 1e6},
                                           KappaCase{3000, 30, 1e12}));

TEST(Generator, ConsistentSystemHasZeroResidualAtXTrue) {
  GenOptions o = gen_options(300, 12, 100);
  const auto p = generate<double>(o);
  ASSERT_EQ(p.x_true.size(), 12u);
  EXPECT_LT(residual_norm(p, p.x_true), 1e-13);
  double nx = 0;
  for (double v : p.x_true) nx += v * v;
  EXPECT_NEAR(std::sqrt(nx), 1.0, 1e-12);
}

TEST(Generator, NoisySystemHasResidual) {
  GenOptions o = gen_options(300, 12, 1.0, 42, 0.1);
  const auto p = generate<double>(o);
  EXPECT_GT(residual_norm(p, p.x_true), 1e-3);
}

TEST(Generator, SameSeedSameProblemOtherSeedOtherProblem) {
  GenOptions o = gen_options(40, 5, 10, 3);
  const auto a = generate<double>(o), b = generate<double>(o);
  EXPECT_EQ(a.A, b.A);
  EXPECT_EQ(a.b, b.b);
  o.seed = 4;
  const auto c = generate<double>(o);
  EXPECT_NE(a.A, c.A);
}

TEST(Generator, RankDeficientHasExactRankAndMinNormXTrue) {
  GenOptions o = gen_options(60, 10, 10, 42, 0.0, 6);
  const auto p = generate<double>(o);
  Eigen::Map<const Eigen::MatrixXd> A(p.A.data(), p.m, p.n);
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(A, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const auto s = svd.singularValues();
  EXPECT_NEAR(s(0), 1.0, 1e-12);
  EXPECT_NEAR(s(5), 0.1, 1e-12);
  EXPECT_LT(s(6), 1e-14);
  // x_true lies in the row space: it is the minimum-norm solution.
  svd.setThreshold(1e-10);
  Eigen::Map<const Eigen::VectorXd> b(p.b.data(), p.m), xt(p.x_true.data(), p.n);
  EXPECT_LT((svd.solve(b) - xt).norm(), 1e-12);
}

TEST(Generator, UnderdeterminedShape) {
  GenOptions o = gen_options(5, 9, 10);
  const auto p = generate<double>(o);
  EXPECT_EQ(p.A.size(), 45u);
  EXPECT_LT(residual_norm(p, p.x_true), 1e-13);
}

TEST(Generator, BatchSpreadsKappaAndIsReproducible) {
  GenOptions o = gen_options(30, 4, 10);
  const auto bp = generate_batch<double>(5, o, 1e5);
  EXPECT_NEAR(condition_number(bp.extract(0)) / 10.0, 1.0, 0.01);
  EXPECT_NEAR(condition_number(bp.extract(4)) / 1e5, 1.0, 0.01);
  EXPECT_NEAR(condition_number(bp.extract(2)) / 1e3, 1.0, 0.01);
  const auto again = generate_batch<double>(5, o, 1e5);
  EXPECT_EQ(bp.A, again.A);
  // Problem p of a batch equals the single problem with seed + p.
  GenOptions o2 = o;
  o2.seed = o.seed + 3;
  o2.kappa = 1e4;
  EXPECT_NEAR(bp.extract(3).A[0], generate<double>(o2).A[0], 1e-12);
}

TEST(Generator, RejectsBadOptions) {
  GenOptions o;
  o.m = 0;
  EXPECT_THROW(generate<double>(o), InvalidInput);
  o.m = 10;
  o.kappa = 0.5;
  EXPECT_THROW(generate<double>(o), InvalidInput);
  o.kappa = 10;
  o.rank = 11;
  EXPECT_THROW(generate<double>(o), InvalidInput);
}

TEST(Validate, NamesNonFiniteEntry) {
  GenOptions o = gen_options(10, 3);
  auto p = generate<double>(o);
  p.a(4, 2) = std::nan("");
  try {
    p.validate();
    FAIL() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("row 4, column 2"), std::string::npos) << e.what();
  }
  p = generate<double>(o);
  p.b[7] = INFINITY;
  EXPECT_THROW(p.validate(), InvalidInput);
}

TEST(Validate, ShapeMismatchAndEmpty) {
  Problem<float> p;
  EXPECT_THROW(p.validate(), InvalidInput);
  p.m = 3;
  p.n = 2;
  p.A.assign(6, 1.0f);
  p.b.assign(2, 1.0f);
  try {
    p.validate();
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("b has 2 entries, expected m = 3"), std::string::npos);
  }
}

TEST(Metrics, ForwardErrorAndLre) {
  EXPECT_DOUBLE_EQ(forward_error(std::vector<double>{1, 0}, std::vector<double>{1, 0}), 0.0);
  EXPECT_NEAR(forward_error(std::vector<double>{1.1, 0}, std::vector<double>{1, 0}), 0.1, 1e-12);
  EXPECT_NEAR(lre({1.0001}, {1.0}), 4.0, 1e-6);
  EXPECT_DOUBLE_EQ(lre({2.0}, {2.0}), 17.0);
  EXPECT_TRUE(std::isnan(forward_error(std::vector<double>{NAN}, std::vector<double>{1.0})));
}

TEST(Metrics, NormalEquationResidualIsSmallAtLsSolution) {
  GenOptions o = gen_options(100, 5, 1.0, 42, 0.5);
  const auto p = generate<double>(o);
  Eigen::Map<const Eigen::MatrixXd> A(p.A.data(), p.m, p.n);
  Eigen::Map<const Eigen::VectorXd> b(p.b.data(), p.m);
  Eigen::VectorXd x = A.colPivHouseholderQr().solve(b);
  std::vector<double> xv(x.data(), x.data() + x.size());
  EXPECT_LT(normal_eq_residual(p, xv), 1e-14);
  EXPECT_GT(normal_eq_residual(p, p.x_true), 1e-6);  // x_true is not the LS solution of noisy data
}

TEST(Metrics, FlopModels) {
  EXPECT_DOUBLE_EQ(flops_gd_iter(100, 10), 4000.0);
  EXPECT_GT(flops_qr_ls(1000, 10), flops_cholesky_ls(1000, 10));
}

TEST(Registry, NamesAreUniqueAndWellFormed) {
  const auto& r = default_registry();
  ASSERT_FALSE(r.entries().empty());
  for (const auto& e : r.entries()) {
    EXPECT_EQ(e.name.rfind(std::string(to_string(e.backend)) + ".", 0), 0u) << e.name;
    EXPECT_TRUE(e.f32 || e.f64) << e.name;
    EXPECT_EQ(r.find(e.name), &e);
  }
  EXPECT_THROW(r.get("cpu.nonexistent"), InvalidInput);
  EXPECT_EQ(r.find("cpu.nonexistent"), nullptr);
}

TEST(Registry, CpuDirectSolversPresent) {
  const auto& r = default_registry();
  for (const char* n : {"cpu.cholesky", "cpu.qr", "cpu.colpiv_qr", "cpu.cod", "cpu.svd"}) {
    const SolverEntry* e = r.find(n);
    ASSERT_NE(e, nullptr) << n;
    EXPECT_TRUE(e->available());
    EXPECT_EQ(e->kind, Kind::direct);
  }
}

TEST(Registry, WrongKindOrUnavailableIsAClearError) {
  const auto& r = default_registry();
  EXPECT_THROW(r.get("cpu.qr").make_batched<double>(), InvalidInput);
  for (const auto& e : r.entries()) {
    if (!e.available()) {
      if (e.is_batched()) {
        EXPECT_THROW(e.make_batched<double>(), DeviceError) << e.name;
      } else {
        EXPECT_THROW(e.make<double>(), DeviceError) << e.name;
      }
      EXPECT_FALSE(e.unavailable_reason.empty()) << e.name;
    }
  }
  Registry local;
  SolverEntry e;
  e.name = "cpu.x";
  EXPECT_THROW(local.add(e), InvalidInput);  // no algorithm family
  e.algorithm = "qr-ish";
  EXPECT_THROW(local.add(e), InvalidInput);  // not a family
  e.algorithm = "qr";
  local.add(e);
  EXPECT_THROW(local.add(e), InvalidInput);  // duplicate name
}

TEST(Device, DescribesItselfWithoutCrashing) {
  const std::string d = describe_device();
  EXPECT_FALSE(d.empty());
  if (!gpu_available()) {
    EXPECT_NE(d.find("no CUDA device"), std::string::npos) << d;
  }
}

// lsgd::conditioning (issue 25, item 7): A = H C with H 16 x 3 of orthogonal +-1 columns (norm 4)
// and C upper triangular with entries 2^-30 .. 2^-62, so that every entry of A is exact in double
// and sigma(A) = 4 sigma(C): kappa = 1.1529215046068470e18 and, with unit-norm columns,
// 4.650206334531360 (mpmath, 80 digits). Far beyond 1/eps, an SVD accurate to eps ||A|| (GESDD)
// returns a sigma_min that is mostly rounding; one-sided Jacobi gets it to about kappa_scaled eps
// relative. Tolerance: 30 kappa_scaled eps, the c of the accuracy suites.
Problem<double> graded_columns() {
  Problem<double> p = Problem<double>::zeros(16, 3);
  const double C[3][3] = {{1.0, std::ldexp(1.0, -30), std::ldexp(1.0, -61)},
                          {0.0, std::ldexp(1.0, -31), std::ldexp(1.0, -62)},
                          {0.0, 0.0, std::ldexp(1.0, -60)}};
  for (index_t i = 0; i < 16; ++i) {
    double h[3];
    for (int k = 0; k < 3; ++k)
      h[k] = (__builtin_popcount(static_cast<unsigned>(i & (k + 1))) % 2) ? -1.0 : 1.0;
    for (int j = 0; j < 3; ++j) {
      double v = 0.0;
      for (int k = 0; k < 3; ++k) v += h[k] * C[k][j];
      p.a(i, j) = v;
    }
    p.b[static_cast<size_t>(i)] = static_cast<double>(i % 5) - 2.0;
  }
  return p;
}

TEST(Conditioning, GradedColumnsToRelativeAccuracy) {
  const Conditioning c = conditioning(graded_columns());
  const double tol = 30.0 * 4.65 * eps<double>();
  EXPECT_NEAR(c.kappa / 1.1529215046068470e18, 1.0, tol) << c.kappa;
  EXPECT_NEAR(c.kappa_scaled / 4.650206334531360, 1.0, tol) << c.kappa_scaled;
  EXPECT_NEAR(c.sigma_max / 4.0, 1.0, tol);
  EXPECT_NEAR(c.sigma_min / 3.4694469519536141884e-18, 1.0, tol);
  EXPECT_EQ(condition_number(graded_columns()), c.kappa);
  // m < n: kappa(A) = kappa(A^T).
  Problem<double> t;
  const Problem<double> g = graded_columns();
  t.m = 3;
  t.n = 16;
  t.A.resize(48);
  t.b.assign(3, 1.0);
  for (index_t i = 0; i < 16; ++i) {
    for (index_t j = 0; j < 3; ++j) t.a(j, i) = g.a(i, j);
  }
  EXPECT_NEAR(conditioning(t).kappa / 1.1529215046068470e18, 1.0, tol);
}

TEST(Conditioning, RankDeficientIsHugeOrInfinite) {
  Problem<double> p;
  p.m = 4;
  p.n = 2;
  p.A = {1, 2, 3, 4, 2, 4, 6, 8};
  p.b = {1, 1, 1, 1};
  // Exactly dependent columns: sigma_min is 0 or rounding, far below 30 eps sigma_max.
  EXPECT_GE(conditioning(p).kappa, 1.0 / (30.0 * eps<double>()));
  p.A = {1, 2, 3, 4, 0, 0, 0, 0};
  EXPECT_TRUE(std::isinf(conditioning(p).kappa));
}

}  // namespace
}  // namespace lsgd
