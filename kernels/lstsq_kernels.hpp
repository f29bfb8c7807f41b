#pragma once
// Small kernels of the GPU least-squares solvers (kernels/lstsq_kernels.cu). Raw
// device pointers only; every launcher enqueues on `stream` and checks the launch.
#include <cstdint>

#include "kernels/device_compat.hpp"

namespace lsgd::cuda {

// A(i,i) += value for i < n (column-major, leading dimension lda): the ridge term of the normal
// equations.
template <typename T>
void add_to_diagonal(T* A, int64_t lda, int64_t n, T value, cudaStream_t stream);

// Pseudo-inverse scaling of the SVD solve: c[i] = s[i] > rcond * s[0] ? c[i] / s[i] : 0 for i < k
// (s descending, so s[0] is the largest). Adds the number of kept singular values to *rank, which
// the caller zeroes beforehand.
template <typename T>
void svd_pinv_scale(T* c, const T* s, int64_t k, T rcond, int* rank, cudaStream_t stream);

// Adds the number of NaN / Inf entries of x[0..n) to *count, which the caller zeroes beforehand.
template <typename T>
void count_nonfinite(const T* x, int64_t n, int* count, cudaStream_t stream);

// dst[g * count + k] = src[g * src_stride + k] for g < groups, k < count: strided pieces of a
// device array packed contiguously on the device (diag(R): count 1, stride lda + 1; the top n rows
// of batched columns: count n, stride m). One launch, no pitch limit, no host round trip.
template <typename T>
void gather_strided(T* dst, const T* src, int64_t count, int64_t groups, int64_t src_stride,
                    cudaStream_t stream);

// Threads per block of r_column_norms (one block per column): its summation depth is
// ceil((j + 1) / kRColumnNormBlock) + log2(kRColumnNormBlock) for column j (the emulated test's
// bound, tests/emu/test_kernels_lstsq.cpp).
constexpr int kRColumnNormBlock = 256;

// norms[j] = ||R(0:j, j)|| for j < n: the column norms of the n x n upper triangle R (column-major,
// leading dimension ldr; the entries below the diagonal are not read), which equal the norms of
// A's columns when A = QR. Overflow-safe (each column scaled by its largest |entry|); a column
// holding Inf or NaN gets a non-finite norm. The rank checks of kernels/qr_checks.hpp read them
// next to diag(R).
template <typename T>
void r_column_norms(const T* R, int64_t ldr, int64_t n, T* norms, cudaStream_t stream);

}  // namespace lsgd::cuda
