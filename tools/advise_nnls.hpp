#pragma once
// Nonnegative least squares, min ||A x - b|| subject to x >= 0 (Lawson and Hanson's active-set
// method, "Solving Least Squares Problems", 1974, ch. 23), for the few coefficients of a
// performance model: a fixed cost, seconds per flop, seconds per byte, none of which can be
// negative.
#include <Eigen/Core>

namespace lsgd::advise {

// Columns of A that are all zero get a zero coefficient. Columns are scaled to unit norm inside, so
// that features of different magnitudes (1, flops ~ 1e12, bytes ~ 1e9) do not decide the result.
Eigen::VectorXd nnls(const Eigen::MatrixXd& A, const Eigen::VectorXd& b);

}  // namespace lsgd::advise
