#include "bench/context.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include <Eigen/Core>
#include <benchmark/benchmark.h>
#include <omp.h>

#include "lsgd/cpu_info.hpp"
#include "lsgd/device.hpp"

#ifndef LSGD_GIT_REVISION
#define LSGD_GIT_REVISION "unknown"
#endif
#ifndef LSGD_SOURCE_DIR
#define LSGD_SOURCE_DIR "."
#endif

namespace lsgd::bench {
namespace {

std::string number(double v) {
  std::ostringstream os;
  os.precision(6);
  os << v;
  return os.str();
}

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  const auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::string version(int v) {  // CUDA encodes 13.0 as 13000
  if (v <= 0) return "none";
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

}  // namespace

std::string git_revision() {
  // Run time first: the configure-time value goes stale when commits land without a re-configure.
  const std::string cmd = std::string("git -C \"") + LSGD_SOURCE_DIR +
                          "\" rev-parse --short HEAD 2>/dev/null";
  if (FILE* f = popen(cmd.c_str(), "r")) {
    char buf[128] = {};
    const bool got = std::fgets(buf, sizeof buf, f) != nullptr;
    const int rc = pclose(f);
    const std::string rev = trim(buf);
    if (got && rc == 0 && !rev.empty()) return rev;
  }
  return LSGD_GIT_REVISION;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return trim(line.substr(colon + 1));
    }
  }
  return "unknown";
}

void add_context_value(const std::string& key, const std::string& value) {
  benchmark::AddCustomContext(key, value);
}

void add_context(const Config& config, const Ceilings& c, const std::string& family) {
  const DeviceInfo d = device_info();
  add_context_value("lsgd_family", family);
  add_context_value("lsgd_device", describe_device());
  add_context_value("gpu_name", d.present ? d.name : "none");
  add_context_value("gpu_sms", std::to_string(d.sm_count));
  add_context_value("gpu_sm_clock_mhz", number(d.sm_clock_mhz));
  add_context_value("cuda_runtime", version(d.runtime_version));
  add_context_value("cuda_driver", version(d.driver_version));
  add_context_value("cpu_model", cpu_model());
  add_context_value("omp_threads", std::to_string(omp_get_max_threads()));
  add_context_value("blas_vendor", blas_vendor());
  add_context_value("blas_config", blas_config());
  add_context_value("blas_threads", std::to_string(blas_threads()));
  if (!blas_core_note().empty()) add_context_value("blas_core_note", blas_core_note());
  add_context_value("isa_flags", isa_flags());
  add_context_value("isa_extensions", isa_extensions());
  const OmpCosts omp = measure_omp_costs();
  add_context_value("omp_region_us", number(omp.region_us));
  add_context_value("omp_barrier_us", number(omp.barrier_us));
  add_context_value("ceiling_cpu_copy_kernel", "STREAM triad a = b + s*c, 3 x 8 bytes per element");
  add_context_value("ceiling_cpu_gemm_kernel", "BLAS " + blas_vendor() + " GEMM 1536^3");
  add_context_value("ceiling_cpu_read_kernel",
                    "sequential read of 256 MiB (huge pages advised), all threads");
  add_context_value("ceiling_cpu_fma_kernel",
                    "16 independent 64-byte vector FMA chains per thread, all threads, build ISA");
  add_context_value("eigen_version", std::to_string(EIGEN_WORLD_VERSION) + "." +
                                         std::to_string(EIGEN_MAJOR_VERSION) + "." +
                                         std::to_string(EIGEN_MINOR_VERSION));
  add_context_value("git_revision", git_revision());
  add_context_value("ceiling_cpu_copy_GBps", number(c.cpu_copy_GBps));
  add_context_value("ceiling_cpu_gemm_f32_GFLOPs", number(c.cpu_gemm_f32_GFLOPs));
  add_context_value("ceiling_cpu_gemm_f64_GFLOPs", number(c.cpu_gemm_f64_GFLOPs));
  add_context_value("ceiling_cpu_read_GBps", number(c.cpu_read_GBps));
  add_context_value("ceiling_cpu_fma_f32_GFLOPs", number(c.cpu_fma_f32_GFLOPs));
  add_context_value("ceiling_cpu_fma_f64_GFLOPs", number(c.cpu_fma_f64_GFLOPs));
  add_context_value("ceiling_gpu_copy_GBps", number(c.gpu_copy_GBps));
  add_context_value("ceiling_gpu_gemm_f32_GFLOPs", number(c.gpu_gemm_f32_GFLOPs));
  add_context_value("ceiling_gpu_gemm_f64_GFLOPs", number(c.gpu_gemm_f64_GFLOPs));
  add_context_value("ceilings_source", c.source);
  if (!c.note.empty()) add_context_value("ceilings_note", c.note);
  add_context_value("lsgd_preset", to_string(config.preset));
  add_context_value("lsgd_cold", config.cold ? "1" : "0");
  add_context_value("lsgd_filter_solver", config.filter_solver);
  add_context_value("lsgd_max_seconds_cpu", number(config.cap_seconds(false)));
  add_context_value("lsgd_max_seconds_gpu", number(config.cap_seconds(true)));
}

}  // namespace lsgd::bench
