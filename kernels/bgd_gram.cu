// Launch unit of the Gram-matrix gradient-descent kernel (kernels/bgd_gram_device.cuh): the
// configuration for n, the shared-memory limit and the launch. Compiled by nvcc and by the CPU
// emulation (kernels/device_compat.hpp). See kernels/bgd_kernels.cuh for the contract.
#include <cstdint>
#include <string>

#include "kernels/bgd_gram_device.cuh"
#include "kernels/bgd_kernels.cuh"
#include "kernels/cuda_check.hpp"
#include "lsgd/error.hpp"

namespace lsgd::cuda::gd {
namespace {

using detail::i64;

template <typename T, int L, bool MULTI>
void launch_gram_cfg(const T* G, const T* c, const T* b, const GdParams& prm, const GdState<T>& st,
                     int threads, cudaStream_t s) {
  const i64 per_block = MULTI ? 1 : threads / L;
  const i64 blocks = (prm.batch + per_block - 1) / per_block;
  if (blocks > 2147483647LL) throw InvalidInput("cuda.bgd.gram: batch too large for one grid");
  // Dynamic shared memory only for n > 32: G and x of the block's one problem.
  const size_t smem = MULTI ? static_cast<size_t>(prm.n * prm.n + prm.n) * sizeof(T) : 0;
  // The shared-memory limit beyond 48 KB was raised in setup (prepare_gram).
  LSGD_CUDA_CHECK(launch_kernel(detail::gram_kernel<T, L, MULTI>, static_cast<unsigned>(blocks),
                                threads, smem, s, G, c, b, prm, st));
}

}  // namespace

template <typename T>
void prepare_gram(std::int64_t n) {
  // launch_gram_cfg's only variant with dynamic shared memory: <T, 32, true> for n > 32.
  if (n <= 32) return;
  const size_t smem = static_cast<size_t>(n * n + n) * sizeof(T);
  if (smem > 48 * 1024) {
    raise_dynamic_smem_limit(reinterpret_cast<const void*>(&detail::gram_kernel<T, 32, true>),
                             smem);
  }
}

template <typename T>
void launch_gram(const T* G, const T* c, const T* b, const GdParams& prm, const GdState<T>& st,
                 cudaStream_t s) {
  if (prm.n > kGramMaxN) {
    throw InvalidInput("cuda.bgd.gram: n = " + std::to_string(prm.n) + " exceeds the limit " +
                       std::to_string(kGramMaxN) + " (G = A^T A/m must fit in shared memory)");
  }
  const i64 n = prm.n;
  if (n <= 1) return launch_gram_cfg<T, 1, false>(G, c, b, prm, st, 256, s);
  if (n <= 2) return launch_gram_cfg<T, 2, false>(G, c, b, prm, st, 256, s);
  if (n <= 4) return launch_gram_cfg<T, 4, false>(G, c, b, prm, st, 256, s);
  if (n <= 8) return launch_gram_cfg<T, 8, false>(G, c, b, prm, st, 256, s);
  if (n <= 16) return launch_gram_cfg<T, 16, false>(G, c, b, prm, st, 256, s);
  if (n <= 32) return launch_gram_cfg<T, 32, false>(G, c, b, prm, st, 256, s);
  if (n <= 64) return launch_gram_cfg<T, 32, true>(G, c, b, prm, st, 64, s);
  return launch_gram_cfg<T, 32, true>(G, c, b, prm, st, 128, s);
}

#define LSGD_BGD_GRAM_INSTANTIATE(T)                                                             \
  template void prepare_gram<T>(std::int64_t);                                                   \
  template void launch_gram<T>(const T*, const T*, const T*, const GdParams&, const GdState<T>&, \
                               cudaStream_t);

LSGD_BGD_GRAM_INSTANTIATE(float)
LSGD_BGD_GRAM_INSTANTIATE(double)
#undef LSGD_BGD_GRAM_INSTANTIATE

}  // namespace lsgd::cuda::gd
