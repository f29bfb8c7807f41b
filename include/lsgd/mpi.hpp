#pragma once
// The MPI runtime as the rest of lsgd sees it (no MPI headers here). The mpi.* solvers shard the rows
// of A across the ranks of MPI_COMM_WORLD: every rank calls setup() with ITS rows (row_range() says
// which), timed_solve() is collective, and solution() returns the same x on every rank.
//
// Built only with LSGD_ENABLE_MPI (on when CMake finds MPI); otherwise enabled() is false and the
// other functions throw DeviceError.
#include <string>
#include <utility>
#include <vector>

#include "lsgd/problem.hpp"

namespace lsgd::mpi {

bool enabled();      // the MPI backend was compiled in
bool initialized();  // MPI is initialized (and not finalized) in this process

// Initializes MPI (MPI_THREAD_FUNNELED) unless it already is, and finalizes it at exit. Outside
// mpirun this is a singleton run of one rank.
void init();

int rank();  // in MPI_COMM_WORLD
int size();

// Rows [first, second) of m that rank r of P owns: contiguous, sizes differ by at most one.
inline std::pair<index_t, index_t> row_range(index_t m, int r, int P) {
  return {m * r / P, m * (r + 1) / P};
}

// ||b - A x|| and ||A^T (b - A x)|| / (||A||_F (||A||_F ||x|| + ||b||)) (lsgd/metrics.hpp) of the
// global problem whose rows the ranks hold as `local`: local sums, one allreduce. Collective.
struct Residuals {
  double residual_norm = 0.0;
  double normal_eq_residual = 0.0;
};
template <typename T>
Residuals distributed_residuals(const Problem<T>& local, const std::vector<double>& x);

// Ends every rank of the job with `code` (MPI_Abort): for a failure that cannot be agreed on.
[[noreturn]] void abort_all(int code);

// "Open MPI v4.1.4, 4 ranks, thread level funneled" and the like, for contexts and `lsgd list`.
std::string describe();

}  // namespace lsgd::mpi
