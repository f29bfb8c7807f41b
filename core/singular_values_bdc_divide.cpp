// BDCSVD<MatrixXd>: divide and conquer and deflation (see core/bdcsvd_split.hpp).
#include "core/bdcsvd_split.hpp"

LSGD_BDCSVD_DIVIDE_MEMBERS(LSGD_BDCSVD_DEFINE)
