#pragma once
// Registration functions of the mpi.* solver families, called by register_mpi_solvers().
#include "lsgd/registry.hpp"

namespace lsgd::mpi {
void register_mpi_tsqr(Registry& r);      // mpi/tsqr.cpp: mpi.tsqr
void register_mpi_cholesky(Registry& r);  // mpi/cholesky.cpp: mpi.cholesky
void register_mpi_gd(Registry& r);        // mpi/gd.cpp: mpi.gd, mpi.gd.momentum, mpi.gd.nesterov
void register_mpi_bgd(Registry& r);       // mpi/bgd.cpp: mpi.bgd (batched)
}  // namespace lsgd::mpi
