#pragma once
// The stopping rule and the note of iterative refinement, shared by cpu.qr.refined
// (cpu/lstsq_refined.cpp) and cuda.qr.refined (kernels/lstsq_qr_refined.cpp): stop when the
// correction falls to rounding (converged), when it stops shrinking by at least half (kappa eps too
// close to 1), or at the step limit. Host code only.
#include <sstream>
#include <string>

namespace lsgd::cpu {

struct Refinement {
  int steps = 0;
  bool converged = false;
  bool stalled = false;
  double last = 1.0;  // the latest correction relative to ||x||
  double prev = 0.0;  // the previous correction's norm (||x0|| before the first step)

  explicit Refinement(double x0_norm) : prev(x0_norm) {}

  // After step k (1-based) with ||x|| = xn and ||dx|| = dn (both finite): whether to go on.
  bool keep_going(int k, double xn, double dn, double eps) {
    steps = k;
    last = xn > 0.0 ? dn / xn : 0.0;
    if (last <= 2.0 * eps) {
      converged = true;
      return false;
    }
    if (k > 1 && dn > 0.5 * prev) {
      stalled = true;
      return false;
    }
    prev = dn;
    return true;
  }

  std::string note() const {
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
    return os.str();
  }
};

}  // namespace lsgd::cpu
