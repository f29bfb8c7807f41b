#include "common/stats_text.hpp"

#include <algorithm>
#include <cmath>

#include "lsgd/metrics.hpp"
#include "common/text_format.hpp"

namespace lsgd::text {
namespace {

std::string column_name(const std::vector<std::string>& names, index_t j) {
  return static_cast<size_t>(j) < names.size() && !names[static_cast<size_t>(j)].empty()
             ? names[static_cast<size_t>(j)]
             : "x" + std::to_string(j + 1);
}

std::string right(const std::string& s, size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

}  // namespace

std::string stats_text(const RegressionStats& st, const std::vector<std::string>& names,
                       const std::string& solver, const std::vector<double>& solver_x) {
  std::string out =
      "\nOLS statistics (a QR of A refined in double-double, independent of the solver):\n";
  out += "  observations " + std::to_string(st.m) + ", coefficients " + std::to_string(st.p) +
         ", residual dof " + std::to_string(st.df_resid) + ", model dof " +
         std::to_string(st.df_model) + "; ";
  out += st.intercept_column >= 0 ? "intercept: column " + std::to_string(st.intercept_column + 1) +
                                        " ('" + column_name(names, st.intercept_column) + "')\n"
                                  : "no constant column: R^2 is uncentered\n";
  size_t w = 4;
  for (index_t j = 0; j < st.p; ++j) w = std::max(w, column_name(names, j).size());
  out += "  " + pad("", w) + "  " + right("coef", 23) + "  " + right("std err", 23) + "  " +
         right("t", 12) + "  " + right("P>|t|", 10) + "\n";
  for (index_t j = 0; j < st.p; ++j) {
    const size_t k = static_cast<size_t>(j);
    out += "  " + pad(column_name(names, j), w) + "  " + right(fmt("%.15g", st.coef[k]), 23) +
           "  " + right(fmt("%.15g", st.std_err[k]), 23) + "  " + right(fmt("%.6g", st.t[k]), 12) +
           "  " + right(fmt("%.4g", st.p_value[k]), 10) + "\n";
  }
  out += "  residual standard deviation:  " + fmt("%.15g", st.residual_sd) + "  (sqrt(SSR / " +
         std::to_string(st.df_resid) + "), SSR " + fmt("%.15g", st.ssr) + ")\n";
  out += "  R-squared:                    " + fmt("%.15g", st.r_squared) +
         (st.intercept_column >= 0 ? "  (centered)\n" : "  (uncentered)\n");
  out += "  adjusted R-squared:           " + fmt("%.15g", st.adj_r_squared) + "\n";
  if (st.df_model > 0) {
    out += "  F-statistic:                  " + fmt("%.15g", st.f_statistic) + "  on " +
           std::to_string(st.df_model) + " and " + std::to_string(st.df_resid) + " dof, Prob (F) " +
           fmt("%.4g", st.f_p_value) + "\n";
  }
  out += "  log-likelihood:               " + fmt("%.10g", st.log_likelihood) + "  AIC " +
         fmt("%.10g", st.aic) + "  BIC " + fmt("%.10g", st.bic) + "\n";
  out += "  condition number:             " + fmt("%.4g", st.condition_number) +
         "  (kappa_2(A), statsmodels' Cond. No.); " + fmt("%.4g", st.scaled_condition_number) +
         " with unit-norm columns\n";
  if (st.converged) {
    out += "  refinement:                   converged in " + std::to_string(st.refinement_steps) +
           " step(s), last correction " + fmt("%.2g", st.correction) +
           (st.covariance_refined ? ""
                                  : "; std errors from the plain QR (kappa with unit-norm "
                                    "columns <= 100)") +
           "\n";
  } else {
    out += "  refinement:                   NOT converged: " + st.note + "\n";
  }
  if (solver_x.size() == st.coef.size()) {
    out += "  solver agreement:             " + solver + "'s coefficients agree with this fit to " +
           fmt("%.1f", lre(solver_x, st.coef)) + " digits (LRE, min over coefficients)\n";
  }
  return out;
}

std::string stats_json(const RegressionStats& st, const std::vector<double>& solver_x) {
  std::string out =
      "{\"m\":" + std::to_string(st.m) + ",\"p\":" + std::to_string(st.p) +
      ",\"df_resid\":" + std::to_string(st.df_resid) +
      ",\"df_model\":" + std::to_string(st.df_model) + ",\"intercept_column\":" +
      (st.intercept_column >= 0 ? std::to_string(st.intercept_column) : "null") +
      ",\"r_squared_centered\":" + json_bool(st.intercept_column >= 0) +
      ",\"coef\":" + json_numbers(st.coef) + ",\"std_err\":" + json_numbers(st.std_err) +
      ",\"t\":" + json_numbers(st.t) + ",\"p_value\":" + json_numbers(st.p_value) +
      ",\"residual_sd\":" + json_number(st.residual_sd) + ",\"ssr\":" + json_number(st.ssr) +
      ",\"sst\":" + json_number(st.sst) + ",\"r_squared\":" + json_number(st.r_squared) +
      ",\"adj_r_squared\":" + json_number(st.adj_r_squared) +
      ",\"f_statistic\":" + json_number(st.f_statistic) +
      ",\"f_p_value\":" + json_number(st.f_p_value) +
      ",\"log_likelihood\":" + json_number(st.log_likelihood) + ",\"aic\":" + json_number(st.aic) +
      ",\"bic\":" + json_number(st.bic) +
      ",\"condition_number\":" + json_number(st.condition_number) +
      ",\"scaled_condition_number\":" + json_number(st.scaled_condition_number) +
      ",\"covariance_refined\":" + json_bool(st.covariance_refined) +
      ",\"refinement_steps\":" + std::to_string(st.refinement_steps) +
      ",\"converged\":" + json_bool(st.converged) +
      ",\"correction\":" + json_number(st.correction) + ",\"note\":" + json_string(st.note);
  if (solver_x.size() == st.coef.size()) {
    out += ",\"solver_agreement_lre\":" + json_number(lre(solver_x, st.coef), "%.3f");
  }
  return out + "}";
}

}  // namespace lsgd::text
