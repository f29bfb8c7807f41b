#pragma once
// Host-side checks of the CUDA gradient-descent solvers that need no GPU (tested on the CPU:
// tests/test_solver_contract.cpp).
#include <cmath>
#include <limits>

namespace lsgd::cuda::gd {

// cuda.gd's check of the power iteration. The device stores L = fl_T(estimate + lambda), rounded
// to T, and the estimate (sigma_max^2/m from below) fails when it is zero or not finite, as cpu.gd
// checks. In T the estimate is known only to within the rounding of L (of lambda to T and of the
// sum): an estimate within 4 eps_T L of zero cannot be told from zero when lambda > 0 dominates L,
// and it is accepted — the step 1/L is then safe, because the gradient's Lipschitz constant is
// estimate + lambda ~= lambda (f is lambda-strongly convex). Rejecting it was the false
// InvalidInput of cuda.gd in float with a large ridge lambda (issue 12, defect 8).
template <typename T>
bool power_estimate_ok(double L, double lambda) {
  if (!std::isfinite(L) || !(L > 0.0)) return false;
  if (lambda == 0.0) return true;  // L is the estimate itself
  const double rounding = 4.0 * static_cast<double>(std::numeric_limits<T>::epsilon()) * L;
  return L - lambda > -rounding;
}

}  // namespace lsgd::cuda::gd
