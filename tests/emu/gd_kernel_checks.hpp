#pragma once
// The gradient-descent kernels' tests (tests/emu/test_kernels_bgd_*.cpp): a batch of problems with
// planted cases (NaN in A or b, a problem that diverges, one that stops at max_iters, A = 0), the
// reference GD in double per problem (tests/gd_reference.hpp), the device state of the GD engine
// (kernels/bgd_state.hpp) and one check of everything the kernels write.
//
// Bounds (u = unit roundoff of T, eps = 2u):
//  - status and iteration count: equal. The data are chosen so that the device must decide as the
//    reference does: opt.tol (if > 0) is nudged until every problem's q_k = ||grad f(x_k)|| /
//    ||grad f(x_0)|| stays a factor 1 + delta_g from tol at every k up to its stop, and the
//    divergent problem's scale until f_k / f_0 stays a factor 1 + delta_f from 1e8. The device's
//    gradient differs by at most L ||dx|| <= L agree ||x||, which relative to ||grad f(x_k)|| at
//    q_k = tol is at most agree kappa^2 / tol for the generated data (||A|| = 1, so L ~ 1/m and
//    ||grad f(x_0)|| >= ||x|| / (kappa^2 m)): delta_g = 2 agree kappa^2 / tol; f_k of a diverging
//    problem is dominated by the growing component, so delta_f = 2 agree.
//  - x after K evaluations: tests/gd_reference.hpp's agree_tol(K, kappa) = 20 (K + 20) kappa eps
//    (the GD map contracts; rounding adds at most linearly in K).
//  - f = ||r||^2 / (2m) (f_last, history): r differs by dr <= (agree + (n + 2) u)
//    (||A||_F ||x|| + ||b||) (the iterate's difference and r's own rounding), so f by
//    agree |f| + (sqrt(2 m f) dr + dr^2 / 2) / m; near a consistent solution (m < n) f is itself at
//    rounding level. Kernels that form f otherwise add their own term (f_extra: the Gram kernel).
//  - L: power_iters rounds of two dot products of length m and n: 4 power_iters (m + n + 2) u.
//  - f(x_0) = ||b||^2 / (2m): 4 (m + 4) u; ||grad f(x_0)||: 4 (m + n + 4) u || |A|^T |b| || / m.
//  - A problem that stops at k = 0 (NaN, A = 0) keeps x = 0 exactly.
#include <algorithm>
#include <cmath>
#include <functional>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/bgd_kernels.cuh"
#include "kernels/bgd_state.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/solver.hpp"
#include "tests/emu/kernel_test_util.hpp"
#include "tests/gd_reference.hpp"

namespace lsgd::test {

enum class Planted { none, nan_in_A, nan_in_b, diverges, zero };

struct GdShape {
  index_t m = 0, n = 0, batch = 0;
};

inline std::string describe(const GdShape& s) {
  std::ostringstream os;
  os << s.m << " x " << s.n << ", batch " << s.batch;
  return os.str();
}

template <typename T>
struct GdBatch {
  GdShape shape;
  SolverOptions opt;
  std::vector<T> A, b;                  // problem-major, each column-major
  std::vector<double> kappa;            // per problem
  std::vector<Planted> planted;         // per problem
  std::vector<RefResult> ref;           // per problem, with opt
  std::vector<double> g0_mag;           // || |A|^T |b| || / m per problem
  std::vector<double> r_mag;            // ||A||_F ||x_ref|| + ||b|| per problem
  double delta_g = 0.0, delta_f = 0.0;  // decision margins the batch was built with
  std::string label;

  const T* A_of(index_t p) const { return A.data() + p * shape.m * shape.n; }
  const T* b_of(index_t p) const { return b.data() + p * shape.m; }
};

// Largest number of evaluations a problem of the batch may run (power iterations included).
inline int evaluations(const SolverOptions& o) { return o.max_iters + o.power_iters + 1; }

// Whether every problem decides at least a factor 1 + delta away from each threshold.
template <typename T>
bool decisions_have_margin(const GdBatch<T>& g, const std::vector<RefResult>& full, double tol,
                           double delta_g, double delta_f) {
  for (size_t p = 0; p < full.size(); ++p) {
    const RefResult& r = full[p];
    if (g.planted[p] == Planted::nan_in_A || g.planted[p] == Planted::nan_in_b ||
        g.planted[p] == Planted::zero) {
      continue;
    }
    const double f0 = r.fall[0];
    for (size_t k = 0; k < r.fall.size(); ++k) {
      const double q = r.fall[k] / std::max(f0, std::numeric_limits<double>::min());
      if (std::isfinite(q) && std::fabs(q / 1e8 - 1.0) < delta_f) return false;
    }
    if (tol <= 0.0 || r.diverged) continue;
    for (size_t k = 0; k < r.gnorm.size(); ++k) {
      const double q = r.gnorm[k] / r.gnorm[0];
      if (std::fabs(q / tol - 1.0) < delta_g) return false;
    }
  }
  return true;
}

// A batch of `shape` from generate_batch (||A||_2 = 1, kappa from kappa0 to kappa_max, seed; kappa0 =
// 0: plain Gaussian A, cheap to generate where the conditioning does not matter) with the planted
// problems at the given indices; opt.tol (if > 0) and the divergent problem's scale
// are nudged until every decision has the margin delta.
template <typename T>
GdBatch<T> make_gd_batch(const GdShape& shape, SolverOptions opt, double kappa0, double kappa_max,
                         const std::vector<std::pair<index_t, Planted>>& planted,
                         std::uint64_t seed, std::string label) {
  GdBatch<T> g;
  g.shape = shape;
  g.label = std::move(label);
  GenOptions go;
  go.m = shape.m;
  go.n = shape.n;
  go.gaussian = kappa0 <= 0.0;
  go.kappa = go.gaussian ? 1.0 : kappa0;
  go.noise = 0.1;
  go.seed = seed;
  const BatchedProblem<T> bp = generate_batch<T>(shape.batch, go, kappa_max);
  g.A = bp.A;
  g.b = bp.b;
  g.planted.assign(static_cast<size_t>(shape.batch), Planted::none);
  for (index_t p = 0; p < shape.batch; ++p) {
    g.kappa.push_back(
        kappa_max > kappa0 && shape.batch > 1
            ? kappa0 * std::pow(kappa_max / kappa0,
                                static_cast<double>(p) / static_cast<double>(shape.batch - 1))
            : kappa0);
  }
  const size_t mn = static_cast<size_t>(shape.m * shape.n);
  const size_t m = static_cast<size_t>(shape.m);
  double scale = 1.6;  // a divergent problem: A, b scaled, so that a fixed step overshoots
  for (const auto& [p, what] : planted) {
    g.planted[static_cast<size_t>(p)] = what;
    T* Ap = g.A.data() + static_cast<size_t>(p) * mn;
    T* bp_ = g.b.data() + static_cast<size_t>(p) * m;
    if (what == Planted::nan_in_A) Ap[mn / 2] = std::numeric_limits<T>::quiet_NaN();
    if (what == Planted::nan_in_b) bp_[m - 1] = std::numeric_limits<T>::quiet_NaN();
    if (what == Planted::zero) {
      std::fill(Ap, Ap + mn, T(0));
      std::fill(bp_, bp_ + m, T(0));
    }
  }
  const std::vector<T> A0 = g.A, b0 = g.b;
  const double agree = agree_tol<T>(evaluations(opt), kappa_max);
  g.delta_f = 2.0 * agree;
  for (int attempt = 0;; ++attempt) {
    for (const auto& [p, what] : planted) {
      if (what != Planted::diverges) continue;
      for (size_t e = 0; e < mn; ++e) {
        g.A[static_cast<size_t>(p) * mn + e] =
            static_cast<T>(scale * A0[static_cast<size_t>(p) * mn + e]);
      }
      for (size_t e = 0; e < m; ++e) {
        g.b[static_cast<size_t>(p) * m + e] =
            static_cast<T>(scale * b0[static_cast<size_t>(p) * m + e]);
      }
    }
    SolverOptions all = opt;
    all.tol = 0.0;  // every k up to max_iters, for the margins
    std::vector<RefResult> full;
    for (index_t p = 0; p < shape.batch; ++p) {
      full.push_back(reference_gd(g.A_of(p), g.b_of(p), shape.m, shape.n, all));
    }
    g.delta_g = opt.tol > 0.0 ? 2.0 * agree * kappa_max * kappa_max / opt.tol : 0.0;
    if (decisions_have_margin(g, full, opt.tol, g.delta_g, g.delta_f)) break;
    if (attempt == 60) {
      ADD_FAILURE() << g.label << ": no tolerance with decision margins " << g.delta_g << ", "
                    << g.delta_f << " (tol " << opt.tol << ")";
      break;
    }
    opt.tol *= 1.13;
    scale *= 1.03;
  }
  g.opt = opt;
  for (index_t p = 0; p < shape.batch; ++p) {
    g.ref.push_back(reference_gd(g.A_of(p), g.b_of(p), shape.m, shape.n, opt));
    double mag2 = 0.0;
    for (index_t j = 0; j < shape.n; ++j) {
      double s = 0.0;
      for (index_t i = 0; i < shape.m; ++i) {
        s += std::fabs(static_cast<double>(g.A_of(p)[j * shape.m + i])) *
             std::fabs(static_cast<double>(g.b_of(p)[i]));
      }
      mag2 += s * s;
    }
    g.g0_mag.push_back(std::sqrt(mag2) / static_cast<double>(shape.m));
    double aa = 0.0, bb = 0.0, xx = 0.0;
    for (index_t e = 0; e < shape.m * shape.n; ++e)
      aa += static_cast<double>(g.A_of(p)[e]) * g.A_of(p)[e];
    for (index_t i = 0; i < shape.m; ++i) bb += static_cast<double>(g.b_of(p)[i]) * g.b_of(p)[i];
    // (A diverging problem's f grows with its iterate: agree |f| covers it.)
    if (!g.ref.back().diverged) {
      for (const double v : g.ref.back().x) xx += v * v;
    }
    g.r_mag.push_back(std::sqrt(aa) * std::sqrt(xx) + std::sqrt(bb));
  }
  return g;
}

// Options of the three ways L and the step are set. natural: power iteration, alpha = 1/L,
// tol > 0 (planted: NaN in A, A = 0, and kappa up to 20 in double, so the last stops at max_iters);
// fixed_step: alpha = 1.5/L0 with ridge, tol = 0 (planted: NaN in b, a problem scaled by 1.6 that
// diverges); given_l: L given (no power iteration).
enum class Setting { natural, fixed_step, given_l };

template <typename T>
GdBatch<T> make_case(const GdShape& sh, Setting setting, std::uint64_t seed) {
  SolverOptions o;
  o.max_iters = sizeof(T) == 4 ? 60 : 200;
  o.power_iters = 20;
  o.history_every = 7;
  std::vector<std::pair<index_t, Planted>> planted;
  double kappa_max = sizeof(T) == 4 ? 3.0 : 20.0;
  std::string label;
  switch (setting) {
    case Setting::natural:
      o.tol = sizeof(T) == 4 ? 2e-2 : 1e-7;
      if (sh.batch >= 3) planted = {{1, Planted::nan_in_A}, {0, Planted::zero}};
      label = "natural";
      break;
    case Setting::fixed_step:
      o.tol = 0.0;
      o.ridge_lambda = 0.01 / static_cast<double>(sh.m);
      o.step = 1.5 * static_cast<double>(sh.m);  // L = ||A||^2/m + lambda with ||A|| = 1
      if (sh.batch >= 2) planted = {{0, Planted::diverges}};
      if (sh.batch >= 3) planted.push_back({2, Planted::nan_in_b});
      label = "fixed step";
      break;
    case Setting::given_l:
      o.tol = sizeof(T) == 4 ? 2e-2 : 1e-8;
      o.lipschitz = 1.02 / static_cast<double>(sh.m);
      o.history_every = 0;
      kappa_max = 3.0;
      label = "given L";
      break;
  }
  return make_gd_batch<T>(sh, o, 1.5, kappa_max, planted, seed, label);
}

// The device state of one run, as GdEngine sets it up (kernels/bgd_state.hpp).
template <typename T>
struct GdDevice {
  cuda::gd::GdParams prm;
  cuda::DeviceBuffer<T> A, b, x;
  cuda::gd::GdStateBuffers<T> bufs;
  cuda::gd::GdState<T> st;

  GdDevice(const GdBatch<T>& g, cudaStream_t s)
      : prm(cuda::gd::make_gd_params(g.shape.m, g.shape.n, g.shape.batch, g.opt)),
        A(to_device(g.A, s)),
        b(to_device(g.b, s)),
        x(static_cast<size_t>(g.shape.batch * g.shape.n)) {
    st = bufs.allocate(prm, x.data());
  }
};

// What the kernels leave behind, downloaded.
template <typename T>
struct GdOutcome {
  std::vector<T> x, lip, alpha, f0, g0, f_last;
  std::vector<int> status, iters;
  std::vector<double> hist_sum;
  std::vector<int> hist_cnt;
  int active = -1;
};

template <typename T>
GdOutcome<T> download(const GdDevice<T>& d, cudaStream_t s) {
  GdOutcome<T> o;
  o.x = to_host(d.x, s);
  o.lip = to_host(d.bufs.lip, s);
  o.alpha = to_host(d.bufs.alpha, s);
  o.f0 = to_host(d.bufs.f0, s);
  o.g0 = to_host(d.bufs.g0, s);
  o.f_last = to_host(d.bufs.f_last, s);
  o.status = to_host(d.bufs.status, s);
  o.iters = to_host(d.bufs.iters, s);
  o.active = to_host(d.bufs.active, s)[0];
  if (d.prm.history_every > 0) {
    o.hist_sum = to_host(d.bufs.hist_sum, s);
    o.hist_cnt = to_host(d.bufs.hist_cnt, s);
  }
  return o;
}

inline int expected_status(const RefResult& r, const SolverOptions& o) {
  using namespace cuda::gd;
  if (r.diverged) return kDoneDiverged;
  if (o.tol > 0.0 && r.iterations == o.max_iters && r.gnorm.back() > o.tol * r.gnorm[0]) {
    return kDoneMaxIters;
  }
  return kDoneOk;
}

inline double rel(double got, double want) {
  if (got == want) return 0.0;
  return std::fabs(got - want) / std::max(std::fabs(want), std::numeric_limits<double>::min());
}

// The bound on f above for problem p at agreement `agree`.
template <typename T>
double f_tolerance(const GdBatch<T>& g, index_t p, double f, double agree) {
  const double m = static_cast<double>(g.shape.m);
  const double dr = (agree + static_cast<double>(g.shape.n + 2) * unit_roundoff<T>()) *
                    g.r_mag[static_cast<size_t>(p)];
  return agree * std::fabs(f) + (std::sqrt(2.0 * m * std::fabs(f)) * dr + 0.5 * dr * dr) / m;
}

// f_extra of the kernels that form f from the residual.
inline double f_from_residual(index_t, double) { return 0.0; }

// Every output of a solve against the batch's reference. f_extra(p, agree): a kernel's own
// rounding of f beyond f_tolerance (0 for kernels that form f from the residual).
template <typename T>
void check_gd_outcome(const GdBatch<T>& g, const GdOutcome<T>& out, bool given_step_expected,
                      const std::function<double(index_t, double)>& f_extra) {
  using namespace cuda::gd;
  const index_t n = g.shape.n, m = g.shape.m;
  const double u = unit_roundoff<T>();
  const SolverOptions& o = g.opt;
  const std::string where = g.label + " (" + describe(g.shape) + ", " + kKernelBuild + ")";
  int still_running = 0;
  for (index_t p = 0; p < g.shape.batch; ++p) {
    const size_t ps = static_cast<size_t>(p);
    const RefResult& r = g.ref[ps];
    const Planted what = g.planted[ps];
    const std::string who = where + ", problem " + std::to_string(p);
    const int want_status = expected_status(r, o);
    EXPECT_EQ(out.status[ps], want_status) << who;
    EXPECT_EQ(out.iters[ps], r.iterations) << who;
    still_running += out.status[ps] == kRunning;
    const int K = r.iterations + (o.lipschitz > 0.0 ? 0 : o.power_iters);
    const double agree = agree_tol<T>(K, g.kappa[ps]);
    const bool nan_problem = what == Planted::nan_in_A || what == Planted::nan_in_b;
    // L and the step.
    if (o.lipschitz > 0.0) {
      EXPECT_EQ(static_cast<double>(out.lip[ps]), static_cast<double>(static_cast<T>(o.lipschitz)))
          << who;
    } else if (what == Planted::nan_in_A) {
      EXPECT_TRUE(std::isnan(out.lip[ps])) << who << ": L = " << out.lip[ps];
    } else {
      const double bound = 4.0 * o.power_iters * static_cast<double>(m + n + 2) * u;
      EXPECT_LE(rel(out.lip[ps], r.L), std::max(bound, agree))
          << who << ": L " << out.lip[ps] << " vs " << r.L;
    }
    if (given_step_expected) {
      EXPECT_EQ(out.alpha[ps], static_cast<T>(o.step)) << who;
    } else if (!std::isnan(out.lip[ps]) && out.lip[ps] > T(0)) {
      EXPECT_LE(rel(out.alpha[ps], 1.0 / static_cast<double>(out.lip[ps])), 2.0 * u) << who;
    }
    // f(x_0), ||grad f(x_0)||.
    if (!nan_problem) {
      const double f0 = r.fall[0];
      EXPECT_LE(std::fabs(static_cast<double>(out.f0[ps]) - f0),
                4.0 * static_cast<double>(m + 4) * u * f0 + f_extra(p, 4.0 * (m + 4) * u) +
                    std::numeric_limits<T>::denorm_min())
          << who << ": f0";
      EXPECT_LE(std::fabs(static_cast<double>(out.g0[ps]) - r.gnorm[0]),
                4.0 * static_cast<double>(m + n + 4) * u * g.g0_mag[ps] +
                    std::numeric_limits<T>::denorm_min())
          << who << ": g0";
    }
    // x and f where the problem stopped.
    const std::vector<T> xp(out.x.begin() + p * n, out.x.begin() + (p + 1) * n);
    if (r.iterations == 0) {
      EXPECT_EQ(xp, std::vector<T>(static_cast<size_t>(n), T(0))) << who << ": x moved";
    } else if (!r.diverged) {
      EXPECT_LE(rel_diff(xp.data(), r.x, n), agree) << who << ": x after " << r.iterations;
      const double f = r.fall.back();
      EXPECT_LE(std::fabs(static_cast<double>(out.f_last[ps]) - f),
                f_tolerance(g, p, f, agree) + f_extra(p, agree))
          << who << ": f at the stop";
    } else {
      const double f_last = static_cast<double>(out.f_last[ps]);
      const double f0 = static_cast<double>(out.f0[ps]);
      EXPECT_FALSE(std::isfinite(f_last) && f_last <= 1e8 * f0)
          << who << ": f at divergence " << f_last;
    }
  }
  EXPECT_EQ(out.active, 0) << where;
  EXPECT_EQ(still_running, 0) << where;
  int by_status[4] = {0, 0, 0, 0};
  for (const int st : out.status) by_status[st >= 0 && st < 4 ? st : 0] += 1;
  std::cout << "  " << where << ": " << by_status[kDoneOk] << " done, " << by_status[kDoneMaxIters]
            << " at max_iters, " << by_status[kDoneDiverged] << " diverged; iterations "
            << *std::min_element(out.iters.begin(), out.iters.end()) << ".."
            << *std::max_element(out.iters.begin(), out.iters.end()) << ", tol " << o.tol << "\n";
  // History: slot j sums f(x_{j every}) over the problems evaluated at j every that did not
  // diverge there.
  if (o.history_every > 0) {
    const size_t slots = static_cast<size_t>(o.max_iters / o.history_every + 1);
    ASSERT_EQ(out.hist_sum.size(), slots) << where;
    for (size_t j = 0; j < slots; ++j) {
      const int k = static_cast<int>(j) * o.history_every;
      double sum = 0.0, bound = 0.0;
      int count = 0;
      for (index_t p = 0; p < g.shape.batch; ++p) {
        const RefResult& r = g.ref[static_cast<size_t>(p)];
        if (k > r.iterations || (r.diverged && k == r.iterations)) continue;
        const double f = r.fall[static_cast<size_t>(k)];
        const double agree = agree_tol<T>(k + o.power_iters, g.kappa[static_cast<size_t>(p)]);
        sum += f;
        bound += f_tolerance(g, p, f, agree) + f_extra(p, agree);
        ++count;
      }
      EXPECT_EQ(out.hist_cnt[j], count) << where << ": history slot " << j;
      EXPECT_LE(std::fabs(out.hist_sum[j] - sum), bound + 1e-300)
          << where << ": history slot " << j;
    }
  }
}

}  // namespace lsgd::test

// The GD kernel tests' vocabulary, by its short names.
namespace lsgd {
using test::GdBatch;
using test::GdDevice;
using test::GdShape;
using test::Setting;
}  // namespace lsgd
