// Element-wise kernels of the GPU least-squares solvers. Grid-stride loops: any n with a bounded
// grid; the sizes involved (n, min(m, n)) are small next to the factorizations around them.
#include <algorithm>

#include "kernels/cuda_check.hpp"
#include "kernels/lstsq_kernels.hpp"

namespace lsgd::cuda {
namespace {

constexpr int kBlock = 256;
constexpr int64_t kMaxBlocks = 1024;

unsigned grid_for(int64_t n) {
  const int64_t blocks = std::min<int64_t>((n + kBlock - 1) / kBlock, kMaxBlocks);
  return static_cast<unsigned>(std::max<int64_t>(blocks, 1));
}

template <typename T>
__global__ void add_to_diagonal_kernel(T* A, int64_t lda, int64_t n, T value) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    A[i * (lda + 1)] += value;
  }
}

template <typename T>
__global__ void svd_pinv_scale_kernel(T* c, const T* s, int64_t k, T rcond, int* rank) {
  const T cutoff = rcond * s[0];
  int kept = 0;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < k;
       i += stride) {
    const T si = s[i];
    // s[i] > cutoff is false for s[i] = 0 = cutoff (A = 0): the minimum-norm answer is then x = 0.
    if (si > cutoff) {
      c[i] = c[i] / si;
      ++kept;
    } else {
      c[i] = T(0);
    }
  }
  if (kept > 0) atomicAdd(rank, kept);
}

template <typename T>
__global__ void count_nonfinite_kernel(const T* x, int64_t n, int* count) {
  int bad = 0;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    if (!isfinite(x[i])) ++bad;
  }
  if (bad > 0) atomicAdd(count, bad);
}

template <typename T>
__global__ void gather_strided_kernel(T* dst, const T* src, int64_t count, int64_t groups,
                                      int64_t src_stride) {
  const int64_t total = count * groups;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += stride) {
    const int64_t g = i / count;
    dst[i] = src[g * src_stride + (i - g * count)];
  }
}

}  // namespace

template <typename T>
void gather_strided(T* dst, const T* src, int64_t count, int64_t groups, int64_t src_stride,
                    cudaStream_t stream) {
  if (count <= 0 || groups <= 0) return;
  gather_strided_kernel<T><<<grid_for(count * groups), kBlock, 0, stream>>>(dst, src, count,
                                                                          groups, src_stride);
  LSGD_CUDA_CHECK_LAUNCH();
}

template <typename T>
void add_to_diagonal(T* A, int64_t lda, int64_t n, T value, cudaStream_t stream) {
  if (n <= 0) return;
  add_to_diagonal_kernel<T><<<grid_for(n), kBlock, 0, stream>>>(A, lda, n, value);
  LSGD_CUDA_CHECK_LAUNCH();
}

template <typename T>
void svd_pinv_scale(T* c, const T* s, int64_t k, T rcond, int* rank, cudaStream_t stream) {
  if (k <= 0) return;
  svd_pinv_scale_kernel<T><<<grid_for(k), kBlock, 0, stream>>>(c, s, k, rcond, rank);
  LSGD_CUDA_CHECK_LAUNCH();
}

template <typename T>
void count_nonfinite(const T* x, int64_t n, int* count, cudaStream_t stream) {
  if (n <= 0) return;
  count_nonfinite_kernel<T><<<grid_for(n), kBlock, 0, stream>>>(x, n, count);
  LSGD_CUDA_CHECK_LAUNCH();
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

}  // namespace lsgd::cuda
