#pragma once
// Float/double overloads of every cuSOLVER call of the CUDA backend (RAFT style; the cuBLAS ones are
// in kernels/cublas_overloads.hpp): one name per operation, the precision picked by the pointer
// types, so solver code is written once as a template. They return the library status unchanged;
// callers wrap them in LSGD_CUSOLVER_CHECK, which puts the call's text, status name, file and line
// into the DeviceError. TypeTraits<T> gives the data types of the 64-bit generic API (cusolverDnX*).
//
// The legacy cuSOLVER calls (ormqr, <t><t>gels, <t>potrfBatched / potrsBatched) take int sizes:
// callers check the range first.
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

// Batched Cholesky (lower) of n x n matrices given by a device pointer array, and the solve with
// one right-hand side each. potrs reports an illegal argument in *info (one device int).
inline cusolverStatus_t potrf_batched(cusolverDnHandle_t h, int n, float* A[], int* info,
                                      int batch) {
  return cusolverDnSpotrfBatched(h, CUBLAS_FILL_MODE_LOWER, n, A, n, info, batch);
}
inline cusolverStatus_t potrf_batched(cusolverDnHandle_t h, int n, double* A[], int* info,
                                      int batch) {
  return cusolverDnDpotrfBatched(h, CUBLAS_FILL_MODE_LOWER, n, A, n, info, batch);
}
inline cusolverStatus_t potrs_batched(cusolverDnHandle_t h, int n, float* A[], float* B[],
                                      int* info, int batch) {
  return cusolverDnSpotrsBatched(h, CUBLAS_FILL_MODE_LOWER, n, 1, A, n, B, n, info, batch);
}
inline cusolverStatus_t potrs_batched(cusolverDnHandle_t h, int n, double* A[], double* B[],
                                      int* info, int batch) {
  return cusolverDnDpotrsBatched(h, CUBLAS_FILL_MODE_LOWER, n, 1, A, n, B, n, info, batch);
}

}  // namespace lsgd::cuda
