#pragma once
// Registration functions of the CPU solver families, called by register_cpu_solvers().
#include "lsgd/registry.hpp"

namespace lsgd {
void register_cpu_lstsq(Registry& r);          // cpu/lstsq_*.cpp: cholesky, qr, colpiv_qr, cod, svd
void register_cpu_batched(Registry& r);        // cpu/batched_lstsq.cpp: batched.qr, batched.cholesky
void register_cpu_gd(Registry& r);             // cpu/gd.cpp: gd, gd.momentum, gd.nesterov
void register_cpu_sgd(Registry& r);            // cpu/sgd.cpp: sgd
void register_cpu_bgd(Registry& r);            // cpu/bgd.cpp: bgd (batched)
}  // namespace lsgd
