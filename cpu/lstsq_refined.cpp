// cpu.qr.refined: Householder QR with iterative refinement of the augmented system
//   [ I   A ] [r]   [b]
//   [ A^T 0 ] [x] = [0]
// (Bjorck 1967), reusing one QR factorization A = Q [R; 0] (LAPACK GEQRF) for every correction,
// with the residuals f = b - r - A x and g = -A^T r accumulated in extended precision: double-double
// for double working precision (cpu/double_double.hpp), double for float. Each step solves
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
#include "cpu/double_double.hpp"
#include "cpu/lstsq_common.hpp"

namespace lsgd::cpu {
namespace {

constexpr int kMaxSteps = 10;

// The extended-precision accumulator of working precision T.
template <typename T>
struct Extended;
template <>
struct Extended<double> {
  using type = DoubleDouble;
  static void add(type& acc, double v) { dd_add(acc, v); }
  static void add_prod(type& acc, double a, double b) { dd_add_prod(acc, a, b); }
  static double value(const type& acc) { return to_double(acc); }
};
template <>
struct Extended<float> {
  using type = double;  // a product of two floats is exact in double
  static void add(type& acc, double v) { acc += v; }
  static void add_prod(type& acc, double a, double b) { acc += a * b; }
  static double value(const type& acc) { return acc; }
};

template <typename T>
double norm2(const std::vector<T>& v, size_t n) {
  double big = 0.0;
  for (size_t i = 0; i < n; ++i) big = std::max(big, std::abs(static_cast<double>(v[i])));
  if (!(big > 0.0) || !std::isfinite(big)) return big;
  double s = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(v[i]) / big;
    s += t * t;
  }
  return big * std::sqrt(s);
}

template <typename T>
class RefinedQrSolver final : public DirectSolverBase<T> {
 public:
  explicit RefinedQrSolver(const SolverOptions& opt)
      : DirectSolverBase<T>("cpu.qr.refined", opt, false) {
    this->reject_ridge();
  }

 private:
  using X = Extended<T>;

  void allocate() override {
    const index_t m = this->m_, n = this->n_;
    const int mi = static_cast<int>(m), ni = static_cast<int>(n);
    W_.assign(static_cast<size_t>(m * n), T(0));
    tau_.assign(static_cast<size_t>(n), T(0));
    r_.assign(static_cast<size_t>(m), T(0));
    d_.assign(static_cast<size_t>(m), T(0));
    h_.assign(static_cast<size_t>(n), T(0));
    dx_.assign(static_cast<size_t>(n), T(0));
    acc_.assign(static_cast<size_t>(m), typename X::type{});
    T q1 = 0, q2 = 0;
    lapack::geqrf(mi, ni, W_.data(), mi, tau_.data(), &q1, -1);
    lapack::ormqr('T', mi, 1, ni, W_.data(), mi, tau_.data(), d_.data(), mi, &q2, -1);
    work_.assign(static_cast<size_t>(std::max(lapack::query_size(q1), lapack::query_size(q2))),
                 T(0));
  }

  // f = b - r - A x into d_, g = -A^T r into h_, both accumulated in extended precision.
  void residuals() {
    const index_t m = this->m_, n = this->n_;
    const T* A = this->A_.data();
    const T* x = this->x_.data();
    for (index_t i = 0; i < m; ++i) {
      typename X::type a{};
      X::add(a, static_cast<double>(this->b_[static_cast<size_t>(i)]));
      X::add(a, -static_cast<double>(r_[static_cast<size_t>(i)]));
      acc_[static_cast<size_t>(i)] = a;
    }
    for (index_t j = 0; j < n; ++j) {
      const T* a = A + j * m;
      const double xj = -static_cast<double>(x[j]);
      for (index_t i = 0; i < m; ++i) X::add_prod(acc_[static_cast<size_t>(i)], a[i], xj);
    }
    for (index_t i = 0; i < m; ++i) {
      d_[static_cast<size_t>(i)] = static_cast<T>(X::value(acc_[static_cast<size_t>(i)]));
    }
    for (index_t j = 0; j < n; ++j) {
      const T* a = A + j * m;
      typename X::type g{};
      for (index_t i = 0; i < m; ++i) X::add_prod(g, a[i], -static_cast<double>(r_[static_cast<size_t>(i)]));
      h_[static_cast<size_t>(j)] = static_cast<T>(X::value(g));
    }
  }

  // One correction: d_ holds f, h_ holds g on entry; x_ and r_ are updated.
  void correct() {
    const int m = static_cast<int>(this->m_), n = static_cast<int>(this->n_);
    const int lwork = static_cast<int>(work_.size());
    lapack::trtrs_upper('T', n, 1, W_.data(), m, h_.data(), n);                        // h = R^-T g
    lapack::ormqr('T', m, 1, n, W_.data(), m, tau_.data(), d_.data(), m, work_.data(), lwork);  // d = Q^T f
    for (int j = 0; j < n; ++j) {
      dx_[static_cast<size_t>(j)] = d_[static_cast<size_t>(j)] - h_[static_cast<size_t>(j)];
      d_[static_cast<size_t>(j)] = h_[static_cast<size_t>(j)];
    }
    lapack::trtrs_upper('N', n, 1, W_.data(), m, dx_.data(), n);                       // dx = R^-1 (d1 - h)
    lapack::ormqr('N', m, 1, n, W_.data(), m, tau_.data(), d_.data(), m, work_.data(), lwork);  // dr = Q [h; d2]
    for (int j = 0; j < n; ++j) this->x_[static_cast<size_t>(j)] += dx_[static_cast<size_t>(j)];
    for (int i = 0; i < m; ++i) r_[static_cast<size_t>(i)] += d_[static_cast<size_t>(i)];
  }

  void solve() override {
    const int m = static_cast<int>(this->m_), n = static_cast<int>(this->n_);
    std::copy(this->A_.begin(), this->A_.end(), W_.begin());
    lapack::geqrf(m, n, W_.data(), m, tau_.data(), work_.data(), static_cast<int>(work_.size()));
    this->check_full_rank(W_.data(), this->m_);
    // From x = 0, r = 0 the first correction is the plain QR solution and its residual.
    std::fill(this->x_.begin(), this->x_.end(), T(0));
    std::fill(r_.begin(), r_.end(), T(0));
    const double eps_t = eps<T>();
    double prev = 0.0, last = 0.0;
    int steps = 0;
    bool converged = false, stalled = false;
    for (int k = 0; k <= kMaxSteps; ++k) {
      residuals();
      correct();
      const double xn = norm2(this->x_, static_cast<size_t>(n));
      const double dn = norm2(dx_, static_cast<size_t>(n));
      if (!std::isfinite(xn) || !std::isfinite(dn)) this->throw_overflow(0);
      if (k == 0) {  // the initial solve, not a refinement step
        prev = dn;
        last = 1.0;
        continue;
      }
      steps = k;
      last = xn > 0.0 ? dn / xn : 0.0;
      if (last <= 2.0 * eps_t) {
        converged = true;
        break;
      }
      if (k > 1 && dn > 0.5 * prev) {
        stalled = true;
        break;
      }
      prev = dn;
    }
    SolveInfo& info = this->info_;
    info.iterations = steps;
    info.converged = converged;
    std::ostringstream os;
    os.precision(2);
    if (converged) {
      os << "refinement converged in " << steps << " step(s); estimated forward error " << last;
    } else {
      os << "refinement did not converge ("
         << (stalled ? "the correction stopped shrinking: kappa(A) eps is too close to 1"
                     : "step limit reached")
         << "); the last correction was " << last << " of ||x||";
    }
    info.note = os.str();
  }

  std::vector<T> W_, tau_, r_, d_, h_, dx_, work_;
  std::vector<typename X::type> acc_;
};

}  // namespace
}  // namespace lsgd::cpu

namespace lsgd {

void register_cpu_refined(Registry& r) {
  r.add(cpu::direct_entry<cpu::RefinedQrSolver>(
      "cpu.qr.refined",
      "QR + iterative refinement of the augmented system, residuals in double-double (f64) / "
      "double (f32)",
      true, false, false));
}

}  // namespace lsgd
