#pragma once
// Reference solutions in quadruple precision, to grade solvers whose own accuracy is near double's.
//
// The benchmark problems are rounded to T (float or double) before any solver sees them, so the
// generator's x_true is not the least-squares solution of the data a solver gets: the rounding of A
// and b alone moves it by about kappa(A) eps(T) (and kappa^2 eps(T) ||r|| / (||A|| ||x||) when the
// residual r is not zero). What a solver can be graded against is the exact least-squares solution
// of the rounded data. lstsq_reference() computes it by Householder QR of [A b] in 113-bit
// arithmetic (__float128, or long double where that is IEEE quad), so its own error, about
// kappa(A) * 1e-34, is far below double's eps for every kappa(A) < 1e17 that double can represent.
//
// Cost: about 2 m n^2 software quad operations (roughly 1 s at 4096 x 64 on one core): a reference
// for benchmarks and tests, not a solver.
#include <vector>

#include "lsgd/problem.hpp"

namespace lsgd {

// The minimizer of ||A x - b||_2 for the data of p exactly as stored, rounded to double. Throws
// InvalidInput for m < n or an invalid problem, NumericalError when A is rank deficient even in quad
// precision (a zero pivot of R). Unsupported where the compiler has no 113-bit type.
template <typename T>
std::vector<double> lstsq_reference(const Problem<T>& p);

// Whether lstsq_reference() is available in this build.
bool has_quad_reference();

}  // namespace lsgd
