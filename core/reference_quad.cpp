// Householder QR of [A b] in 113-bit floating point: the exact least-squares solution of the rounded
// data, to grade solvers near double's precision (include/lsgd/reference.hpp).
#include <cfloat>
#include <cmath>
#include <string>
#include <vector>

#include "lsgd/error.hpp"
#include "lsgd/reference.hpp"

namespace lsgd {
namespace {

#if defined(__SIZEOF_FLOAT128__) && !defined(__CUDACC__)
#define LSGD_HAVE_QUAD 1
using quad = __float128;
#elif LDBL_MANT_DIG >= 113
#define LSGD_HAVE_QUAD 1
using quad = long double;
#else
#define LSGD_HAVE_QUAD 0
#endif

#if LSGD_HAVE_QUAD
quad qabs(quad v) { return v < 0 ? -v : v; }

// Square root to full quad precision: Newton's iteration from double's root doubles the correct bits
// each step (53 -> 106 -> 113+). No libquadmath needed.
quad qsqrt(quad v) {
  if (!(v > 0)) return 0;
  quad y = std::sqrt(static_cast<double>(v));
  y = (y + v / y) / 2;
  y = (y + v / y) / 2;
  return y;
}

template <typename T>
std::vector<double> solve_quad(const Problem<T>& p) {
  const index_t m = p.m, n = p.n, ld = m;
  const size_t cols = static_cast<size_t>(n + 1);
  std::vector<quad> W(static_cast<size_t>(m) * cols);  // [A b], column-major
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < m; ++i) W[static_cast<size_t>(j * ld + i)] = static_cast<double>(p.a(i, j));
  }
  for (index_t i = 0; i < m; ++i) W[static_cast<size_t>(n * ld + i)] = static_cast<double>(p.b[static_cast<size_t>(i)]);

  // Largest column norm, for the rank test below.
  quad amax = 0;
  for (index_t j = 0; j < n; ++j) {
    quad s = 0;
    for (index_t i = 0; i < m; ++i) s += W[static_cast<size_t>(j * ld + i)] * W[static_cast<size_t>(j * ld + i)];
    if (s > amax) amax = s;
  }
  amax = qsqrt(amax);
  if (!(amax > 0)) throw NumericalError("lstsq_reference: A is zero");

  for (index_t k = 0; k < n; ++k) {
    quad* col = &W[static_cast<size_t>(k * ld)];
    quad norm2 = 0;
    for (index_t i = k; i < m; ++i) norm2 += col[i] * col[i];
    const quad norm = qsqrt(norm2);
    // A pivot below 1e-30 of the largest column is zero at quad precision: rank deficient.
    if (!(norm > amax * static_cast<quad>(1e-30))) {
      throw NumericalError("lstsq_reference: A is rank deficient (column " + std::to_string(k + 1) +
                           " depends on the previous ones even in quad precision)");
    }
    const quad alpha = col[k] > 0 ? -norm : norm;  // R(k,k), sign chosen against cancellation
    // v = x - alpha e1, stored in place; H = I - v v^T / (v^T v), v^T v = 2 norm (norm + |x_k|).
    col[k] -= alpha;
    const quad vtv = 2 * norm * (norm + qabs(col[k] + alpha));
    for (index_t j = k + 1; j <= n; ++j) {
      quad* c = &W[static_cast<size_t>(j * ld)];
      quad dot = 0;
      for (index_t i = k; i < m; ++i) dot += col[i] * c[i];
      const quad f = 2 * dot / vtv;
      for (index_t i = k; i < m; ++i) c[i] -= f * col[i];
    }
    col[k] = alpha;  // R(k,k); the rest of v is no longer needed
  }
  // Back substitution R x = (Q^T b)(1:n).
  std::vector<quad> x(static_cast<size_t>(n));
  const quad* qtb = &W[static_cast<size_t>(n * ld)];
  for (index_t i = n - 1; i >= 0; --i) {
    quad s = qtb[i];
    for (index_t j = i + 1; j < n; ++j) s -= W[static_cast<size_t>(j * ld + i)] * x[static_cast<size_t>(j)];
    x[static_cast<size_t>(i)] = s / W[static_cast<size_t>(i * ld + i)];
  }
  std::vector<double> out(static_cast<size_t>(n));
  for (index_t j = 0; j < n; ++j) out[static_cast<size_t>(j)] = static_cast<double>(x[static_cast<size_t>(j)]);
  return out;
}
#endif

}  // namespace

bool has_quad_reference() { return LSGD_HAVE_QUAD != 0; }

template <typename T>
std::vector<double> lstsq_reference(const Problem<T>& p) {
  p.validate();
  if (p.m < p.n) {
    throw InvalidInput("lstsq_reference: m = " + std::to_string(p.m) + " < n = " +
                       std::to_string(p.n) + " (the reference is for overdetermined problems)");
  }
#if LSGD_HAVE_QUAD
  return solve_quad(p);
#else
  throw Error("lstsq_reference: this compiler has no 113-bit floating-point type");
#endif
}

template std::vector<double> lstsq_reference<float>(const Problem<float>&);
template std::vector<double> lstsq_reference<double>(const Problem<double>&);

}  // namespace lsgd
