// The CUDA backend without a GPU (ctest label cpu; CUDA builds only): the error macros, and
// liblsgd_cuda.so loaded by path as every lsgd program loads it, its errors crossing the boundary.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/cuda_backend.hpp"
#include "kernels/cuda_raii.hpp"
#include "lsgd/device.hpp"
#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/registry.hpp"

namespace lsgd {
namespace {

bool contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

cublasStatus_t fake_cublas_failure() { return CUBLAS_STATUS_INVALID_VALUE; }
cusolverStatus_t fake_cusolver_failure() { return CUSOLVER_STATUS_IRS_OUT_OF_RANGE; }

// Runs everywhere a CUDA build runs: cudaSetDevice(-1) fails with or without a device.
TEST(CudaBackend, CheckMacrosNameCallStatusFileAndLine) {
  int line = 0;
  try {
    line = __LINE__ + 1;
    LSGD_CUDA_CHECK(cudaSetDevice(-1));
    ADD_FAILURE() << "cudaSetDevice(-1) succeeded";
  } catch (const DeviceError& e) {
    const std::string msg = e.what();
    EXPECT_TRUE(contains(msg, "cudaSetDevice(-1)")) << msg;
    EXPECT_TRUE(contains(msg, "cudaError")) << msg;
    EXPECT_TRUE(contains(msg, "test_cuda_backend.cpp:" + std::to_string(line))) << msg;
  }
  try {
    line = __LINE__ + 1;
    LSGD_CUBLAS_CHECK(fake_cublas_failure());
    ADD_FAILURE() << "no throw";
  } catch (const DeviceError& e) {
    const std::string msg = e.what();
    EXPECT_TRUE(contains(msg, "fake_cublas_failure()")) << msg;
    EXPECT_TRUE(contains(msg, "CUBLAS_STATUS_INVALID_VALUE")) << msg;
    EXPECT_TRUE(contains(msg, "test_cuda_backend.cpp:" + std::to_string(line))) << msg;
  }
  try {
    line = __LINE__ + 1;
    LSGD_CUSOLVER_CHECK(fake_cusolver_failure());
    ADD_FAILURE() << "no throw";
  } catch (const DeviceError& e) {
    const std::string msg = e.what();
    EXPECT_TRUE(contains(msg, "fake_cusolver_failure()")) << msg;
    EXPECT_TRUE(contains(msg, "CUSOLVER_STATUS_IRS_OUT_OF_RANGE")) << msg;
    EXPECT_TRUE(contains(msg, "test_cuda_backend.cpp:" + std::to_string(line))) << msg;
  }
  // The destructor twins report and go on.
  testing::internal::CaptureStderr();
  EXPECT_NO_THROW(LSGD_CUDA_CHECK_NOEXCEPT(cudaSetDevice(-1)));
  EXPECT_NO_THROW(LSGD_CUBLAS_CHECK_NOEXCEPT(fake_cublas_failure()));
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(contains(err, "cudaSetDevice(-1)")) << err;
  EXPECT_TRUE(contains(err, "CUBLAS_STATUS_INVALID_VALUE")) << err;
}

const cuda_backend::Api& library() {
  std::string why;
  static const cuda_backend::Api* api = cuda_backend::load_from(LSGD_CUDA_BACKEND_BUILD_PATH, &why);
  if (api == nullptr) throw DeviceError("cannot load " LSGD_CUDA_BACKEND_BUILD_PATH ": " + why);
  return *api;
}

TEST(CudaBackend, LibraryLoadsAndQueriesTheDevice) {
  const cuda_backend::Api& api = library();
  EXPECT_EQ(api.abi_version, cuda_backend::kAbiVersion);
  const DeviceInfo d = api.device_info();
  if (!cuda_backend::driver_problem().empty()) {
    EXPECT_FALSE(d.present);
  }
  if (!d.present) {
    EXPECT_TRUE(contains(d.reason, "no CUDA device")) << d.reason;
  } else {
    EXPECT_GT(d.sm_count, 0);
  }
}

TEST(CudaBackend, LibraryMakesEveryCatalogSolverAndItsErrorsCrossTheBoundary) {
  const cuda_backend::Api& api = library();
  SolverEntry unknown;
  EXPECT_FALSE(api.fill_entry("cuda.no_such_solver", unknown));
  const bool present = api.device_info().present;
  for (const SolverEntry& listed : default_registry().entries()) {
    if (listed.backend != Backend::cuda) continue;
    SolverEntry e;
    ASSERT_TRUE(api.fill_entry(listed.name.c_str(), e)) << listed.name;
    EXPECT_EQ(e.kind, listed.kind) << listed.name;
    EXPECT_EQ(e.algorithm, listed.algorithm) << listed.name;
    EXPECT_EQ(static_cast<bool>(e.make_f64), static_cast<bool>(listed.make_f64)) << listed.name;
    EXPECT_EQ(static_cast<bool>(e.make_batched_f64), static_cast<bool>(listed.make_batched_f64))
        << listed.name;
  }
  SolverEntry qr;
  ASSERT_TRUE(api.fill_entry("cuda.qr", qr));
  if (!present) {
    // Thrown inside liblsgd_cuda.so, caught here as the one lsgd::DeviceError.
    try {
      (void)qr.make_f64(SolverOptions{});
      ADD_FAILURE() << "cuda.qr made without a device";
    } catch (const DeviceError& e) {
      EXPECT_TRUE(contains(e.what(), "no CUDA device")) << e.what();
    }
    // Every solver, the GD engine's included, checks for a device before it creates a stream or
    // a handle: the clear message, never a raw cudaErrorNoDevice text (issue 12, defect 5).
    for (const SolverEntry& listed : default_registry().entries()) {
      if (listed.backend != Backend::cuda) continue;
      SolverEntry e;
      ASSERT_TRUE(api.fill_entry(listed.name.c_str(), e)) << listed.name;
      try {
        if (e.make_f64) {
          (void)e.make_f64(SolverOptions{});
        } else {
          (void)e.make_batched_f64(SolverOptions{});
        }
        ADD_FAILURE() << listed.name << " made without a device";
      } catch (const DeviceError& err) {
        EXPECT_TRUE(contains(err.what(), "no CUDA device")) << listed.name << ": " << err.what();
      }
    }
    return;
  }
  GenOptions g = gen_options(120, 12, 10);
  const Problem<double> p = generate<double>(g);
  auto s = qr.make_f64(SolverOptions{});
  s->setup(p);
  EXPECT_GT(s->timed_solve(), 0.0);
  EXPECT_LE(forward_error(s->solution(), p.x_true), 1e4 * eps<double>());
}

TEST(CudaBackend, MissingLibraryIsAClearError) {
  std::string why;
  EXPECT_EQ(cuda_backend::load_from("/nonexistent/liblsgd_cuda.so", &why), nullptr);
  EXPECT_TRUE(contains(why, "/nonexistent/liblsgd_cuda.so")) << why;
}

}  // namespace
}  // namespace lsgd
