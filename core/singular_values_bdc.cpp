// BDCSVD<MatrixXd>'s driver (constructor, compute, allocate, copyUV); its heavy members are
// instantiated in the TUs core/bdcsvd_split.hpp names.
#include "core/bdcsvd_split.hpp"
#include "core/singular_values.hpp"

namespace lsgd::detail {

Eigen::VectorXd singular_values_bdc(const Eigen::MatrixXd& A) {
  return Eigen::BDCSVD<Eigen::MatrixXd>(A).singularValues();
}

}  // namespace lsgd::detail
