#pragma once
// Singular values in double, one Eigen SVD per translation unit (each is a heavy template to
// compile): singular_values_jacobi.cpp holds JacobiSVD<MatrixXd> (explicitly instantiated, and reused
// by BDCSVD for its small blocks), singular_values_bdc.cpp holds BDCSVD<MatrixXd>.
#include <Eigen/Core>

namespace lsgd::detail {

// Descending. One-sided Jacobi: accurate, O(n^3) per sweep; for small min(m, n).
Eigen::VectorXd singular_values_jacobi(const Eigen::MatrixXd& A);
// Descending. Divide and conquer (Jacobi below 16 columns); for larger min(m, n).
Eigen::VectorXd singular_values_bdc(const Eigen::MatrixXd& A);

}  // namespace lsgd::detail
