#pragma once
// The statistics view of least squares (least squares as maximum likelihood under Gaussian noise):
// what statsmodels' OLS summary reports, computed from a QR factorization of A with iterative
// refinement in extended precision (cpu/regression_stats.cpp), and the distribution functions the
// p-values need (core/distributions.cpp).
#include <string>
#include <vector>

#include "lsgd/problem.hpp"

namespace lsgd {

struct RegressionStats {
  index_t m = 0, p = 0;
  index_t df_resid = 0;  // m - p
  index_t df_model = 0;  // p - (1 if an intercept column, else 0)
  index_t intercept_column =
      -1;                       // a column of equal nonzero entries, or -1: R^2 is then uncentered
  std::vector<double> coef;     // the fit's own coefficients (refined QR; see regression_stats)
  std::vector<double> std_err;  // s * sqrt(diag((A^T A)^-1))
  std::vector<double> t;        // coef / std_err
  std::vector<double> p_value;  // two-sided, Student t with df_resid degrees of freedom
  double ssr = 0.0;             // ||b - Ax||^2
  double sst = 0.0;             // sum (b - mean b)^2 with an intercept, sum b^2 without
  double residual_sd = 0.0;     // s = sqrt(ssr / df_resid)
  double r_squared = 0.0;       // 1 - ssr / sst
  double adj_r_squared =
      0.0;                   // 1 - (m - k) / df_resid (1 - R^2), k = 1 with an intercept, 0 without
  double f_statistic = 0.0;  // ((sst - ssr) / df_model) / (ssr / df_resid); NaN when df_model = 0
  double f_p_value = 0.0;
  double log_likelihood = 0.0;           // -m/2 (log(2 pi) + log(ssr / m) + 1)
  double aic = 0.0;                      // -2 LL + 2p
  double bic = 0.0;                      // -2 LL + p log m
  double condition_number = 0.0;         // kappa_2(A) by SVD (statsmodels' "Cond. No.")
  double scaled_condition_number = 0.0;  // kappa_2 after scaling the columns to unit norm
  bool covariance_refined = false;  // diag((A^T A)^-1) refined too (kappa(A D) > 100), not plain
  int refinement_steps = 0;         // max over the refined right-hand sides
  bool converged = false;           // the refinement reached working precision
  double correction = 0.0;  // the last correction relative to the solution (all right-hand sides)
  std::string note;         // why not converged, when it is not
};

// Fits b ~ A by Householder QR of A (columns scaled by powers of two, which is exact) and refines
// the augmented system [I A; A^T 0][r; z] = [f; g] for b and, when kappa(A D) > 100, for every unit
// vector (right-hand sides (b, 0) and (0, -e_j), in blocks of 32), with the residuals in
// double-double, so that both the coefficients and diag((A^T A)^-1) are accurate to about eps while
// kappa(A D) eps << 1 (below kappa(A D) = 100 the plain diag(R^-1 R^-T) already is). No explicit
// A^T A or inverse of it is formed. The condition numbers come from the singular values of R.
// Throws InvalidInput when m <= p (no residual degrees of freedom) and NumericalError when A is
// rank deficient to working precision (the standard errors are undefined). Independent of any
// solver: `lsgd solve --stats` reports these numbers next to the chosen solver's coefficients.
RegressionStats regression_stats(const Problem<double>& problem);

// Regularized incomplete beta I_x(a, b), a, b > 0, 0 <= x <= 1 (continued fraction, Lentz's method;
// about 1e-14 relative for the arguments the p-values use). Throws InvalidInput outside the domain.
double incomplete_beta(double a, double b, double x);
// Two-sided p-value P(|T| >= |t|) of Student's t with dof > 0 degrees of freedom.
double student_t_two_sided(double t, double dof);
// Upper tail P(F >= f) of the F distribution with (d1, d2) degrees of freedom.
double f_upper_tail(double f, double d1, double d2);

}  // namespace lsgd
