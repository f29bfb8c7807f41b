#pragma once
// The checks cuda.qr, cuda.qr.augmented and cuda.qr.refined share after the timed region (host
// side, on the status words and the diag(R) copy the solve left in pinned memory).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <sstream>
#include <string>

#include "lsgd/error.hpp"

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

// Throws NumericalError, as cpu.qr does, when |R_jj| <= eps * max_k |R_kk|: A is rank deficient to
// working precision.
template <typename T>
void check_r_diagonal(const std::string& solver, const T* diag, size_t n) {
  T rmax = T(0);
  for (size_t j = 0; j < n; ++j) rmax = std::max(rmax, std::abs(diag[j]));
  for (size_t j = 0; j < n; ++j) {
    const T rjj = std::abs(diag[j]);
    if (!(rjj > rmax * std::numeric_limits<T>::epsilon())) {
      std::ostringstream os;
      os << solver << ": A is rank deficient to working precision (|R(" << j << "," << j
         << ")| = " << rjj << " vs max " << rmax << "); use cuda.svd";
      throw NumericalError(os.str());
    }
  }
}

}  // namespace lsgd::cuda
