#pragma once
// A SolverEntry from one line of kernels/cuda_solvers.def, shared by the CUDA build
// (register_cuda.cpp adds the factories) and the no-CUDA build (no_cuda.cpp lists it unavailable).
#include <utility>

#include "lsgd/registry.hpp"

namespace lsgd {

inline SolverEntry catalog_entry(const char* name, Kind kind, bool f32, bool f64, index_t max_n,
                                 bool full_rank, bool underdetermined, ErrorGrowth growth,
                                 FlopModel flops, const char* description) {
  SolverEntry e;
  e.name = name;
  e.backend = Backend::cuda;
  e.kind = kind;
  e.f32 = f32;
  e.f64 = f64;
  e.max_n = max_n;
  e.requires_full_rank = full_rank;
  e.allows_underdetermined = underdetermined;
  e.normal_equations = flops == FlopModel::cholesky;  // forms A^T A
  e.error_growth = growth;
  e.flop_model = flops;
  e.minimum_norm = underdetermined;  // cuda.svd: the minimum-norm solution, as cpu.svd
  e.description = description;
  return e;
}

}  // namespace lsgd
