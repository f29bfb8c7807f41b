// Launch unit of the streamed gradient-descent kernels and the state kernels
// (kernels/bgd_stream_device.cuh): planning, shared-memory limits, launches, the fused pipeline.
// Compiled by nvcc and by the CPU emulation (kernels/device_compat.hpp). See
// kernels/bgd_kernels.cuh for the contract.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>

#include "kernels/bgd_kernels.cuh"
#include "kernels/bgd_stream_device.cuh"
#include "kernels/cuda_check.hpp"
#include "lsgd/error.hpp"

namespace lsgd::cuda::gd {
namespace {

using detail::i64;

unsigned grid_for(i64 work, int threads) {
  const i64 g = (work + threads - 1) / threads;
  return static_cast<unsigned>(std::max<i64>(1, std::min<i64>(g, 65535)));
}

}  // namespace

template <typename T>
void launch_reset(const GdParams& prm, const GdState<T>& st, cudaStream_t s) {
  const i64 work = std::max(prm.batch * prm.n, prm.batch);
  LSGD_CUDA_CHECK(launch_kernel(detail::reset_kernel<T>, grid_for(work, 256), 256, 0, s, prm, st));
  if (prm.history_every > 0) {
    const size_t slots = static_cast<size_t>(prm.max_iters / prm.history_every + 1);
    LSGD_CUDA_CHECK(cudaMemsetAsync(st.hist_sum, 0, slots * sizeof(double), s));
    LSGD_CUDA_CHECK(cudaMemsetAsync(st.hist_cnt, 0, slots * sizeof(int), s));
  }
}

template <typename T>
void launch_fill_x(const GdParams& prm, const GdState<T>& st, T value, cudaStream_t s) {
  LSGD_CUDA_CHECK(launch_kernel(detail::fill_x_kernel<T>, grid_for(prm.batch * prm.n, 256), 256, 0,
                                s, prm, st, value));
}

template <typename T>
void launch_set_given_lipschitz(const GdParams& prm, const GdState<T>& st, cudaStream_t s) {
  LSGD_CUDA_CHECK(launch_kernel(detail::given_lipschitz_kernel<T>, grid_for(prm.batch, 256), 256, 0,
                                s, prm, st));
}

template <typename T>
StreamPlan plan_stream(std::int64_t m, std::int64_t n, std::int64_t batch) {
  if (n > kStreamMaxN) {
    throw InvalidInput("streamed GD gradient: n = " + std::to_string(n) + " exceeds the limit " +
                       std::to_string(kStreamMaxN));
  }
  StreamPlan plan;
  plan.threads = n >= 64 ? 256 : (n >= 16 ? 128 : 64);
  int R = 64;
  // Keep the tile at <= 96 KB (two blocks per SM) and no taller than the problem needs.
  while (R > 16 && static_cast<size_t>(R + 1) * static_cast<size_t>(n) * sizeof(T) > 96 * 1024) {
    R /= 2;
  }
  while (R > 16 && R / 2 >= m) R /= 2;
  plan.tile_rows = R;
  // Enough blocks to fill the GPU (~4096), but per-problem partials of at most 64K entries so the
  // update's reduction stays small next to the pass over A.
  const i64 target_blocks = 4096;
  i64 chunks_wanted = std::max<i64>(1, (target_blocks + batch - 1) / batch);
  chunks_wanted = std::min<i64>(chunks_wanted, std::max<i64>(1, 65536 / n));
  const i64 tiles = (m + R - 1) / R;
  const i64 tiles_per_chunk = (tiles + chunks_wanted - 1) / chunks_wanted;
  plan.chunk_rows = tiles_per_chunk * R;
  plan.chunks = (m + plan.chunk_rows - 1) / plan.chunk_rows;
  plan.smem_bytes = static_cast<size_t>(n * (R + 1) + n + R + plan.threads + 32) * sizeof(T);
  int u = 32;
  while (u < 256 && u < n * plan.chunks) u *= 2;
  plan.update_threads = u;
  return plan;
}

int cublas_update_threads(std::int64_t n) {
  return n >= 256 ? 256 : (n > 64 ? 128 : (n > 32 ? 64 : 32));
}

template <typename T>
void launch_stream_gradient(const T* A, const T* b, const GdParams& prm, const GdState<T>& st,
                            const StreamPlan& plan, T* gpart, T* rrpart, cudaStream_t s) {
  const i64 blocks = prm.batch * plan.chunks;
  if (blocks > 2147483647LL) throw InvalidInput("streamed GD gradient: too many blocks");
  // The shared-memory limit beyond 48 KB was raised in setup (prepare_stream_gradient).
  int log2_r = 0;
  while ((1 << log2_r) < plan.tile_rows) ++log2_r;
  LSGD_CUDA_CHECK(launch_kernel(detail::stream_gradient_kernel<T>, static_cast<unsigned>(blocks),
                                plan.threads, plan.smem_bytes, s, A, b, prm, st, plan.tile_rows,
                                log2_r, plan.chunk_rows, plan.chunks, gpart, rrpart));
}

template <typename T>
void prepare_stream_gradient(const StreamPlan& plan) {
  if (plan.smem_bytes > 48 * 1024) {
    raise_dynamic_smem_limit(reinterpret_cast<const void*>(&detail::stream_gradient_kernel<T>),
                             plan.smem_bytes);
  }
}

template <typename T>
void launch_update(int k, const GdParams& prm, const GdState<T>& st, T* gpart, const T* rrpart,
                   const T* r_vec, std::int64_t chunks, int threads, cudaStream_t s) {
  if (prm.batch > 2147483647LL) throw InvalidInput("GD update: batch too large for one grid");
  LSGD_CUDA_CHECK(launch_kernel(detail::update_kernel<T>, static_cast<unsigned>(prm.batch), threads,
                                0, s, k, prm, st, gpart, rrpart, r_vec, chunks));
}

template <typename T>
void launch_power_update(const GdParams& prm, const GdState<T>& st, T* gpart, std::int64_t chunks,
                         int threads, bool last, cudaStream_t s) {
  if (prm.batch > 2147483647LL) throw InvalidInput("GD update: batch too large for one grid");
  LSGD_CUDA_CHECK(launch_kernel(detail::power_update_kernel<T>, static_cast<unsigned>(prm.batch),
                                threads, 0, s, prm, st, gpart, chunks, last));
}

template <typename T>
void launch_fused_solve(const T* A, const T* b, const GdParams& prm, const GdState<T>& st,
                        const StreamPlan& plan, T* gpart, T* rrpart, cudaStream_t s,
                        const std::function<bool(int)>& stop_after) {
  if (prm.lipschitz > 0.0) {
    launch_set_given_lipschitz(prm, st, s);
  } else {
    launch_fill_x(prm, st, T(1) / std::sqrt(static_cast<T>(prm.n)), s);
    for (int it = 0; it < prm.power_iters; ++it) {
      launch_stream_gradient<T>(A, nullptr, prm, st, plan, gpart, rrpart, s);
      launch_power_update(prm, st, gpart, plan.chunks, plan.update_threads,
                          it + 1 == prm.power_iters, s);
    }
    launch_fill_x(prm, st, T(0), s);
  }
  for (int k = 0; k <= prm.max_iters; ++k) {
    launch_stream_gradient<T>(A, b, prm, st, plan, gpart, rrpart, s);
    launch_update<T>(k, prm, st, gpart, rrpart, nullptr, plan.chunks, plan.update_threads, s);
    if (stop_after && stop_after(k)) break;
  }
}

#define LSGD_BGD_STREAM_INSTANTIATE(T)                                                            \
  template void launch_reset<T>(const GdParams&, const GdState<T>&, cudaStream_t);                \
  template void launch_fill_x<T>(const GdParams&, const GdState<T>&, T, cudaStream_t);            \
  template void launch_set_given_lipschitz<T>(const GdParams&, const GdState<T>&, cudaStream_t);  \
  template StreamPlan plan_stream<T>(std::int64_t, std::int64_t, std::int64_t);                   \
  template void launch_stream_gradient<T>(const T*, const T*, const GdParams&, const GdState<T>&, \
                                          const StreamPlan&, T*, T*, cudaStream_t);               \
  template void prepare_stream_gradient<T>(const StreamPlan&);                                    \
  template void launch_update<T>(int, const GdParams&, const GdState<T>&, T*, const T*, const T*, \
                                 std::int64_t, int, cudaStream_t);                                \
  template void launch_power_update<T>(const GdParams&, const GdState<T>&, T*, std::int64_t, int, \
                                       bool, cudaStream_t);                                       \
  template void launch_fused_solve<T>(const T*, const T*, const GdParams&, const GdState<T>&,     \
                                      const StreamPlan&, T*, T*, cudaStream_t,                    \
                                      const std::function<bool(int)>&);

LSGD_BGD_STREAM_INSTANTIATE(float)
LSGD_BGD_STREAM_INSTANTIATE(double)
#undef LSGD_BGD_STREAM_INSTANTIATE

}  // namespace lsgd::cuda::gd
