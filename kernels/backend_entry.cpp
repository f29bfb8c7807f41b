// The CUDA backend's one entry point (liblsgd_cuda.so, or linked into GPU test and benchmark
// binaries): its device query and the factories of every solver of kernels/cuda_solvers.def.
#include <cstring>

#include "kernels/catalog_entry.hpp"
#include "kernels/cuda_backend.hpp"
#include "kernels/cuda_raii.hpp"
#include "lsgd/registry.hpp"

namespace lsgd {

#define LSGD_CUDA_SOLVER(NAME, REGISTER_FN, FIELDS, DESC)                                          \
  void REGISTER_FN(SolverEntry& e);
#include "kernels/cuda_solvers.def"
#undef LSGD_CUDA_SOLVER

namespace {

bool fill_entry(const char* name, SolverEntry& e) {
#define LSGD_CUDA_SOLVER(NAME, REGISTER_FN, FIELDS, DESC)                                          \
  if (std::strcmp(name, NAME) == 0) {                                                              \
    e = catalog_entry(NAME, FIELDS, DESC);                                                         \
    REGISTER_FN(e);                                                                                \
    return true;                                                                                   \
  }
#include "kernels/cuda_solvers.def"
#undef LSGD_CUDA_SOLVER
  return false;
}

const cuda_backend::Api kApi = {cuda_backend::kAbiVersion, sizeof(SolverEntry), sizeof(DeviceInfo),
                                sizeof(SolverOptions), &cuda::device_query, &fill_entry};

}  // namespace
}  // namespace lsgd

extern "C" __attribute__((visibility("default"))) const lsgd::cuda_backend::Api*
lsgd_cuda_backend_v1() {
  return &lsgd::kApi;
}
