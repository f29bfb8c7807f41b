// regression_stats (include/lsgd/stats.hpp): the OLS summary from one Householder QR of A D (D: the
// column scales, powers of two, so A D is exact) refined in extended precision.
//
// Coefficients and the diagonal of (A^T A)^-1 are the z-parts of augmented systems
//   [ I   A ] [r]   [b]              [ I   A ] [r]   [  0  ]
//   [ A^T 0 ] [z] = [0]   and        [ A^T 0 ] [z] = [-e_j ]   (z = (A^T A)^-1 e_j),
// solved together as p + 1 right-hand sides with Bjorck's refinement (the scheme of
// cpu/lstsq_refined.cpp, blocked over right-hand sides): residuals f = b - r - A z and g = c - A^T r
// in double-double, corrections from the same QR. Triangular solves and Q applications only; A^T A
// is never formed. Plain QR would give diag((R^T R)^-1) with a relative error near kappa eps, which
// is 1e-8 on Longley and the Wampler sets; refined, it is near eps while kappa(A D) eps << 1.
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "cpu/double_double.hpp"
#include "cpu/lapack.hpp"
#include "cpu/lstsq_common.hpp"
#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/stats.hpp"

namespace lsgd {
namespace {

constexpr int kMaxSteps = 10;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The column whose entries are all equal and nonzero (statsmodels' test for a constant), or -1.
index_t find_intercept(const Problem<double>& p) {
  for (index_t j = 0; j < p.n; ++j) {
    const double v = p.a(0, j);
    if (v == 0.0) continue;
    bool constant = true;
    for (index_t i = 1; i < p.m && constant; ++i) constant = p.a(i, j) == v;
    if (constant) return j;
  }
  return -1;
}

// Sum of squares of v - shift in double-double.
double sum_squares_dd(const std::vector<double>& v, double shift) {
  cpu::DoubleDouble acc;
  for (double x : v) {
    cpu::DoubleDouble d;
    cpu::two_sum(x, -shift, d.hi, d.lo);
    const double e = d.hi + d.lo;
    cpu::dd_add_prod(acc, e, e);
  }
  return cpu::to_double(acc);
}

}  // namespace

RegressionStats regression_stats(const Problem<double>& problem) {
  problem.validate();
  const index_t m = problem.m, p = problem.n;
  if (m <= p) {
    throw InvalidInput("regression statistics need more observations than coefficients (m = " +
                       std::to_string(m) + ", p = " + std::to_string(p) +
                       "): the residual variance has m - p degrees of freedom");
  }
  const int mi = cpu::lapack::dim(m, "m");
  const int pi = cpu::lapack::dim(p, "p");
  const int k = cpu::lapack::dim(p + 1, "p + 1");
  cpu::lapack::dim(m * k, "m (p + 1)");

  // Column scales: powers of two bringing every column norm into [1, 2).
  std::vector<double> scale(static_cast<size_t>(p));
  Problem<double> scaled;
  scaled.m = m;
  scaled.n = p;
  scaled.A = problem.A;
  scaled.b = problem.b;
  for (index_t j = 0; j < p; ++j) {
    const double norm = cpu::scaled_norm(problem.A.data() + j * m, m);
    if (!(norm > 0.0)) {
      throw NumericalError("regression statistics: column " + std::to_string(j + 1) +
                           " of A is zero, so A is rank deficient and the standard errors are "
                           "undefined");
    }
    const double s = std::ldexp(1.0, -std::ilogb(norm));
    scale[static_cast<size_t>(j)] = s;
    for (index_t i = 0; i < m; ++i) scaled.a(i, j) *= s;
  }
  const double* As = scaled.A.data();

  // QR of A D.
  const int nb = std::min(pi, 32);
  std::vector<double> W(scaled.A), T(static_cast<size_t>(nb) * static_cast<size_t>(p));
  std::vector<double> work(static_cast<size_t>(nb) * static_cast<size_t>(std::max(pi, k)));
  cpu::lapack::geqrt(mi, pi, nb, W.data(), mi, T.data(), nb, work.data());
  const double tol = 10.0 * std::sqrt(static_cast<double>(m)) * eps<double>();
  for (index_t j = 0; j < p; ++j) {
    const double* col = W.data() + j * m;
    const double norm = cpu::scaled_norm(col, j + 1);
    if (!(std::fabs(col[j]) > tol * norm)) {
      std::ostringstream os;
      os << "regression statistics: A is rank deficient to working precision (column " << j + 1
         << " lies in the span of the columns before it: |R(" << j + 1 << "," << j + 1
         << ")| = " << std::fabs(col[j]) << " vs column norm " << norm
         << "), so the standard errors are undefined; drop or combine collinear columns";
      throw NumericalError(os.str());
    }
  }

  // Right-hand sides: column 0 (b, 0), column 1 + j (0, -e_j). F: m x k, G: p x k.
  const size_t msz = static_cast<size_t>(m), psz = static_cast<size_t>(p), ksz = static_cast<size_t>(k);
  std::vector<double> Z(psz * ksz, 0.0), Rr(msz * ksz, 0.0), F(msz * ksz, 0.0), G(psz * ksz, 0.0);
  std::copy(problem.b.begin(), problem.b.end(), F.begin());
  for (index_t j = 0; j < p; ++j) G[static_cast<size_t>(j + (j + 1) * p)] = -1.0;
  std::vector<double> DX(psz * ksz);

  // One correction: solves [I A; A^T 0][dr; dz] = [F; G] with the QR, adds it to (Rr, Z), and
  // returns max over right-hand sides of ||dz|| / ||z||.
  auto correct = [&]() {
    cpu::lapack::trtrs_upper('T', pi, k, W.data(), mi, G.data(), pi);  // H = R^-T G
    cpu::lapack::gemqrt('T', mi, k, pi, nb, W.data(), mi, T.data(), nb, F.data(), mi,
                        work.data());  // D = Q^T F
    for (size_t c = 0; c < ksz; ++c) {
      for (size_t j = 0; j < psz; ++j) {
        DX[j + c * psz] = F[j + c * msz] - G[j + c * psz];
        F[j + c * msz] = G[j + c * psz];
      }
    }
    cpu::lapack::trtrs_upper('N', pi, k, W.data(), mi, DX.data(), pi);  // dz = R^-1 (D1 - H)
    cpu::lapack::gemqrt('N', mi, k, pi, nb, W.data(), mi, T.data(), nb, F.data(), mi,
                        work.data());  // dr = Q [H; D2]
    double worst = 0.0;
    for (size_t c = 0; c < ksz; ++c) {
      for (size_t j = 0; j < psz; ++j) Z[j + c * psz] += DX[j + c * psz];
      for (size_t i = 0; i < msz; ++i) Rr[i + c * msz] += F[i + c * msz];
      const double zn = cpu::scaled_norm(Z.data() + c * psz, p);
      const double dn = cpu::scaled_norm(DX.data() + c * psz, p);
      if (!std::isfinite(zn) || !std::isfinite(dn)) {
        throw NumericalError("regression statistics: the refinement overflowed; rescale the data");
      }
      worst = std::max(worst, zn > 0.0 ? dn / zn : (dn > 0.0 ? 1.0 : 0.0));
    }
    return worst;
  };

  // The residuals of the current (Rr, Z) in double-double: F = B - Rr - A Z, G = C - A^T Rr.
  std::vector<double> hi(msz), lo(msz);
  auto residuals = [&]() {
    for (size_t c = 0; c < ksz; ++c) {
      const double* r = Rr.data() + c * msz;
      const double* z = Z.data() + c * psz;
      for (size_t i = 0; i < msz; ++i) {
        hi[i] = c == 0 ? problem.b[i] : 0.0;
        lo[i] = 0.0;
        cpu::DoubleDouble acc{hi[i], 0.0};
        cpu::dd_add(acc, -r[i]);
        hi[i] = acc.hi;
        lo[i] = acc.lo;
      }
      for (size_t j = 0; j < psz; ++j) {
        const double* a = As + j * msz;
        const double zj = -z[j];
        cpu::DoubleDouble g{c == j + 1 ? -1.0 : 0.0, 0.0};
        for (size_t i = 0; i < msz; ++i) {
          cpu::DoubleDouble f{hi[i], lo[i]};
          cpu::dd_add_prod(f, a[i], zj);
          hi[i] = f.hi;
          lo[i] = f.lo;
          cpu::dd_add_prod(g, a[i], -r[i]);
        }
        G[j + c * psz] = cpu::to_double(g);
      }
      for (size_t i = 0; i < msz; ++i) F[i + c * msz] = hi[i] + lo[i];
    }
  };

  RegressionStats st;
  double prev = correct();  // the plain QR solution, from z = 0, r = 0
  double last = prev;
  bool stalled = false;
  for (int step = 1; step <= kMaxSteps; ++step) {
    residuals();
    last = correct();
    st.refinement_steps = step;
    if (last <= 2.0 * eps<double>()) {
      st.converged = true;
      break;
    }
    if (step > 1 && last > 0.5 * prev) {
      stalled = true;
      break;
    }
    prev = last;
  }
  st.correction = last;
  if (!st.converged) {
    std::ostringstream os;
    os.precision(2);
    os << "the refinement of the fit and of diag((A^T A)^-1) did not converge ("
       << (stalled ? "the correction stopped shrinking: kappa(A D) eps is too close to 1"
                   : "step limit reached")
       << "); the last correction was " << last
       << " relative, about the accuracy of the coefficients and standard errors";
    st.note = os.str();
  }

  // Unscale: x = D z, (A^T A)^-1 = D (D A^T A D)^-1 D.
  st.m = m;
  st.p = p;
  st.df_resid = m - p;
  st.intercept_column = find_intercept(problem);
  st.df_model = p - (st.intercept_column >= 0 ? 1 : 0);
  st.coef.resize(psz);
  std::vector<double> cov_diag(psz);
  for (size_t j = 0; j < psz; ++j) {
    st.coef[j] = scale[j] * Z[j];
    cov_diag[j] = scale[j] * scale[j] * Z[j + (j + 1) * psz];
  }

  // ||b - A x||^2 and the total sum of squares in double-double.
  std::vector<double> e(msz);
  {
    std::vector<cpu::DoubleDouble> acc(msz);
    for (size_t i = 0; i < msz; ++i) acc[i].hi = problem.b[i];
    for (size_t j = 0; j < psz; ++j) {
      const double* a = problem.A.data() + j * msz;
      for (size_t i = 0; i < msz; ++i) cpu::dd_add_prod(acc[i], a[i], -st.coef[j]);
    }
    for (size_t i = 0; i < msz; ++i) e[i] = cpu::to_double(acc[i]);
  }
  st.ssr = sum_squares_dd(e, 0.0);
  double mean = 0.0;
  if (st.intercept_column >= 0) {
    cpu::DoubleDouble sum;
    for (double v : problem.b) cpu::dd_add(sum, v);
    mean = cpu::to_double(sum) / static_cast<double>(m);
  }
  st.sst = sum_squares_dd(problem.b, mean);

  const double dfr = static_cast<double>(st.df_resid);
  const double s2 = st.ssr / dfr;
  st.residual_sd = std::sqrt(s2);
  st.std_err.resize(psz);
  st.t.resize(psz);
  st.p_value.resize(psz);
  for (size_t j = 0; j < psz; ++j) {
    st.std_err[j] = std::sqrt(s2 * cov_diag[j]);
    st.t[j] = st.std_err[j] > 0.0 ? st.coef[j] / st.std_err[j]
                                  : (st.coef[j] == 0.0 ? kNaN
                                                       : std::copysign(HUGE_VAL, st.coef[j]));
    st.p_value[j] = student_t_two_sided(st.t[j], dfr);
  }
  st.r_squared = st.sst > 0.0 ? 1.0 - st.ssr / st.sst : kNaN;
  const double k_const = st.intercept_column >= 0 ? 1.0 : 0.0;
  st.adj_r_squared = 1.0 - (static_cast<double>(m) - k_const) / dfr * (1.0 - st.r_squared);
  if (st.df_model > 0) {
    const double dfm = static_cast<double>(st.df_model);
    st.f_statistic = st.ssr > 0.0 ? ((st.sst - st.ssr) / dfm) / s2 : HUGE_VAL;
    st.f_p_value = f_upper_tail(st.f_statistic, dfm, dfr);
  } else {
    st.f_statistic = kNaN;
    st.f_p_value = kNaN;
  }
  const double md = static_cast<double>(m);
  st.log_likelihood =
      st.ssr > 0.0 ? -0.5 * md * (std::log(6.283185307179586) + std::log(st.ssr / md) + 1.0) : HUGE_VAL;
  st.aic = -2.0 * st.log_likelihood + 2.0 * static_cast<double>(p);
  st.bic = -2.0 * st.log_likelihood + std::log(md) * static_cast<double>(p);
  st.condition_number = condition_number(problem);
  st.scaled_condition_number = condition_number(scaled);
  return st;
}

}  // namespace lsgd
