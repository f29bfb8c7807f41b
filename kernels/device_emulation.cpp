// The emulated build's runtime state (kernels/device_emulation.hpp): fiber stacks, launch checks,
// per-kernel shared-memory limits, the last error, per-block state and dynamic shared memory.
#include "kernels/device_compat.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>

namespace lsgd::emu {
namespace {

std::size_t page_bytes() {
  static const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

std::size_t round_up(std::size_t v, std::size_t to) { return (v + to - 1) / to * to; }

// [guard page][usable bytes]; `base` is the mapping, the usable part follows the guard.
struct Mapping {
  void* base = nullptr;
  std::size_t total = 0;
};

Mapping map_with_guard_below(std::size_t usable) {
  const std::size_t page = page_bytes();
  Mapping m;
  m.total = page + round_up(usable, page);
  m.base = mmap(nullptr, m.total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m.base == MAP_FAILED) throw std::bad_alloc();
  mprotect(m.base, page, PROT_NONE);
  return m;
}

// Fiber stacks grow down from the top of the usable part towards the guard page.
constexpr unsigned kFiberStackBytes = 64 * 1024;

std::mutex& limits_mutex() {
  static std::mutex mu;
  return mu;
}
std::map<const void*, int>& smem_limits() {
  static std::map<const void*, int> limits;  // kernel -> dynamic shared-memory limit raised to
  return limits;
}

thread_local cudaError_t last_error = cudaSuccess;

// Dynamic shared memory of the blocks run by this OS thread: ends at an inaccessible page.
struct SharedArena {
  void* base = nullptr;
  std::size_t total = 0;
  std::size_t capacity = 0;
  ~SharedArena() {
    if (base != nullptr) munmap(base, total);
  }
};
thread_local SharedArena arena;
thread_local BlockState state;

}  // namespace

void* fiber_stack_allocate(unsigned int& size) {
  size = std::max(size, kFiberStackBytes);
  // The first page of the usable part stays accessible: libco keeps the fiber's context there.
  const Mapping m = map_with_guard_below(size + sizeof(std::size_t));
  auto* bytes = static_cast<unsigned char*>(m.base) + page_bytes();
  // The mapping's size, for fiber_stack_free, in the word just below the stack's lowest address.
  std::memcpy(bytes, &m.total, sizeof(std::size_t));
  return bytes + sizeof(std::size_t);
}

void fiber_stack_free(void* p) {
  if (p == nullptr) return;
  auto* bytes = static_cast<unsigned char*>(p) - sizeof(std::size_t);
  std::size_t total = 0;
  std::memcpy(&total, bytes, sizeof(std::size_t));
  munmap(bytes - page_bytes(), total);
}

cudaError_t set_last_error(cudaError_t e) {
  last_error = e;
  return e;
}

cudaError_t take_last_error() {
  const cudaError_t e = last_error;
  last_error = cudaSuccess;
  return e;
}

cudaError_t check_launch(const void* kernel, dim3 grid, dim3 block, std::size_t smem_bytes) {
  const unsigned long long threads = static_cast<unsigned long long>(block.x) * block.y * block.z;
  if (threads == 0 || threads > EmulatedDevice::kMaxThreadsPerBlock || block.z > 64) {
    return cudaErrorInvalidConfiguration;
  }
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.x > 2147483647u || grid.y > 65535u ||
      grid.z > 65535u) {
    return cudaErrorInvalidConfiguration;
  }
  int limit = EmulatedDevice::kSharedPerBlock;
  {
    const std::lock_guard<std::mutex> lock(limits_mutex());
    const auto it = smem_limits().find(kernel);
    if (it != smem_limits().end()) limit = it->second;
  }
  if (smem_bytes > static_cast<std::size_t>(limit)) return cudaErrorInvalidValue;
  return cudaSuccess;
}

cudaError_t set_dynamic_smem_limit(const void* kernel, int bytes) {
  if (bytes < 0 || bytes > EmulatedDevice::kSharedPerBlockOptin) return cudaErrorInvalidValue;
  const std::lock_guard<std::mutex> lock(limits_mutex());
  smem_limits()[kernel] = bytes;
  return cudaSuccess;
}

int occupancy_blocks_per_sm(int block_threads, std::size_t smem_bytes) {
  if (block_threads <= 0) return 0;
  int blocks =
      std::min(EmulatedDevice::kMaxBlocksPerSm, EmulatedDevice::kMaxThreadsPerSm / block_threads);
  const std::size_t per_block = smem_bytes + EmulatedDevice::kSharedReservedPerBlock;
  blocks = std::min<int>(blocks, static_cast<int>(EmulatedDevice::kSharedPerSm / per_block));
  return blocks;
}

const char* error_name(cudaError_t e) {
  switch (e) {
    case cudaSuccess:
      return "cudaSuccess";
    case cudaErrorInvalidValue:
      return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation:
      return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration:
      return "cudaErrorInvalidConfiguration";
    default:
      return hipGetErrorName(e);
  }
}

void fail(const char* what, unsigned lane_or_thread, unsigned mask) {
  const auto& blk = index(hip::detail::Tile::this_tile());
  std::fprintf(stderr,
               "lsgd device emulation: %s (block (%u,%u,%u), thread %u of the block or lane %u, "
               "mask %#x)\n",
               what, blk.x, blk.y, blk.z, thread_rank(), lane_or_thread, mask);
  std::fflush(stderr);
  std::abort();
}

BlockState& block_state() { return state; }

void begin_block(unsigned threads, std::size_t smem_bytes) {
  state.threads = threads;
  std::fill(state.done, state.done + threads, static_cast<unsigned char>(0));
  // Every thread of the block runs on its own fiber, so that any of them may wait at a barrier
  // or shuffle (HIP-CPU otherwise runs threads 1.. on thread 0's fiber after it returned when
  // thread 0 met no barrier).
  if (threads > 1) hip::detail::this_tile::has_barrier = true;
  const std::size_t need = round_up(smem_bytes, 16);
  if (arena.base == nullptr || need > arena.capacity) {
    if (arena.base != nullptr) munmap(arena.base, arena.total);
    const std::size_t page = page_bytes();
    arena.capacity = round_up(std::max<std::size_t>(need, 1), page);
    arena.total = arena.capacity + page;
    arena.base =
        mmap(nullptr, arena.total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (arena.base == MAP_FAILED) {
      arena.base = nullptr;
      fail("no memory for the block's dynamic shared memory", 0u, 0u);
    }
    mprotect(static_cast<unsigned char*>(arena.base) + arena.capacity, page, PROT_NONE);
  }
  state.smem = static_cast<unsigned char*>(arena.base) + arena.capacity - need;
  state.smem_bytes = smem_bytes;
  std::memset(state.smem, 0xff, need);
}

}  // namespace lsgd::emu
