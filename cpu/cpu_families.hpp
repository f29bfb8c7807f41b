#pragma once
// Registration functions of the CPU solver families, called by register_cpu_solvers().
#include "lsgd/registry.hpp"

namespace lsgd {
void register_cpu_lstsq(Registry& r);          // cpu/lstsq_*.cpp: cholesky, qr, colpiv_qr, cod, svd
}  // namespace lsgd
