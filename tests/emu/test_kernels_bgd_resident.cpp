// The register-resident gradient-descent kernel (kernels/bgd_resident_device.cuh) through
// launch_resident (kernels/bgd_resident.cu), which picks the configuration from the shape: the
// register width NMAX (4, 8, 16, 32 >= n), rows per lane RPL, and the lanes per problem L (1 to 32,
// several problems per block of 256) or a whole block per problem (64 to 256 lanes: MULTI). Every
// configuration runs, float and double, against the reference GD in double; bounds in
// tests/emu/gd_kernel_checks.hpp. Built twice: emu_bgd_resident, gpu_bgd_resident.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/bgd_kernels.cuh"
#include "tests/emu/gd_kernel_checks.hpp"
#include "tests/emu/kernel_test_util.hpp"

namespace lsgd {
namespace {


template <typename T>
class BgdResidentKernel : public ::testing::Test {};
using Precisions = ::testing::Types<float, double>;
TYPED_TEST_SUITE(BgdResidentKernel, Precisions);

template <typename T>
test::GdOutcome<T> run_resident(const GdBatch<T>& g, cudaStream_t s) {
  GdDevice<T> d(g, s);
  cuda::gd::launch_reset(d.prm, d.st, s);
  cuda::gd::launch_resident<T>(d.A.data(), d.b.data(), d.prm, d.st, s);
  return test::download(d, s);
}

// Rows per lane of the kernel for n (launch_resident's choice): resident_max_m / 256.
template <typename T>
index_t rows_per_lane(index_t n) {
  return cuda::gd::resident_max_m<T>(n) / 256;
}

// For each register width, the two n it serves in turn (n < NMAX pads with zero columns), and for
// each lane count 1, 2, ..., 256 an m that needs exactly that many lanes: full lanes for even
// steps, one row past the previous count for odd ones. A batch of one block and one problem more
// (the tail block's other groups exit at once), three problems for MULTI.
TYPED_TEST(BgdResidentKernel, EveryConfigurationMatchesReferenceGd) {
  using T = TypeParam;
  LSGD_KERNEL_TEST_NEEDS_DEVICE();
  cuda::Stream stream;
  const index_t widths[][2] = {{1, 4}, {5, 8}, {16, 9}, {32, 17}};
  std::uint64_t seed = 1000;
  int step = 0;
  for (const auto& ns : widths) {
    for (index_t lanes = 1; lanes <= 256; lanes *= 2, ++step) {
      const index_t n = ns[step % 2];
      const index_t rpl = rows_per_lane<T>(n);
      const index_t m = step % 2 == 0 || lanes == 1 ? rpl * lanes : rpl * (lanes / 2) + 1;
      const index_t per_block = lanes <= 32 ? 256 / lanes : 1;
      const GdShape sh{m, n, lanes <= 32 ? per_block + 1 : 3};
      // The fixed step (divergence, ridge, NaN in b) on every other configuration.
      const Setting st = step % 2 == 0 ? Setting::natural : Setting::fixed_step;
      const GdBatch<T> g = test::make_case<T>(sh, st, seed += 13);
      SCOPED_TRACE("n " + std::to_string(n) + ", lanes " + std::to_string(lanes));
      test::check_gd_outcome(g, run_resident(g, stream.get()), st == Setting::fixed_step,
                             test::f_from_residual);
    }
  }
}

// L given (no power iteration), at the largest m of each width.
TYPED_TEST(BgdResidentKernel, GivenLipschitzAtTheLargestShapes) {
  using T = TypeParam;
  LSGD_KERNEL_TEST_NEEDS_DEVICE();
  cuda::Stream stream;
  std::uint64_t seed = 2000;
  for (const index_t n : {4, 8, 16, 32}) {
    const GdShape sh{cuda::gd::resident_max_m<T>(n), n, 2};
    const GdBatch<T> g = test::make_case<T>(sh, Setting::given_l, seed += 5);
    test::check_gd_outcome(g, run_resident(g, stream.get()), false, test::f_from_residual);
  }
}

TYPED_TEST(BgdResidentKernel, ShapesBeyondTheLimitsAreRefused) {
  using T = TypeParam;
  LSGD_KERNEL_TEST_NEEDS_DEVICE();  // host checks only, but in the gpu set: skip with it
  cuda::gd::GdParams prm;
  prm.batch = 1;
  cuda::gd::GdState<T> st;
  prm.n = cuda::gd::kResidentMaxN + 1;
  prm.m = 10;
  EXPECT_THROW(cuda::gd::launch_resident<T>(nullptr, nullptr, prm, st, nullptr), InvalidInput);
  prm.n = 8;
  prm.m = cuda::gd::resident_max_m<T>(8) + 1;
  EXPECT_THROW(cuda::gd::launch_resident<T>(nullptr, nullptr, prm, st, nullptr), InvalidInput);
  EXPECT_EQ(cuda::gd::resident_max_m<T>(cuda::gd::kResidentMaxN + 1), 0);
}

}  // namespace
}  // namespace lsgd
