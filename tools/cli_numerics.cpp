#include "tools/cli_numerics.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include "lsgd/error.hpp"
#include "lsgd/reference.hpp"
#include "lsgd/registry.hpp"

namespace lsgd::cli {
namespace {

std::string column_label(const Problem<double>& p, index_t j) {
  std::string s = "column " + std::to_string(j + 1);
  if (static_cast<size_t>(j) < p.column_names.size()) {
    s += " ('" + p.column_names[static_cast<size_t>(j)] + "')";
  }
  return s;
}

// Whether column j has all entries equal to its first, nonzero one.
bool constant_column(const Problem<double>& p, index_t j) {
  const double v = p.a(0, j);
  if (v == 0.0) return false;
  for (index_t i = 1; i < p.m; ++i) {
    if (p.a(i, j) != v) return false;
  }
  return true;
}

// A direct solve in double with default options but for the threads (the reference's own).
std::vector<double> solve_f64(const char* name, const Problem<double>& p, const SolverOptions& opt,
                              SolveInfo* info) {
  SolverOptions o;
  o.threads = opt.threads;
  o.ridge_lambda = opt.ridge_lambda;
  std::unique_ptr<Solver<double>> s = default_registry().get(name).make<double>(o);
  s->setup(p);
  s->timed_solve();
  *info = s->info();
  return s->solution();
}

}  // namespace

void check_constant_columns(const Problem<double>& p, bool intercept_added) {
  if (p.m < 2) return;
  std::vector<index_t> constant;
  for (index_t j = 0; j < p.n; ++j) {
    if (constant_column(p, j)) constant.push_back(j);
  }
  if (constant.size() < 2) return;
  std::string cols;
  for (size_t k = 0; k < constant.size(); ++k) {
    cols += (k == 0                     ? ""
             : k + 1 == constant.size() ? " and "
                                        : ", ") +
            column_label(p, constant[k]);
  }
  std::string why = cols + (constant.size() == 2 ? " are both" : " are all") +
                    " constant: each is an intercept, so A is rank deficient and a "
                    "solver would split the intercept between them; ";
  why += intercept_added ? "the data already hold an intercept column: drop --intercept, or drop "
                           "the data's constant column"
                         : "keep one of them";
  throw InvalidInput(why);
}

Standardization standardize_problem(const Problem<double>& p) {
  Standardization s;
  s.problem = p;
  const index_t m = p.m, n = p.n;
  for (index_t j = 0; j < n && s.intercept < 0; ++j) {
    if (p.m >= 2 && constant_column(p, j)) {
      s.intercept = j;
      s.intercept_value = p.a(0, j);
    }
  }
  s.shift.assign(static_cast<size_t>(n), 0.0);
  s.scale.assign(static_cast<size_t>(n), 1.0);
  const double md = static_cast<double>(m);
  for (index_t j = 0; j < n; ++j) {
    if (j == s.intercept) continue;
    long double sum = 0.0L;
    for (index_t i = 0; i < m; ++i) sum += p.a(i, j);
    const double mean = s.intercept >= 0 ? static_cast<double>(sum / md) : 0.0;
    // Root mean square of the centred column, scaled by its largest entry against overflow.
    double big = 0.0;
    for (index_t i = 0; i < m; ++i) big = std::max(big, std::abs(p.a(i, j) - mean));
    double ss = 0.0;
    for (index_t i = 0; big > 0.0 && i < m; ++i) {
      const double t = (p.a(i, j) - mean) / big;
      ss += t * t;
    }
    const double sd = big * std::sqrt(ss / md);
    s.shift[static_cast<size_t>(j)] = mean;
    s.scale[static_cast<size_t>(j)] = sd > 0.0 && std::isfinite(sd) ? sd : 1.0;
    for (index_t i = 0; i < m; ++i) {
      s.problem.a(i, j) = (p.a(i, j) - mean) / s.scale[static_cast<size_t>(j)];
    }
  }
  return s;
}

// x_j = z_j / s_j off the intercept; x_0 = z_0 - sum_j z_j mu_j / (s_j c) for the intercept column
// (entries c): sum_j z_j (a_j - mu_j) / s_j + z_0 c = sum_j x_j a_j + x_0 c.
std::vector<double> Standardization::to_original(const std::vector<double>& z) const {
  std::vector<double> x(z.size());
  long double carry = 0.0L;
  for (size_t j = 0; j < z.size(); ++j) {
    if (static_cast<index_t>(j) == intercept) continue;
    x[j] = z[j] / scale[j];
    carry += static_cast<long double>(x[j]) * shift[j];
  }
  if (intercept >= 0) {
    const size_t i = static_cast<size_t>(intercept);
    x[i] = static_cast<double>(z[i] - carry / intercept_value);
  }
  return x;
}

double Standardization::map_norm() const {
  double f = 0.0;
  for (size_t j = 0; j < scale.size(); ++j) {
    if (static_cast<index_t>(j) == intercept) {
      f += 1.0;
      continue;
    }
    f += 1.0 / (scale[j] * scale[j]);
    if (intercept >= 0) {
      const double t = shift[j] / (scale[j] * intercept_value);
      f += t * t;
    }
  }
  return std::sqrt(f);
}

namespace {
double norm2(const std::vector<double>& v) {
  double big = 0.0, s2 = 0.0;
  for (double e : v) big = std::max(big, std::abs(e));
  for (double e : v) s2 += big > 0.0 ? (e / big) * (e / big) : 0.0;
  return big * std::sqrt(s2);
}
}  // namespace

double Standardization::amplification(const std::vector<double>& z,
                                      const std::vector<double>& x) const {
  const double xn = norm2(x);
  return xn > 0.0 ? map_norm() * norm2(z) / xn : std::numeric_limits<double>::infinity();
}

double gradient_error_bound(const Problem<double>& p, const std::vector<double>& z, double lambda,
                            double sigma_min) {
  const double md = static_cast<double>(p.m);
  const double mu = sigma_min * (sigma_min / md) + lambda;
  std::vector<long double> r(static_cast<size_t>(p.m));
  for (index_t i = 0; i < p.m; ++i)
    r[static_cast<size_t>(i)] = -static_cast<long double>(p.b[static_cast<size_t>(i)]);
  for (index_t j = 0; j < p.n; ++j) {
    const long double zj = z[static_cast<size_t>(j)];
    for (index_t i = 0; i < p.m; ++i) r[static_cast<size_t>(i)] += p.a(i, j) * zj;
  }
  long double g2 = 0.0L;
  for (index_t j = 0; j < p.n; ++j) {
    long double g = 0.0L;
    for (index_t i = 0; i < p.m; ++i) g += p.a(i, j) * r[static_cast<size_t>(i)];
    g = g / md + static_cast<long double>(lambda) * z[static_cast<size_t>(j)];
    g2 += g * g;
  }
  const double gn = static_cast<double>(std::sqrt(g2));
  if (gn == 0.0) return 0.0;
  return mu > 0.0 ? gn / mu : std::numeric_limits<double>::infinity();
}

double relative_error_bound(const Problem<double>& solved, const std::vector<double>& z,
                            const std::vector<double>& x, double lambda, double sigma_min,
                            const Standardization* standard) {
  double abs = gradient_error_bound(solved, z, lambda, sigma_min);
  if (abs == 0.0) return 0.0;
  if (standard != nullptr) abs *= standard->map_norm();
  const double xn = norm2(x);
  return xn > 0.0 ? abs / xn : std::numeric_limits<double>::infinity();
}

bool conditioning_affordable(const Problem<double>& p) {
  return static_cast<double>(p.m) * static_cast<double>(p.n) *
             static_cast<double>(std::min(p.m, p.n)) <=
         4e9;
}

DefaultReference default_reference(const Problem<double>& p, const SolverOptions& opt) {
  DefaultReference ref;
  std::string why;
  const double work =
      static_cast<double>(p.m) * static_cast<double>(p.n) * static_cast<double>(p.n);
  const bool ridge = opt.ridge_lambda > 0.0;
  if (!ridge && p.m >= p.n && has_quad_reference() && work <= 2097152.0) {
    try {
      ref.x = lstsq_reference(p);
      ref.source = "lstsq_reference";
      ref.label =
          "LRE vs the exact least-squares solution of the data (quad-precision QR, "
          "lsgd::lstsq_reference)";
      return ref;
    } catch (const Error& e) {
      why = std::string("lstsq_reference: ") + e.what() + "; ";
    }
  }
  if (!ridge && p.m >= p.n) {
    try {
      SolveInfo info;
      std::vector<double> x = solve_f64("cpu.qr.refined", p, opt, &info);
      if (info.converged) {
        ref.x = std::move(x);
        ref.source = "cpu.qr.refined";
        ref.label = "LRE vs cpu.qr.refined in double (" + info.note + ")";
        return ref;
      }
      why += "cpu.qr.refined: " + info.note + "; ";
    } catch (const Error& e) {
      why += std::string("cpu.qr.refined: ") + e.what() + "; ";
    }
  }
  const char* fallback = ridge ? "cpu.cholesky" : "cpu.svd";
  try {
    SolveInfo info;
    ref.x = solve_f64(fallback, p, opt, &info);
    ref.source = fallback;
    ref.label = std::string("digits of agreement with ") + fallback +
                " in double (not a certified reference: " +
                (ridge       ? "ridge lambda"
                 : p.m < p.n ? "m < n"
                             : "A is rank deficient or refinement "
                               "did not converge") +
                (info.note.empty() ? "" : "; " + info.note) + ")";
  } catch (const Error& e) {
    ref.x.clear();
    ref.failure = why + fallback + ": " + e.what();
  }
  return ref;
}

}  // namespace lsgd::cli
