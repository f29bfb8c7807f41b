#pragma once
// Our own gradient-descent kernels, callable from host .cpp files: plain structs of raw device
// pointers and launch functions, no CUDA syntax beyond cudaStream_t. Kernels in
// kernels/bgd_{stream,resident,gram}_device.cuh, launched by kernels/bgd_{stream,resident,gram}.cu
// (one launch unit per family, compiled by nvcc and by the CPU emulation).
//
// Conventions (shared with the CPU GD solvers): f(x) = 1/(2m)||Ax - b||^2 + lambda/2 ||x||^2,
// grad f(x) = A^T (A x - b)/m + lambda x, x0 = 0; L from options.lipschitz or from power iteration on
// A^T A/m (v = ones/sqrt(n); w = A^T A v/m; L = ||w||; v = w/L) plus lambda; alpha = step or 1/L.
// Every problem is evaluated at k = 0, 1, ..., at most max_iters; after evaluating f(x_k) and
// grad f(x_k) it stops as diverged (non-finite, or f > 1e8 max(f0, tiny)), as converged
// (tol > 0 and ||grad f(x_k)|| <= tol ||grad f(x_0)||), or at k = max_iters;
// otherwise x_{k+1} = x_k - alpha grad f(x_k). A problem that stops no longer updates.
#include <cstdint>
#include <functional>

#include "kernels/device_compat.hpp"

namespace lsgd::cuda::gd {

// Device-side problem status (mapped to lsgd::ProblemStatus on the host).
enum DeviceStatus : int { kRunning = 0, kDoneOk = 1, kDoneDiverged = 2, kDoneMaxIters = 3 };

struct GdParams {
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t batch = 0;
  double lambda = 0.0;
  double tol = 0.0;
  double step = 0.0;       // > 0: fixed step
  double lipschitz = 0.0;  // > 0: given L (no power iteration)
  int max_iters = 0;
  int power_iters = 0;
  int history_every = 0;   // 0: no history
};

// Per-problem state on the device (every pointer has `batch` entries unless stated).
template <typename T>
struct GdState {
  T* x = nullptr;       // batch*n: the iterate (also holds v during the power iteration)
  T* lip = nullptr;     // L (lambda included)
  T* alpha = nullptr;   // step
  T* f0 = nullptr;      // f(x_0)
  T* g0 = nullptr;      // ||grad f(x_0)||
  T* f_last = nullptr;  // f at the iterate where the problem stopped
  int* status = nullptr;
  int* iters = nullptr;
  double* hist_sum = nullptr;  // history slots: sum of f(x_j) over problems still running at j
  int* hist_cnt = nullptr;     // ... and their count (the host adds the stopped problems)
  int* active = nullptr;       // 1 entry: problems still running
};

// Resets x = 0, status = running, iterations = 0, active = batch (history buffers: by the caller).
template <typename T>
void launch_reset(const GdParams& prm, const GdState<T>& st, cudaStream_t s);

// x[p*n + j] = value for every problem (the power iteration's start vector).
template <typename T>
void launch_fill_x(const GdParams& prm, const GdState<T>& st, T value, cudaStream_t s);

// lip = given L, alpha = step or 1/L, for every problem (options.lipschitz > 0).
template <typename T>
void launch_set_given_lipschitz(const GdParams& prm, const GdState<T>& st, cudaStream_t s);

// ---- Streamed one-pass gradient (cuda.bgd.fused, the streamed fallback of cuda.bgd.resident,
// cuda.gd). One block per (problem, chunk of rows); the chunk is staged through shared memory in
// tiles of R rows x n columns, each element of A read once from global memory per pass:
// r_i = a_i . x - b_i and g += r_i a_i^T from the same tile. Writes per-chunk partial sums.
struct StreamPlan {
  int threads = 256;     // block size of the gradient kernel (64, 128 or 256)
  int tile_rows = 64;    // R: rows per staged tile (16, 32 or 64)
  std::int64_t chunk_rows = 0;  // rows per block
  std::int64_t chunks = 1;      // blocks per problem
  size_t smem_bytes = 0;        // dynamic shared memory of the gradient kernel
  int update_threads = 32;      // block size of the update kernel
};
// Largest n of the streamed gradient kernel (4 columns per thread at 256 threads).
constexpr std::int64_t kStreamMaxN = 1024;

template <typename T>
StreamPlan plan_stream(std::int64_t m, std::int64_t n, std::int64_t batch);

// Raises the gradient kernel's shared-memory limit for `plan` (setup only; never in a timed loop).
template <typename T>
void prepare_stream_gradient(const StreamPlan& plan);

// gpart[(p*chunks + c)*n + j], rrpart[p*chunks + c] from one pass over A at x (state x). With
// b == nullptr it computes A^T A x (the power iteration). Problems not running are skipped.
template <typename T>
void launch_stream_gradient(const T* A, const T* b, const GdParams& prm, const GdState<T>& st,
                            const StreamPlan& plan, T* gpart, T* rrpart, cudaStream_t s);

// Per-problem step at iteration k from partial sums over `chunks` chunks (gpart) and either rrpart
// or, when r_vec != nullptr, the residual vectors (batch*m) of the cuBLAS baseline. Evaluates f, the
// gradient norm, decides (stop / step), records history, updates x. Overwrites gpart chunk 0 with
// the gradient.
template <typename T>
void launch_update(int k, const GdParams& prm, const GdState<T>& st, T* gpart, const T* rrpart,
                   const T* r_vec, std::int64_t chunks, int threads, cudaStream_t s);

// Block size of the update kernel after cuBLAS's gradient (chunks = 1): n >= 256: 256; n > 64: 128;
// n > 32: 64; else 32.
int cublas_update_threads(std::int64_t n);

// The fused pipeline's launches for one solve (cuda.bgd.fused, the streamed fallback of
// cuda.bgd.resident, cuda.gd): L (given, or by power iteration over A^T A x), then up to
// max_iters + 1 evaluations and steps. After iteration k's update it stops when stop_after(k) is
// true (the host's poll; empty: never).
template <typename T>
void launch_fused_solve(const T* A, const T* b, const GdParams& prm, const GdState<T>& st,
                        const StreamPlan& plan, T* gpart, T* rrpart, cudaStream_t s,
                        const std::function<bool(int)>& stop_after);

// Power-iteration step from partial sums of A^T A v: w = sum/m, L = ||w||, v = w / L (x holds v).
// With last = true it also sets lip = L + lambda and alpha (step or 1/L).
template <typename T>
void launch_power_update(const GdParams& prm, const GdState<T>& st, T* gpart,
                         std::int64_t chunks, int threads, bool last, cudaStream_t s);

// ---- Register-resident kernel (cuda.bgd.resident): ONE launch runs the power iteration and all GD
// iterations; each problem's A lives in registers of a group of threads (R rows each) for the
// whole solve. Supports n <= kResidentMaxN and m <= resident_max_m<T>(n).
constexpr std::int64_t kResidentMaxN = 32;
template <typename T>
std::int64_t resident_max_m(std::int64_t n);
template <typename T>
void launch_resident(const T* A, const T* b, const GdParams& prm, const GdState<T>& st,
                     cudaStream_t s);

// ---- Gram kernel (cuda.bgd.gram): G = A^T A/m (batch*n*n, column-major) and c = A^T b/m
// (batch*n) are formed by the caller (cuBLAS); ONE launch then runs the power iteration on G and all
// iterations on-chip with G in shared memory. n <= kGramMaxN.
constexpr std::int64_t kGramMaxN = 128;
// Raises the Gram kernel's shared-memory limit for n (setup only; never in a timed loop).
template <typename T>
void prepare_gram(std::int64_t n);
template <typename T>
void launch_gram(const T* G, const T* c, const T* b, const GdParams& prm, const GdState<T>& st,
                 cudaStream_t s);

}  // namespace lsgd::cuda::gd
