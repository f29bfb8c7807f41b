// The CPU emulation of our kernels (kernels/device_emulation.hpp) on small kernels of its own:
// sub-warp shuffles and syncs with groups of one warp running different numbers of rounds, block
// votes, the launch checks a GPU makes, poisoned memory, and the checks that stop the process
// (lane outside its mask, a barrier waiting for a thread that returned, a shared-memory overrun).
// Emulated build only (target emu_runtime, labels cpu and emu).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/cuda_check.hpp"
#include "tests/emu/kernel_test_util.hpp"

namespace lsgd {
namespace {


// Groups of W lanes (the mask is the group). Group g of the block runs g % 3 + 1 rounds, so groups
// of one warp stop at different rounds. Per round: s = the group's sum (xor butterfly),
// v = s + 2 rot + 3 down + 5 up, rot = v of the next lane of the group (cyclic), down = v of the
// next lane (the last keeps its own), up = v of the previous lane (the first keeps its own).
template <int W>
__global__ void group_rounds_kernel(const int* in, int* out) {
  const int t = static_cast<int>(threadIdx.x);
  const int lane = t & 31;
  const unsigned mask = W == 32 ? 0xffffffffu : ((1u << W) - 1u) << (lane & ~(W - 1));
  int v = in[blockIdx.x * blockDim.x + t];
  const int rounds = (t / W) % 3 + 1;
  for (int r = 0; r < rounds; ++r) {
    int s = v;
    for (int o = W / 2; o >= 1; o /= 2) s += __shfl_xor_sync(mask, s, o, W);
    const int rot = __shfl_sync(mask, v, (lane + 1) % W, W);
    const int down = __shfl_down_sync(mask, v, 1, W);
    const int up = __shfl_up_sync(mask, v, 1, W);
    __syncwarp(mask);
    v = s + 2 * rot + 3 * down + 5 * up;
  }
  out[blockIdx.x * blockDim.x + t] = v;
}

std::vector<int> group_rounds_reference(const std::vector<int>& in, int threads, int width) {
  std::vector<int> out(in.size());
  for (size_t g0 = 0; g0 < in.size(); g0 += static_cast<size_t>(width)) {
    const int t0 = static_cast<int>(g0 % static_cast<size_t>(threads));
    std::vector<int> v(in.begin() + static_cast<long>(g0),
                       in.begin() + static_cast<long>(g0) + width);
    const int rounds = (t0 / width) % 3 + 1;
    for (int r = 0; r < rounds; ++r) {
      int s = 0;
      for (int x : v) s += x;
      std::vector<int> nv(v.size());
      for (int l = 0; l < width; ++l) {
        const int rot = v[static_cast<size_t>((l + 1) % width)];
        const int down = l + 1 < width ? v[static_cast<size_t>(l + 1)] : v[static_cast<size_t>(l)];
        const int up = l > 0 ? v[static_cast<size_t>(l - 1)] : v[static_cast<size_t>(l)];
        nv[static_cast<size_t>(l)] = s + 2 * rot + 3 * down + 5 * up;
      }
      v = nv;
    }
    std::copy(v.begin(), v.end(), out.begin() + static_cast<long>(g0));
  }
  return out;
}

template <int W>
void check_group_rounds(int threads, int blocks) {
  cuda::Stream stream;
  std::vector<int> in(static_cast<size_t>(threads * blocks));
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<int>((i * 7919) % 23) - 11;
  auto din = to_device(in, stream.get());
  auto dout = filled<int>(in.size(), -1, stream.get());
  LSGD_CUDA_CHECK(cuda::launch_kernel(group_rounds_kernel<W>, blocks, threads, 0, stream.get(),
                                      din.data(), dout.data()));
  EXPECT_EQ(to_host(dout, stream.get()), group_rounds_reference(in, threads, W))
      << "width " << W << ", " << threads << " threads";
}

TEST(Emulation, SubWarpShufflesStayInTheirGroupWhileGroupsRunDifferentRounds) {
  check_group_rounds<1>(64, 3);
  check_group_rounds<2>(64, 3);
  check_group_rounds<4>(96, 2);
  check_group_rounds<8>(256, 2);
  check_group_rounds<16>(48, 3);  // the block's last warp has 16 lanes
  check_group_rounds<32>(256, 3);
}

__global__ void votes_kernel(const int* pred, int* out) {
  const int t = static_cast<int>(threadIdx.x);
  const int p = pred[blockIdx.x * blockDim.x + t];
  const int a = __syncthreads_and(p);
  const int o = __syncthreads_or(p);
  const int c = __syncthreads_count(p);
  if (t == 5) {
    out[3 * blockIdx.x] = a;
    out[3 * blockIdx.x + 1] = o;
    out[3 * blockIdx.x + 2] = c;
  }
}

TEST(Emulation, BlockVotes) {
  cuda::Stream stream;
  const int threads = 70;
  // Block 0: all true; block 1: none; block 2: threads 3 and 69.
  std::vector<int> pred(3 * threads, 0);
  for (int t = 0; t < threads; ++t) pred[static_cast<size_t>(t)] = 1;
  pred[2 * threads + 3] = 1;
  pred[2 * threads + 69] = 1;
  auto dp = to_device(pred, stream.get());
  auto dout = filled<int>(9, -1, stream.get());
  LSGD_CUDA_CHECK(
      cuda::launch_kernel(votes_kernel, 3, threads, 0, stream.get(), dp.data(), dout.data()));
  EXPECT_EQ(to_host(dout, stream.get()), (std::vector<int>{1, 1, 70, 0, 0, 0, 0, 1, 2}));
}

__global__ void read_shared_kernel(float* out) {
  LSGD_DYNAMIC_SHARED(float, s);
  out[blockIdx.x * blockDim.x + threadIdx.x] = s[threadIdx.x];
}

TEST(Emulation, FreshDeviceAndSharedMemoryHoldNaN) {
  cuda::Stream stream;
  cuda::DeviceBuffer<double> fresh(100);
  for (double v : to_host(fresh, stream.get())) EXPECT_TRUE(std::isnan(v));
  auto out = filled<float>(64, 1.0f, stream.get());
  LSGD_CUDA_CHECK(
      cuda::launch_kernel(read_shared_kernel, 2, 32, 32 * sizeof(float), stream.get(), out.data()));
  for (float v : to_host(out, stream.get())) EXPECT_TRUE(std::isnan(v));
}

// The launch limits of the emulated H200, reported as the GPU reports them: cudaGetLastError()
// after the launch, a DeviceError through LSGD_CUDA_CHECK naming the error.
TEST(Emulation, LaunchLimitsOfTheGpu) {
  cuda::Stream stream;
  auto out = filled<float>(2048, 0.0f, stream.get());
  auto error_of = [&](unsigned grid, unsigned block, size_t smem) {
    try {
      LSGD_CUDA_CHECK(
          cuda::launch_kernel(read_shared_kernel, grid, block, smem, stream.get(), out.data()));
      stream.synchronize();
      return std::string();
    } catch (const DeviceError& e) {
      return std::string(e.what());
    }
  };
  EXPECT_NE(error_of(1, 1025, 0).find("cudaErrorInvalidConfiguration"), std::string::npos);
  EXPECT_NE(error_of(0, 32, 0).find("cudaErrorInvalidConfiguration"), std::string::npos);
  EXPECT_EQ(error_of(1, 1024, 48 * 1024), "");
  // Beyond 48 KB only after the kernel's limit was raised; never beyond 227 KB.
  EXPECT_NE(error_of(1, 32, 48 * 1024 + 4).find("cudaErrorInvalidValue"), std::string::npos);
  const void* k = reinterpret_cast<const void*>(&read_shared_kernel);
  cuda::raise_dynamic_smem_limit(k, 100 * 1024);
  EXPECT_EQ(error_of(1, 32, 100 * 1024), "");
  EXPECT_NE(error_of(1, 32, 100 * 1024 + 4).find("cudaErrorInvalidValue"), std::string::npos);
  EXPECT_THROW(cuda::raise_dynamic_smem_limit(k, 227 * 1024 + 1), DeviceError);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);  // the refusals were reported once
}

__global__ void shuffle_outside_mask_kernel(int* out) {
  out[threadIdx.x] = __shfl_sync(0x3u, static_cast<int>(threadIdx.x), 2);
}
__global__ void lane_not_in_mask_kernel(int* out) {
  __syncwarp(0x1u);
  out[threadIdx.x] = 1;
}
__global__ void barrier_after_return_kernel(int* out) {
  if (threadIdx.x == 5) return;
  __syncthreads();
  out[threadIdx.x] = 1;
}
__global__ void shared_overrun_kernel(int* out) {
  LSGD_DYNAMIC_SHARED(int, s);
  s[threadIdx.x + 64] = 1;  // 64 entries were asked for
  out[threadIdx.x] = 1;
}

template <typename... Args>
void launch_and_wait(void (*k)(Args...), unsigned block, size_t smem, Args... args) {
  cuda::Stream stream;
  LSGD_CUDA_CHECK(cuda::launch_kernel(k, 1, block, smem, stream.get(), args...));
  stream.synchronize();
}

// What a GPU leaves undefined (or hangs on) stops the emulated process with a message.
TEST(EmulationDeathTest, UndefinedWarpAndBarrierUseStopsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  cuda::Stream stream;
  auto out = filled<int>(64, 0, stream.get());
  EXPECT_DEATH(launch_and_wait(shuffle_outside_mask_kernel, 2, 0, out.data()),
               "source lane not in mask");
  EXPECT_DEATH(launch_and_wait(lane_not_in_mask_kernel, 2, 0, out.data()),
               "calling lane not in mask");
  EXPECT_DEATH(launch_and_wait(barrier_after_return_kernel, 32, 0, out.data()),
               "waited for a thread that had returned");
  EXPECT_DEATH(launch_and_wait(shared_overrun_kernel, 32, 64 * sizeof(int), out.data()), "");
}

#if defined(__SANITIZE_ADDRESS__)
// Under the asan preset device memory is malloc'd memory with AddressSanitizer's red zones: a
// kernel's overrun of a device buffer stops the process, as compute-sanitizer's memcheck would.
__global__ void global_overrun_kernel(int* out) { out[threadIdx.x + 1] = 1; }

TEST(EmulationDeathTest, DeviceBufferOverrunIsCaughtUnderAsan) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        cuda::Stream stream;
        cuda::DeviceBuffer<int> out(32);
        launch_and_wait(global_overrun_kernel, 32, 0, out.data());
      },
      "heap-buffer-overflow");
}
#endif

#if !defined(__SANITIZE_ADDRESS__)  // (AddressSanitizer stops the process on such a request)
TEST(Emulation, FailedAllocationIsReported) {
  EXPECT_THROW(cuda::DeviceBuffer<double> huge(static_cast<size_t>(1) << 56), DeviceError);
}
#endif

}  // namespace
}  // namespace lsgd
