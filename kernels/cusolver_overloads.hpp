#pragma once
// Float/double overloads of the cuBLAS and cuSOLVER calls the GPU solvers use (RAFT style): one
// name per operation, the precision picked by the pointer types, so solver code is written once as
// a template. They return the library status unchanged; callers wrap them in LSGD_CUBLAS_CHECK /
// LSGD_CUSOLVER_CHECK, which put the call's text, status name, file and line into the DeviceError.
//
// cuBLAS calls use the 64-bit (_64) entry points, so m*n beyond 2^31 elements is not an issue
// there. The legacy cuSOLVER calls (ormqr, <t><t>gels) take int sizes: callers check the range
// first.
#include <cstdint>

#include <cublas_v2.h>
#include <cusolverDn.h>
#include <library_types.h>

namespace lsgd::cuda {

template <typename T>
struct TypeTraits;

template <>
struct TypeTraits<float> {
  static constexpr cudaDataType_t data_type = CUDA_R_32F;
  static constexpr cusolverPrecType_t irs_main = CUSOLVER_R_32F;
};
template <>
struct TypeTraits<double> {
  static constexpr cudaDataType_t data_type = CUDA_R_64F;
  static constexpr cusolverPrecType_t irs_main = CUSOLVER_R_64F;
};

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

// ---- cuSOLVER (legacy int API)
// -------------------------------------------------------------------

// Applies Q or Q^T from geqrf (k reflectors stored in A, scalars in tau) to C (m x n).
inline cusolverStatus_t ormqr_buffer_size(cusolverDnHandle_t h, cublasSideMode_t side,
                                          cublasOperation_t trans, int m, int n, int k,
                                          const float* A, int lda, const float* tau, const float* C,
                                          int ldc, int* lwork) {
  return cusolverDnSormqr_bufferSize(h, side, trans, m, n, k, A, lda, tau, C, ldc, lwork);
}
inline cusolverStatus_t ormqr_buffer_size(cusolverDnHandle_t h, cublasSideMode_t side,
                                          cublasOperation_t trans, int m, int n, int k,
                                          const double* A, int lda, const double* tau,
                                          const double* C, int ldc, int* lwork) {
  return cusolverDnDormqr_bufferSize(h, side, trans, m, n, k, A, lda, tau, C, ldc, lwork);
}
inline cusolverStatus_t ormqr(cusolverDnHandle_t h, cublasSideMode_t side, cublasOperation_t trans,
                              int m, int n, int k, const float* A, int lda, const float* tau,
                              float* C, int ldc, float* work, int lwork, int* dev_info) {
  return cusolverDnSormqr(h, side, trans, m, n, k, A, lda, tau, C, ldc, work, lwork, dev_info);
}
inline cusolverStatus_t ormqr(cusolverDnHandle_t h, cublasSideMode_t side, cublasOperation_t trans,
                              int m, int n, int k, const double* A, int lda, const double* tau,
                              double* C, int ldc, double* work, int lwork, int* dev_info) {
  return cusolverDnDormqr(h, side, trans, m, n, k, A, lda, tau, C, ldc, work, lwork, dev_info);
}

// Working-precision least squares (QR, m >= n): DDgels / SSgels. `niter` is a host pointer,
// `dinfo` a device pointer.
inline cusolverStatus_t gels_buffer_size(cusolverDnHandle_t h, int m, int n, int nrhs, float* A,
                                         int lda, float* B, int ldb, float* X, int ldx,
                                         size_t* lwork_bytes) {
  return cusolverDnSSgels_bufferSize(h, m, n, nrhs, A, lda, B, ldb, X, ldx, nullptr, lwork_bytes);
}
inline cusolverStatus_t gels_buffer_size(cusolverDnHandle_t h, int m, int n, int nrhs, double* A,
                                         int lda, double* B, int ldb, double* X, int ldx,
                                         size_t* lwork_bytes) {
  return cusolverDnDDgels_bufferSize(h, m, n, nrhs, A, lda, B, ldb, X, ldx, nullptr, lwork_bytes);
}
inline cusolverStatus_t gels(cusolverDnHandle_t h, int m, int n, int nrhs, float* A, int lda,
                             float* B, int ldb, float* X, int ldx, void* work, size_t lwork_bytes,
                             int* niter, int* dinfo) {
  return cusolverDnSSgels(h, m, n, nrhs, A, lda, B, ldb, X, ldx, work, lwork_bytes, niter, dinfo);
}
inline cusolverStatus_t gels(cusolverDnHandle_t h, int m, int n, int nrhs, double* A, int lda,
                             double* B, int ldb, double* X, int ldx, void* work, size_t lwork_bytes,
                             int* niter, int* dinfo) {
  return cusolverDnDDgels(h, m, n, nrhs, A, lda, B, ldb, X, ldx, work, lwork_bytes, niter, dinfo);
}

}  // namespace lsgd::cuda
