// BLAS thread control and the CPU backend's build description (include/lsgd/cpu_info.hpp).
#include <string>

#include "cpu/blas_threads.hpp"
#include "lsgd/cpu_info.hpp"

#ifdef LSGD_OPENBLAS
extern "C" {
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
char* openblas_get_config(void);
char* openblas_get_corename(void);
}
#endif

#ifndef LSGD_BLAS_VENDOR
#define LSGD_BLAS_VENDOR "unknown"
#endif
#ifndef LSGD_ISA_FLAGS
#define LSGD_ISA_FLAGS "unknown"
#endif

namespace lsgd {
namespace cpu {

int get_blas_threads() {
#ifdef LSGD_OPENBLAS
  return openblas_get_num_threads();
#else
  return 1;
#endif
}

void set_blas_threads(int threads) {
#ifdef LSGD_OPENBLAS
  if (threads > 0) openblas_set_num_threads(threads);
#else
  (void)threads;
#endif
}

}  // namespace cpu

std::string blas_vendor() { return LSGD_BLAS_VENDOR; }

std::string blas_config() {
#ifdef LSGD_OPENBLAS
  std::string s = openblas_get_config();
  s += " (core ";
  s += openblas_get_corename();
  s += ")";
  return s;
#else
  return "not reported by this BLAS";
#endif
}

int blas_threads() { return cpu::get_blas_threads(); }

std::string isa_flags() { return LSGD_ISA_FLAGS; }

std::string isa_extensions() {
  std::string s;
  const auto add = [&s](const char* name) {
    if (!s.empty()) s += ' ';
    s += name;
  };
#ifdef __AVX512F__
  add("avx512f");
#endif
#ifdef __AVX512VL__
  add("avx512vl");
#endif
#ifdef __AVX2__
  add("avx2");
#endif
#ifdef __FMA__
  add("fma");
#endif
#ifdef __AVX__
  add("avx");
#endif
#ifdef __SSE4_2__
  add("sse4.2");
#endif
#ifdef __SSE2__
  add("sse2");
#endif
#ifdef __ARM_NEON
  add("neon");
#endif
  return s.empty() ? "none" : s;
}

}  // namespace lsgd
