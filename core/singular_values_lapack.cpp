// Singular values of a larger matrix for condition_number(): LAPACK's divide-and-conquer DGESDD,
// values only (the library the CPU solvers already link; Eigen's BDCSVD cost 36 s to compile).
#include <string>

#include "core/singular_values.hpp"
#include "cpu/lapack.hpp"
#include "lsgd/error.hpp"

namespace lsgd::detail {

Eigen::VectorXd singular_values_dc(const Eigen::MatrixXd& A) {
  Eigen::MatrixXd W = A;  // DGESDD overwrites its input
  const int m = cpu::lapack::dim(W.rows(), "m"), n = cpu::lapack::dim(W.cols(), "n");
  Eigen::VectorXd s(std::min(W.rows(), W.cols()));
  const int info = cpu::lapack::gesdd_values(m, n, W.data(), std::max(1, m), s.data());
  if (info > 0) {
    throw NumericalError("condition number: the SVD (DGESDD) did not converge (" +
                         std::to_string(info) + " superdiagonals)");
  }
  return s;
}

}  // namespace lsgd::detail
