// CUDA build: registers every solver of kernels/cuda_solvers.def with its factories.
#include "lsgd/device.hpp"
#include "lsgd/registry.hpp"

namespace lsgd {

#define LSGD_CUDA_SOLVER(NAME, KIND, F32, F64, MAX_N, FULL_RANK, UNDERDET, NORMAL_EQ, DESC, \
                         REGISTER_FN) \
  void REGISTER_FN(SolverEntry& e);
#include "kernels/cuda_solvers.def"
#undef LSGD_CUDA_SOLVER

void register_cuda_solvers(Registry& r) {
  (void)r;  // unused while the catalog is empty
  const std::string reason = device_info().reason;
#define LSGD_CUDA_SOLVER(NAME, KIND, F32, F64, MAX_N, FULL_RANK, UNDERDET, NORMAL_EQ, DESC, \
                         REGISTER_FN) \
  {                                                                                         \
    SolverEntry e;                                                                          \
    e.name = NAME;                                                                          \
    e.backend = Backend::cuda;                                                              \
    e.kind = KIND;                                                                          \
    e.f32 = F32;                                                                            \
    e.f64 = F64;                                                                            \
    e.max_n = MAX_N;                                                                        \
    e.requires_full_rank = FULL_RANK;                                                       \
    e.allows_underdetermined = UNDERDET;                                                    \
    e.normal_equations = NORMAL_EQ;                                                         \
    e.description = DESC;                                                                   \
    e.available = [] { return gpu_available(); };                                           \
    e.unavailable_reason = reason;                                                          \
    REGISTER_FN(e);                                                                         \
    r.add(std::move(e));                                                                    \
  }
#include "kernels/cuda_solvers.def"
#undef LSGD_CUDA_SOLVER
  (void)reason;
}

}  // namespace lsgd
