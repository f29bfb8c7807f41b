// The solver contract's pieces that need no GPU (issue 12): the setup / timed_solve state machine
// written once in lsgd::Solver (a failed setup leaves the solver refusing to solve), the RAII
// template every CUDA handle owner is made of (with fake create / destroy functions), and
// cuda.gd's float ridge-lambda check. The CUDA half of the registry check needs a GPU (it skips
// here); the other GPU halves are in test_gpu_infra.cpp.
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "common/rank_tolerance.hpp"
#include "common/text_format.hpp"
#include "kernels/gd_checks.hpp"
#include "kernels/qr_checks.hpp"
#include "kernels/unique_handle.hpp"
#include "lsgd/error.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/registry.hpp"
#include "tests/test_util.hpp"

namespace lsgd {
namespace {

bool contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

// A solver whose setup step fails on demand (an injected out-of-memory) after doing part of its
// work, as a GPU solver does when the second of its allocations fails.
class FlakySolver final : public Solver<double> {
 public:
  bool fail_next_setup = false;
  int solves = 0;
  std::string name() const override { return "test.flaky"; }
  Backend backend() const override { return Backend::cpu; }
  std::vector<double> solution() override { return x_; }

 protected:
  void setup_step(const Problem<double>& p) override {
    x_.assign(static_cast<size_t>(p.n), 0.0);  // state changed before the failure
    if (fail_next_setup) throw DeviceError("out of device memory: injected");
  }
  double timed_solve_step() override {
    ++solves;
    return 1.0;
  }

 private:
  std::vector<double> x_;
};

Problem<double> small_problem() {
  GenOptions g = gen_options(20, 4, 10);
  return generate<double>(g);
}

TEST(SolverContract, TimedSolveOnlyAfterASuccessfulSetup) {
  FlakySolver s;
  EXPECT_FALSE(s.ready());
  try {
    (void)s.timed_solve();
    ADD_FAILURE() << "solved before setup";
  } catch (const InvalidInput& e) {
    EXPECT_TRUE(contains(e.what(), "test.flaky: timed_solve() before setup()")) << e.what();
  }
  const Problem<double> p = small_problem();
  s.setup(p);
  EXPECT_TRUE(s.ready());
  EXPECT_EQ(s.timed_solve(), 1.0);
  EXPECT_EQ(s.timed_solve(), 1.0);  // repeatable

  s.fail_next_setup = true;
  EXPECT_THROW(s.setup(p), DeviceError);
  EXPECT_FALSE(s.ready()) << "a failed setup left the solver looking ready";
  EXPECT_THROW((void)s.timed_solve(), InvalidInput);
  EXPECT_EQ(s.solves, 2) << "the solve step ran after a failed setup";

  s.fail_next_setup = false;
  s.setup(p);  // a later successful setup makes it usable again
  EXPECT_EQ(s.timed_solve(), 1.0);
}

// A good setup, a failed one (NaN in A), then the refusal with the one message of the contract.
// With `solve_modes`, the good setup is solved first in both GPU modes, which must agree.
template <typename Make, typename Prob>
void check_refusal(const SolverEntry& e, Make&& make, Prob p, bool solve_modes) {
  SCOPED_TRACE(e.name);
  std::vector<double> x_by_mode[2];
  for (int mode = 0; mode < (solve_modes ? 2 : 1); ++mode) {
    SolverOptions o;
    o.max_iters = 20;  // GD: not converging is fine here
    o.gpu_mode = mode == 0 ? GpuMode::resident : GpuMode::end_to_end;
    auto s = make(o);
    s->setup(p);
    EXPECT_TRUE(s->ready());
    if (solve_modes) {
      EXPECT_GE(s->timed_solve(), 0.0);
      x_by_mode[mode] = s->solution();
    }
    Prob bad = p;
    bad.A[3] = std::numeric_limits<double>::quiet_NaN();
    EXPECT_THROW(s->setup(bad), InvalidInput);
    EXPECT_FALSE(s->ready());
    try {
      (void)s->timed_solve();
      ADD_FAILURE() << e.name << " solved after a failed setup";
    } catch (const InvalidInput& err) {
      EXPECT_TRUE(contains(err.what(), e.name + ": timed_solve() before setup()")) << err.what();
    }
  }
  if (solve_modes) {
    // Resident and end-to-end run the same kernels on the same data: the same x.
    ASSERT_EQ(x_by_mode[0].size(), x_by_mode[1].size());
    for (size_t i = 0; i < x_by_mode[0].size(); ++i) {
      const double a = x_by_mode[0][i], b = x_by_mode[1][i];
      if (std::isnan(a) && std::isnan(b)) continue;
      EXPECT_NEAR(a, b, 1e-12 * (1.0 + std::abs(a))) << "entry " << i;
    }
  }
}

int check_every_solver(Backend backend) {
  GenOptions g = gen_options(24, 4, 10);
  const bool gpu = backend == Backend::cuda;
  int checked = 0;
  for (const SolverEntry& e : default_registry().entries()) {
    if (e.backend != backend || !e.available() || !e.f64) continue;
    if (e.is_batched()) {
      check_refusal(
          e, [&](const SolverOptions& o) { return e.make_batched<double>(o); },
          generate_batch<double>(2, g), gpu);
    } else {
      check_refusal(
          e, [&](const SolverOptions& o) { return e.make<double>(o); }, generate<double>(g), gpu);
    }
    ++checked;
  }
  return checked;
}

// Every registered CPU solver: a setup that fails after a good one leaves it refusing to solve.
TEST(SolverContract, EveryCpuSolverRefusesAfterAFailedSetup) {
  EXPECT_GT(check_every_solver(Backend::cpu), 5);
}

// Every CUDA solver (GPU; skips here): the same refusal, and resident and end-to-end agree.
TEST(SolverContract, EveryCudaSolverRefusesAfterAFailedSetupAndModesAgree) {
  LSGD_SKIP_IF_UNAVAILABLE(nullptr);
  EXPECT_GT(check_every_solver(Backend::cuda), 5);
}

// The registry's fields that tests and benchmarks read instead of solver names (issue 12): how the
// forward error grows, minimum-norm, the flop model; consistent for every entry, CUDA ones included
// (they are listed without a GPU).
TEST(RegistryFields, ConsistentForEveryEntry) {
  for (const SolverEntry& e : default_registry().entries()) {
    SCOPED_TRACE(e.name);
    if (e.normal_equations) {
      EXPECT_TRUE(e.kappa_squared());
      EXPECT_EQ(e.flop_model, FlopModel::cholesky);
    }
    EXPECT_EQ(e.is_iterative(), e.flop_model == FlopModel::gd_iter);
    if (e.is_iterative()) {
      EXPECT_TRUE(e.kappa_squared()) << "GD reaches ~kappa^2 eps";
      EXPECT_FALSE(e.normal_equations) << "GD does not form A^T A";
    }
    if (e.minimum_norm) {
      EXPECT_FALSE(e.requires_full_rank);
      EXPECT_TRUE(e.allows_underdetermined);
    }
  }
  const Registry& r = default_registry();
  for (const char* name : {"cpu.svd", "cuda.svd"}) {
    EXPECT_EQ(r.get(name).flop_model, FlopModel::svd) << name;
    EXPECT_TRUE(r.get(name).minimum_norm) << name;
  }
  EXPECT_TRUE(r.get("cpu.cod").minimum_norm);
  EXPECT_FALSE(r.get("cpu.colpiv_qr").minimum_norm);  // a basic solution
  for (const char* name : {"cpu.qr", "cuda.qr", "cuda.tsqr", "cuda.batched.resident"}) {
    EXPECT_EQ(r.get(name).error_growth, ErrorGrowth::kappa) << name;
    EXPECT_EQ(r.get(name).flop_model, FlopModel::qr) << name;
  }
  for (const char* name : {"cpu.cholesky", "cuda.cholesky", "cuda.batched.cholesky"}) {
    EXPECT_TRUE(r.get(name).normal_equations) << name;
  }
  for (const char* name : {"cpu.gd", "cuda.gd", "cuda.bgd.fused"}) {
    EXPECT_EQ(r.get(name).error_growth, ErrorGrowth::kappa_squared) << name;
  }
  EXPECT_STREQ(to_string(ErrorGrowth::kappa_squared), "kappa^2");
  EXPECT_STREQ(to_string(FlopModel::gd_iter), "gd_iter");
}

// Fake create / destroy pair: handles are positive ints, every destroy is logged.
struct FakeTraits {
  using handle_type = int*;
  static int next;
  static std::vector<int> destroyed;
  static int* create(int value) {
    if (value < 0) throw std::runtime_error("create failed");
    ++next;
    return new int(value);
  }
  static void destroy(int* h) noexcept {
    destroyed.push_back(*h);
    delete h;
  }
};
int FakeTraits::next = 0;
std::vector<int> FakeTraits::destroyed;
using FakeHandle = cuda::UniqueHandle<FakeTraits>;

TEST(UniqueHandle, EmptyMoveOnlyAndDestroyedExactlyOnce) {
  static_assert(!std::is_copy_constructible_v<FakeHandle>);
  static_assert(!std::is_copy_assignable_v<FakeHandle>);
  static_assert(std::is_nothrow_move_constructible_v<FakeHandle>);
  static_assert(std::is_nothrow_move_assignable_v<FakeHandle>);
  FakeTraits::destroyed.clear();
  {
    FakeHandle empty;
    EXPECT_TRUE(empty.empty());
    EXPECT_EQ(empty.get(), nullptr);

    FakeHandle a = FakeHandle::create(1);
    ASSERT_FALSE(a.empty());
    EXPECT_EQ(*a.get(), 1);
    FakeHandle b(std::move(a));  // a is empty, b owns 1
    EXPECT_TRUE(a.empty());
    EXPECT_EQ(*b.get(), 1);

    FakeHandle c = FakeHandle::create(2);
    c = std::move(b);  // 2 destroyed first, c owns 1, b empty
    EXPECT_EQ(FakeTraits::destroyed, std::vector<int>({2}));
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(*c.get(), 1);

    FakeHandle& self = c;
    c = std::move(self);  // self-move keeps the handle
    EXPECT_EQ(*c.get(), 1);

    FakeHandle d = FakeHandle::create(3);
    d.reset();
    EXPECT_TRUE(d.empty());
    d.reset();  // resetting an empty handle destroys nothing
    EXPECT_EQ(FakeTraits::destroyed, std::vector<int>({2, 3}));

    EXPECT_THROW((void)FakeHandle::create(-1), std::runtime_error);  // nothing to destroy
  }
  // c (1) destroyed at scope end; the empty ones destroyed nothing.
  EXPECT_EQ(FakeTraits::destroyed, std::vector<int>({2, 3, 1}));
}

// cuda.gd keeps the power-iteration check of cpu.gd (a zero or non-finite estimate is an error) but
// no longer rejects a large ridge lambda in float, where L = fl(estimate + lambda) - lambda rounds
// to zero or below (issue 12, defect 8).
TEST(GdChecks, PowerEstimateAcceptsALargeFloatRidge) {
  using cuda::gd::power_estimate_ok;
  for (const double lambda : {0.7, 1e3, 1e6}) {
    const double estimate = 1e-9;  // far below lambda * eps(float)
    const double L = static_cast<double>(static_cast<float>(estimate) + static_cast<float>(lambda));
    EXPECT_TRUE(power_estimate_ok<float>(L, lambda)) << "lambda = " << lambda << ", L = " << L;
    EXPECT_FALSE(L - lambda > 0.0) << "not the defect's case for lambda = " << lambda;
  }
  EXPECT_TRUE(power_estimate_ok<double>(2.5, 0.0));
  EXPECT_TRUE(power_estimate_ok<float>(3.0, 1.0));
  EXPECT_FALSE(power_estimate_ok<double>(0.0, 0.0));  // A = 0 without ridge
  EXPECT_FALSE(power_estimate_ok<float>(std::numeric_limits<double>::quiet_NaN(), 1.0));
  EXPECT_FALSE(power_estimate_ok<float>(std::numeric_limits<double>::infinity(), 0.0));
  EXPECT_FALSE(power_estimate_ok<double>(-1.0, 0.0));
  EXPECT_FALSE(power_estimate_ok<double>(0.5, 1.0));  // L below lambda: impossible, rejected
}

// The host-side checks of cuda.qr / cuda.qr.augmented / cuda.qr.refined / cuda.gels / cuda.gels_irs
// (after the timed region): cpu.qr's rule |R_jj| <= 10 sqrt(m) eps ||a_j|| (m = 100: tolerance
// 100 eps), scale-invariant per column, a non-finite column norm an overflow.
TEST(QrChecks, RankRuleOfCpuQrAndLibraryInfos) {
  const double eps = std::numeric_limits<double>::epsilon();
  const double diag[] = {3.0, -1.0, 1e-10};
  const double norms[] = {3.0, 2.0, 1.0};
  EXPECT_NO_THROW(cuda::check_r_full_rank("cuda.qr", 100, diag, norms, 3));
  // The rounding noise of a dependent column (~sqrt(m) eps ||a_j||) passed the old test
  // |R_jj| <= eps max |R_kk|: it must fail now, on every scale of the column.
  for (const double scale : {1.0, 1e-200, 1e200}) {
    const double noisy[] = {3.0, -1.0, 50.0 * eps * scale};
    const double noisy_norms[] = {3.0, 2.0, scale};
    try {
      cuda::check_r_full_rank("cuda.qr", 100, noisy, noisy_norms, 3);
      ADD_FAILURE() << "rank deficiency not reported at scale " << scale;
    } catch (const NumericalError& e) {
      EXPECT_TRUE(contains(e.what(), "cuda.qr: A is rank deficient")) << e.what();
      // Columns count from 1, as cpu.qr's (the one message, cpu::check_r_column).
      EXPECT_TRUE(contains(e.what(), "column 3 lies in the span of the columns before it"))
          << e.what();
      EXPECT_TRUE(contains(e.what(), "|R(3,3)|")) << e.what();
      // So the CLI names the right column from a header (it reads "column N" as 1-based).
      EXPECT_TRUE(contains(text::with_column_names(e.what(), {"age", "height", "height_cm"}),
                           "column 3 ('height_cm') lies in the span"))
          << e.what();
      EXPECT_TRUE(contains(e.what(), "cuda.svd")) << e.what();
    }
    const double clear[] = {3.0, -1.0, 200.0 * eps * scale};  // above 100 eps ||a_3||
    EXPECT_NO_THROW(cuda::check_r_full_rank("cuda.qr", 100, clear, noisy_norms, 3)) << scale;
  }
  // The tolerance is cpu.qr's, from the one definition.
  EXPECT_EQ(cpu::rank_tolerance<double>(100), 100.0 * eps);
  const float nan_diag[] = {1.0f, std::numeric_limits<float>::quiet_NaN()};
  const float nan_norms[] = {1.0f, 1.0f};
  EXPECT_THROW(cuda::check_r_full_rank("cuda.qr", 10, nan_diag, nan_norms, 2), NumericalError);
  const float big_norms[] = {1.0f, std::numeric_limits<float>::infinity()};
  const float ones[] = {1.0f, 1.0f};
  try {
    cuda::check_r_full_rank("cuda.gels", 10, ones, big_norms, 2);
    ADD_FAILURE() << "overflow not reported";
  } catch (const NumericalError& e) {
    EXPECT_TRUE(contains(e.what(), "cuda.gels: the norm of column 2 of A is not finite")) << e.what();
    EXPECT_TRUE(contains(e.what(), "overflow")) << e.what();
  }
  EXPECT_NO_THROW(cuda::check_qr_infos("cuda.qr", 0, 0));
  try {
    cuda::check_qr_infos("cuda.qr.refined", 0, -3);
    ADD_FAILURE() << "illegal argument not reported";
  } catch (const DeviceError& e) {
    EXPECT_TRUE(contains(e.what(), "argument 3 of cusolverDn<t>ormqr")) << e.what();
  }
  EXPECT_THROW(cuda::check_qr_infos("cuda.qr", -1, 0), DeviceError);
}

}  // namespace
}  // namespace lsgd
