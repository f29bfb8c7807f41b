// CUDA build: registers every solver of kernels/cuda_solvers.def with its factories.
#include "lsgd/device.hpp"
#include "kernels/catalog_entry.hpp"
#include "lsgd/registry.hpp"

namespace lsgd {

#define LSGD_CUDA_SOLVER(NAME, KIND, F32, F64, MAX_N, FULL_RANK, UNDERDET, NORMAL_EQ, DESC,        \
                         REGISTER_FN)                                                              \
  void REGISTER_FN(SolverEntry& e);
#include "kernels/cuda_solvers.def"
#undef LSGD_CUDA_SOLVER

void register_cuda_solvers(Registry& r) {
  const std::string reason = device_info().reason;
#define LSGD_CUDA_SOLVER(NAME, KIND, F32, F64, MAX_N, FULL_RANK, UNDERDET, NORMAL_EQ, DESC,        \
                         REGISTER_FN)                                                              \
  {                                                                                                \
    SolverEntry e =                                                                                \
        catalog_entry(NAME, KIND, F32, F64, MAX_N, FULL_RANK, UNDERDET, NORMAL_EQ, DESC);          \
    e.available = [] { return gpu_available(); };                                                  \
    e.unavailable_reason = reason;                                                                 \
    REGISTER_FN(e);                                                                                \
    r.add(std::move(e));                                                                           \
  }
#include "kernels/cuda_solvers.def"
#undef LSGD_CUDA_SOLVER
}

}  // namespace lsgd
