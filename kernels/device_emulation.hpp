#pragma once
// The CPU emulation of our kernels (compile definition LSGD_DEVICE_EMULATION; CMake option
// LSGD_KERNELS_ON_CPU; ctest label emu). Include kernels/device_compat.hpp, never this file.
//
// HIP-CPU (github.com/ROCm/HIP-CPU, pinned at e112c935, MIT) runs a grid's blocks on TBB threads
// and a block's threads as fibers on one OS thread: thread 0 runs until it reaches a barrier, then
// hands over to thread 1, and so on round the block; `__shared__` is thread_local. This header
// adds, under the CUDA names, what our kernels use and HIP-CPU lacks or gets wrong:
//  - 32-lane warps. __shfl*_sync and __syncwarp pass control among the lanes of their mask only
//    (HIP-CPU's warp has 64 lanes, its shuffles are block barriers, and its sub-warp __shfl reads
//    outside the first group), so groups of one warp may stop at different iterations, as they
//    may on the GPU. A lane outside the mask, a mask naming missing lanes, and a shuffle from a
//    lane outside the mask (all undefined on the GPU) stop the process with a message.
//  - __syncthreads_and / _or / _count, __align__, dynamic shared memory (LSGD_DYNAMIC_SHARED in
//    kernels/device_compat.hpp; `extern __shared__` does not link with g++ 12).
//  - The runtime calls of the launch units and the tests (cudaMalloc, cudaMemcpyAsync, streams,
//    events, cudaFuncSetAttribute, attributes of an emulated H200) mapped onto HIP-CPU's, and the
//    launch checks a GPU makes: block and grid size, dynamic shared memory against the kernel's
//    limit (48 KB unless raised by cudaFuncSetAttribute, at most 227 KB). A refused launch runs
//    nothing and is reported by cudaGetLastError(), as on the GPU.
//  - Checks a GPU does not make: device memory from cudaMalloc and dynamic shared memory start as
//    NaN bytes (0xff) instead of leftovers, the dynamic shared memory ends at an inaccessible page
//    (an overrun faults), a thread that a barrier or shuffle would wake after it returned (a
//    barrier not reached by every thread) stops the process with a message, and every fiber gets a
//    64 KB stack ending at an inaccessible page (HIP-CPU's are 7 KB with nothing below them).
// What it cannot check: timing, occupancy, register spills, warp-synchronous code without
// __syncwarp (a fiber runs alone until its next barrier, so the order is always the same), barriers
// at different places in different threads, and real races; see docs/gpu-backend.md.
#if !defined(LSGD_DEVICE_EMULATION)
#error "kernels/device_emulation.hpp is for the emulated build only"
#endif
#if defined(__HIP_CPU_RT__)
#error "kernels/device_emulation.hpp must come before any HIP-CPU header (fiber stacks)"
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>

// Fiber stacks: libco lets its user supply the allocator; co_create(size, ...) passes its own
// `size` variable here, which the allocator enlarges (stack_bytes) before libco lays out the stack.
namespace lsgd::emu {
void* fiber_stack_allocate(unsigned int& size);
void fiber_stack_free(void* p);
}  // namespace lsgd::emu
#define LIBCO_MALLOC(size) ::lsgd::emu::fiber_stack_allocate(size)
#define LIBCO_FREE(p) ::lsgd::emu::fiber_stack_free(p)

#include <hip/hip_runtime.h>

#include <cmath>
#include <tuple>
#include <utility>

// HIP-CPU marks kernels `flatten` and device functions `simd` (a vector clone per ISA): code-size
// and speed choices that cost minutes of build time per kernel family and change no result.
// Kernels and device functions are plain functions here; __forceinline__ stays.
#undef __global__
#define __global__
#undef __device__
#define __device__
#undef __host__
#define __host__
#define __align__(n) __attribute__((aligned(n)))

// Unqualified fma / sqrt / fabs / isfinite in device code take float overloads on the GPU; here
// they must not resolve to the C library's double versions.
using std::fabs;
using std::fma;
using std::isfinite;
using std::sqrt;

// ---- Runtime API names (host side) ----------------------------------------------------------
using cudaError_t = hipError_t;
using cudaStream_t = hipStream_t;
using cudaEvent_t = hipEvent_t;
using cudaMemcpyKind = hipMemcpyKind;
constexpr cudaError_t cudaSuccess = hipSuccess;
constexpr cudaError_t cudaErrorInvalidValue = hipErrorInvalidValue;
constexpr cudaError_t cudaErrorMemoryAllocation = hipErrorOutOfMemory;
constexpr cudaError_t cudaErrorInvalidConfiguration = hipErrorInvalidConfiguration;
constexpr cudaMemcpyKind cudaMemcpyHostToDevice = hipMemcpyHostToDevice;
constexpr cudaMemcpyKind cudaMemcpyDeviceToHost = hipMemcpyDeviceToHost;
constexpr cudaMemcpyKind cudaMemcpyDeviceToDevice = hipMemcpyDeviceToDevice;
constexpr cudaMemcpyKind cudaMemcpyHostToHost = hipMemcpyHostToHost;
constexpr cudaMemcpyKind cudaMemcpyDefault = hipMemcpyDefault;
constexpr unsigned cudaStreamNonBlocking = hipStreamNonBlocking;
constexpr unsigned cudaEventDefault = hipEventDefault;
constexpr unsigned cudaEventDisableTiming = hipEventDisableTiming;

enum cudaDeviceAttr {
  cudaDevAttrMaxThreadsPerBlock,
  cudaDevAttrMaxSharedMemoryPerBlock,
  cudaDevAttrMaxSharedMemoryPerBlockOptin,
  cudaDevAttrMaxSharedMemoryPerMultiprocessor,
  cudaDevAttrMultiProcessorCount,
  cudaDevAttrWarpSize,
};
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize };

namespace lsgd::emu {

// The emulated device: an H200 (sm_90), the GPU these kernels are sized for.
struct EmulatedDevice {
  static constexpr int kSms = 132;
  static constexpr int kMaxThreadsPerBlock = 1024;
  static constexpr int kMaxThreadsPerSm = 2048;
  static constexpr int kMaxBlocksPerSm = 32;
  static constexpr int kSharedPerBlock = 48 * 1024;        // without cudaFuncSetAttribute
  static constexpr int kSharedPerBlockOptin = 227 * 1024;  // 232448
  static constexpr int kSharedPerSm = 228 * 1024;          // 233472
  static constexpr int kSharedReservedPerBlock = 1024;     // the runtime's share per block
};

// Sets the error cudaGetLastError() reports next (launches refused by check_launch).
cudaError_t set_last_error(cudaError_t e);
cudaError_t take_last_error();
// The launch checks a GPU makes; `kernel` identifies the kernel's dynamic shared-memory limit.
cudaError_t check_launch(const void* kernel, dim3 grid, dim3 block, std::size_t smem_bytes);
cudaError_t set_dynamic_smem_limit(const void* kernel, int bytes);
int occupancy_blocks_per_sm(int block_threads, std::size_t smem_bytes);
const char* error_name(cudaError_t e);
// Stops the process with "lsgd device emulation: <what>" and the block and thread.
[[noreturn]] void fail(const char* what, unsigned lane_or_thread, unsigned mask);

// Per-block state, on the OS thread that runs the block (all its fibers).
struct BlockState {
  unsigned threads = 0;
  unsigned char* smem = nullptr;  // dynamic shared memory, ending at an inaccessible page
  std::size_t smem_bytes = 0;
  unsigned char done[1024] = {};   // thread returned from the kernel
  std::uint64_t slots[1024] = {};  // shuffle exchange
  int votes[1024] = {};            // __syncthreads_and / _or / _count
};
BlockState& block_state();
// Thread 0 at the start of a block: fresh state, poisoned dynamic shared memory of `smem_bytes`.
void begin_block(unsigned threads, std::size_t smem_bytes);

// The thread's linear index in its block: its fiber's id (id() is found by argument lookup).
inline unsigned thread_rank() { return id(hip::detail::Fiber::this_fiber()); }

// Passes control to the next lane of `mask` (cyclically) in the caller's warp: once every lane of
// the mask has called it, each returns. A no-op for a mask of one lane.
inline void sync_lanes(unsigned mask) {
  const unsigned me = thread_rank();
  const unsigned lane = me & 31u;
  const unsigned base = me - lane;
  if (((mask >> lane) & 1u) == 0)
    fail("__syncwarp / __shfl_*_sync: calling lane not in mask", lane, mask);
  const unsigned in_warp = block_state().threads - base;
  if (in_warp < 32 && (mask >> in_warp) != 0) {
    fail("__syncwarp / __shfl_*_sync: mask names lanes beyond the block's last thread", lane, mask);
  }
  const unsigned above = lane == 31 ? 0u : (mask & (~0u << (lane + 1)));
  const unsigned next = static_cast<unsigned>(__builtin_ctz(above != 0 ? above : mask));
  if (next == lane) return;
  hip::detail::this_tile::has_barrier = true;
  hip::detail::Fiber::yield(hip::detail::Tile::fibers()[base + next]);
}

// Every lane of `mask` publishes v; returns the value of warp lane `src` (its own when src < 0).
template <typename T>
T exchange(unsigned mask, T v, int src) {
  static_assert(sizeof(T) <= sizeof(std::uint64_t), "shuffles move at most 8 bytes");
  BlockState& b = block_state();
  const unsigned me = thread_rank();
  std::memcpy(&b.slots[me], &v, sizeof(T));
  sync_lanes(mask);
  T r = v;
  if (src >= 0) {
    if (((mask >> src) & 1u) == 0) fail("__shfl_*_sync: source lane not in mask", me & 31u, mask);
    std::memcpy(&r, &b.slots[(me & ~31u) + static_cast<unsigned>(src)], sizeof(T));
  }
  sync_lanes(mask);  // every lane has read before any lane publishes again
  return r;
}

// Block-wide vote: 0 and, 1 or, 2 count.
inline int block_vote(int predicate, int op) {
  BlockState& b = block_state();
  b.votes[thread_rank()] = predicate != 0;
  __syncthreads();
  int count = 0;
  for (unsigned t = 0; t < b.threads; ++t) count += b.votes[t];
  __syncthreads();  // every thread has counted before the next vote
  if (op == 0) return count == static_cast<int>(b.threads);
  if (op == 1) return count > 0;
  return count;
}

template <typename T>
T* dynamic_shared() {
  return reinterpret_cast<T*>(block_state().smem);
}

// Runs kernel(args...) on every thread of the grid (enqueued on `stream`, as on the GPU).
template <typename... Params, typename... Args>
cudaError_t launch(void (*kernel)(Params...), dim3 grid, dim3 block, std::size_t smem,
                   cudaStream_t stream, Args&&... args) {
  const cudaError_t e = check_launch(reinterpret_cast<const void*>(kernel), grid, block, smem);
  if (e != cudaSuccess) return set_last_error(e);
  const unsigned threads = block.x * block.y * block.z;
  auto entry = [kernel, threads, smem](const auto&... xs) {
    const unsigned t = thread_rank();
    if (t == 0) begin_block(threads, smem);
    BlockState& b = block_state();
    if (b.done[t]) fail("a barrier or shuffle waited for a thread that had returned", t, 0u);
    kernel(xs...);
    block_state().done[t] = 1;
  };
  hipLaunchKernelGGL(entry, grid, block, static_cast<std::uint32_t>(smem), stream,
                     std::forward<Args>(args)...);
  return cudaSuccess;
}

}  // namespace lsgd::emu

// ---- Device-side names -----------------------------------------------------------------------
inline void __syncwarp(unsigned mask = 0xffffffffu) { lsgd::emu::sync_lanes(mask); }
inline int __syncthreads_and(int p) { return lsgd::emu::block_vote(p, 0); }
inline int __syncthreads_or(int p) { return lsgd::emu::block_vote(p, 1); }
inline int __syncthreads_count(int p) { return lsgd::emu::block_vote(p, 2); }

// Source lanes as CUDA defines them: within groups of `width` lanes; __shfl_xor_sync may read an
// earlier group, never a later one (then the caller keeps its value), as may up and down.
template <typename T>
T __shfl_sync(unsigned mask, T v, int src, int width = 32) {
  const int lane = static_cast<int>(lsgd::emu::thread_rank() & 31u);
  return lsgd::emu::exchange(mask, v, (lane & ~(width - 1)) + (src & (width - 1)));
}
template <typename T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
  const int lane = static_cast<int>(lsgd::emu::thread_rank() & 31u);
  const int src = lane ^ lane_mask;
  return lsgd::emu::exchange(mask, v, src >= (lane & ~(width - 1)) + width ? -1 : src);
}
template <typename T>
T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  const int lane = static_cast<int>(lsgd::emu::thread_rank() & 31u);
  const int src = lane + static_cast<int>(delta);
  return lsgd::emu::exchange(mask, v, src >= (lane & ~(width - 1)) + width ? -1 : src);
}
template <typename T>
T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  const int lane = static_cast<int>(lsgd::emu::thread_rank() & 31u);
  const int src = lane - static_cast<int>(delta);
  return lsgd::emu::exchange(mask, v, src < (lane & ~(width - 1)) ? -1 : src);
}

// ---- Runtime API (host side) -----------------------------------------------------------------
inline cudaError_t cudaGetLastError() {
  const cudaError_t mine = lsgd::emu::take_last_error();
  const cudaError_t theirs = hipGetLastError();
  return mine != cudaSuccess ? mine : theirs;
}
inline const char* cudaGetErrorName(cudaError_t e) { return lsgd::emu::error_name(e); }
inline const char* cudaGetErrorString(cudaError_t e) { return hipGetErrorString(e); }
// Fresh device memory holds NaN bytes, as a GPU's holds leftovers: a kernel that reads what nobody
// wrote does not see zeros by luck. (HIP-CPU's hipMalloc is malloc, and reports success when it
// fails: a null result is an allocation failure here.)
inline cudaError_t cudaMalloc(void** p, std::size_t bytes) {
  const cudaError_t e = hipMalloc(p, bytes);
  if (e != cudaSuccess) return e;
  if (*p == nullptr && bytes > 0) return cudaErrorMemoryAllocation;
  if (*p != nullptr) std::memset(*p, 0xff, bytes);
  return cudaSuccess;
}
template <typename T>
cudaError_t cudaMalloc(T** p, std::size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(p), bytes);
}
inline cudaError_t cudaFree(void* p) { return hipFree(p); }
inline cudaError_t cudaMemGetInfo(std::size_t* free_bytes, std::size_t* total_bytes) {
  return hipMemGetInfo(free_bytes, total_bytes);
}
inline cudaError_t cudaMallocHost(void** p, std::size_t bytes) { return hipHostMalloc(p, bytes); }
inline cudaError_t cudaFreeHost(void* p) { return hipHostFree(p); }
inline cudaError_t cudaMemcpy(void* d, const void* s, std::size_t n, cudaMemcpyKind k) {
  return hipMemcpy(d, s, n, k);
}
inline cudaError_t cudaMemcpyAsync(void* d, const void* s, std::size_t n, cudaMemcpyKind k,
                                   cudaStream_t st) {
  return hipMemcpyAsync(d, s, n, k, st);
}
inline cudaError_t cudaMemsetAsync(void* d, int v, std::size_t n, cudaStream_t st) {
  return hipMemsetAsync(d, v, n, st);
}
inline cudaError_t cudaMemset(void* d, int v, std::size_t n) { return hipMemset(d, v, n); }
inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned flags) {
  return hipStreamCreateWithFlags(s, static_cast<hipStreamFlags>(flags));
}
inline cudaError_t cudaStreamDestroy(cudaStream_t s) { return hipStreamDestroy(s); }
inline cudaError_t cudaStreamSynchronize(cudaStream_t s) { return hipStreamSynchronize(s); }
inline cudaError_t cudaDeviceSynchronize() { return hipDeviceSynchronize(); }
inline cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned flags) {
  return hipEventCreateWithFlags(e, static_cast<hipEventFlags>(flags));
}
inline cudaError_t cudaEventDestroy(cudaEvent_t e) { return hipEventDestroy(e); }
inline cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s) { return hipEventRecord(e, s); }
inline cudaError_t cudaEventSynchronize(cudaEvent_t e) { return hipEventSynchronize(e); }
inline cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t a, cudaEvent_t b) {
  return hipEventElapsedTime(ms, a, b);
}
inline cudaError_t cudaGetDevice(int* d) {
  *d = 0;
  return cudaSuccess;
}
inline cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr a, int device) {
  using D = lsgd::emu::EmulatedDevice;
  if (device != 0) return cudaErrorInvalidValue;
  switch (a) {
    case cudaDevAttrMaxThreadsPerBlock:
      *v = D::kMaxThreadsPerBlock;
      break;
    case cudaDevAttrMaxSharedMemoryPerBlock:
      *v = D::kSharedPerBlock;
      break;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin:
      *v = D::kSharedPerBlockOptin;
      break;
    case cudaDevAttrMaxSharedMemoryPerMultiprocessor:
      *v = D::kSharedPerSm;
      break;
    case cudaDevAttrMultiProcessorCount:
      *v = D::kSms;
      break;
    case cudaDevAttrWarpSize:
      *v = 32;
      break;
  }
  return cudaSuccess;
}
inline cudaError_t cudaFuncSetAttribute(const void* kernel, cudaFuncAttribute, int value) {
  return lsgd::emu::set_dynamic_smem_limit(kernel, value);
}
// Blocks per multiprocessor from threads and shared memory alone (registers unknown here): used to
// size grids, never to check a result.
template <typename Kernel>
cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, Kernel, int block_threads,
                                                          std::size_t smem_bytes) {
  *blocks = lsgd::emu::occupancy_blocks_per_sm(block_threads, smem_bytes);
  return cudaSuccess;
}
