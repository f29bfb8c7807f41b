// Launch unit of the register-resident gradient-descent kernel (kernels/bgd_resident_device.cuh):
// the configuration for the shape (rows per lane, lanes per problem) and the launch. Compiled by
// nvcc and by the CPU emulation (kernels/device_compat.hpp). See kernels/bgd_kernels.cuh for the
// contract.
#include <cstdint>
#include <string>

#include "kernels/bgd_kernels.cuh"
#include "kernels/bgd_resident_device.cuh"
#include "kernels/cuda_check.hpp"
#include "lsgd/error.hpp"

namespace lsgd::cuda::gd {
namespace {

using detail::i64;

template <typename T, int NMAX, int RPL, int L, bool MULTI>
void launch_resident_cfg(const T* A, const T* b, const GdParams& prm, const GdState<T>& st, int tpp,
                         cudaStream_t s) {
  i64 blocks;
  int threads;
  if constexpr (MULTI) {
    threads = tpp;
    blocks = prm.batch;
  } else {
    threads = 256;
    const i64 per_block = 256 / L;
    blocks = (prm.batch + per_block - 1) / per_block;
  }
  if (blocks > 2147483647LL) throw InvalidInput("cuda.bgd.resident: batch too large for one grid");
  LSGD_CUDA_CHECK(launch_kernel(detail::resident_kernel<T, NMAX, RPL, L, MULTI>,
                                static_cast<unsigned>(blocks), threads, 0, s, A, b, prm, st));
}

template <typename T, int NMAX>
void dispatch_resident(const T* A, const T* b, const GdParams& prm, const GdState<T>& st,
                       cudaStream_t s) {
  constexpr int RPL = detail::resident_rows_per_lane<T, NMAX>();
  const i64 lanes = (prm.m + RPL - 1) / RPL;
  int tpp = 1;
  while (tpp < lanes) tpp *= 2;
  switch (tpp) {
    case 1:
      return launch_resident_cfg<T, NMAX, RPL, 1, false>(A, b, prm, st, tpp, s);
    case 2:
      return launch_resident_cfg<T, NMAX, RPL, 2, false>(A, b, prm, st, tpp, s);
    case 4:
      return launch_resident_cfg<T, NMAX, RPL, 4, false>(A, b, prm, st, tpp, s);
    case 8:
      return launch_resident_cfg<T, NMAX, RPL, 8, false>(A, b, prm, st, tpp, s);
    case 16:
      return launch_resident_cfg<T, NMAX, RPL, 16, false>(A, b, prm, st, tpp, s);
    case 32:
      return launch_resident_cfg<T, NMAX, RPL, 32, false>(A, b, prm, st, tpp, s);
    case 64:
    case 128:
    case 256:
      return launch_resident_cfg<T, NMAX, RPL, 32, true>(A, b, prm, st, tpp, s);
    default:
      throw InvalidInput("cuda.bgd.resident: m = " + std::to_string(prm.m) +
                         " exceeds the register-resident limit " + std::to_string(256 * RPL) +
                         " for n = " + std::to_string(prm.n));
  }
}

}  // namespace

template <typename T>
std::int64_t resident_max_m(std::int64_t n) {
  if (n <= 4) return 256 * detail::resident_rows_per_lane<T, 4>();
  if (n <= 8) return 256 * detail::resident_rows_per_lane<T, 8>();
  if (n <= 16) return 256 * detail::resident_rows_per_lane<T, 16>();
  if (n <= 32) return 256 * detail::resident_rows_per_lane<T, 32>();
  return 0;
}

template <typename T>
void launch_resident(const T* A, const T* b, const GdParams& prm, const GdState<T>& st,
                     cudaStream_t s) {
  if (prm.n > kResidentMaxN || prm.m > resident_max_m<T>(prm.n)) {
    throw InvalidInput("cuda.bgd.resident: " + std::to_string(prm.m) + " x " +
                       std::to_string(prm.n) + " does not fit the register-resident kernel");
  }
  if (prm.n <= 4) return dispatch_resident<T, 4>(A, b, prm, st, s);
  if (prm.n <= 8) return dispatch_resident<T, 8>(A, b, prm, st, s);
  if (prm.n <= 16) return dispatch_resident<T, 16>(A, b, prm, st, s);
  return dispatch_resident<T, 32>(A, b, prm, st, s);
}

#define LSGD_BGD_RESIDENT_INSTANTIATE(T)                                                   \
  template std::int64_t resident_max_m<T>(std::int64_t);                                   \
  template void launch_resident<T>(const T*, const T*, const GdParams&, const GdState<T>&, \
                                   cudaStream_t);

LSGD_BGD_RESIDENT_INSTANTIATE(float)
LSGD_BGD_RESIDENT_INSTANTIATE(double)
#undef LSGD_BGD_RESIDENT_INSTANTIATE

}  // namespace lsgd::cuda::gd
