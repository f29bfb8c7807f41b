// JacobiSVD<MatrixXd>, instantiated once: condition_number's small-n path, and BDCSVD's base case
// (core/bdcsvd_split.hpp declares it extern elsewhere).
#include <Eigen/SVD>

#include "core/singular_values.hpp"

template class Eigen::JacobiSVD<Eigen::MatrixXd>;

namespace lsgd::detail {

Eigen::VectorXd singular_values_jacobi(const Eigen::MatrixXd& A) {
  return Eigen::JacobiSVD<Eigen::MatrixXd>(A).singularValues();
}

}  // namespace lsgd::detail
