#pragma once
// The rank test of a Householder R left on the device: diag(R) and the column norms ||R(0:j, j)||
// gathered next to each other (gather_strided, r_column_norms) and copied to pinned memory in one
// piece, then cpu.qr's rule on the host (check_r_full_rank, kernels/qr_checks.hpp). One copy for
// cuda.qr, cuda.qr.augmented, cuda.qr.refined and the after-the-solve check of cuda.gels/gels_irs.
#include <cstddef>
#include <string>

#include "kernels/cuda_check.hpp"
#include "kernels/cuda_raii.hpp"
#include "kernels/lstsq_kernels.hpp"
#include "kernels/qr_checks.hpp"

namespace lsgd::cuda {

// Zeroes Xgeqrf's device workspace and tau, in prepare() (outside the timed region), for every
// solver that factors with Xgeqrf (the same four as RRankCheck). On the H200 (2026-12-04)
// compute-sanitizer initcheck reported one uninitialized 8-byte read per launch inside cuSOLVER's
// geqr2_smem_domino_fast, with right results. With these two zeroed (second H200 run, the same
// day) the reports stopped: test_refined 66048 -> 0, and none left from cuda.qr in test_gpu_lstsq.
// So the word read is in what we pass; zeroing costs one memset per prepare(), none per solve.
template <typename W, typename T>
void zero_qr_workspace(DeviceBuffer<W>& work, DeviceBuffer<T>& tau, cudaStream_t stream) {
  work.zero(stream);
  tau.zero(stream);
}

template <typename T>
class RRankCheck {
 public:
  // Room for the first n columns of R (in prepare(): not timed).
  void resize(index_t n) {
    n_ = n;
    device_.resize(2 * static_cast<size_t>(n));
    host_.resize(2 * static_cast<size_t>(n));
  }

  // Enqueued on `stream`: the data of the first n columns of R (leading dimension ldr). The host
  // copy is valid once the stream has been synchronized.
  void gather(const T* R, index_t ldr, cudaStream_t stream) {
    gather_strided(device_.data(), R, 1, n_, ldr + 1, stream);
    r_column_norms(R, ldr, n_, device_.data() + n_, stream);
    device_.download(host_.data(), 2 * static_cast<size_t>(n_), stream);
  }

  // After that synchronization: NumericalError naming `solver` when A (m rows) is rank deficient
  // to working precision or a column norm overflowed.
  void check(const std::string& solver, index_t m) const {
    const size_t n = static_cast<size_t>(n_);
    check_r_full_rank(solver, m, host_.data(), host_.data() + n, n);
  }

 private:
  index_t n_ = 0;
  DeviceBuffer<T> device_;  // diag(R), then the n column norms
  PinnedBuffer<T> host_;    // their host copy
};

}  // namespace lsgd::cuda
