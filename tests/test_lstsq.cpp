// Every registered direct least-squares solver (CPU and CUDA), both precisions, against the same
// checks: forward error on consistent and noisy systems with kappa-scaled bounds, the
// normal-equation residual, rank-deficient and underdetermined input, bad input, ridge, and the
// timing contract. The parameter lists are built from default_registry() when the test binary
// starts, so a solver added to the registry is tested here without editing this file. Unavailable
// solvers (CUDA without a GPU) skip through LSGD_SKIP_IF_UNAVAILABLE.
//
// Error bounds. The generator makes A = U diag(sigma) V^T with sigma from 1 down to 1/kappa, so
// ||A||_2 = 1 and ||x_true|| = 1 (up to rounding to float). A backward-stable solver (Householder
// QR, COD, SVD) computes the exact LS solution of a problem perturbed by c(m,n) eps, and the LS
// perturbation theory (Higham, ASNA 2nd ed., Thm 20.1) turns that into
//   ||x - x_ls|| / ||x_ls|| <= c eps (kappa + kappa^2 ||r|| / (||A|| ||x_ls||)),
// with r = b - A x_ls (zero for consistent systems). The normal equations square the condition
// number: c eps kappa^2. We take c = kC = 30, the threshold LAPACK's own test drivers apply to such
// eps-scaled ratios (xGET04, xQRT17: THRESH = 30). The worst-case constants in the theorems grow
// like m n, but they assume every rounding error aligns; the measured ratios for these shapes stay
// below 3 (see docs/least-squares-tests.md), so 30 leaves an order of magnitude of margin and still catches a
// solver that loses a digit. Rounding A and b to float is itself a backward error of about
// eps ||A||_F <= sqrt(n) eps ||A||_2, which the same constant covers for n <= 64.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/registry.hpp"
#include "tests/test_util.hpp"

namespace lsgd {
namespace {

constexpr double kC = 30.0;

// The normal equations are meaningless once kappa^2 eps approaches 1 (no correct digit left).
constexpr double kNormalEqLimit = 0.1;

bool verbose() {
  static const bool v = std::getenv("LSGD_TEST_VERBOSE") != nullptr;
  return v;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Minimum-norm solvers by naming convention (backend.cod, backend.svd).
bool is_min_norm(const SolverEntry& e) {
  return ends_with(e.name, ".cod") || ends_with(e.name, ".svd");
}

bool contains_any(const std::string& msg, std::initializer_list<const char*> words) {
  for (const char* w : words) {
    if (msg.find(w) != std::string::npos) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Parameters.

struct Shape {
  index_t m, n;
  const char* tag;
};
const Shape kSquare{64, 64, "square64"};
const Shape kTall{400, 40, "tall400x40"};
const Shape kVeryTall{20000, 16, "verytall20000x16"};

struct Case {
  const SolverEntry* entry = nullptr;  // points into the static default registry
  Precision prec = Precision::f64;
  Shape shape{0, 0, ""};
  double kappa = 1.0;
};

std::ostream& operator<<(std::ostream& os, const Case& c) {
  return os << c.entry->name << " " << to_string(c.prec) << " " << c.shape.m << "x" << c.shape.n
            << " kappa=" << c.kappa;
}

std::string kappa_tag(double kappa) {
  std::ostringstream os;
  os << "k1e" << static_cast<int>(std::lround(std::log10(kappa)));
  return os.str();
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  const Case& c = info.param;
  std::string s = c.entry->name + "_" + to_string(c.prec);
  if (c.shape.m > 0) s += std::string("_") + c.shape.tag;
  if (c.kappa > 1.0) s += "_" + kappa_tag(c.kappa);
  return test::param_name(s);
}

std::vector<const SolverEntry*> direct_entries() {
  std::vector<const SolverEntry*> out;
  for (const auto& e : default_registry().entries()) {
    // mpi.* solvers run under mpirun in test_mpi, against the same bounds.
    if (e.kind == Kind::direct && e.backend != Backend::mpi) out.push_back(&e);
  }
  return out;
}

std::vector<Precision> precisions_of(const SolverEntry& e) {
  std::vector<Precision> out;
  if (e.supports(Precision::f32)) out.push_back(Precision::f32);
  if (e.supports(Precision::f64)) out.push_back(Precision::f64);
  return out;
}

std::vector<double> kappas_for(Precision p) {
  if (p == Precision::f32) return {1e1, 1e4};
  return {1e1, 1e4, 1e8};
}

// entry x precision x {square, tall, very tall} x kappa
std::vector<Case> accuracy_cases() {
  std::vector<Case> out;
  for (const SolverEntry* e : direct_entries()) {
    for (Precision p : precisions_of(*e)) {
      for (const Shape& s : {kSquare, kTall, kVeryTall}) {
        for (double k : kappas_for(p)) out.push_back(Case{e, p, s, k});
      }
    }
  }
  return out;
}

// entry x precision x shapes (for the rank-deficient checks)
std::vector<Case> shape_cases() {
  std::vector<Case> out;
  for (const SolverEntry* e : direct_entries()) {
    for (Precision p : precisions_of(*e)) {
      for (const Shape& s : {kSquare, kTall, kVeryTall}) out.push_back(Case{e, p, s, 1.0});
    }
  }
  return out;
}

// entry x precision
std::vector<Case> entry_cases() {
  std::vector<Case> out;
  for (const SolverEntry* e : direct_entries()) {
    for (Precision p : precisions_of(*e)) out.push_back(Case{e, p, Shape{0, 0, ""}, 1.0});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Helpers.

Problem<double> make_problem_f64(index_t m, index_t n, double kappa, double noise, index_t rank,
                                 std::uint64_t seed) {
  GenOptions o = gen_options(m, n, kappa, seed, noise, rank);
  return generate<double>(o);
}

// Generated in double and rounded, so f32 and f64 see the same problem (up to rounding).
template <typename T>
Problem<T> make_problem(index_t m, index_t n, double kappa, double noise, index_t rank,
                        std::uint64_t seed) {
  return make_problem_f64(m, n, kappa, noise, rank, seed).template cast<T>();
}

// Rank-revealing solvers cut singular values below rcond * sigma_max, by default max(m,n) eps(T)
// (the NumPy convention): 2.4e-3 in float on 20000 rows, so a float 20000 x 16 matrix with
// kappa = 1e4 is numerically rank deficient for them and they (rightly) return a truncated
// solution. Where the default comes within 10x of 1/kappa, the full-rank checks pass the cutoff a
// user who knows kappa would choose, 0.1 / kappa (still far above the rounding noise, ~30 eps).
SolverOptions options_for(const SolverEntry& e, index_t m, index_t n, double kappa, double eps_t) {
  SolverOptions opt;
  const double default_rcond = static_cast<double>(std::max(m, n)) * eps_t;
  if (!e.requires_full_rank && 1.0 / kappa <= 10.0 * default_rcond) opt.rcond = 0.1 / kappa;
  return opt;
}

template <typename T>
std::vector<T> solve(const SolverEntry& e, const Problem<T>& p, const SolverOptions& opt = {}) {
  auto s = e.make<T>(opt);
  s->setup(p);
  const double t = s->timed_solve();
  EXPECT_GT(t, 0.0) << e.name << ": timed_solve() must return a positive time";
  std::vector<T> x = s->solution();
  EXPECT_EQ(x.size(), static_cast<size_t>(p.n)) << e.name << ": solution() size";
  return x;
}

// The least-squares solution of p computed by cpu.svd in double (the reference for noisy and
// rank-deficient systems).
template <typename T>
std::vector<double> svd_reference(const Problem<T>& p) {
  const SolverEntry& ref = default_registry().get("cpu.svd");
  return solve<double>(ref, p.template cast<double>());
}

template <typename T>
bool all_finite(const std::vector<T>& x) {
  for (T v : x) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

double norm2(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

template <typename T>
double norm_f(const Problem<T>& p) {
  double s = 0.0;
  for (T v : p.A) s += static_cast<double>(v) * static_cast<double>(v);
  return std::sqrt(s);
}

template <typename T>
double b_norm(const Problem<T>& p) {
  double s = 0.0;
  for (T v : p.b) s += static_cast<double>(v) * static_cast<double>(v);
  return std::sqrt(s);
}

void report(const std::string& what, const Case& c, double value, double bound) {
  if (verbose()) {
    std::cout << "[lstsq] " << what << " " << c << ": " << value << " (bound " << bound
              << ", ratio " << value / bound * kC << ")\n";
  }
}

// Runs fn, which must throw E; returns the message (empty and a failure if it did not).
template <typename E, typename F>
std::string expect_throw(F&& fn, const std::string& context) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << context << ": threw the wrong exception type: " << e.what();
    return {};
  }
  ADD_FAILURE() << context << ": did not throw";
  return {};
}

// ---------------------------------------------------------------------------------------------
// Consistent systems: b = A x_true exactly (in double), so x_true is the reference.

class LstsqConsistent : public ::testing::TestWithParam<Case> {};

template <typename T>
void check_consistent(const Case& c) {
  const SolverEntry& e = *c.entry;
  const Problem<T> p = make_problem<T>(c.shape.m, c.shape.n, c.kappa, 0.0, 0, 11);
  const double eps_t = eps<T>();
  if (e.kappa_squared() && c.kappa * c.kappa * eps_t >= kNormalEqLimit) {
    // No correct digit to check: the solver must either refuse or return something finite.
    try {
      const std::vector<T> x = solve(e, p);
      EXPECT_TRUE(all_finite(x)) << c << ": returned non-finite values instead of NumericalError";
    } catch (const NumericalError& err) {
      EXPECT_NE(std::string(err.what()), "") << c;
    }
    return;
  }
  const std::vector<T> x = solve(e, p, options_for(e, p.m, p.n, c.kappa, eps_t));
  const double fe = forward_error(x, p.x_true);
  const double growth = e.kappa_squared() ? c.kappa * c.kappa : c.kappa;
  const double bound = kC * growth * eps_t;
  report("forward error", c, fe, bound);
  EXPECT_LE(fe, bound) << c << ": forward error " << fe << " > " << kC << " * "
                       << (e.kappa_squared() ? "kappa^2" : "kappa") << " * eps";
  if (!e.kappa_squared()) {
    const double ner = normal_eq_residual(p, x);
    report("normal-eq residual", c, ner, kC * eps_t);
    EXPECT_LE(ner, kC * eps_t) << c << ": ||A^T r|| / (||A|| (||A|| ||x|| + ||b||)) = " << ner;
  }
}

TEST_P(LstsqConsistent, ForwardErrorWithinKappaBound) {
  const Case& c = GetParam();
  LSGD_SKIP_IF_UNAVAILABLE(c.entry);
  if (c.entry->max_n > 0 && c.shape.n > c.entry->max_n) GTEST_SKIP() << "n > max_n";
  if (c.prec == Precision::f32) {
    check_consistent<float>(c);
  } else {
    check_consistent<double>(c);
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, LstsqConsistent, ::testing::ValuesIn(accuracy_cases()),
                         case_name);

// ---------------------------------------------------------------------------------------------
// Noisy systems (nonzero LS residual): reference is cpu.svd in double on the same (rounded) data.

class LstsqNoisy : public ::testing::TestWithParam<Case> {};

template <typename T>
void check_noisy(const Case& c) {
  const SolverEntry& e = *c.entry;
  // noise 1e-3: ||r|| ~ 1e-3 ||b||, so the kappa^2 ||r|| term matters at kappa = 1e8 (double) and
  // 1e4 (float) and is tested, without swamping the kappa term everywhere.
  const Problem<T> p = make_problem<T>(c.shape.m, c.shape.n, c.kappa, 1e-3, 0, 23);
  const double eps_t = eps<T>();
  if (e.kappa_squared() && c.kappa * c.kappa * eps_t >= kNormalEqLimit) {
    try {
      EXPECT_TRUE(all_finite(solve(e, p))) << c << ": non-finite result instead of NumericalError";
    } catch (const NumericalError&) {
    }
    return;
  }
  const std::vector<double> x_ref = svd_reference(p);
  const double r_rel = residual_norm(p, x_ref) / norm2(x_ref);  // ||A||_2 = 1
  const std::vector<T> x = solve(e, p, options_for(e, p.m, p.n, c.kappa, eps_t));
  const double fe = forward_error(x, x_ref);
  const double growth =
      e.kappa_squared() ? c.kappa * c.kappa : c.kappa + c.kappa * c.kappa * r_rel;
  const double bound = kC * growth * eps_t;
  report("noisy forward error", c, fe, bound);
  EXPECT_LE(fe, bound) << c << ": forward error vs cpu.svd(double) " << fe
                       << ", ||r||/||x|| = " << r_rel;
  if (!e.kappa_squared()) {
    const double ner = normal_eq_residual(p, x);
    report("noisy normal-eq residual", c, ner, kC * eps_t);
    EXPECT_LE(ner, kC * eps_t) << c;
  }
}

TEST_P(LstsqNoisy, ForwardErrorAgainstSvdReference) {
  const Case& c = GetParam();
  LSGD_SKIP_IF_UNAVAILABLE(c.entry);
  if (c.entry->max_n > 0 && c.shape.n > c.entry->max_n) GTEST_SKIP() << "n > max_n";
  if (c.prec == Precision::f32) {
    check_noisy<float>(c);
  } else {
    check_noisy<double>(c);
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, LstsqNoisy, ::testing::ValuesIn(accuracy_cases()), case_name);

// ---------------------------------------------------------------------------------------------
// Rank-deficient input: rank n-2, nonzero singular values from 1 to 1/kRankKappa.

constexpr double kRankKappa = 1e2;

class LstsqRankDeficient : public ::testing::TestWithParam<Case> {};

template <typename T>
void check_rank_deficient(const Case& c) {
  const SolverEntry& e = *c.entry;
  const index_t m = c.shape.m, n = c.shape.n, rank = n - 2;
  const double eps_t = eps<T>();
  const Problem<T> consistent = make_problem<T>(m, n, kRankKappa, 0.0, rank, 31);
  const Problem<double> noisy_f64 = make_problem_f64(m, n, kRankKappa, 1e-3, rank, 37);
  const Problem<T> noisy = noisy_f64.template cast<T>();

  if (e.requires_full_rank) {
    for (const Problem<T>* p : {&consistent, &noisy}) {
      const std::string msg =
          expect_throw<NumericalError>([&] { solve(e, *p); }, e.name + " on rank n-2 input");
      if (!msg.empty()) {
        EXPECT_TRUE(contains_any(msg, {"rank", "singular", "positive definite"})) << msg;
      }
    }
    return;
  }

  // Consistent: x_true is the minimum-norm solution, and every LS solution has zero residual.
  const std::vector<T> x = solve(e, consistent);
  const double ner = normal_eq_residual(consistent, x);
  EXPECT_LE(ner, kC * eps_t) << c << ": normal-equation residual " << ner;
  const double res = residual_norm(consistent, x);
  const double res_bound =
      kC * eps_t *
      (norm_f(consistent) * norm2(std::vector<double>(x.begin(), x.end())) + b_norm(consistent));
  EXPECT_LE(res, res_bound) << c << ": residual of a consistent system";
  if (ends_with(e.name, ".colpiv_qr")) {
    // A basic solution: the n - rank columns left out by the pivoting get exactly zero.
    size_t zeros = 0;
    for (T v : x) zeros += v == T(0);
    EXPECT_GE(zeros, static_cast<size_t>(n - rank)) << c << ": not a basic solution";
  }
  if (is_min_norm(e)) {
    const double fe = forward_error(x, consistent.x_true);
    report("rank-deficient min-norm error", c, fe, kC * kRankKappa * eps_t);
    EXPECT_LE(fe, kC * kRankKappa * eps_t) << c << ": not the minimum-norm solution";
  }

  // Noisy: the minimum residual is that of cpu.svd(double); a basic solution (colpiv QR) reaches
  // it too, a minimum-norm solver also matches the minimum-norm x. The reference solves the double
  // data, of rank n-2 up to double rounding: rounded to float, the matrix has two singular values
  // of rounding size, which an SVD in double at the double cutoff would keep and divide by.
  const std::vector<double> x_ref = solve<double>(default_registry().get("cpu.svd"), noisy_f64);
  const double r_min = residual_norm(noisy, x_ref);
  const std::vector<T> xn = solve(e, noisy);
  const double rn = residual_norm(noisy, xn);
  const double slack =
      kC * eps_t *
      (norm_f(noisy) * norm2(std::vector<double>(xn.begin(), xn.end())) + b_norm(noisy));
  EXPECT_LE(rn, r_min + slack) << c << ": residual " << rn << " above the minimum " << r_min;
  EXPECT_LE(normal_eq_residual(noisy, xn), kC * eps_t) << c;
  if (is_min_norm(e)) {
    const double r_rel = r_min / norm2(x_ref);
    const double bound = kC * eps_t * (kRankKappa + kRankKappa * kRankKappa * r_rel);
    const double fe = forward_error(xn, x_ref);
    report("rank-deficient noisy min-norm error", c, fe, bound);
    EXPECT_LE(fe, bound) << c << ": not the minimum-norm LS solution";
  }
}

TEST_P(LstsqRankDeficient, MinimumNormBasicOrNumericalError) {
  const Case& c = GetParam();
  LSGD_SKIP_IF_UNAVAILABLE(c.entry);
  if (c.entry->max_n > 0 && c.shape.n > c.entry->max_n) GTEST_SKIP() << "n > max_n";
  if (c.prec == Precision::f32) {
    check_rank_deficient<float>(c);
  } else {
    check_rank_deficient<double>(c);
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, LstsqRankDeficient, ::testing::ValuesIn(shape_cases()),
                         case_name);

// ---------------------------------------------------------------------------------------------
// m < n: the minimum-norm solution where supported, a clear error otherwise.

class LstsqUnderdetermined : public ::testing::TestWithParam<Case> {};

template <typename T>
void check_underdetermined(const Case& c) {
  const SolverEntry& e = *c.entry;
  const index_t m = 40, n = 100;
  // rank = m < n: the generator projects x_true onto the row space, the minimum-norm solution.
  const Problem<T> p = make_problem<T>(m, n, kRankKappa, 0.0, 0, 41);
  if (e.max_n > 0 && n > e.max_n) {
    // Beyond the solver's column limit (cuda.tsqr: 64): refused with InvalidInput, not skipped.
    EXPECT_THROW(solve(e, p), InvalidInput) << c << ": n = " << n << " above max_n = " << e.max_n;
    return;
  }
  if (e.allows_underdetermined) {
    const std::vector<T> x = solve(e, p);
    const double fe = forward_error(x, p.x_true);
    report("underdetermined min-norm error", c, fe, kC * kRankKappa * eps<T>());
    EXPECT_LE(fe, kC * kRankKappa * eps<T>()) << c << ": not the minimum-norm solution";
    return;
  }
  try {
    solve(e, p);
    ADD_FAILURE() << c << ": accepted m = 40 < n = 100 without allows_underdetermined";
  } catch (const InvalidInput& err) {
    const std::string msg = err.what();
    EXPECT_TRUE(contains_any(msg, {"underdetermined", "m < n", "< n"})) << msg;
  } catch (const NumericalError& err) {
    const std::string msg = err.what();
    EXPECT_TRUE(contains_any(msg, {"rank", "singular", "positive definite"})) << msg;
  }
}

TEST_P(LstsqUnderdetermined, MinimumNormOrClearError) {
  const Case& c = GetParam();
  LSGD_SKIP_IF_UNAVAILABLE(c.entry);
  if (c.prec == Precision::f32) {
    check_underdetermined<float>(c);
  } else {
    check_underdetermined<double>(c);
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, LstsqUnderdetermined, ::testing::ValuesIn(entry_cases()),
                         case_name);

// ---------------------------------------------------------------------------------------------
// Bad input: NaN / Inf, shape mismatch, empty problem -> InvalidInput naming the entry.

class LstsqBadInput : public ::testing::TestWithParam<Case> {};

template <typename T>
void check_bad_input(const Case& c) {
  const SolverEntry& e = *c.entry;
  const index_t m = 50, n = 5;
  const Problem<T> good = make_problem<T>(m, n, 10.0, 0.0, 0, 53);
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const T inf = std::numeric_limits<T>::infinity();
  auto run = [&](const Problem<T>& p) { return [&e, &p] { solve(e, p); }; };
  auto expect_message = [&](const Problem<T>& p, std::initializer_list<const char*> words,
                            const std::string& what) {
    const std::string msg = expect_throw<InvalidInput>(run(p), e.name + ": " + what);
    for (const char* w : words) {
      EXPECT_NE(msg.find(w), std::string::npos)
          << e.name << ": " << what << ": message '" << msg << "' does not name '" << w << "'";
    }
  };

  Problem<T> p = good;
  p.a(3, 1) = nan;
  expect_message(p, {"A", "row 3", "column 1"}, "NaN in A(3,1)");
  p = good;
  p.a(49, 4) = -inf;
  expect_message(p, {"A", "row 49", "column 4"}, "-Inf in A(49,4)");
  p = good;
  p.b[7] = nan;
  expect_message(p, {"b", "7"}, "NaN in b[7]");
  p = good;
  p.b[0] = inf;
  expect_message(p, {"b", "0"}, "Inf in b[0]");
  p = good;
  p.A.pop_back();
  expect_message(p, {"A", "249"}, "A with m*n - 1 entries");
  p = good;
  p.b.push_back(T(1));
  expect_message(p, {"b", "51"}, "b with m + 1 entries");
  Problem<T> empty;
  expect_message(empty, {"empty"}, "empty problem (m = n = 0)");
  empty.m = 5;
  empty.b.assign(5, T(1));
  expect_message(empty, {"empty"}, "empty problem (n = 0)");
}

TEST_P(LstsqBadInput, InvalidInputNamesTheEntry) {
  const Case& c = GetParam();
  LSGD_SKIP_IF_UNAVAILABLE(c.entry);
  if (c.prec == Precision::f32) {
    check_bad_input<float>(c);
  } else {
    check_bad_input<double>(c);
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, LstsqBadInput, ::testing::ValuesIn(entry_cases()), case_name);

// ---------------------------------------------------------------------------------------------
// Ridge: min ||Ax - b||^2 + lambda ||x||^2 is the LS problem [A; sqrt(lambda) I] x = [b; 0].
// Normal-equation solvers must support lambda; any other solver must either solve the ridge
// problem or refuse lambda with InvalidInput, never ignore it.

class LstsqRidge : public ::testing::TestWithParam<Case> {};

template <typename T>
void check_ridge(const Case& c) {
  const SolverEntry& e = *c.entry;
  const index_t m = 400, n = 40;
  const double lambda = 1e-3, kappa = 1e4;
  const Problem<T> p = make_problem<T>(m, n, kappa, 1e-2, 0, 61);

  Problem<double> aug;
  aug.m = m + n;
  aug.n = n;
  aug.A.assign(static_cast<size_t>(aug.m * n), 0.0);
  aug.b.assign(static_cast<size_t>(aug.m), 0.0);
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < m; ++i) aug.a(i, j) = static_cast<double>(p.a(i, j));
    aug.a(m + j, j) = std::sqrt(lambda);
  }
  for (index_t i = 0; i < m; ++i) aug.b[static_cast<size_t>(i)] = static_cast<double>(p.b[i]);
  const std::vector<double> x_ref = solve<double>(default_registry().get("cpu.qr"), aug);

  SolverOptions opt;
  opt.ridge_lambda = lambda;
  std::vector<T> x;
  try {
    x = solve(e, p, opt);
  } catch (const InvalidInput& err) {
    EXPECT_FALSE(e.normal_equations) << e.name << " rejects ridge lambda: " << err.what();
    EXPECT_NE(std::string(err.what()).find("lambda"), std::string::npos) << err.what();
    return;
  }
  // sigma(aug) = sqrt(sigma^2 + lambda): condition number sqrt((1 + lambda) / (1/kappa^2 +
  // lambda)).
  const double kappa_aug = std::sqrt((1.0 + lambda) / (1.0 / (kappa * kappa) + lambda));
  const double r_rel = residual_norm(aug, x_ref) / norm2(x_ref);
  const double growth =
      e.kappa_squared() ? kappa_aug * kappa_aug : kappa_aug + kappa_aug * kappa_aug * r_rel;
  const double fe = forward_error(x, x_ref);
  report("ridge error", c, fe, kC * growth * eps<T>());
  EXPECT_LE(fe, kC * growth * eps<T>()) << c << ": ridge solution differs from the augmented QR";
}

TEST_P(LstsqRidge, EqualsAugmentedSystem) {
  const Case& c = GetParam();
  LSGD_SKIP_IF_UNAVAILABLE(c.entry);
  if (c.prec == Precision::f32) {
    check_ridge<float>(c);
  } else {
    check_ridge<double>(c);
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, LstsqRidge, ::testing::ValuesIn(entry_cases()), case_name);

// ---------------------------------------------------------------------------------------------
// timed_solve(): positive time, repeatable, same answer the second time.

class LstsqTiming : public ::testing::TestWithParam<Case> {};

template <typename T>
void check_timing(const Case& c) {
  const SolverEntry& e = *c.entry;
  const Problem<T> p = make_problem<T>(400, 40, 10.0, 1e-3, 0, 71);
  auto s = e.make<T>();
  s->setup(p);
  const double t1 = s->timed_solve();
  const std::vector<T> x1 = s->solution();
  const double t2 = s->timed_solve();
  const std::vector<T> x2 = s->solution();
  EXPECT_GT(t1, 0.0);
  EXPECT_GT(t2, 0.0);
  EXPECT_TRUE(std::isfinite(t1) && std::isfinite(t2));
  ASSERT_EQ(x1.size(), 40u);
  ASSERT_EQ(x2.size(), 40u);
  // CPU solvers are deterministic: bit-identical. GPU libraries may reorder reductions between
  // calls (atomics), so allow rounding-level differences there.
  const double tol = e.backend == Backend::cpu ? 0.0 : 40 * eps<T>();
  EXPECT_LE(forward_error(x2, x1), tol) << c << ": second timed_solve() gave another answer";
  EXPECT_EQ(s->name(), e.name);
}

TEST_P(LstsqTiming, PositiveAndRepeatable) {
  const Case& c = GetParam();
  LSGD_SKIP_IF_UNAVAILABLE(c.entry);
  if (c.prec == Precision::f32) {
    check_timing<float>(c);
  } else {
    check_timing<double>(c);
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, LstsqTiming, ::testing::ValuesIn(entry_cases()), case_name);

// The parameter lists really cover the registry (a registry that failed to build would silently
// give empty lists).
TEST(LstsqRegistry, CpuDirectSolversAreAllParameterized) {
  const auto cases = accuracy_cases();
  for (const char* name :
       {"cpu.cholesky", "cpu.qr", "cpu.tsqr", "cpu.colpiv_qr", "cpu.cod", "cpu.svd"}) {
    size_t count = 0;
    for (const Case& c : cases) count += c.entry->name == name;
    EXPECT_EQ(count, 15u) << name << ": 3 shapes x (2 f32 + 3 f64 kappas)";
  }
}

// The full-rank solvers' rank errors name the dependent column 1-based, as a user counts columns,
// and point at the solvers that handle rank deficiency.
TEST(LstsqMessages, RankErrorsNameTheColumnAndTheAlternatives) {
  GenOptions o = gen_options(300, 6, 1.0, 5);
  Problem<double> p = generate<double>(o);
  for (index_t i = 0; i < p.m; ++i) p.a(i, 3) = p.a(i, 0) + 0.5 * p.a(i, 2);  // column 4
  for (const char* name : {"cpu.qr", "cpu.qr.refined", "cpu.tsqr", "cpu.cholesky"}) {
    auto s = default_registry().get(name).make<double>();
    s->setup(p);
    try {
      s->timed_solve();
      ADD_FAILURE() << name << ": rank-deficient A accepted";
    } catch (const NumericalError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("column 4"), std::string::npos) << msg;
      EXPECT_NE(msg.find("cpu.cod"), std::string::npos) << msg;
      EXPECT_NE(msg.find("cpu.svd"), std::string::npos) << msg;
    }
  }
}

// Columns of scale 1e299, 1e-300 and 1 (issue 25, item 8: cpu.cod used to call this "numerical
// rank 1 of 3" and return x ~ 0 with exit 0, and the normal-equation residual printed as inf since
// ||A||^2 overflowed). With the default column equilibration every CPU direct solver, the normal
// equations included (A^T A ~ 1e598 unscaled), solves it to rounding, and the metrics stay finite.
Problem<double> extreme_scales(std::vector<double>* x_true) {
  Problem<double> p = Problem<double>::zeros(20, 3);
  *x_true = {2e-299, 3e300, 5.0};
  for (index_t i = 0; i < p.m; ++i) {
    const double u = std::sin(1.0 + 3.7 * static_cast<double>(i));
    const double v = std::cos(0.3 + 1.9 * static_cast<double>(i));
    const double w = std::sin(0.7 * static_cast<double>(i * i) + 0.1);
    p.a(i, 0) = 1e299 * u;
    p.a(i, 1) = 1e-300 * v;
    p.a(i, 2) = w;
    p.b[static_cast<size_t>(i)] = 2.0 * u + 3.0 * v + 5.0 * w;
  }
  return p;
}

TEST(LstsqExtremeScales, EquilibratedSolversSolveIt) {
  std::vector<double> xt;
  const Problem<double> p = extreme_scales(&xt);
  for (const auto& e : default_registry().entries()) {
    if (e.backend != Backend::cpu || e.kind != Kind::direct) continue;
    auto s = e.make<double>();
    s->setup(p);
    s->timed_solve();
    const std::vector<double> x = s->solution();
    // Component-wise: ||x - x_true||^2 would overflow at this scale. kappa_scaled of these columns
    // is below 10, so 30 kappa_scaled^2 eps (the normal equations' bound) is under 1e-12.
    for (size_t j = 0; j < 3; ++j) EXPECT_NEAR(x[j] / xt[j], 1.0, 1e-12) << e.name << " x" << j + 1;
    EXPECT_EQ(s->info().note.find("rank"), std::string::npos) << e.name << ": " << s->info().note;
    const double ne = normal_eq_residual(p, x);
    EXPECT_TRUE(std::isfinite(ne)) << e.name;
    EXPECT_LE(ne, 30.0 * eps<double>()) << e.name;
    EXPECT_TRUE(std::isfinite(residual_norm(p, x))) << e.name;
  }
  const Conditioning c = conditioning(p);
  EXPECT_LT(c.kappa_scaled, 10.0);
  EXPECT_GT(c.sigma_min, 0.0);  // kappa itself, about 1e599, is beyond double's range: inf
  EXPECT_TRUE(std::isinf(c.kappa));
}

// Without equilibration (equilibrate = off) the old behaviours remain, each said aloud: the
// rank-revealing solvers at the default rcond truncate the tiny column and report it (never a
// silent zero), the normal equations overflow and tell the user to rescale.
TEST(LstsqExtremeScales, WithoutEquilibrationTruncatedWithNoteOrRescaleError) {
  std::vector<double> xt;
  const Problem<double> p = extreme_scales(&xt);
  SolverOptions off;
  off.equilibrate = Equilibrate::off;
  for (const char* name : {"cpu.colpiv_qr", "cpu.cod", "cpu.svd"}) {
    auto s = default_registry().get(name).make<double>(off);
    s->setup(p);
    s->timed_solve();
    EXPECT_TRUE(all_finite(s->solution())) << name;
    EXPECT_NE(s->info().note.find("numerical rank"), std::string::npos)
        << name << ": truncation not reported: '" << s->info().note << "'";
  }
  auto chol = default_registry().get("cpu.cholesky").make<double>(off);
  chol->setup(p);
  try {
    chol->timed_solve();
    ADD_FAILURE() << "cpu.cholesky: A^T A overflows, yet it returned";
  } catch (const NumericalError& e) {
    EXPECT_NE(std::string(e.what()).find("rescale"), std::string::npos) << e.what();
  }
}

// Automatic equilibration never changes what a rank-deficient problem's minimum-norm solution is:
// A D rank deficient means the solve is redone on A itself, so cpu.cod / cpu.svd still return
// pinv(A) b, not D pinv(A D) b (which differs when the dependent columns have different scales).
TEST(LstsqExtremeScales, RankDeficientMinimumNormIsTheUsers) {
  Problem<double> p = Problem<double>::zeros(12, 3);
  for (index_t i = 0; i < p.m; ++i) {
    const double u = std::sin(0.4 + 1.3 * static_cast<double>(i));
    p.a(i, 0) = u;
    p.a(i, 1) = 1000.0 * u;  // dependent on column 1, at another scale
    p.a(i, 2) = std::cos(2.0 * static_cast<double>(i));
    p.b[static_cast<size_t>(i)] = 1.0 + static_cast<double>(i % 3);
  }
  for (const char* name : {"cpu.cod", "cpu.svd"}) {
    SolverOptions off;
    off.equilibrate = Equilibrate::off;
    const std::vector<double> plain = solve(default_registry().get(name), p, off);
    auto s = default_registry().get(name).make<double>();
    s->setup(p);
    s->timed_solve();
    const std::vector<double> x = s->solution();
    EXPECT_LE(forward_error(x, plain), 1e3 * eps<double>()) << name;
    EXPECT_NE(s->info().note.find("solved without it"), std::string::npos) << s->info().note;
  }
}

}  // namespace
}  // namespace lsgd
