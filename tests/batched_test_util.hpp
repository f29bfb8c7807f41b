#pragma once
// Shared checks of the batched direct solvers (tests/test_batched_lstsq.cpp for the CPU entries,
// tests/test_gpu_batched.cpp for the CUDA entries): every problem of a batch against a per-problem
// reference, the maximum over the batch with NaN propagated (MAGMA's batched testers do the same).
//
// Bounds. generate_batch makes problem p with ||A||_2 = 1, ||x_true|| = 1 and condition number
// kappa_p geometric from opt.kappa (p = 0) to kappa_max (p = batch - 1). On consistent systems a
// backward-stable solver (Householder QR) has forward error <= c kappa_p eps, the normal equations
// c kappa_p^2 eps; c = 30 is LAPACK's test threshold for such eps-scaled ratios (xQRT17).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lsgd/metrics.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/registry.hpp"
#include "tests/test_util.hpp"

namespace lsgd::test {

constexpr double kBatchC = 30.0;

// The batched direct solvers of one backend (the fixture's parameters: one per test file).
inline std::vector<std::string> batched_names(Backend backend) {
  std::vector<std::string> out;
  for (const std::string& name : solver_names(Kind::batched_direct)) {
    if (default_registry().get(name).backend == backend) out.push_back(name);
  }
  return out;
}

struct BatchShape {
  index_t batch, m, n;
};

// One setup and timed_solve() of e on bp: the solution (its size checked) and, when asked, the info.
// A GPU solve takes a positive time; a CPU one may round to 0 on tiny batches.
template <typename T>
std::vector<T> solve_batched(const SolverEntry& e, const BatchedProblem<T>& bp,
                             SolveInfo* info = nullptr, const SolverOptions& opt = {}) {
  auto s = e.make_batched<T>(opt);
  s->setup(bp);
  const double t = s->timed_solve();
  if (e.backend == Backend::cuda) {
    EXPECT_GT(t, 0.0) << e.name;
  } else {
    EXPECT_GE(t, 0.0) << e.name;
  }
  if (info != nullptr) *info = s->info();
  std::vector<T> x = s->solution();
  EXPECT_EQ(x.size(), static_cast<size_t>(bp.batch * bp.n)) << e.name;
  return x;
}

// Condition number of problem p of generate_batch(batch, opt, kappa_max).
inline double batch_kappa(index_t p, index_t batch, double kappa0, double kappa_max) {
  if (!(kappa_max > kappa0) || batch <= 1) return kappa0;
  const double t = static_cast<double>(p) / static_cast<double>(batch - 1);
  return kappa0 * std::pow(kappa_max / kappa0, t);
}

// The exact-data reference, problem by problem: cpu.qr in double on the rounded data.
template <typename T>
std::vector<double> per_problem_reference(const BatchedProblem<T>& bp) {
  std::vector<double> ref;
  auto s = default_registry().get("cpu.qr").make<double>();
  for (index_t p = 0; p < bp.batch; ++p) {
    s->setup(bp.extract(p).template cast<double>());
    s->timed_solve();
    const std::vector<double> x = s->solution();
    ref.insert(ref.end(), x.begin(), x.end());
  }
  return ref;
}

// The same reference from cpu.batched.qr in double (all problems in one call).
template <typename T>
std::vector<double> batched_reference(const BatchedProblem<T>& bp) {
  auto s = default_registry().get("cpu.batched.qr").make_batched<double>();
  s->setup(bp.template cast<double>());
  s->timed_solve();
  return s->solution();
}

// max over p of forward_error(x_p, ref_p) / bound_p, NaN if any error is NaN. Skips the problems
// listed in `skip` (expected failures).
template <typename T>
double max_error_ratio(const BatchedProblem<T>& bp, const std::vector<T>& x,
                       const std::vector<double>& ref, double kappa0, double kappa_max,
                       bool normal_equations, const std::vector<index_t>& skip = {}) {
  double worst = 0.0;
  for (index_t p = 0; p < bp.batch; ++p) {
    if (std::find(skip.begin(), skip.end(), p) != skip.end()) continue;
    const std::vector<T> xp(x.begin() + p * bp.n, x.begin() + (p + 1) * bp.n);
    const std::vector<double> rp(ref.begin() + p * bp.n, ref.begin() + (p + 1) * bp.n);
    const double fe = forward_error(xp, rp);
    const double k = batch_kappa(p, bp.batch, kappa0, kappa_max);
    const double bound = kBatchC * (normal_equations ? k * k : k) * eps<T>();
    const double ratio = fe / bound;
    if (std::isnan(ratio)) return std::numeric_limits<double>::quiet_NaN();
    worst = std::max(worst, ratio);
  }
  return worst;
}

// The largest kappa a batch reaches for an entry in precision T: kappa^2 eps = 1e-3 for the normal
// equations, kappa eps = 1e-4 otherwise (well inside the rank tests' 10 sqrt(m) eps tolerance).
template <typename T>
double kappa_limit(bool normal_equations) {
  return normal_equations ? std::sqrt(1e-3 / eps<T>()) : 1e-4 / eps<T>();
}

// Makes problems `zero_problem` entirely zero (A and b) and zeroes column `zero_col` of the
// problems in `zero_col_problems`: exactly rank deficient.
template <typename T>
void make_singular(BatchedProblem<T>& bp, index_t zero_problem,
                   const std::vector<index_t>& zero_col_problems, index_t zero_col) {
  std::fill(bp.a_of(zero_problem), bp.a_of(zero_problem) + bp.m * bp.n, T(0));
  std::fill(bp.b_of(zero_problem), bp.b_of(zero_problem) + bp.m, T(0));
  for (index_t p : zero_col_problems) {
    std::fill(bp.a_of(p) + zero_col * bp.m, bp.a_of(p) + (zero_col + 1) * bp.m, T(0));
  }
}

}  // namespace lsgd::test
