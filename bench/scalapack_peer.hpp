#pragma once
// The ScaLAPACK peer of bench_mpi: PDGELS / PSGELS (QR least squares) on the rows each rank holds,
// laid out as ScaLAPACK's block-cyclic distribution on a P x 1 process grid with one row block per
// rank (row block = ceil(m / P)), so no data moves before the call. Built only when CMake finds
// ScaLAPACK (LSGD_WITH_SCALAPACK).
#include <string>
#include <vector>

#include "lsgd/problem.hpp"

namespace lsgd::bench {

bool scalapack_available();

// Solves min ||A x - b|| for the m-row global problem of which rank r holds rows
// [r mb, min((r+1) mb, m)), mb = ceil(m / P) (the even split when P divides m). Collective.
// Returns the time of the PxGELS call (max over ranks) and x (n values, on every rank).
// nb: the column block (panel width); prow x pcol: the process grid (prow * pcol = P). On the
// P x 1 grid the rows stay where they are (row block mb); on another grid they are first moved,
// untimed, to nb x nb blocks by PxGEMR2D. Throws NumericalError on info != 0, InvalidInput on a
// grid that does not use every rank.
template <typename T>
double scalapack_gels(const Problem<T>& local, index_t m, int nb, int prow, int pcol,
                      std::vector<T>& x);

}  // namespace lsgd::bench
