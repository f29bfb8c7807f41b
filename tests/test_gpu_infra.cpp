// GPU infrastructure: device queries, the catalog without a GPU, error macros, out-of-memory
// reporting, RAII move semantics. Builds with and without CUDA; tests that need a device skip
// without one (and fail under -DLSGD_REQUIRE_GPU=ON).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lsgd/device.hpp"
#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/registry.hpp"
#include "tests/test_util.hpp"

#ifdef LSGD_WITH_CUDA
#include "kernels/cuda_raii.hpp"
#endif

namespace lsgd {
namespace {

const char* const kGpuLstsq[] = {"cuda.cholesky", "cuda.qr",   "cuda.qr.augmented",
                                 "cuda.svd",      "cuda.gels", "cuda.gels_irs"};

bool contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

TEST(GpuInfra, DeviceQueriesAreConsistent) {
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

TEST(GpuInfra, CatalogListsGpuSolversAndTheirAvailability) {
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

TEST(GpuInfra, ConstructingAGpuSolverWithoutAGpuRaisesNoCudaDevice) {
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

#ifdef LSGD_WITH_CUDA

cublasStatus_t fake_cublas_failure() { return CUBLAS_STATUS_INVALID_VALUE; }
cusolverStatus_t fake_cusolver_failure() { return CUSOLVER_STATUS_IRS_OUT_OF_RANGE; }

// Runs everywhere a CUDA build runs: cudaSetDevice(-1) fails with or without a device.
TEST(GpuInfra, CheckMacrosNameCallStatusFileAndLine) {
  int line = 0;
  try {
    line = __LINE__ + 1;
    LSGD_CUDA_CHECK(cudaSetDevice(-1));
    ADD_FAILURE() << "cudaSetDevice(-1) succeeded";
  } catch (const DeviceError& e) {
    const std::string msg = e.what();
    EXPECT_TRUE(contains(msg, "cudaSetDevice(-1)")) << msg;
    EXPECT_TRUE(contains(msg, "cudaError")) << msg;
    EXPECT_TRUE(contains(msg, "test_gpu_infra.cpp:" + std::to_string(line))) << msg;
  }
  try {
    line = __LINE__ + 1;
    LSGD_CUBLAS_CHECK(fake_cublas_failure());
    ADD_FAILURE() << "no throw";
  } catch (const DeviceError& e) {
    const std::string msg = e.what();
    EXPECT_TRUE(contains(msg, "fake_cublas_failure()")) << msg;
    EXPECT_TRUE(contains(msg, "CUBLAS_STATUS_INVALID_VALUE")) << msg;
    EXPECT_TRUE(contains(msg, "test_gpu_infra.cpp:" + std::to_string(line))) << msg;
  }
  try {
    line = __LINE__ + 1;
    LSGD_CUSOLVER_CHECK(fake_cusolver_failure());
    ADD_FAILURE() << "no throw";
  } catch (const DeviceError& e) {
    const std::string msg = e.what();
    EXPECT_TRUE(contains(msg, "fake_cusolver_failure()")) << msg;
    EXPECT_TRUE(contains(msg, "CUSOLVER_STATUS_IRS_OUT_OF_RANGE")) << msg;
    EXPECT_TRUE(contains(msg, "test_gpu_infra.cpp:" + std::to_string(line))) << msg;
  }
  // The destructor twins report and go on.
  testing::internal::CaptureStderr();
  EXPECT_NO_THROW(LSGD_CUDA_CHECK_NOEXCEPT(cudaSetDevice(-1)));
  EXPECT_NO_THROW(LSGD_CUBLAS_CHECK_NOEXCEPT(fake_cublas_failure()));
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(contains(err, "cudaSetDevice(-1)")) << err;
  EXPECT_TRUE(contains(err, "CUBLAS_STATUS_INVALID_VALUE")) << err;
}

TEST(GpuInfra, OutOfMemoryNamesBytesAndTheProcessGoesOn) {
  LSGD_SKIP_IF_UNAVAILABLE(nullptr);
  const size_t huge = static_cast<size_t>(1e15);
  try {
    cuda::DeviceBuffer<double> big(huge);
    ADD_FAILURE() << "allocated " << huge << " doubles";
  } catch (const DeviceError& e) {
    const std::string msg = e.what();
    EXPECT_TRUE(contains(msg, "out of device memory")) << msg;
    EXPECT_TRUE(contains(msg, "requested " + std::to_string(huge * sizeof(double)) + " bytes"))
        << msg;
    EXPECT_TRUE(contains(msg, "bytes free")) << msg;
  }
  try {
    cuda::PinnedBuffer<double> big(huge);
    ADD_FAILURE() << "pinned " << huge << " doubles";
  } catch (const DeviceError& e) {
    EXPECT_TRUE(contains(e.what(), "requested " + std::to_string(huge * sizeof(double))))
        << e.what();
  }
  // A following allocation and a full solve still work.
  cuda::DeviceBuffer<double> small(1000);
  small.zero();
  EXPECT_EQ(small.to_host().size(), 1000u);
  GenOptions g;
  g.m = 120;
  g.n = 12;
  g.kappa = 10;
  const Problem<double> p = generate<double>(g);
  auto s = default_registry().get("cuda.qr").make<double>();
  s->setup(p);
  EXPECT_GT(s->timed_solve(), 0.0);
  EXPECT_LE(forward_error(s->solution(), p.x_true), 1e3 * 10 * eps<double>());
}

TEST(GpuInfra, MovedFromResourcesAreEmptyAndFreedOnce) {
  LSGD_SKIP_IF_UNAVAILABLE(nullptr);
  testing::internal::CaptureStderr();  // a double free would be reported there by the _NOEXCEPT
                                       // twins
  {
    const std::vector<float> v = {1.f, 2.f, 3.f, 4.f};
    cuda::DeviceBuffer<float> a;
    a.upload(v);
    cuda::DeviceBuffer<float> b(std::move(a));
    EXPECT_EQ(a.data(), nullptr);
    EXPECT_EQ(a.size(), 0u);
    EXPECT_EQ(b.to_host(), v);
    cuda::DeviceBuffer<float> c(16);
    c = std::move(b);  // c's old allocation is released, b's moves in
    EXPECT_EQ(b.data(), nullptr);
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(c.to_host(), v);

    cuda::PinnedBuffer<int> p(8), q;
    q = std::move(p);
    EXPECT_EQ(p.data(), nullptr);
    EXPECT_EQ(q.size(), 8u);

    cuda::Stream s1, s2;
    cuda::Stream s3(std::move(s1));
    EXPECT_EQ(s1.get(), nullptr);
    s2 = std::move(s3);
    EXPECT_EQ(s3.get(), nullptr);
    EXPECT_NE(s2.get(), nullptr);
    s2.synchronize();

    cuda::Event e1, e2;
    cuda::Event e3(std::move(e1));
    EXPECT_EQ(e1.get(), nullptr);
    e2 = std::move(e3);
    EXPECT_EQ(e3.get(), nullptr);
    e2.record(s2.get());
    s2.synchronize();

    cuda::CublasHandle h1(s2.get()), h2;
    h2 = std::move(h1);
    EXPECT_EQ(h1.get(), nullptr);
    cuda::CusolverHandle k1(s2.get());
    cuda::CusolverHandle k2(std::move(k1));
    EXPECT_EQ(k1.get(), nullptr);
    EXPECT_NE(k2.get(), nullptr);

    cuda::GpuTimer timer(s2.get());
    timer.start();
    c.zero(s2.get());
    EXPECT_GE(timer.stop_seconds(), 0.0);
  }
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_FALSE(contains(err, "lsgd:")) << err;
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
}

#endif  // LSGD_WITH_CUDA

}  // namespace
}  // namespace lsgd
