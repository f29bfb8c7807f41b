#pragma once
// The numerical checks of `lsgd solve` around the solvers (tools/cli_numerics.cpp): duplicated
// intercepts, --standardize, the a-posteriori error bound of iterative solutions, and the default
// reference of --solver all. Kept apart from the reporting (cli_solve.cpp) so each reads alone.
#include <limits>
#include <string>
#include <vector>

#include "lsgd/problem.hpp"
#include "lsgd/solver.hpp"

namespace lsgd::cli {

// Throws InvalidInput when two or more columns of A are constant and nonzero: each is an intercept,
// A is exactly rank deficient, and a minimum-norm solver would split the intercept between them
// (issue 25). `intercept_added`: --intercept was given (the message then says which to drop).
void check_constant_columns(const Problem<double>& p, bool intercept_added);

// --standardize: every column but the intercept (a constant nonzero column, if any) is centred on
// its mean when there is an intercept (otherwise centring would change the model) and scaled to
// unit standard deviation (root mean square without an intercept); the intercept column is kept.
// Solving for z on the standardized columns and mapping x = T z back gives the least-squares
// coefficients of the original columns: what scikit-learn users get from a StandardScaler in front
// of a linear model, done inside lsgd so that the output is in the user's units.
struct Standardization {
  Problem<double> problem;     // the standardized problem (b and the column names unchanged)
  std::vector<double> shift;   // per column: the mean subtracted (0 without an intercept)
  std::vector<double> scale;   // per column: the divisor (1 for the intercept and zero columns)
  index_t intercept = -1;      // the intercept column, or -1
  double intercept_value = 1;  // its constant entry

  std::vector<double> to_original(const std::vector<double>& z) const;  // x = T z
  double map_norm() const;  // ||T||_F >= ||T||_2: errors in z map to errors in x through it
  // ||T||_F ||z|| / ||x|| for a solution z and its x = T z: a relative error e in z is at most
  // that times e in x. `lsgd solve --standardize` solves again to --tol divided by it when it
  // exceeds 1, so that the coefficients in the user's units meet --tol.
  double amplification(const std::vector<double>& z, const std::vector<double>& x) const;
};
Standardization standardize_problem(const Problem<double>& p);

// ||z - z*|| for an approximate minimizer z of f(z) = 1/(2m)||A z - b||^2 + lambda/2 ||z||^2:
// at most ||grad f(z)|| / mu with mu = sigma_min(A)^2 / m + lambda (the smallest eigenvalue of the
// Hessian), the gradient summed in long double so that its own rounding stays far below it.
// +inf when mu = 0 (A rank deficient, no ridge).
double gradient_error_bound(const Problem<double>& p, const std::vector<double>& z, double lambda,
                            double sigma_min);

// The same bound for the coefficients x the user gets, relative: ||x - x*|| / ||x||. z is the
// solver's answer on `solved` (the standardized problem with --standardize, mapped to x through T:
// the bound is multiplied by ||T||_F; otherwise z = x).
double relative_error_bound(const Problem<double>& solved, const std::vector<double>& z,
                            const std::vector<double>& x, double lambda, double sigma_min,
                            const Standardization* standard);

// Whether an SVD-class computation on A (lsgd::conditioning: QR plus Jacobi) is cheap enough to
// run on every solve: m n min(m, n) <= 4e9 (a few seconds here at worst).
bool conditioning_affordable(const Problem<double>& p);

// The default reference of `--solver all` (no --reference): the exact least-squares solution of
// the data when small enough (lsgd::lstsq_reference in quad precision: m n^2 <= 2^21, about 0.1 s),
// else cpu.qr.refined in double when its refinement converged, else cpu.svd in double (rank-
// deficient or underdetermined data, whose minimum-norm solution is the one defined).
struct DefaultReference {
  std::vector<double> x;  // empty when none could be computed
  std::string source;     // "lstsq_reference", "cpu.qr.refined" or "cpu.svd"
  std::string label;      // one line for the table's footer
  std::string failure;    // why there is none
};
DefaultReference default_reference(const Problem<double>& p, const SolverOptions& opt);

}  // namespace lsgd::cli
