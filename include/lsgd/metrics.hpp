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

// 2-norm condition number by SVD (Eigen JacobiSVD for small n, BDCSVD otherwise), in double.
template <typename T>
double condition_number(const Problem<T>& p);

// Flop models for an m x n problem (m >= n unless stated).
double flops_cholesky_ls(double m, double n);  // SYRK n^2 m + GEMV 2mn + POTRF n^3/3 + 2 TRSV 2n^2
double flops_qr_ls(double m, double n);        // GEQRF 2mn^2 - 2n^3/3 + ORMQR 4mn - 2n^2 + TRSV n^2
double flops_svd_ls(double m, double n);       // 4mn^2 + 8n^3 (R-bidiagonalization + QR iteration)
double flops_gd_iter(double m, double n);      // 4mn
// Bytes read once for A and b (and x written) in precision `bytes_per_elem`.
double bytes_ls(double m, double n, double bytes_per_elem);

}  // namespace lsgd
