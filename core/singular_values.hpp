#pragma once
// Singular values in double for condition_number(): Eigen's JacobiSVD<MatrixXd> (instantiated once,
// in singular_values_jacobi.cpp) for small matrices, LAPACK's DGESDD for larger ones.
#include <Eigen/Core>

namespace lsgd::detail {

// Descending. One-sided Jacobi: accurate, O(n^3) per sweep; for small min(m, n).
Eigen::VectorXd singular_values_jacobi(const Eigen::MatrixXd& A);
// Descending. LAPACK DGESDD (divide and conquer); for larger min(m, n).
Eigen::VectorXd singular_values_dc(const Eigen::MatrixXd& A);

}  // namespace lsgd::detail
