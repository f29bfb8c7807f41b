#pragma once
// A reference gradient descent in double that follows the GD conventions exactly
// (kernels/bgd_kernels.cuh): the CUDA GD solvers' tests (tests/test_gpu_gd.cpp) and the kernel
// tests (tests/emu) compare against it.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "lsgd/metrics.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/solver.hpp"

namespace lsgd::test {

// ---- Reference gradient descent, in double, following the conventions exactly.
struct RefResult {
  std::vector<double> x;
  std::vector<double> f;      // f(x_k) for every evaluated k (not the diverged one)
  std::vector<double> gnorm;  // ||grad f(x_k)|| for every evaluated k, the diverged one included
  std::vector<double> fall;   // f(x_k) for every evaluated k, the diverged one included
  int iterations = 0;
  bool diverged = false;
  double L = 0.0;
};

template <typename T>
RefResult reference_gd(const T* A, const T* b, index_t m, index_t n, const SolverOptions& o) {
  auto grad = [&](const std::vector<double>& x, bool with_b, std::vector<double>& g) -> double {
    std::vector<double> r(static_cast<size_t>(m), 0.0);
    for (index_t j = 0; j < n; ++j) {
      const double xj = x[static_cast<size_t>(j)];
      for (index_t i = 0; i < m; ++i) r[static_cast<size_t>(i)] += A[j * m + i] * xj;
    }
    double rr = 0.0;
    for (index_t i = 0; i < m; ++i) {
      if (with_b) r[static_cast<size_t>(i)] -= b[i];
      rr += r[static_cast<size_t>(i)] * r[static_cast<size_t>(i)];
    }
    g.assign(static_cast<size_t>(n), 0.0);
    for (index_t j = 0; j < n; ++j) {
      double s = 0.0;
      for (index_t i = 0; i < m; ++i) s += A[j * m + i] * r[static_cast<size_t>(i)];
      g[static_cast<size_t>(j)] = s / static_cast<double>(m);
    }
    return rr;
  };
  auto norm = [](const std::vector<double>& v) {
    double s = 0.0;
    for (double e : v) s += e * e;
    return std::sqrt(s);
  };
  RefResult out;
  std::vector<double> g;
  if (o.lipschitz > 0.0) {
    out.L = o.lipschitz;
  } else {
    std::vector<double> v(static_cast<size_t>(n), 1.0 / std::sqrt(static_cast<double>(n)));
    double L = 0.0;
    for (int it = 0; it < o.power_iters; ++it) {
      grad(v, false, g);
      L = norm(g);
      for (index_t j = 0; j < n; ++j) v[static_cast<size_t>(j)] = L > 0 ? g[j] / L : 0.0;
    }
    out.L = L + o.ridge_lambda;
  }
  const double alpha = o.step > 0.0 ? o.step : 1.0 / out.L;
  std::vector<double> x(static_cast<size_t>(n), 0.0);
  double f0 = 0.0, g0 = 0.0;
  for (int k = 0;; ++k) {
    const double rr = grad(x, true, g);
    const double xx = norm(x) * norm(x);
    for (index_t j = 0; j < n; ++j) g[j] += o.ridge_lambda * x[static_cast<size_t>(j)];
    const double f = rr / (2.0 * static_cast<double>(m)) + 0.5 * o.ridge_lambda * xx;
    const double gn = norm(g);
    if (k == 0) {
      f0 = f;
      g0 = gn;
    }
    out.iterations = k;
    out.gnorm.push_back(gn);
    out.fall.push_back(f);
    if (!std::isfinite(f) || !std::isfinite(gn) ||
        f > 1e8 * std::max(f0, std::numeric_limits<double>::min())) {
      out.diverged = true;
      break;
    }
    out.f.push_back(f);
    if (o.tol > 0.0 && gn <= o.tol * g0) break;
    if (k == o.max_iters) break;
    for (index_t j = 0; j < n; ++j) x[static_cast<size_t>(j)] -= alpha * g[static_cast<size_t>(j)];
  }
  out.x = x;
  return out;
}

template <typename T, typename U>
double rel_diff(const T* x, const std::vector<U>& ref, index_t n) {
  double d = 0.0, r = 0.0;
  for (index_t j = 0; j < n; ++j) {
    const double e = static_cast<double>(x[j]) - static_cast<double>(ref[static_cast<size_t>(j)]);
    d += e * e;
    r += static_cast<double>(ref[static_cast<size_t>(j)]) * static_cast<double>(ref[j]);
  }
  return r > 0 ? std::sqrt(d / r) : std::sqrt(d);
}

// Rounding-level agreement after K iterations: the GD map is a contraction, so rounding errors add
// up at most linearly in K; the estimate of L (and so the step) differs at eps level.
template <typename T>
double agree_tol(int K, double kappa) {
  return 20.0 * (K + 20) * kappa * eps<T>();
}

}  // namespace lsgd::test
