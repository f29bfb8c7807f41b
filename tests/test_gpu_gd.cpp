// CUDA gradient descent: cuda.gd and the batched cuda.bgd.{cublas,fused,resident,gram}.
// Every test needs a GPU: it skips without one and fails under -DLSGD_REQUIRE_GPU=ON.
//
// Checks: convergence to the cpu.qr solution; agreement with a reference GD (written here, in
// double, from the conventions) and with cpu.gd / cpu.bgd after the same number of iterations;
// every problem of a batch (max over the batch), condition numbers varied across the batch,
// register-resident and streamed shapes, n at and beyond each kernel's limit; divergence reported
// as NumericalError (cuda.gd) or kDiverged with the other problems still solved (batched).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/registry.hpp"
#include "tests/gd_reference.hpp"
#include "tests/test_util.hpp"

namespace lsgd {
namespace {

using test::agree_tol;
using test::reference_gd;
using test::rel_diff;
using test::RefResult;

// Converged to tol: ||x - x*|| <= ||grad||/mu <= tol ||grad0||/mu <= tol kappa^2 ||x*|| for the
// generated data (sigma in [1/kappa, 1], consistent b), plus rounding at kappa^2 eps.
template <typename T>
double converge_tol(double tol, double kappa) {
  return 2.0 * tol * kappa * kappa + 100.0 * kappa * kappa * eps<T>();
}

template <typename T>
double tol_for() {
  return sizeof(T) == 4 ? 1e-5 : 1e-10;
}

// ---- cuda.gd

template <typename T>
class CudaGd : public ::testing::Test {};
using Precisions = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CudaGd, Precisions);

TYPED_TEST(CudaGd, ConvergesToQrSolution) {
  using T = TypeParam;
  const SolverEntry& e = default_registry().get("cuda.gd");
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  for (const double kappa : {2.0, 8.0}) {
    GenOptions g = gen_options(3000, 24, kappa, 11);
    const Problem<T> p = generate<T>(g);
    SolverOptions o;
    o.tol = tol_for<T>();
    o.max_iters = 50000;
    auto s = e.make<T>(o);
    s->setup(p);
    s->timed_solve();
    const auto x = s->solution();
    EXPECT_TRUE(s->info().converged) << s->info().note;
    auto qr = default_registry().get("cpu.qr").make<double>();
    qr->setup(p.template cast<double>());
    qr->timed_solve();
    const auto xq = qr->solution();
    EXPECT_LE(forward_error(x, xq), converge_tol<T>(o.tol, kappa)) << "kappa " << kappa;
    EXPECT_GT(s->info().iterations, 1);
  }
}

TYPED_TEST(CudaGd, MatchesCpuGdAfterSameIterations) {
  using T = TypeParam;
  const SolverEntry& e = default_registry().get("cuda.gd");
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  // A tall problem (many row blocks: the partial sums are reduced) and a short one.
  for (const index_t m : {200000, 300}) {
    GenOptions g = gen_options(m, 16, 10.0, 5, 0.1);
    const Problem<T> p = generate<T>(g);
    SolverOptions o;
    o.tol = 0.0;
    o.max_iters = 40;
    o.history_every = 10;
    o.ridge_lambda = 1e-5;
    auto s = e.make<T>(o);
    s->setup(p);
    s->timed_solve();
    const auto x = s->solution();
    EXPECT_EQ(s->info().iterations, 40);
    EXPECT_TRUE(s->info().converged);
    const RefResult ref = reference_gd(p.A.data(), p.b.data(), p.m, p.n, o);
    EXPECT_LE(rel_diff(x.data(), ref.x, p.n), agree_tol<T>(40, 10.0)) << "m = " << m;
    ASSERT_EQ(s->info().loss_history.size(), 5u);
    for (size_t j = 0; j < 5; ++j) {
      EXPECT_NEAR(s->info().loss_history[j] / ref.f[j * 10], 1.0, agree_tol<T>(40, 10.0));
    }
    if (const SolverEntry* c = default_registry().find("cpu.gd")) {
      auto cs = c->make<T>(o);
      cs->setup(p);
      cs->timed_solve();
      const auto xc = cs->solution();
      EXPECT_LE(rel_diff(x.data(), xc, p.n), agree_tol<T>(40, 10.0)) << "vs cpu.gd, m = " << m;
    }
  }
}

TYPED_TEST(CudaGd, LargeNUsesTheCublasFormAndAgrees) {
  using T = TypeParam;
  const SolverEntry& e = default_registry().get("cuda.gd");
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  GenOptions g;
  g.m = 1300;
  g.n = 1100;  // beyond the streamed kernel's 1024 columns
  g.gaussian = true;
  g.seed = 3;
  const Problem<T> p = generate<T>(g);
  SolverOptions o;
  o.tol = 0.0;
  o.max_iters = 5;
  auto s = e.make<T>(o);
  s->setup(p);
  s->timed_solve();
  const auto x = s->solution();
  const RefResult ref = reference_gd(p.A.data(), p.b.data(), p.m, p.n, o);
  EXPECT_LE(rel_diff(x.data(), ref.x, p.n), agree_tol<T>(5, 100.0));
}

TYPED_TEST(CudaGd, StepAboveTwoOverLThrowsNumericalError) {
  using T = TypeParam;
  const SolverEntry& e = default_registry().get("cuda.gd");
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  GenOptions g = gen_options(500, 10, 3.0);
  const Problem<T> p = generate<T>(g);
  SolverOptions o;
  const RefResult ref = reference_gd(p.A.data(), p.b.data(), p.m, p.n, o);
  o.step = 3.0 / ref.L;  // |1 - alpha L| = 2: the error doubles every step
  o.max_iters = 1000;
  auto s = e.make<T>(o);
  s->setup(p);
  try {
    s->timed_solve();
    FAIL() << "expected NumericalError";
  } catch (const NumericalError& err) {
    EXPECT_NE(std::string(err.what()).find("cuda.gd: diverged at iteration"), std::string::npos)
        << err.what();
  }
}

TEST(CudaGdOptions, RejectsBadOptions) {
  const SolverEntry& e = default_registry().get("cuda.gd");
  LSGD_SKIP_IF_UNAVAILABLE(&e);
  SolverOptions o;
  o.tol = -1.0;
  EXPECT_THROW(e.make<double>(o), InvalidInput);
  o = SolverOptions{};
  o.power_iters = 0;
  EXPECT_THROW(e.make<double>(o), InvalidInput);
}

// ---- Batched variants

const char* const kBatched[] = {"cuda.bgd.cublas", "cuda.bgd.fused", "cuda.bgd.resident",
                                "cuda.bgd.gram"};

struct Shape {
  index_t batch, m, n;
};

template <typename T>
std::vector<T> solve_batched(const SolverEntry& e, const BatchedProblem<T>& bp,
                             const SolverOptions& o, SolveInfo* info) {
  auto s = e.make_batched<T>(o);
  s->setup(bp);
  s->timed_solve();
  if (info != nullptr) *info = s->info();
  return s->solution();
}

template <typename T>
class CudaBgd : public ::testing::Test {};
TYPED_TEST_SUITE(CudaBgd, Precisions);

// Register-resident shapes (64 x 8; 256 x 32 in float, 200 x 32 in double), a shape that the resident
// kernel streams (700 x 40), kappa from 2 to 8 across the batch, every problem against cpu.qr.
TYPED_TEST(CudaBgd, EveryProblemConvergesToQrSolution) {
  using T = TypeParam;
  const index_t m32 = sizeof(T) == 4 ? 256 : 200;
  const Shape shapes[] = {{100, 64, 8}, {40, m32, 32}, {12, 700, 40}};
  const double kappa_max = 8.0;
  for (const char* name : kBatched) {
    const SolverEntry& e = default_registry().get(name);
    LSGD_SKIP_IF_UNAVAILABLE(&e);
    for (const Shape& sh : shapes) {
      GenOptions g = gen_options(sh.m, sh.n, 2.0, 100);
      const BatchedProblem<T> bp = generate_batch<T>(sh.batch, g, kappa_max);
      SolverOptions o;
      o.tol = tol_for<T>();
      o.max_iters = 100000;
      SolveInfo info;
      const auto x = solve_batched(e, bp, o, &info);
      ASSERT_EQ(x.size(), static_cast<size_t>(sh.batch * sh.n));
      ASSERT_EQ(info.problem_status.size(), static_cast<size_t>(sh.batch));
      ASSERT_EQ(info.problem_iterations.size(), static_cast<size_t>(sh.batch));
      EXPECT_TRUE(info.converged) << name << ": " << info.note;
      double worst = 0.0;
      int max_it = 0;
      auto qr = default_registry().get("cpu.qr").make<double>();
      for (index_t p = 0; p < sh.batch; ++p) {
        EXPECT_EQ(info.problem_status[static_cast<size_t>(p)], kSolved) << name << " problem " << p;
        qr->setup(bp.extract(p).template cast<double>());
        qr->timed_solve();
        const auto xq = qr->solution();
        const double err = rel_diff(x.data() + p * sh.n, xq, sh.n);
        if (!(err <= worst)) worst = err;  // NaN propagates
        max_it = std::max(max_it, info.problem_iterations[static_cast<size_t>(p)]);
      }
      EXPECT_LE(worst, converge_tol<T>(o.tol, kappa_max))
          << name << " " << sh.m << "x" << sh.n << " (max over the batch)";
      EXPECT_EQ(info.iterations, max_it) << name;
      // Worse conditioning takes more iterations (kappa grows with the problem index).
      EXPECT_GT(info.problem_iterations.back(), info.problem_iterations.front()) << name;
    }
  }
}

// After exactly K iterations (tol = 0), every problem agrees with the reference GD and with cpu.bgd,
// with ridge lambda, and the history (mean over the batch) matches.
TYPED_TEST(CudaBgd, EveryProblemMatchesReferenceAfterSameIterations) {
  using T = TypeParam;
  const index_t m32 = sizeof(T) == 4 ? 256 : 200;
  // Register configurations: 8 lanes x 8 columns, 1 lane, several warps, a full warp at n = 32,
  // groups wider than NMAX (n = 4 and 8 with 16-32 lanes); streamed: n > 32, m beyond registers.
  const Shape shapes[] = {{70, 64, 8},  {9, 5, 3},     {20, m32, 32},  {10, 100, 32},
                          {10, 200, 4}, {10, 200, 8},  {6, 1500, 40},  {3, 20000, 6}};
  constexpr int K = 30;
  for (const char* name : kBatched) {
    const SolverEntry& e = default_registry().get(name);
    LSGD_SKIP_IF_UNAVAILABLE(&e);
    for (const Shape& sh : shapes) {
      GenOptions g = gen_options(sh.m, sh.n, 1.5, 7, 0.05);
      const BatchedProblem<T> bp = generate_batch<T>(sh.batch, g, 10.0);
      SolverOptions o;
      o.tol = 0.0;
      o.max_iters = K;
      o.ridge_lambda = 1e-4;
      o.history_every = 10;
      SolveInfo info;
      const auto x = solve_batched(e, bp, o, &info);
      EXPECT_EQ(info.iterations, K) << name;
      EXPECT_TRUE(info.converged) << name;
      double worst = 0.0;
      std::vector<double> mean_f(K + 1, 0.0);
      for (index_t p = 0; p < sh.batch; ++p) {
        const RefResult ref = reference_gd(bp.a_of(p), bp.b_of(p), sh.m, sh.n, o);
        const double err = rel_diff(x.data() + p * sh.n, ref.x, sh.n);
        if (!(err <= worst)) worst = err;
        EXPECT_EQ(info.problem_iterations[static_cast<size_t>(p)], K);
        for (int k = 0; k <= K; ++k) mean_f[static_cast<size_t>(k)] += ref.f[k] / sh.batch;
      }
      EXPECT_LE(worst, agree_tol<T>(K, 10.0))
          << name << " " << sh.m << "x" << sh.n << " (max over the batch)";
      ASSERT_EQ(info.loss_history.size(), 4u) << name;
      for (size_t j = 0; j < 4; ++j) {
        // The Gram form evaluates f as x.(Gx/2 - c) + |b|^2/(2m): cancellation at eps * f(x_0).
        const double slack = std::string(name) == "cuda.bgd.gram" ? 100.0 * eps<T>() * mean_f[0] : 0;
        EXPECT_NEAR(info.loss_history[j], mean_f[j * 10],
                    agree_tol<T>(K, 10.0) * mean_f[j * 10] + slack)
            << name << " history entry " << j;
      }
      if (const SolverEntry* c = default_registry().find("cpu.bgd")) {
        const auto xc = solve_batched(*c, bp, o, nullptr);
        double w = 0.0;
        for (index_t p = 0; p < sh.batch; ++p) {
          std::vector<T> xcp(xc.begin() + p * sh.n, xc.begin() + (p + 1) * sh.n);
          const double err = rel_diff(x.data() + p * sh.n, xcp, sh.n);
          if (!(err <= w)) w = err;
        }
        EXPECT_LE(w, agree_tol<T>(K, 10.0)) << name << " vs cpu.bgd " << sh.m << "x" << sh.n;
      }
    }
  }
}

// Problems 0 and 3 are scaled by 2 (L four times larger): with step 1/L of the others, alpha L = 4
// for them and they diverge; the others converge.
TYPED_TEST(CudaBgd, DivergenceIsReportedPerProblem) {
  using T = TypeParam;
  for (const char* name : kBatched) {
    const SolverEntry& e = default_registry().get(name);
    LSGD_SKIP_IF_UNAVAILABLE(&e);
    for (const Shape& sh : {Shape{8, 64, 8}, Shape{6, 900, 36}}) {
      GenOptions g = gen_options(sh.m, sh.n, 3.0);
      BatchedProblem<T> bp = generate_batch<T>(sh.batch, g);
      for (index_t p : {index_t{0}, index_t{3}}) {
        for (index_t i = 0; i < sh.m * sh.n; ++i) bp.a_of(p)[i] *= T(2);
        for (index_t i = 0; i < sh.m; ++i) bp.b_of(p)[i] *= T(2);
      }
      SolverOptions o;
      const RefResult ref = reference_gd(bp.a_of(1), bp.b_of(1), sh.m, sh.n, o);
      o.step = 1.0 / ref.L;
      o.tol = tol_for<T>();
      o.max_iters = 20000;
      SolveInfo info;
      const auto x = solve_batched(e, bp, o, &info);
      EXPECT_FALSE(info.converged) << name;
      for (index_t p = 0; p < sh.batch; ++p) {
        const int st = info.problem_status[static_cast<size_t>(p)];
        if (p == 0 || p == 3) {
          EXPECT_EQ(st, kDiverged) << name << " problem " << p;
          EXPECT_LT(info.problem_iterations[static_cast<size_t>(p)], 100) << name;
        } else {
          EXPECT_EQ(st, kSolved) << name << " problem " << p;
          std::vector<T> xt(bp.x_true.begin() + p * sh.n, bp.x_true.begin() + (p + 1) * sh.n);
          EXPECT_LE(rel_diff(x.data() + p * sh.n, xt, sh.n), converge_tol<T>(o.tol, 3.0))
              << name << " problem " << p;
        }
      }
      EXPECT_EQ(failed_indices(info), (std::vector<index_t>{0, 3})) << name;
    }
  }
}

// n at each kernel's limit works (checked against the reference); beyond it: InvalidInput at setup,
// or for cuda.bgd.resident the streamed fallback when m or n leaves the register-resident range.
TYPED_TEST(CudaBgd, ShapesAtAndBeyondTheLimits) {
  using T = TypeParam;
  SolverOptions o;
  o.tol = 0.0;
  o.max_iters = 4;
  auto check = [&](const char* name, index_t batch, index_t m, index_t n,
                   const std::string& note_has) {
    const SolverEntry& e = default_registry().get(name);
    GenOptions g = gen_options(m, n);
    g.gaussian = true;
    g.seed = 9;
    const BatchedProblem<T> bp = generate_batch<T>(batch, g);
    SolveInfo info;
    const auto x = solve_batched(e, bp, o, &info);
    EXPECT_NE(info.note.find(note_has), std::string::npos) << name << ": " << info.note;
    double worst = 0.0;
    for (index_t p = 0; p < batch; ++p) {
      const RefResult ref = reference_gd(bp.a_of(p), bp.b_of(p), m, n, o);
      const double err = rel_diff(x.data() + p * n, ref.x, n);
      if (!(err <= worst)) worst = err;
    }
    EXPECT_LE(worst, agree_tol<T>(4, 100.0)) << name << " " << m << "x" << n;
  };
  auto rejects = [&](const char* name, index_t m, index_t n) {
    const SolverEntry& e = default_registry().get(name);
    GenOptions g = gen_options(m, n);
    g.gaussian = true;
    const BatchedProblem<T> bp = generate_batch<T>(2, g);
    auto s = e.make_batched<T>(o);
    EXPECT_THROW(s->setup(bp), InvalidInput) << name << " " << m << "x" << n;
  };
  for (const char* name : kBatched) {
    const SolverEntry& e = default_registry().get(name);
    LSGD_SKIP_IF_UNAVAILABLE(&e);
  }
  const index_t res_m32 = sizeof(T) == 4 ? 1024 : 256;  // register-resident limit at n = 32
  check("cuda.bgd.resident", 5, res_m32, 32, "registers");
  check("cuda.bgd.resident", 5, res_m32 + 1, 32, "streamed");
  check("cuda.bgd.resident", 5, 100, 33, "streamed");
  check("cuda.bgd.resident", 300, 3, 1, "registers");
  check("cuda.bgd.resident", 2, 1030, 1024, "streamed");
  rejects("cuda.bgd.resident", 1030, 1025);
  check("cuda.bgd.fused", 2, 1030, 1024, "one pass");
  rejects("cuda.bgd.fused", 1030, 1025);
  check("cuda.bgd.gram", 3, 300, 128, "shared memory");
  check("cuda.bgd.gram", 40, 50, 33, "shared memory");
  rejects("cuda.bgd.gram", 300, 129);
  check("cuda.bgd.cublas", 2, 1200, 1100, "cuBLAS");
}

}  // namespace
}  // namespace lsgd
