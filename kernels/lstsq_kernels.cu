// Launch unit of the element-wise kernels of the GPU least-squares solvers and of the column norms
// of R (kernels/lstsq_device.cuh). Grid-stride loops: any n with a bounded grid; the sizes involved
// (n, min(m, n); n^2 / 2 entries of R for the norms) are small next to the factorizations around
// them. Compiled by nvcc and by the CPU emulation (kernels/device_compat.hpp).
#include <algorithm>

#include "kernels/cuda_check.hpp"
#include "kernels/lstsq_device.cuh"
#include "kernels/lstsq_kernels.hpp"

namespace lsgd::cuda {
namespace {

constexpr int kBlock = 256;
constexpr int64_t kMaxBlocks = 1024;

unsigned grid_for(int64_t n) { return grid_stride_blocks(n, kBlock, kMaxBlocks); }

}  // namespace

template <typename T>
void gather_strided(T* dst, const T* src, int64_t count, int64_t groups, int64_t src_stride,
                    cudaStream_t stream) {
  if (count <= 0 || groups <= 0) return;
  LSGD_CUDA_CHECK(launch_kernel(detail::gather_strided_kernel<T>, grid_for(count * groups), kBlock,
                                0, stream, dst, src, count, groups, src_stride));
}

template <typename T>
void add_to_diagonal(T* A, int64_t lda, int64_t n, T value, cudaStream_t stream) {
  if (n <= 0) return;
  LSGD_CUDA_CHECK(
      launch_kernel(detail::add_to_diagonal_kernel<T>, grid_for(n), kBlock, 0, stream, A, lda, n,
                    value));
}

template <typename T>
void svd_pinv_scale(T* c, const T* s, int64_t k, T rcond, int* rank, cudaStream_t stream) {
  if (k <= 0) return;
  LSGD_CUDA_CHECK(launch_kernel(detail::svd_pinv_scale_kernel<T>, grid_for(k), kBlock, 0, stream,
                                c, s, k, rcond, rank));
}

template <typename T>
void count_nonfinite(const T* x, int64_t n, int* count, cudaStream_t stream) {
  if (n <= 0) return;
  LSGD_CUDA_CHECK(launch_kernel(detail::count_nonfinite_kernel<T>, grid_for(n), kBlock, 0, stream,
                                x, n, count));
}

template <typename T>
void r_column_norms(const T* R, int64_t ldr, int64_t n, T* norms, cudaStream_t stream) {
  if (n <= 0) return;
  const unsigned grid = static_cast<unsigned>(std::min<int64_t>(n, kMaxBlocks));
  LSGD_CUDA_CHECK(launch_kernel(detail::r_column_norms_kernel<T, kRColumnNormBlock>, grid,
                                kRColumnNormBlock, 0, stream, R, ldr, n, norms));
}

template void add_to_diagonal<float>(float*, int64_t, int64_t, float, cudaStream_t);
template void add_to_diagonal<double>(double*, int64_t, int64_t, double, cudaStream_t);
template void svd_pinv_scale<float>(float*, const float*, int64_t, float, int*, cudaStream_t);
template void svd_pinv_scale<double>(double*, const double*, int64_t, double, int*, cudaStream_t);
template void gather_strided<float>(float*, const float*, int64_t, int64_t, int64_t, cudaStream_t);
template void gather_strided<double>(double*, const double*, int64_t, int64_t, int64_t,
                                     cudaStream_t);
template void count_nonfinite<float>(const float*, int64_t, int*, cudaStream_t);
template void count_nonfinite<double>(const double*, int64_t, int*, cudaStream_t);
template void r_column_norms<float>(const float*, int64_t, int64_t, float*, cudaStream_t);
template void r_column_norms<double>(const double*, int64_t, int64_t, double*, cudaStream_t);

}  // namespace lsgd::cuda
