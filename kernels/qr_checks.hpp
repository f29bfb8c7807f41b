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

// Throws NumericalError with cpu.qr's test and message (cpu::check_r_column,
// common/rank_tolerance.hpp) for R of an A with m rows: diag and norms hold n entries each
// (diag(R), and the column norms ||R(0:j, j)|| = ||a_j|| from r_column_norms,
// kernels/lstsq_kernels.hpp).
template <typename T>
void check_r_full_rank(const std::string& solver, index_t m, const T* diag, const T* norms,
                       size_t n) {
  const T tol = cpu::rank_tolerance<T>(m);
  for (size_t j = 0; j < n; ++j) {
    cpu::check_r_column(solver, static_cast<index_t>(j), diag[j], static_cast<double>(norms[j]),
                        tol, "cuda.svd");
  }
}

}  // namespace lsgd::cuda
