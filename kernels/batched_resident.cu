// Launch unit of the streaming-QR kernel (kernels/streaming_qr_device.cuh; interface in
// kernels/batched_resident.cuh): one thread block streams rows once through shared memory,
// accumulating a Householder QR of the rows seen so far, and either writes its [R | c] (cuda.tsqr's
// reduction, kernels/tsqr.cpp) or solves R x = Q^T b on chip, one block per problem
// (cuda.batched.resident, kernels/batched_resident_solver.cpp). Variants, shared-memory limits,
// occupancy, launch. Compiled by nvcc and by the CPU emulation (kernels/device_compat.hpp).
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <sstream>
#include <vector>

#include "common/rank_tolerance.hpp"
#include "kernels/batched_resident.cuh"
#include "kernels/cuda_check.hpp"
#include "kernels/streaming_qr_device.cuh"

namespace lsgd::cuda {
namespace {

// Two variants: small n (a 64-row panel, 2 warps: many blocks per SM for batches of tiny problems)
// and n up to 64 (a 256-row panel, 8 warps).
constexpr index_t kSmallN = 16;
constexpr int kSmallRpl = 2, kSmallWarps = 2;
constexpr int kLargeRpl = 8, kLargeWarps = 8;

template <typename T>
struct Variant {
  void (*kernel)(StreamingQrArgs<T>);
  int threads;
  index_t panel_rows;
};

template <typename T>
Variant<T> variant_for(index_t n) {
  if (n <= kSmallN) {
    return {detail::streaming_qr_kernel<T, kSmallRpl, kSmallWarps>, 32 * kSmallWarps,
            32 * kSmallRpl};
  }
  return {detail::streaming_qr_kernel<T, kLargeRpl, kLargeWarps>, 32 * kLargeWarps, 32 * kLargeRpl};
}

index_t ceil_div(index_t a, index_t b) { return (a + b - 1) / b; }

void check_n(index_t n) {
  if (n < 1 || n > kStreamingQrMaxN) {
    std::ostringstream os;
    os << "streaming QR kernel: n = " << n << " is outside the supported range 1.."
       << kStreamingQrMaxN << " (the R accumulator and a panel must fit in shared memory)";
    throw InvalidInput(os.str());
  }
}

}  // namespace

template <typename T>
T rank_qr_tolerance(index_t m) {
  return cpu::rank_tolerance<T>(m);  // the one rule of cpu.qr and cuda.qr
}

index_t streaming_qr_panel_rows(index_t n) {
  return n <= kSmallN ? 32 * kSmallRpl : 32 * kLargeRpl;
}

template <typename T>
void streaming_qr_prepare(index_t n) {
  check_n(n);
  const Variant<T> v = variant_for<T>(n);
  const size_t bytes = detail::smem_elems<T>(n, v.panel_rows) * sizeof(T);
  int device = 0, optin = 0;
  LSGD_CUDA_CHECK(cudaGetDevice(&device));
  LSGD_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  // The kernel's static shared memory (one int) also counts against the limit.
  const size_t usable = static_cast<size_t>(optin) > sizeof(int)
                            ? static_cast<size_t>(optin) - sizeof(int)
                            : 0;
  if (bytes > usable) {
    std::ostringstream os;
    os << "streaming QR kernel: n = " << n << " needs " << bytes
       << " bytes of shared memory per block; this device allows " << optin;
    throw DeviceError(os.str());
  }
  // The dynamic shared-memory limit is a property of the kernel, shared by every solver in the
  // process: it is raised once to what the variant's largest n needs (capped by the device), never
  // lowered, so a solver set up for a small n cannot break another one's launches for a larger n.
  const index_t variant_n = n <= kSmallN ? kSmallN : kStreamingQrMaxN;
  const size_t variant_max =
      std::min(detail::smem_elems<T>(variant_n, v.panel_rows) * sizeof(T), usable);
  raise_dynamic_smem_limit(reinterpret_cast<const void*>(v.kernel), variant_max);
}

template <typename T>
index_t streaming_qr_resident_blocks(index_t n) {
  // The occupancy query counts 0 blocks when `bytes` exceeds the kernel's dynamic shared-memory
  // limit (48 KB until raised): raise it first, so that the answer does not depend on whether a
  // solver was prepared before (the first H200 run, 2026-12-04: n = 40 in double needs 97 KB, and
  // a test that asked before preparing was told "no block fits").
  streaming_qr_prepare<T>(n);
  const Variant<T> v = variant_for<T>(n);
  const size_t bytes = detail::smem_elems<T>(n, v.panel_rows) * sizeof(T);
  int per_sm = 0, device = 0, sms = 0;
  LSGD_CUDA_CHECK(
      cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, v.kernel, v.threads, bytes));
  LSGD_CUDA_CHECK(cudaGetDevice(&device));
  LSGD_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  if (per_sm < 1) {
    throw DeviceError("streaming QR kernel: no block fits on a multiprocessor for n = " +
                      std::to_string(n));
  }
  return static_cast<index_t>(per_sm) * sms;
}

template <typename T>
void streaming_qr_launch(const StreamingQrArgs<T>& args, index_t grid, cudaStream_t stream) {
  check_n(args.n);
  if (grid < 1 || grid > std::numeric_limits<int>::max()) {
    throw InvalidInput("streaming QR kernel: grid of " + std::to_string(grid) + " blocks");
  }
  const Variant<T> v = variant_for<T>(args.n);
  const size_t bytes = detail::smem_elems<T>(args.n, v.panel_rows) * sizeof(T);
  LSGD_CUDA_CHECK(launch_kernel(v.kernel, static_cast<unsigned>(grid), v.threads, bytes, stream,
                                args));
}

template <typename T>
StreamingQrArgs<T> batched_solve_args(const T* A, const T* b, index_t m, index_t n, T* x,
                                      int* status) {
  StreamingQrArgs<T> args;
  args.A = A;
  args.lda = m;
  args.a_stride = m * n;
  args.b = b;
  args.b_stride = m;
  args.rows = m;
  args.n = n;
  args.chunk = m;
  args.solve = true;
  args.x = x;
  args.status = status;
  args.rank_tol = rank_qr_tolerance<T>(m);
  return args;
}

TsqrPlan plan_tsqr(index_t m, index_t n, index_t panel_rows, index_t resident_blocks) {
  TsqrPlan plan;
  index_t rows = m;
  int input = -1;
  while (true) {
    TsqrLevel lv;
    lv.rows = rows;
    lv.input = input;
    if (rows <= panel_rows) {
      lv.solve = true;
      lv.chunk = rows;
      lv.grid = 1;
      plan.levels.push_back(lv);
      break;
    }
    if (input < 0) {
      // Level 0: as many blocks as fit on the device at once, each streaming whole panels.
      const index_t blocks = std::min(ceil_div(rows, panel_rows), resident_blocks);
      lv.chunk = ceil_div(ceil_div(rows, blocks), panel_rows) * panel_rows;
    } else {
      lv.chunk = panel_rows;
    }
    lv.grid = ceil_div(rows, lv.chunk);
    lv.output = input == 0 ? 1 : 0;
    plan.levels.push_back(lv);
    rows = lv.grid * n;  // the stacked [R | c] blocks: panel >= 4n, so rows shrink >= 4x
    plan.work_rows[lv.output] = std::max(plan.work_rows[lv.output], rows);
    input = lv.output;
  }
  return plan;
}

template <typename T>
StreamingQrArgs<T> tsqr_level_args(const TsqrLevel& lv, const T* A, const T* b, index_t m,
                                   index_t n, T* const work[2], T* x, int* status) {
  StreamingQrArgs<T> a;
  if (lv.input < 0) {
    a.A = A;
    a.lda = m;
    a.b = b;
  } else {
    // A level's input buffer holds exactly lv.rows rows with leading dimension lv.rows.
    a.A = work[lv.input];
    a.lda = lv.rows;
    a.b = work[lv.input] + n * lv.rows;
  }
  a.rows = lv.rows;
  a.n = n;
  a.chunk = lv.chunk;
  a.solve = lv.solve;
  if (lv.solve) {
    a.x = x;
    a.status = status;
    a.rank_tol = rank_qr_tolerance<T>(m);  // the original m: the stacked R rows carry A's norms
  } else {
    a.out = work[lv.output];
    a.ldo = lv.grid * n;
  }
  return a;
}

template float rank_qr_tolerance<float>(index_t);
template double rank_qr_tolerance<double>(index_t);
template void streaming_qr_prepare<float>(index_t);
template void streaming_qr_prepare<double>(index_t);
template index_t streaming_qr_resident_blocks<float>(index_t);
template index_t streaming_qr_resident_blocks<double>(index_t);
template void streaming_qr_launch<float>(const StreamingQrArgs<float>&, index_t, cudaStream_t);
template void streaming_qr_launch<double>(const StreamingQrArgs<double>&, index_t, cudaStream_t);
template StreamingQrArgs<float> batched_solve_args<float>(const float*, const float*, index_t,
                                                          index_t, float*, int*);
template StreamingQrArgs<double> batched_solve_args<double>(const double*, const double*, index_t,
                                                            index_t, double*, int*);
template StreamingQrArgs<float> tsqr_level_args<float>(const TsqrLevel&, const float*, const float*,
                                                       index_t, index_t, float* const[2], float*,
                                                       int*);
template StreamingQrArgs<double> tsqr_level_args<double>(const TsqrLevel&, const double*,
                                                         const double*, index_t, index_t,
                                                         double* const[2], double*, int*);

}  // namespace lsgd::cuda
