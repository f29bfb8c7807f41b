#pragma once
// The two halves of cpu.cholesky, shared with mpi.cholesky (which sums the first over the ranks).
// Defined (float, double) in cpu/lstsq_cholesky.cpp.
#include <string>

#include "lsgd/problem.hpp"

namespace lsgd::cpu::normal {

// G (upper triangle, n x n) = A(r0:r1, :)^T A(r0:r1, :) and c = A(r0:r1, :)^T b(r0:r1), by SYRK and
// GEMV on row chunks of `chunk` rows, so that each chunk is read from memory once. A is column-major
// with leading dimension lda.
template <typename T>
void gram_rows(const T* A, index_t lda, index_t r0, index_t r1, index_t n, const T* b,
               index_t chunk, T* G, T* c);

// Solves (G + lambda I) x = c in place (x holds c on entry; G, upper, is overwritten by its
// Cholesky factor; diag is n scratch entries). m, the rows behind G, sets the rank tolerance.
// Throws NumericalError naming `who` on overflow or a pivot below the rounding noise. scales: the
// column scales d_j when G is the Gram matrix of A D (lambda I then enters as lambda d_j^2 on the
// diagonal), or nullptr.
template <typename T>
void solve_gram(const std::string& who, index_t m, index_t n, T lambda, T* G, T* x, T* diag,
                const T* scales = nullptr);

}  // namespace lsgd::cpu::normal
