#pragma once
// One registered benchmark ("case") and how it is run: setup and warm-up outside the timing,
// timed_solve() per iteration, counters from the flop/byte models and accuracy metrics.
#include <string>

#include <benchmark/benchmark.h>

#include "bench/bench_config.hpp"
#include "bench/ceilings.hpp"
#include "bench/problems.hpp"
#include "lsgd/registry.hpp"

namespace lsgd::bench {

enum class Family;

struct Case {
  Family family;
  const SolverEntry* entry = nullptr;
  Precision precision = Precision::f64;
  ProblemSpec spec;
  bool gpu = false;
  GpuMode mode = GpuMode::resident;
  int iters = 0;         // gd / bgd: iterations per solve (tol = 0)
  double kappa_H = 0.0;  // tta: condition number of the Hessian; kappa(A) = sqrt(kappa_H)
  double target = 0.0;   // tta: relative forward error to reach
  int max_iters = 0;     // tta: search cap
  std::string name;
};

struct RunEnv {
  Config config;
  Ceilings ceilings;
};

// Which flop model a direct solver gets: normal equations -> Cholesky, "svd" in the name -> SVD,
// otherwise Householder QR.
const char* flop_model(const SolverEntry& e);
double model_flops(const SolverEntry& e, double m, double n);

// Estimated seconds of one solve from the ceilings (0 when no ceiling is known), for the size caps.
double estimate_seconds(const Case& c, const Ceilings& ceilings);

// The benchmark body.
void run_case(benchmark::State& state, const Case& c, const RunEnv& env);

// Frees the prepared solver and problem (between families, at exit).
void release_prepared();

}  // namespace lsgd::bench
