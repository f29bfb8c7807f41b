// Built instead of the MPI backend when LSGD_ENABLE_MPI is OFF: no mpi.* solvers, and the runtime
// functions say why they cannot run.
#include "lsgd/error.hpp"
#include "lsgd/mpi.hpp"
#include "lsgd/registry.hpp"

namespace lsgd {

void register_mpi_solvers(Registry&) {}

namespace mpi {
namespace {
[[noreturn]] void absent() {
  throw DeviceError("lsgd was built without MPI (LSGD_ENABLE_MPI=OFF, or CMake found no MPI)");
}
}  // namespace

bool enabled() { return false; }
bool initialized() { return false; }
void init() { absent(); }
int rank() { absent(); }
int size() { absent(); }
void abort_all(int) { absent(); }
std::string describe() { return "MPI backend not built"; }
template <typename T>
Residuals distributed_residuals(const Problem<T>&, const std::vector<double>&) {
  absent();
}
template Residuals distributed_residuals<float>(const Problem<float>&, const std::vector<double>&);
template Residuals distributed_residuals<double>(const Problem<double>&, const std::vector<double>&);

}  // namespace mpi
}  // namespace lsgd
