#pragma once
// Registration functions of the CPU solver families, called by register_cpu_solvers().
#include "lsgd/registry.hpp"

namespace lsgd {
void register_cpu_cholesky(Registry& r);       // cpu/lstsq_cholesky.cpp: cholesky
void register_cpu_qr(Registry& r);             // cpu/lstsq_qr.cpp: qr
void register_cpu_refined(Registry& r);        // cpu/lstsq_refined.cpp: qr.refined
void register_cpu_rrqr(Registry& r);           // cpu/lstsq_rrqr.cpp: colpiv_qr, cod
void register_cpu_svd(Registry& r);            // cpu/lstsq_svd.cpp: svd
void register_cpu_tsqr(Registry& r);           // cpu/lstsq_tsqr.cpp: tsqr
void register_cpu_batched(Registry& r);        // cpu/batched_lstsq.cpp: batched.qr, batched.cholesky
void register_cpu_gd(Registry& r);             // cpu/gd.cpp: gd, gd.momentum, gd.nesterov
void register_cpu_sgd(Registry& r);            // cpu/sgd.cpp: sgd
void register_cpu_bgd(Registry& r);            // cpu/bgd.cpp: bgd (batched)
}  // namespace lsgd
