// Registration of our own batched GD kernels: cuda.bgd.fused, cuda.bgd.resident, cuda.bgd.gram
// (kernels/bgd_kernels.cu, driven by kernels/bgd_engine.cpp).
#include <memory>

#include "kernels/bgd_engine.hpp"
#include "lsgd/registry.hpp"

namespace lsgd {
namespace {

// GD reaches ~kappa(A)^2 eps, like the normal equations (the tests scale their bounds by it).
template <cuda::gd::Variant V>
void set_batched_factories(SolverEntry& e) {
  const std::string name = e.name;
  e.make_batched_f32 = [name](const SolverOptions& o) {
    return std::make_unique<cuda::gd::BatchedGdSolver<float>>(name, o, V);
  };
  e.make_batched_f64 = [name](const SolverOptions& o) {
    return std::make_unique<cuda::gd::BatchedGdSolver<double>>(name, o, V);
  };
}

}  // namespace

void register_cuda_bgd_fused(SolverEntry& e) { set_batched_factories<cuda::gd::Variant::fused>(e); }
void register_cuda_bgd_resident(SolverEntry& e) {
  set_batched_factories<cuda::gd::Variant::resident>(e);
}
void register_cuda_bgd_gram(SolverEntry& e) { set_batched_factories<cuda::gd::Variant::gram>(e); }

}  // namespace lsgd
