#pragma once
// What the CPU backend runs on: the BLAS/LAPACK library and the ISA it was compiled for. Recorded in
// the benchmarks' JSON context so that a CPU number can be traced to what produced it.
#include <string>

namespace lsgd {

std::string blas_vendor();       // "OpenBLAS", "generic", ... (from the build)
std::string blas_config();       // the library's own description (OpenBLAS: version, core, threading)
int blas_threads();              // threads the BLAS uses now (1 when it cannot say)
std::string isa_flags();         // the host compiler's target flags ("-march=native" or "portable ...")
std::string isa_extensions();    // the SIMD extensions compiled in, e.g. "avx512f avx2 fma"

}  // namespace lsgd
