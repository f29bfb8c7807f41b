#pragma once
// The stopping rule and the error estimate of the single-problem gradient-descent solvers (cpu.gd*,
// mpi.gd*, cpu.sgd), apart from the passes over A (gd_common.hpp) so that each can change alone.
//
// f(x) = 1/(2m)||Ax - b||^2 + lambda/2 ||x||^2 has the constant Hessian H = A^T A / m + lambda I,
// so x - x* = H^-1 grad f(x) and, with mu the smallest eigenvalue of H,
//     ||x - x*|| <= ||grad f(x)|| / mu.
// GD stops when that bound, relative to ||x||, is below tol: the error in the coefficients, which
// is what a user means by converged. The relative gradient ||grad f(x)|| <= tol ||grad f(0)|| it
// replaces bounds only the backward error (the normal-equation residual): on raw data with
// kappa(H) = 8e11 it stopped after 876 iterations with every coefficient wrong (issue 25).
//
// mu comes from Lanczos with full reorthogonalization on H, started from c = A^T b / m = -grad
// f(0): every gradient and every error x_k - x* of the iteration lies in the Krylov space of H and
// c, so once Lanczos has exhausted that space (at most n steps) its smallest Ritz value is the mu
// that governs the error, up to rounding. With fewer steps than n it is an upper estimate of mu (a
// Ritz value), and the error estimate may be low: `lsgd solve` then checks the coefficients it
// prints with sigma_min from lsgd::conditioning() (tools/cli_solve.cpp). Cost: min(n,
// kLanczosSteps) + 1 passes over A (the power iteration for the step takes power_iters), only when
// tol > 0.
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <Eigen/Eigenvalues>

#include "cpu/cpu_common.hpp"

namespace lsgd::cpu::gd {

constexpr int kLanczosSteps = 32;

// What Lanczos learnt about the spectrum of H.
struct Spectrum {
  double mu = 0.0;         // smallest Ritz value: an estimate of H's smallest eigenvalue (> 0)
  double top = 0.0;        // largest Ritz value
  int steps = 0;           // Lanczos steps taken
  bool exhausted = false;  // the Krylov space of c was exhausted: mu is exact up to rounding
};

// Lanczos on H from c: eval(x, b, lambda, g, need_grad) is the gradient evaluation of
// gd_common.hpp (g = A^T (A x - b) / m + lambda x). One evaluation for c, then one per step. Every
// thread of a region (every rank) runs it on the same values and gets the same result.
template <typename T, typename Eval>
Spectrum lanczos(Eval&& eval, index_t n, const T* b, double lambda, int max_steps) {
  Spectrum s;
  const int k_max = static_cast<int>(std::min<index_t>(n, max_steps));
  Vec<T> xt = Vec<T>::Zero(n), gt(n);
  eval(xt.data(), b, T(0), gt.data(), true);  // g = -c
  Eigen::MatrixXd Q(n, k_max + 1);
  Eigen::VectorXd w = gt.template cast<double>();
  double beta = w.norm();
  if (!(beta > 0.0) || !std::isfinite(beta) || k_max == 0) {
    s.exhausted = true;  // c = 0: x* = 0 (no error to bound)
    return s;
  }
  std::vector<double> alpha, offdiag;
  Q.col(0) = w / beta;
  const double tiny = 100.0 * static_cast<double>(std::numeric_limits<T>::epsilon());
  double scale = 0.0;
  for (int j = 0; j < k_max; ++j) {
    xt = Q.col(j).cast<T>();
    eval(xt.data(), static_cast<const T*>(nullptr), static_cast<T>(lambda), gt.data(), true);
    w = gt.template cast<double>();
    const double a = Q.col(j).dot(w);
    alpha.push_back(a);
    // Full reorthogonalization, twice ("twice is enough"): cheap next to a pass over A for the
    // handful of steps taken, and it keeps the Ritz values free of Lanczos' ghost copies.
    for (int rep = 0; rep < 2; ++rep) {
      w -= Q.leftCols(j + 1) * (Q.leftCols(j + 1).transpose() * w);
    }
    beta = w.norm();
    scale = std::max(scale, std::abs(a) + beta);
    s.steps = j + 1;
    if (!std::isfinite(beta) || beta <= tiny * scale || j + 1 == n) {
      s.exhausted = std::isfinite(beta);
      break;
    }
    if (j + 1 < k_max) {
      offdiag.push_back(beta);
      Q.col(j + 1) = w / beta;
    }
  }
  const int k = s.steps;
  Eigen::VectorXd d = Eigen::Map<const Eigen::VectorXd>(alpha.data(), k);
  Eigen::VectorXd e(std::max(0, k - 1));
  for (int i = 0; i + 1 < k; ++i) e(i) = offdiag[static_cast<size_t>(i)];
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig;
  eig.computeFromTridiagonal(d, e, Eigen::EigenvaluesOnly);
  s.mu = eig.eigenvalues().minCoeff();
  s.top = eig.eigenvalues().maxCoeff();
  return s;
}

// ||x - x*|| / ||x|| <= ||grad f(x)|| / (mu ||x||): 0 at a zero gradient, +inf when mu or ||x||
// is 0 (nothing can be said).
inline double forward_error_estimate(double grad_norm, double x_norm, double mu) {
  if (grad_norm == 0.0) return 0.0;
  if (!(mu > 0.0) || !(x_norm > 0.0)) return std::numeric_limits<double>::infinity();
  return grad_norm / (mu * x_norm);
}

// The stopping test after the gradient at x_k is known. mu > 0: the forward-error estimate is at
// most tol. mu = 0 (no estimate: cpu.bgd, whose batched twins on the GPU share its rule): the
// relative gradient ||grad f(x_k)|| <= tol ||grad f(x_0)||. tol = 0 never stops.
inline bool stop_test(double tol, double grad_norm, double grad0_norm, double x_norm, double mu) {
  if (!(tol > 0.0)) return false;
  if (mu > 0.0) return forward_error_estimate(grad_norm, x_norm, mu) <= tol;
  return grad_norm <= tol * grad0_norm;
}

// The note of a solve that stopped at max_iters, once (no repetition of the limit by the caller).
inline std::string not_converged_note(const std::string& who, int iters, double tol,
                                      double estimate, double rel_grad, double L, double mu) {
  std::ostringstream os;
  os.precision(3);
  os << who << ": not converged within max_iters = " << iters << ": ";
  if (mu > 0.0) {
    os << "estimated forward error ||x - x*|| / ||x|| = " << estimate << " > tol = " << tol
       << "; kappa(H) = L / mu ~ " << L / mu
       << " (H = A^T A / m + lambda I), and gradient descent needs about kappa(H) ln(1 / tol) "
          "iterations: raise max_iters, use a momentum or Nesterov variant, standardize the "
          "columns, or use a direct solver";
  } else {
    os << "||grad|| / ||grad0|| = " << rel_grad << " > tol = " << tol;
  }
  return os.str();
}

}  // namespace lsgd::cpu::gd
