#include <algorithm>
#include <cmath>

#include <Eigen/Core>

#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"

namespace lsgd {
namespace {

template <typename T>
Eigen::MatrixXd to_matrix(const Problem<T>& p) {
  return Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>>(p.A.data(), p.m, p.n)
      .template cast<double>();
}
template <typename T>
Eigen::VectorXd to_vector(const std::vector<T>& v) {
  return Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(v.data(), static_cast<index_t>(v.size()))
      .template cast<double>();
}
template <typename T, typename U>
void check_x(const Problem<T>& p, const std::vector<U>& x, const char* who) {
  if (x.size() != static_cast<size_t>(p.n)) {
    throw InvalidInput(std::string(who) + ": x has " + std::to_string(x.size()) +
                       " entries, expected n = " + std::to_string(p.n));
  }
}

// num / (na * (na * xn + bn)) for nonnegative factors whose products may over- or underflow
// (||A|| = 1e299 and ||x|| = 1e300 are both representable, their product is not): in logarithms.
double scaled_ratio(double num, double na, double xn, double bn) {
  if (!(num > 0.0)) return num;  // 0, or NaN
  const double big = std::max(na * xn, bn);
  if (std::isfinite(big) && big > 0.0 && std::isnormal(na * big))
    return num / (na * (na * xn + bn));
  const double lt = na > 0.0 && xn > 0.0 ? std::log(na) + std::log(xn) : -HUGE_VAL;
  const double lb = bn > 0.0 ? std::log(bn) : -HUGE_VAL;
  const double hi = std::max(lt, lb), lo = std::min(lt, lb);
  if (!(na > 0.0) || hi == -HUGE_VAL) return num;
  const double log_sum = hi + std::log1p(std::exp(lo - hi));
  return std::exp(std::log(num) - std::log(na) - log_sum);
}

}  // namespace

template <typename T, typename U>
double forward_error(const std::vector<T>& x, const std::vector<U>& x_ref) {
  if (x.size() != x_ref.size()) {
    throw InvalidInput("forward_error: sizes differ (" + std::to_string(x.size()) + " vs " +
                       std::to_string(x_ref.size()) + ")");
  }
  Eigen::VectorXd d(static_cast<index_t>(x.size())), r(static_cast<index_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    const auto k = static_cast<index_t>(i);
    r(k) = static_cast<double>(x_ref[i]);
    d(k) = static_cast<double>(x[i]) - r(k);
  }
  if (d.hasNaN()) return std::numeric_limits<double>::quiet_NaN();
  const double diff = d.stableNorm(), ref = r.stableNorm();
  return ref > 0.0 ? diff / ref : diff;
}

template <typename T, typename U>
double normal_eq_residual(const Problem<T>& p, const std::vector<U>& x) {
  check_x(p, x, "normal_eq_residual");
  const Eigen::MatrixXd A = to_matrix(p);
  const Eigen::VectorXd xv = to_vector(x), bv = to_vector(p.b);
  const Eigen::VectorXd r = bv - A * xv;
  const double na = A.stableNorm();
  const double num = (A.transpose() * r).stableNorm();
  return scaled_ratio(num, na, xv.stableNorm(), bv.stableNorm());
}

template <typename T, typename U>
double residual_norm(const Problem<T>& p, const std::vector<U>& x) {
  check_x(p, x, "residual_norm");
  return (to_vector(p.b) - to_matrix(p) * to_vector(x)).stableNorm();
}

double lre(const std::vector<double>& x, const std::vector<double>& certified) {
  if (x.size() != certified.size()) throw InvalidInput("lre: sizes differ");
  double digits = 17.0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double c = certified[i];
    const double e = std::abs(x[i] - c);
    double d;
    if (std::isnan(x[i])) {
      d = 0.0;
    } else if (e == 0.0) {
      d = 17.0;
    } else {
      d = c != 0.0 ? -std::log10(e / std::abs(c)) : -std::log10(e);
    }
    digits = std::min(digits, std::max(0.0, std::min(17.0, d)));
  }
  return digits;
}

template <typename T, typename U>
double gd_objective(const Problem<T>& p, const std::vector<U>& x, double lambda) {
  check_x(p, x, "gd_objective");
  const Eigen::VectorXd xv = to_vector(x);
  const double r = (to_vector(p.b) - to_matrix(p) * xv).squaredNorm();
  return 0.5 * r / static_cast<double>(p.m) + 0.5 * lambda * xv.squaredNorm();
}

double flops_cholesky_ls(double m, double n) { return n * n * m + 2 * m * n + n * n * n / 3 + 2 * n * n; }
double flops_qr_ls(double m, double n) {
  return 2 * m * n * n - 2 * n * n * n / 3 + 4 * m * n - 2 * n * n + n * n;
}
double flops_svd_ls(double m, double n) { return 4 * m * n * n + 8 * n * n * n; }
double flops_gd_iter(double m, double n) { return 4 * m * n; }
double bytes_ls(double m, double n, double bytes_per_elem) { return (m * n + m + n) * bytes_per_elem; }

#define LSGD_INSTANTIATE_METRICS(T, U)                                                  \
  template double forward_error<T, U>(const std::vector<T>&, const std::vector<U>&);   \
  template double normal_eq_residual<T, U>(const Problem<T>&, const std::vector<U>&);  \
  template double residual_norm<T, U>(const Problem<T>&, const std::vector<U>&);       \
  template double gd_objective<T, U>(const Problem<T>&, const std::vector<U>&, double);
LSGD_INSTANTIATE_METRICS(float, float)
LSGD_INSTANTIATE_METRICS(float, double)
LSGD_INSTANTIATE_METRICS(double, float)
LSGD_INSTANTIATE_METRICS(double, double)
#undef LSGD_INSTANTIATE_METRICS

}  // namespace lsgd
