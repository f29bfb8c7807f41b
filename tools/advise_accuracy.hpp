#pragma once
// Digits correct as a function of kappa(A) (docs/advise.md, "The accuracy model").
//
// Direct solvers: bench_acc's measurements (digits against the quad-precision reference, one shape,
// kappa(A) = 1e2, 1e4, ...), interpolated in log kappa; below the lowest measured kappa the digits
// measured there (a lower bound); above the highest, the registry's error growth (one digit lost
// per decade of kappa for backward-stable solvers, two for kappa^2 ones), flagged; at or above a
// kappa where the solver refused, refused. Without measurements: the error-growth bound with
// constant 1 (kappa eps or kappa^2 eps), which the measured solvers all beat.
// Iterative solvers: bench_tta's iteration counts to reach 1e-3 and 1e-6 at kappa(A^T A) = 10,
// 100, 1000: k = k0 + r D for D digits, k0 and log r interpolated in log kappa, extrapolated
// beyond with the measured slope held within [1/2, 1] (sqrt(kappa) for accelerated methods, kappa
// for plain gradient descent); the digits are capped by the kappa^2 eps floor. Without
// measurements: plain gradient descent's contraction bound (1 - 1/kappa)^k.
#include <string>
#include <vector>

#include "tools/advise_table.hpp"

namespace lsgd::advise {

struct DigitsEstimate {
  double digits = 0;          // digits correct predicted (0 when refused)
  bool refused = false;       // the solver refused problems this ill-conditioned
  bool extrapolated = false;  // beyond the measured kappa
  bool measured = false;      // from measurements, not only from the error-growth bound
  std::string basis;          // where it comes from, one line
};

// The digits a precision can hold at most (-log10 eps: 15.7 for f64, 6.9 for f32), and the
// error-growth bound -log10(kappa^p eps) clamped to [0, that].
double max_digits(const std::string& precision);
double bound_digits(const std::string& precision, double kappa_a, bool kappa_squared);

class DigitsModel {
 public:
  // `acc`: the acc rows of one direct solver / device / precision (may be empty).
  DigitsModel(std::vector<const Measurement*> acc, std::string precision, bool kappa_squared);
  DigitsEstimate at(double kappa_a) const;

 private:
  std::vector<std::pair<double, double>> ok_;  // (log10 kappa(A), digits), sorted
  double refused_at_ = 0;                      // lowest kappa(A) refused (0: none)
  std::string refused_why_;
  std::string precision_;
  bool kappa_squared_;
};

struct IterationEstimate {
  double iterations = 0;      // iterations (epochs for SGD) for the goal; 0 when unreachable
  bool unreachable = false;   // beyond the kappa^2 eps floor, or measured not to get there
  bool extrapolated = false;  // beyond the measured kappa or digits
  bool measured = false;      // from tta measurements
  std::string basis;
};

class IterationModel {
 public:
  // `tta`: the tta rows of one iterative solver / device / precision (may be empty).
  IterationModel(std::vector<const Measurement*> tta, std::string precision);
  // Iterations to `digits` correct at kappa(A) = kappa_a.
  IterationEstimate iterations_for(double kappa_a, double digits) const;
  // Digits after `iterations` (the inverse, capped by the floor).
  DigitsEstimate digits_after(double kappa_a, double iterations) const;

 private:
  struct Rate {
    double log_kappa;  // log10 kappa(A^T A)
    double k0, log_r;  // k = k0 + r D
  };
  // k0 and r at kappa(A^T A) = kh; *extrapolated when beyond the measured range.
  void rate_at(double kh, double* k0, double* r, bool* extrapolated) const;
  double floor_digits(double kappa_a) const;

  std::vector<Rate> rates_;                           // sorted by kappa
  std::vector<std::pair<double, double>> unreached_;  // (kappa(A^T A), digits) not reached
  std::vector<std::pair<double, double>> reached_;    // (kappa(A^T A), digits) reached
  std::string precision_;
  double max_measured_digits_ = 0;
};

}  // namespace lsgd::advise
