// cpu.qr.refined: Householder QR with iterative refinement of the augmented system
//   [ I   A ] [r]   [b]
//   [ A^T 0 ] [x] = [0]
// (Bjorck 1967), reusing one QR factorization A = Q [R; 0] for every correction (GEMQRT applies Q),
// with the residuals f = b - r - A x and g = -A^T r accumulated in extended precision: double-double
// for double working precision (common/double_double.hpp), double for float. Each step solves
//   h = R^-T g,  d = Q^T f,  dx = R^-1 (d(0:n) - h),  dr = Q [h; d(n:m)],  x += dx,  r += dr.
// Plain QR's forward error grows like kappa eps + kappa^2 eps ||r|| / (||A|| ||x||); refined, it falls
// to about eps while kappa eps is well below 1, at the price of a few matrix-vector products per step.
// Stops when the correction falls to rounding (converged), stops shrinking by at least half
// (kappa eps too close to 1: not converged, reported in the note with the estimate), or after
// kMaxSteps. info().iterations counts refinement steps after the initial solve.
#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>
#include <type_traits>

#include "cpu/cpu_families.hpp"
#include "common/double_double.hpp"
#include "common/refinement.hpp"
#include "cpu/lstsq_common.hpp"

namespace lsgd::cpu {
namespace {

constexpr int kMaxSteps = 10;

template <typename T>
class RefinedQrSolver final : public DirectSolverBase<T> {
 public:
  explicit RefinedQrSolver(const SolverOptions& opt)
      : DirectSolverBase<T>("cpu.qr.refined", opt, false) {
    this->reject_ridge();
  }

 private:
  static constexpr bool kDoubleDouble = std::is_same_v<T, double>;
  static constexpr int kLanes = 8;

  void allocate() override {
    const index_t m = this->m_, n = this->n_;
    nb_ = static_cast<int>(std::min<index_t>({n, m, n <= 64 ? 16 : 32}));
    W_.assign(static_cast<size_t>(m * n), T(0));
    tf_.assign(static_cast<size_t>(nb_) * static_cast<size_t>(n), T(0));
    work_.assign(static_cast<size_t>(nb_) * static_cast<size_t>(n), T(0));
    r_.assign(static_cast<size_t>(m), T(0));
    d_.assign(static_cast<size_t>(m), T(0));
    h_.assign(static_cast<size_t>(n), T(0));
    dx_.assign(static_cast<size_t>(n), T(0));
    hi_.assign(static_cast<size_t>(m), 0.0);
    lo_.assign(static_cast<size_t>(m), 0.0);
    // The residual pass splits rows across threads when each gets >= 2^17 entries of A.
    threads_ = static_cast<int>(std::max<index_t>(
        1, std::min<index_t>(this->info_.threads, m * n / (index_t{1} << 17))));
    gpart_.assign(static_cast<size_t>(threads_ * n), DoubleDouble{});
  }

  // f = b - r - A x into d_, g = -A^T r into h_, both accumulated in extended precision
  // (double-double for double, double for float), in ONE pass over A: column j adds -a_j x_j to every
  // row's f and gives g_j = -a_j . r (in kLanes lane-wise partial sums, vectorized). Threads split
  // the rows (one region per step); their partial g_j are added in thread order, in double-double.
  void residuals() {
    const index_t m = this->m_, n = this->n_;
    const int P = threads_;
    for_each_partition(P, [&](int t) {
      residual_rows(m * t / P, m * (t + 1) / P, gpart_.data() + static_cast<size_t>(t) * n);
    });
    for (index_t j = 0; j < n; ++j) {
      DoubleDouble g;
      for (int t = 0; t < P; ++t) {
        const DoubleDouble& p = gpart_[static_cast<size_t>(t * n + j)];
        dd_add(g, p.hi);
        dd_add(g, p.lo);
      }
      h_[static_cast<size_t>(j)] = static_cast<T>(to_double(g));
    }
  }

  // Rows [r0, r1): f into d_, and this block's -A^T r into g[0..n).
  void residual_rows(index_t r0, index_t r1, DoubleDouble* g) {
    const index_t m = this->m_, n = this->n_;
    const T* __restrict A = this->A_.data();
    const T* __restrict b = this->b_.data();
    const T* __restrict r = r_.data();
    double* __restrict hi = hi_.data();
    double* __restrict lo = lo_.data();
    for (index_t i = r0; i < r1; ++i) {
      hi[i] = static_cast<double>(b[i]);
      lo[i] = 0.0;
      if constexpr (kDoubleDouble) {
        dd_add_prod(hi[i], lo[i], static_cast<double>(r[i]), -1.0);
      } else {
        hi[i] -= static_cast<double>(r[i]);
      }
    }
    for (index_t j = 0; j < n; ++j) {
      const T* __restrict a = A + j * m;
      const double xj = -static_cast<double>(this->x_[static_cast<size_t>(j)]);
      double ghi[kLanes] = {}, glo[kLanes] = {};
      index_t i = r0;
      for (; i + kLanes <= r1; i += kLanes) {
        for (int l = 0; l < kLanes; ++l) {
          const double ai = static_cast<double>(a[i + l]);
          const double ri = -static_cast<double>(r[i + l]);
          if constexpr (kDoubleDouble) {
            dd_add_prod(hi[i + l], lo[i + l], ai, xj);
            dd_add_prod(ghi[l], glo[l], ai, ri);
          } else {
            hi[i + l] += ai * xj;
            ghi[l] += ai * ri;
          }
        }
      }
      for (; i < r1; ++i) {
        const double ai = static_cast<double>(a[i]);
        dd_add_prod(hi[i], lo[i], ai, xj);
        dd_add_prod(ghi[0], glo[0], ai, -static_cast<double>(r[i]));
      }
      DoubleDouble gj;
      for (int l = 0; l < kLanes; ++l) {
        dd_add(gj, ghi[l]);
        dd_add(gj, glo[l]);
      }
      g[j] = gj;
    }
    for (index_t i = r0; i < r1; ++i) d_[static_cast<size_t>(i)] = static_cast<T>(hi[i] + lo[i]);
  }

  // One correction: d_ holds f, h_ holds g on entry; x_ and r_ are updated.
  void correct() {
    const int m = static_cast<int>(this->m_), n = static_cast<int>(this->n_);
    lapack::trtrs_upper('T', n, 1, W_.data(), m, h_.data(), n);  // h = R^-T g
    lapack::gemqrt('T', m, 1, n, nb_, W_.data(), m, tf_.data(), nb_, d_.data(), m,
                   work_.data());  // d = Q^T f
    for (int j = 0; j < n; ++j) {
      dx_[static_cast<size_t>(j)] = d_[static_cast<size_t>(j)] - h_[static_cast<size_t>(j)];
      d_[static_cast<size_t>(j)] = h_[static_cast<size_t>(j)];
    }
    lapack::trtrs_upper('N', n, 1, W_.data(), m, dx_.data(), n);  // dx = R^-1 (d1 - h)
    lapack::gemqrt('N', m, 1, n, nb_, W_.data(), m, tf_.data(), nb_, d_.data(), m,
                   work_.data());  // dr = Q [h; d2]
    for (int j = 0; j < n; ++j) this->x_[static_cast<size_t>(j)] += dx_[static_cast<size_t>(j)];
    for (int i = 0; i < m; ++i) r_[static_cast<size_t>(i)] += d_[static_cast<size_t>(i)];
  }

  // On A D (A_ holds it): the refinement's corrections and estimate are relative to z = D^-1 x.
  index_t solve_equilibrated() override {
    const int m = static_cast<int>(this->m_), n = static_cast<int>(this->n_);
    std::copy(this->A_.begin(), this->A_.end(), W_.begin());
    lapack::geqrt(m, n, nb_, W_.data(), m, tf_.data(), nb_, work_.data());
    this->check_full_rank(W_.data(), this->m_);
    // The plain QR solution x0 = R^-1 (Q^T b)(0:n) and its residual r0 = Q [0; (Q^T b)(n:m)] (the
    // first correction from x = 0, r = 0, without the residual pass that would find f = b, g = 0).
    std::copy(this->b_.begin(), this->b_.end(), r_.begin());
    lapack::gemqrt('T', m, 1, n, nb_, W_.data(), m, tf_.data(), nb_, r_.data(), m, work_.data());
    std::copy(r_.begin(), r_.begin() + n, this->x_.begin());
    lapack::trtrs_upper('N', n, 1, W_.data(), m, this->x_.data(), n);
    std::fill(r_.begin(), r_.begin() + n, T(0));
    lapack::gemqrt('N', m, 1, n, nb_, W_.data(), m, tf_.data(), nb_, r_.data(), m, work_.data());
    Refinement ref(scaled_norm(this->x_.data(), this->n_));
    for (int k = 1; k <= kMaxSteps; ++k) {
      residuals();
      correct();
      const double xn = scaled_norm(this->x_.data(), this->n_);
      const double dn = scaled_norm(dx_.data(), this->n_);
      if (!std::isfinite(xn) || !std::isfinite(dn)) this->throw_overflow(0);
      if (!ref.keep_going(k, xn, dn, eps<T>())) break;
    }
    SolveInfo& info = this->info_;
    info.iterations = ref.steps;
    info.converged = ref.converged;
    info.note = ref.note();
    return this->n_;
  }

  int nb_ = 16;
  int threads_ = 1;
  std::vector<T> W_, tf_, work_, r_, d_, h_, dx_;
  std::vector<double> hi_, lo_;
  std::vector<DoubleDouble> gpart_;
};

}  // namespace
}  // namespace lsgd::cpu

namespace lsgd {

void register_cpu_refined(Registry& r) {
  r.add(cpu::direct_entry<cpu::RefinedQrSolver>(
      "cpu.qr.refined", "qr_refined",
      "QR + iterative refinement of the augmented system, residuals in double-double (f64) / "
      "double (f32)",
      true, false, false));
}

}  // namespace lsgd
