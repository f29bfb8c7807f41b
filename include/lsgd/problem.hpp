#pragma once
// Problems and their seeded generators.
//
// Storage: column-major A (m x n), b (m). BatchedProblem stores `batch` problems of one shape
// contiguously, problem-major and each column-major, so strided-batched cuBLAS calls and our own
// kernels read them directly: A of problem p starts at A.data() + p*m*n, b at b.data() + p*m.
#include <cstdint>
#include <string>
#include <vector>

namespace lsgd {

using index_t = std::int64_t;

template <typename T>
struct Problem {
  index_t m = 0;
  index_t n = 0;
  std::vector<T> A;       // m*n, column-major
  std::vector<T> b;       // m
  std::vector<T> x_true;  // n, or empty when unknown
  std::vector<std::string> column_names;  // optional, from files (n entries) for printing

  T& a(index_t i, index_t j) { return A[static_cast<size_t>(j * m + i)]; }
  const T& a(index_t i, index_t j) const { return A[static_cast<size_t>(j * m + i)]; }

  // An m x n problem of zeros (A and b sized, no x_true), to be filled in through a() and b.
  static Problem zeros(index_t m, index_t n) {
    Problem p;
    p.m = m;
    p.n = n;
    p.A.assign(static_cast<size_t>(m * n), T(0));
    p.b.assign(static_cast<size_t>(m), T(0));
    return p;
  }

  // Throws InvalidInput naming the problem: empty, size mismatch, NaN/Inf (with row and column).
  void validate() const;

  template <typename U>
  Problem<U> cast() const;
};

template <typename T>
struct BatchedProblem {
  index_t batch = 0;
  index_t m = 0;
  index_t n = 0;
  std::vector<T> A;       // batch*m*n
  std::vector<T> b;       // batch*m
  std::vector<T> x_true;  // batch*n, or empty

  T* a_of(index_t p) { return A.data() + p * m * n; }
  const T* a_of(index_t p) const { return A.data() + p * m * n; }
  T* b_of(index_t p) { return b.data() + p * m; }
  const T* b_of(index_t p) const { return b.data() + p * m; }

  Problem<T> extract(index_t p) const;  // a copy of problem p
  void validate() const;                // as Problem::validate, naming the problem index

  template <typename U>
  BatchedProblem<U> cast() const;
};

struct GenOptions {
  index_t m = 100;
  index_t n = 10;
  // Condition number of A. 0 or 1 with `gaussian` = true gives plain i.i.d. N(0,1) entries.
  double kappa = 1.0;
  bool gaussian = false;  // plain Gaussian A (kappa ignored)
  // Noise: b = A x_true + noise * ||A x_true|| / sqrt(m) * N(0,1). 0 gives a consistent system.
  double noise = 0.0;
  // Rank: 0 means full rank (min(m,n)); r < min(m,n) gives a matrix of exactly rank r (singular values
  // beyond r set to zero).
  index_t rank = 0;
  std::uint64_t seed = 42;
};

// The usual options in one expression: generate<double>(gen_options(400, 40, 1e4, 7)). The other
// fields keep their defaults above (gaussian = false).
inline GenOptions gen_options(index_t m, index_t n, double kappa = 1.0, std::uint64_t seed = 42,
                              double noise = 0.0, index_t rank = 0) {
  return GenOptions{m, n, kappa, /*gaussian=*/false, noise, rank, seed};
}

// A = U diag(sigma) V^T, U (m x k) and V (n x k) orthonormal (k = min(m,n)), sigma geometric from 1 down
// to 1/kappa, x_true ~ N(0,1) normalized to unit norm. Generated in double, then rounded to T.
template <typename T>
Problem<T> generate(const GenOptions& opt);

// `batch` independent problems; problem p uses seed opt.seed + p. If kappa_max > opt.kappa, the
// condition numbers are spread geometrically from opt.kappa (p = 0) to kappa_max (p = batch-1).
template <typename T>
BatchedProblem<T> generate_batch(index_t batch, const GenOptions& opt, double kappa_max = 0.0);

// Classic ill-conditioned test data (certified or computed in high precision), for the accuracy checks:
// polynomial fit of degree `degree` on equispaced points in [0,1] (Vandermonde, monomial basis),
// with b from a known x_true of ones.
Problem<double> polynomial_fit_problem(index_t m, index_t degree);

}  // namespace lsgd
