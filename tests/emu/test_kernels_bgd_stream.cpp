// The streamed gradient-descent kernels and the state kernels (kernels/bgd_stream_device.cuh:
// reset, fill_x, given_lipschitz, stream_gradient, update, power_update) through the launch unit
// the CUDA solvers use (kernels/bgd_stream.cu: plan_stream, prepare_stream_gradient,
// launch_fused_solve, launch_update, launch_power_update) against the reference GD in double.
// Built twice (tests/emu/kernel_test_util.hpp): emu_bgd_stream, gpu_bgd_stream. Bounds:
// tests/emu/gd_kernel_checks.hpp, and per chunk of the gradient below.
#include <cmath>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/bgd_kernels.cuh"
#include "kernels/bgd_state.hpp"
#include "tests/emu/gd_kernel_checks.hpp"
#include "tests/emu/kernel_test_util.hpp"

namespace lsgd {
namespace {

using cuda::gd::GdParams;
using cuda::gd::StreamPlan;
using test::make_case;
using test::Planted;

template <typename T>
class BgdStreamKernels : public ::testing::Test {};
using Precisions = ::testing::Types<float, double>;
TYPED_TEST_SUITE(BgdStreamKernels, Precisions);

// Shapes that take every branch of plan_stream and of the kernels: 64 / 128 / 256 threads; tiles of
// 64, 32 and 16 rows; one chunk and many, several tiles per chunk; n <= threads (columns split
// among threads) and n > threads (up to 4 columns per thread, n = 1024 the largest, its tile at the
// shared-memory plan's maximum); the update's column sums for n <= threads / 2 and beyond.
const GdShape kShapes[] = {
    {40, 5, 3},      // 64 threads, one tile, one chunk
    {1000, 5, 4},    // 64 threads, 16 chunks of one tile
    {300, 20, 3},    // 128 threads, 5 chunks
    {150, 70, 2},    // 256 threads, 3 chunks, n <= 128 in the update
    {90, 300, 2},    // n > 256: 4 columns per thread; double: tiles of 32 rows
    {1040, 1024, 1}  // the largest n: tiles of 16 rows, 2 tiles per chunk, shared memory at maximum
};
// Whole solves on every shape but the largest, whose generation costs seconds (m n^2): its kernels
// are those of the n = 300 shape (same branches), checked on it pass by pass below.
constexpr size_t kSolveShapes = std::size(kShapes) - 1;

// launch_reset, then the fused pipeline's launches as cuda.bgd.fused makes them (GdEngine::prepare
// and run_fused: plan_stream, prepare_stream_gradient, the partial-sum workspaces), without the
// host's early polls.
template <typename T>
test::GdOutcome<T> run_fused(const GdBatch<T>& g, cudaStream_t s) {
  GdDevice<T> d(g, s);
  const StreamPlan plan = cuda::gd::plan_stream<T>(g.shape.m, g.shape.n, g.shape.batch);
  cuda::gd::prepare_stream_gradient<T>(plan);
  const size_t bs = static_cast<size_t>(g.shape.batch);
  cuda::DeviceBuffer<T> gpart(bs * static_cast<size_t>(plan.chunks * g.shape.n));
  cuda::DeviceBuffer<T> rrpart(bs * static_cast<size_t>(plan.chunks));
  cuda::gd::launch_reset(d.prm, d.st, s);
  cuda::gd::launch_fused_solve<T>(d.A.data(), d.b.data(), d.prm, d.st, plan, gpart.data(),
                                  rrpart.data(), s, {});
  return test::download(d, s);
}

TYPED_TEST(BgdStreamKernels, FusedSolveMatchesReferenceGdPerProblem) {
  using T = TypeParam;
  LSGD_KERNEL_TEST_NEEDS_DEVICE();
  cuda::Stream stream;
  std::uint64_t seed = 100;
  for (size_t i = 0; i < kSolveShapes; ++i) {
    const GdShape& sh = kShapes[i];
    for (const Setting st : {Setting::natural, Setting::fixed_step, Setting::given_l}) {
      const GdBatch<T> g = make_case<T>(sh, st, seed += 7);
      test::check_gd_outcome(g, run_fused(g, stream.get()), st == Setting::fixed_step,
                             test::f_from_residual);
    }
  }
}

// ---- One pass of the gradient kernel, chunk by chunk.
// Entry j of chunk c is a dot product of the chunk's rows (at most chunk_rows terms) of a_ij with
// r_i = a_i . x - b_i (n + 1 terms): |error| <= 1.01 (chunk_rows + n + 2) u sum_i |a_ij| (|r_i| +
// sum_k |a_ik x_k| + |b_i|) (Higham's gamma bound, any summation order, fma or not); the same for
// ||r||^2 with (|r_i| + sum_k |a_ik x_k| + |b_i|)^2. Problems not running are skipped: their
// partial sums keep the sentinel.
TYPED_TEST(BgdStreamKernels, StreamGradientPartialSumsPerChunk) {
  using T = TypeParam;
  LSGD_KERNEL_TEST_NEEDS_DEVICE();
  cuda::Stream stream;
  const T sentinel = T(-7.25);
  std::uint64_t seed = 300;
  for (const GdShape& sh : kShapes) {
    for (const bool with_b : {true, false}) {
      SolverOptions o;  // only the data are used: a short reference run
      o.tol = 0.0;
      o.max_iters = 1;
      o.power_iters = 1;
      const GdBatch<T> g = test::make_gd_batch<T>(sh, o, 0.0, 0.0, {}, seed += 3, "gradient");
      GdDevice<T> d(g, stream.get());
      const index_t m = sh.m, n = sh.n, batch = sh.batch;
      // x: a fixed pattern; problem 1 (if any) marked converged, so it must be skipped.
      std::vector<T> x(static_cast<size_t>(batch * n));
      for (size_t i = 0; i < x.size(); ++i)
        x[i] = static_cast<T>(std::sin(0.7 * static_cast<double>(i) + 0.3));
      d.x.upload_sync(x, stream.get());
      std::vector<int> status(static_cast<size_t>(batch), cuda::gd::kRunning);
      if (batch > 1) status[1] = cuda::gd::kDoneOk;
      d.bufs.status.upload_sync(status, stream.get());
      const StreamPlan plan = cuda::gd::plan_stream<T>(m, n, batch);
      cuda::gd::prepare_stream_gradient<T>(plan);
      const index_t chunks = plan.chunks;
      auto gpart = filled<T>(static_cast<size_t>(batch * chunks * n), sentinel, stream.get());
      auto rrpart = filled<T>(static_cast<size_t>(batch * chunks), sentinel, stream.get());
      cuda::gd::launch_stream_gradient<T>(d.A.data(), with_b ? d.b.data() : nullptr, d.prm, d.st,
                                          plan, gpart.data(), rrpart.data(), stream.get());
      const double u = test::unit_roundoff<T>();
      std::vector<double> gwant, gtol, rwant, rtol;
      for (index_t p = 0; p < batch; ++p) {
        const T* A = g.A_of(p);
        const T* b = g.b_of(p);
        for (index_t c = 0; c < chunks; ++c) {
          const index_t r0 = c * plan.chunk_rows, r1 = std::min(m, r0 + plan.chunk_rows);
          std::vector<double> gs(static_cast<size_t>(n), 0.0), gm(static_cast<size_t>(n), 0.0);
          double rr = 0.0, rrm = 0.0;
          for (index_t i = r0; i < r1; ++i) {
            double r = with_b ? -static_cast<double>(b[i]) : 0.0;
            double mag = with_b ? std::fabs(static_cast<double>(b[i])) : 0.0;
            for (index_t j = 0; j < n; ++j) {
              const double t = static_cast<double>(A[j * m + i]) *
                               static_cast<double>(x[static_cast<size_t>(p * n + j)]);
              r += t;
              mag += std::fabs(t);
            }
            mag += std::fabs(r);
            rr += r * r;
            rrm += mag * mag;
            for (index_t j = 0; j < n; ++j) {
              gs[static_cast<size_t>(j)] += static_cast<double>(A[j * m + i]) * r;
              gm[static_cast<size_t>(j)] += std::fabs(static_cast<double>(A[j * m + i])) * mag;
            }
          }
          const double k = 1.01 * static_cast<double>(plan.chunk_rows + n + 2) * u;
          for (index_t j = 0; j < n; ++j) {
            const bool skipped = status[static_cast<size_t>(p)] != cuda::gd::kRunning;
            gwant.push_back(skipped ? static_cast<double>(sentinel) : gs[static_cast<size_t>(j)]);
            gtol.push_back(k * gm[static_cast<size_t>(j)] + std::numeric_limits<T>::denorm_min());
          }
          const bool skipped = status[static_cast<size_t>(p)] != cuda::gd::kRunning;
          rwant.push_back(skipped ? static_cast<double>(sentinel) : rr);
          rtol.push_back(k * rrm + std::numeric_limits<T>::denorm_min());
        }
      }
      const std::string what = test::describe(sh) + (with_b ? ", A^T (A x - b)" : ", A^T A x") +
                               ", " + std::to_string(chunks) + " chunk(s) of " +
                               std::to_string(plan.chunk_rows) + " rows, tiles of " +
                               std::to_string(plan.tile_rows) + ", " +
                               std::to_string(plan.threads) + " threads";
      EXPECT_TRUE(all_within(to_host(gpart, stream.get()), gwant, gtol)) << what;
      EXPECT_TRUE(all_within(to_host(rrpart, stream.get()), rwant, rtol)) << what;
    }
  }
}

// The plan's limits: the tile of the largest n fits the device's 227 KB (and needs the raised
// limit), one chunk per problem once the batch alone fills the GPU, chunks of whole tiles.
TYPED_TEST(BgdStreamKernels, PlanStaysWithinTheDeviceLimits) {
  using T = TypeParam;
  LSGD_KERNEL_TEST_NEEDS_DEVICE();  // host checks only, but in the gpu set: skip with it
  const StreamPlan big = cuda::gd::plan_stream<T>(100000, cuda::gd::kStreamMaxN, 1);
  EXPECT_LE(big.smem_bytes, 227u * 1024u);
  EXPECT_EQ(big.tile_rows, 16);
  EXPECT_EQ(big.threads, 256);
  const StreamPlan many = cuda::gd::plan_stream<T>(5000, 8, 5000);
  EXPECT_EQ(many.chunks, 1);
  EXPECT_EQ(many.chunk_rows % many.tile_rows, 0);
  EXPECT_GE(many.chunk_rows, 5000);
  EXPECT_THROW(cuda::gd::plan_stream<T>(10, cuda::gd::kStreamMaxN + 1, 1), InvalidInput);
}

// ---- The state kernels.
TYPED_TEST(BgdStreamKernels, ResetFillAndGivenLipschitzSetEveryEntry) {
  using T = TypeParam;
  LSGD_KERNEL_TEST_NEEDS_DEVICE();
  cuda::Stream stream;
  for (const GdShape sh : {GdShape{10, 3, 1}, GdShape{10, 7, 1000}, GdShape{10, 1, 300}}) {
    SolverOptions o;
    o.max_iters = 30;
    o.history_every = 4;
    o.lipschitz = 2.5;
    GdParams prm = cuda::gd::make_gd_params(sh.m, sh.n, sh.batch, o);
    cuda::DeviceBuffer<T> x(static_cast<size_t>(sh.batch * sh.n));
    cuda::gd::GdStateBuffers<T> bufs;
    const auto st = bufs.allocate(prm, x.data());
    const size_t bs = static_cast<size_t>(sh.batch), xs = static_cast<size_t>(sh.batch * sh.n);
    cuda::gd::launch_reset(prm, st, stream.get());
    const std::string what = test::describe(sh);
    EXPECT_EQ(to_host(x, stream.get()), std::vector<T>(xs, T(0))) << what;
    EXPECT_EQ(to_host(bufs.status, stream.get()), std::vector<int>(bs, cuda::gd::kRunning)) << what;
    EXPECT_EQ(to_host(bufs.iters, stream.get()), std::vector<int>(bs, 0)) << what;
    for (const auto* buf : {&bufs.f_last, &bufs.f0, &bufs.g0}) {
      EXPECT_EQ(to_host(*buf, stream.get()), std::vector<T>(bs, T(0))) << what;
    }
    EXPECT_EQ(to_host(bufs.active, stream.get())[0], static_cast<int>(sh.batch)) << what;
    EXPECT_EQ(to_host(bufs.hist_sum, stream.get()), std::vector<double>(8, 0.0)) << what;
    EXPECT_EQ(to_host(bufs.hist_cnt, stream.get()), std::vector<int>(8, 0)) << what;
    cuda::gd::launch_fill_x(prm, st, T(0.125), stream.get());
    EXPECT_EQ(to_host(x, stream.get()), std::vector<T>(xs, T(0.125))) << what;
    cuda::gd::launch_set_given_lipschitz(prm, st, stream.get());
    EXPECT_EQ(to_host(bufs.lip, stream.get()), std::vector<T>(bs, T(2.5))) << what;
    EXPECT_EQ(to_host(bufs.alpha, stream.get()), std::vector<T>(bs, T(1) / T(2.5))) << what;
    prm.step = 0.75;
    cuda::gd::launch_set_given_lipschitz(prm, st, stream.get());
    EXPECT_EQ(to_host(bufs.alpha, stream.get()), std::vector<T>(bs, T(0.75))) << what;
  }
}

// ---- The update kernel after cuBLAS's gradient (cuda.bgd.cublas: chunks = 1, r_vec = the residual
// vectors), with the two GEMVs of run_cublas_iterations done on the host in double and rounded to
// T, as cuBLAS returns them in T. Block sizes 32, 64, 128 and 256 (cublas_update_threads).
template <typename T>
test::GdOutcome<T> run_cublas_path(const GdBatch<T>& g, cudaStream_t s) {
  GdDevice<T> d(g, s);
  const index_t m = g.shape.m, n = g.shape.n, batch = g.shape.batch;
  const int threads = cuda::gd::cublas_update_threads(n);
  std::vector<T> r(static_cast<size_t>(batch * m)), gr(static_cast<size_t>(batch * n));
  cuda::DeviceBuffer<T> dr(r.size()), dg(gr.size());
  // r = A x - b (or A x), g = A^T r, from x on the device.
  auto gemvs = [&](bool with_b) {
    const std::vector<T> x = to_host(d.x, s);
    for (index_t p = 0; p < batch; ++p) {
      const T* A = g.A_of(p);
      for (index_t i = 0; i < m; ++i) {
        double v = with_b ? -static_cast<double>(g.b_of(p)[i]) : 0.0;
        for (index_t j = 0; j < n; ++j) {
          v += static_cast<double>(A[j * m + i]) *
               static_cast<double>(x[static_cast<size_t>(p * n + j)]);
        }
        r[static_cast<size_t>(p * m + i)] = static_cast<T>(v);
      }
      for (index_t j = 0; j < n; ++j) {
        double v = 0.0;
        for (index_t i = 0; i < m; ++i) {
          v += static_cast<double>(A[j * m + i]) *
               static_cast<double>(r[static_cast<size_t>(p * m + i)]);
        }
        gr[static_cast<size_t>(p * n + j)] = static_cast<T>(v);
      }
    }
    dr.upload(r.data(), r.size(), s);
    dg.upload(gr.data(), gr.size(), s);
  };
  cuda::gd::launch_reset(d.prm, d.st, s);
  if (d.prm.lipschitz > 0.0) {
    cuda::gd::launch_set_given_lipschitz(d.prm, d.st, s);
  } else {
    cuda::gd::launch_fill_x(d.prm, d.st, T(1) / std::sqrt(static_cast<T>(n)), s);
    for (int it = 0; it < d.prm.power_iters; ++it) {
      gemvs(false);
      cuda::gd::launch_power_update(d.prm, d.st, dg.data(), 1, threads, it + 1 == d.prm.power_iters,
                                    s);
    }
    cuda::gd::launch_fill_x(d.prm, d.st, T(0), s);
  }
  for (int k = 0; k <= d.prm.max_iters; ++k) {
    gemvs(true);
    cuda::gd::launch_update<T>(k, d.prm, d.st, dg.data(), nullptr, dr.data(), 1, threads, s);
  }
  return test::download(d, s);
}

TYPED_TEST(BgdStreamKernels, UpdateAfterCublasGradientMatchesReferenceGd) {
  using T = TypeParam;
  LSGD_KERNEL_TEST_NEEDS_DEVICE();
  cuda::Stream stream;
  std::uint64_t seed = 500;
  for (const GdShape& sh :
       {GdShape{60, 5, 3}, GdShape{80, 40, 3}, GdShape{120, 100, 2}, GdShape{310, 300, 2}}) {
    for (const Setting st : {Setting::natural, Setting::fixed_step}) {
      GdBatch<T> g = make_case<T>(sh, st, seed += 11);
      test::check_gd_outcome(g, run_cublas_path(g, stream.get()), st == Setting::fixed_step,
                             test::f_from_residual);
    }
  }
}

}  // namespace
}  // namespace lsgd
