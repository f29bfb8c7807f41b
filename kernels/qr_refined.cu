// Launch unit of the double-double residual kernels of cuda.qr.refined
// (kernels/qr_refined_device.cuh; interface kernels/qr_refined.cuh). Compiled by nvcc and by the CPU
// emulation (kernels/device_compat.hpp).
#include <algorithm>

#include "kernels/cuda_check.hpp"
#include "kernels/qr_refined.cuh"
#include "kernels/qr_refined_device.cuh"

namespace lsgd::cuda {
namespace {

constexpr int kBlock = detail::kRefineBlock;
constexpr int64_t kMaxBlocks = 4096;

unsigned grid_for(int64_t n) { return grid_stride_blocks(n, kBlock, kMaxBlocks); }

}  // namespace

template <typename T>
void refine_residuals(const T* A, int64_t m, int64_t n, const T* b, const T* r, const T* x, T* f,
                      T* g, cudaStream_t stream) {
  if (m <= 0 || n <= 0) return;
  LSGD_CUDA_CHECK(launch_kernel(detail::residual_f_kernel<T>, grid_for(m), kBlock, 0, stream, A, m,
                                n, b, r, x, f));
  // n <= m <= INT_MAX (the solver checks the int range of ormqr): one block per column fits a grid.
  LSGD_CUDA_CHECK(launch_kernel(detail::residual_g_kernel<T>, static_cast<unsigned>(n), kBlock, 0,
                                stream, A, m, r, g));
}

template <typename T>
void refine_split(T* d, const T* h, T* dx, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  LSGD_CUDA_CHECK(
      launch_kernel(detail::split_kernel<T>, grid_for(n), kBlock, 0, stream, d, h, dx, n));
}

template <typename T>
void add_in_place(T* y, const T* x, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  LSGD_CUDA_CHECK(launch_kernel(detail::add_kernel<T>, grid_for(n), kBlock, 0, stream, y, x, n));
}

#define LSGD_REFINE_INSTANTIATE(T)                                                              \
  template void refine_residuals<T>(const T*, int64_t, int64_t, const T*, const T*, const T*, \
                                    T*, T*, cudaStream_t);                                    \
  template void refine_split<T>(T*, const T*, T*, int64_t, cudaStream_t);                     \
  template void add_in_place<T>(T*, const T*, int64_t, cudaStream_t);

LSGD_REFINE_INSTANTIATE(float)
LSGD_REFINE_INSTANTIATE(double)
#undef LSGD_REFINE_INSTANTIATE

}  // namespace lsgd::cuda
