#pragma once
// Overflow-safe norms and column equilibration by powers of two, shared by the direct solvers
// (cpu/lstsq_*.cpp), the condition numbers (core/conditioning.cpp) and the statistics
// (cpu/regression_stats.cpp).
//
// Equilibration solves (A D) z = b and returns x = D z, D = diag(d_j) with d_j a power of two that
// brings ||a_j d_j|| into [1, 4). Powers of two are exact: a Householder QR, a Gram matrix and a
// Cholesky factor of A D are those of A with every column scaled, bit for bit, unless a value over-
// or underflows; what changes is only what is relative to the largest column (the rank decision
// of the rank-revealing solvers, the bidiagonalization of GELSD) and whether A^T A or ||A||
// overflow. Unit-norm columns are what van der Sluis' theorem makes nearly optimal: kappa(A D) is
// within sqrt(n) of the smallest condition number over all column scalings.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "lsgd/problem.hpp"

namespace lsgd::cpu {

// ||v||, scaled like LAPACK's nrm2 so that entries near 1e300 do not overflow the sum of squares
// (the largest |v_i| when that is 0 or not finite).
template <typename T>
double scaled_norm(const T* v, index_t n) {
  double big = 0.0;
  for (index_t i = 0; i < n; ++i) big = std::max(big, std::abs(static_cast<double>(v[i])));
  if (!(big > 0.0) || !std::isfinite(big)) return big;
  double s = 0.0;
  for (index_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(v[i]) / big;
    s += t * t;
  }
  return big * std::sqrt(s);
}

// The power of two d with ||v|| d in [1, 4), computed without forming ||v|| (which may overflow
// T, or double, when every entry is near the largest finite value); 1 for v = 0. The exponent is
// clamped so that d and 1/d are normal numbers of T (a column of subnormals stays below 1).
template <typename T>
T column_scale(const T* v, index_t n) {
  double big = 0.0;
  for (index_t i = 0; i < n; ++i) big = std::max(big, std::abs(static_cast<double>(v[i])));
  if (!(big > 0.0) || !std::isfinite(big)) return T(1);
  double s = 0.0;
  for (index_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(v[i]) / big;
    s += t * t;
  }
  const int limit = std::numeric_limits<T>::max_exponent - 3;
  const int k = std::clamp(std::ilogb(big) + std::ilogb(std::sqrt(s)), -limit, limit);
  return static_cast<T>(std::ldexp(1.0, -k));
}

// d_j = column_scale of column j of the m x n column-major A, for every column.
template <typename T>
std::vector<T> column_scales(const T* A, index_t m, index_t n) {
  std::vector<T> d(static_cast<size_t>(n));
  for (index_t j = 0; j < n; ++j) d[static_cast<size_t>(j)] = column_scale(A + j * m, m);
  return d;
}

// dst = src diag(d) (m x n, column-major; d empty: a plain copy).
template <typename T>
void copy_scaled_columns(const T* src, index_t m, index_t n, const std::vector<T>& d, T* dst) {
  for (index_t j = 0; j < n; ++j) {
    const T* s = src + j * m;
    T* t = dst + j * m;
    if (d.empty()) {
      std::copy(s, s + m, t);
    } else {
      const T dj = d[static_cast<size_t>(j)];
      for (index_t i = 0; i < m; ++i) t[i] = s[i] * dj;
    }
  }
}

}  // namespace lsgd::cpu
