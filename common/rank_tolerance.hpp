#pragma once
// The full-rank test of the unpivoted factorizations, written once for both backends: cpu.qr,
// cpu.qr.refined, cpu.tsqr, cpu.cholesky (cpu/lstsq_common.hpp, cpu/lstsq_cholesky.cpp) and
// cuda.qr, cuda.qr.augmented, cuda.qr.refined, cuda.gels, cuda.gels_irs, cuda.cholesky
// (kernels/qr_checks.hpp, kernels/lstsq_cholesky.cpp), cuda.batched.resident and cuda.tsqr
// (rank_qr_tolerance, kernels/batched_resident.cu). Host code only.
//
// Rounding leaves noise of about sqrt(m) eps (relative to the column's norm) in |R(j,j)| of a
// Householder QR and in the Cholesky pivots of A^T A (measured: up to ~30 eps on 20000 rows). Below
// 10x that, column j is numerically dependent on the columns before it. Both rules are
// scale-invariant per column, so column equilibration by powers of two does not change them.
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "lsgd/error.hpp"
#include "lsgd/problem.hpp"

namespace lsgd::cpu {

// 10 sqrt(m) eps(T): the relative rounding noise of R(j,j) (or of a Cholesky pivot of A^T A)
// times ten, for an A of m rows.
template <typename T>
T rank_tolerance(index_t m) {
  return static_cast<T>(10.0 * std::sqrt(static_cast<double>(m)) *
                        static_cast<double>(std::numeric_limits<T>::epsilon()));
}

// QR: column j of A is numerically dependent on the columns before it when
// |R(j,j)| <= tol ||a_j||, ||a_j|| = ||R(0:j, j)|| by Q's orthogonality (computed overflow-safely
// by the caller; a non-finite norm is an overflow, see throw_overflow). True for NaN.
template <typename T>
bool r_column_dependent(T rjj, double column_norm, T tol) {
  return !(std::abs(static_cast<double>(rjj)) > static_cast<double>(tol) * column_norm);
}

// Normal equations: the pivot u = L(j,j) of G = A^T A (+ lambda I) with diagonal entry g_jj is
// below the rounding noise when u^2 <= tol g_jj (u^2 / g_jj is the squared sine of a_j's angle
// to the span of the columns before it). True for NaN.
template <typename T>
bool gram_pivot_dependent(T pivot, T gjj, T tol) {
  return !(pivot * pivot > tol * gjj);
}

// Columns: `col` / `j` below are 0-based indices; every message counts columns from 1, on every
// backend, since the CLI names "column N" from the data's header (text::with_column_names).

// The NumericalError of a column whose norm (or Gram diagonal) is not finite in T.
[[noreturn]] inline void throw_overflow(const std::string& who, index_t col) {
  std::ostringstream os;
  os << who << ": the norm of column " << col + 1
     << " of A is not finite in this precision (overflow); rescale the columns of A";
  throw NumericalError(os.str());
}

// The test of column j of an unpivoted Householder R, for every backend: R(j,j) = rjj, the column's
// norm ||R(0:j, j)|| = column_norm (= ||a_j||), tol = rank_tolerance(m). Throws the overflow
// error when the norm is not finite, NumericalError naming the column and `instead` (the solvers
// to use) when r_column_dependent.
template <typename T>
void check_r_column(const std::string& who, index_t j, T rjj, double column_norm, T tol,
                    const char* instead) {
  if (!std::isfinite(column_norm)) throw_overflow(who, j);
  if (!r_column_dependent(rjj, column_norm, tol)) return;
  std::ostringstream os;
  os << who << ": A is rank deficient to working precision: column " << j + 1
     << " lies in the span of the columns before it (|R(" << j + 1 << "," << j + 1
     << ")| = " << std::abs(rjj) << " vs column norm " << column_norm << ", tolerance " << tol
     << " = 10 sqrt(m) eps); use " << instead;
  throw NumericalError(os.str());
}

}  // namespace lsgd::cpu
