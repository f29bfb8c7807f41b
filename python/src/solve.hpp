#pragma once
// The solves behind lsgd.lstsq / lsgd.gd (one problem; b with one or k columns), lsgd.lstsq_batched /
// lsgd.gd_batched ((batch, m, n) stacks) and lsgd.stats. Each returns a dict of plain values and
// NumPy arrays that python/lsgd/_results.py turns into the result objects. The GIL is released
// from the copy into lsgd's layout to the last solution() call.
#include <string>
#include <vector>

#include <nanobind/nanobind.h>

#include "lsgd/solver.hpp"

namespace lsgd::py {

namespace nb = nanobind;

// fn: the public function's name for messages ("lsgd.lstsq").
nb::dict solve(nb::handle A, nb::handle b, const std::string& solver, const SolverOptions& opt,
               const std::string& fn, bool iterative_only);
nb::dict solve_batched(nb::handle A, nb::handle b, const std::string& solver,
                       const SolverOptions& opt, const std::string& fn, bool iterative_only);
// The statistics of lsgd::regression_stats and the CLI's text block (`lsgd solve --stats`).
nb::dict stats(nb::handle A, nb::handle b, const std::vector<std::string>& names);

}  // namespace lsgd::py
