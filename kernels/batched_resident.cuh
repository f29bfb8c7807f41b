#pragma once
// Streaming Householder QR on one thread block: the block reads its rows of [A | b] once, panel by
// panel, into shared memory and folds each panel into an n x (n+1) accumulator [R | c] held in
// shared memory (c = the first n entries of Q^T b, so Q is never formed). Used two ways:
//  - cuda.batched.resident: one block per problem streams all m rows, then back-substitutes
//    R x = c on chip and writes x and a per-problem status (solve mode);
//  - cuda.tsqr: blocks stream row chunks of one tall problem and write their [R | c] for the next
//    level of the reduction tree; the last level runs in solve mode with one block (reduce mode).
// Raw pointers only: no Eigen here.
#include <vector>

#include "kernels/device_compat.hpp"
#include "lsgd/problem.hpp"

namespace lsgd::cuda {

// Largest n of the streaming QR kernel: the accumulator and one 256-row panel of n+1 columns fit in
// shared memory ((n + 256)(n + 1) sizeof(T) = 166 KB for n = 64 in double; the H100 allows 227 KB).
constexpr index_t kStreamingQrMaxN = 64;

template <typename T>
struct StreamingQrArgs {
  const T* A = nullptr;  // column-major, leading dimension lda
  index_t lda = 0;
  index_t a_stride = 0;  // solve mode: problem p's A at A + p * a_stride
  const T* b = nullptr;
  index_t b_stride = 0;  // solve mode: problem p's b at b + p * b_stride
  index_t rows = 0;  // rows of each problem (solve mode) or of the one tall matrix (reduce mode)
  index_t n = 0;
  index_t chunk = 0;  // reduce mode: rows per block (block g takes rows [g*chunk, (g+1)*chunk))
  bool solve = false;
  T* out = nullptr;  // reduce mode: block g writes [R | c] to rows [g*n, (g+1)*n) of out
  index_t ldo = 0;
  T* x = nullptr;         // solve mode: x of problem p at x + p*n (NaN when singular)
  int* status = nullptr;  // solve mode: 0 solved, 1 singular (rank test below) or overflow in x
  // Solve mode: column j is numerically dependent on the columns before it when
  // |R(j,j)| <= rank_tol * ||a_j||; rank_qr_tolerance() gives cpu.qr's value.
  T rank_tol = T(0);
};

// cpu.qr's rank tolerance for m rows (common/rank_tolerance.hpp, the one definition): Householder
// QR leaves rounding noise of about sqrt(m) eps ||a_j|| in R(j,j), so 10 sqrt(m) eps separates
// exact rank deficiency from that noise.
template <typename T>
T rank_qr_tolerance(index_t m);

// Rows per panel of the kernel variant chosen for n (64 for n <= 16, else 256).
index_t streaming_qr_panel_rows(index_t n);

// Raises the dynamic shared-memory limit of the kernel variant chosen for n to what the variant's
// largest n needs (never lowers it: the limit is shared by every solver of the process); throws InvalidInput for
// n > kStreamingQrMaxN and DeviceError when the device offers less shared memory per block.
template <typename T>
void streaming_qr_prepare(index_t n);

// Blocks of the variant for n that fit on the whole device at once (occupancy x SMs).
template <typename T>
index_t streaming_qr_resident_blocks(index_t n);

// Launches `grid` blocks on `stream` (call streaming_qr_prepare first).
template <typename T>
void streaming_qr_launch(const StreamingQrArgs<T>& args, index_t grid, cudaStream_t stream);

// cuda.batched.resident's arguments: problem p (m x n, problem-major like BatchedProblem) solved by
// block p, writing x + p*n and status[p]; launch with grid = batch.
template <typename T>
StreamingQrArgs<T> batched_solve_args(const T* A, const T* b, index_t m, index_t n, T* x,
                                      int* status);

// ---- cuda.tsqr's reduction tree (kernels/tsqr.cpp), one launch per level.
// input -1 reads A and b, otherwise work buffer `input` (lv.rows rows, leading dimension lv.rows,
// column n the carried Q^T b); reduce levels write their stacked [R | c] blocks to work buffer
// `output` (grid * n rows); the last level solves with one block.
struct TsqrLevel {
  index_t rows = 0, chunk = 0, grid = 0;
  bool solve = false;
  int input = -1, output = 0;
};
struct TsqrPlan {
  std::vector<TsqrLevel> levels;
  index_t work_rows[2] = {0, 0};  // rows of each work buffer (n + 1 columns)
};
// Level 0: at most `resident_blocks` blocks (streaming_qr_resident_blocks), each streaming whole
// panels of `panel_rows` (streaming_qr_panel_rows); each further level one panel per block, until
// the rows fit one panel.
TsqrPlan plan_tsqr(index_t m, index_t n, index_t panel_rows, index_t resident_blocks);
// The kernel arguments of level `lv` over A, b (m x n) and the work buffers; the solve level writes
// x and the rank status word and uses rank_qr_tolerance(m).
template <typename T>
StreamingQrArgs<T> tsqr_level_args(const TsqrLevel& lv, const T* A, const T* b, index_t m,
                                   index_t n, T* const work[2], T* x, int* status);

}  // namespace lsgd::cuda
