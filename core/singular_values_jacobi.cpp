// JacobiSVD<MatrixXd>, instantiated once: condition_number's small-matrix path.
#include <Eigen/SVD>

#include "core/singular_values.hpp"

template class Eigen::JacobiSVD<Eigen::MatrixXd>;

namespace lsgd::detail {

Eigen::VectorXd singular_values_jacobi(const Eigen::MatrixXd& A) {
  return Eigen::JacobiSVD<Eigen::MatrixXd>(A).singularValues();
}

}  // namespace lsgd::detail
