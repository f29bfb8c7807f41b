#include <Eigen/SVD>

#include "core/singular_values.hpp"

// BDCSVD solves its small blocks with JacobiSVD<MatrixXd>, instantiated in
// singular_values_jacobi.cpp: not compiled a second time here.
extern template class Eigen::JacobiSVD<Eigen::MatrixXd>;

namespace lsgd::detail {

Eigen::VectorXd singular_values_bdc(const Eigen::MatrixXd& A) {
  return Eigen::BDCSVD<Eigen::MatrixXd>(A).singularValues();
}

}  // namespace lsgd::detail
