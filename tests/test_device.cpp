// The device queries and the CUDA catalog seen from the public interface, on any machine: these
// tests need no GPU (ctest label cpu) and, in a CUDA build, check that nothing loads the CUDA
// libraries before a CUDA solver is made.
#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

#include "lsgd/device.hpp"
#include "lsgd/error.hpp"
#include "lsgd/registry.hpp"
#include "tests/test_util.hpp"

#ifdef LSGD_WITH_CUDA
#include "kernels/cuda_backend.hpp"
#endif

namespace lsgd {
namespace {

const char* const kGpuLstsq[] = {"cuda.cholesky", "cuda.qr",   "cuda.qr.augmented",
                                 "cuda.svd",      "cuda.gels", "cuda.gels_irs"};

bool contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

TEST(DeviceAndCatalog, DeviceQueriesAreConsistent) {
#ifdef LSGD_WITH_CUDA
  EXPECT_TRUE(built_with_cuda());
#else
  EXPECT_FALSE(built_with_cuda());
  EXPECT_FALSE(gpu_available());
#endif
  const DeviceInfo d = device_info();
  EXPECT_EQ(d.present, gpu_available());
  const std::string line = describe_device();
  EXPECT_FALSE(line.empty());
  if (d.present) {
    EXPECT_TRUE(contains(line, d.name)) << line;
    EXPECT_GT(d.sm_count, 0);
    EXPECT_GT(d.memory_gib, 0.0);
  } else {
    EXPECT_TRUE(contains(line, "no CUDA device")) << line;
    EXPECT_FALSE(d.reason.empty());
  }
}

TEST(DeviceAndCatalog, CatalogListsGpuSolversAndTheirAvailability) {
  for (const char* name : kGpuLstsq) {
    const SolverEntry* e = default_registry().find(name);
    ASSERT_NE(e, nullptr) << name << " is missing from the registry";
    EXPECT_EQ(e->backend, Backend::cuda);
    EXPECT_EQ(e->kind, Kind::direct);
    EXPECT_TRUE(e->f32 && e->f64) << name;
    EXPECT_EQ(e->available(), gpu_available()) << name;
    if (!e->available()) {
      EXPECT_FALSE(e->unavailable_reason.empty()) << name;
      try {
        (void)e->make<double>();
        ADD_FAILURE() << name << ": make<double>() succeeded without a GPU";
      } catch (const DeviceError& err) {
        EXPECT_TRUE(contains(err.what(), e->unavailable_reason)) << err.what();
      }
    }
  }
  const SolverEntry& svd = default_registry().get("cuda.svd");
  EXPECT_FALSE(svd.requires_full_rank);
  EXPECT_TRUE(svd.allows_underdetermined);
#ifdef LSGD_WITH_CUDA
  // The factories are set next to the solvers; only a CUDA build has them.
  EXPECT_TRUE(default_registry().get("cuda.cholesky").normal_equations);
  EXPECT_FALSE(default_registry().get("cuda.qr").normal_equations);
#endif
}

TEST(DeviceAndCatalog, ConstructingAGpuSolverWithoutAGpuRaisesNoCudaDevice) {
  if (gpu_available()) GTEST_SKIP() << "a GPU is present: " << describe_device();
  for (const char* name : kGpuLstsq) {
    const SolverEntry& e = default_registry().get(name);
#ifdef LSGD_WITH_CUDA
    // Bypasses the registry's availability check: the solver's own constructor must refuse.
    ASSERT_TRUE(static_cast<bool>(e.make_f64)) << name;
    ASSERT_TRUE(static_cast<bool>(e.make_f32)) << name;
    try {
      (void)e.make_f64(SolverOptions{});
      ADD_FAILURE() << name << ": constructed without a GPU";
    } catch (const DeviceError& err) {
      EXPECT_TRUE(contains(err.what(), "no CUDA device")) << err.what();
    }
    EXPECT_THROW((void)e.make_f32(SolverOptions{}), DeviceError) << name;
#else
    EXPECT_FALSE(static_cast<bool>(e.make_f64)) << name;
    try {
      (void)e.make<double>();
      ADD_FAILURE() << name << ": constructed without CUDA";
    } catch (const DeviceError& err) {
      EXPECT_TRUE(contains(err.what(), "built without CUDA")) << err.what();
    }
#endif
  }
}

// The dynamic loader's report (LD_DEBUG=files) of the libraries `command` loads, stdout dropped.
std::string libraries_loaded_by(const std::string& command) {
  const std::string full = "LD_DEBUG=files " + command + " 2>&1 >/dev/null";
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  std::string out;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr) out += buf.data();
  pclose(pipe);
  return out;
}

bool loads_cuda_library(const std::string& ld_debug) {
  return contains(ld_debug, "libcudart") || contains(ld_debug, "libcublas") ||
         contains(ld_debug, "libcusolver") || contains(ld_debug, "liblsgd_cuda");
}

TEST(DeviceAndCatalog, CliHelpLoadsNoCudaLibrary) {
  const std::string log = libraries_loaded_by(std::string(LSGD_CLI_PATH) + " --help");
  ASSERT_TRUE(contains(log, "file=")) << "LD_DEBUG gave no report:\n" << log;
  EXPECT_FALSE(loads_cuda_library(log)) << log;
}

TEST(DeviceAndCatalog, WithoutADriverNeitherListNorACpuTestLoadsACudaLibrary) {
#ifdef LSGD_WITH_CUDA
  if (cuda_backend::driver_problem().empty()) {
    GTEST_SKIP() << "a CUDA driver is present: the device query loads the backend by design";
  }
#endif
  const std::string list = libraries_loaded_by(std::string(LSGD_CLI_PATH) + " list");
  ASSERT_TRUE(contains(list, "file=")) << list;
  EXPECT_FALSE(loads_cuda_library(list)) << list;
  // A CPU test of this binary that also asks every CUDA entry whether it can run and makes one.
  const std::string self = libraries_loaded_by(
      "/proc/" + std::to_string(getpid()) + "/exe --gtest_filter=DeviceAndCatalog.ConstructingAGpuSolverWithoutAGpuRaisesNoCudaDevice:DeviceAndCatalog.CatalogListsGpuSolversAndTheirAvailability");
  ASSERT_TRUE(contains(self, "file=")) << self;
  EXPECT_FALSE(loads_cuda_library(self)) << self;
}

}  // namespace
}  // namespace lsgd
