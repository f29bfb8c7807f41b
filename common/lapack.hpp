#pragma once
// BLAS and LAPACK through their Fortran symbols (no LAPACKE: not every machine we build on has its
// headers), with float/double overloads in lsgd::cpu::lapack. The hidden string-length arguments of
// gfortran's calling convention are passed explicitly (every character argument here has length 1).
//
// Integers are LAPACK's default 32-bit int: sizes are checked by lapack::dim() before a call.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "lsgd/error.hpp"
#include "lsgd/problem.hpp"

extern "C" {
// BLAS
void sgemm_(const char* ta, const char* tb, const int* m, const int* n, const int* k,
            const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
            const float* beta, float* c, const int* ldc, std::size_t, std::size_t);
void dgemm_(const char* ta, const char* tb, const int* m, const int* n, const int* k,
            const double* alpha, const double* a, const int* lda, const double* b, const int* ldb,
            const double* beta, double* c, const int* ldc, std::size_t, std::size_t);
void sgemv_(const char* t, const int* m, const int* n, const float* alpha, const float* a,
            const int* lda, const float* x, const int* incx, const float* beta, float* y,
            const int* incy, std::size_t);
void dgemv_(const char* t, const int* m, const int* n, const double* alpha, const double* a,
            const int* lda, const double* x, const int* incx, const double* beta, double* y,
            const int* incy, std::size_t);
void ssyrk_(const char* uplo, const char* t, const int* n, const int* k, const float* alpha,
            const float* a, const int* lda, const float* beta, float* c, const int* ldc,
            std::size_t, std::size_t);
void dsyrk_(const char* uplo, const char* t, const int* n, const int* k, const double* alpha,
            const double* a, const int* lda, const double* beta, double* c, const int* ldc,
            std::size_t, std::size_t);
// LAPACK
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info, std::size_t);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, std::size_t);
void spotrs_(const char* uplo, const int* n, const int* nrhs, const float* a, const int* lda,
             float* b, const int* ldb, int* info, std::size_t);
void dpotrs_(const char* uplo, const int* n, const int* nrhs, const double* a, const int* lda,
             double* b, const int* ldb, int* info, std::size_t);
void sgeqrf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work,
             const int* lwork, int* info);
void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work,
             const int* lwork, int* info);
void sgeqrt_(const int* m, const int* n, const int* nb, float* a, const int* lda, float* t,
             const int* ldt, float* work, int* info);
void dgeqrt_(const int* m, const int* n, const int* nb, double* a, const int* lda, double* t,
             const int* ldt, double* work, int* info);
void sgemqrt_(const char* side, const char* t, const int* m, const int* n, const int* k,
              const int* nb, const float* v, const int* ldv, const float* tt, const int* ldt,
              float* c, const int* ldc, float* work, int* info, std::size_t, std::size_t);
void dgemqrt_(const char* side, const char* t, const int* m, const int* n, const int* k,
              const int* nb, const double* v, const int* ldv, const double* tt, const int* ldt,
              double* c, const int* ldc, double* work, int* info, std::size_t, std::size_t);
void sgeqp3_(const int* m, const int* n, float* a, const int* lda, int* jpvt, float* tau,
             float* work, const int* lwork, int* info);
void dgeqp3_(const int* m, const int* n, double* a, const int* lda, int* jpvt, double* tau,
             double* work, const int* lwork, int* info);
void sormqr_(const char* side, const char* t, const int* m, const int* n, const int* k,
             const float* a, const int* lda, const float* tau, float* c, const int* ldc,
             float* work, const int* lwork, int* info, std::size_t, std::size_t);
void dormqr_(const char* side, const char* t, const int* m, const int* n, const int* k,
             const double* a, const int* lda, const double* tau, double* c, const int* ldc,
             double* work, const int* lwork, int* info, std::size_t, std::size_t);
void strtrs_(const char* uplo, const char* t, const char* diag, const int* n, const int* nrhs,
             const float* a, const int* lda, float* b, const int* ldb, int* info, std::size_t,
             std::size_t, std::size_t);
void dtrtrs_(const char* uplo, const char* t, const char* diag, const int* n, const int* nrhs,
             const double* a, const int* lda, double* b, const int* ldb, int* info, std::size_t,
             std::size_t, std::size_t);
void sgelsy_(const int* m, const int* n, const int* nrhs, float* a, const int* lda, float* b,
             const int* ldb, int* jpvt, const float* rcond, int* rank, float* work,
             const int* lwork, int* info);
void dgelsy_(const int* m, const int* n, const int* nrhs, double* a, const int* lda, double* b,
             const int* ldb, int* jpvt, const double* rcond, int* rank, double* work,
             const int* lwork, int* info);
void sgelsd_(const int* m, const int* n, const int* nrhs, float* a, const int* lda, float* b,
             const int* ldb, float* s, const float* rcond, int* rank, float* work,
             const int* lwork, int* iwork, int* info);
void dgelsd_(const int* m, const int* n, const int* nrhs, double* a, const int* lda, double* b,
             const int* ldb, double* s, const double* rcond, int* rank, double* work,
             const int* lwork, int* iwork, int* info);
void sgesvj_(const char* joba, const char* jobu, const char* jobv, const int* m, const int* n,
             float* a, const int* lda, float* sva, const int* mv, float* v, const int* ldv,
             float* work, const int* lwork, int* info, std::size_t, std::size_t, std::size_t);
void dgesvj_(const char* joba, const char* jobu, const char* jobv, const int* m, const int* n,
             double* a, const int* lda, double* sva, const int* mv, double* v, const int* ldv,
             double* work, const int* lwork, int* info, std::size_t, std::size_t, std::size_t);
}

namespace lsgd::cpu::lapack {

// A dimension as LAPACK's int; throws InvalidInput when it does not fit.
inline int dim(index_t v, const char* what) {
  if (v < 0 || v > INT_MAX) {
    throw InvalidInput(std::string(what) + " = " + std::to_string(v) +
                       " exceeds LAPACK's 32-bit integer range");
  }
  return static_cast<int>(v);
}

// Throws NumericalError for a negative info (an argument error: a bug in lsgd, reported with the
// routine's name).
inline void check_info(int info, const char* routine) {
  if (info < 0) {
    throw NumericalError(std::string(routine) + ": argument " + std::to_string(-info) +
                         " had an illegal value");
  }
}

// C = alpha op(A) op(B) + beta C
inline void gemm(char ta, char tb, int m, int n, int k, float alpha, const float* a, int lda,
                 const float* b, int ldb, float beta, float* c, int ldc) {
  sgemm_(&ta, &tb, &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc, 1, 1);
}
inline void gemm(char ta, char tb, int m, int n, int k, double alpha, const double* a, int lda,
                 const double* b, int ldb, double beta, double* c, int ldc) {
  dgemm_(&ta, &tb, &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc, 1, 1);
}
// y = alpha op(A) x + beta y
inline void gemv(char t, int m, int n, float alpha, const float* a, int lda, const float* x,
                 float beta, float* y) {
  const int one = 1;
  sgemv_(&t, &m, &n, &alpha, a, &lda, x, &one, &beta, y, &one, 1);
}
inline void gemv(char t, int m, int n, double alpha, const double* a, int lda, const double* x,
                 double beta, double* y) {
  const int one = 1;
  dgemv_(&t, &m, &n, &alpha, a, &lda, x, &one, &beta, y, &one, 1);
}
// C (upper) = alpha A^T A + beta C, A k x n
inline void syrk_upper_t(int n, int k, float alpha, const float* a, int lda, float beta, float* c,
                         int ldc) {
  const char u = 'U', t = 'T';
  ssyrk_(&u, &t, &n, &k, &alpha, a, &lda, &beta, c, &ldc, 1, 1);
}
inline void syrk_upper_t(int n, int k, double alpha, const double* a, int lda, double beta,
                         double* c, int ldc) {
  const char u = 'U', t = 'T';
  dsyrk_(&u, &t, &n, &k, &alpha, a, &lda, &beta, c, &ldc, 1, 1);
}
// Cholesky of the upper triangle; returns info (> 0: leading minor not positive definite).
inline int potrf_upper(int n, float* a, int lda) {
  const char u = 'U';
  int info = 0;
  spotrf_(&u, &n, a, &lda, &info, 1);
  check_info(info, "spotrf");
  return info;
}
inline int potrf_upper(int n, double* a, int lda) {
  const char u = 'U';
  int info = 0;
  dpotrf_(&u, &n, a, &lda, &info, 1);
  check_info(info, "dpotrf");
  return info;
}
inline void potrs_upper(int n, int nrhs, const float* a, int lda, float* b, int ldb) {
  const char u = 'U';
  int info = 0;
  spotrs_(&u, &n, &nrhs, a, &lda, b, &ldb, &info, 1);
  check_info(info, "spotrs");
}
inline void potrs_upper(int n, int nrhs, const double* a, int lda, double* b, int ldb) {
  const char u = 'U';
  int info = 0;
  dpotrs_(&u, &n, &nrhs, a, &lda, b, &ldb, &info, 1);
  check_info(info, "dpotrs");
}
// Householder QR. lwork = -1 queries the workspace size into work[0].
inline void geqrf(int m, int n, float* a, int lda, float* tau, float* work, int lwork) {
  int info = 0;
  sgeqrf_(&m, &n, a, &lda, tau, work, &lwork, &info);
  check_info(info, "sgeqrf");
}
inline void geqrf(int m, int n, double* a, int lda, double* tau, double* work, int lwork) {
  int info = 0;
  dgeqrf_(&m, &n, a, &lda, tau, work, &lwork, &info);
  check_info(info, "dgeqrf");
}
// Householder QR in compact WY form, panels of nb columns factored recursively (GEQRT3): far fewer
// passes over a tall matrix than GEQRF's level-2 panels. t: nb x min(m,n), work: nb x n.
inline void geqrt(int m, int n, int nb, float* a, int lda, float* t, int ldt, float* work) {
  int info = 0;
  sgeqrt_(&m, &n, &nb, a, &lda, t, &ldt, work, &info);
  check_info(info, "sgeqrt");
}
inline void geqrt(int m, int n, int nb, double* a, int lda, double* t, int ldt, double* work) {
  int info = 0;
  dgeqrt_(&m, &n, &nb, a, &lda, t, &ldt, work, &info);
  check_info(info, "dgeqrt");
}
// C = op(Q) C (side L), Q from geqrt (k reflectors, block size nb, T factors t). work: nb x n.
inline void gemqrt(char trans, int m, int n, int k, int nb, const float* v, int ldv,
                   const float* t, int ldt, float* c, int ldc, float* work) {
  const char s = 'L';
  int info = 0;
  sgemqrt_(&s, &trans, &m, &n, &k, &nb, v, &ldv, t, &ldt, c, &ldc, work, &info, 1, 1);
  check_info(info, "sgemqrt");
}
inline void gemqrt(char trans, int m, int n, int k, int nb, const double* v, int ldv,
                   const double* t, int ldt, double* c, int ldc, double* work) {
  const char s = 'L';
  int info = 0;
  dgemqrt_(&s, &trans, &m, &n, &k, &nb, v, &ldv, t, &ldt, c, &ldc, work, &info, 1, 1);
  check_info(info, "dgemqrt");
}
inline void geqp3(int m, int n, float* a, int lda, int* jpvt, float* tau, float* work, int lwork) {
  int info = 0;
  sgeqp3_(&m, &n, a, &lda, jpvt, tau, work, &lwork, &info);
  check_info(info, "sgeqp3");
}
inline void geqp3(int m, int n, double* a, int lda, int* jpvt, double* tau, double* work,
                  int lwork) {
  int info = 0;
  dgeqp3_(&m, &n, a, &lda, jpvt, tau, work, &lwork, &info);
  check_info(info, "dgeqp3");
}
// C = Q^T C (side L), Q from geqrf/geqp3 with k reflectors.
inline void ormqr_lt(int m, int n, int k, const float* a, int lda, const float* tau, float* c,
                     int ldc, float* work, int lwork) {
  const char s = 'L', t = 'T';
  int info = 0;
  sormqr_(&s, &t, &m, &n, &k, a, &lda, tau, c, &ldc, work, &lwork, &info, 1, 1);
  check_info(info, "sormqr");
}
inline void ormqr_lt(int m, int n, int k, const double* a, int lda, const double* tau, double* c,
                     int ldc, double* work, int lwork) {
  const char s = 'L', t = 'T';
  int info = 0;
  dormqr_(&s, &t, &m, &n, &k, a, &lda, tau, c, &ldc, work, &lwork, &info, 1, 1);
  check_info(info, "dormqr");
}
// C = op(Q) C (side L), trans 'N' or 'T', Q from geqrf with k reflectors.
inline void ormqr(char trans, int m, int n, int k, const float* a, int lda, const float* tau,
                  float* c, int ldc, float* work, int lwork) {
  const char s = 'L';
  int info = 0;
  sormqr_(&s, &trans, &m, &n, &k, a, &lda, tau, c, &ldc, work, &lwork, &info, 1, 1);
  check_info(info, "sormqr");
}
inline void ormqr(char trans, int m, int n, int k, const double* a, int lda, const double* tau,
                  double* c, int ldc, double* work, int lwork) {
  const char s = 'L';
  int info = 0;
  dormqr_(&s, &trans, &m, &n, &k, a, &lda, tau, c, &ldc, work, &lwork, &info, 1, 1);
  check_info(info, "dormqr");
}
// Solves op(R) x = b, R upper triangular n x n, trans 'N' or 'T'; returns info (> 0: singular).
inline int trtrs_upper(char trans, int n, int nrhs, const float* a, int lda, float* b, int ldb) {
  const char u = 'U', d = 'N';
  int info = 0;
  strtrs_(&u, &trans, &d, &n, &nrhs, a, &lda, b, &ldb, &info, 1, 1, 1);
  check_info(info, "strtrs");
  return info;
}
inline int trtrs_upper(char trans, int n, int nrhs, const double* a, int lda, double* b, int ldb) {
  const char u = 'U', d = 'N';
  int info = 0;
  dtrtrs_(&u, &trans, &d, &n, &nrhs, a, &lda, b, &ldb, &info, 1, 1, 1);
  check_info(info, "dtrtrs");
  return info;
}
// Solves R x = b, R upper triangular n x n (non-unit); returns info (> 0: R(info-1,info-1) == 0).
inline int trtrs_upper(int n, int nrhs, const float* a, int lda, float* b, int ldb) {
  const char u = 'U', t = 'N', d = 'N';
  int info = 0;
  strtrs_(&u, &t, &d, &n, &nrhs, a, &lda, b, &ldb, &info, 1, 1, 1);
  check_info(info, "strtrs");
  return info;
}
inline int trtrs_upper(int n, int nrhs, const double* a, int lda, double* b, int ldb) {
  const char u = 'U', t = 'N', d = 'N';
  int info = 0;
  dtrtrs_(&u, &t, &d, &n, &nrhs, a, &lda, b, &ldb, &info, 1, 1, 1);
  check_info(info, "dtrtrs");
  return info;
}
// Minimum-norm least squares by complete orthogonal factorization; returns the effective rank.
inline int gelsy(int m, int n, float* a, int lda, float* b, int ldb, int* jpvt, float rcond,
                 float* work, int lwork) {
  const int nrhs = 1;
  int rank = 0, info = 0;
  sgelsy_(&m, &n, &nrhs, a, &lda, b, &ldb, jpvt, &rcond, &rank, work, &lwork, &info);
  check_info(info, "sgelsy");
  return rank;
}
inline int gelsy(int m, int n, double* a, int lda, double* b, int ldb, int* jpvt, double rcond,
                 double* work, int lwork) {
  const int nrhs = 1;
  int rank = 0, info = 0;
  dgelsy_(&m, &n, &nrhs, a, &lda, b, &ldb, jpvt, &rcond, &rank, work, &lwork, &info);
  check_info(info, "dgelsy");
  return rank;
}
// Minimum-norm least squares by SVD (divide and conquer); returns info (> 0: the SVD did not
// converge) and the effective rank through *rank.
inline int gelsd(int m, int n, float* a, int lda, float* b, int ldb, float* s, float rcond,
                 int* rank, float* work, int lwork, int* iwork) {
  const int nrhs = 1;
  int info = 0;
  sgelsd_(&m, &n, &nrhs, a, &lda, b, &ldb, s, &rcond, rank, work, &lwork, iwork, &info);
  check_info(info, "sgelsd");
  return info;
}
inline int gelsd(int m, int n, double* a, int lda, double* b, int ldb, double* s, double rcond,
                 int* rank, double* work, int lwork, int* iwork) {
  const int nrhs = 1;
  int info = 0;
  dgelsd_(&m, &n, &nrhs, a, &lda, b, &ldb, s, &rcond, rank, work, &lwork, iwork, &info);
  check_info(info, "dgelsd");
  return info;
}

// One-sided Jacobi SVD (Demmel-Veselic; LAPACK GESVJ) of the m x n (m >= n) matrix a: singular
// values to high RELATIVE accuracy, governed by min over diagonal D of kappa(a D) rather than
// kappa(a) (columns of any scale cost no digits). joba: 'U' upper triangular, 'G' general.
// with_vectors: the left singular vectors of the first `above_underflow` singular values overwrite
// a and the right ones go to v (n x n, ldv >= n); otherwise a is overwritten and v not referenced.
// The singular values are scale * sva[0..n), descending, with scale usually 1: a factored form that
// keeps values near the overflow or underflow thresholds representable.
template <typename T>
struct JacobiSvd {
  T scale = 1;
  int above_underflow = 0;  // singular values above the underflow threshold
  int info = 0;             // > 0: no convergence in 30 sweeps (the output is still usable)
};
template <typename T>
JacobiSvd<T> gesvj(char joba, bool with_vectors, int m, int n, T* a, int lda, T* sva, T* v,
                   int ldv) {
  JacobiSvd<T> out;
  if (n ==
      1) {  // GESVJ's own n = 1 path leaves its counts unset: sigma = ||a||, u = a / sigma, v = 1
    double big = 0.0, s = 0.0;
    for (int i = 0; i < m; ++i) big = std::max(big, std::abs(static_cast<double>(a[i])));
    for (int i = 0; big > 0.0 && i < m; ++i) s += (a[i] / big) * (a[i] / big);
    const double sigma = big * std::sqrt(s);
    sva[0] = static_cast<T>(sigma);
    out.above_underflow = sigma > 0.0 ? 1 : 0;
    if (with_vectors) {
      for (int i = 0; sigma > 0.0 && i < m; ++i) a[i] = static_cast<T>(a[i] / sigma);
      v[0] = T(1);
    }
    return out;
  }
  const char jobu = with_vectors ? 'U' : 'N', jobv = with_vectors ? 'V' : 'N';
  const int lwork = std::max(6, m + n), mv = 0, ldv1 = std::max(1, ldv);
  std::vector<T> work(static_cast<size_t>(lwork), T(0));
  T dummy = 0;
  if constexpr (sizeof(T) == 4) {
    sgesvj_(&joba, &jobu, &jobv, &m, &n, a, &lda, sva, &mv, with_vectors ? v : &dummy, &ldv1,
            work.data(), &lwork, &out.info, 1, 1, 1);
  } else {
    dgesvj_(&joba, &jobu, &jobv, &m, &n, a, &lda, sva, &mv, with_vectors ? v : &dummy, &ldv1,
            work.data(), &lwork, &out.info, 1, 1, 1);
  }
  check_info(out.info, sizeof(T) == 4 ? "sgesvj" : "dgesvj");
  out.scale = work[0];
  out.above_underflow = static_cast<int>(work[2] + 0.5);
  return out;
}

// The workspace size a query (lwork = -1) wrote into work[0], rounded up.
template <typename T>
int query_size(T w) {
  return static_cast<int>(w) + 1;
}

}  // namespace lsgd::cpu::lapack
