#include "mpi/mpi_families.hpp"

namespace lsgd {

void register_mpi_solvers(Registry& r) {
  mpi::register_mpi_tsqr(r);
  mpi::register_mpi_cholesky(r);
  mpi::register_mpi_gd(r);
  mpi::register_mpi_bgd(r);
}

}  // namespace lsgd
