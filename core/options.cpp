#include <cmath>
#include <string>

#include "lsgd/error.hpp"
#include "lsgd/solver.hpp"

namespace lsgd {

void validate_iterative_options(const std::string& solver, const SolverOptions& o) {
  auto bad = [&](const std::string& what) { throw InvalidInput(solver + ": " + what); };
  auto finite_nonneg = [](double v) { return std::isfinite(v) && v >= 0.0; };
  if (o.max_iters < 0) bad("max_iters must be >= 0 (got " + std::to_string(o.max_iters) + ")");
  if (!finite_nonneg(o.tol) || o.tol >= 1.0) {
    bad("tol must be a finite number in [0, 1): it is relative to the first gradient, so 1 or more "
        "stops at x = 0");
  }
  if (!finite_nonneg(o.step)) bad("step must be a finite number >= 0 (0: 1/L)");
  if (!finite_nonneg(o.lipschitz)) bad("lipschitz must be a finite number >= 0 (0: estimate)");
  if (!finite_nonneg(o.ridge_lambda)) bad("ridge_lambda must be a finite number >= 0");
  if (!finite_nonneg(o.momentum) || o.momentum >= 1.0) bad("momentum must be in [0, 1)");
  if (o.lipschitz == 0.0 && o.power_iters < 1) {
    bad("power_iters must be >= 1 when lipschitz is not given (got " +
        std::to_string(o.power_iters) + ")");
  }
  if (o.history_every < 0) bad("history_every must be >= 0");
}

}  // namespace lsgd
