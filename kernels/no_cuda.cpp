// Built without CUDA: the device queries say so, and the CUDA solvers of the catalog are listed but
// report themselves unavailable, so everything links and fails clearly at run time.
#include "lsgd/device.hpp"
#include "kernels/catalog_entry.hpp"
#include "lsgd/registry.hpp"

namespace lsgd {

bool built_with_cuda() { return false; }
bool gpu_available() { return false; }
DeviceInfo device_info() {
  DeviceInfo d;
  d.reason = "built without CUDA (configure with -DLSGD_ENABLE_CUDA=ON)";
  return d;
}
std::string describe_device() { return "no CUDA device: " + device_info().reason; }

void register_cuda_solvers(Registry& r) {
#define LSGD_CUDA_SOLVER(NAME, REGISTER_FN, FIELDS, DESC)                                          \
  {                                                                                                \
    SolverEntry e =                                                                                \
        catalog_entry(NAME, FIELDS, DESC);                                                         \
    e.available = [] { return false; };                                                            \
    e.unavailable_reason = device_info().reason;                                                   \
    r.add(std::move(e));                                                                           \
  }
#include "kernels/cuda_solvers.def"
#undef LSGD_CUDA_SOLVER
}

}  // namespace lsgd
