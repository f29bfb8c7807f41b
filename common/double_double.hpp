#pragma once
// Double-double arithmetic (a value hi + lo with |lo| <= ulp(hi)/2, ~106 bits): the extended
// precision of cpu.qr.refined's residuals. Error-free transformations after Knuth (TwoSum) and
// Dekker/Kahan (TwoProd by FMA); the accumulation adds a product exactly and renormalizes, so a
// dot product of k terms is accurate to ~k * 2^-104 relative to the sum of |terms|. Used instead of
// long double because that is only 11 bits wider than double on x86-64 (and no wider elsewhere),
// and this is the same everywhere. Requires IEEE double with round-to-nearest, a true fma, and no
// contraction of a * b + c into an fma (g++: -ffp-contract=off, nvcc: --fmad=false; see
// kernels/CMakeLists.txt).
#include <cmath>

// The same arithmetic runs in the CUDA residual kernels of cuda.qr.refined (kernels/qr_refined.cu).
#if defined(__CUDACC__)
#define LSGD_HOST_DEVICE __host__ __device__
#else
#define LSGD_HOST_DEVICE
#endif

namespace lsgd::cpu {

struct DoubleDouble {
  double hi = 0.0;
  double lo = 0.0;
};

// s + e == a + b exactly, s = fl(a + b).
LSGD_HOST_DEVICE inline void two_sum(double a, double b, double& s, double& e) {
  s = a + b;
  const double bb = s - a;
  e = (a - (s - bb)) + (b - bb);
}

// p + e == a * b exactly, p = fl(a * b) (barring underflow).
LSGD_HOST_DEVICE inline void two_prod(double a, double b, double& p, double& e) {
  p = a * b;
  e = ::fma(a, b, -p);  // ::fma: the host libm and the CUDA device function alike
}

// acc += v
LSGD_HOST_DEVICE inline void dd_add(DoubleDouble& acc, double v) {
  double s, e;
  two_sum(acc.hi, v, s, e);
  e += acc.lo;
  acc.hi = s + e;
  acc.lo = e - (acc.hi - s);
}

// acc += a * b, the product taken exactly.
LSGD_HOST_DEVICE inline void dd_add_prod(DoubleDouble& acc, double a, double b) {
  double p, pe, s, e;
  two_prod(a, b, p, pe);
  two_sum(acc.hi, p, s, e);
  e += acc.lo + pe;
  acc.hi = s + e;
  acc.lo = e - (acc.hi - s);
}

// (hi, lo) += a * b on separate hi/lo values (arrays of them vectorize where DoubleDouble's do not).
LSGD_HOST_DEVICE inline void dd_add_prod(double& hi, double& lo, double a, double b) {
  double p, pe, s, e;
  two_prod(a, b, p, pe);
  two_sum(hi, p, s, e);
  e += lo + pe;
  hi = s + e;
  lo = e - (hi - s);
}

LSGD_HOST_DEVICE inline double to_double(const DoubleDouble& v) { return v.hi + v.lo; }

}  // namespace lsgd::cpu
