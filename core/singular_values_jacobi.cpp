#include <Eigen/SVD>

#include "core/singular_values.hpp"

// The one instantiation of JacobiSVD<MatrixXd>: singular_values_bdc.cpp declares it extern.
template class Eigen::JacobiSVD<Eigen::MatrixXd>;

namespace lsgd::detail {

Eigen::VectorXd singular_values_jacobi(const Eigen::MatrixXd& A) {
  return Eigen::JacobiSVD<Eigen::MatrixXd>(A).singularValues();
}

}  // namespace lsgd::detail
