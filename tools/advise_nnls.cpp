#include "tools/advise_nnls.hpp"

#include <Eigen/QR>

#include <vector>

namespace lsgd::advise {
namespace {

// Least squares on the columns in `set` (a basic solution: ColPivHouseholderQR), zero elsewhere.
Eigen::VectorXd solve_on(const Eigen::MatrixXd& A, const Eigen::VectorXd& b,
                         const std::vector<bool>& set) {
  std::vector<Eigen::Index> cols;
  for (Eigen::Index j = 0; j < A.cols(); ++j) {
    if (set[static_cast<size_t>(j)]) cols.push_back(j);
  }
  Eigen::MatrixXd sub(A.rows(), static_cast<Eigen::Index>(cols.size()));
  for (size_t k = 0; k < cols.size(); ++k) sub.col(static_cast<Eigen::Index>(k)) = A.col(cols[k]);
  const Eigen::VectorXd z = sub.colPivHouseholderQr().solve(b);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(A.cols());
  for (size_t k = 0; k < cols.size(); ++k) x(cols[k]) = z(static_cast<Eigen::Index>(k));
  return x;
}

}  // namespace

Eigen::VectorXd nnls(const Eigen::MatrixXd& A0, const Eigen::VectorXd& b) {
  const Eigen::Index n = A0.cols();
  Eigen::VectorXd scale = A0.colwise().norm().transpose();
  Eigen::MatrixXd A = A0;
  std::vector<bool> usable(static_cast<size_t>(n));
  for (Eigen::Index j = 0; j < n; ++j) {
    usable[static_cast<size_t>(j)] = scale(j) > 0;
    if (scale(j) > 0) A.col(j) /= scale(j);
  }
  const double tol = 1e-12 * (1.0 + b.norm());
  Eigen::VectorXd x = Eigen::VectorXd::Zero(n);
  std::vector<bool> passive(static_cast<size_t>(n), false);
  // Each outer step adds one column; an inner step drops at least one: 3n outer steps bound the
  // work on degenerate (rank-deficient) inputs, where exact arithmetic would also stop.
  for (int outer = 0; outer < 3 * static_cast<int>(n) + 3; ++outer) {
    const Eigen::VectorXd w = A.transpose() * (b - A * x);
    Eigen::Index best = -1;
    for (Eigen::Index j = 0; j < n; ++j) {
      const auto uj = static_cast<size_t>(j);
      if (usable[uj] && !passive[uj] && w(j) > tol && (best < 0 || w(j) > w(best))) best = j;
    }
    if (best < 0) break;
    passive[static_cast<size_t>(best)] = true;
    for (int inner = 0; inner <= static_cast<int>(n); ++inner) {
      const Eigen::VectorXd s = solve_on(A, b, passive);
      bool feasible = true;
      double alpha = 1.0;
      for (Eigen::Index j = 0; j < n; ++j) {
        if (passive[static_cast<size_t>(j)] && s(j) <= 0) {
          feasible = false;
          const double denom = x(j) - s(j);
          if (denom > 0) alpha = std::min(alpha, x(j) / denom);
        }
      }
      if (feasible) {
        x = s;
        break;
      }
      x += alpha * (s - x);
      for (Eigen::Index j = 0; j < n; ++j) {
        if (passive[static_cast<size_t>(j)] && x(j) <= 1e-15 * (1.0 + std::abs(s(j)))) {
          passive[static_cast<size_t>(j)] = false;
          x(j) = 0;
        }
      }
    }
  }
  for (Eigen::Index j = 0; j < n; ++j) x(j) = scale(j) > 0 ? std::max(0.0, x(j)) / scale(j) : 0.0;
  return x;
}

}  // namespace lsgd::advise
