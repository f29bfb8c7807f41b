#pragma once
// Accuracy metrics (LAPACK style) and flop / byte models (LAWN 41). Computed in double.
#include <limits>
#include <vector>

#include "lsgd/problem.hpp"

namespace lsgd {

template <typename T>
constexpr double eps() {
  return static_cast<double>(std::numeric_limits<T>::epsilon());
}

// Every norm below is computed without overflow or underflow of intermediate sums of squares (a
// column of 1e299 beside one of 1e-300 gives finite, meaningful values).

// ||x - x_ref|| / ||x_ref|| (2-norms); ||x - x_ref|| if x_ref = 0.
template <typename T, typename U>
double forward_error(const std::vector<T>& x, const std::vector<U>& x_ref);

// ||A^T (b - A x)|| / (||A||_F (||A||_F ||x|| + ||b||)): small (c * eps) for a backward-stable solver.
template <typename T, typename U>
double normal_eq_residual(const Problem<T>& p, const std::vector<U>& x);

// ||b - A x||_2
template <typename T, typename U>
double residual_norm(const Problem<T>& p, const std::vector<U>& x);

// Log relative error (digits correct), min over components: -log10(|x_i - c_i| / |c_i|), capped at
// 17 (or -log10|x_i| where c_i = 0).
double lre(const std::vector<double>& x, const std::vector<double>& certified);

// f(x) = 1/(2m)||Ax - b||^2 + lambda/2 ||x||^2
template <typename T, typename U>
double gd_objective(const Problem<T>& p, const std::vector<U>& x, double lambda = 0.0);

// The condition number, one definition and one computation for everything lsgd prints or tests
// with (lsgd solve --stats, --solver all, the GD error bound, the accuracy suites):
//   kappa        = kappa_2(A) = sigma_max(A) / sigma_min(A), sigma_min the min(m, n)-th singular
//                  value (inf when A is rank deficient): statsmodels' "Cond. No.", NumPy's cond(A);
//   kappa_scaled = kappa_2 of A with every nonzero column scaled to unit 2-norm: what limits QR,
//                  equilibrated solvers and refinement (van der Sluis: within sqrt(n) of the best
//                  column scaling).
// Computed in double: Householder QR of A D (D: exact power-of-two column scales), then the
// one-sided Jacobi SVD (LAPACK GESVJ) of R, which gets every singular value to about
// kappa_scaled * eps relative accuracy however large kappa is (core/conditioning.cpp). Cost: the QR
// (2 m n^2) plus O(n^3) Jacobi sweeps on min(m, n)^2.
struct Conditioning {
  double sigma_max = 0.0;
  double sigma_min = 0.0;
  double kappa = 0.0;
  double kappa_scaled = 0.0;
};
template <typename T>
Conditioning conditioning(const Problem<T>& p);
template <typename T>
double condition_number(const Problem<T>& p);  // conditioning(p).kappa

// Flop models for an m x n problem (m >= n unless stated).
double flops_cholesky_ls(double m, double n);  // SYRK n^2 m + GEMV 2mn + POTRF n^3/3 + 2 TRSV 2n^2
double flops_qr_ls(double m, double n);        // GEQRF 2mn^2 - 2n^3/3 + ORMQR 4mn - 2n^2 + TRSV n^2
double flops_svd_ls(double m, double n);       // 4mn^2 + 8n^3 (R-bidiagonalization + QR iteration)
double flops_gd_iter(double m, double n);      // 4mn
// Bytes read once for A and b (and x written) in precision `bytes_per_elem`.
double bytes_ls(double m, double n, double bytes_per_elem);

}  // namespace lsgd
