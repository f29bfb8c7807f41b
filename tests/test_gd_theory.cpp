// Convergence theory of gradient descent, checked on every plain-GD entry of the registry (double):
//
//   with step 1/L, L = lambda_max(H), H = A^T A/m, the error e_k = ||A (x_k - x*)|| obeys
//   e_k <= (1 - 1/kappa)^k e_0,  kappa = lambda_max(H) / lambda_min(H),
//
// because x_k - x* = (I - H/L)^k (x_0 - x*), and in the eigenbasis of H every component shrinks by
// |1 - lambda_i/L| <= 1 - 1/kappa; the A-norm is a weighted 2-norm in that same basis. L is passed
// exactly (sigma_max^2/m by SVD) so the bound is exact; the generator's kappa is of A, the
// Hessian's is its square. Plus: Nesterov reaches a tolerance in fewer iterations than plain GD.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <Eigen/Dense>

#include "lsgd/metrics.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/registry.hpp"
#include "tests/test_util.hpp"

namespace lsgd {
namespace {

const SolverEntry& entry(const std::string& name) { return default_registry().get(name); }

struct TheoryCase {
  Problem<double> p;
  Eigen::VectorXd x_star;  // least-squares solution (SVD)
  double L, mu;            // extreme eigenvalues of A^T A / m
  double norm_A;           // sigma_max
};

TheoryCase make_setup(double kappa_hessian) {
  GenOptions o = gen_options(200, 20, std::sqrt(kappa_hessian));
  o.noise = 0.1;  // inconsistent: x* is the least-squares solution, not x_true
  o.seed = 31;
  TheoryCase s;
  s.p = generate<double>(o);
  const Eigen::Map<const Eigen::MatrixXd> A(s.p.A.data(), s.p.m, s.p.n);
  const Eigen::Map<const Eigen::VectorXd> b(s.p.b.data(), s.p.m);
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(A, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const Eigen::VectorXd sv = svd.singularValues();
  s.x_star = svd.solve(b);
  const double m = static_cast<double>(s.p.m);
  s.L = sv(0) * sv(0) / m;
  s.mu = sv(sv.size() - 1) * sv(sv.size() - 1) / m;
  s.norm_A = sv(0);
  return s;
}

double a_norm_error(const TheoryCase& s, const std::vector<double>& x) {
  const Eigen::Map<const Eigen::MatrixXd> A(s.p.A.data(), s.p.m, s.p.n);
  const Eigen::Map<const Eigen::VectorXd> xv(x.data(), s.p.n);
  return (A * (xv - s.x_star)).norm();
}

std::vector<std::string> plain_gd_names() {
  std::vector<std::string> out;
  for (const auto& name : test::solver_names(Kind::iterative)) {
    if (default_registry().get(name).algorithm == "gd") out.push_back(name);
  }
  return out;
}

class GdTheory : public ::testing::TestWithParam<std::string> {};

TEST_P(GdTheory, AnormErrorContractsByOneMinusInverseKappaPerStep) {
  const SolverEntry& e = entry(GetParam());
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  if (!e.f64) GTEST_SKIP() << e.name << " has no double precision";
  for (double kh : {10.0, 100.0, 1000.0}) {
    const TheoryCase s = make_setup(kh);
    const double kappa = s.L / s.mu;
    ASSERT_NEAR(kappa / kh, 1.0, 0.02) << "generator's Hessian condition number";
    const double e0 = a_norm_error(s, std::vector<double>(s.p.n, 0.0));
    // Rounding: the computed gradient is exact to ~ u m ||A|| (||A|| ||x|| + ||b||)/m (dot products
    // of length m, worst case), so iterates stall where ||H (x - x*)|| is that big; in the A-norm
    // that is at most sqrt(m / mu) times larger. A factor 10 on top covers the rounding of x* and
    // of e_k.
    const Eigen::Map<const Eigen::VectorXd> b(s.p.b.data(), s.p.m);
    const double m = static_cast<double>(s.p.m);
    const double floor = 10.0 * eps<double>() * s.norm_A * (s.norm_A * s.x_star.norm() + b.norm()) *
                         std::sqrt(m / s.mu);
    for (int k : {1, 10, 100, 1000}) {
      SolverOptions o;
      o.lipschitz = s.L;  // exact: step 1/L
      o.tol = 0.0;
      o.max_iters = k;
      auto solver = e.make<double>(o);
      solver->setup(s.p);
      solver->timed_solve();
      ASSERT_EQ(solver->info().iterations, k);
      const double ek = a_norm_error(s, solver->solution());
      const double bound = std::pow(1.0 - 1.0 / kappa, k) * e0 * (1.0 + 1e-6) + floor;
      EXPECT_LE(ek, bound) << "kappa(H) = " << kappa << ", k = " << k << ", e0 = " << e0
                           << ", floor = " << floor;
    }
  }
}

// The bound is not vacuous: a step of 1/(2L) contracts the slowest component by only 1 - 1/(2
// kappa); at kappa(H) = 100 after 2000 steps that leaves it (~0.02 of e_0 at the start) about 1e4
// times above (1 - 1/kappa)^k e_0, so the bound must fail for it.
TEST_P(GdTheory, BoundFailsForAHalvedStep) {
  const SolverEntry& e = entry(GetParam());
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  if (!e.f64) GTEST_SKIP() << e.name << " has no double precision";
  const TheoryCase s = make_setup(100.0);
  const double kappa = s.L / s.mu;
  const double e0 = a_norm_error(s, std::vector<double>(s.p.n, 0.0));
  SolverOptions o;
  o.lipschitz = s.L;
  o.step = 0.5 / s.L;
  o.tol = 0.0;
  o.max_iters = 2000;
  auto solver = e.make<double>(o);
  solver->setup(s.p);
  solver->timed_solve();
  const double ek = a_norm_error(s, solver->solution());
  EXPECT_GT(ek, std::pow(1.0 - 1.0 / kappa, 2000) * e0 * 10.0);
}

INSTANTIATE_TEST_SUITE_P(Registry, GdTheory, ::testing::ValuesIn(plain_gd_names()),
                         [](const auto& info) { return test::param_name(info.param); });

// Nesterov needs O(sqrt(kappa)) iterations where GD needs O(kappa): at kappa(H) = 1000 and tol 1e-6
// it must take fewer, on every backend that has both.
TEST(GdTheoryNesterov, FewerIterationsThanGdAtKappa1000) {
  const TheoryCase s = make_setup(1000.0);
  int compared = 0;
  for (const char* backend : {"cpu", "cuda"}) {
    const SolverEntry* gd = default_registry().find(std::string(backend) + ".gd");
    const SolverEntry* nag = default_registry().find(std::string(backend) + ".gd.nesterov");
    if (gd == nullptr || nag == nullptr || !gd->available() || !nag->available()) continue;
    SolverOptions o;
    o.tol = 1e-6;
    o.max_iters = 200000;
    auto a = gd->make<double>(o);
    auto n = nag->make<double>(o);
    a->setup(s.p);
    n->setup(s.p);
    a->timed_solve();
    n->timed_solve();
    ASSERT_TRUE(a->info().converged) << a->info().note;
    ASSERT_TRUE(n->info().converged) << n->info().note;
    EXPECT_LT(n->info().iterations, a->info().iterations) << backend;
    ++compared;
  }
  EXPECT_GE(compared, 1);
}

}  // namespace
}  // namespace lsgd
