#pragma once
// A SolverEntry from one entry of kernels/cuda_solvers.def, shared by the CUDA build
// (register_cuda.cpp and backend_entry.cpp add the factories) and the no-CUDA build (no_cuda.cpp
// lists it unavailable).
#include "lsgd/registry.hpp"

namespace lsgd {

// The catalog's named fields: each entry of cuda_solvers.def names only what differs from these
// defaults (a direct, full-rank, QR-like solver in both precisions with no shape limit).
struct CatalogFields {
  Kind kind_ = Kind::direct;
  bool f32_ = true;
  bool f64_ = true;
  index_t max_n_ = 0;
  bool full_rank_ = true;
  bool underdetermined_ = false;
  ErrorGrowth growth_ = ErrorGrowth::kappa;
  FlopModel flops_ = FlopModel::qr;
  const char* algorithm_ = nullptr;  // default: from the flop model (normal_eq, qr, svd, gd)

  CatalogFields kind(Kind k) const { return with([&](CatalogFields& c) { c.kind_ = k; }); }
  CatalogFields growth(ErrorGrowth g) const { return with([&](CatalogFields& c) { c.growth_ = g; }); }
  CatalogFields flops(FlopModel f) const { return with([&](CatalogFields& c) { c.flops_ = f; }); }
  CatalogFields max_n(index_t n) const { return with([&](CatalogFields& c) { c.max_n_ = n; }); }
  CatalogFields rank_revealing() const { return with([](CatalogFields& c) { c.full_rank_ = false; }); }
  CatalogFields underdetermined() const {
    return with([](CatalogFields& c) { c.underdetermined_ = true; });
  }
  CatalogFields algorithm(const char* a) const {
    return with([&](CatalogFields& c) { c.algorithm_ = a; });
  }
  CatalogFields f32_only() const { return with([](CatalogFields& c) { c.f64_ = false; }); }
  CatalogFields f64_only() const { return with([](CatalogFields& c) { c.f32_ = false; }); }

 private:
  template <typename F>
  CatalogFields with(F set) const {
    CatalogFields c = *this;
    set(c);
    return c;
  }
};

inline SolverEntry catalog_entry(const char* name, const CatalogFields& f, const char* description) {
  SolverEntry e;
  e.name = name;
  e.backend = Backend::cuda;
  e.kind = f.kind_;
  e.f32 = f.f32_;
  e.f64 = f.f64_;
  e.max_n = f.max_n_;
  e.requires_full_rank = f.full_rank_;
  e.allows_underdetermined = f.underdetermined_;
  e.normal_equations = f.flops_ == FlopModel::cholesky;  // forms A^T A
  e.error_growth = f.growth_;
  e.flop_model = f.flops_;
  e.minimum_norm = f.underdetermined_;  // cuda.svd: the minimum-norm solution, as cpu.svd
  e.description = description;
  if (f.algorithm_ != nullptr) {
    e.algorithm = f.algorithm_;
  } else {
    switch (f.flops_) {
      case FlopModel::cholesky: e.algorithm = "normal_eq"; break;
      case FlopModel::svd: e.algorithm = "svd"; break;
      case FlopModel::gd_iter: e.algorithm = "gd"; break;
      case FlopModel::qr: e.algorithm = "qr"; break;
    }
  }
  return e;
}

}  // namespace lsgd
