#pragma once
// The residual kernels of cuda.qr.refined (kernels/qr_refined.cu): the augmented-system residuals of
// Björck's refinement accumulated in double-double (common/double_double.hpp, the arithmetic of
// cpu.qr.refined), for float and double working precision alike. Raw device pointers; every
// launcher enqueues on `stream` and checks the launch.
#include <cstdint>

#include "kernels/device_compat.hpp"

namespace lsgd::cuda {

// f = b - r - A x (m entries) and g = -A^T r (n entries) for A m x n column-major (lda = m), each
// entry accumulated in double-double and rounded once to T.
template <typename T>
void refine_residuals(const T* A, int64_t m, int64_t n, const T* b, const T* r, const T* x, T* f,
                      T* g, cudaStream_t stream);

// dx = d(0:n) - h, then d(0:n) = h (the correction's two halves, as cpu.qr.refined forms them).
template <typename T>
void refine_split(T* d, const T* h, T* dx, int64_t n, cudaStream_t stream);

// y += x for n entries.
template <typename T>
void add_in_place(T* y, const T* x, int64_t n, cudaStream_t stream);

}  // namespace lsgd::cuda
