// The solver contract's pieces that need no GPU (issue 12): the setup / timed_solve state machine
// written once in lsgd::Solver (a failed setup leaves the solver refusing to solve), the RAII
// template every CUDA handle owner is made of (with fake create / destroy functions), and
// cuda.gd's float ridge-lambda check. The GPU halves are in test_gpu_infra.cpp.
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/gd_checks.hpp"
#include "kernels/unique_handle.hpp"
#include "lsgd/error.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/registry.hpp"

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
  GenOptions g;
  g.m = 20;
  g.n = 4;
  g.kappa = 10;
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

// Every registered solver that can run here: a setup that fails (NaN in A) after a good one leaves
// the solver refusing to solve, with the one message of the contract.
TEST(SolverContract, EveryRegisteredSolverRefusesAfterAFailedSetup) {
  GenOptions g;
  g.m = 24;
  g.n = 4;
  g.kappa = 10;
  int checked = 0;
  for (const SolverEntry& e : default_registry().entries()) {
    if (!e.available() || !e.f64) continue;
    SCOPED_TRACE(e.name);
    SolverOptions o;
    o.max_iters = 20;
    if (e.is_batched()) {
      BatchedProblem<double> p = generate_batch<double>(2, g);
      auto s = e.make_batched<double>(o);
      s->setup(p);
      EXPECT_TRUE(s->ready()) << e.name;
      p.A[3] = std::numeric_limits<double>::quiet_NaN();
      EXPECT_THROW(s->setup(p), InvalidInput) << e.name;
      EXPECT_FALSE(s->ready()) << e.name;
      EXPECT_THROW((void)s->timed_solve(), InvalidInput) << e.name;
    } else {
      Problem<double> p = generate<double>(g);
      auto s = e.make<double>(o);
      s->setup(p);
      EXPECT_TRUE(s->ready()) << e.name;
      p.A[3] = std::numeric_limits<double>::quiet_NaN();
      EXPECT_THROW(s->setup(p), InvalidInput) << e.name;
      EXPECT_FALSE(s->ready()) << e.name;
      try {
        (void)s->timed_solve();
        ADD_FAILURE() << e.name << " solved after a failed setup";
      } catch (const InvalidInput& err) {
        EXPECT_TRUE(contains(err.what(), e.name + ": timed_solve() before setup()")) << err.what();
      }
    }
    ++checked;
  }
  EXPECT_GT(checked, 5);
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

}  // namespace
}  // namespace lsgd
