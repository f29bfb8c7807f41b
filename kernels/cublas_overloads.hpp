#pragma once
// Float/double overloads of every cuBLAS call of the CUDA backend (RAFT style; the cuSOLVER ones are
// in kernels/cusolver_overloads.hpp): one name per operation, the precision picked by the pointer
// types, so solver code is written once as a template. They return the library status unchanged;
// callers wrap them in LSGD_CUBLAS_CHECK, which puts the call's text, status name, file and line
// into the DeviceError.
//
// The single-matrix calls use the 64-bit (_64) entry points, so m*n beyond 2^31 elements is not an
// issue there. The batched calls (strided GEMM / GEMV, gelsBatched) take int sizes: callers check
// the range first.
#include <cstdint>

#include <cublas_v2.h>

namespace lsgd::cuda {

// ---- cuBLAS -------------------------------------------------------------------------------------

// C = alpha op(A)^T op(A) + beta C on the `uplo` triangle (trans = T: C = A^T A for A of k x n).
inline cublasStatus_t syrk(cublasHandle_t h, cublasFillMode_t uplo, cublasOperation_t trans,
                           int64_t n, int64_t k, const float* alpha, const float* A, int64_t lda,
                           const float* beta, float* C, int64_t ldc) {
  return cublasSsyrk_64(h, uplo, trans, n, k, alpha, A, lda, beta, C, ldc);
}
inline cublasStatus_t syrk(cublasHandle_t h, cublasFillMode_t uplo, cublasOperation_t trans,
                           int64_t n, int64_t k, const double* alpha, const double* A, int64_t lda,
                           const double* beta, double* C, int64_t ldc) {
  return cublasDsyrk_64(h, uplo, trans, n, k, alpha, A, lda, beta, C, ldc);
}

// C = alpha op(A) op(B) + beta C, C m x n, inner dimension k.
inline cublasStatus_t gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int64_t m,
                           int64_t n, int64_t k, const float* alpha, const float* A, int64_t lda,
                           const float* B, int64_t ldb, const float* beta, float* C, int64_t ldc) {
  return cublasSgemm_64(h, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
inline cublasStatus_t gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int64_t m,
                           int64_t n, int64_t k, const double* alpha, const double* A, int64_t lda,
                           const double* B, int64_t ldb, const double* beta, double* C,
                           int64_t ldc) {
  return cublasDgemm_64(h, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

// y = alpha op(A) x + beta y, A m x n.
inline cublasStatus_t gemv(cublasHandle_t h, cublasOperation_t trans, int64_t m, int64_t n,
                           const float* alpha, const float* A, int64_t lda, const float* x,
                           int64_t incx, const float* beta, float* y, int64_t incy) {
  return cublasSgemv_64(h, trans, m, n, alpha, A, lda, x, incx, beta, y, incy);
}
inline cublasStatus_t gemv(cublasHandle_t h, cublasOperation_t trans, int64_t m, int64_t n,
                           const double* alpha, const double* A, int64_t lda, const double* x,
                           int64_t incx, const double* beta, double* y, int64_t incy) {
  return cublasDgemv_64(h, trans, m, n, alpha, A, lda, x, incx, beta, y, incy);
}

// Solves op(A) X = alpha B (side left) in place in B; A triangular.
inline cublasStatus_t trsm(cublasHandle_t h, cublasSideMode_t side, cublasFillMode_t uplo,
                           cublasOperation_t trans, cublasDiagType_t diag, int64_t m, int64_t n,
                           const float* alpha, const float* A, int64_t lda, float* B, int64_t ldb) {
  return cublasStrsm_64(h, side, uplo, trans, diag, m, n, alpha, A, lda, B, ldb);
}
inline cublasStatus_t trsm(cublasHandle_t h, cublasSideMode_t side, cublasFillMode_t uplo,
                           cublasOperation_t trans, cublasDiagType_t diag, int64_t m, int64_t n,
                           const double* alpha, const double* A, int64_t lda, double* B,
                           int64_t ldb) {
  return cublasDtrsm_64(h, side, uplo, trans, diag, m, n, alpha, A, lda, B, ldb);
}

// Euclidean norm; with the default host pointer mode the call returns once `result` is written.
inline cublasStatus_t nrm2(cublasHandle_t h, int64_t n, const float* x, int64_t incx,
                           float* result) {
  return cublasSnrm2_64(h, n, x, incx, result);
}
inline cublasStatus_t nrm2(cublasHandle_t h, int64_t n, const double* x, int64_t incx,
                           double* result) {
  return cublasDnrm2_64(h, n, x, incx, result);
}

// C (n x m) = A^T for A (m x n). Uses geam's in-place form for B (B = C, ldb = ldc, transb = N)
// with beta = 0, so no second input is needed; callers zero C first, so that a stale NaN in C
// cannot leak through beta * C should the library read it.
inline cublasStatus_t transpose(cublasHandle_t h, int64_t m, int64_t n, const float* A, int64_t lda,
                                float* C, int64_t ldc) {
  const float one = 1.0f, zero = 0.0f;
  return cublasSgeam_64(h, CUBLAS_OP_T, CUBLAS_OP_N, n, m, &one, A, lda, &zero, C, ldc, C, ldc);
}
inline cublasStatus_t transpose(cublasHandle_t h, int64_t m, int64_t n, const double* A,
                                int64_t lda, double* C, int64_t ldc) {
  const double one = 1.0, zero = 0.0;
  return cublasDgeam_64(h, CUBLAS_OP_T, CUBLAS_OP_N, n, m, &one, A, lda, &zero, C, ldc, C, ldc);
}

// ---- batched ------------------------------------------------------------------------------------

// C_p = alpha op(A_p) op(B_p) + beta C_p for p < batch, the matrices at strides sa, sb, sc.
inline cublasStatus_t gemm_strided(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb,
                                   int m, int n, int k, const float* alpha, const float* A, int lda,
                                   long long sa, const float* B, int ldb, long long sb,
                                   const float* beta, float* C, int ldc, long long sc, int batch) {
  return cublasSgemmStridedBatched(h, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc,
                                   sc, batch);
}
inline cublasStatus_t gemm_strided(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb,
                                   int m, int n, int k, const double* alpha, const double* A,
                                   int lda, long long sa, const double* B, int ldb, long long sb,
                                   const double* beta, double* C, int ldc, long long sc,
                                   int batch) {
  return cublasDgemmStridedBatched(h, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc,
                                   sc, batch);
}

// y_p = alpha op(A_p) x_p + beta y_p for p < batch (unit increments), at strides sa, sx, sy.
inline cublasStatus_t gemv_strided(cublasHandle_t h, cublasOperation_t op, int m, int n,
                                   const float* alpha, const float* A, int lda, long long sa,
                                   const float* x, long long sx, const float* beta, float* y,
                                   long long sy, int batch) {
  return cublasSgemvStridedBatched(h, op, m, n, alpha, A, lda, sa, x, 1, sx, beta, y, 1, sy,
                                   batch);
}
inline cublasStatus_t gemv_strided(cublasHandle_t h, cublasOperation_t op, int m, int n,
                                   const double* alpha, const double* A, int lda, long long sa,
                                   const double* x, long long sx, const double* beta, double* y,
                                   long long sy, int batch) {
  return cublasDgemvStridedBatched(h, op, m, n, alpha, A, lda, sa, x, 1, sx, beta, y, 1, sy,
                                   batch);
}

// Batched Householder least squares, one right-hand side each (A and C given by device pointer
// arrays, m x n and m x 1, lda = ldc = m); *info is the host-side argument check.
inline cublasStatus_t gels_batched(cublasHandle_t h, int m, int n, float* const A[],
                                   float* const C[], int* info, int* dev_info, int batch) {
  return cublasSgelsBatched(h, CUBLAS_OP_N, m, n, 1, A, m, C, m, info, dev_info, batch);
}
inline cublasStatus_t gels_batched(cublasHandle_t h, int m, int n, double* const A[],
                                   double* const C[], int* info, int* dev_info, int batch) {
  return cublasDgelsBatched(h, CUBLAS_OP_N, m, n, 1, A, m, C, m, info, dev_info, batch);
}

}  // namespace lsgd::cuda
