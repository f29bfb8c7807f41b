#pragma once
// Shared by the kernel tests of tests/emu: each test file is built twice, against the CPU emulation
// of our kernels (target emu_*, ctest labels cpu;emu: kernels/device_emulation.hpp) and against the
// CUDA build (target gpu_*, label gpu: skips without a GPU, fails under -DLSGD_REQUIRE_GPU=ON).
// Both run the same host-side planning and launch functions on the same data and compare with the
// same CPU reference and threshold, so the first GPU run says at once whether GPU and emulation
// agree.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/cuda_raii.hpp"
#include "tests/test_util.hpp"

namespace lsgd::test {

#if defined(LSGD_DEVICE_EMULATION)
constexpr const char* kKernelBuild = "emulated (HIP-CPU)";
#define LSGD_KERNEL_TEST_NEEDS_DEVICE() (void)0
#else
constexpr const char* kKernelBuild = "GPU";
#define LSGD_KERNEL_TEST_NEEDS_DEVICE() LSGD_SKIP_IF_UNAVAILABLE(nullptr)
#endif

template <typename T>
constexpr double unit_roundoff() {
  return static_cast<double>(std::numeric_limits<T>::epsilon()) / 2.0;
}

// Device copies through the project's RAII buffers, on one stream per test.
template <typename T>
cuda::DeviceBuffer<T> to_device(const std::vector<T>& host, cudaStream_t s) {
  cuda::DeviceBuffer<T> d;
  d.upload_sync(host, s);
  return d;
}

template <typename T>
std::vector<T> to_host(const cuda::DeviceBuffer<T>& d, cudaStream_t s) {
  return d.to_host(0, s);
}

// A device buffer of `count` entries set to `value`.
template <typename T>
cuda::DeviceBuffer<T> filled(size_t count, T value, cudaStream_t s) {
  return to_device(std::vector<T>(count, value), s);
}

// "|got - want| <= tol" for each entry, reporting the worst entry: its index, both values, the
// threshold. NaN in got or want fails unless both are NaN and nan_ok.
template <typename T, typename U>
::testing::AssertionResult all_within(const std::vector<T>& got, const std::vector<U>& want,
                                      const std::vector<double>& tol, bool nan_ok = false) {
  if (got.size() != want.size() || got.size() != tol.size()) {
    return ::testing::AssertionFailure()
           << "sizes " << got.size() << ", " << want.size() << ", " << tol.size();
  }
  size_t bad = 0, worst = 0;
  double worst_ratio = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double g = static_cast<double>(got[i]);
    const double w = static_cast<double>(want[i]);
    double ratio;
    if (std::isnan(g) || std::isnan(w)) {
      ratio = (nan_ok && std::isnan(g) && std::isnan(w)) ? 0.0
                                                         : std::numeric_limits<double>::infinity();
    } else if (g == w) {
      ratio = 0.0;
    } else {
      ratio = std::fabs(g - w) / tol[i];
    }
    if (!(ratio <= 1.0)) ++bad;
    if (!(ratio <= worst_ratio)) {
      worst_ratio = ratio;
      worst = i;
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << got.size() << " entries beyond the bound (" << kKernelBuild
         << "); worst [" << worst << "]: got " << static_cast<double>(got[worst]) << ", want "
         << static_cast<double>(want[worst]) << ", bound " << tol[worst] << " (ratio "
         << worst_ratio << ")";
}

}  // namespace lsgd::test

// The helpers every kernel test file uses, by their short names.
namespace lsgd {
using test::all_within;
using test::filled;
using test::to_device;
using test::to_host;
}  // namespace lsgd
