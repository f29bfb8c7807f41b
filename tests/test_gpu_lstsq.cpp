// GPU least squares (kernels/lstsq_*.cpp) against the CPU solver of the same method, both
// precisions, both measured modes, kappa-scaled bounds; mixed-precision refinement; error paths.
// Every test skips without a GPU (and fails under -DLSGD_REQUIRE_GPU=ON).
#include <algorithm>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/registry.hpp"
#include "tests/test_util.hpp"

namespace lsgd {
namespace {

template <typename T>
struct SolveRun {
  std::vector<T> x;
  SolveInfo info;
  double seconds = 0.0;
};

template <typename T>
SolveRun<T> run(const std::string& name, const Problem<T>& p, const SolverOptions& opt = {}) {
  auto s = default_registry().get(name).make<T>(opt);
  s->setup(p);
  SolveRun<T> r;
  r.seconds = s->timed_solve();
  r.x = s->solution();
  r.info = s->info();
  return r;
}

bool contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

const char* mode_name(GpuMode m) { return m == GpuMode::resident ? "resident" : "end_to_end"; }

// A consistent problem with one column set to zero: A^T A is exactly singular, R(j,j) exactly 0.
template <typename T>
Problem<T> zero_column_problem(index_t m, index_t n, index_t col) {
  GenOptions g = gen_options(m, n, 10, 5);
  Problem<T> p = generate<T>(g);
  for (index_t i = 0; i < m; ++i) p.a(i, col) = T(0);
  return p;
}

// ---- Each GPU solver against the CPU solver of the same method ---------------------------------

struct MethodCase {
  std::string gpu;
  std::string cpu;
  bool normal_equations;  // the forward error grows like kappa^2 (registry: error_growth)
};

void PrintTo(const MethodCase& c, std::ostream* os) { *os << c.gpu << " vs " << c.cpu; }

// Every single-problem direct CUDA solver of the registry, against the CPU solver of its flop model
// (the same method): no hand-written list to fall behind the catalog.
std::vector<MethodCase> methods() {
  std::vector<MethodCase> out;
  for (const SolverEntry& e : default_registry().entries()) {
    if (e.backend != Backend::cuda || e.kind != Kind::direct) continue;
    const char* cpu = e.flop_model == FlopModel::cholesky ? "cpu.cholesky"
                      : e.flop_model == FlopModel::svd    ? "cpu.svd"
                                                          : "cpu.qr";
    out.push_back({e.name, cpu, e.kappa_squared()});
  }
  return out;
}

class GpuVsCpu : public ::testing::TestWithParam<std::tuple<MethodCase, GpuMode>> {
 protected:
  template <typename T>
  void check(double kappa) {
    const MethodCase c = std::get<0>(GetParam());
    const GpuMode mode = std::get<1>(GetParam());
    GenOptions g = gen_options(300, 40, kappa, 11);
    const Problem<T> p = generate<T>(g);
    SolverOptions opt;
    opt.gpu_mode = mode;
    auto solver = default_registry().get(c.gpu).make<T>(opt);
    solver->setup(p);
    const double t1 = solver->timed_solve();
    const std::vector<T> x = solver->solution();
    const SolveRun<T> cpu = run<T>(c.cpu, p);

    const double k = c.normal_equations ? kappa * kappa : kappa;
    const double bound = 1e3 * k * eps<T>();
    const std::string what = c.gpu + " " + mode_name(mode) + " " +
                             (sizeof(T) == 4 ? "f32" : "f64") + " kappa " + std::to_string(kappa) +
                             " note '" + solver->info().note + "'";
    EXPECT_GT(t1, 0.0) << what;
    ASSERT_EQ(x.size(), static_cast<size_t>(g.n)) << what;
    EXPECT_LE(forward_error(x, p.x_true), bound) << what;
    EXPECT_LE(forward_error(x, cpu.x), bound) << what;
    if (!c.normal_equations) {
      EXPECT_LE(normal_eq_residual(p, x), 1e3 * eps<T>()) << what;
    }

    // Inputs are never modified: a second solve from the same setup agrees.
    EXPECT_GT(solver->timed_solve(), 0.0) << what;
    EXPECT_LE(forward_error(solver->solution(), x), bound) << what;
  }
};

TEST_P(GpuVsCpu, DoubleMatchesCpuWithinKappaBound) {
  LSGD_SKIP_IF_UNAVAILABLE(&default_registry().get(std::get<0>(GetParam()).gpu));
  check<double>(1e4);
}

TEST_P(GpuVsCpu, FloatMatchesCpuWithinKappaBound) {
  LSGD_SKIP_IF_UNAVAILABLE(&default_registry().get(std::get<0>(GetParam()).gpu));
  // Normal equations in float: kappa^2 eps must stay well below 1 for the bound to mean anything.
  check<float>(std::get<0>(GetParam()).normal_equations ? 10.0 : 1e2);
}

INSTANTIATE_TEST_SUITE_P(Methods, GpuVsCpu,
                         ::testing::Combine(::testing::ValuesIn(methods()),
                                            ::testing::Values(GpuMode::resident,
                                                              GpuMode::end_to_end)),
                         [](const ::testing::TestParamInfo<GpuVsCpu::ParamType>& info) {
                           return test::param_name(std::get<0>(info.param).gpu + "_" +
                                                   mode_name(std::get<1>(info.param)));
                         });

// ---- Mixed-precision refinement -----------------------------------------------------------------

template <typename T>
void expect_working_accuracy_at_kappa_10(const std::string& inner) {
  GenOptions g = gen_options(512, 64, 10, 3);
  const Problem<T> p = generate<T>(g);
  for (const GpuMode mode : {GpuMode::resident, GpuMode::end_to_end}) {
    SolverOptions opt;
    opt.inner_precision = inner;
    opt.gpu_mode = mode;
    const SolveRun<T> r = run<T>("cuda.gels_irs", p, opt);
    const std::string what = inner + " " + mode_name(mode) + " note '" + r.info.note + "'";
    EXPECT_LE(forward_error(r.x, p.x_true), 1e3 * 10 * eps<T>()) << what;
    EXPECT_LE(normal_eq_residual(p, r.x), 1e3 * eps<T>()) << what;
    EXPECT_TRUE(contains(r.info.note, "inner precision " + inner)) << what;
    EXPECT_GE(r.info.iterations, 0) << what;
  }
}

TEST(GpuGelsIrs, EveryInnerPrecisionReachesWorkingAccuracyAtKappa10) {
  LSGD_SKIP_IF_UNAVAILABLE(&default_registry().get("cuda.gels_irs"));
  for (const char* inner : {"fp32", "tf32", "fp16", "bf16"}) {
    expect_working_accuracy_at_kappa_10<double>(inner);
  }
  for (const char* inner : {"tf32", "fp16", "bf16"})
    expect_working_accuracy_at_kappa_10<float>(inner);
}

TEST(GpuGelsIrs, Kappa1e8Fp16ConvergesOrFallsBackNeverWorseThanWorkingPrecision) {
  LSGD_SKIP_IF_UNAVAILABLE(&default_registry().get("cuda.gels_irs"));
  const double kappa = 1e8;
  GenOptions g = gen_options(400, 40, kappa, 9);
  const Problem<double> p = generate<double>(g);
  const SolveRun<double> wp = run<double>("cuda.gels", p);
  for (const GpuMode mode : {GpuMode::resident, GpuMode::end_to_end}) {
    SolverOptions opt;
    opt.inner_precision = "fp16";
    opt.gpu_mode = mode;
    const SolveRun<double> r = run<double>("cuda.gels_irs", p, opt);
    const std::string what = std::string(mode_name(mode)) + " note '" + r.info.note + "'";
    const double fe = forward_error(r.x, p.x_true);
    EXPECT_LE(fe, 1e3 * kappa * eps<double>()) << what;
    EXPECT_LE(fe, 1e2 * std::max(forward_error(wp.x, p.x_true), kappa * eps<double>())) << what;
    if (r.info.converged) {
      EXPECT_TRUE(contains(r.info.note, "refinement iterations")) << what;
    } else {
      EXPECT_TRUE(contains(r.info.note, "fell back to working precision")) << what;
    }
  }
}

TEST(GpuGelsIrs, RejectsUnknownOrMeaninglessInnerPrecision) {
  LSGD_SKIP_IF_UNAVAILABLE(&default_registry().get("cuda.gels_irs"));
  const SolverEntry& e = default_registry().get("cuda.gels_irs");
  SolverOptions opt;
  opt.inner_precision = "fp8";
  EXPECT_THROW((void)e.make<double>(opt), InvalidInput);
  opt.inner_precision = "fp32";
  EXPECT_THROW((void)e.make<float>(opt), InvalidInput);
  EXPECT_NO_THROW((void)e.make<double>(opt));
}

// ---- Error paths --------------------------------------------------------------------------------

template <typename T>
void expect_cholesky_not_positive_definite() {
  const Problem<T> p = zero_column_problem<T>(100, 10, 3);
  auto s = default_registry().get("cuda.cholesky").make<T>();
  s->setup(p);
  try {
    (void)s->timed_solve();
    ADD_FAILURE() << "no NumericalError for a singular A^T A";
  } catch (const NumericalError& e) {
    EXPECT_TRUE(contains(e.what(), "leading minor of order 4 is not positive definite"))
        << e.what();
    EXPECT_TRUE(contains(e.what(), "cuda.qr")) << e.what();
  }
}

TEST(GpuCholesky, SingularNormalMatrixNamesTheLeadingMinor) {
  LSGD_SKIP_IF_UNAVAILABLE(&default_registry().get("cuda.cholesky"));
  expect_cholesky_not_positive_definite<double>();
  expect_cholesky_not_positive_definite<float>();
}

TEST(GpuCholesky, RidgeMakesTheSingularCaseSolvableAndMatchesCpu) {
  LSGD_SKIP_IF_UNAVAILABLE(&default_registry().get("cuda.cholesky"));
  const Problem<double> p = zero_column_problem<double>(100, 10, 3);
  SolverOptions opt;
  opt.ridge_lambda = 1e-2;
  for (const GpuMode mode : {GpuMode::resident, GpuMode::end_to_end}) {
    opt.gpu_mode = mode;
    const SolveRun<double> gpu = run<double>("cuda.cholesky", p, opt);
    const SolveRun<double> cpu = run<double>("cpu.cholesky", p, opt);
    // (A^T A + lambda I) has condition number at most (1 + lambda) / lambda here (sigma_max = 1).
    EXPECT_LE(forward_error(gpu.x, cpu.x), 1e3 * 101 * eps<double>()) << mode_name(mode);
    EXPECT_EQ(gpu.x[3], 0.0) << "a zero column gets a zero coefficient under ridge";
  }
  opt.ridge_lambda = -1.0;
  EXPECT_THROW((void)default_registry().get("cuda.cholesky").make<double>(opt), InvalidInput);
}

// n > 128 takes the SYRK path of cuda.cholesky (the suite above, n = 40, takes the GEMM path).
template <typename T>
void expect_cholesky_syrk_path(double kappa) {
  GenOptions g = gen_options(600, 160, kappa, 17);
  const Problem<T> p = generate<T>(g);
  const SolveRun<T> gpu = run<T>("cuda.cholesky", p);
  const SolveRun<T> cpu = run<T>("cpu.cholesky", p);
  const double bound = 1e3 * kappa * kappa * eps<T>();
  EXPECT_LE(forward_error(gpu.x, p.x_true), bound);
  EXPECT_LE(forward_error(gpu.x, cpu.x), bound);
}

TEST(GpuCholesky, SyrkPathMatchesCpu) {
  LSGD_SKIP_IF_UNAVAILABLE(&default_registry().get("cuda.cholesky"));
  expect_cholesky_syrk_path<double>(1e3);
  expect_cholesky_syrk_path<float>(30);
}

template <typename T>
void expect_qr_rank_deficient(const char* name) {
  const Problem<T> p = zero_column_problem<T>(80, 12, 5);
  auto s = default_registry().get(name).make<T>();
  s->setup(p);
  try {
    (void)s->timed_solve();
    ADD_FAILURE() << name << ": no NumericalError for a rank-deficient A";
  } catch (const NumericalError& e) {
    EXPECT_TRUE(contains(e.what(), "rank deficient")) << e.what();
    // Column index 5 is zero: messages count from 1, as cpu.qr's (the CLI names columns by them).
    EXPECT_TRUE(contains(e.what(), "column 6 lies in the span")) << e.what();
    EXPECT_TRUE(contains(e.what(), "R(6,6)")) << e.what();
  }
}

TEST(GpuQr, RankDeficientRaisesNumericalError) {
  LSGD_SKIP_IF_UNAVAILABLE(&default_registry().get("cuda.qr"));
  for (const char* name : {"cuda.qr", "cuda.qr.augmented"}) {
    expect_qr_rank_deficient<double>(name);
    expect_qr_rank_deficient<float>(name);
  }
}

TEST(GpuQr, UnderdeterminedIsInvalidInput) {
  LSGD_SKIP_IF_UNAVAILABLE(&default_registry().get("cuda.qr"));
  GenOptions g = gen_options(20, 30);
  const Problem<double> p = generate<double>(g);
  for (const char* name : {"cuda.qr", "cuda.qr.augmented", "cuda.gels", "cuda.gels_irs"}) {
    auto s = default_registry().get(name).make<double>();
    EXPECT_THROW(s->setup(p), InvalidInput) << name;
  }
  auto s = default_registry().get("cuda.qr").make<double>();
  EXPECT_THROW((void)s->timed_solve(), InvalidInput) << "timed_solve() before setup()";
}

template <typename T>
void expect_svd_minimum_norm(index_t m, index_t n, index_t rank) {
  GenOptions g = gen_options(m, n, 100, 21, 0.0, rank);
  const Problem<T> p = generate<T>(g);
  const SolveRun<T> cpu = run<T>("cpu.svd", p);
  for (const GpuMode mode : {GpuMode::resident, GpuMode::end_to_end}) {
    SolverOptions opt;
    opt.gpu_mode = mode;
    const SolveRun<T> r = run<T>("cuda.svd", p, opt);
    const std::string what = std::to_string(m) + "x" + std::to_string(n) + " rank " +
                             std::to_string(rank) + " " + mode_name(mode) + " note '" +
                             r.info.note + "'";
    // x_true is the minimum-norm solution of the consistent system.
    EXPECT_LE(forward_error(r.x, p.x_true), 1e3 * 100 * eps<T>()) << what;
    EXPECT_LE(forward_error(r.x, cpu.x), 1e3 * 100 * eps<T>()) << what;
    const index_t expect_rank = rank > 0 ? rank : std::min(m, n);
    EXPECT_TRUE(contains(r.info.note, "numerical rank " + std::to_string(expect_rank))) << what;
  }
}

TEST(GpuSvd, MinimumNormOnRankDeficientA) {
  LSGD_SKIP_IF_UNAVAILABLE(&default_registry().get("cuda.svd"));
  expect_svd_minimum_norm<double>(200, 30, 24);
  expect_svd_minimum_norm<float>(200, 30, 24);
}

TEST(GpuSvd, MinimumNormWhenUnderdetermined) {
  LSGD_SKIP_IF_UNAVAILABLE(&default_registry().get("cuda.svd"));
  expect_svd_minimum_norm<double>(30, 80, 0);
  expect_svd_minimum_norm<float>(30, 80, 0);
  expect_svd_minimum_norm<double>(30, 80, 20);
}

}  // namespace
}  // namespace lsgd
