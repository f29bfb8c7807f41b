// The statistics view of least squares (include/lsgd/stats.hpp): the distribution functions behind
// the p-values against SciPy 1.10.1 (values printed with %.17g by scipy.special.betainc,
// scipy.stats.t.sf and scipy.stats.f.sf; the script is in the comments) and closed forms, and
// regression_stats on problems with closed-form answers and on inputs where statistics are
// undefined. NIST's certified standard deviations, residual SD and R^2 are checked in
// test_accuracy.cpp.
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/stats.hpp"

namespace lsgd {
namespace {

constexpr double kPi = 3.14159265358979323846;

::testing::AssertionResult RelClose(double got, double want, double rel) {
  const double err = std::fabs(got - want);
  if (err <= rel * std::fabs(want)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << got << " vs " << want << " (relative error "
                                       << err / std::fabs(want) << " > " << rel << ")";
}

// from scipy import special; special.betainc(a, b, x)
TEST(Distributions, IncompleteBetaMatchesScipy) {
  struct Case {
    double a, b, x, want;
  };
  const Case cases[] = {
      {0.5, 0.5, 0.3, 0.36901011956554541},
      {2, 3, 0.4, 0.52479999999999993},
      {10, 0.5, 0.9, 0.15164090963470997},
      {0.5, 10, 0.01, 0.34207182484321552},
      {50, 50, 0.5, 0.5},
      {1, 1, 0.25, 0.25},
      {200.5, 0.5, 0.999, 0.52672758857684687},
      {3.5, 0.5, 1e-05, 9.2030917175591913e-19},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(RelClose(incomplete_beta(c.a, c.b, c.x), c.want, 1e-13))
        << "I_" << c.x << "(" << c.a << ", " << c.b << ")";
  }
}

TEST(Distributions, IncompleteBetaClosedForms) {
  for (double x : {0.0, 1e-300, 0.001, 0.2, 0.5, 0.77, 0.999, 1.0}) {
    EXPECT_NEAR(incomplete_beta(1.0, 1.0, x), x, 1e-15);
    EXPECT_NEAR(incomplete_beta(3.0, 1.0, x), x * x * x, 1e-15);  // I_x(a, 1) = x^a
    EXPECT_NEAR(incomplete_beta(1.0, 2.0, x), 1.0 - (1.0 - x) * (1.0 - x), 1e-15);
    // symmetry I_x(a, b) = 1 - I_{1-x}(b, a)
    EXPECT_NEAR(incomplete_beta(2.5, 4.0, x), 1.0 - incomplete_beta(4.0, 2.5, 1.0 - x), 1e-14);
  }
  EXPECT_THROW(incomplete_beta(0.0, 1.0, 0.5), InvalidInput);
  EXPECT_THROW(incomplete_beta(1.0, -1.0, 0.5), InvalidInput);
  EXPECT_THROW(incomplete_beta(1.0, 1.0, 1.5), InvalidInput);
  EXPECT_THROW(incomplete_beta(1.0, 1.0, std::nan("")), InvalidInput);
}

// from scipy import stats; 2 * stats.t.sf(abs(t), dof)
TEST(Distributions, StudentTTwoSidedMatchesScipy) {
  struct Case {
    double t, dof, want;
  };
  const Case cases[] = {
      {0.5, 1, 0.70483276469913358},      {1.96, 10, 0.07843624024769974},
      {2.5, 3, 0.087706647008065547},     {-3.0, 20, 0.0070758987912110972},
      {10.0, 5, 0.00017094757574296357},  {40.0, 30, 1.3726045194406362e-27},
      {0.01, 1000, 0.99202328193218725},  {6.0, 200, 9.1151203488104038e-09},
      {25.0, 14, 5.1253299048857613e-13}, {1000.0, 9, 5.0916066078969557e-24},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(RelClose(student_t_two_sided(c.t, c.dof), c.want, 1e-12))
        << "t = " << c.t << ", dof = " << c.dof;
  }
}

TEST(Distributions, StudentTClosedForms) {
  for (double t : {0.0, 0.1, 1.0, 3.0, 30.0, 1e4}) {
    // dof 1 (Cauchy): 2/pi atan(1/|t|); dof 2: 1 - |t| / sqrt(2 + t^2) = 2 / (s (s + |t|)),
    // s = sqrt(2 + t^2) (both written without cancellation)
    const double cauchy = t == 0.0 ? 1.0 : 2.0 / kPi * std::atan(1.0 / t);
    EXPECT_TRUE(RelClose(student_t_two_sided(t, 1.0), cauchy, 1e-13)) << t;
    const double s = std::sqrt(2.0 + t * t);
    EXPECT_TRUE(RelClose(student_t_two_sided(-t, 2.0), 2.0 / (s * (s + t)), 1e-13)) << t;
  }
  EXPECT_EQ(student_t_two_sided(HUGE_VAL, 5.0), 0.0);
  EXPECT_TRUE(std::isnan(student_t_two_sided(std::nan(""), 5.0)));
  EXPECT_THROW(student_t_two_sided(1.0, 0.0), InvalidInput);
}

// from scipy import stats; stats.f.sf(F, d1, d2)
TEST(Distributions, FUpperTailMatchesScipy) {
  EXPECT_TRUE(RelClose(f_upper_tail(3.0, 2, 10), 0.095367431640625, 1e-13));
  EXPECT_TRUE(RelClose(f_upper_tail(330.285339234588, 6, 9), 4.9840305287248104e-10, 1e-12));
  EXPECT_TRUE(RelClose(f_upper_tail(0.5, 5, 50), 0.77475209664798772, 1e-13));
  EXPECT_EQ(f_upper_tail(0.0, 3, 4), 1.0);
  EXPECT_EQ(f_upper_tail(HUGE_VAL, 3, 4), 0.0);
  EXPECT_THROW(f_upper_tail(1.0, 0.0, 4), InvalidInput);
}

Problem<double> line_problem(int m, bool intercept, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.3);
  std::uniform_real_distribution<double> u(-2.0, 5.0);
  Problem<double> p = Problem<double>::zeros(m, intercept ? 2 : 1);
  for (int i = 0; i < m; ++i) {
    const double x = u(rng);
    if (intercept) p.a(i, 0) = 1.0;
    p.a(i, p.n - 1) = x;
    p.b[static_cast<size_t>(i)] = 1.5 + 0.7 * x + noise(rng);
  }
  return p;
}

// Simple linear regression has closed forms (in long double here):
// slope = Sxy / Sxx, se(slope) = s / sqrt(Sxx), se(intercept) = s sqrt(1/m + mean(x)^2 / Sxx),
// R^2 = 1 - SSR / Syy.
TEST(RegressionStats, SimpleLinearRegressionClosedForm) {
  const Problem<double> p = line_problem(40, true, 7);
  long double mx = 0, my = 0;
  for (int i = 0; i < 40; ++i) {
    mx += p.a(i, 1);
    my += p.b[static_cast<size_t>(i)];
  }
  mx /= 40;
  my /= 40;
  long double sxx = 0, sxy = 0, syy = 0;
  for (int i = 0; i < 40; ++i) {
    const long double dx = p.a(i, 1) - mx, dy = p.b[static_cast<size_t>(i)] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const long double slope = sxy / sxx, icept = my - slope * mx;
  long double ssr = 0;
  for (int i = 0; i < 40; ++i) {
    const long double r = p.b[static_cast<size_t>(i)] - icept - slope * p.a(i, 1);
    ssr += r * r;
  }
  const long double s = std::sqrt(ssr / 38);
  const RegressionStats st = regression_stats(p);
  EXPECT_TRUE(st.converged) << st.note;
  EXPECT_EQ(st.intercept_column, 0);
  EXPECT_EQ(st.df_resid, 38);
  EXPECT_EQ(st.df_model, 1);
  EXPECT_TRUE(RelClose(st.coef[1], static_cast<double>(slope), 1e-14));
  EXPECT_TRUE(RelClose(st.coef[0], static_cast<double>(icept), 1e-14));
  EXPECT_TRUE(RelClose(st.residual_sd, static_cast<double>(s), 1e-14));
  EXPECT_TRUE(RelClose(st.std_err[1], static_cast<double>(s / std::sqrt(sxx)), 1e-13));
  EXPECT_TRUE(RelClose(st.std_err[0], static_cast<double>(s * std::sqrt(1.0L / 40 + mx * mx / sxx)),
                       1e-13));
  EXPECT_TRUE(RelClose(st.r_squared, static_cast<double>(1 - ssr / syy), 1e-14));
  EXPECT_TRUE(RelClose(st.adj_r_squared, static_cast<double>(1 - (ssr / 38) / (syy / 39)), 1e-13));
  // With one regressor F = t^2 and the two tests agree.
  EXPECT_TRUE(RelClose(st.f_statistic, st.t[1] * st.t[1], 1e-12));
  EXPECT_TRUE(RelClose(st.f_p_value, st.p_value[1], 1e-10));
  for (size_t j = 0; j < 2; ++j) {
    EXPECT_DOUBLE_EQ(st.t[j], st.coef[j] / st.std_err[j]);
    EXPECT_EQ(st.p_value[j], student_t_two_sided(st.t[j], 38.0));
  }
  // statsmodels: llf = -m/2 (log(2 pi) + log(SSR/m) + 1), aic = -2 llf + 2p, bic = -2 llf + p log m
  const double llf = -20.0 * (std::log(2 * kPi) + std::log(static_cast<double>(ssr) / 40) + 1);
  EXPECT_TRUE(RelClose(st.log_likelihood, llf, 1e-12));
  EXPECT_TRUE(RelClose(st.aic, -2 * llf + 4, 1e-12));
  EXPECT_TRUE(RelClose(st.bic, -2 * llf + 2 * std::log(40.0), 1e-12));
  EXPECT_GT(st.condition_number, 1.0);
  EXPECT_GE(st.condition_number, st.scaled_condition_number * 0.999);
}

// Through the origin: R^2 is uncentered, 1 - SSR / sum b^2, and adjusted with m instead of m - 1.
TEST(RegressionStats, NoInterceptUsesUncenteredRSquared) {
  const Problem<double> p = line_problem(25, false, 3);
  const RegressionStats st = regression_stats(p);
  EXPECT_EQ(st.intercept_column, -1);
  EXPECT_EQ(st.df_model, 1);
  long double sbb = 0;
  for (double v : p.b) sbb += static_cast<long double>(v) * v;
  EXPECT_TRUE(RelClose(st.sst, static_cast<double>(sbb), 1e-15));
  EXPECT_TRUE(RelClose(st.r_squared, 1.0 - st.ssr / static_cast<double>(sbb), 1e-15));
  EXPECT_TRUE(RelClose(st.adj_r_squared, 1.0 - 25.0 / 24.0 * (1.0 - st.r_squared), 1e-14));
}

// A constant column other than the first is the intercept too (statsmodels' k_constant test).
TEST(RegressionStats, InterceptFoundInAnyColumn) {
  Problem<double> p = line_problem(30, true, 11);
  for (int i = 0; i < 30; ++i) std::swap(p.a(i, 0), p.a(i, 1));
  EXPECT_EQ(regression_stats(p).intercept_column, 1);
}

TEST(RegressionStats, UndefinedStatisticsAreClearErrors) {
  // m == p: no residual degrees of freedom.
  Problem<double> square = line_problem(2, true, 1);
  EXPECT_THROW(regression_stats(square), InvalidInput);
  // Two equal columns: rank deficient, standard errors undefined.
  Problem<double> dup = line_problem(20, true, 5);
  dup.n = 3;
  dup.A.resize(60);
  for (int i = 0; i < 20; ++i) dup.a(i, 2) = dup.a(i, 1);
  try {
    regression_stats(dup);
    ADD_FAILURE() << "rank deficient A accepted";
  } catch (const NumericalError& e) {
    EXPECT_NE(std::string(e.what()).find("column 3"), std::string::npos) << e.what();
  }
  // A zero column.
  Problem<double> zero = line_problem(20, true, 5);
  for (int i = 0; i < 20; ++i) zero.a(i, 1) = 0.0;
  EXPECT_THROW(regression_stats(zero), NumericalError);
}

// kappa(A D) > 100 with p = 40 > one block of 32 right-hand sides: the refined path, against
// standard errors from the normal equations in long double (64-bit significand: kappa^2 eps_ld ~
// 1e-11 here, so 10 digits), and the plain path (kappa 10) against the same reference.
std::vector<double> std_err_long_double(const Problem<double>& p, double s) {
  const size_t n = static_cast<size_t>(p.n);
  std::vector<long double> G(n * n, 0.0L);
  for (size_t j = 0; j < n; ++j) {
    for (size_t k = 0; k <= j; ++k) {
      long double acc = 0.0L;
      for (index_t i = 0; i < p.m; ++i) {
        acc += static_cast<long double>(p.a(i, static_cast<index_t>(j))) *
               p.a(i, static_cast<index_t>(k));
      }
      G[j + k * n] = G[k + j * n] = acc;
    }
  }
  for (size_t k = 0; k < n; ++k) {  // Cholesky, lower triangle
    for (size_t q = 0; q < k; ++q) G[k + k * n] -= G[k + q * n] * G[k + q * n];
    G[k + k * n] = std::sqrt(G[k + k * n]);
    for (size_t i = k + 1; i < n; ++i) {
      for (size_t q = 0; q < k; ++q) G[i + k * n] -= G[i + q * n] * G[k + q * n];
      G[i + k * n] /= G[k + k * n];
    }
  }
  std::vector<double> se(n);
  for (size_t j = 0; j < n; ++j) {  // diag(G^-1)_j = ||L^-1 e_j||^2
    std::vector<long double> y(n, 0.0L);
    for (size_t i = j; i < n; ++i) {
      long double v = i == j ? 1.0L : 0.0L;
      for (size_t q = j; q < i; ++q) v -= G[i + q * n] * y[q];
      y[i] = v / G[i + i * n];
    }
    long double d = 0.0L;
    for (size_t i = j; i < n; ++i) d += y[i] * y[i];
    se[j] = static_cast<double>(std::sqrt(d) * s);
  }
  return se;
}

TEST(RegressionStats, RefinedAndPlainCovarianceAgainstLongDouble) {
  for (double kappa : {10.0, 1e4}) {
    GenOptions o = gen_options(200, 40, kappa, 5, 1e-2);
    const Problem<double> p = generate<double>(o);
    const RegressionStats st = regression_stats(p);
    EXPECT_EQ(st.covariance_refined, kappa > 100.0) << st.scaled_condition_number;
    EXPECT_TRUE(st.converged) << st.note;
    const std::vector<double> ref = std_err_long_double(p, st.residual_sd);
    for (size_t j = 0; j < ref.size(); ++j) {
      EXPECT_TRUE(RelClose(st.std_err[j], ref[j], 1e-10)) << "kappa " << kappa << ", j " << j;
    }
  }
}

// Near the end of double's range (kappa(A D) eps ~ 0.1) the refinement stops shrinking: the result
// says so (converged false, the note with the last correction) rather than claiming digits; beyond,
// the rank test refuses. Which of the three a given seed meets depends on rounding, so the test
// asks that each case is one of them and that the not-converged report occurs at least once
// (measured: kappa 4e14, seed 3).
TEST(RegressionStats, RefinementFailureIsReported) {
  int not_converged = 0;
  for (double kappa : {3e14, 4e14, 4.5e14}) {
    for (std::uint64_t seed : {3, 4}) {
      GenOptions o = gen_options(60, 8, kappa, seed, 1e-3);
      const Problem<double> p = generate<double>(o);
      try {
        const RegressionStats st = regression_stats(p);
        if (!st.converged) {
          ++not_converged;
          EXPECT_NE(st.note.find("did not converge"), std::string::npos) << st.note;
          EXPECT_GT(st.correction, 2.0 * 2.220446049250313e-16);
        } else {
          EXPECT_TRUE(st.note.empty()) << st.note;
        }
      } catch (const NumericalError& e) {
        EXPECT_NE(std::string(e.what()).find("rank deficient"), std::string::npos) << e.what();
      }
    }
  }
  EXPECT_GE(not_converged, 1);
}

// An exact fit: zero residual, zero standard errors, R^2 = 1, t infinite, p 0 (Wampler1's case).
TEST(RegressionStats, ExactFit) {
  Problem<double> p = line_problem(10, true, 2);
  for (int i = 0; i < 10; ++i) p.b[static_cast<size_t>(i)] = 2.0 + 0.5 * p.a(i, 1);
  const RegressionStats st = regression_stats(p);
  // The computed residual is rounding: |r_i| <= c eps |b_i| with c = 30 (the constant of the
  // accuracy suites), so s <= c eps ||b|| / sqrt(m - p) and 1 - R^2 = SSR / SST <= (c eps)^2 ||b||^2
  // / SST; p-values of t = coef / SE with SE that small vanish below any printed digit.
  double b2 = 0.0, mean = 0.0, sst = 0.0;
  for (double v : p.b) mean += v / 10.0;
  for (double v : p.b) {
    b2 += v * v;
    sst += (v - mean) * (v - mean);
  }
  const double c_eps = 30.0 * eps<double>();
  EXPECT_LE(st.residual_sd, c_eps * std::sqrt(b2) / std::sqrt(8.0));
  EXPECT_NEAR(st.r_squared, 1.0, c_eps * c_eps * b2 / sst + eps<double>());
  for (double pv : st.p_value) EXPECT_LE(pv, 1e-12);
}

}  // namespace
}  // namespace lsgd
