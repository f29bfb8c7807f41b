#pragma once
// What `lsgd solve` measured for one solver, and its report: shared by the single-process path
// (cli_solve.cpp) and the distributed one (cli_solve_mpi.cpp), so both print the same text and JSON.
#include <limits>
#include <string>
#include <vector>

#include "lsgd/io.hpp"
#include "lsgd/registry.hpp"
#include "tools/cli_args.hpp"

namespace lsgd::cli {

struct Run {
  const SolverEntry* entry = nullptr;
  bool ok = false;
  std::string error;  // "NumericalError: ..." when !ok
  std::vector<double> x;
  double time_s = std::numeric_limits<double>::quiet_NaN();
  double residual = std::numeric_limits<double>::quiet_NaN();
  double ne_residual = std::numeric_limits<double>::quiet_NaN();
  double digits = std::numeric_limits<double>::quiet_NaN();
  double forward_error = std::numeric_limits<double>::quiet_NaN();
  // Iterative solvers, single-process path: the a-posteriori bound on ||x - x*|| / ||x|| from
  // sigma_min (cli_numerics.hpp, gradient_error_bound); NaN where not computed (then the solver's
  // own info.error_estimate decides).
  double error_bound = std::numeric_limits<double>::quiet_NaN();
  SolveInfo info;
};

// Prints the report of one solve of p (only p.m, p.n and p.column_names are read) and writes
// --output; fills r's forward error and digits from `reference` when given. Throws NumericalError
// for an iterative solve that did not converge, or whose error bound (else estimate) exceeds --tol,
// unless --allow-unconverged.
int report_single(const Args& args, const SolverEntry& e, Precision prec, const SolverOptions& opt,
                  const Problem<double>& p, Run& r, const std::vector<double>& reference);

// `lsgd solve` with an mpi.* solver (cli_solve_mpi.cpp): every rank reads its share of the CSV rows,
// the solve is collective, rank 0 reports; failures are agreed on, so every rank ends with the same
// error and rank 0 alone prints it.
int solve_distributed(const Args& args, const SolverEntry& e, Precision prec,
                      const SolverOptions& opt, const CsvOptions& csv);

}  // namespace lsgd::cli
