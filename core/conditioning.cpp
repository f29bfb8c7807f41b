// conditioning() (include/lsgd/metrics.hpp): the one computation of kappa_2(A) behind every
// condition number lsgd prints or tests with.
//
// kappa_2(A) = sigma_max / sigma_min can exceed 1/eps by far while A's columns are merely of
// different scales (a year column beside an intercept, raw polynomial terms): an SVD whose error is
// eps * ||A|| in absolute terms (bidiagonalization, GESDD) then returns a sigma_min that is mostly
// rounding, and two such codes disagree (issue 25: 6.90e18 from --stats, 5.64e18 from --solver all,
// 5.637e18 in high precision). Here: Householder QR of A D (D: powers of two bringing the column
// norms into [1, 4), exact; QR is backward stable column by column), then the one-sided Jacobi SVD
// (LAPACK DGESVJ) of R D^-1, whose singular values are accurate to about kappa(A D) eps RELATIVE
// to each, however small (Demmel and Veselic, "Jacobi's method is more accurate than QR", 1992).
// kappa_scaled comes from the same R with unit-norm columns.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "common/equilibration.hpp"
#include "common/lapack.hpp"
#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"

namespace lsgd {
namespace {

struct Extremes {
  double sigma_max = 0.0, sigma_min = 0.0;
};

// Largest and smallest singular value of the N x N upper triangle R (leading dimension ldr) with
// column j multiplied by w[j], by one-sided Jacobi.
Extremes jacobi_extremes(const std::vector<double>& R, index_t ldr, index_t N,
                         const std::vector<double>& w) {
  const int n = cpu::lapack::dim(N, "n");
  std::vector<double> W(static_cast<size_t>(N * N), 0.0), sva(static_cast<size_t>(N));
  for (index_t j = 0; j < N; ++j) {
    for (index_t i = 0; i <= j; ++i) {
      W[static_cast<size_t>(i + j * N)] =
          R[static_cast<size_t>(i + j * ldr)] * w[static_cast<size_t>(j)];
    }
  }
  const auto svd =
      cpu::lapack::gesvj<double>('U', false, n, n, W.data(), n, sva.data(), nullptr, 1);
  if (svd.info > 0) {
    throw NumericalError(
        "condition number: the one-sided Jacobi SVD did not converge in 30 sweeps");
  }
  // scale * sva: the scale keeps values near the overflow threshold representable in sva; the
  // products below may still be +inf (sigma_max beyond the largest double), which is the answer.
  return Extremes{sva.front() * svd.scale, sva.back() * svd.scale};
}

// kappa of the M x N (M >= N) column-major B, and, with unit_columns, of B with unit-norm columns.
Conditioning tall_conditioning(std::vector<double> B, index_t M, index_t N) {
  const int m = cpu::lapack::dim(M, "m"), n = cpu::lapack::dim(N, "n");
  const std::vector<double> d = cpu::column_scales(B.data(), M, N);
  cpu::copy_scaled_columns(B.data(), M, N, d, B.data());
  std::vector<double> tau(static_cast<size_t>(N));
  double query = 0.0;
  cpu::lapack::geqrf(m, n, B.data(), m, tau.data(), &query, -1);
  std::vector<double> work(static_cast<size_t>(cpu::lapack::query_size(query)));
  cpu::lapack::geqrf(m, n, B.data(), m, tau.data(), work.data(), static_cast<int>(work.size()));
  // R D^-1 = R of B (exact powers of two), and R with unit-norm columns (those of B D up to
  // rounding).
  std::vector<double> unscale(static_cast<size_t>(N)), unit(static_cast<size_t>(N));
  for (index_t j = 0; j < N; ++j) {
    const double cn = cpu::scaled_norm(B.data() + j * M, j + 1);
    unscale[static_cast<size_t>(j)] = 1.0 / d[static_cast<size_t>(j)];
    unit[static_cast<size_t>(j)] = cn > 0.0 ? 1.0 / cn : 1.0;
  }
  const Extremes a = jacobi_extremes(B, M, N, unscale);
  const Extremes s = jacobi_extremes(B, M, N, unit);
  Conditioning c;
  c.sigma_max = a.sigma_max;
  c.sigma_min = a.sigma_min;
  const double inf = std::numeric_limits<double>::infinity();
  c.kappa = a.sigma_min > 0.0 ? a.sigma_max / a.sigma_min : inf;
  c.kappa_scaled = s.sigma_min > 0.0 ? s.sigma_max / s.sigma_min : inf;
  return c;
}

}  // namespace

template <typename T>
Conditioning conditioning(const Problem<T>& p) {
  p.validate();
  const index_t m = p.m, n = p.n;
  if (m == 0 || n == 0) throw InvalidInput("condition number: A is empty");
  std::vector<double> B(static_cast<size_t>(m * n));
  if (m >= n) {
    std::copy(p.A.begin(), p.A.end(), B.begin());
    return tall_conditioning(std::move(B), m, n);
  }
  // m < n: kappa(A) = kappa(A^T); kappa_scaled is about A's columns, so A D_unit is formed first.
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < m; ++i)
      B[static_cast<size_t>(j + i * n)] = static_cast<double>(p.a(i, j));
  }
  Conditioning c = tall_conditioning(B, n, m);
  std::vector<double> unit(static_cast<size_t>(m * n));
  for (index_t j = 0; j < n; ++j) {
    const double cn = cpu::scaled_norm(p.A.data() + j * m, m);
    for (index_t i = 0; i < m; ++i) {
      unit[static_cast<size_t>(j + i * n)] = cn > 0.0 ? static_cast<double>(p.a(i, j)) / cn : 0.0;
    }
  }
  c.kappa_scaled = tall_conditioning(std::move(unit), n, m).kappa;
  return c;
}

template <typename T>
double condition_number(const Problem<T>& p) {
  return conditioning(p).kappa;
}

template Conditioning conditioning<float>(const Problem<float>&);
template Conditioning conditioning<double>(const Problem<double>&);
template double condition_number<float>(const Problem<float>&);
template double condition_number<double>(const Problem<double>&);

}  // namespace lsgd
