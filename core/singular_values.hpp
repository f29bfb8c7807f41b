#pragma once
// Singular values in double for condition_number(). The Eigen SVDs are heavy templates to compile:
// JacobiSVD<MatrixXd> is instantiated once in singular_values_jacobi.cpp, BDCSVD<MatrixXd> is spread
// over three translation units (core/bdcsvd_split.hpp), so that none is slow to compile.
#include <Eigen/Core>

namespace lsgd::detail {

// Descending. One-sided Jacobi: accurate, O(n^3) per sweep; for small min(m, n).
Eigen::VectorXd singular_values_jacobi(const Eigen::MatrixXd& A);
// Descending. Divide and conquer (Jacobi below 16 columns); for larger min(m, n).
Eigen::VectorXd singular_values_bdc(const Eigen::MatrixXd& A);

}  // namespace lsgd::detail
