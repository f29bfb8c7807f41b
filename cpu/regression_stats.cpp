// regression_stats (include/lsgd/stats.hpp): the OLS summary from one Householder QR of A D (D: the
// column scales, powers of two, so A D is exact) refined in extended precision.
//
// Coefficients and the diagonal of (A^T A)^-1 are the z-parts of augmented systems
//   [ I   A ] [r]   [b]              [ I   A ] [r]   [  0  ]
//   [ A^T 0 ] [z] = [0]   and        [ A^T 0 ] [z] = [-e_j ]   (z = (A^T A)^-1 e_j),
// solved together as p + 1 right-hand sides with Bjorck's refinement (the scheme of
// cpu/lstsq_refined.cpp, blocked over right-hand sides): residuals f = b - r - A z and g = c - A^T
// r in double-double, corrections from the same QR. Triangular solves and Q applications only; A^T
// A is never formed. Plain QR would give diag((R^T R)^-1) with a relative error near kappa eps,
// which is 1e-8 on Longley and the Wampler sets; refined, it is near eps while kappa(A D) eps << 1.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "common/double_double.hpp"
#include "common/lapack.hpp"
#include "cpu/lstsq_common.hpp"
#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/stats.hpp"

namespace lsgd {
namespace {

constexpr int kMaxSteps = 10;
constexpr int kBlock = 32;  // right-hand sides refined together
// Below this kappa(A D) the plain diag((R^T R)^-1) is already accurate to about kappa eps <= 2e-14
// (measured: the same digits as refined on Norris, Pontius, NoInt1/2), and refining p right-hand
// sides would cost O(m p^2) double-double work per step for nothing.
constexpr double kPlainCovarianceKappa = 100.0;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Bjorck's refinement of [I A; A^T 0][r; z] = [f; g] for a block of right-hand sides, from the QR
// (W, T: GEQRT's output) of A (As, m x p, the scaled columns).
class BlockRefiner {
 public:
  struct Outcome {
    int steps = 0;
    bool converged = false;
    bool stalled = false;
    double correction = 0.0;  // max over the block of ||dz|| / ||z|| at the last step
  };

  BlockRefiner(const double* As, const double* W, const double* T, index_t m, index_t p, int nb)
      : As_(As), W_(W), T_(T), m_(m), p_(p), nb_(nb) {}

  // b != nullptr: the right-hand side (b, 0), kb = 1. Otherwise kb right-hand sides (0, -e_j),
  // j = j0 .. j0 + kb - 1. Writes the z parts (p x kb) to out.
  Outcome solve(const double* b, index_t j0, int kb, double* out) const {
    const size_t m = static_cast<size_t>(m_), p = static_cast<size_t>(p_),
                 k = static_cast<size_t>(kb);
    Block blk{b,
              j0,
              kb,
              std::vector<double>(p * k, 0.0),
              std::vector<double>(m * k, 0.0),
              std::vector<double>(m * k, 0.0),
              std::vector<double>(p * k, 0.0),
              std::vector<double>(p * k, 0.0)};
    if (b != nullptr) std::copy(b, b + m, blk.F.begin());
    for (size_t c = 0; c < k; ++c) {
      if (b == nullptr) blk.G[static_cast<size_t>(j0) + c + c * p] = -1.0;
    }
    Outcome o;
    double prev = correct(blk);  // the plain QR solution, from z = 0, r = 0
    double last = prev;
    for (int step = 1; step <= kMaxSteps; ++step) {
      residuals(blk);
      last = correct(blk);
      o.steps = step;
      if (last <= 2.0 * eps<double>()) {
        o.converged = true;
        break;
      }
      if (step > 1 && last > 0.5 * prev) {
        o.stalled = true;
        break;
      }
      prev = last;
    }
    o.correction = last;
    std::copy(blk.Z.begin(), blk.Z.end(), out);
    return o;
  }

 private:
  struct Block {
    const double* b;
    index_t j0;
    int kb;
    std::vector<double> Z, Rr, F, G, DX;  // p x kb, m x kb, m x kb, p x kb, p x kb
  };

  // One correction: solves [I A; A^T 0][dr; dz] = [F; G] with the QR, adds it to (Rr, Z), and
  // returns max over the block of ||dz|| / ||z||.
  double correct(Block& blk) const {
    const int m = static_cast<int>(m_), p = static_cast<int>(p_), kb = blk.kb;
    const size_t ms = static_cast<size_t>(m_), ps = static_cast<size_t>(p_);
    std::vector<double> work(static_cast<size_t>(nb_) * static_cast<size_t>(kb));
    cpu::lapack::trtrs_upper('T', p, kb, W_, m, blk.G.data(), p);  // H = R^-T G
    cpu::lapack::gemqrt('T', m, kb, p, nb_, W_, m, T_, nb_, blk.F.data(), m,
                        work.data());  // D = Q^T F
    for (size_t c = 0; c < static_cast<size_t>(kb); ++c) {
      for (size_t j = 0; j < ps; ++j) {
        blk.DX[j + c * ps] = blk.F[j + c * ms] - blk.G[j + c * ps];
        blk.F[j + c * ms] = blk.G[j + c * ps];
      }
    }
    cpu::lapack::trtrs_upper('N', p, kb, W_, m, blk.DX.data(), p);  // dz = R^-1 (D1 - H)
    cpu::lapack::gemqrt('N', m, kb, p, nb_, W_, m, T_, nb_, blk.F.data(), m,
                        work.data());  // dr = Q [H; D2]
    double worst = 0.0;
    for (size_t c = 0; c < static_cast<size_t>(kb); ++c) {
      for (size_t j = 0; j < ps; ++j) blk.Z[j + c * ps] += blk.DX[j + c * ps];
      for (size_t i = 0; i < ms; ++i) blk.Rr[i + c * ms] += blk.F[i + c * ms];
      const double zn = cpu::scaled_norm(blk.Z.data() + c * ps, p_);
      const double dn = cpu::scaled_norm(blk.DX.data() + c * ps, p_);
      if (!std::isfinite(zn) || !std::isfinite(dn)) {
        throw NumericalError("regression statistics: the refinement overflowed; rescale the data");
      }
      worst = std::max(worst, zn > 0.0 ? dn / zn : (dn > 0.0 ? 1.0 : 0.0));
    }
    return worst;
  }

  // The residuals of the current (Rr, Z) in double-double: F = B - Rr - A Z, G = C - A^T Rr;
  // the columns of the block split across threads.
  void residuals(Block& blk) const {
    const size_t ms = static_cast<size_t>(m_);
    // Threads only when a column's pass (m p entries) outweighs starting a parallel region.
    const bool big = static_cast<double>(m_) * static_cast<double>(p_) >= 32768.0;
    const int P = big ? std::max(1, std::min(blk.kb, omp_get_max_threads())) : 1;
    std::vector<double> hilo(2 * ms * static_cast<size_t>(P));
    cpu::for_each_partition(P, [&](int t) {
      double* hi = hilo.data() + 2 * ms * static_cast<size_t>(t);
      for (int c = t; c < blk.kb; c += P) residual_column(blk, c, hi, hi + ms);
    });
  }

  void residual_column(Block& blk, int c, double* __restrict hi, double* __restrict lo) const {
    constexpr int kLanes = 8;
    const size_t m = static_cast<size_t>(m_), p = static_cast<size_t>(p_);
    const size_t cs = static_cast<size_t>(c);
    const double* __restrict r = blk.Rr.data() + cs * m;
    const double* z = blk.Z.data() + cs * p;
    for (size_t i = 0; i < m; ++i) {
      cpu::two_sum(blk.b != nullptr ? blk.b[i] : 0.0, -r[i], hi[i], lo[i]);
    }
    for (size_t j = 0; j < p; ++j) {
      const double* __restrict a = As_ + j * m;
      const double zj = -z[j];
      double ghi[kLanes] = {}, glo[kLanes] = {};
      size_t i = 0;
      for (; i + kLanes <= m; i += kLanes) {
        for (int l = 0; l < kLanes; ++l) {
          cpu::dd_add_prod(hi[i + l], lo[i + l], a[i + l], zj);
          cpu::dd_add_prod(ghi[l], glo[l], a[i + l], -r[i + l]);
        }
      }
      for (; i < m; ++i) {
        cpu::dd_add_prod(hi[i], lo[i], a[i], zj);
        cpu::dd_add_prod(ghi[0], glo[0], a[i], -r[i]);
      }
      const bool unit = blk.b == nullptr && static_cast<index_t>(j) == blk.j0 + c;
      cpu::DoubleDouble g{unit ? -1.0 : 0.0, 0.0};
      for (int l = 0; l < kLanes; ++l) {
        cpu::dd_add(g, ghi[l]);
        cpu::dd_add(g, glo[l]);
      }
      blk.G[j + cs * p] = cpu::to_double(g);
    }
    for (size_t i = 0; i < m; ++i) blk.F[i + cs * m] = hi[i] + lo[i];
  }

  const double* As_;
  const double* W_;
  const double* T_;
  index_t m_, p_;
  int nb_;
};

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
    throw InvalidInput(
        "regression statistics need more observations than coefficients (m = " + std::to_string(m) +
        ", p = " + std::to_string(p) + "): the residual variance has m - p degrees of freedom");
  }
  const int mi = cpu::lapack::dim(m, "m");
  const int pi = cpu::lapack::dim(p, "p");
  const size_t msz = static_cast<size_t>(m), psz = static_cast<size_t>(p);

  // Column scales: powers of two bringing every column norm into [1, 4) (common/equilibration.hpp).
  for (index_t j = 0; j < p; ++j) {
    if (!(cpu::scaled_norm(problem.A.data() + j * m, m) > 0.0)) {
      throw NumericalError("regression statistics: column " + std::to_string(j + 1) +
                           " of A is zero, so A is rank deficient and the standard errors are "
                           "undefined");
    }
  }
  const std::vector<double> scale = cpu::column_scales(problem.A.data(), m, p);
  std::vector<double> scaled(problem.A.size());
  cpu::copy_scaled_columns(problem.A.data(), m, p, scale, scaled.data());
  const double* As = scaled.data();

  // QR of A D.
  const int nb = std::min(pi, 32);
  std::vector<double> W(scaled), T(static_cast<size_t>(nb) * static_cast<size_t>(p));
  std::vector<double> work(static_cast<size_t>(nb) * psz);
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

  RegressionStats st;
  // The condition numbers of lsgd::conditioning() (include/lsgd/metrics.hpp), the one definition
  // and computation every other report uses too.
  {
    const Conditioning c = conditioning(problem);
    st.condition_number = c.kappa;
    st.scaled_condition_number = c.kappa_scaled;
  }

  const BlockRefiner refiner(As, W.data(), T.data(), m, p, nb);
  std::vector<double> xs(psz), cov_s(psz);
  bool stalled = false;
  auto account = [&](const BlockRefiner::Outcome& o) {
    st.refinement_steps = std::max(st.refinement_steps, o.steps);
    st.correction = std::max(st.correction, o.correction);
    stalled = stalled || o.stalled;
    return o.converged;
  };
  bool converged = account(refiner.solve(problem.b.data(), 0, 1, xs.data()));
  st.covariance_refined = st.scaled_condition_number > kPlainCovarianceKappa;
  if (st.covariance_refined) {
    // Blocks of right-hand sides bound the workspace at O(m kBlock).
    std::vector<double> Zb(psz * static_cast<size_t>(kBlock));
    for (index_t j0 = 0; j0 < p; j0 += kBlock) {
      const int kb = static_cast<int>(std::min<index_t>(kBlock, p - j0));
      converged = account(refiner.solve(nullptr, j0, kb, Zb.data())) && converged;
      for (int c = 0; c < kb; ++c) {
        const size_t j = static_cast<size_t>(j0 + c);
        cov_s[j] = Zb[j + static_cast<size_t>(c) * psz];
      }
    }
  } else {
    // (R^T R)^-1 = R^-1 R^-T, whose diagonal is accurate to about kappa(A D) eps here.
    std::vector<double> Rinv(psz * psz, 0.0);
    for (index_t j = 0; j < p; ++j) Rinv[static_cast<size_t>(j + j * p)] = 1.0;
    cpu::lapack::trtrs_upper('N', pi, pi, W.data(), mi, Rinv.data(), pi);
    for (size_t i = 0; i < psz; ++i) {
      cpu::DoubleDouble acc;  // row i of R^-1, squared
      for (size_t j = i; j < psz; ++j) cpu::dd_add_prod(acc, Rinv[i + j * psz], Rinv[i + j * psz]);
      cov_s[i] = cpu::to_double(acc);
    }
  }
  st.converged = converged;
  if (!converged) {
    std::ostringstream os;
    os.precision(2);
    os << "the refinement of the fit and of diag((A^T A)^-1) did not converge ("
       << (stalled ? "the correction stopped shrinking: kappa(A D) eps is too close to 1"
                   : "step limit reached")
       << "); the last correction was " << st.correction
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
    st.coef[j] = scale[j] * xs[j];
    cov_diag[j] = scale[j] * scale[j] * cov_s[j];
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
    st.t[j] = st.std_err[j] > 0.0
                  ? st.coef[j] / st.std_err[j]
                  : (st.coef[j] == 0.0 ? kNaN : std::copysign(HUGE_VAL, st.coef[j]));
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
  st.log_likelihood = st.ssr > 0.0
                          ? -0.5 * md * (std::log(6.283185307179586) + std::log(st.ssr / md) + 1.0)
                          : HUGE_VAL;
  st.aic = -2.0 * st.log_likelihood + 2.0 * static_cast<double>(p);
  st.bic = -2.0 * st.log_likelihood + std::log(md) * static_cast<double>(p);
  return st;
}

}  // namespace lsgd
