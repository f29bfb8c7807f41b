#pragma once
// `lsgd solve --stats`: the OLS summary of lsgd::regression_stats (include/lsgd/stats.hpp) as text
// and as a JSON object, next to the chosen solver's coefficients.
#include <string>
#include <vector>

#include "lsgd/stats.hpp"

namespace lsgd::text {

// Text block. solver_x: the solver's coefficients, compared with the statistics' own fit.
std::string stats_text(const RegressionStats& st, const std::vector<std::string>& names,
                       const std::string& solver, const std::vector<double>& solver_x);
// The value of the "stats" member of `lsgd solve --json`.
std::string stats_json(const RegressionStats& st, const std::vector<double>& solver_x);

}  // namespace lsgd::text

// The CLI reads these as lsgd::cli:: (they began there).
namespace lsgd::cli {
using namespace lsgd::text;  // NOLINT(google-build-using-namespace)
}  // namespace lsgd::cli
