// BDCSVD<MatrixXd>: the secular equation and the merged problem's singular vectors, and the
// bidiagonalization it starts from (see core/bdcsvd_split.hpp).
#include "core/bdcsvd_split.hpp"

LSGD_BDCSVD_SECULAR_MEMBERS(LSGD_BDCSVD_DEFINE)
template class Eigen::internal::UpperBidiagonalization<Eigen::MatrixXd>;
