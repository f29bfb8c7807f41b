#pragma once
// The checks cuda.qr, cuda.qr.augmented, cuda.qr.refined, cuda.gels and cuda.gels_irs (and
// cuda.cholesky's overflow message) share after the timed region (host side, on the status words
// and the copies of diag(R) and of R's column norms the solve left in pinned memory).
#include <cmath>
#include <cstddef>
#include <sstream>
#include <string>

#include "common/rank_tolerance.hpp"
#include "lsgd/error.hpp"
#include "lsgd/problem.hpp"

namespace lsgd::cuda {

// Throws DeviceError naming the call when cuSOLVER's devInfo of geqrf or ormqr is negative (an
// illegal argument).
inline void check_qr_infos(const std::string& solver, int geqrf_info, int ormqr_info) {
  for (const int which : {0, 1}) {
    const int info = which == 0 ? geqrf_info : ormqr_info;
    if (info < 0) {
      std::ostringstream os;
      os << solver << ": cuSOLVER rejected argument " << -info << " of "
         << (which == 0 ? "cusolverDnXgeqrf" : "cusolverDn<t>ormqr");
      throw DeviceError(os.str());
    }
  }
}

// The NumericalError of column j (0-based, as the GPU solvers' messages count) whose norm is not
// finite in T.
[[noreturn]] inline void throw_column_overflow(const std::string& solver, size_t j) {
  std::ostringstream os;
  os << solver << ": the norm of column " << j
     << " (0-based) of A is not finite in this precision (overflow); rescale the columns of A";
  throw NumericalError(os.str());
}

// Throws NumericalError with cpu.qr's rule and tolerance (common/rank_tolerance.hpp) for R of an
// A with m rows: a column whose norm ||R(0:j, j)|| (= ||a_j||, norms[j]) is not finite is an
// overflow; column j is numerically dependent on the columns before it when
// |R(j,j)| <= 10 sqrt(m) eps ||a_j||. diag and norms hold n entries each (diag(R), and the
// column norms from r_column_norms, kernels/lstsq_kernels.hpp). Columns are counted from 0.
template <typename T>
void check_r_full_rank(const std::string& solver, index_t m, const T* diag, const T* norms,
                       size_t n) {
  const T tol = cpu::rank_tolerance<T>(m);
  for (size_t j = 0; j < n; ++j) {
    const double norm = static_cast<double>(norms[j]);
    if (!std::isfinite(norm)) throw_column_overflow(solver, j);
    if (cpu::r_column_dependent(diag[j], norm, tol)) {
      std::ostringstream os;
      os << solver << ": A is rank deficient to working precision (|R(" << j << "," << j
         << ")| = " << std::abs(diag[j]) << " vs column norm " << norm << ", tolerance " << tol
         << " = 10 sqrt(m) eps: column " << j
         << ", 0-based, lies in the span of the columns before it); use cuda.svd";
      throw NumericalError(os.str());
    }
  }
}

}  // namespace lsgd::cuda
